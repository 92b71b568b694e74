//! Drop-in for Debian's `prometheus-pushgateway` package: its systemd unit, with `ExecStart`
//! pointing at our binary and everything else kept (`$ARGS` from the same `EnvironmentFile`),
//! passes `systemd-analyze verify`, and our binary starts and serves with exactly the arguments
//! that unit passes plus the defaults Debian compiles into its Go binary.

use std::fs;
use std::process::Command;

use pushgw_tests::{PushgwSidecar, find_program, http, workspace_binary};

const UNIT: &str = "/lib/systemd/system/prometheus-pushgateway.service";
const ENVIRONMENT_FILE: &str = "/etc/default/prometheus-pushgateway";
const GO_BINARY: &str = "/usr/bin/prometheus-pushgateway";

#[track_caller]
fn read(path: &str) -> String {
    // Both files come with the Debian package; the harness never skips for a missing one.
    fs::read_to_string(path).unwrap_or_else(|e| {
        panic!("reading {path}: {e}; install the Debian package prometheus-pushgateway")
    })
}

/// Debian's unit with our binary in `ExecStart`, nothing else changed.
fn dropin_unit(binary: &str) -> String {
    let unit = read(UNIT);
    let exec_start = format!("ExecStart={GO_BINARY} $ARGS");
    assert!(
        unit.lines().any(|line| line == exec_start),
        "Debian's unit no longer has `{exec_start}`:\n{unit}"
    );
    assert!(
        unit.lines()
            .any(|line| line == format!("EnvironmentFile={ENVIRONMENT_FILE}")),
        "Debian's unit no longer reads {ENVIRONMENT_FILE}:\n{unit}"
    );
    unit.replace(&exec_start, &format!("ExecStart={binary} $ARGS"))
}

/// The words of `ARGS="..."` in the environment file (Debian ships it empty).
fn debian_args() -> Vec<String> {
    let environment = read(ENVIRONMENT_FILE);
    let value = environment
        .lines()
        .find_map(|line| line.trim().strip_prefix("ARGS="))
        .unwrap_or_else(|| panic!("no ARGS= line in {ENVIRONMENT_FILE}:\n{environment}"));
    value
        .trim_matches('"')
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

#[test]
fn debian_unit_with_our_binary_verifies() {
    let systemd_analyze = find_program("systemd-analyze", "systemd");
    let binary = workspace_binary("pushgw-sidecar", "pushgw-sidecar");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let unit_path = dir.path().join("prometheus-pushgateway.service");
    fs::write(&unit_path, dropin_unit(&binary.display().to_string())).expect("writing the unit");

    let output = Command::new(systemd_analyze)
        .arg("verify")
        .arg(&unit_path)
        .output()
        .expect("running systemd-analyze");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "systemd-analyze verify failed ({}): {stderr}",
        output.status
    );
    assert!(
        !stderr.contains("prometheus-pushgateway.service"),
        "systemd-analyze complains about the unit: {stderr}"
    );
}

#[test]
fn our_binary_serves_with_the_arguments_of_debians_unit() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let persistence = dir.path().join("pushgateway.data");
    // What Debian's Go binary has compiled in (`prometheus-pushgateway --help`): the unit relies
    // on these defaults. Installed under Debian's program name ours has the same persistence
    // default (next test); here it runs as `pushgw-sidecar`, so the file is passed explicitly,
    // inside the test's directory.
    let mut args = vec![
        "--web.local-assets=/usr/share/prometheus/pushgateway".to_owned(),
        format!("--persistence.file={}", persistence.display()),
    ];
    args.extend(debian_args());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let gateway = PushgwSidecar::start(&args);

    let pushed =
        http::put(&gateway.url("/metrics/job/dropin"), b"some_metric 3.14\n").expect("push");
    assert_eq!(pushed.status, 200, "{}", pushed.text());
    let scraped = http::get(&gateway.url("/metrics")).expect("scrape").text();
    assert!(
        scraped.contains("some_metric{instance=\"\",job=\"dropin\"} 3.14\n"),
        "{scraped}"
    );
    let healthy = http::get(&gateway.url("/-/healthy")).expect("healthy");
    assert_eq!(healthy.status, 200);

    // systemd stops it with SIGTERM (ExecReload sends SIGHUP, which must not stop it: §17 Q9).
    gateway.process().signal("HUP");
    let still = http::get(&gateway.url("/-/ready")).expect("ready after SIGHUP");
    assert_eq!(still.status, 200);
    gateway.process().signal("TERM");
    let status = gateway
        .process()
        .wait_exit(std::time::Duration::from_secs(20));
    assert!(status.success(), "exit after SIGTERM: {status}");
    assert!(
        persistence.exists(),
        "no persistence file at {} after SIGTERM",
        persistence.display()
    );
}

/// Debian's unit passes `ARGS=""` and relies on the Go binary's compiled-in
/// `--persistence.file=/var/lib/prometheus/pushgateway.data`: our binary, installed under
/// Debian's program name, must default to the same file, or replacing the binary would silently
/// drop persistence.
#[test]
fn under_debians_program_name_the_persistence_default_is_debians() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let renamed = dir.path().join("prometheus-pushgateway");
    let ours = workspace_binary("pushgw-sidecar", "pushgw-sidecar");
    std::os::unix::fs::symlink(&ours, &renamed).expect("a symlink in the temporary directory");
    let help = |program: &std::path::Path| {
        let output = Command::new(program)
            .arg("--help")
            .output()
            .unwrap_or_else(|e| panic!("{}: {e}", program.display()));
        assert!(
            output.status.success(),
            "{} --help: {output:?}",
            program.display()
        );
        // kingpin prints the help to stderr, clap to stdout.
        let text = String::from_utf8_lossy(&[output.stdout, output.stderr].concat()).into_owned();
        text.lines()
            .skip_while(|line| !line.contains("--persistence.file"))
            .take(2)
            .collect::<String>()
    };
    let reference = help(&find_program(
        "prometheus-pushgateway",
        "prometheus-pushgateway",
    ));
    assert!(
        reference.contains("/var/lib/prometheus/pushgateway.data"),
        "{reference}"
    );
    let renamed_help = help(&renamed);
    assert!(
        renamed_help.contains("[default: /var/lib/prometheus/pushgateway.data]"),
        "{renamed_help}"
    );
    let plain_help = help(&ours);
    assert!(plain_help.contains("[default: \"\"]"), "{plain_help}");
}
