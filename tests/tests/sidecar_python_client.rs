//! The Python client library (`prometheus_client` from PyPI, pinned in `scripts/test.sh`) pushes,
//! push-adds and deletes against our binary, and the same script against the Go Pushgateway:
//! after every step both gateways must expose the same pushed families (timestamps masked).
//!
//! The script covers the four metric types and a grouping key whose values hold a `/` (the client
//! switches to `@base64`), a space and the empty string (`@base64/=`).

use std::process::Command;

use pushgw_tests::exposition::pushed_family_blocks;
use pushgw_tests::{Gateway, Target, find_program, http};

/// The pinned version `scripts/test.sh` installs.
const PIN: &str = "prometheus_client==0.26.0";

/// One step of the client's life, run as `python3 -c SCRIPT <address> <step>`.
const SCRIPT: &str = r#"
import sys
from prometheus_client import (CollectorRegistry, Counter, Gauge, Histogram, Summary,
                               push_to_gateway, pushadd_to_gateway, delete_from_gateway)

address, step = sys.argv[1], sys.argv[2]
key = {'path': 'var/log', 'zone': 'eu west', 'empty': ''}

if step == 'push':
    registry = CollectorRegistry()
    jobs = Counter('jobs', 'Finished jobs.', ['kind'], registry=registry)
    jobs.labels('a').inc(3)
    jobs.labels('b').inc(1.5)
    Gauge('last_success_unixtime', 'Last success.', registry=registry).set(1700000000.5)
    latency = Histogram('latency_seconds', 'Latency.', buckets=(0.1, 1, 10), registry=registry)
    for value in (0.05, 0.5, 5, 50):
        latency.observe(value)
    size = Summary('batch_size_bytes', 'Batch size.', registry=registry)
    size.observe(1024)
    size.observe(4096)
    push_to_gateway(address, job='batch/python', registry=registry, grouping_key=key)
elif step == 'pushadd':
    registry = CollectorRegistry()
    Gauge('records_processed', 'Records processed.', registry=registry).set(42)
    Gauge('last_success_unixtime', 'Last success.', registry=registry).set(1700000100)
    pushadd_to_gateway(address, job='batch/python', registry=registry, grouping_key=key)
elif step == 'push_other':
    registry = CollectorRegistry()
    Gauge('other_value', 'Another group.', registry=registry).set(-1)
    push_to_gateway(address, job='other python', registry=registry)
elif step == 'delete':
    delete_from_gateway(address, job='batch/python', grouping_key=key)
else:
    sys.exit('unknown step ' + step)
"#;

/// Fails (never skips) when the module is missing, saying how to install it.
fn python3() -> std::path::PathBuf {
    let python = find_program("python3", "python3");
    let import = Command::new(&python)
        .args(["-c", "import prometheus_client"])
        .output()
        .expect("running python3");
    assert!(
        import.status.success(),
        "the Python module prometheus_client is missing: run `python3 -m pip install '{PIN}'` \
         (scripts/test.sh does it); python3 said: {}",
        String::from_utf8_lossy(&import.stderr)
    );
    python
}

fn run_step(gateway: &Gateway, step: &str) {
    let output = Command::new(python3())
        .args(["-c", SCRIPT, &gateway.address(), step])
        .output()
        .expect("running python3");
    assert!(
        output.status.success(),
        "step {step} against {}: python3 failed ({}): {}",
        gateway.target(),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The pushed families of the gateway's `/metrics`, with every timestamp-like value (the
/// gateway's push times, the client's `_created` samples) masked as `T`.
fn pushed(gateway: &Gateway) -> String {
    let scraped = http::get(&gateway.url("/metrics"))
        .and_then(|r| r.success())
        .unwrap_or_else(|e| panic!("scraping {}: {e}", gateway.target()));
    let mut out = String::new();
    for block in pushed_family_blocks(&scraped.text()) {
        let masked = block.name.starts_with("push_") || block.name.ends_with("_created");
        for line in block.text.lines() {
            match line.rsplit_once(' ') {
                Some((series, value)) if masked && !line.starts_with('#') => {
                    let value = if value == "0" { "0" } else { "T" };
                    out.push_str(&format!("{series} {value}\n"));
                }
                _ => {
                    out.push_str(line);
                    out.push('\n');
                }
            }
        }
    }
    out
}

#[test]
fn python_client_push_pushadd_delete_match_the_reference() {
    let go = Target::Go.start(&[]);
    let ours = Target::Pushgw.start(&[]);
    let mut after = Vec::new();
    for step in ["push", "pushadd", "push_other", "delete"] {
        run_step(&go, step);
        run_step(&ours, step);
        // Deletes answer 202 and may apply later (spec §3.8); the Python client only returns
        // once the answer is in, and the reference applies before its next scrape in practice,
        // but poll anyway rather than trust timing.
        let expected = pushed(&go);
        pushgw_tests::wait_until(
            std::time::Duration::from_secs(10),
            &format!("equal pushed families after step {step}"),
            || {
                let actual = pushed(&ours);
                if actual == pushed(&go) {
                    Ok(true)
                } else {
                    Err(format!(
                        "they differ\n--- Go\n{expected}\n--- pushgw\n{actual}"
                    ))
                }
            },
        );
        after.push((step, pushed(&ours)));
    }

    // What the steps must have done, beyond agreeing with the reference.
    let group = r#"empty="",instance="",job="batch/python",path="var/log",zone="eu west""#;
    let (_, pushed_once) = &after[0];
    for line in [
        // Labels are sorted by name: `kind` goes between `job` and `path`.
        r#"jobs_total{empty="",instance="",job="batch/python",kind="a",path="var/log",zone="eu west"} 3"#.to_owned(),
        r#"jobs_total{empty="",instance="",job="batch/python",kind="b",path="var/log",zone="eu west"} 1.5"#.to_owned(),
        format!(r#"last_success_unixtime{{{group}}} 1.7000000005e+09"#),
        format!(r#"latency_seconds_bucket{{{group},le="+Inf"}} 4"#),
        format!(r#"latency_seconds_sum{{{group}}} 55.55"#),
        format!(r#"batch_size_bytes_count{{{group}}} 2"#),
        format!(r#"batch_size_bytes_sum{{{group}}} 5120"#),
    ] {
        assert!(
            pushed_once.lines().any(|l| l == line),
            "after push, no `{line}` in\n{pushed_once}"
        );
    }
    let (_, added) = &after[1];
    assert!(
        added.contains(&format!("records_processed{{{group}}} 42\n")),
        "{added}"
    );
    assert!(
        added.contains(&format!("last_success_unixtime{{{group}}} 1.7000001e+09\n")),
        "{added}"
    );
    assert!(
        added.contains("latency_seconds_count"),
        "pushadd keeps the other families: {added}"
    );
    let (_, deleted) = &after[3];
    assert!(!deleted.contains("batch/python"), "{deleted}");
    assert!(
        deleted.contains(r#"other_value{instance="",job="other python"} -1"#),
        "{deleted}"
    );
}
