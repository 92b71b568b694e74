//! Length-delimited `io.prometheus.client.MetricFamily` protobuf, decoded into and encoded from
//! the [model](crate::model).
//!
//! This is the body format of a push with `Content-Type: application/vnd.google.protobuf;
//! proto=io.prometheus.client.MetricFamily; encoding=delimited` and of a protobuf scrape: a stream
//! of `MetricFamily` messages (client_model `metrics.proto`, proto2, committed as
//! `pushgw-core/proto/metrics.proto`), each preceded by its length as a varint. The module owns
//! the wire format and the mapping to the model, nothing else: it does not validate names, reject
//! timestamps or deduplicate families by name (that is the store's job, spec §3.6), and it does not
//! look at content types (the gateway's).
//!
//! Decoding follows the reference gateway's decoder where the two can be told apart: the same
//! inputs are accepted (including its leniencies: unknown fields and fields with the wrong wire
//! type are skipped, a stream may end inside a length prefix), and where the reference answers
//! `400` with a specific text, so does [`DecodeError`]'s `Display` (spec §3.3). It is stricter
//! in four places, each a [`DecodeError`] variant of its own:
//! - a length prefix over the cap ([`DEFAULT_MAX_MESSAGE_LEN`]); the reference has none;
//! - an undefined metric type number; the reference stores the family and never exposes it;
//! - strings that are not UTF-8: the model cannot hold them; the reference's store rejects them
//!   in label values ("whose value is not utf8") and passes them through elsewhere;
//! - metrics without any value: the reference's store rejects them ("is not a GAUGE").
//!
//! Encoding writes what Go's `proto.Marshal` writes for the same data: fields in number order, set
//! proto2 fields even when zero, repeated scalars unpacked. `test_data/proto/go-1.5.1/` holds the
//! reference's own protobuf scrapes, which our encoder reproduces byte for byte.
//!
//! ```
//! use pushgw_core::model::{LabelPair, Metric, MetricFamily, MetricType, Value};
//! use pushgw_core::proto;
//!
//! let families = vec![MetricFamily {
//!     name: "some_metric".into(),
//!     help: None,
//!     metric_type: MetricType::Gauge,
//!     unit: None,
//!     metrics: vec![Metric {
//!         labels: vec![LabelPair::new("job", "some_job")],
//!         value: Value::Gauge(3.14),
//!         timestamp_ms: None,
//!     }],
//! }];
//! let mut body = Vec::new();
//! proto::encode(&families, &mut body);
//! assert_eq!(proto::decode(&body).unwrap(), families);
//! ```

mod schema;
mod wire;

use prost::Message as _;

use crate::model::{
    Bucket, BucketSpan, Count, Counter, Exemplar, Histogram, LabelPair, Metric, MetricFamily,
    MetricType, NativeBuckets, NativeHistogram, Quantile, Summary, Timestamp, Value,
};

/// The default cap on one message's length, used by [`decode`]: 64 MiB.
///
/// The reference gateway has no cap at all (it allocates whatever a length prefix asks for). A
/// single `MetricFamily` of 64 MiB is far beyond anything a client library pushes, while a
/// garbage prefix is stopped before anything is decoded. Callers with other needs use
/// [`decode_with_limit`]; the request body limit of the server is a separate matter.
///
/// ```
/// assert_eq!(pushgw_core::proto::DEFAULT_MAX_MESSAGE_LEN, 64 << 20);
/// ```
pub const DEFAULT_MAX_MESSAGE_LEN: usize = 64 << 20;

/// Go's `pbutil.ReadDelimited` reads the length prefix into a buffer of `binary.MaxVarintLen32`
/// bytes: a prefix that has not ended after five bytes is an error, whatever its value.
const MAX_PREFIX_LEN: usize = 5;

/// Why a protobuf body could not be decoded.
///
/// Where the reference gateway rejects the same body, the message is its text verbatim, so that
/// a `400` reads the same (spec §3.3, §12.6).
///
/// ```
/// use pushgw_core::proto::{decode, DecodeError};
///
/// // A length prefix of 10, followed by only three bytes.
/// let err = decode(b"\x0a\x0a\x01a").unwrap_err();
/// assert_eq!(err, DecodeError::UnexpectedEof);
/// assert_eq!(err.to_string(), "unexpected EOF");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The input ends inside a message, or a varint inside a message is truncated or overlong.
    #[error("unexpected EOF")]
    UnexpectedEof,
    /// A length prefix did not end within five bytes (so it is at least 2^35, e.g. 2^63).
    #[error("invalid varint32 encountered")]
    InvalidVarint,
    /// A length prefix asks for more than the caller's cap.
    #[error("message length {len} exceeds the limit of {limit} bytes")]
    MessageTooLarge {
        /// The length the prefix announced.
        len: u64,
        /// The cap that was in force.
        limit: usize,
    },
    /// A field key with field number 0.
    #[error("proto: {message}: illegal tag 0 (wire type {wire_type})")]
    IllegalTag {
        /// The Go name of the message being decoded, e.g. `io_prometheus_client.MetricFamily`.
        message: &'static str,
        /// The key's wire type.
        wire_type: u8,
    },
    /// A field key with wire type 4 outside a group, or the undefined wire types 6 and 7.
    #[error("proto: can't skip unknown wire type {0}")]
    UnknownWireType(u8),
    /// A string field that is not valid UTF-8 (proto2 does not guarantee it; the model needs it).
    #[error("{field} is not valid UTF-8: {value}")]
    InvalidUtf8 {
        /// Which string, e.g. `label value`.
        field: &'static str,
        /// The bytes, quoted with invalid bytes as `\xNN` escapes.
        value: String,
    },
    /// A family's `type` is a number `metrics.proto` does not define.
    #[error("metric family {family:?} has unknown metric type {number}")]
    UnknownMetricType {
        /// The family's name.
        family: String,
        /// The type number.
        number: i32,
    },
    /// A metric carries none of `gauge`, `counter`, `summary`, `untyped` and `histogram`.
    #[error("metric {index} of metric family {family:?} has no value")]
    MissingValue {
        /// The family's name.
        family: String,
        /// The metric's position in the family, from 0.
        index: usize,
    },
}

/// Decodes a stream of length-delimited `MetricFamily` messages, with the
/// [default cap](DEFAULT_MAX_MESSAGE_LEN) on a message's length.
///
/// Every message is returned, in order; two families with the same name stay two families.
/// An empty input is zero families.
///
/// ```
/// use pushgw_core::model::MetricType;
/// use pushgw_core::proto;
///
/// // One family: name "a" (field 1), type UNTYPED (field 3), no metrics.
/// let families = proto::decode(b"\x05\x0a\x01a\x18\x03").unwrap();
/// assert_eq!(families[0].name, "a");
/// assert_eq!(families[0].metric_type, MetricType::Untyped);
/// assert!(proto::decode(b"").unwrap().is_empty());
/// ```
pub fn decode(input: &[u8]) -> Result<Vec<MetricFamily>, DecodeError> {
    decode_with_limit(input, DEFAULT_MAX_MESSAGE_LEN)
}

/// Decodes like [`decode`], with a cap of `max_message_len` bytes on each message.
///
/// The stream ends cleanly where the reference gateway's reader stops without error: at the end
/// of the input, inside a length prefix, or right after a non-zero length prefix (Go's
/// `io.ReadFull` reports a read of no bytes at all as a plain `EOF`, which the gateway takes as
/// the end of the body; spec §3.3). A message cut short after its first byte is
/// [`DecodeError::UnexpectedEof`]. The cap is checked as soon as a prefix is read.
///
/// ```
/// use pushgw_core::proto::{decode_with_limit, DecodeError};
///
/// let err = decode_with_limit(b"\x80\x01", 100).unwrap_err();
/// assert_eq!(err, DecodeError::MessageTooLarge { len: 128, limit: 100 });
/// ```
pub fn decode_with_limit(
    input: &[u8],
    max_message_len: usize,
) -> Result<Vec<MetricFamily>, DecodeError> {
    let mut families = Vec::new();
    let mut rest = input;
    while !rest.is_empty() {
        let Some((len, prefix_len)) = read_prefix(rest)? else {
            break;
        };
        if len > max_message_len as u64 {
            return Err(DecodeError::MessageTooLarge {
                len,
                limit: max_message_len,
            });
        }
        // Lossless: `len` is at most the cap, a usize.
        let len = len as usize;
        let body = &rest[prefix_len..];
        if body.is_empty() && len > 0 {
            break;
        }
        let message = body.get(..len).ok_or(DecodeError::UnexpectedEof)?;
        families.push(decode_family(message)?);
        rest = &body[len..];
    }
    Ok(families)
}

/// Reads a length prefix the way Go's `pbutil.ReadDelimited` does: `None` when the input ends
/// inside it (a clean end for the reference), an error when it runs past five bytes.
fn read_prefix(input: &[u8]) -> Result<Option<(u64, usize)>, DecodeError> {
    let mut len = 0u64;
    for (index, &byte) in input.iter().take(MAX_PREFIX_LEN).enumerate() {
        len |= u64::from(byte & 0x7f) << (7 * index);
        if byte < 0x80 {
            return Ok(Some((len, index + 1)));
        }
    }
    if input.len() >= MAX_PREFIX_LEN {
        return Err(DecodeError::InvalidVarint);
    }
    Ok(None)
}

fn decode_family(message: &[u8]) -> Result<MetricFamily, DecodeError> {
    let cleaned = wire::sanitize(&schema::METRIC_FAMILY, message)?;
    // After `sanitize` only known fields with their declared wire types and complete payloads
    // remain, so prost has nothing left to reject; should that ever change, Go's text for
    // malformed input is the honest fallback.
    let family = schema::MetricFamily::decode(&*cleaned).map_err(|_| DecodeError::UnexpectedEof)?;
    family_from_proto(family)
}

/// Appends every family as a length-delimited `MetricFamily` message.
///
/// ```
/// use pushgw_core::model::{MetricFamily, MetricType};
/// use pushgw_core::proto;
///
/// let family = MetricFamily {
///     name: "a".into(),
///     help: None,
///     metric_type: MetricType::Untyped,
///     unit: None,
///     metrics: vec![],
/// };
/// let mut out = Vec::new();
/// proto::encode(&[family.clone(), family], &mut out);
/// assert_eq!(out, b"\x05\x0a\x01a\x18\x03\x05\x0a\x01a\x18\x03");
/// ```
pub fn encode(families: &[MetricFamily], out: &mut Vec<u8>) {
    for family in families {
        encode_family(family, out);
    }
}

/// Appends one family as a length-delimited `MetricFamily` message.
///
/// The bytes are what Go's `proto.Marshal` (plus `pbutil.WriteDelimited`) produces for the same
/// data, so a protobuf scrape can be compared byte for byte with the reference's. Where the model
/// does not record whether an optional field was present, the field is written as client_golang
/// would set it: `type` always; for a native histogram `schema`, `zero_threshold` and the zero
/// count always.
///
/// ```
/// use pushgw_core::model::{LabelPair, Metric, MetricFamily, MetricType, Value};
/// use pushgw_core::proto;
///
/// let family = MetricFamily {
///     name: "up".into(),
///     help: Some(String::new()),
///     metric_type: MetricType::Gauge,
///     unit: None,
///     metrics: vec![Metric { labels: vec![LabelPair::new("job", "")], value: Value::Gauge(1.0), timestamp_ms: None }],
/// };
/// let mut out = Vec::new();
/// proto::encode_family(&family, &mut out);
/// assert_eq!(out[0] as usize, out.len() - 1);
/// assert_eq!(proto::decode(&out).unwrap(), [family]);
/// ```
pub fn encode_family(family: &MetricFamily, out: &mut Vec<u8>) {
    family_to_proto(family)
        .encode_length_delimited(out)
        .expect("encoding into a Vec cannot run out of capacity: prost grows it as needed");
}

// ---------------------------------------------------------------------------------------------
// proto -> model

fn family_from_proto(family: schema::MetricFamily) -> Result<MetricFamily, DecodeError> {
    let name = utf8("metric name", family.name.unwrap_or_default())?;
    // An absent type reads as COUNTER, the enum's first value, as Go's `GetType` has it.
    let number = family.r#type.unwrap_or(0);
    let Some(metric_type) = MetricType::from_proto_number(number) else {
        return Err(DecodeError::UnknownMetricType {
            family: name,
            number,
        });
    };
    let help = family.help.map(|help| utf8("help", help)).transpose()?;
    let unit = family.unit.map(|unit| utf8("unit", unit)).transpose()?;
    let metrics = family
        .metric
        .into_iter()
        .enumerate()
        .map(|(index, metric)| metric_from_proto(metric, metric_type, &name, index))
        .collect::<Result<_, _>>()?;
    Ok(MetricFamily {
        name,
        help,
        metric_type,
        unit,
        metrics,
    })
}

fn metric_from_proto(
    metric: schema::Metric,
    metric_type: MetricType,
    family: &str,
    index: usize,
) -> Result<Metric, DecodeError> {
    let schema::Metric {
        label,
        mut gauge,
        mut counter,
        mut summary,
        mut untyped,
        mut histogram,
        timestamp_ms,
    } = metric;
    let labels = labels_from_proto(label, "label name", "label value")?;
    // The field the family's type asks for wins. Without it, whichever value is there is kept (in
    // field-number order), so that the store can reject the mismatch as the reference does
    // ("... is not a GAUGE", spec §3.6).
    let typed = match metric_type {
        MetricType::Counter => counter.take().map(counter_from_proto).transpose()?,
        MetricType::Gauge => gauge.take().map(gauge_from_proto),
        MetricType::Summary => summary.take().map(summary_from_proto),
        MetricType::Untyped => untyped.take().map(untyped_from_proto),
        MetricType::Histogram | MetricType::GaugeHistogram => {
            histogram.take().map(histogram_from_proto).transpose()?
        }
    };
    let value = match typed {
        Some(value) => value,
        None => match (gauge, counter, summary, untyped, histogram) {
            (Some(gauge), ..) => gauge_from_proto(gauge),
            (_, Some(counter), ..) => counter_from_proto(counter)?,
            (_, _, Some(summary), ..) => summary_from_proto(summary),
            (.., Some(untyped), _) => untyped_from_proto(untyped),
            (.., Some(histogram)) => histogram_from_proto(histogram)?,
            (None, None, None, None, None) => {
                return Err(DecodeError::MissingValue {
                    family: family.to_owned(),
                    index,
                });
            }
        },
    };
    Ok(Metric {
        labels,
        value,
        timestamp_ms,
    })
}

fn gauge_from_proto(gauge: schema::Gauge) -> Value {
    Value::Gauge(gauge.value.unwrap_or_default())
}

fn untyped_from_proto(untyped: schema::Untyped) -> Value {
    Value::Untyped(untyped.value.unwrap_or_default())
}

fn counter_from_proto(counter: schema::Counter) -> Result<Value, DecodeError> {
    Ok(Value::Counter(Counter {
        value: counter.value.unwrap_or_default(),
        exemplar: counter
            .exemplar
            .map(|exemplar| exemplar_from_proto(exemplar).map(Box::new))
            .transpose()?,
        created: counter.created_timestamp.map(timestamp_from_proto),
    }))
}

fn summary_from_proto(summary: schema::Summary) -> Value {
    Value::Summary(Summary {
        count: summary.sample_count.unwrap_or_default(),
        sum: summary.sample_sum.unwrap_or_default(),
        quantiles: summary
            .quantile
            .into_iter()
            .map(|quantile| Quantile {
                quantile: quantile.quantile.unwrap_or_default(),
                value: quantile.value.unwrap_or_default(),
            })
            .collect(),
        created: summary.created_timestamp.map(timestamp_from_proto),
    })
}

fn histogram_from_proto(histogram: schema::Histogram) -> Result<Value, DecodeError> {
    let is_native = histogram.schema.is_some()
        || histogram.zero_threshold.is_some()
        || histogram.zero_count.is_some()
        || histogram.zero_count_float.is_some()
        || !histogram.negative_span.is_empty()
        || !histogram.negative_delta.is_empty()
        || !histogram.negative_count.is_empty()
        || !histogram.positive_span.is_empty()
        || !histogram.positive_delta.is_empty()
        || !histogram.positive_count.is_empty()
        || !histogram.exemplars.is_empty();
    let native = if is_native {
        Some(NativeHistogram {
            schema: histogram.schema.unwrap_or_default(),
            zero_threshold: histogram.zero_threshold.unwrap_or_default(),
            zero_count: count(histogram.zero_count, histogram.zero_count_float),
            negative_spans: spans_from_proto(histogram.negative_span),
            negative: native_buckets(histogram.negative_delta, histogram.negative_count),
            positive_spans: spans_from_proto(histogram.positive_span),
            positive: native_buckets(histogram.positive_delta, histogram.positive_count),
            exemplars: histogram
                .exemplars
                .into_iter()
                .map(exemplar_from_proto)
                .collect::<Result<_, _>>()?,
        })
    } else {
        None
    };
    let buckets = histogram
        .bucket
        .into_iter()
        .map(|bucket| {
            Ok(Bucket {
                upper_bound: bucket.upper_bound.unwrap_or_default(),
                cumulative_count: count(bucket.cumulative_count, bucket.cumulative_count_float),
                exemplar: bucket.exemplar.map(exemplar_from_proto).transpose()?,
            })
        })
        .collect::<Result<_, DecodeError>>()?;
    Ok(Value::Histogram(Box::new(Histogram {
        count: count(histogram.sample_count, histogram.sample_count_float),
        sum: histogram.sample_sum.unwrap_or_default(),
        buckets,
        created: histogram.created_timestamp.map(timestamp_from_proto),
        native,
    })))
}

/// The float count overrides the integer one when it is greater than zero (`metrics.proto`'s
/// comments, and what Go's renderers do).
fn count(int: Option<u64>, float: Option<f64>) -> Count {
    match float {
        Some(float) if float > 0.0 => Count::Float(float),
        _ => Count::Int(int.unwrap_or_default()),
    }
}

fn native_buckets(deltas: Vec<i64>, counts: Vec<f64>) -> NativeBuckets {
    if counts.is_empty() {
        NativeBuckets::Deltas(deltas)
    } else {
        NativeBuckets::Counts(counts)
    }
}

fn spans_from_proto(spans: Vec<schema::BucketSpan>) -> Vec<BucketSpan> {
    spans
        .into_iter()
        .map(|span| BucketSpan {
            offset: span.offset.unwrap_or_default(),
            length: span.length.unwrap_or_default(),
        })
        .collect()
}

fn exemplar_from_proto(exemplar: schema::Exemplar) -> Result<Exemplar, DecodeError> {
    Ok(Exemplar {
        labels: labels_from_proto(
            exemplar.label,
            "exemplar label name",
            "exemplar label value",
        )?,
        value: exemplar.value.unwrap_or_default(),
        timestamp: exemplar.timestamp.map(timestamp_from_proto),
    })
}

fn timestamp_from_proto(timestamp: schema::Timestamp) -> Timestamp {
    Timestamp {
        seconds: timestamp.seconds,
        nanos: timestamp.nanos,
    }
}

fn labels_from_proto(
    labels: Vec<schema::LabelPair>,
    name_field: &'static str,
    value_field: &'static str,
) -> Result<Vec<LabelPair>, DecodeError> {
    labels
        .into_iter()
        .map(|pair| {
            Ok(LabelPair {
                name: utf8(name_field, pair.name.unwrap_or_default())?,
                value: utf8(value_field, pair.value.unwrap_or_default())?,
            })
        })
        .collect()
}

fn utf8(field: &'static str, bytes: Vec<u8>) -> Result<String, DecodeError> {
    String::from_utf8(bytes).map_err(|err| DecodeError::InvalidUtf8 {
        field,
        value: crate::text::GoQuote(err.as_bytes()).to_string(),
    })
}

// ---------------------------------------------------------------------------------------------
// model -> proto

fn family_to_proto(family: &MetricFamily) -> schema::MetricFamily {
    schema::MetricFamily {
        name: Some(family.name.as_bytes().to_vec()),
        help: family.help.as_ref().map(|help| help.as_bytes().to_vec()),
        r#type: Some(family.metric_type.proto_number()),
        metric: family.metrics.iter().map(metric_to_proto).collect(),
        unit: family.unit.as_ref().map(|unit| unit.as_bytes().to_vec()),
    }
}

fn metric_to_proto(metric: &Metric) -> schema::Metric {
    let mut out = schema::Metric {
        label: labels_to_proto(&metric.labels),
        timestamp_ms: metric.timestamp_ms,
        ..Default::default()
    };
    match &metric.value {
        Value::Counter(counter) => {
            out.counter = Some(schema::Counter {
                value: Some(counter.value),
                exemplar: counter.exemplar.as_deref().map(exemplar_to_proto),
                created_timestamp: counter.created.map(timestamp_to_proto),
            });
        }
        Value::Gauge(value) => {
            out.gauge = Some(schema::Gauge {
                value: Some(*value),
            })
        }
        Value::Untyped(value) => {
            out.untyped = Some(schema::Untyped {
                value: Some(*value),
            })
        }
        Value::Summary(summary) => {
            out.summary = Some(schema::Summary {
                sample_count: Some(summary.count),
                sample_sum: Some(summary.sum),
                quantile: summary
                    .quantiles
                    .iter()
                    .map(|quantile| schema::Quantile {
                        quantile: Some(quantile.quantile),
                        value: Some(quantile.value),
                    })
                    .collect(),
                created_timestamp: summary.created.map(timestamp_to_proto),
            });
        }
        Value::Histogram(histogram) => out.histogram = Some(histogram_to_proto(histogram)),
    }
    out
}

fn histogram_to_proto(histogram: &Histogram) -> schema::Histogram {
    let (sample_count, sample_count_float) = count_to_proto(histogram.count);
    let mut out = schema::Histogram {
        sample_count,
        sample_count_float,
        sample_sum: Some(histogram.sum),
        bucket: histogram
            .buckets
            .iter()
            .map(|bucket| {
                let (cumulative_count, cumulative_count_float) =
                    count_to_proto(bucket.cumulative_count);
                schema::Bucket {
                    cumulative_count,
                    cumulative_count_float,
                    upper_bound: Some(bucket.upper_bound),
                    exemplar: bucket.exemplar.as_ref().map(exemplar_to_proto),
                }
            })
            .collect(),
        created_timestamp: histogram.created.map(timestamp_to_proto),
        ..Default::default()
    };
    if let Some(native) = &histogram.native {
        let (zero_count, zero_count_float) = count_to_proto(native.zero_count);
        out.schema = Some(native.schema);
        out.zero_threshold = Some(native.zero_threshold);
        out.zero_count = zero_count;
        out.zero_count_float = zero_count_float;
        out.negative_span = spans_to_proto(&native.negative_spans);
        (out.negative_delta, out.negative_count) = native_buckets_to_proto(&native.negative);
        out.positive_span = spans_to_proto(&native.positive_spans);
        (out.positive_delta, out.positive_count) = native_buckets_to_proto(&native.positive);
        out.exemplars = native.exemplars.iter().map(exemplar_to_proto).collect();
    }
    out
}

fn count_to_proto(count: Count) -> (Option<u64>, Option<f64>) {
    match count {
        Count::Int(int) => (Some(int), None),
        Count::Float(float) => (None, Some(float)),
    }
}

fn native_buckets_to_proto(buckets: &NativeBuckets) -> (Vec<i64>, Vec<f64>) {
    match buckets {
        NativeBuckets::Deltas(deltas) => (deltas.clone(), Vec::new()),
        NativeBuckets::Counts(counts) => (Vec::new(), counts.clone()),
    }
}

fn spans_to_proto(spans: &[BucketSpan]) -> Vec<schema::BucketSpan> {
    spans
        .iter()
        .map(|span| schema::BucketSpan {
            offset: Some(span.offset),
            length: Some(span.length),
        })
        .collect()
}

fn exemplar_to_proto(exemplar: &Exemplar) -> schema::Exemplar {
    schema::Exemplar {
        label: labels_to_proto(&exemplar.labels),
        value: Some(exemplar.value),
        timestamp: exemplar.timestamp.map(timestamp_to_proto),
    }
}

fn timestamp_to_proto(timestamp: Timestamp) -> schema::Timestamp {
    schema::Timestamp {
        seconds: timestamp.seconds,
        nanos: timestamp.nanos,
    }
}

fn labels_to_proto(labels: &[LabelPair]) -> Vec<schema::LabelPair> {
    labels
        .iter()
        .map(|pair| schema::LabelPair {
            name: Some(pair.name.as_bytes().to_vec()),
            value: Some(pair.value.as_bytes().to_vec()),
        })
        .collect()
}

/// Mapping cases that our own encoder never produces, built from the schema structs directly.
#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes one family built with the schema structs, as a delimited body.
    #[track_caller]
    fn decode_one(family: schema::MetricFamily) -> Result<MetricFamily, DecodeError> {
        let body = family.encode_length_delimited_to_vec();
        decode(&body).map(|mut families| families.remove(0))
    }

    fn family_of(metric_type: Option<i32>, metric: schema::Metric) -> schema::MetricFamily {
        schema::MetricFamily {
            name: Some(b"f".to_vec()),
            r#type: metric_type,
            metric: vec![metric],
            ..Default::default()
        }
    }

    fn value_of(metric_type: Option<i32>, metric: schema::Metric) -> Value {
        let family = decode_one(family_of(metric_type, metric)).expect("decodes");
        family.metrics[0].value.clone()
    }

    #[test]
    fn the_typed_value_wins_and_any_other_survives_a_mismatch() {
        let both = schema::Metric {
            gauge: Some(schema::Gauge { value: Some(1.0) }),
            counter: Some(schema::Counter {
                value: Some(2.0),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(value_of(Some(1), both.clone()), Value::Gauge(1.0));
        assert_eq!(value_of(Some(0), both.clone()).kind(), MetricType::Counter);
        // Untyped family, neither field is untyped: the first in field-number order is kept.
        assert_eq!(value_of(Some(3), both), Value::Gauge(1.0));
        let histogram = schema::Metric {
            histogram: Some(schema::Histogram::default()),
            ..Default::default()
        };
        assert_eq!(value_of(Some(1), histogram).kind(), MetricType::Histogram);
    }

    #[test]
    fn an_absent_type_is_counter_and_an_undefined_one_is_an_error() {
        let counter = schema::Metric {
            counter: Some(schema::Counter::default()),
            ..Default::default()
        };
        let family = decode_one(family_of(None, counter.clone())).expect("decodes");
        assert_eq!(family.metric_type, MetricType::Counter);
        let err = decode_one(family_of(Some(-1), counter)).unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"metric family "f" has unknown metric type -1"#
        );
    }

    #[test]
    fn a_float_count_counts_only_when_positive() {
        let histogram = |count: Option<u64>, float: Option<f64>| {
            let metric = schema::Metric {
                histogram: Some(schema::Histogram {
                    sample_count: count,
                    sample_count_float: float,
                    ..Default::default()
                }),
                ..Default::default()
            };
            match value_of(Some(4), metric) {
                Value::Histogram(histogram) => histogram.count,
                other => panic!("not a histogram: {other:?}"),
            }
        };
        assert_eq!(histogram(Some(3), Some(2.5)), Count::Float(2.5));
        assert_eq!(histogram(Some(3), Some(0.0)), Count::Int(3));
        assert_eq!(histogram(Some(3), Some(-1.0)), Count::Int(3));
        assert_eq!(histogram(Some(3), Some(f64::NAN)), Count::Int(3));
        assert_eq!(histogram(None, None), Count::Int(0));
    }

    #[test]
    fn any_native_field_makes_a_native_histogram() {
        let native = |histogram: schema::Histogram| {
            let metric = schema::Metric {
                histogram: Some(histogram),
                ..Default::default()
            };
            match value_of(Some(4), metric) {
                Value::Histogram(histogram) => histogram.native,
                other => panic!("not a histogram: {other:?}"),
            }
        };
        assert_eq!(native(schema::Histogram::default()), None);
        let only_threshold = schema::Histogram {
            zero_threshold: Some(0.0),
            ..Default::default()
        };
        assert_eq!(native(only_threshold), Some(NativeHistogram::default()));
        let only_exemplar = schema::Histogram {
            exemplars: vec![schema::Exemplar::default()],
            ..Default::default()
        };
        let exemplars = native(only_exemplar).expect("native").exemplars;
        assert_eq!(exemplars, [Exemplar::default()]);
        let deltas_and_counts = schema::Histogram {
            positive_delta: vec![1],
            positive_count: vec![1.5],
            zero_count: Some(4),
            zero_count_float: Some(0.5),
            ..Default::default()
        };
        let native = native(deltas_and_counts).expect("native");
        assert_eq!(native.positive, NativeBuckets::Counts(vec![1.5]));
        assert_eq!(native.negative, NativeBuckets::Deltas(vec![]));
        assert_eq!(native.zero_count, Count::Float(0.5));
    }

    #[test]
    fn help_and_unit_keep_absent_apart_from_empty() {
        let family = schema::MetricFamily {
            help: Some(Vec::new()),
            ..Default::default()
        };
        let family = decode_one(family).expect("decodes");
        assert_eq!((family.help, family.unit), (Some(String::new()), None));
    }

    #[test]
    fn strings_must_be_utf8_and_the_error_shows_the_bytes() {
        let metric = schema::Metric {
            label: vec![schema::LabelPair {
                name: Some(b"l".to_vec()),
                value: Some(b"ok\n\xff".to_vec()),
            }],
            untyped: Some(schema::Untyped::default()),
            ..Default::default()
        };
        let err = decode_one(family_of(Some(3), metric)).unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"label value is not valid UTF-8: "ok\n\xff""#
        );
        let family = schema::MetricFamily {
            name: Some(b"\xc3".to_vec()),
            ..Default::default()
        };
        let err = decode_one(family).unwrap_err();
        assert_eq!(err.to_string(), r#"metric name is not valid UTF-8: "\xc3""#);
    }

    #[test]
    fn a_metric_without_value_is_an_error_naming_it() {
        let err = decode_one(family_of(Some(1), schema::Metric::default())).unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"metric 0 of metric family "f" has no value"#
        );
    }

    #[test]
    fn the_stream_ends_where_gos_reader_stops() {
        let mut one = Vec::new();
        encode_family(
            &MetricFamily {
                name: "a".into(),
                help: None,
                metric_type: MetricType::Untyped,
                unit: None,
                metrics: vec![],
            },
            &mut one,
        );
        let with = |tail: &[u8]| decode(&[one.as_slice(), tail].concat()).map(|f| f.len());
        assert_eq!(with(b""), Ok(1));
        assert_eq!(with(b"\x80\x80\x80\x80"), Ok(1));
        assert_eq!(
            with(b"\x80\x80\x80\x80\x80"),
            Err(DecodeError::InvalidVarint)
        );
        assert_eq!(with(b"\x05"), Ok(1));
        assert_eq!(with(b"\x00"), Ok(2));
        assert_eq!(with(b"\x05\x0a"), Err(DecodeError::UnexpectedEof));
        // A five-byte prefix is read whole, even past 2^32, and then meets the cap.
        assert_eq!(
            with(b"\xff\xff\xff\xff\x7f"),
            Err(DecodeError::MessageTooLarge {
                len: (1 << 35) - 1,
                limit: DEFAULT_MAX_MESSAGE_LEN
            })
        );
        assert_eq!(
            decode_with_limit(&one, one.len() - 2),
            Err(DecodeError::MessageTooLarge {
                len: (one.len() - 1) as u64,
                limit: one.len() - 2
            })
        );
    }
}
