//! The release tarball (issue 10): `scripts/dist.sh` builds it, and what a trainee does with it
//! (`tar -xzf`, run the binaries) works on any glibc from 2.17 on.
//!
//! The first run builds the tools and the binaries (minutes); later runs with unchanged sources
//! only repack (seconds). `scripts/dist.sh` prints which it did.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use pushgw_tests::dist::{Dist, workspace_root};
use pushgw_tests::{find_program, run_ok, stdout_ok};
use tempfile::TempDir;

const VERSION: &str = env!("CARGO_PKG_VERSION");
const BINARIES: [&str; 2] = ["pushgw-sidecar", "pushgw-install"];
/// The oldest glibc the binaries must run on: CentOS 7's (Debian 9 has 2.24, Ubuntu 16.04 2.23).
const GLIBC_FLOOR: (u32, u32) = (2, 17);

/// The tarball unpacked as the tutorial does it: `tar -xzf` in an empty directory.
fn unpack(dist: &Dist) -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("creating a temporary directory");
    run_ok(
        Command::new(find_program("tar", "tar"))
            .arg("-xzf")
            .arg(&dist.tarball)
            .current_dir(dir.path()),
    );
    let top = dir.path().join(&dist.name);
    (dir, top)
}

#[test]
fn tarball_has_the_shape_of_the_go_release() {
    let dist = Dist::build();
    let listing = stdout_ok(
        Command::new(find_program("tar", "tar"))
            .args(["--numeric-owner", "--list", "--verbose", "--gzip", "--file"])
            .arg(&dist.tarball),
    );
    // `drwxr-xr-x 0/0 0 2026-11-25 20:41 pushgw-0.1.0.linux-amd64/`
    let entries: Vec<(&str, &str, &str)> = listing
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(fields.len(), 6, "unexpected `tar -tv` line {line:?}");
            (fields[0], fields[1], fields[5])
        })
        .collect();
    let name = &dist.name;
    let expected = [
        ("drwxr-xr-x", format!("{name}/")),
        ("-rw-r--r--", format!("{name}/LICENSE")),
        ("-rw-r--r--", format!("{name}/README.md")),
        ("-rwxr-xr-x", format!("{name}/pushgw-install")),
        ("-rwxr-xr-x", format!("{name}/pushgw-sidecar")),
    ];
    let modes_and_paths: Vec<(&str, &str)> = entries
        .iter()
        .map(|&(mode, _, path)| (mode, path))
        .collect();
    let expected: Vec<(&str, &str)> = expected
        .iter()
        .map(|(mode, path)| (*mode, path.as_str()))
        .collect();
    assert_eq!(modes_and_paths, expected, "entries in sorted order");
    for (_, owner, path) in &entries {
        assert_eq!(*owner, "0/0", "owner of {path}");
    }

    let (_dir, top) = unpack(dist);
    for document in ["LICENSE", "README.md"] {
        assert_eq!(
            fs::read(top.join(document)).expect("reading the unpacked file"),
            fs::read(workspace_root().join(document)).expect("reading the workspace's file"),
            "{document} in the tarball is the workspace's"
        );
    }
    assert!(
        fs::read_to_string(top.join("LICENSE"))
            .expect("reading LICENSE")
            .contains("Apache License\n                           Version 2.0, January 2004"),
        "LICENSE is the Apache License 2.0, as the Prometheus projects'"
    );
}

/// Same sources, same bytes: every mtime is the commit time of HEAD (SOURCE_DATE_EPOCH), and gzip
/// records no timestamp of its own, so a rebuild elsewhere gives the same checksum.
#[test]
fn tarball_is_reproducible() {
    let dist = Dist::build();
    let commit_time = stdout_ok(
        Command::new(find_program("git", "git"))
            .args(["log", "-1", "--format=%ct"])
            .current_dir(workspace_root()),
    );
    let listing = stdout_ok(
        Command::new(find_program("tar", "tar"))
            .args(["--list", "--verbose", "--gzip", "--full-time"])
            .arg("--file")
            .arg(&dist.tarball)
            .env("TZ", "UTC"),
    );
    let expected_time = stdout_ok(
        Command::new(find_program("date", "coreutils"))
            .args(["--utc", "+%Y-%m-%d %H:%M:%S"])
            .arg(format!("--date=@{}", commit_time.trim())),
    );
    for line in listing.lines() {
        assert!(
            line.contains(expected_time.trim()),
            "mtime of {line:?} is the commit time {}",
            expected_time.trim()
        );
    }
    let gzip = fs::read(&dist.tarball).expect("reading the tarball");
    assert_eq!(&gzip[..2], [0x1f, 0x8b], "a gzip file");
    assert_eq!(&gzip[4..8], [0, 0, 0, 0], "gzip header without a timestamp");
}

#[test]
fn sha256sums_check_both_artifacts() {
    let dist = Dist::build();
    let checked = stdout_ok(
        Command::new(find_program("sha256sum", "coreutils"))
            .args(["--check", "--strict", "sha256sums.txt"])
            .current_dir(&dist.dir),
    );
    let file_name = |path: &Path| {
        path.file_name()
            .expect("an artifact has a file name")
            .to_string_lossy()
            .into_owned()
    };
    assert_eq!(
        checked,
        format!(
            "{}: OK\n{}: OK\n",
            file_name(&dist.tarball),
            file_name(&dist.deb)
        )
    );
}

#[test]
fn unpacked_binaries_report_their_version() {
    let dist = Dist::build();
    let (_dir, top) = unpack(dist);
    let sidecar = stdout_ok(Command::new(top.join("pushgw-sidecar")).arg("--version"));
    assert!(
        sidecar.starts_with(&format!("pushgw-sidecar, version {VERSION} (branch: ")),
        "pushgw-sidecar --version printed {sidecar:?}"
    );
    assert!(
        sidecar.contains("platform:         linux/amd64"),
        "pushgw-sidecar --version printed {sidecar:?}"
    );
    let install = stdout_ok(Command::new(top.join("pushgw-install")).arg("--version"));
    assert!(
        install.contains(VERSION),
        "pushgw-install --version printed {install:?}"
    );
}

/// The tutorial's flow: download, unpack, `sudo ./pushgw-install --private-ip <ip>`; the installer
/// takes the gateway from beside itself. Dry run under a scratch root, so nothing is written.
#[test]
fn unpacked_installer_finds_the_sidecar_beside_itself() {
    let dist = Dist::build();
    let (_dir, top) = unpack(dist);
    let root = tempfile::tempdir().expect("creating a scratch root");
    let config = root.path().join("etc/prometheus/prometheus.yml");
    fs::create_dir_all(config.parent().expect("a parent directory")).expect("creating etc/");
    fs::write(
        &config,
        "scrape_configs:\n  - job_name: prometheus\n    static_configs:\n      - targets: ['localhost:9090']\n",
    )
    .expect("writing prometheus.yml");
    // The address only goes into the planned unit's --web.external-url; nothing contacts it.
    let planned = stdout_ok(
        Command::new(top.join("pushgw-install"))
            .args(["--dry-run", "--private-ip", "10.0.0.5", "--lang", "en"])
            .args(["--service-manager", "none"])
            .args(["--prometheus-url", "http://127.0.0.1:1"])
            .args(["--prometheus-config", "/etc/prometheus/prometheus.yml"])
            .arg("--root")
            .arg(root.path())
            .current_dir(&top),
    );
    let binary = top.join("pushgw-sidecar");
    assert!(
        planned.contains(&format!("binary: {}\n", binary.display())),
        "pushgw-install did not take {} from beside itself:\n{planned}",
        binary.display()
    );
    assert!(
        planned.contains("Dry run: nothing was written."),
        "pushgw-install --dry-run said:\n{planned}"
    );
}

/// The highest `GLIBC_x.y` symbol version each binary needs is at most 2.17, and the binaries are
/// stripped. Also prints the sizes the release notes quote.
#[test]
fn binaries_need_at_most_glibc_2_17_and_are_stripped() {
    let dist = Dist::build();
    let (_dir, top) = unpack(dist);
    let objdump = find_program("objdump", "binutils");
    let readelf = find_program("readelf", "binutils");
    for binary in BINARIES {
        let path = top.join(binary);
        let symbols = stdout_ok(Command::new(&objdump).arg("--dynamic-syms").arg(&path));
        let needed = glibc_versions(&symbols).max();
        let needed = needed.unwrap_or_else(|| panic!("{binary} requires no GLIBC_x.y version"));
        assert!(
            needed <= GLIBC_FLOOR,
            "{binary} requires GLIBC_{}.{}, above the floor {}.{}",
            needed.0,
            needed.1,
            GLIBC_FLOOR.0,
            GLIBC_FLOOR.1
        );
        let sections = stdout_ok(Command::new(&readelf).arg("--section-headers").arg(&path));
        assert!(
            !sections.contains(".symtab") && !sections.contains(".debug_"),
            "{binary} is not stripped:\n{sections}"
        );
        let size = fs::metadata(&path)
            .expect("reading the binary's size")
            .len();
        eprintln!(
            "{binary}: {size} bytes, needs GLIBC_{}.{}",
            needed.0, needed.1
        );
    }
    for artifact in [&dist.tarball, &dist.deb] {
        let size = fs::metadata(artifact).expect("reading the size").len();
        eprintln!("{}: {size} bytes", artifact.display());
    }
}

/// Every `GLIBC_x.y[.z]` version named in `objdump -T` output, as (x, y).
fn glibc_versions(symbols: &str) -> impl Iterator<Item = (u32, u32)> + '_ {
    symbols.split("GLIBC_").skip(1).filter_map(|rest| {
        let version: String = rest
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        let mut parts = version.split('.').map(str::parse::<u32>);
        match (parts.next(), parts.next()) {
            (Some(Ok(major)), Some(Ok(minor))) => Some((major, minor)),
            _ => None,
        }
    })
}

#[test]
fn glibc_versions_are_read_from_objdump_output() {
    let symbols = "\
0000000000000000      DF *UND*	0000000000000000 (GLIBC_2.2.5) write
0000000000000000      DF *UND*	0000000000000000 (GLIBC_2.17) clock_gettime
0000000000000000      DF *UND*	0000000000000000 (GLIBC_PRIVATE) __libc_stack_end
0000000000000000      DF *UND*	0000000000000000  GLIBC_2.3.2 pthread_cond_wait
";
    let versions: Vec<(u32, u32)> = glibc_versions(symbols).collect();
    assert_eq!(versions, [(2, 2), (2, 17), (2, 3)]);
}
