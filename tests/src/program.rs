//! Where the programs under test are: Debian's on `PATH`, ours in the cargo target directory.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

/// Finds `program` on `PATH` (falling back to `/usr/bin`, where Debian installs it).
///
/// # Panics
///
/// If it is not installed, naming the Debian package that provides it: the black-box tests never
/// skip for a missing program.
pub fn find_program(program: &str, debian_package: &str) -> PathBuf {
    let path = env::var_os("PATH").unwrap_or_default();
    env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin")])
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
        .unwrap_or_else(|| {
            panic!(
                "`{program}` is not installed (not on PATH nor in /usr/bin): install the Debian \
                 package `{debian_package}` (apt-get install {debian_package}; scripts/test.sh \
                 does it when run as root)"
            )
        })
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

/// The binary `name` of the workspace package `package`, from the target directory this test
/// binary was built in (`target/<profile>/<name>`).
///
/// Cargo builds another package's binaries only when asked to: `cargo test --workspace` (what
/// `scripts/test.sh` runs) does; `cargo test -p pushgw-tests` alone does not, so run
/// `cargo build -p <package>` first.
///
/// # Panics
///
/// If the binary has not been built; the message says how to build it.
pub fn workspace_binary(name: &str, package: &str) -> PathBuf {
    let test_binary = env::current_exe().expect("the test binary's path");
    // Test binaries live in target/<profile>/deps/, binaries in target/<profile>/.
    let profile_dir = test_binary
        .parent()
        .and_then(Path::parent)
        .expect("the test binary lives in target/<profile>/deps");
    let binary = profile_dir.join(name);
    assert!(
        is_executable(&binary),
        "{} has not been built: run `cargo build -p {package}` (or `cargo test --workspace`) first",
        binary.display()
    );
    binary
}

/// Runs `command` to completion and returns its output, panicking with its exit status, stdout
/// and stderr if it cannot start or does not succeed.
///
/// ```
/// let output = pushgw_tests::run_ok(std::process::Command::new("true").arg("x"));
/// assert!(output.stdout.is_empty());
/// ```
#[track_caller]
pub fn run_ok(command: &mut std::process::Command) -> std::process::Output {
    let output = command
        .output()
        .unwrap_or_else(|error| panic!("running {command:?}: {error}"));
    assert!(
        output.status.success(),
        "{command:?} failed ({}):\n--- stdout\n{}--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// The standard output of [`run_ok`], as text (invalid UTF-8 replaced).
///
/// ```
/// let text = pushgw_tests::stdout_ok(std::process::Command::new("echo").arg("hi"));
/// assert_eq!(text, "hi\n");
/// ```
#[track_caller]
pub fn stdout_ok(command: &mut std::process::Command) -> String {
    String::from_utf8_lossy(&run_ok(command).stdout).into_owned()
}
