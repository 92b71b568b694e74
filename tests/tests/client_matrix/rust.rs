//! Rust: the `prometheus` crate (0.14, a dev-dependency of this package) with its `push` feature,
//! called in-process: `push_metrics` (PUT) and `push_add_metrics` (POST).
//!
//! The crate's own limits, which the transcript records and both gateways must treat alike:
//! - it refuses a job name or grouping value containing `/` (`job contains '/'`) instead of
//!   base64-encoding it, and escapes nothing else: a space or non-ASCII is percent-encoded by the
//!   URL parser, an empty value leaves an empty path segment;
//! - it has no delete, no text format (always protobuf), no gzip;
//! - it has no summary type: the summary is built by hand as a protobuf `MetricFamily`, as a
//!   custom collector would.

use std::collections::HashMap;

use expect_test::expect_file;
use prometheus::proto::{MetricFamily, MetricType, Quantile};
use prometheus::{
    BasicAuthentication, CounterVec, Gauge, Histogram, HistogramOpts, Opts, Registry,
};

use crate::support::{Capabilities, Client, Metrics, Op, Pair, Step, auth_steps, standard_steps};

const CAPABILITIES: Capabilities = Capabilities {
    extra_formats: &[],
    gzip: false,
    delete: false,
};

/// The metric families of the scenario (see [`Metrics`]).
fn families(metrics: Metrics) -> Vec<MetricFamily> {
    let registry = Registry::new();
    let gauge = |name: &str, help: &str, value: f64| {
        let gauge = Gauge::new(name, help).expect("a valid gauge");
        gauge.set(value);
        registry
            .register(Box::new(gauge))
            .expect("registering a gauge");
    };
    if metrics == Metrics::Gauges {
        gauge(
            "demo_last_success_unixtime",
            "Last success.",
            1_700_000_100.0,
        );
        gauge("demo_records_processed", "Records processed.", 42.0);
        return registry.gather();
    }
    gauge(
        "demo_last_success_unixtime",
        "Last success.",
        1_700_000_000.5,
    );
    let jobs = CounterVec::new(Opts::new("demo_jobs_total", "Finished jobs."), &["kind"])
        .expect("a valid counter");
    jobs.with_label_values(&["a"]).inc_by(3.0);
    jobs.with_label_values(&["b"]).inc_by(1.5);
    let latency = Histogram::with_opts(
        HistogramOpts::new("demo_latency_seconds", "Latency.").buckets(vec![0.1, 1.0, 10.0]),
    )
    .expect("a valid histogram");
    for value in [0.05, 0.5, 5.0, 50.0] {
        latency.observe(value);
    }
    registry
        .register(Box::new(jobs))
        .expect("registering the counter");
    registry
        .register(Box::new(latency))
        .expect("registering the histogram");
    let mut families = registry.gather();
    families.push(summary());
    families
}

/// `demo_batch_size_bytes` after observing 1024 and 4096, with the quantiles Go's summary
/// reports for them.
fn summary() -> MetricFamily {
    let quantile = |quantile: f64, value: f64| {
        let mut q = Quantile::default();
        q.set_quantile(quantile);
        q.set_value(value);
        q
    };
    let mut summary = prometheus::proto::Summary::default();
    summary.set_sample_count(2);
    summary.set_sample_sum(5120.0);
    summary.set_quantile(vec![quantile(0.5, 1024.0), quantile(0.9, 4096.0)]);
    let mut metric = prometheus::proto::Metric::default();
    metric.set_summary(summary);
    let mut family = MetricFamily::default();
    family.set_name("demo_batch_size_bytes".to_owned());
    family.set_help("Batch size.".to_owned());
    family.set_field_type(MetricType::SUMMARY);
    family.set_metric(vec![metric]);
    family
}

struct RustClient;

impl Client for RustClient {
    fn run(&self, base_url: &str, step: &Step) -> String {
        let grouping: HashMap<String, String> = step
            .grouping
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        let auth = step
            .auth
            .credentials()
            .map(|(username, password)| BasicAuthentication {
                username: username.to_owned(),
                password: password.to_owned(),
            });
        let families = families(step.metrics);
        let result = match step.op {
            Op::Push => prometheus::push_metrics(step.job, grouping, base_url, families, auth),
            Op::Add => prometheus::push_add_metrics(step.job, grouping, base_url, families, auth),
            Op::Delete => return "client error: the crate has no delete".to_owned(),
        };
        match result {
            Ok(()) => "ok".to_owned(),
            Err(error) => {
                let message = error.to_string();
                // "unexpected status code 400 Bad Request while pushing to <url>"
                match message
                    .split_once("unexpected status code ")
                    .and_then(|(_, rest)| rest.split(' ').next())
                {
                    Some(code) => format!("status {code}"),
                    None => format!("client error: {message}"),
                }
            }
        }
    }
}

#[test]
fn rust_client_matches_the_reference() {
    let transcript = Pair::start().run(&RustClient, &standard_steps(CAPABILITIES));
    expect_file!["expected/rust.txt"].assert_eq(&transcript);
}

#[test]
fn rust_client_with_basic_auth_matches_the_reference() {
    let transcript = Pair::with_basic_auth().run(&RustClient, &auth_steps(CAPABILITIES));
    expect_file!["expected/rust_auth.txt"].assert_eq(&transcript);
}
