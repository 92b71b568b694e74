//! `text::parse(&text::render(x)) == x` for every model the text format can express (the STYLE's
//! round-trip invariant), and rendering the parse of a rendering changes nothing.
//!
//! "Can express" means the canonical form the parser produces: unique family names, at least one
//! metric per family, label sets unique within a family and free of `le`/`quantile`, histograms
//! whose last bucket is `+Inf` with the total count, integer counts below 2^53 (they travel as
//! `float64`), HELP absent or non-empty and not starting with a blank (the parser skips blanks
//! before HELP text, as Go's does), no NaN (it is never equal to itself), and none of the
//! protobuf-only parts (units, exemplars, created timestamps, native buckets, float counts,
//! gauge histograms).

use proptest::collection::{btree_set, vec};
use proptest::prelude::*;
use pushgw_core::model::{
    Bucket, Count, Counter, Histogram, LabelPair, Metric, MetricFamily, MetricType, Quantile,
    Summary, Value,
};
use pushgw_core::text;

/// Counts travel through the text format as floats; below 2^53 they come back exactly.
const MAX_COUNT: u64 = 1 << 53;

fn name() -> impl Strategy<Value = String> {
    "[a-zA-Z_:][a-zA-Z0-9_:]{0,12}"
}

fn label_name() -> impl Strategy<Value = String> {
    "[a-zA-Z_][a-zA-Z0-9_]{0,8}".prop_filter("reserved by summaries and histograms", |name| {
        name != "le" && name != "quantile" && !name.starts_with("__")
    })
}

/// Label values and HELP texts: anything, with the characters that need escaping made likely.
fn text_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9 ./:-]{0,12}",
        "[\\\\\"\n\t a-z\u{e9}\u{1F600}]{0,8}",
        any::<String>(),
    ]
}

fn float() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>().prop_filter("NaN never equals itself", |v| !v.is_nan()),
        (0u32..100_000).prop_map(f64::from),
        (0u32..100_000, 1i32..8).prop_map(|(m, k)| f64::from(m) / 10f64.powi(k)),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
    ]
}

fn count() -> impl Strategy<Value = u64> {
    prop_oneof![0u64..1_000, 0u64..MAX_COUNT]
}

fn value(metric_type: MetricType) -> BoxedStrategy<Value> {
    match metric_type {
        MetricType::Counter => float()
            .prop_map(|value| {
                Value::Counter(Counter {
                    value,
                    ..Counter::default()
                })
            })
            .boxed(),
        MetricType::Gauge => float().prop_map(Value::Gauge).boxed(),
        MetricType::Summary => (
            count(),
            float(),
            btree_set(0u32..1000, 0..4),
            vec(float(), 4),
        )
            .prop_map(|(count, sum, ranks, values)| {
                let quantiles = ranks
                    .into_iter()
                    .zip(values)
                    .map(|(rank, value)| Quantile {
                        quantile: f64::from(rank) / 1000.0,
                        value,
                    })
                    .collect();
                Value::Summary(Summary {
                    count,
                    sum,
                    quantiles,
                    created: None,
                })
            })
            .boxed(),
        MetricType::Histogram => (
            btree_set(-1000i32..1000, 0..6),
            vec(count(), 6),
            count(),
            float(),
        )
            .prop_map(|(bounds, mut counts, total, sum)| {
                counts.sort_unstable();
                let mut buckets: Vec<Bucket> = bounds
                    .into_iter()
                    .zip(counts)
                    .map(|(bound, count)| Bucket {
                        upper_bound: f64::from(bound) / 10.0,
                        cumulative_count: Count::Int(count.min(total)),
                        exemplar: None,
                    })
                    .collect();
                buckets.push(Bucket {
                    upper_bound: f64::INFINITY,
                    cumulative_count: Count::Int(total),
                    exemplar: None,
                });
                Value::Histogram(Box::new(Histogram {
                    count: Count::Int(total),
                    sum,
                    buckets,
                    ..Histogram::default()
                }))
            })
            .boxed(),
        MetricType::Untyped | MetricType::GaugeHistogram => {
            float().prop_map(Value::Untyped).boxed()
        }
    }
}

fn metric(metric_type: MetricType, index: usize) -> impl Strategy<Value = Metric> {
    (
        btree_set(label_name(), 0..4),
        vec(text_value(), 4),
        value(metric_type),
        proptest::option::of(any::<i64>()),
    )
        .prop_map(move |(names, values, value, timestamp_ms)| {
            // A label unique to the metric keeps label sets distinct, so lines never merge.
            let mut labels: Vec<LabelPair> = names
                .into_iter()
                .filter(|name| name != "series")
                .zip(values)
                .map(|(name, value)| LabelPair::new(name, value))
                .collect();
            labels.push(LabelPair::new("series", index.to_string()));
            Metric {
                labels,
                value,
                timestamp_ms,
            }
        })
}

fn family(name: String) -> impl Strategy<Value = MetricFamily> {
    (
        prop_oneof![
            Just(MetricType::Counter),
            Just(MetricType::Gauge),
            Just(MetricType::Summary),
            Just(MetricType::Histogram),
            Just(MetricType::Untyped),
        ],
        proptest::option::of(text_value().prop_filter(
            "the parser skips blanks before HELP text; empty HELP is protobuf-only",
            |help| !help.is_empty() && !help.starts_with([' ', '\t']),
        )),
        1usize..4,
    )
        .prop_flat_map(move |(metric_type, help, metrics)| {
            let name = name.clone();
            (0..metrics)
                .map(|index| metric(metric_type, index))
                .collect::<Vec<_>>()
                .prop_map(move |metrics| MetricFamily {
                    name: name.clone(),
                    help: help.clone(),
                    metric_type,
                    unit: None,
                    metrics,
                })
        })
}

/// Families with distinct names that no other family's `_sum`/`_count`/`_bucket` lines could be
/// mistaken for.
fn families() -> impl Strategy<Value = Vec<MetricFamily>> {
    btree_set(name(), 1..4)
        .prop_filter("suffixed names would merge into another family", |names| {
            names.iter().all(|name| {
                !["_sum", "_count", "_bucket"]
                    .iter()
                    .any(|suffix| name.ends_with(suffix))
            })
        })
        .prop_flat_map(|names| names.into_iter().map(family).collect::<Vec<_>>())
}

fn render(families: &[MetricFamily]) -> Vec<u8> {
    let mut out = Vec::new();
    text::render(families, &mut out);
    out
}

proptest! {
    #[test]
    fn parse_inverts_render(families in families()) {
        let rendered = render(&families);
        let parsed = text::parse(&rendered);
        prop_assert!(parsed.is_ok(), "{:?}\n{}", parsed, String::from_utf8_lossy(&rendered));
        prop_assert_eq!(parsed.expect("checked above"), families);
    }

    #[test]
    fn rendering_a_parse_is_a_fixed_point(families in families()) {
        let rendered = render(&families);
        let parsed = text::parse(&rendered).expect("a rendering parses");
        let rerendered = render(&parsed);
        prop_assert_eq!(
            String::from_utf8_lossy(&rerendered),
            String::from_utf8_lossy(&rendered)
        );
    }
}
