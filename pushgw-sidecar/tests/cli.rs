//! The command line as a user meets it: `--help`, `--version`, and every kind of start-up
//! failure exiting non-zero with one line naming the problem (spec §17 Q15).

use assert_cmd::Command;
use predicates::prelude::*;

fn sidecar() -> Command {
    Command::cargo_bin("pushgw-sidecar").expect("binary built")
}

/// Runs with `args`, expects exit status 1 and exactly one stderr line containing `needles`.
#[track_caller]
fn check_start_up_failure(args: &[&str], needles: &[&str]) {
    let output = sidecar()
        .args(args)
        .timeout(std::time::Duration::from_secs(20))
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|line| line.starts_with("pushgw-sidecar: error:"))
        .collect();
    assert_eq!(errors.len(), 1, "{args:?}: {stderr}");
    for needle in needles {
        assert!(
            errors[0].contains(needle),
            "{args:?}: {:?} lacks {needle:?}",
            errors[0]
        );
    }
}

#[test]
fn version_names_the_program_and_exits_zero() {
    sidecar()
        .arg("--version")
        .assert()
        .success()
        .stdout(predicate::str::starts_with("pushgw-sidecar, version "))
        .stdout(predicate::str::contains("(branch: "))
        .stdout(predicate::str::contains("platform:"));
}

#[test]
fn help_lists_reference_flags_and_extras() {
    let assert = sidecar().arg("--help").assert().success();
    let output = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    for flag in [
        "--web.listen-address",
        "--web.systemd-socket",
        "--web.config.file",
        "--web.telemetry-path",
        "--web.external-url",
        "--web.route-prefix",
        "--web.enable-lifecycle",
        "--web.enable-admin-api",
        "--persistence.file",
        "--persistence.interval",
        "--push.disable-consistency-check",
        "--log.level",
        "--log.format",
        "--web.local-assets",
        "--web.max-body-bytes",
        "--web.read-header-timeout",
        "--web.read-timeout",
    ] {
        assert!(output.contains(flag), "--help lacks {flag}");
    }
    assert!(output.contains("Do not check consistency of pushed metrics. DANGEROUS."));
}

#[test]
fn bad_flags_are_one_line_errors() {
    check_start_up_failure(&["--bogus"], &["--bogus", "try --help"]);
    check_start_up_failure(
        &["--persistence.interval=abc"],
        &[r#"time: invalid duration "abc""#],
    );
    check_start_up_failure(&["--log.level=foo"], &["foo"]);
    check_start_up_failure(&["--web.enable-lifecycle=maybe"], &["maybe"]);
}

#[test]
fn a_taken_port_is_a_start_up_failure() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
    let address = taken.local_addr().expect("address").to_string();
    check_start_up_failure(
        &[&format!("--web.listen-address={address}")],
        &[&address, "in use"],
    );
}

#[test]
fn a_bad_web_config_is_a_start_up_failure_naming_file_and_problem() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("web.yml");
    let path_text = path.display().to_string();
    let flag = format!("--web.config.file={path_text}");
    let cases: [(&str, &[&str]); 4] = [
        ("tls_server_config:\n  cert_fil: x\n", &["cert_fil"]),
        (
            "basic_auth_users:\n  alice: plaintext\n",
            &["alice", "bcrypt"],
        ),
        (
            "tls_server_config:\n  cert_file: missing.pem\n  key_file: missing.key\n",
            &["cert_file", "missing.pem"],
        ),
        (
            "http_server_config:\n  headers:\n    Server: x\n",
            &["Server"],
        ),
    ];
    for (yaml, needles) in cases {
        std::fs::write(&path, yaml).expect("write config");
        let mut expected = vec![path_text.as_str()];
        expected.extend_from_slice(needles);
        check_start_up_failure(&[&flag, "--web.listen-address=127.0.0.1:0"], &expected);
    }
    check_start_up_failure(
        &[
            "--web.config.file=/nonexistent/web.yml",
            "--web.listen-address=127.0.0.1:0",
        ],
        &["/nonexistent/web.yml"],
    );
}

#[test]
fn systemd_socket_without_socket_activation_is_a_start_up_failure() {
    check_start_up_failure(
        &["--web.systemd-socket"],
        &["no socket activation file descriptors found"],
    );
}

#[test]
fn vsock_addresses_are_refused() {
    check_start_up_failure(&["--web.listen-address=vsock://:9100"], &["vsock"]);
}

/// The log before a start-up failure (a taken port) with these extra flags.
fn log_before_failure(flags: &[&str]) -> String {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
    let address = taken.local_addr().expect("address").to_string();
    let output = sidecar()
        .arg(format!("--web.listen-address={address}"))
        .args(flags)
        .timeout(std::time::Duration::from_secs(20))
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn log_lines_are_logfmt_by_default() {
    let log = log_before_failure(&[]);
    let first = log.lines().next().expect("a log line");
    assert!(first.starts_with("ts="), "{first}");
    assert!(
        first.contains(" level=info msg=\"starting pushgw-sidecar\""),
        "{first}"
    );
}

#[test]
fn log_format_json_writes_objects() {
    let log = log_before_failure(&["--log.format=json"]);
    let first = log.lines().next().expect("a log line");
    let object: serde_json::Value = serde_json::from_str(first).expect("a JSON log line");
    assert_eq!(object["level"], "info");
    assert_eq!(object["msg"], "starting pushgw-sidecar");
}

#[test]
fn log_level_filters() {
    let log = log_before_failure(&["--log.level=error"]);
    assert!(!log.contains("level=info"), "{log}");
    assert!(log.contains("pushgw-sidecar: error:"), "{log}");
}

#[test]
fn a_persistence_file_in_a_missing_directory_is_a_start_up_failure() {
    check_start_up_failure(
        &[
            "--persistence.file=/nonexistent/dir/pushgw.data",
            "--web.listen-address=127.0.0.1:0",
        ],
        &["/nonexistent/dir/pushgw.data"],
    );
}

#[test]
fn persistence_sync_without_a_persistence_file_is_a_start_up_failure() {
    check_start_up_failure(
        &["--persistence.sync", "--web.listen-address=127.0.0.1:0"],
        &["--persistence.sync needs --persistence.file"],
    );
}
