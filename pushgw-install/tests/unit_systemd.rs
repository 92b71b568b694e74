//! The generated unit as systemd itself judges it (Debian package `systemd`; both commands work
//! without systemd running): `systemd-analyze verify` has nothing to say, and
//! `systemd-analyze security --offline=true` rates its exposure at most 2.0 (Debian's own
//! prometheus-pushgateway.service rates 9.2).

use std::fs;
use std::net::Ipv4Addr;
use std::process::Command;

use pushgw_install::unit::{self, UNIT_NAME, UnitSpec};
use pushgw_tests::find_program;

#[test]
fn systemd_analyze_verifies_the_unit_and_rates_it_safe() {
    let analyze = find_program("systemd-analyze", "systemd");
    let dir = tempfile::tempdir().expect("a temporary directory");
    // verify insists on an existing ExecStart binary; any executable will do.
    let binary = find_program("sh", "dash");
    let text = unit::render(&UnitSpec {
        binary: &binary,
        port: 9091,
        private_ip: Ipv4Addr::new(10, 0, 0, 5),
    })
    .expect("a verbatim path");
    let path = dir.path().join(UNIT_NAME);
    fs::write(&path, text).expect("writing the unit");

    let verify = Command::new(&analyze)
        .arg("verify")
        .arg(&path)
        .output()
        .expect("running systemd-analyze verify");
    let stderr = String::from_utf8_lossy(&verify.stderr);
    assert!(
        verify.status.success() && stderr.is_empty(),
        "{}: {stderr}",
        verify.status
    );

    let security = Command::new(&analyze)
        .args(["security", "--offline=true"])
        .arg(&path)
        .output()
        .expect("running systemd-analyze security");
    let report = String::from_utf8_lossy(&security.stdout);
    let score: f64 = report
        .lines()
        .find_map(|line| line.split_once("Overall exposure level for pushgateway.service: "))
        .and_then(|(_, rest)| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no exposure level in:\n{report}"));
    assert!(score <= 2.0, "exposure {score} > 2.0:\n{report}");
}
