//! Records the compiler version for `--version` and `pushgateway_build_info` (the reference
//! reports its Go version there). Revision and branch come from the packager's environment
//! (`PUSHGW_REVISION`, `PUSHGW_BRANCH`), as Debian's build passes them to Go's linker.

use std::process::Command;

fn main() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let version = Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .filter(|output| output.status.success())
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .map(|text| text.trim().to_owned())
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=PUSHGW_RUSTC_VERSION={version}");
    println!("cargo:rerun-if-env-changed=PUSHGW_REVISION");
    println!("cargo:rerun-if-env-changed=PUSHGW_BRANCH");
    println!("cargo:rerun-if-changed=build.rs");
}
