//! systemd: whether it runs, `systemctl`, and `systemd-analyze verify` of the generated unit.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::error::{Class, Error, Result};
use crate::files;
use crate::unit::UNIT_NAME;

/// Whether systemd is the running init system (`sd_booted()`'s test).
pub fn is_running() -> bool {
    Path::new("/run/systemd/system").is_dir()
}

/// Runs `systemctl <args>` and returns its stdout; a failure names the command and its output.
pub fn systemctl(args: &[&str]) -> Result<String> {
    let command = format!("systemctl {}", args.join(" "));
    let output = Command::new("systemctl")
        .args(args)
        .output()
        .map_err(|error| {
            Error::new(
                Class::Environment,
                format!("cannot run `{command}`: {error}; is systemd installed?"),
                format!(
                    "`{command}` を実行できません: {error}。systemd はインストールされていますか？"
                ),
            )
        })?;
    if output.status.success() {
        return Ok(String::from_utf8_lossy(&output.stdout).into_owned());
    }
    let stderr = String::from_utf8_lossy(&output.stderr).trim().to_owned();
    Err(Error::new(
        Class::Service,
        format!(
            "`{command}` failed ({}): {stderr}; see `systemctl status pushgateway` and \
             `journalctl -u pushgateway`",
            output.status
        ),
        format!(
            "`{command}` が失敗しました ({}): {stderr}。`systemctl status pushgateway` と \
             `journalctl -u pushgateway` で原因を確認してください",
            output.status
        ),
    ))
}

/// The result of [`analyze_verify`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verified {
    /// `systemd-analyze verify` found nothing to say.
    Clean,
    /// `systemd-analyze` is not installed: the unit was not checked.
    ToolMissing,
}

/// Checks `unit_text` with `systemd-analyze verify`, which works without a running systemd but
/// needs the file to be named `pushgateway.service` and its `ExecStart` binary to exist; it
/// exits 0 on warnings, so any output on stderr counts as a failure (spec/installer.md §0.3).
pub fn analyze_verify(unit_text: &str) -> Result<Verified> {
    let Some(analyze) = files::which("systemd-analyze") else {
        return Ok(Verified::ToolMissing);
    };
    let internal = |error: std::io::Error| {
        Error::new(
            Class::Environment,
            format!("cannot check the unit with systemd-analyze: {error}"),
            format!("systemd-analyze でユニットを検査できません: {error}"),
        )
    };
    let dir = tempfile::Builder::new()
        .prefix("pushgw-install-")
        .tempdir()
        .map_err(internal)?;
    let path = dir.path().join(UNIT_NAME);
    fs::write(&path, unit_text).map_err(internal)?;
    let output = Command::new(analyze)
        .arg("verify")
        .arg(&path)
        .output()
        .map_err(internal)?;
    let stderr = String::from_utf8_lossy(&output.stderr).trim().to_owned();
    if output.status.success() && stderr.is_empty() {
        Ok(Verified::Clean)
    } else {
        Err(Error::new(
            Class::Service,
            format!(
                "systemd-analyze verify rejects the generated {UNIT_NAME} ({}): {stderr}; please \
                 report this as a pushgw-install bug",
                output.status
            ),
            format!(
                "生成した {UNIT_NAME} を systemd-analyze verify が拒否しました ({}): {stderr}。\
                 pushgw-install の不具合として報告してください",
                output.status
            ),
        ))
    }
}
