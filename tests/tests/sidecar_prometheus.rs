//! End to end with a real Prometheus (Debian's 2.42): a metric pushed with `curl`, exactly as the
//! training tutorial does it, shows up in Prometheus's query API with the pushed job label, and
//! the gateway's scrape target is `up`. Each scenario runs against our binary and, to show the
//! scenario itself is right, against the Go Pushgateway.

use std::process::Command;
use std::time::Duration;

use pushgw_tests::{Prometheus, Target, find_program, wait_for, wait_until};

/// Prometheus applies new targets about five seconds after it starts, then scrapes every second.
const SCRAPE_DEADLINE: Duration = Duration::from_secs(60);

/// Runs the tutorial's push command in a shell, as a trainee types it.
fn push_with_curl(push_url: &str) {
    let curl = find_program("curl", "curl");
    let output = Command::new("/bin/sh")
        .arg("-c")
        .arg(format!(
            r#"echo "some_metric 3.14" | "$0" --data-binary @- {push_url}"#
        ))
        .arg(&curl)
        .output()
        .expect("running /bin/sh");
    assert!(
        output.status.success(),
        "curl failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "",
        "a successful push answers with an empty body"
    );
}

/// Starts `target` with `args`, has Prometheus scrape it, pushes with curl, and waits for the
/// sample and the target's health.
fn pushed_metric_reaches_prometheus(target: Target, args: &[&str]) {
    let gateway = target.start(args);
    let prometheus = Prometheus::scraping(&gateway.address());
    push_with_curl(&gateway.url("/metrics/job/some_job"));

    let sample = wait_for(
        SCRAPE_DEADLINE,
        &format!("Prometheus to have some_metric from {target}"),
        || {
            let result = prometheus.query(r#"some_metric{job="some_job"}"#)?;
            Ok::<_, pushgw_tests::Error>(result.as_array().and_then(|r| r.first()).cloned())
        },
    );
    assert_eq!(sample["value"][1], "3.14", "{target}: {sample}");
    // honor_labels keeps the pushed job rather than the scrape job `pushgateway`; the empty
    // instance label the gateway adds is dropped by Prometheus.
    let labels = &sample["metric"];
    assert_eq!(labels["__name__"], "some_metric", "{target}: {sample}");
    assert_eq!(labels["job"], "some_job", "{target}: {sample}");
    assert!(labels.get("instance").is_none(), "{target}: {sample}");

    wait_until(
        SCRAPE_DEADLINE,
        &format!("the target {target} to be up"),
        || {
            let targets = prometheus.targets()?;
            let health = targets
                .as_array()
                .into_iter()
                .flatten()
                .filter(|t| t["labels"]["job"] == "pushgateway")
                .map(|t| t["health"].as_str().unwrap_or_default().to_owned())
                .collect::<Vec<_>>();
            match health.as_slice() {
                [up] if up == "up" => Ok(true),
                _ => Err(pushgw_tests::Error::new(format!("targets: {targets}"))),
            }
        },
    );
    // Prometheus's own view of the scrape agrees.
    let up = prometheus
        .query(r#"up{job="pushgateway"}"#)
        .expect("query up");
    assert_eq!(up[0]["value"][1], "1", "{target}: {up}");
}

/// The route prefix and external URL the training tutorial starts the gateway with, behind a
/// reverse proxy that strips `/<ip>/pushgateway`.
const TUTORIAL_ARGS: &[&str] = &[
    "--web.external-url=http://127.0.0.1/127.0.0.1/pushgateway/",
    "--web.route-prefix=/",
];

#[test]
fn pushgw_curl_push_reaches_prometheus() {
    pushed_metric_reaches_prometheus(Target::Pushgw, &[]);
}

#[test]
fn go_curl_push_reaches_prometheus() {
    pushed_metric_reaches_prometheus(Target::Go, &[]);
}

#[test]
fn pushgw_curl_push_reaches_prometheus_with_the_tutorial_prefix() {
    pushed_metric_reaches_prometheus(Target::Pushgw, TUTORIAL_ARGS);
}

#[test]
fn go_curl_push_reaches_prometheus_with_the_tutorial_prefix() {
    pushed_metric_reaches_prometheus(Target::Go, TUTORIAL_ARGS);
}
