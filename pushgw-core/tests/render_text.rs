//! The text-format renderer against the reference binary's output and against the edge cases
//! Go's encoder decides (spec §4.6).
//!
//! `render_data/go_text.prom` is the pushed part of `GET /metrics` of `prometheus-pushgateway`
//! 1.5.1 after `PUT /metrics/job/x` with a body exercising HELP escaping, label escaping, float
//! layouts, summaries and histograms (with and without `+Inf`, without any bucket, with counts
//! of a million and more). `go_families` builds the same families by hand, as the gateway
//! stores them: `instance=""` and `job="x"` added, labels sorted by name, metrics in the
//! gateway's order.

use expect_test::{Expect, expect};
use pushgw_core::model::{
    Bucket, BucketSpan, Count, Counter, Histogram, LabelPair, Metric, MetricFamily, MetricType,
    NativeBuckets, NativeHistogram, Quantile, Summary, Value,
};
use pushgw_core::text;

const GO_TEXT: &str = include_str!("render_data/go_text.prom");

fn family(
    name: &str,
    help: Option<&str>,
    metric_type: MetricType,
    metrics: Vec<Metric>,
) -> MetricFamily {
    MetricFamily {
        name: name.to_owned(),
        help: help.map(str::to_owned),
        metric_type,
        unit: None,
        metrics,
    }
}

/// A metric with the gateway's `instance=""` and `job="x"` merged into `extra`, sorted by name.
fn pushed(extra: &[(&str, &str)], value: Value) -> Metric {
    let mut labels: Vec<LabelPair> = [("instance", ""), ("job", "x")]
        .iter()
        .chain(extra)
        .map(|&(name, value)| LabelPair::new(name, value))
        .collect();
    labels.sort_by(|a, b| a.name.cmp(&b.name));
    Metric {
        labels,
        value,
        timestamp_ms: None,
    }
}

fn counter(value: f64) -> Value {
    Value::Counter(Counter {
        value,
        ..Counter::default()
    })
}

fn bucket(upper_bound: f64, count: u64) -> Bucket {
    Bucket {
        upper_bound,
        cumulative_count: Count::Int(count),
        exemplar: None,
    }
}

fn histogram(buckets: Vec<Bucket>, sum: f64, count: u64) -> Value {
    Value::Histogram(Box::new(Histogram {
        count: Count::Int(count),
        sum,
        buckets,
        ..Histogram::default()
    }))
}

#[expect(
    clippy::approx_constant,
    reason = "3.14 is the pushed value, not an approximation of pi"
)]
fn go_families() -> Vec<MetricFamily> {
    let gauge = |v: &str, value: f64| pushed(&[("v", v)], Value::Gauge(value));
    vec![
        family(
            "empty_help",
            None,
            MetricType::Gauge,
            vec![pushed(&[], Value::Gauge(1.0))],
        ),
        family(
            "latency",
            None,
            MetricType::Histogram,
            vec![
                pushed(
                    &[],
                    histogram(
                        vec![
                            bucket(0.005, 1),
                            bucket(0.01, 2),
                            bucket(0.1, 3),
                            bucket(1e-5, 0),
                            bucket(1e6, 4),
                            bucket(f64::INFINITY, 5),
                        ],
                        1.5,
                        5,
                    ),
                ),
                pushed(
                    &[("x", "big")],
                    histogram(vec![bucket(1.0, 1_000_000)], 9e9, 2_000_000),
                ),
                pushed(&[("x", "only-sum-count")], histogram(vec![], 2.0, 7)),
            ],
        ),
        family(
            "no_type_line",
            None,
            MetricType::Untyped,
            vec![pushed(&[], Value::Untyped(42.0))],
        ),
        family(
            "requests_total",
            Some("Requests \"served\", by code.\nSecond line with a backslash \\ here."),
            MetricType::Counter,
            vec![
                pushed(&[("code", "200"), ("path", "/a\"b\\c\nd")], counter(1027.0)),
                pushed(&[("code", "500"), ("path", "/")], counter(3.0)),
            ],
        ),
        family(
            "rpc_duration_seconds",
            Some("RPC latency."),
            MetricType::Summary,
            vec![
                pushed(
                    &[("service", "a")],
                    Value::Summary(Summary {
                        count: 1_234_567,
                        sum: 17.5,
                        quantiles: vec![
                            Quantile {
                                quantile: 0.5,
                                value: 0.0123,
                            },
                            Quantile {
                                quantile: 0.9,
                                value: 0.05,
                            },
                            Quantile {
                                quantile: 0.99,
                                value: 1.5e-7,
                            },
                        ],
                        created: None,
                    }),
                ),
                pushed(&[("service", "b")], Value::Summary(Summary::default())),
            ],
        ),
        family(
            "values",
            Some("Assorted float layouts."),
            MetricType::Gauge,
            vec![
                gauge("a", 0.0),
                gauge("b", -0.0),
                gauge("c", 1e6),
                gauge("d", 123456789.0),
                gauge("e", 0.00001),
                gauge("f", 0.0001),
                gauge("g", f64::NAN),
                gauge("h", f64::INFINITY),
                gauge("i", f64::NEG_INFINITY),
                gauge("j", 3.14),
                gauge("k", -1.0),
                gauge("l", f64::MAX),
                gauge("m", 5e-324),
                gauge("n", 999999.0),
                gauge("o", 100000.0),
                gauge("p", 1795620455.253358),
                gauge("q", 0.1),
                // The pushed 12345678901234567890 parses to this float.
                gauge("r", 1.2345678901234567e19),
            ],
        ),
    ]
}

fn render(families: &[MetricFamily]) -> String {
    let mut out = Vec::new();
    text::render(families, &mut out);
    String::from_utf8(out).expect("rendered text is UTF-8")
}

#[test]
fn byte_identical_to_the_reference_binary() {
    assert_eq!(render(&go_families()), GO_TEXT);
}

#[test]
fn render_family_appends_to_what_is_there() {
    let families = go_families();
    let mut out = b"prefix\n".to_vec();
    for family in &families {
        text::render_family(family, &mut out);
    }
    assert_eq!(out, format!("prefix\n{GO_TEXT}").into_bytes());
}

/// Captured from the 1.5.1 binary after a protobuf `PUT /metrics/job/pb` of a native-only
/// integer histogram and of a histogram with a present but empty HELP (its float counts are left
/// out here: the reference prints them as 0, we print them, see
/// `gauge_histograms_and_float_counts`).
#[test]
fn native_only_histograms_and_empty_help_as_the_reference_prints_them() {
    let native = Value::Histogram(Box::new(Histogram {
        count: Count::Int(5),
        sum: 7.0,
        buckets: vec![],
        created: None,
        native: Some(NativeHistogram {
            schema: 0,
            zero_threshold: 1e-128,
            zero_count: Count::Int(1),
            positive_spans: vec![BucketSpan {
                offset: 0,
                length: 2,
            }],
            positive: NativeBuckets::Deltas(vec![2, 1]),
            ..NativeHistogram::default()
        }),
    }));
    let empty_help = histogram(vec![bucket(1.0, 0)], 1.0, 0);
    let families = [
        family(
            "fh",
            Some(""),
            MetricType::Histogram,
            vec![pushed_to("pb", empty_help)],
        ),
        family(
            "nh",
            None,
            MetricType::Histogram,
            vec![pushed_to("pb", native)],
        ),
    ];
    assert_eq!(
        render(&families),
        "# HELP fh \n\
         # TYPE fh histogram\n\
         fh_bucket{instance=\"\",job=\"pb\",le=\"1\"} 0\n\
         fh_bucket{instance=\"\",job=\"pb\",le=\"+Inf\"} 0\n\
         fh_sum{instance=\"\",job=\"pb\"} 1\n\
         fh_count{instance=\"\",job=\"pb\"} 0\n\
         # TYPE nh histogram\n\
         nh_bucket{instance=\"\",job=\"pb\",le=\"+Inf\"} 5\n\
         nh_sum{instance=\"\",job=\"pb\"} 7\n\
         nh_count{instance=\"\",job=\"pb\"} 5\n"
    );
}

fn pushed_to(job: &str, value: Value) -> Metric {
    Metric {
        labels: vec![LabelPair::new("instance", ""), LabelPair::new("job", job)],
        value,
        timestamp_ms: None,
    }
}

#[track_caller]
fn check(families: &[MetricFamily], expect: Expect) {
    expect.assert_eq(&render(families));
}

fn plain(labels: &[(&str, &str)], value: Value) -> Metric {
    Metric {
        labels: labels
            .iter()
            .map(|&(name, value)| LabelPair::new(name, value))
            .collect(),
        value,
        timestamp_ms: None,
    }
}

#[test]
fn a_family_without_metrics_renders_nothing() {
    check(
        &[family("nothing", Some("help"), MetricType::Gauge, vec![])],
        expect![""],
    );
}

#[test]
fn empty_help_still_prints_the_help_line() {
    // Only protobuf pushes can carry a present-but-empty HELP (spec §4.3).
    check(
        &[family(
            "h",
            Some(""),
            MetricType::Untyped,
            vec![plain(&[], Value::Untyped(1.0))],
        )],
        expect![[r#"
            # HELP h 
            # TYPE h untyped
            h 1
        "#]],
    );
}

#[test]
fn timestamps_follow_every_value() {
    let mut metric = plain(&[("a", "b")], histogram(vec![bucket(1.0, 1)], 2.0, 3));
    metric.timestamp_ms = Some(-1234);
    let mut gauge = plain(&[], Value::Gauge(1.0));
    gauge.timestamp_ms = Some(1_700_000_000_000);
    check(
        &[
            family("h", None, MetricType::Histogram, vec![metric]),
            family("g", None, MetricType::Gauge, vec![gauge]),
        ],
        expect![[r#"
            # TYPE h histogram
            h_bucket{a="b",le="1"} 1 -1234
            h_bucket{a="b",le="+Inf"} 3 -1234
            h_sum{a="b"} 2 -1234
            h_count{a="b"} 3 -1234
            # TYPE g gauge
            g 1 1700000000000
        "#]],
    );
}

#[test]
fn gauge_histograms_and_float_counts() {
    let value = Value::Histogram(Box::new(Histogram {
        count: Count::Float(2.5),
        sum: -1.0,
        buckets: vec![Bucket {
            upper_bound: -0.5,
            cumulative_count: Count::Float(1.25),
            exemplar: None,
        }],
        ..Histogram::default()
    }));
    check(
        &[family(
            "gh",
            None,
            MetricType::GaugeHistogram,
            vec![plain(&[], value)],
        )],
        expect![[r#"
            # TYPE gh histogram
            gh_bucket{le="-0.5"} 1.25
            gh_bucket{le="+Inf"} 2.5
            gh_sum -1
            gh_count 2.5
        "#]],
    );
}

#[test]
fn summaries_without_labels_or_quantiles() {
    let value = Value::Summary(Summary {
        count: 3,
        sum: 0.5,
        quantiles: vec![Quantile {
            quantile: 0.5,
            value: f64::NAN,
        }],
        created: None,
    });
    check(
        &[family(
            "s",
            None,
            MetricType::Summary,
            vec![plain(&[], value)],
        )],
        expect![[r#"
            # TYPE s summary
            s{quantile="0.5"} NaN
            s_sum 0.5
            s_count 3
        "#]],
    );
}

#[test]
fn values_that_do_not_match_the_family_type_render_as_what_they_are() {
    check(
        &[family(
            "mixed",
            None,
            MetricType::Counter,
            vec![
                plain(&[("kind", "gauge")], Value::Gauge(1.5)),
                plain(&[("kind", "histogram")], histogram(vec![], 1.0, 1)),
            ],
        )],
        expect![[r#"
            # TYPE mixed counter
            mixed{kind="gauge"} 1.5
            mixed_bucket{kind="histogram",le="+Inf"} 1
            mixed_sum{kind="histogram"} 1
            mixed_count{kind="histogram"} 1
        "#]],
    );
}

#[test]
fn escapes_in_help_and_label_values() {
    check(
        &[family(
            "e",
            Some("a \"quoted\" \\ back\nslash"),
            MetricType::Gauge,
            vec![plain(
                &[("v", "\\\"\n\u{e9}\t"), ("w", "")],
                Value::Gauge(0.0),
            )],
        )],
        expect![[r#"
            # HELP e a "quoted" \\ back\nslash
            # TYPE e gauge
            e{v="\\\"\né	",w=""} 0
        "#]],
    );
}
