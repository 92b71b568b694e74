//! The `pushgw-install` command on temporary roots (`--root`, `--service-manager=none`), against
//! a real Prometheus (Debian package `prometheus`) with the lifecycle API: install, a second run
//! that changes nothing, `--dry-run`, uninstall, and every preflight failure leaving the root
//! exactly as it was.
//!
//! The installed "binary" here is a small script: these tests are about files, and the gateway
//! itself is exercised by `tests/tests/installer_e2e.rs`. Prometheus reloads its own config file
//! (not the one under the test's root): what is checked here is that the installer reloads and
//! confirms the reload.

use std::collections::BTreeMap;
use std::fs;
use std::net::TcpListener;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::SystemTime;

use assert_cmd::Command;
use predicates::prelude::*;
use pushgw_tests::{Prometheus, free_port};
use tempfile::TempDir;

const DEBIAN_CONFIG: &str = include_str!("../test_data/promyaml/before/01_debian_bookworm.yml");
const CONFIG: &str = "/etc/prometheus/prometheus.yml";
const UNIT: &str = "/usr/lib/systemd/system/pushgateway.service";
const BINARY: &str = "/usr/local/src/prometheus/pushgateway-server/pushgateway";

/// One Prometheus for every test of this binary: started once, killed when the binary exits.
fn prometheus() -> &'static Prometheus {
    static PROMETHEUS: OnceLock<Prometheus> = OnceLock::new();
    PROMETHEUS.get_or_init(|| Prometheus::start("global:\n  scrape_interval: 1s\n"))
}

/// A target system in a temporary directory, with Debian's prometheus.yml and a stand-in for
/// the gateway binary outside of it.
struct Target {
    root: TempDir,
    binary: PathBuf,
    port: u16,
}

/// Every file and directory under a root: path → (mode, content, modification time).
type Snapshot = BTreeMap<PathBuf, (u32, Option<Vec<u8>>, Option<SystemTime>)>;

impl Target {
    fn new() -> Target {
        let root = tempfile::tempdir().expect("a temporary root");
        let binary = root.path().with_extension("gateway");
        fs::write(&binary, "#!/bin/sh\nexit 0\n").expect("writing the stand-in binary");
        fs::set_permissions(&binary, fs::Permissions::from_mode(0o755)).expect("chmod");
        let target = Target {
            root,
            binary,
            port: free_port(),
        };
        target.write(CONFIG, DEBIAN_CONFIG);
        target
    }

    fn path(&self, target: &str) -> PathBuf {
        self.root.path().join(target.trim_start_matches('/'))
    }

    fn write(&self, target: &str, content: &str) {
        let path = self.path(target);
        fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        fs::write(&path, content).expect("writing a file under the root");
    }

    fn read(&self, target: &str) -> String {
        fs::read_to_string(self.path(target)).expect("reading a file under the root")
    }

    /// `pushgw-install <args>` on this root, in English.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::cargo_bin("pushgw-install").expect("the pushgw-install binary");
        command
            .env("LANG", "C.UTF-8")
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .args(args)
            .arg("--root")
            .arg(self.root.path())
            .args(["--service-manager", "none", "--prometheus-url"])
            .arg(prometheus().base_url())
            .arg("--listen-port")
            .arg(self.port.to_string());
        command
    }

    fn install(&self, extra: &[&str]) -> Command {
        let binary = self.binary.to_string_lossy().into_owned();
        let mut command =
            self.command(&["install", "--private-ip", "10.0.0.5", "--binary", &binary]);
        command.args(extra);
        command
    }

    fn snapshot(&self) -> Snapshot {
        let mut snapshot = BTreeMap::new();
        walk(self.root.path(), self.root.path(), &mut snapshot);
        snapshot
    }
}

fn walk(root: &Path, dir: &Path, snapshot: &mut Snapshot) {
    for entry in fs::read_dir(dir).expect("listing a directory") {
        let path = entry.expect("a directory entry").path();
        let meta = fs::symlink_metadata(&path).expect("metadata");
        let relative = path.strip_prefix(root).expect("under the root").to_owned();
        if meta.is_dir() {
            // A directory's own mtime changes when promtool's check file comes and goes.
            snapshot.insert(relative, (meta.mode(), None, None));
            walk(root, &path, snapshot);
        } else {
            let content = fs::read(&path).expect("reading a file");
            snapshot.insert(relative, (meta.mode(), Some(content), meta.modified().ok()));
        }
    }
}

#[test]
fn install_then_a_second_run_changes_nothing() {
    let target = Target::new();
    target
        .install(&[])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "created /usr/lib/systemd/system/pushgateway.service",
        ))
        .stdout(predicate::str::contains("Reload Prometheus"))
        .stdout(predicate::str::contains("pushgw-install verify"));

    let installed = fs::metadata(target.path(BINARY)).expect("the installed binary");
    assert_eq!(installed.permissions().mode() & 0o777, 0o755);
    assert_eq!(
        fs::read(target.path(BINARY)).expect("installed"),
        fs::read(&target.binary).expect("source")
    );
    let unit = target.read(UNIT);
    assert!(
        unit.contains(&format!(
            "ExecStart={BINARY} --web.listen-address=:{} --web.external-url=http://127.0.0.1/10.0.0.5/pushgateway/ --web.route-prefix=/ --persistence.file=/var/lib/pushgateway/pushgateway.data\n",
            target.port
        )),
        "{unit}"
    );
    let config = target.read(CONFIG);
    assert!(
        config.contains(&format!(
            "  - job_name: 'pushgateway'\n    honor_labels: true\n    static_configs:\n      - targets: ['localhost:{}']\n",
            target.port
        )),
        "{config}"
    );
    let backups: Vec<_> = target
        .snapshot()
        .into_iter()
        .filter(|(path, _)| path.to_string_lossy().ends_with(".bak"))
        .collect();
    assert_eq!(
        backups.len(),
        1,
        "one backup of prometheus.yml: {backups:?}"
    );
    assert_eq!(
        backups[0].1.1.as_deref(),
        Some(DEBIAN_CONFIG.as_bytes()),
        "the backup is a byte-identical copy"
    );

    let before = target.snapshot();
    target
        .install(&[])
        .assert()
        .success()
        .stdout(predicate::str::contains("Nothing changed"))
        .stdout(predicate::str::contains("Reload Prometheus").not());
    assert_eq!(
        target.snapshot(),
        before,
        "bytes, modes and mtimes unchanged"
    );
}

#[test]
fn dry_run_writes_nothing_and_shows_the_diffs() {
    let target = Target::new();
    let before = target.snapshot();
    target
        .install(&["--dry-run"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "--- a/etc/prometheus/prometheus.yml",
        ))
        .stdout(predicate::str::contains("+  - job_name: 'pushgateway'"))
        .stdout(predicate::str::contains(
            "+++ b/usr/lib/systemd/system/pushgateway.service",
        ))
        .stdout(predicate::str::contains("Dry run: nothing was written."));
    assert_eq!(target.snapshot(), before);
}

#[test]
fn uninstall_restores_prometheus_yml_byte_for_byte() {
    let target = Target::new();
    target.install(&[]).assert().success();
    target
        .command(&["uninstall"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "removed /usr/lib/systemd/system/pushgateway.service",
        ));
    assert_eq!(target.read(CONFIG), DEBIAN_CONFIG);
    assert!(!target.path(UNIT).exists());
    assert!(!target.path(BINARY).exists());
    // A second uninstall has nothing left to do.
    target
        .command(&["uninstall"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Nothing changed"));
}

#[test]
fn a_job_that_was_there_before_survives_uninstall() {
    let target = Target::new();
    let with_job = format!(
        "{DEBIAN_CONFIG}\n  - job_name: pushgateway\n    honor_labels: true\n    static_configs:\n      - targets: ['localhost:{}']\n",
        target.port
    );
    target.write(CONFIG, &with_job);
    target.install(&[]).assert().success();
    assert_eq!(
        target.read(CONFIG),
        with_job,
        "an equivalent job is left alone"
    );
    target.command(&["uninstall"]).assert().success();
    assert_eq!(target.read(CONFIG), with_job);
}

#[test]
fn a_differing_job_is_refused_then_replaced_with_force_and_restored_by_uninstall() {
    let target = Target::new();
    let port = target.port;
    let with_job = format!(
        "{DEBIAN_CONFIG}\n  - job_name: 'pushgateway'\n    static_configs:\n      - targets: ['localhost:{port}']\n"
    );
    target.write(CONFIG, &with_job);
    let before = target.snapshot();
    target
        .install(&[])
        .assert()
        .code(5)
        .stdout(predicate::str::contains("+    honor_labels: true"))
        .stderr(predicate::str::contains("re-run with --force"));
    assert_eq!(target.snapshot(), before);
    target.install(&["--force"]).assert().success();
    assert!(target.read(CONFIG).contains("honor_labels: true"));
    target.command(&["uninstall"]).assert().success();
    assert_eq!(target.read(CONFIG), with_job);
}

#[test]
fn the_tutorial_unit_is_backed_up_and_replaced() {
    let target = Target::new();
    let tutorial = "[Unit]\nDescription=Prometheus - Monitoring system and time series database\n\
        After=network-online.target\n\n[Service]\nType=simple\n\
        ExecStart=/usr/local/src/prometheus/pushgateway-server/pushgateway \\\n  \
        --web.external-url=http://127.0.0.1/10.0.0.5/pushgateway/ \\\n  --web.route-prefix=/ \\\n\n\
        [Install]\nWantedBy=multi-user.target\n";
    target.write(UNIT, tutorial);
    target
        .install(&[])
        .assert()
        .success()
        .stdout(predicate::str::contains("dangling `\\`"))
        .stdout(predicate::str::contains(
            "replaced /usr/lib/systemd/system/pushgateway.service",
        ));
    let backup = target
        .snapshot()
        .into_iter()
        .find(|(path, _)| {
            path.to_string_lossy()
                .contains("pushgateway.service.pushgw-install.")
        })
        .expect("a backup of the tutorial's unit");
    assert_eq!(backup.1.1.as_deref(), Some(tutorial.as_bytes()));
}

/// A listener that answers every request with 404, like a program that is not a Pushgateway.
fn squatter() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binding a squatter");
    let port = listener.local_addr().expect("an address").port();
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        for mut stream in listener.incoming().flatten() {
            let mut request = [0; 4096];
            let _ = stream.read(&mut request);
            let _ = stream.write_all(
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    port
}

/// A run refused by preflight.
struct Case<'a> {
    what: &'a str,
    /// The prometheus.yml to use instead of Debian's; `Some("")` removes it.
    config: Option<&'a str>,
    args: Vec<&'a str>,
    code: i32,
    /// A fragment of the error message.
    message: &'a str,
}

#[test]
fn every_preflight_failure_leaves_the_root_untouched() {
    let busy_port = squatter().to_string();
    let nobody = format!("http://127.0.0.1:{}", free_port());
    let cases = [
        Case {
            what: "bad ip",
            config: None,
            args: vec!["--private-ip", "10.0.0.256"],
            code: 2,
            message: "\"10.0.0.256\" is not an IPv4 address",
        },
        Case {
            what: "space ip",
            config: None,
            args: vec!["--private-ip", " 10.0.0.5"],
            code: 2,
            message: "is not an IPv4 address",
        },
        Case {
            what: "ipv6",
            config: None,
            args: vec!["--private-ip", "fd00::5"],
            code: 2,
            message: "is not an IPv4 address",
        },
        Case {
            what: "loopback",
            config: None,
            args: vec!["--private-ip", "127.0.0.1"],
            code: 2,
            message: "reserved (loopback)",
        },
        Case {
            what: "systemd on a root",
            config: None,
            args: vec!["--service-manager", "systemd"],
            code: 2,
            message: "needs --service-manager=none",
        },
        Case {
            what: "no binary",
            config: None,
            args: vec!["--binary", "/nonexistent/pushgw-sidecar"],
            code: 4,
            message: "--binary /nonexistent/pushgw-sidecar",
        },
        Case {
            what: "prometheus down",
            config: None,
            args: vec!["--prometheus-url", &nobody],
            code: 7,
            message: "Prometheus does not answer",
        },
        Case {
            what: "no config",
            config: Some(""),
            args: vec![],
            code: 5,
            message: "prometheus.yml not found",
        },
        Case {
            what: "invalid yaml",
            config: Some("global:\n  scrape_interval: 15s\n scrape_configs:\n"),
            args: vec![],
            code: 5,
            message: "not valid YAML",
        },
        Case {
            what: "flow list",
            config: Some(
                "scrape_configs: [{job_name: x, static_configs: [{targets: ['localhost:1']}]}]\n",
            ),
            args: vec![],
            code: 5,
            message: "alone on its line",
        },
        Case {
            what: "promtool",
            config: Some("rule_files:\n  - missing_rules.yml\nscrape_configs:\n"),
            args: vec![],
            code: 5,
            message: "promtool rejects",
        },
        Case {
            what: "port busy",
            config: None,
            args: vec!["--listen-port", &busy_port],
            code: 6,
            message: "is held by a program that is not a Pushgateway",
        },
    ];
    for Case {
        what,
        config,
        args: extra,
        code,
        message,
    } in &cases
    {
        let target = Target::new();
        match config {
            Some("") => fs::remove_file(target.path(CONFIG)).expect("removing the config"),
            Some(config) => target.write(CONFIG, config),
            None => {}
        }
        let before = target.snapshot();
        let mut args = vec!["--private-ip", "10.0.0.5", "--binary"];
        let binary = target.binary.to_string_lossy().into_owned();
        args.push(&binary);
        // Later flags win: the case's own arguments come last.
        let mut command = target.command(&["install"]);
        command.args(&args).args(extra);
        let output = command.output().expect("running pushgw-install");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(*code), "{what}: {stderr}");
        assert!(stderr.contains(message), "{what}: {stderr}");
        assert_eq!(target.snapshot(), before, "{what}: the root changed");
    }
}

#[test]
fn messages_are_japanese_when_lang_is_ja() {
    let target = Target::new();
    let mut command = target.install(&[]);
    command
        .env("LANG", "ja_JP.UTF-8")
        .args(["--private-ip", "10.0.0.256"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("エラー: --private-ip"))
        .stderr(predicate::str::contains("VM のプライベート IPv4 アドレス"));
    target
        .install(&["--lang", "ja", "--dry-run"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "ドライラン: 何も書き込んでいません。",
        ));
}

#[test]
fn help_documents_the_exit_codes() {
    Command::cargo_bin("pushgw-install")
        .expect("the binary")
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("--private-ip <IP>"))
        .stdout(predicate::str::contains(
            "6 gateway port held by another program",
        ));
}

#[test]
fn changing_the_system_needs_root() {
    let target = Target::new();
    let before = target.snapshot();
    let binary = target.binary.to_string_lossy().into_owned();
    // As `nobody`, through util-linux's setpriv (these tests run as root in CI).
    let installer = assert_cmd::cargo::cargo_bin("pushgw-install");
    let mut command = Command::new(pushgw_tests::find_program("setpriv", "util-linux"));
    command
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(installer)
        .args([
            "--private-ip",
            "10.0.0.5",
            "--binary",
            &binary,
            "--service-manager",
            "systemd",
        ])
        .arg("--root")
        .arg(target.root.path())
        .env("LANG", "C.UTF-8");
    command
        .assert()
        .code(3)
        .stderr(predicate::str::contains("must run as root"));
    assert_eq!(target.snapshot(), before);
}

#[test]
fn owner_mode_and_symlinks_of_prometheus_yml_are_kept() {
    let target = Target::new();
    let real = "/etc/prometheus/real/prometheus.yml";
    target.write(real, DEBIAN_CONFIG);
    fs::remove_file(target.path(CONFIG)).expect("removing the plain file");
    std::os::unix::fs::symlink(real, target.path(CONFIG)).expect("an absolute symlink");
    let real_path = target.path(real);
    fs::set_permissions(&real_path, fs::Permissions::from_mode(0o640)).expect("chmod");
    std::os::unix::fs::chown(&real_path, Some(65534), Some(65534))
        .expect("chown (tests run as root)");

    target.install(&[]).assert().success();
    let link = fs::symlink_metadata(target.path(CONFIG)).expect("the link");
    assert!(link.file_type().is_symlink(), "the link is still a link");
    let meta = fs::metadata(&real_path).expect("the real file");
    assert_eq!(
        (meta.mode() & 0o7777, meta.uid(), meta.gid()),
        (0o640, 65534, 65534)
    );
    assert!(target.read(real).contains("job_name: 'pushgateway'"));
}

#[test]
fn a_config_prometheus_rejects_is_rolled_back() {
    // A Prometheus of its own, whose config file is broken behind its back: the reload fails
    // with HTTP 500 whatever the installer wrote, as it would for a config promtool accepts
    // but the server does not (e.g. a file the prometheus user cannot read).
    let prometheus = Prometheus::start("global:\n  scrape_interval: 1s\n");
    fs::write(prometheus.config_file(), "global: [\n").expect("breaking the config");
    let target = Target::new();
    let binary = target.binary.to_string_lossy().into_owned();
    let mut command = target.command(&["install", "--private-ip", "10.0.0.5", "--binary", &binary]);
    command
        .arg("--prometheus-url")
        .arg(prometheus.base_url())
        .assert()
        .code(7)
        .stderr(predicate::str::contains(
            "Prometheus did not accept the new config",
        ))
        .stderr(predicate::str::contains("restored"));
    assert_eq!(target.read(CONFIG), DEBIAN_CONFIG, "the original is back");
}

#[test]
fn binary_may_be_an_unpacked_release_directory() {
    let target = Target::new();
    let release = tempfile::tempdir().expect("a release directory");
    let sidecar = release.path().join("pushgw-sidecar");
    fs::copy(&target.binary, &sidecar).expect("copying the stand-in");
    let release_dir = release.path().to_string_lossy().into_owned();
    target
        .command(&[
            "install",
            "--private-ip",
            "10.0.0.5",
            "--dry-run",
            "--binary",
            &release_dir,
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "binary: {}",
            sidecar.display()
        )));
}
