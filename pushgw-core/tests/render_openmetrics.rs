//! The OpenMetrics renderer: Go's layout where it is valid OpenMetrics 1.0, the specification
//! where Go has none (see the module docs of `pushgw_core::openmetrics`).

use expect_test::{Expect, expect};
use pushgw_core::model::{
    Bucket, Count, Counter, Exemplar, Histogram, LabelPair, Metric, MetricFamily, MetricType,
    Quantile, Summary, Timestamp, Value,
};
use pushgw_core::openmetrics;

fn family(name: &str, metric_type: MetricType, metrics: Vec<Metric>) -> MetricFamily {
    MetricFamily {
        name: name.to_owned(),
        help: None,
        metric_type,
        unit: None,
        metrics,
    }
}

fn metric(labels: &[(&str, &str)], value: Value) -> Metric {
    Metric {
        labels: labels
            .iter()
            .map(|&(name, value)| LabelPair::new(name, value))
            .collect(),
        value,
        timestamp_ms: None,
    }
}

fn exemplar(trace_id: &str, value: f64, timestamp: Option<Timestamp>) -> Exemplar {
    Exemplar {
        labels: vec![LabelPair::new("trace_id", trace_id)],
        value,
        timestamp,
    }
}

/// 1700000000.25 s, which Go's `float64(UnixNano()) / 1e9` prints as `1.7000000002499998e+09`.
const CREATED: Timestamp = Timestamp {
    seconds: 1_700_000_000,
    nanos: 250_000_000,
};

#[track_caller]
fn check(families: &[MetricFamily], expect: Expect) {
    let mut out = Vec::new();
    openmetrics::render(families, &mut out);
    expect.assert_eq(&String::from_utf8(out).expect("rendered text is UTF-8"));
}

#[test]
fn nothing_but_eof() {
    check(
        &[],
        expect![[r#"
        # EOF
    "#]],
    );
}

#[test]
fn counters_named_total_with_exemplar_and_created() {
    let mut requests = family(
        "requests_total",
        MetricType::Counter,
        vec![
            metric(
                &[("code", "200")],
                Value::Counter(Counter {
                    value: 1027.0,
                    exemplar: Some(Box::new(exemplar("abc\"1", 0.5, Some(CREATED)))),
                    created: Some(CREATED),
                }),
            ),
            metric(
                &[("code", "500")],
                Value::Counter(Counter {
                    value: 0.0,
                    exemplar: Some(Box::new(Exemplar::default())),
                    created: None,
                }),
            ),
        ],
    );
    requests.help = Some("Requests \"served\".\nBackslash: \\".to_owned());
    check(
        &[requests],
        expect![[r#"
            # HELP requests Requests \"served\".\nBackslash: \\
            # TYPE requests counter
            requests_total{code="200"} 1027.0 # {trace_id="abc\"1"} 0.5 1.7000000002499998e+09
            requests_created{code="200"} 1.7000000002499998e+09
            requests_total{code="500"} 0.0 # {} 0.0
            # EOF
        "#]],
    );
}

#[test]
fn counters_without_total_are_unknown_and_keep_their_name() {
    let value = Value::Counter(Counter {
        value: 3.0,
        exemplar: Some(Box::new(exemplar("x", 1.0, None))),
        created: Some(CREATED),
    });
    let mut requests = family("requests", MetricType::Counter, vec![metric(&[], value)]);
    requests.help = Some("No suffix.".to_owned());
    check(
        &[requests],
        expect![[r#"
            # HELP requests No suffix.
            # TYPE requests unknown
            requests 3.0
            # EOF
        "#]],
    );
}

#[test]
fn gauges_untyped_and_timestamps_in_seconds() {
    let mut stamped = metric(&[("a", "1")], Value::Gauge(-1.0));
    stamped.timestamp_ms = Some(1_700_000_000_123);
    let mut early = metric(&[("a", "2")], Value::Gauge(1e6));
    early.timestamp_ms = Some(-1500);
    check(
        &[
            family("g", MetricType::Gauge, vec![stamped, early]),
            family(
                "u",
                MetricType::Untyped,
                vec![
                    metric(&[], Value::Untyped(f64::NAN)),
                    metric(&[("x", "\\\n")], Value::Untyped(-0.0)),
                ],
            ),
        ],
        expect![[r#"
            # TYPE g gauge
            g{a="1"} -1.0 1.700000000123e+09
            g{a="2"} 1e+06 -1.5
            # TYPE u unknown
            u NaN
            u{x="\\\n"} 0.0
            # EOF
        "#]],
    );
}

#[test]
fn units_only_when_the_name_carries_them() {
    let gauge = || vec![metric(&[], Value::Gauge(21.5))];
    let mut with_suffix = family("temperature_celsius", MetricType::Gauge, gauge());
    with_suffix.unit = Some("celsius".to_owned());
    let mut without_suffix = family("temperature", MetricType::Gauge, gauge());
    without_suffix.unit = Some("celsius".to_owned());
    let mut counter = family(
        "energy_joules_total",
        MetricType::Counter,
        vec![metric(&[], Value::Counter(Counter::default()))],
    );
    counter.unit = Some("joules".to_owned());
    check(
        &[with_suffix, without_suffix, counter],
        expect![[r#"
            # TYPE temperature_celsius gauge
            # UNIT temperature_celsius celsius
            temperature_celsius 21.5
            # TYPE temperature gauge
            temperature 21.5
            # TYPE energy_joules counter
            # UNIT energy_joules joules
            energy_joules_total 0.0
            # EOF
        "#]],
    );
}

#[test]
fn summaries_with_created() {
    let value = Value::Summary(Summary {
        count: 1_234_567,
        sum: 17.5,
        quantiles: vec![
            Quantile {
                quantile: 0.5,
                value: 0.0123,
            },
            Quantile {
                quantile: 0.99,
                value: 1.0,
            },
        ],
        created: Some(CREATED),
    });
    check(
        &[family(
            "rpc_seconds",
            MetricType::Summary,
            vec![metric(&[("service", "a")], value)],
        )],
        expect![[r#"
            # TYPE rpc_seconds summary
            rpc_seconds{service="a",quantile="0.5"} 0.0123
            rpc_seconds{service="a",quantile="0.99"} 1.0
            rpc_seconds_sum{service="a"} 17.5
            rpc_seconds_count{service="a"} 1234567
            rpc_seconds_created{service="a"} 1.7000000002499998e+09
            # EOF
        "#]],
    );
}

fn histogram_value(created: Option<Timestamp>) -> Value {
    Value::Histogram(Box::new(Histogram {
        count: Count::Int(5),
        sum: 2.5,
        buckets: vec![
            Bucket {
                upper_bound: 0.1,
                cumulative_count: Count::Int(1),
                exemplar: Some(exemplar("t1", 0.05, None)),
            },
            Bucket {
                upper_bound: 1.0,
                cumulative_count: Count::Int(4),
                exemplar: None,
            },
        ],
        created,
        native: None,
    }))
}

#[test]
fn histograms_add_the_infinite_bucket_and_created() {
    // Whole float counts print as integers, as OpenMetrics wants; fractions survive as floats.
    let float_counts = Value::Histogram(Box::new(Histogram {
        count: Count::Float(2.5),
        sum: 1.0,
        buckets: vec![Bucket {
            upper_bound: 10.0,
            cumulative_count: Count::Float(2.0),
            exemplar: None,
        }],
        ..Histogram::default()
    }));
    check(
        &[family(
            "latency_seconds",
            MetricType::Histogram,
            vec![
                metric(&[("a", "b")], histogram_value(Some(CREATED))),
                metric(&[], float_counts),
            ],
        )],
        expect![[r##"
            # TYPE latency_seconds histogram
            latency_seconds_bucket{a="b",le="0.1"} 1 # {trace_id="t1"} 0.05
            latency_seconds_bucket{a="b",le="1.0"} 4
            latency_seconds_bucket{a="b",le="+Inf"} 5
            latency_seconds_sum{a="b"} 2.5
            latency_seconds_count{a="b"} 5
            latency_seconds_created{a="b"} 1.7000000002499998e+09
            latency_seconds_bucket{le="10.0"} 2
            latency_seconds_bucket{le="+Inf"} 2.5
            latency_seconds_sum 1.0
            latency_seconds_count 2.5
            # EOF
        "##]],
    );
}

#[test]
fn gauge_histograms_use_gcount_and_gsum() {
    check(
        &[family(
            "queue_size",
            MetricType::GaugeHistogram,
            vec![metric(&[], histogram_value(Some(CREATED)))],
        )],
        expect![[r#"
            # TYPE queue_size gaugehistogram
            queue_size_bucket{le="0.1"} 1 # {trace_id="t1"} 0.05
            queue_size_bucket{le="1.0"} 4
            queue_size_bucket{le="+Inf"} 5
            queue_size_gcount 5
            queue_size_gsum 2.5
            # EOF
        "#]],
    );
}

#[test]
fn empty_families_keep_their_descriptors_and_mismatches_render_as_what_they_are() {
    let mut empty = family("empty", MetricType::Gauge, vec![]);
    empty.help = Some(String::new());
    check(
        &[
            empty,
            family(
                "mixed",
                MetricType::Gauge,
                vec![
                    metric(
                        &[],
                        Value::Counter(Counter {
                            value: 1.0,
                            ..Counter::default()
                        }),
                    ),
                    metric(&[("k", "h")], histogram_value(Some(CREATED))),
                ],
            ),
        ],
        expect![[r##"
            # HELP empty 
            # TYPE empty gauge
            # TYPE mixed gauge
            mixed 1.0
            mixed_bucket{k="h",le="0.1"} 1
            mixed_bucket{k="h",le="1.0"} 4
            mixed_bucket{k="h",le="+Inf"} 5
            mixed_sum{k="h"} 2.5
            mixed_count{k="h"} 5
            # EOF
        "##]],
    );
}

#[test]
fn render_family_has_no_eof() {
    let mut out = Vec::new();
    openmetrics::render_family(
        &family("g", MetricType::Gauge, vec![metric(&[], Value::Gauge(1.0))]),
        &mut out,
    );
    assert_eq!(out, b"# TYPE g gauge\ng 1.0\n");
}
