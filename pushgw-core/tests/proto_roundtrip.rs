//! Round trip of the protobuf codec as a property: `proto::decode(&proto::encode(x)) == x` for
//! every model in normal form.
//!
//! Normal form is what `decode` itself produces, because protobuf cannot tell the other forms
//! apart: a `Count::Float` is greater than zero (a float count of zero or less reads back as
//! the integer count), `NativeBuckets::Counts` is not empty (an empty list reads back as no
//! deltas), and floats are compared with `==`, so NaN is left to the second property, which
//! compares bytes instead. Values may mismatch their family's type: that must survive too.

use proptest::collection::vec;
use proptest::num::f64 as float;
use proptest::option;
use proptest::prelude::*;
use pushgw_core::model::{
    Bucket, BucketSpan, Count, Counter, Exemplar, Histogram, LabelPair, Metric, MetricFamily,
    MetricType, NativeBuckets, NativeHistogram, Quantile, Summary, Timestamp, Value,
};
use pushgw_core::proto;

/// Any float but NaN: signed zeros, subnormals, infinities included.
fn any_float() -> impl Strategy<Value = f64> {
    float::POSITIVE
        | float::NEGATIVE
        | float::NORMAL
        | float::SUBNORMAL
        | float::ZERO
        | float::INFINITE
}

/// Any float, NaN (with any payload) included.
fn any_float_or_nan() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => any_float(),
        1 => any::<u64>().prop_map(|bits| f64::from_bits(bits | 0x7ff0_0000_0000_0001)),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), "[a-z_]{1,8}", any::<String>()]
}

fn labels() -> impl Strategy<Value = Vec<LabelPair>> {
    vec(
        (text(), text()).prop_map(|(name, value)| LabelPair { name, value }),
        0..3,
    )
}

fn timestamp() -> impl Strategy<Value = Timestamp> {
    (any::<i64>(), any::<i32>()).prop_map(|(seconds, nanos)| Timestamp { seconds, nanos })
}

fn exemplar(f: fn() -> BoxedStrategy<f64>) -> impl Strategy<Value = Exemplar> {
    (labels(), f(), option::of(timestamp())).prop_map(|(labels, value, timestamp)| Exemplar {
        labels,
        value,
        timestamp,
    })
}

fn count(f: fn() -> BoxedStrategy<f64>) -> impl Strategy<Value = Count> {
    prop_oneof![
        any::<u64>().prop_map(Count::Int),
        f().prop_filter("a float count is positive", |value| *value > 0.0)
            .prop_map(Count::Float),
    ]
}

fn native_buckets(f: fn() -> BoxedStrategy<f64>) -> impl Strategy<Value = NativeBuckets> {
    prop_oneof![
        vec(any::<i64>(), 0..4).prop_map(NativeBuckets::Deltas),
        vec(f(), 1..4).prop_map(NativeBuckets::Counts),
    ]
}

fn spans() -> impl Strategy<Value = Vec<BucketSpan>> {
    vec(
        (any::<i32>(), any::<u32>()).prop_map(|(offset, length)| BucketSpan { offset, length }),
        0..3,
    )
}

fn native(f: fn() -> BoxedStrategy<f64>) -> impl Strategy<Value = NativeHistogram> {
    (
        (any::<i32>(), f(), count(f)),
        (spans(), native_buckets(f), spans(), native_buckets(f)),
        vec(exemplar(f), 0..2),
    )
        .prop_map(
            |(
                (schema, zero_threshold, zero_count),
                (negative_spans, negative, positive_spans, positive),
                exemplars,
            )| NativeHistogram {
                schema,
                zero_threshold,
                zero_count,
                negative_spans,
                negative,
                positive_spans,
                positive,
                exemplars,
            },
        )
}

fn histogram(f: fn() -> BoxedStrategy<f64>) -> impl Strategy<Value = Histogram> {
    let bucket = (f(), count(f), option::of(exemplar(f))).prop_map(
        |(upper_bound, cumulative_count, exemplar)| Bucket {
            upper_bound,
            cumulative_count,
            exemplar,
        },
    );
    (
        count(f),
        f(),
        vec(bucket, 0..3),
        option::of(timestamp()),
        option::of(native(f)),
    )
        .prop_map(|(count, sum, buckets, created, native)| Histogram {
            count,
            sum,
            buckets,
            created,
            native,
        })
}

fn value(f: fn() -> BoxedStrategy<f64>) -> impl Strategy<Value = Value> {
    let counter = (f(), option::of(exemplar(f)), option::of(timestamp())).prop_map(
        |(value, exemplar, created)| {
            Value::Counter(Counter {
                value,
                exemplar: exemplar.map(Box::new),
                created,
            })
        },
    );
    let quantile = (f(), f()).prop_map(|(quantile, value)| Quantile { quantile, value });
    let summary = (
        any::<u64>(),
        f(),
        vec(quantile, 0..3),
        option::of(timestamp()),
    )
        .prop_map(|(count, sum, quantiles, created)| {
            Value::Summary(Summary {
                count,
                sum,
                quantiles,
                created,
            })
        });
    prop_oneof![
        counter,
        f().prop_map(Value::Gauge),
        f().prop_map(Value::Untyped),
        summary,
        histogram(f).prop_map(|histogram| Value::Histogram(Box::new(histogram))),
    ]
}

fn metric_type() -> impl Strategy<Value = MetricType> {
    (0..6).prop_map(|number| MetricType::from_proto_number(number).expect("0..6 are defined"))
}

fn families(f: fn() -> BoxedStrategy<f64>) -> impl Strategy<Value = Vec<MetricFamily>> {
    let metric =
        (labels(), value(f), option::of(any::<i64>())).prop_map(|(labels, value, timestamp_ms)| {
            Metric {
                labels,
                value,
                timestamp_ms,
            }
        });
    let family = (
        text(),
        option::of(text()),
        metric_type(),
        option::of(text()),
        vec(metric, 0..3),
    )
        .prop_map(|(name, help, metric_type, unit, metrics)| MetricFamily {
            name,
            help,
            metric_type,
            unit,
            metrics,
        });
    vec(family, 0..3)
}

fn no_nan() -> BoxedStrategy<f64> {
    any_float().boxed()
}

fn with_nan() -> BoxedStrategy<f64> {
    any_float_or_nan().boxed()
}

fn encode(families: &[MetricFamily]) -> Vec<u8> {
    let mut out = Vec::new();
    proto::encode(families, &mut out);
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn decode_inverts_encode(families in families(no_nan)) {
        prop_assert_eq!(proto::decode(&encode(&families)), Ok(families));
    }

    /// With NaN about, `==` cannot judge; the bytes can, and they carry every NaN's payload.
    #[test]
    fn decode_inverts_encode_bit_for_bit(families in families(with_nan)) {
        let bytes = encode(&families);
        let decoded = proto::decode(&bytes).expect("our own encoding decodes");
        prop_assert_eq!(encode(&decoded), bytes);
    }

    /// A corrupted body is rejected or decoded, never a panic; and what decodes is in normal form,
    /// so it survives another round trip unchanged.
    #[test]
    fn corrupted_bodies_decode_to_normal_form_or_fail(
        families in families(with_nan),
        edits in vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
    ) {
        let mut bytes = encode(&families);
        if bytes.is_empty() {
            bytes.push(0);
        }
        for (index, byte) in edits {
            let at = index.index(bytes.len());
            bytes[at] = byte;
        }
        if let Ok(decoded) = proto::decode(&bytes) {
            let encoded = encode(&decoded);
            let again = proto::decode(&encoded).expect("our own encoding decodes");
            prop_assert_eq!(encode(&again), encoded);
        }
    }

    /// `encode` appends: a stream is its families' messages back to back.
    #[test]
    fn encode_is_encode_family_in_sequence(families in families(no_nan)) {
        let mut one_by_one = Vec::new();
        for family in &families {
            proto::encode_family(family, &mut one_by_one);
        }
        prop_assert_eq!(encode(&families), one_by_one);
    }
}
