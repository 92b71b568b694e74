//! The release artifacts of `scripts/dist.sh`, built once per test binary.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// What `scripts/dist.sh` left in `dist/`: the tarball, the `.deb` and `sha256sums.txt`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dist {
    /// The `dist/` directory of the workspace.
    pub dir: PathBuf,
    /// `pushgw-<version>.linux-amd64`, the tarball's top directory.
    pub name: String,
    /// `dist/pushgw-<version>.linux-amd64.tar.gz`.
    pub tarball: PathBuf,
    /// `dist/pushgw-sidecar_<version>-1_amd64.deb`.
    pub deb: PathBuf,
    /// `dist/sha256sums.txt`.
    pub sha256sums: PathBuf,
    /// How long the run of `scripts/dist.sh` took (cold: minutes; nothing changed: seconds).
    pub elapsed: Duration,
}

/// The workspace's root directory (this package lives in `<root>/tests`).
pub fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests package lives in the workspace root")
}

impl Dist {
    /// Runs `scripts/dist.sh` once for this test binary and returns its artifacts.
    ///
    /// The script is incremental (cargo rebuilds only what changed, the tools are cached in
    /// `~/.cache/pushgw-dist`), so the second test binary that calls it pays only the repacking.
    ///
    /// # Panics
    ///
    /// If the script fails (its output is shown on the test's stderr) or an artifact is missing.
    pub fn build() -> &'static Dist {
        static DIST: OnceLock<Dist> = OnceLock::new();
        DIST.get_or_init(|| {
            let root = workspace_root();
            let script = root.join("scripts/dist.sh");
            let started = Instant::now();
            let status = Command::new(&script)
                .current_dir(root)
                .status()
                .unwrap_or_else(|error| panic!("running {}: {error}", script.display()));
            let elapsed = started.elapsed();
            assert!(status.success(), "{} failed: {status}", script.display());
            eprintln!("scripts/dist.sh took {:.1} s", elapsed.as_secs_f64());

            let version = env!("CARGO_PKG_VERSION");
            let dir = root.join("dist");
            let name = format!("pushgw-{version}.linux-amd64");
            let dist = Dist {
                tarball: dir.join(format!("{name}.tar.gz")),
                deb: dir.join(format!("pushgw-sidecar_{version}-1_amd64.deb")),
                sha256sums: dir.join("sha256sums.txt"),
                name,
                dir,
                elapsed,
            };
            for artifact in [&dist.tarball, &dist.deb, &dist.sha256sums] {
                assert!(
                    artifact.is_file(),
                    "scripts/dist.sh succeeded but did not write {}",
                    artifact.display()
                );
            }
            dist
        })
    }
}
