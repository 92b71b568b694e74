//! What this binary says about itself: `--version`, and the build information that
//! `/api/v1/status` and `pushgateway_build_info` report under the reference's key names.

/// The build's identity, as the reference's `version` package describes a Go build.
///
/// ```
/// let info = pushgw_sidecar::build_info::BuildInfo::current();
/// assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
/// assert!(info.version_text().starts_with("pushgw-sidecar, version "));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildInfo {
    /// The crate version.
    pub version: &'static str,
    /// VCS revision, from `PUSHGW_REVISION` at build time.
    pub revision: &'static str,
    /// VCS branch, from `PUSHGW_BRANCH` at build time.
    pub branch: &'static str,
    /// The compiler (`rustc --version`), reported where the reference reports its Go version.
    pub rustc_version: &'static str,
    /// Operating system, spelled as Go's `GOOS` (`linux`).
    pub os: &'static str,
    /// Architecture, spelled as Go's `GOARCH` (`amd64`, `arm64`), so dashboards keep working.
    pub arch: &'static str,
}

impl BuildInfo {
    /// The information compiled into this binary.
    pub fn current() -> Self {
        BuildInfo {
            version: env!("CARGO_PKG_VERSION"),
            revision: option_env!("PUSHGW_REVISION").unwrap_or("unknown"),
            branch: option_env!("PUSHGW_BRANCH").unwrap_or("unknown"),
            rustc_version: env!("PUSHGW_RUSTC_VERSION"),
            os: std::env::consts::OS,
            arch: go_arch(std::env::consts::ARCH),
        }
    }

    /// The `--version` text, laid out like Prometheus' `version.Print`.
    pub fn version_text(&self) -> String {
        format!(
            "pushgw-sidecar, version {} (branch: {}, revision: {})\n  rustc version:    {}\n  platform:         {}/{}\n",
            self.version, self.branch, self.revision, self.rustc_version, self.os, self.arch
        )
    }

    /// `/api/v1/status` `build_information`, with the reference's keys.
    pub fn status_entries(&self) -> Vec<(String, String)> {
        [
            ("branch", self.branch),
            ("buildDate", ""),
            ("buildUser", ""),
            ("goVersion", self.rustc_version),
            ("revision", self.revision),
            ("version", self.version),
        ]
        .into_iter()
        .map(|(key, value)| (key.to_owned(), value.to_owned()))
        .collect()
    }
}

/// Rust's architecture names mapped to Go's where they differ.
fn go_arch(arch: &'static str) -> &'static str {
    match arch {
        "x86_64" => "amd64",
        "x86" => "386",
        "aarch64" => "arm64",
        "powerpc64" => "ppc64",
        "loongarch64" => "loong64",
        other => other,
    }
}
