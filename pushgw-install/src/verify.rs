//! The checks the hands-on text does by eye, through the APIs: the gateway answers as ours, the
//! Prometheus target `pushgateway` is `up`, and a pushed probe comes back from a query under its
//! own job with no `exported_job` (which proves `honor_labels: true`) and a fresh
//! `push_time_seconds` (instant queries look back 5 minutes, spec/installer.md §0.8). The probe
//! group is deleted afterwards, so the trainee's own pushes start from a clean gateway.

use std::thread;
use std::time::{Duration, Instant};

use crate::clock;
use crate::error::{Class, Error, Result};
use crate::gateway::Gateway;
use crate::prom::{PromError, Prometheus};
use crate::promyaml::JOB_NAME;
use crate::ui::Ui;

/// The job of the probe group: its own, so that it never touches the trainee's `some_job`.
pub const PROBE_JOB: &str = "pushgw_install";
const PROBE_METRIC: &str = "pushgw_install_probe";
const POLL: Duration = Duration::from_secs(1);

/// What to check.
#[derive(Debug, Clone)]
pub struct Checks<'a> {
    /// The Prometheus that scrapes the gateway.
    pub prometheus: &'a Prometheus,
    /// The gateway on this machine.
    pub gateway: &'a Gateway,
    /// The external URL the gateway must report, when known.
    pub external_url: Option<&'a str>,
    /// How long to wait for the target and the probe; by default 3 scrape intervals + 10 s.
    pub timeout: Option<Duration>,
}

/// Runs every check, printing a step for each.
pub fn run(checks: &Checks<'_>, ui: &Ui) -> Result<()> {
    let gateway = check_gateway(checks, ui);
    let deadline = deadline(checks, ui)?;
    if let Err(not_answering) = gateway {
        // Say what Prometheus sees too, as its Targets page would: `down` and why.
        return Err(explain_down(checks, ui, deadline, not_answering));
    }
    check_target(checks, ui, deadline)?;
    let probe = check_probe(checks, ui, deadline);
    let step = ui.step("Delete the probe group", "確認用グループを削除");
    match checks.gateway.delete(PROBE_JOB) {
        Ok(response) if response.is_success() => step.done(&format!("job=\"{PROBE_JOB}\"")),
        Ok(response) => step.fail(&format!("HTTP {}", response.status)),
        Err(error) => step.fail(&error.to_string()),
    }
    probe
}

fn unreachable(prometheus: &Prometheus, error: &PromError) -> Error {
    Error::new(
        Class::Prometheus,
        format!(
            "Prometheus does not answer at {} ({error}): start it (`systemctl start prometheus`) or \
             pass --prometheus-url",
            prometheus.url("")
        ),
        format!(
            "{} の Prometheus が応答しません ({error})。Prometheus を起動するか \
             (`systemctl start prometheus`)、--prometheus-url で URL を指定してください",
            prometheus.url("")
        ),
    )
}

fn check_gateway(checks: &Checks<'_>, ui: &Ui) -> Result<()> {
    let step = ui.step("Gateway answers", "Pushgateway の応答");
    let url = checks.gateway.url("/-/ready");
    let not_running = |reason: String| {
        Error::new(
            Class::Verify,
            format!(
                "the gateway does not answer at {url} ({reason}): start it \
                 (`systemctl start pushgateway`; `journalctl -u pushgateway` shows why it stopped)"
            ),
            format!(
                "{url} で Pushgateway が応答しません ({reason})。起動してください \
                 (`systemctl start pushgateway`。停止の理由は `journalctl -u pushgateway` で確認できます)"
            ),
        )
    };
    match checks.gateway.is_ready() {
        Ok(true) => {}
        Ok(false) => return Err(fail(step, not_running("not ready".to_owned()))),
        Err(error) => return Err(fail(step, not_running(error.reason))),
    }
    if let Some(expected) = checks.external_url {
        let identity = checks
            .gateway
            .identity()
            .map_err(|error| not_running(error.reason))?;
        let actual = identity.map(|identity| identity.external_url);
        if actual.as_deref() != Some(expected) {
            let actual = actual.unwrap_or_else(|| "(no /api/v1/status)".to_owned());
            return Err(fail(
                step,
                Error::new(
                    Class::Verify,
                    format!(
                        "the gateway at {} has --web.external-url={actual}, expected {expected}: \
                         restart it with the installed unit (`systemctl restart pushgateway`)",
                        checks.gateway.url("")
                    ),
                    format!(
                        "{} の Pushgateway の --web.external-url が {actual} です ({expected} のはず)。\
                         インストールしたユニットで再起動してください (`systemctl restart pushgateway`)",
                        checks.gateway.url("")
                    ),
                ),
            ));
        }
    }
    step.done(&checks.gateway.url("/"));
    Ok(())
}

/// When waiting ends: `--timeout`, else 3 scrape intervals of the loaded `pushgateway` job plus
/// 10 s (new targets appear only 3 to 5 s after a reload, spec/installer.md §3.4).
fn deadline(checks: &Checks<'_>, ui: &Ui) -> Result<Instant> {
    let prometheus = checks.prometheus;
    let interval = prometheus
        .scrape_interval(JOB_NAME)
        .map_err(|error| unreachable(prometheus, &error))?
        .ok_or_else(|| {
            Error::new(
                Class::Verify,
                format!(
                    "the configuration Prometheus has loaded ({}) has no `{JOB_NAME}` job: run \
                     pushgw-install, or reload Prometheus if you added the job yourself",
                    prometheus.url("/api/v1/status/config")
                ),
                format!(
                    "Prometheus が読み込んでいる設定 ({}) に `{JOB_NAME}` ジョブがありません。\
                     pushgw-install を実行するか、自分で追加したなら Prometheus をリロードしてください",
                    prometheus.url("/api/v1/status/config")
                ),
            )
        })?;
    let timeout = checks
        .timeout
        .unwrap_or(interval * 3 + Duration::from_secs(10));
    ui.line(&format!(
        "    {} {}s, {} {}s",
        ui.pick("scrape interval", "スクレイプ間隔"),
        interval.as_secs_f64(),
        ui.pick("waiting at most", "最大待ち時間"),
        timeout.as_secs()
    ));
    Ok(Instant::now() + timeout)
}

/// Waits until Prometheus marks the target `down` (or the deadline passes) and adds its health
/// and lastError to `not_answering`.
fn explain_down(checks: &Checks<'_>, ui: &Ui, deadline: Instant, not_answering: Error) -> Error {
    let prometheus = checks.prometheus;
    let step = ui.step(
        "What Prometheus reports for the target `pushgateway`",
        "Prometheus から見たターゲット `pushgateway` の状態",
    );
    let target = loop {
        let target = match prometheus.target(JOB_NAME) {
            Ok(target) => target,
            Err(error) => return unreachable(prometheus, &error),
        };
        if target.as_ref().is_some_and(|t| t.health == "down") || Instant::now() >= deadline {
            break target;
        }
        thread::sleep(POLL);
    };
    let (health, last_error) = target.map_or(("absent".to_owned(), String::new()), |t| {
        (t.health, t.last_error)
    });
    step.fail(&format!("health={health} lastError={last_error}"));
    let url = prometheus.url("/targets");
    Error::new(
        Class::Verify,
        format!(
            "the target `{JOB_NAME}` is {health} in Prometheus (lastError: {last_error}; see {url}) \
             because {}",
            not_answering.message(crate::msg::Lang::En)
        ),
        format!(
            "Prometheus のターゲット `{JOB_NAME}` が {health} です (lastError: {last_error}。{url} を参照)。\
             原因: {}",
            not_answering.message(crate::msg::Lang::Ja)
        ),
    )
}

fn check_target(checks: &Checks<'_>, ui: &Ui, deadline: Instant) -> Result<()> {
    let prometheus = checks.prometheus;
    let step = ui.step(
        "Prometheus target `pushgateway` is up",
        "Prometheus のターゲット `pushgateway` が up",
    );
    let mut last = None;
    loop {
        let target = prometheus
            .target(JOB_NAME)
            .map_err(|error| unreachable(prometheus, &error))?;
        let state = match &target {
            None => ui
                .pick("not listed yet", "まだ表示されていません")
                .to_owned(),
            Some(target) if target.last_error.is_empty() => format!("health={}", target.health),
            Some(target) => format!("health={} lastError={}", target.health, target.last_error),
        };
        if target
            .as_ref()
            .is_some_and(|t| t.health == "up" && t.last_error.is_empty())
        {
            step.done(&state);
            return Ok(());
        }
        if last.as_ref() != Some(&state) {
            step.note(&state);
            step.progress(&state);
            last = Some(state);
        }
        if Instant::now() >= deadline {
            let (health, error) = target.map_or(("absent".to_owned(), String::new()), |t| {
                (t.health, t.last_error)
            });
            let url = prometheus.url("/targets");
            return Err(fail(
                step,
                Error::new(
                    Class::Verify,
                    format!(
                        "the target `{JOB_NAME}` is {health} in Prometheus (lastError: {error}); \
                         see {url}: is the gateway running (`systemctl status pushgateway`) on \
                         the port of the job's target?"
                    ),
                    format!(
                        "Prometheus のターゲット `{JOB_NAME}` が {health} です (lastError: {error})。\
                         {url} を確認してください。Pushgateway はジョブのターゲットのポートで起動していますか \
                         (`systemctl status pushgateway`)？"
                    ),
                ),
            ));
        }
        thread::sleep(POLL);
    }
}

fn check_probe(checks: &Checks<'_>, ui: &Ui, deadline: Instant) -> Result<()> {
    let prometheus = checks.prometheus;
    let step = ui.step(
        "A pushed metric reaches Prometheus with honor_labels",
        "push したメトリクスが honor_labels 付きで Prometheus に届く",
    );
    let pushed_at = clock::now_unix();
    // Millisecond resolution: the value is unique per run and survives the float round trip.
    let value = (pushed_at * 1000.0).round() / 1000.0;
    let body = format!("# TYPE {PROBE_METRIC} gauge\n{PROBE_METRIC} {value}\n");
    let push_url = checks.gateway.url(&format!("/metrics/job/{PROBE_JOB}"));
    let push_failed = |reason: String| {
        Error::new(
            Class::Verify,
            format!(
                "pushing the probe to {push_url} failed: {reason}; see `journalctl -u pushgateway`"
            ),
            format!(
                "{push_url} への確認用 push が失敗しました: {reason}。`journalctl -u pushgateway` を確認してください"
            ),
        )
    };
    match checks.gateway.push(PROBE_JOB, &body) {
        Ok(response) if response.is_success() => {}
        Ok(response) => {
            let reason = format!("HTTP {} {}", response.status, response.body.trim());
            return Err(fail(step, push_failed(reason)));
        }
        Err(error) => return Err(fail(step, push_failed(error.reason))),
    }
    let query = format!("{PROBE_METRIC}{{job=\"{PROBE_JOB}\"}}");
    let fresh_query = format!("push_time_seconds{{job=\"{PROBE_JOB}\"}}");
    let mut relabelled = false;
    loop {
        let samples = prometheus
            .query(&query)
            .map_err(|error| unreachable(prometheus, &error))?;
        let pushed = samples
            .iter()
            .any(|s| s.value == value && !s.labels.contains_key("exported_job"));
        // Without honor_labels the series has job="pushgateway", exported_job="pushgw_install".
        relabelled |= prometheus
            .query(&format!("{PROBE_METRIC}{{exported_job=\"{PROBE_JOB}\"}}"))
            .is_ok_and(|samples| !samples.is_empty());
        let fresh = pushed
            && prometheus
                .query(&fresh_query)
                .map_err(|error| unreachable(prometheus, &error))?
                .iter()
                .any(|s| s.value >= pushed_at.floor() - 1.0);
        if pushed && fresh {
            step.done(&format!("{query} = {value}"));
            return Ok(());
        }
        if Instant::now() >= deadline {
            let url = prometheus.url(&format!(
                "/graph?g0.expr={}",
                crate::http::encode_query_value(&query)
            ));
            let (en, ja) = if relabelled {
                (
                    "the probe arrived as exported_job: the `pushgateway` job lacks `honor_labels: true`; re-run pushgw-install with --force",
                    "確認用メトリクスが exported_job として届きました。`pushgateway` ジョブに `honor_labels: true` がありません。--force を付けて pushgw-install を再実行してください",
                )
            } else {
                (
                    "the probe did not show up in a query in time; check the target on Prometheus' Targets page and retry `pushgw-install verify`",
                    "確認用メトリクスが時間内にクエリに現れませんでした。Prometheus の Targets ページでターゲットを確認し、`pushgw-install verify` を再実行してください",
                )
            };
            return Err(fail(
                step,
                Error::new(
                    Class::Verify,
                    format!("{en} ({url})"),
                    format!("{ja} ({url})"),
                ),
            ));
        }
        thread::sleep(POLL);
    }
}

/// Marks `step` failed and passes `error` on.
fn fail(step: crate::ui::Step, error: Error) -> Error {
    step.fail("");
    error
}
