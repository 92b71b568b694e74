//! The `.deb` of `scripts/dist.sh` (issue 10) in a real Debian bookworm system: `dpkg -i` in a
//! debootstrap'd root, the files, the system user, the unit (`systemd-analyze verify`), the
//! service's command line run as that user, and `dpkg --purge` leaving nothing behind but what
//! Debian policy allows (the user, dpkg's own records, runtime files under /run).
//!
//! The root is made once by debootstrap from deb.debian.org (about two minutes) and cached as a
//! tarball under `target/tmp/debian-root/`, keyed by a hash of what went into it; every run
//! unpacks a fresh copy (seconds). Needs root (chroot, mount), as CI has.

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use pushgw_tests::dist::Dist;
use pushgw_tests::{Process, find_program, free_port, http, run_ok, stdout_ok, wait_until};
use tempfile::TempDir;

const SUITE: &str = "bookworm";
const MIRROR: &str = "http://deb.debian.org/debian";
/// minbase plus what a Debian server always has and the package needs: adduser (postinst),
/// procps (`/bin/kill`, the unit's ExecReload) and systemd (the units `verify` resolves against).
const INCLUDE: &str = "adduser,procps,systemd";
const PACKAGE: &str = "pushgw-sidecar";

fn target_tmp() -> &'static Path {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
}

/// The cached root tarball, made by debootstrap when missing.
fn root_tarball() -> PathBuf {
    let debootstrap = find_program("debootstrap", "debootstrap");
    let debootstrap_version = stdout_ok(Command::new("dpkg-query").args([
        "--show",
        "--showformat=${Version}",
        "debootstrap",
    ]));
    let inputs = format!(
        "debootstrap {debootstrap_version} --variant=minbase --include={INCLUDE} {SUITE} {MIRROR}"
    );
    let key = sha256_hex(inputs.as_bytes());
    let cache = target_tmp().join("debian-root");
    let tarball = cache.join(format!("{SUITE}-{}.tar", &key[..16]));
    if tarball.is_file() {
        return tarball;
    }

    fs::create_dir_all(&cache).expect("creating the root cache directory");
    let build = tempfile::tempdir_in(&cache).expect("creating a directory for debootstrap");
    let root = build.path().join("root");
    let started = Instant::now();
    eprintln!(
        "debootstrap: {inputs} (once; cached as {})",
        tarball.display()
    );
    run_ok(
        Command::new(&debootstrap)
            .args(["--variant=minbase", &format!("--include={INCLUDE}"), SUITE])
            .arg(&root)
            .arg(MIRROR),
    );
    // The downloaded packages are not part of the system.
    run_ok(
        Command::new("sh")
            .args(["-c", r#"rm -f "$0"/var/cache/apt/archives/*.deb"#])
            .arg(&root),
    );
    let partial = build.path().join("root.tar");
    run_ok(
        Command::new(find_program("tar", "tar"))
            .arg("--create")
            .arg("--file")
            .arg(&partial)
            .arg("--directory")
            .arg(&root)
            .arg("."),
    );
    fs::rename(&partial, &tarball).expect("moving the root tarball into the cache");
    eprintln!("debootstrap took {:.0} s", started.elapsed().as_secs_f64());
    tarball
}

fn sha256_hex(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("creating a temporary directory");
    let file = dir.path().join("input");
    fs::write(&file, bytes).expect("writing the hash input");
    let output = stdout_ok(Command::new(find_program("sha256sum", "coreutils")).arg(&file));
    output
        .split_whitespace()
        .next()
        .expect("sha256sum prints the hash first")
        .to_owned()
}

/// A fresh copy of the Debian root with /proc mounted, unmounted and removed on drop.
///
/// If /proc cannot be unmounted, the directory is left in place rather than removed: deleting a
/// tree with a live mount in it is how a test deletes things outside it.
struct DebianRoot {
    dir: Option<TempDir>,
    root: PathBuf,
    proc_mounted: bool,
}

impl DebianRoot {
    fn unpack(tarball: &Path) -> DebianRoot {
        let dir = tempfile::Builder::new()
            .prefix("deb-test-")
            .tempdir_in(target_tmp())
            .expect("creating a directory for the Debian root");
        let root = dir.path().join("root");
        fs::create_dir(&root).expect("creating the root directory");
        run_ok(
            Command::new(find_program("tar", "tar"))
                .arg("--extract")
                .arg("--file")
                .arg(tarball)
                .arg("--directory")
                .arg(&root),
        );
        let mut debian = DebianRoot {
            dir: Some(dir),
            root,
            proc_mounted: false,
        };
        run_ok(
            Command::new("mount")
                .args(["-t", "proc", "proc"])
                .arg(debian.root.join("proc")),
        );
        debian.proc_mounted = true;
        debian
    }

    fn path(&self, path: &str) -> PathBuf {
        self.root.join(path.trim_start_matches('/'))
    }

    /// `chroot <root> <args>`, as root.
    fn chroot(&self, args: &[&str]) -> Command {
        self.chroot_with(&[], args)
    }

    /// `chroot <options> <root> <args>`, with a clean environment.
    fn chroot_with(&self, options: &[&str], args: &[&str]) -> Command {
        let mut command = Command::new(find_program("chroot", "coreutils"));
        command
            .args(options)
            .arg(&self.root)
            .args(args)
            .env_clear()
            .env(
                "PATH",
                "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            );
        command
    }

    /// Every path in the root but the mounted /proc, relative to the root.
    fn paths(&self) -> BTreeSet<String> {
        let mut paths = BTreeSet::new();
        let mut pending = vec![self.root.clone()];
        while let Some(dir) = pending.pop() {
            for entry in fs::read_dir(&dir).expect("reading a directory of the root") {
                let entry = entry.expect("reading a directory entry");
                let path = entry.path();
                let relative = path
                    .strip_prefix(&self.root)
                    .expect("under the root")
                    .to_string_lossy()
                    .into_owned();
                if relative == "proc" {
                    continue;
                }
                if entry.file_type().expect("reading a file type").is_dir() {
                    pending.push(path);
                }
                paths.insert(format!("/{relative}"));
            }
        }
        paths
    }
}

impl Drop for DebianRoot {
    fn drop(&mut self) {
        if self.proc_mounted {
            let unmounted = Command::new("umount")
                .arg(self.root.join("proc"))
                .status()
                .is_ok_and(|status| status.success());
            if !unmounted {
                let kept = self.dir.take().map(TempDir::keep);
                eprintln!(
                    "could not unmount {}/proc; left {kept:?} in place, unmount and remove it by hand",
                    self.root.display()
                );
            }
        }
    }
}

#[track_caller]
fn assert_mode(path: &Path, mode: u32) {
    let meta = fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(
        meta.permissions().mode() & 0o7777,
        mode,
        "mode of {}",
        path.display()
    );
}

#[test]
fn control_fields_replace_debians_go_pushgateway() {
    let dist = Dist::build();
    let field = |name: &str| {
        stdout_ok(
            Command::new(find_program("dpkg-deb", "dpkg"))
                .arg("--field")
                .arg(&dist.deb)
                .arg(name),
        )
        .trim()
        .to_owned()
    };
    assert_eq!(field("Package"), PACKAGE);
    assert_eq!(field("Architecture"), "amd64");
    // Same port (:9091): one of the two at a time, and apt swaps them.
    assert_eq!(field("Conflicts"), "prometheus-pushgateway");
    assert_eq!(field("Replaces"), "prometheus-pushgateway");
    assert_eq!(field("Provides"), "prometheus-pushgateway");
    assert_eq!(field("Depends"), "adduser, libc6 (>= 2.17)");
}

#[test]
fn deb_installs_runs_and_purges_cleanly_in_debian_bookworm() {
    assert_eq!(
        stdout_ok(Command::new("id").arg("-u")).trim(),
        "0",
        "this test needs root (debootstrap, chroot, mount); CI runs as root"
    );
    let dist = Dist::build();
    let tarball = root_tarball();
    let started = Instant::now();
    let debian = DebianRoot::unpack(&tarball);
    fs::copy(&dist.deb, debian.path("/tmp/pushgw.deb")).expect("copying the .deb into the root");
    let before = debian.paths();

    // Install.
    run_ok(&mut debian.chroot(&["dpkg", "--install", "/tmp/pushgw.deb"]));

    let listed = stdout_ok(&mut debian.chroot(&["dpkg", "--listfiles", PACKAGE]));
    let files: BTreeSet<&str> = listed
        .lines()
        .filter(|path| debian.path(path).is_file())
        .collect();
    assert_eq!(
        files,
        BTreeSet::from([
            "/etc/default/pushgw-sidecar",
            "/usr/bin/pushgw-install",
            "/usr/bin/pushgw-sidecar",
            "/usr/lib/systemd/system/pushgw-sidecar.service",
            "/usr/share/doc/pushgw-sidecar/README.md",
            "/usr/share/doc/pushgw-sidecar/changelog.Debian.gz",
            "/usr/share/doc/pushgw-sidecar/copyright",
        ])
    );
    assert_mode(&debian.path("/usr/bin/pushgw-sidecar"), 0o755);
    assert_mode(&debian.path("/usr/bin/pushgw-install"), 0o755);
    assert_mode(&debian.path("/etc/default/pushgw-sidecar"), 0o644);
    let conffiles = fs::read_to_string(debian.path("/var/lib/dpkg/info/pushgw-sidecar.conffiles"))
        .expect("reading the package's conffiles");
    assert_eq!(conffiles.trim(), "/etc/default/pushgw-sidecar");
    let version = stdout_ok(&mut debian.chroot(&["pushgw-sidecar", "--version"]));
    assert!(
        version.starts_with("pushgw-sidecar, version "),
        "pushgw-sidecar --version in bookworm printed {version:?}"
    );

    // The system user and its state directory.
    let passwd = stdout_ok(&mut debian.chroot(&["getent", "passwd", "pushgw"]));
    let fields: Vec<&str> = passwd.trim().split(':').collect();
    assert_eq!(fields.len(), 7, "getent passwd pushgw printed {passwd:?}");
    let uid: u32 = fields[2].parse().expect("a numeric uid");
    let gid: u32 = fields[3].parse().expect("a numeric gid");
    assert!(uid < 1000, "pushgw is a system user (uid {uid})");
    assert_eq!(fields[5], "/var/lib/pushgw", "home");
    assert_eq!(fields[6], "/usr/sbin/nologin", "shell");
    let group = stdout_ok(&mut debian.chroot(&["getent", "group", "pushgw"]));
    assert!(
        group.starts_with(&format!("pushgw:x:{gid}:")),
        "group pushgw: {group:?}"
    );
    let state = fs::metadata(debian.path("/var/lib/pushgw")).expect("/var/lib/pushgw exists");
    assert_eq!(
        (state.uid(), state.gid()),
        (uid, gid),
        "owner of /var/lib/pushgw"
    );
    assert_mode(&debian.path("/var/lib/pushgw"), 0o750);

    // The unit: enabled like Debian's, and valid for this root's systemd (no warnings either).
    let wants = debian.path("/etc/systemd/system/multi-user.target.wants/pushgw-sidecar.service");
    assert!(wants.is_symlink(), "{} enables the unit", wants.display());
    let verify = run_ok(
        Command::new(find_program("systemd-analyze", "systemd"))
            .arg("verify")
            .arg(format!("--root={}", debian.root.display()))
            .arg("pushgw-sidecar.service"),
    );
    assert_eq!(
        String::from_utf8_lossy(&verify.stderr),
        "",
        "systemd-analyze verify pushgw-sidecar.service"
    );

    // The unit's command line (ARGS from /etc/default) as the unit's user: it persists pushes
    // under /var/lib/pushgw on SIGTERM.
    let port = free_port();
    let mut sidecar = debian.chroot_with(
        &[&format!("--userspec={uid}:{gid}")],
        &[
            "/bin/sh",
            "-c",
            r#". /etc/default/pushgw-sidecar && exec /usr/bin/pushgw-sidecar $ARGS --web.listen-address="$0""#,
            &format!("127.0.0.1:{port}"),
        ],
    );
    sidecar.current_dir("/");
    let sidecar = Process::spawn("pushgw-sidecar in bookworm", &sidecar);
    let base = format!("http://127.0.0.1:{port}");
    wait_until(
        Duration::from_secs(30),
        "the chrooted sidecar to be ready",
        || http::get(&format!("{base}/-/ready")).map(|response| response.status == 200),
    );
    let pushed = http::put(&format!("{base}/metrics/job/deb"), b"deb_test 1\n")
        .expect("pushing to the chrooted sidecar");
    assert_eq!(pushed.status, 200, "push: {}", pushed.text());
    sidecar.signal("TERM");
    let status = sidecar.wait_exit(Duration::from_secs(20));
    assert!(
        status.success(),
        "sidecar exit: {status}\n{}",
        sidecar.log()
    );
    let data = fs::metadata(debian.path("/var/lib/pushgw/pushgw.data"))
        .expect("the persistence file named in /etc/default/pushgw-sidecar");
    assert_eq!(data.uid(), uid, "the persistence file belongs to pushgw");
    drop(sidecar);

    // Purge: everything goes but what policy keeps (the user, dpkg's records) and runtime files.
    run_ok(&mut debian.chroot(&["dpkg", "--purge", PACKAGE]));
    let after = debian.paths();
    let allowed_new = |path: &str| path.starts_with("/run/");
    let added: Vec<&String> = after
        .difference(&before)
        .filter(|path| !allowed_new(path))
        .collect();
    let removed: Vec<&String> = before.difference(&after).collect();
    assert!(
        added.is_empty() && removed.is_empty(),
        "dpkg --purge left {added:?} behind and removed {removed:?}"
    );
    let passwd = fs::read_to_string(debian.path("/etc/passwd")).expect("reading /etc/passwd");
    assert!(
        passwd.lines().any(|line| line.starts_with("pushgw:")),
        "the system user stays after purge, as Debian's packages do"
    );
    eprintln!(
        "install, run and purge in the bookworm root took {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
