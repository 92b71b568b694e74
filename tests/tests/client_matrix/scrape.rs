//! Prometheus (Debian's 2.42) scraping each gateway with `honor_labels: true`, after the same
//! pushes by the Go client (protobuf) and the Python client (text, with `_created` gauges), must
//! see the same series with the same values (times masked).

use std::collections::BTreeSet;
use std::time::Duration;

use pushgw_tests::normalise::is_time_family;
use pushgw_tests::{Error, Prometheus, wait_until};
use serde_json::Value;

use crate::go::GoClient;
use crate::python::PythonClient;
use crate::support::{AWKWARD_KEYS, Client, Pair, Step};

/// Prometheus applies new targets about five seconds after it starts, then scrapes every second.
const SCRAPE_DEADLINE: Duration = Duration::from_secs(60);

/// The pushed series and the gateway's timestamps, not the gateways' own metrics.
const SERIES: &str = r#"{__name__=~"demo_.*|push_time_seconds|push_failure_time_seconds"}"#;

/// One series as `{name="value",...} value`, labels sorted, times masked.
fn series(sample: &Value) -> String {
    let labels = sample["metric"].as_object().into_iter().flatten();
    let name = sample["metric"]["__name__"].as_str().unwrap_or_default();
    let pairs: Vec<String> = labels
        .map(|(key, value)| format!("{key}={value}"))
        .collect();
    let value = &sample["value"][1];
    let value = if is_time_family(name) && *value != "0" {
        "T".to_owned()
    } else {
        value.to_string()
    };
    format!("{{{}}} {value}", pairs.join(","))
}

/// The pushed series Prometheus holds, once it has scraped all `groups` (a scrape is ingested
/// at once, so the groups' `push_time_seconds` come with all of their series).
fn scraped(prometheus: &Prometheus, groups: usize, which: &str) -> BTreeSet<String> {
    wait_until(
        SCRAPE_DEADLINE,
        &format!("Prometheus scraping {which} to hold the push times of {groups} groups"),
        || {
            let times = prometheus.query("push_time_seconds")?;
            let count = times.as_array().map_or(0, Vec::len);
            if count == groups {
                Ok(true)
            } else {
                Err(Error::new(format!("{count} groups: {times}")))
            }
        },
    );
    let result = prometheus
        .query(SERIES)
        .unwrap_or_else(|e| panic!("querying Prometheus scraping {which}: {e}"));
    result
        .as_array()
        .into_iter()
        .flatten()
        .map(series)
        .collect()
}

#[test]
fn prometheus_sees_the_same_series_from_both_gateways() {
    let pair = Pair::start();
    let steps = [
        (
            &GoClient as &dyn Client,
            Step::push("scraped", &AWKWARD_KEYS),
        ),
        (&GoClient, Step::push("scraped", &[]).format("text")),
        (
            &PythonClient::new(),
            Step::push("scraped python", &[("zone", "eu west")]),
        ),
    ];
    for (client, step) in &steps {
        pair.check(&format!("{step:?}"), |base_url| client.run(base_url, step));
    }
    let theirs = Prometheus::scraping(&pair.go().address());
    let ours = Prometheus::scraping(&pair.ours().address());
    let seen_from_theirs = scraped(&theirs, steps.len(), "the Go Pushgateway");
    let seen_from_ours = scraped(&ours, steps.len(), "pushgw-sidecar");
    assert_eq!(
        seen_from_ours, seen_from_theirs,
        "Prometheus sees different series from pushgw-sidecar than from the Go Pushgateway"
    );
    // Labels as Prometheus stores them: the job pushed (honor_labels), not `pushgateway`; the
    // empty `instance` and `empty` labels dropped; the Go client's space arrives as `+`.
    let expected = r#"{__name__="demo_jobs_total",job="scraped",kind="a",name="Björn",path="var/log",zone="eu+west"} "3""#;
    assert!(
        seen_from_ours.contains(expected),
        "no {expected} in {seen_from_ours:#?}"
    );
}
