//! The `io.prometheus.client` messages of `proto/metrics.proto` as hand-written prost structs.
//!
//! No build script and no `protoc`: each struct below is a transcription of one message of the
//! committed `metrics.proto` (client_model, proto2), and a test parses that file and checks every
//! field's name, number, type and label against these structs. Nothing outside `proto` sees them;
//! the rest of the crate speaks [`crate::model`].
//!
//! Transcription rules:
//! - proto2 `optional` scalars are `Option<_>`, so that "absent" and "zero" stay apart on decode
//!   and a set zero is still written on encode, as Go's `proto.Marshal` does.
//! - `string` fields are held as `bytes`: the wire encoding is identical, but proto2 does not
//!   require UTF-8 and the Go gateway accepts any bytes there, so the UTF-8 check belongs to the
//!   mapping into the model, where the error can name the field and the offending value.
//! - proto2 `repeated` scalars are not packed unless the file says so (it does not), so they are
//!   marked `packed = "false"`; prost accepts both forms on decode, as Go does.
//! - `google.protobuf.Timestamp` is proto3: implicit presence, zeros are not written.

/// `google.protobuf.Timestamp` (proto3).
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Timestamp {
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct LabelPair {
    #[prost(bytes = "vec", optional, tag = "1")]
    pub name: Option<Vec<u8>>,
    #[prost(bytes = "vec", optional, tag = "2")]
    pub value: Option<Vec<u8>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub(crate) enum MetricType {
    Counter = 0,
    Gauge = 1,
    Summary = 2,
    Untyped = 3,
    Histogram = 4,
    GaugeHistogram = 5,
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Gauge {
    #[prost(double, optional, tag = "1")]
    pub value: Option<f64>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Counter {
    #[prost(double, optional, tag = "1")]
    pub value: Option<f64>,
    #[prost(message, optional, tag = "2")]
    pub exemplar: Option<Exemplar>,
    #[prost(message, optional, tag = "3")]
    pub created_timestamp: Option<Timestamp>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Quantile {
    #[prost(double, optional, tag = "1")]
    pub quantile: Option<f64>,
    #[prost(double, optional, tag = "2")]
    pub value: Option<f64>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Summary {
    #[prost(uint64, optional, tag = "1")]
    pub sample_count: Option<u64>,
    #[prost(double, optional, tag = "2")]
    pub sample_sum: Option<f64>,
    #[prost(message, repeated, tag = "3")]
    pub quantile: Vec<Quantile>,
    #[prost(message, optional, tag = "4")]
    pub created_timestamp: Option<Timestamp>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Untyped {
    #[prost(double, optional, tag = "1")]
    pub value: Option<f64>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Histogram {
    #[prost(uint64, optional, tag = "1")]
    pub sample_count: Option<u64>,
    #[prost(double, optional, tag = "4")]
    pub sample_count_float: Option<f64>,
    #[prost(double, optional, tag = "2")]
    pub sample_sum: Option<f64>,
    #[prost(message, repeated, tag = "3")]
    pub bucket: Vec<Bucket>,
    #[prost(message, optional, tag = "15")]
    pub created_timestamp: Option<Timestamp>,
    #[prost(sint32, optional, tag = "5")]
    pub schema: Option<i32>,
    #[prost(double, optional, tag = "6")]
    pub zero_threshold: Option<f64>,
    #[prost(uint64, optional, tag = "7")]
    pub zero_count: Option<u64>,
    #[prost(double, optional, tag = "8")]
    pub zero_count_float: Option<f64>,
    #[prost(message, repeated, tag = "9")]
    pub negative_span: Vec<BucketSpan>,
    #[prost(sint64, repeated, packed = "false", tag = "10")]
    pub negative_delta: Vec<i64>,
    #[prost(double, repeated, packed = "false", tag = "11")]
    pub negative_count: Vec<f64>,
    #[prost(message, repeated, tag = "12")]
    pub positive_span: Vec<BucketSpan>,
    #[prost(sint64, repeated, packed = "false", tag = "13")]
    pub positive_delta: Vec<i64>,
    #[prost(double, repeated, packed = "false", tag = "14")]
    pub positive_count: Vec<f64>,
    #[prost(message, repeated, tag = "16")]
    pub exemplars: Vec<Exemplar>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Bucket {
    #[prost(uint64, optional, tag = "1")]
    pub cumulative_count: Option<u64>,
    #[prost(double, optional, tag = "4")]
    pub cumulative_count_float: Option<f64>,
    #[prost(double, optional, tag = "2")]
    pub upper_bound: Option<f64>,
    #[prost(message, optional, tag = "3")]
    pub exemplar: Option<Exemplar>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct BucketSpan {
    #[prost(sint32, optional, tag = "1")]
    pub offset: Option<i32>,
    #[prost(uint32, optional, tag = "2")]
    pub length: Option<u32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Exemplar {
    #[prost(message, repeated, tag = "1")]
    pub label: Vec<LabelPair>,
    #[prost(double, optional, tag = "2")]
    pub value: Option<f64>,
    #[prost(message, optional, tag = "3")]
    pub timestamp: Option<Timestamp>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Metric {
    #[prost(message, repeated, tag = "1")]
    pub label: Vec<LabelPair>,
    #[prost(message, optional, tag = "2")]
    pub gauge: Option<Gauge>,
    #[prost(message, optional, tag = "3")]
    pub counter: Option<Counter>,
    #[prost(message, optional, tag = "4")]
    pub summary: Option<Summary>,
    #[prost(message, optional, tag = "5")]
    pub untyped: Option<Untyped>,
    #[prost(message, optional, tag = "7")]
    pub histogram: Option<Histogram>,
    #[prost(int64, optional, tag = "6")]
    pub timestamp_ms: Option<i64>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct MetricFamily {
    #[prost(bytes = "vec", optional, tag = "1")]
    pub name: Option<Vec<u8>>,
    #[prost(bytes = "vec", optional, tag = "2")]
    pub help: Option<Vec<u8>>,
    #[prost(enumeration = "MetricType", optional, tag = "3")]
    pub r#type: Option<i32>,
    #[prost(message, repeated, tag = "4")]
    pub metric: Vec<Metric>,
    #[prost(bytes = "vec", optional, tag = "5")]
    pub unit: Option<Vec<u8>>,
}

/// The wire type a field is written with, as far as the Go-compatible pre-pass in
/// [`super::wire`] needs to know it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Kind {
    /// `int32`, `int64`, `uint32`, `uint64`, `sint32`, `sint64`, `bool`, enums: wire type 0.
    Varint,
    /// `double`, `fixed64`, `sfixed64`: wire type 1.
    Fixed64,
    /// `string`, `bytes`: wire type 2.
    Bytes,
    /// An embedded message: wire type 2, checked recursively.
    Message(&'static MessageSchema),
}

/// One field of a [`MessageSchema`].
#[derive(Debug)]
pub(crate) struct FieldSchema {
    #[cfg_attr(
        not(test),
        expect(
            dead_code,
            reason = "only the schema test reads it, against metrics.proto"
        )
    )]
    pub name: &'static str,
    pub number: u32,
    pub kind: Kind,
    /// Repeated scalars may also arrive packed (wire type 2), which Go and prost both accept.
    pub repeated: bool,
}

/// A message's fields by number, for walking its wire format without decoding it.
#[derive(Debug)]
pub(crate) struct MessageSchema {
    /// The Go type name, as Go's decoder names it in error messages.
    pub go_name: &'static str,
    pub fields: &'static [FieldSchema],
}

impl MessageSchema {
    pub(crate) fn field(&self, number: u32) -> Option<&'static FieldSchema> {
        self.fields.iter().find(|field| field.number == number)
    }
}

const fn optional(name: &'static str, number: u32, kind: Kind) -> FieldSchema {
    FieldSchema {
        name,
        number,
        kind,
        repeated: false,
    }
}

const fn repeated(name: &'static str, number: u32, kind: Kind) -> FieldSchema {
    FieldSchema {
        name,
        number,
        kind,
        repeated: true,
    }
}

pub(crate) static TIMESTAMP: MessageSchema = MessageSchema {
    go_name: "google.protobuf.Timestamp",
    fields: &[
        optional("seconds", 1, Kind::Varint),
        optional("nanos", 2, Kind::Varint),
    ],
};

pub(crate) static LABEL_PAIR: MessageSchema = MessageSchema {
    go_name: "io_prometheus_client.LabelPair",
    fields: &[
        optional("name", 1, Kind::Bytes),
        optional("value", 2, Kind::Bytes),
    ],
};

pub(crate) static GAUGE: MessageSchema = MessageSchema {
    go_name: "io_prometheus_client.Gauge",
    fields: &[optional("value", 1, Kind::Fixed64)],
};

pub(crate) static COUNTER: MessageSchema = MessageSchema {
    go_name: "io_prometheus_client.Counter",
    fields: &[
        optional("value", 1, Kind::Fixed64),
        optional("exemplar", 2, Kind::Message(&EXEMPLAR)),
        optional("created_timestamp", 3, Kind::Message(&TIMESTAMP)),
    ],
};

pub(crate) static QUANTILE: MessageSchema = MessageSchema {
    go_name: "io_prometheus_client.Quantile",
    fields: &[
        optional("quantile", 1, Kind::Fixed64),
        optional("value", 2, Kind::Fixed64),
    ],
};

pub(crate) static SUMMARY: MessageSchema = MessageSchema {
    go_name: "io_prometheus_client.Summary",
    fields: &[
        optional("sample_count", 1, Kind::Varint),
        optional("sample_sum", 2, Kind::Fixed64),
        repeated("quantile", 3, Kind::Message(&QUANTILE)),
        optional("created_timestamp", 4, Kind::Message(&TIMESTAMP)),
    ],
};

pub(crate) static UNTYPED: MessageSchema = MessageSchema {
    go_name: "io_prometheus_client.Untyped",
    fields: &[optional("value", 1, Kind::Fixed64)],
};

pub(crate) static HISTOGRAM: MessageSchema = MessageSchema {
    go_name: "io_prometheus_client.Histogram",
    fields: &[
        optional("sample_count", 1, Kind::Varint),
        optional("sample_count_float", 4, Kind::Fixed64),
        optional("sample_sum", 2, Kind::Fixed64),
        repeated("bucket", 3, Kind::Message(&BUCKET)),
        optional("created_timestamp", 15, Kind::Message(&TIMESTAMP)),
        optional("schema", 5, Kind::Varint),
        optional("zero_threshold", 6, Kind::Fixed64),
        optional("zero_count", 7, Kind::Varint),
        optional("zero_count_float", 8, Kind::Fixed64),
        repeated("negative_span", 9, Kind::Message(&BUCKET_SPAN)),
        repeated("negative_delta", 10, Kind::Varint),
        repeated("negative_count", 11, Kind::Fixed64),
        repeated("positive_span", 12, Kind::Message(&BUCKET_SPAN)),
        repeated("positive_delta", 13, Kind::Varint),
        repeated("positive_count", 14, Kind::Fixed64),
        repeated("exemplars", 16, Kind::Message(&EXEMPLAR)),
    ],
};

pub(crate) static BUCKET: MessageSchema = MessageSchema {
    go_name: "io_prometheus_client.Bucket",
    fields: &[
        optional("cumulative_count", 1, Kind::Varint),
        optional("cumulative_count_float", 4, Kind::Fixed64),
        optional("upper_bound", 2, Kind::Fixed64),
        optional("exemplar", 3, Kind::Message(&EXEMPLAR)),
    ],
};

pub(crate) static BUCKET_SPAN: MessageSchema = MessageSchema {
    go_name: "io_prometheus_client.BucketSpan",
    fields: &[
        optional("offset", 1, Kind::Varint),
        optional("length", 2, Kind::Varint),
    ],
};

pub(crate) static EXEMPLAR: MessageSchema = MessageSchema {
    go_name: "io_prometheus_client.Exemplar",
    fields: &[
        repeated("label", 1, Kind::Message(&LABEL_PAIR)),
        optional("value", 2, Kind::Fixed64),
        optional("timestamp", 3, Kind::Message(&TIMESTAMP)),
    ],
};

pub(crate) static METRIC: MessageSchema = MessageSchema {
    go_name: "io_prometheus_client.Metric",
    fields: &[
        repeated("label", 1, Kind::Message(&LABEL_PAIR)),
        optional("gauge", 2, Kind::Message(&GAUGE)),
        optional("counter", 3, Kind::Message(&COUNTER)),
        optional("summary", 4, Kind::Message(&SUMMARY)),
        optional("untyped", 5, Kind::Message(&UNTYPED)),
        optional("histogram", 7, Kind::Message(&HISTOGRAM)),
        optional("timestamp_ms", 6, Kind::Varint),
    ],
};

pub(crate) static METRIC_FAMILY: MessageSchema = MessageSchema {
    go_name: "io_prometheus_client.MetricFamily",
    fields: &[
        optional("name", 1, Kind::Bytes),
        optional("help", 2, Kind::Bytes),
        optional("type", 3, Kind::Varint),
        repeated("metric", 4, Kind::Message(&METRIC)),
        optional("unit", 5, Kind::Bytes),
    ],
};

/// Checks the structs and the [`MessageSchema`] tables above against the committed
/// `metrics.proto`: a field added, renumbered, retyped or relabelled on either side fails here.
#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use prost::Message as _;

    use super::*;

    /// One field as `metrics.proto` declares it.
    #[derive(Debug, Clone, PartialEq, Eq)]
    struct ProtoField {
        label: String,
        ty: String,
        number: u32,
    }

    type ProtoMessages = BTreeMap<String, BTreeMap<String, ProtoField>>;

    /// A parser for the subset of the proto language `metrics.proto` uses: top-level messages and
    /// enums, `optional`/`repeated` fields, `//` comments. Anything else fails the test rather
    /// than being skipped.
    fn parse_proto(text: &str) -> (ProtoMessages, BTreeMap<String, i32>) {
        let mut messages = ProtoMessages::new();
        let mut enum_values = BTreeMap::new();
        let mut current: Option<(&str, String)> = None;
        for raw in text.lines() {
            let line = raw.split("//").next().unwrap_or_default().trim();
            if line.is_empty() {
                continue;
            }
            let words: Vec<&str> = line
                .split(|c: char| c.is_whitespace() || c == ';' || c == '=')
                .filter(|word| !word.is_empty())
                .collect();
            match (&current, words.as_slice()) {
                (None, ["syntax" | "package" | "option" | "import", ..]) => {}
                (None, ["message", name, "{"]) => {
                    messages.insert((*name).to_owned(), BTreeMap::new());
                    current = Some(("message", (*name).to_owned()));
                }
                (None, ["enum", name, "{"]) => current = Some(("enum", (*name).to_owned())),
                (Some(_), ["}"]) => current = None,
                (Some(("message", message)), [label, ty, name, number]) => {
                    assert!(matches!(*label, "optional" | "repeated"), "line {raw:?}");
                    let field = ProtoField {
                        label: (*label).to_owned(),
                        ty: (*ty).to_owned(),
                        number: number.parse().expect("field number"),
                    };
                    let fields = messages.get_mut(message).expect("message was opened");
                    assert!(
                        fields.insert((*name).to_owned(), field).is_none(),
                        "{raw:?}"
                    );
                }
                (Some(("enum", name)), [value, number]) => {
                    assert_eq!(name, "MetricType", "unexpected enum");
                    enum_values.insert((*value).to_owned(), number.parse().expect("enum number"));
                }
                _ => panic!("metrics.proto line not understood: {raw:?}"),
            }
        }
        assert!(current.is_none(), "unterminated block");
        (messages, enum_values)
    }

    fn committed_proto() -> (ProtoMessages, BTreeMap<String, i32>) {
        let (mut messages, enum_values) = parse_proto(include_str!("../../proto/metrics.proto"));
        // `google.protobuf.Timestamp` is imported; its two fields are fixed by the well-known
        // type (proto3, so they carry no label).
        let timestamp = [("seconds", "int64", 1), ("nanos", "int32", 2)]
            .map(|(name, ty, number)| {
                let field = ProtoField {
                    label: String::new(),
                    ty: ty.to_owned(),
                    number,
                };
                (name.to_owned(), field)
            })
            .into_iter()
            .collect();
        messages.insert("google.protobuf.Timestamp".to_owned(), timestamp);
        (messages, enum_values)
    }

    fn go_name(proto_name: &str) -> String {
        if proto_name.contains('.') {
            proto_name.to_owned()
        } else {
            format!("io_prometheus_client.{proto_name}")
        }
    }

    const TAG_VARINT: u8 = 0;
    const TAG_FIXED64: u8 = 1;
    const TAG_LEN: u8 = 2;

    /// The wire type and payload that the probe value for a field of type `ty` encodes to. The
    /// probe values are chosen so that the encodings of related types differ: -2 is ten bytes as
    /// `int64` but one as `sint64`, 1.5 is eight bytes as `double`.
    fn probe_encoding(ty: &str) -> (u8, Vec<u8>) {
        match ty {
            "double" => (TAG_FIXED64, 1.5f64.to_le_bytes().to_vec()),
            "uint64" | "uint32" => (TAG_VARINT, vec![0xac, 0x02]),
            "int64" | "int32" => (TAG_VARINT, {
                let mut bytes = vec![0xfe];
                bytes.extend([0xff; 8]);
                bytes.push(0x01);
                bytes
            }),
            "sint64" | "sint32" => (TAG_VARINT, vec![0x03]),
            "string" | "bytes" => (TAG_LEN, vec![0x01, b'x']),
            "MetricType" => (TAG_VARINT, vec![0x05]),
            _ => (TAG_LEN, vec![0x00]),
        }
    }

    /// Encodes a default `$message` with `$field` set to the probe value for its proto type.
    macro_rules! probe {
        ($message:ident . $field:ident = $value:expr) => {{
            let mut message = $message::default();
            message.$field = $value;
            let name = stringify!($field).trim_start_matches("r#");
            (stringify!($message), name, message.encode_to_vec())
        }};
    }

    fn probes() -> Vec<(&'static str, &'static str, Vec<u8>)> {
        let x = || b"x".to_vec();
        vec![
            probe!(Timestamp.seconds = -2),
            probe!(Timestamp.nanos = -2),
            probe!(LabelPair.name = Some(x())),
            probe!(LabelPair.value = Some(x())),
            probe!(Gauge.value = Some(1.5)),
            probe!(Counter.value = Some(1.5)),
            probe!(Counter.exemplar = Some(Exemplar::default())),
            probe!(Counter.created_timestamp = Some(Timestamp::default())),
            probe!(Quantile.quantile = Some(1.5)),
            probe!(Quantile.value = Some(1.5)),
            probe!(Summary.sample_count = Some(300)),
            probe!(Summary.sample_sum = Some(1.5)),
            probe!(Summary.quantile = vec![Quantile::default(); 2]),
            probe!(Summary.created_timestamp = Some(Timestamp::default())),
            probe!(Untyped.value = Some(1.5)),
            probe!(Histogram.sample_count = Some(300)),
            probe!(Histogram.sample_count_float = Some(1.5)),
            probe!(Histogram.sample_sum = Some(1.5)),
            probe!(Histogram.bucket = vec![Bucket::default(); 2]),
            probe!(Histogram.created_timestamp = Some(Timestamp::default())),
            probe!(Histogram.schema = Some(-2)),
            probe!(Histogram.zero_threshold = Some(1.5)),
            probe!(Histogram.zero_count = Some(300)),
            probe!(Histogram.zero_count_float = Some(1.5)),
            probe!(Histogram.negative_span = vec![BucketSpan::default(); 2]),
            probe!(Histogram.negative_delta = vec![-2; 2]),
            probe!(Histogram.negative_count = vec![1.5; 2]),
            probe!(Histogram.positive_span = vec![BucketSpan::default(); 2]),
            probe!(Histogram.positive_delta = vec![-2; 2]),
            probe!(Histogram.positive_count = vec![1.5; 2]),
            probe!(Histogram.exemplars = vec![Exemplar::default(); 2]),
            probe!(Bucket.cumulative_count = Some(300)),
            probe!(Bucket.cumulative_count_float = Some(1.5)),
            probe!(Bucket.upper_bound = Some(1.5)),
            probe!(Bucket.exemplar = Some(Exemplar::default())),
            probe!(BucketSpan.offset = Some(-2)),
            probe!(BucketSpan.length = Some(300)),
            probe!(Exemplar.label = vec![LabelPair::default(); 2]),
            probe!(Exemplar.value = Some(1.5)),
            probe!(Exemplar.timestamp = Some(Timestamp::default())),
            probe!(Metric.label = vec![LabelPair::default(); 2]),
            probe!(Metric.gauge = Some(Gauge::default())),
            probe!(Metric.counter = Some(Counter::default())),
            probe!(Metric.summary = Some(Summary::default())),
            probe!(Metric.untyped = Some(Untyped::default())),
            probe!(Metric.histogram = Some(Histogram::default())),
            probe!(Metric.timestamp_ms = Some(-2)),
            probe!(MetricFamily.name = Some(x())),
            probe!(MetricFamily.help = Some(x())),
            probe!(MetricFamily.r#type = Some(MetricType::GaugeHistogram as i32)),
            probe!(MetricFamily.metric = vec![Metric::default(); 2]),
            probe!(MetricFamily.unit = Some(x())),
        ]
    }

    #[test]
    fn structs_encode_every_field_as_metrics_proto_declares_it() {
        let (messages, _) = committed_proto();
        let mut probed = ProtoMessages::new();
        for (message, field, encoded) in probes() {
            let proto_message = if message == "Timestamp" {
                "google.protobuf.Timestamp"
            } else {
                message
            };
            let declared = messages
                .get(proto_message)
                .and_then(|fields| fields.get(field))
                .unwrap_or_else(|| panic!("{message}.{field} is not in metrics.proto"));
            let (wire_type, payload) = probe_encoding(&declared.ty);
            let mut one = Vec::new();
            prost::encoding::encode_varint(
                u64::from(declared.number << 3 | u32::from(wire_type)),
                &mut one,
            );
            one.extend(payload);
            let expected = if declared.label == "repeated" {
                one.repeat(2)
            } else {
                one
            };
            assert_eq!(
                encoded, expected,
                "{message}.{field} does not encode as `{} {} = {}`",
                declared.label, declared.ty, declared.number
            );
            probed
                .entry(proto_message.to_owned())
                .or_default()
                .insert(field.to_owned(), declared.clone());
        }
        assert_eq!(probed, messages, "every field of metrics.proto has a probe");
    }

    #[test]
    fn wire_tables_match_metrics_proto() {
        let (messages, _) = committed_proto();
        let tables = [
            &TIMESTAMP,
            &LABEL_PAIR,
            &GAUGE,
            &COUNTER,
            &QUANTILE,
            &SUMMARY,
            &UNTYPED,
            &HISTOGRAM,
            &BUCKET,
            &BUCKET_SPAN,
            &EXEMPLAR,
            &METRIC,
            &METRIC_FAMILY,
        ];
        assert_eq!(tables.len(), messages.len(), "one table per message");
        for (proto_name, fields) in &messages {
            let table = tables
                .iter()
                .find(|table| table.go_name == go_name(proto_name))
                .unwrap_or_else(|| panic!("no table for {proto_name}"));
            assert_eq!(
                table.fields.len(),
                fields.len(),
                "{proto_name}: field count"
            );
            for (name, declared) in fields {
                let field = table.field(declared.number).unwrap_or_else(|| {
                    panic!(
                        "{proto_name}.{name}: no table entry for {}",
                        declared.number
                    )
                });
                assert_eq!(field.name, name, "{proto_name}: field {}", declared.number);
                assert_eq!(
                    field.repeated,
                    declared.label == "repeated",
                    "{proto_name}.{name}"
                );
                let kind_matches = match (field.kind, declared.ty.as_str()) {
                    (Kind::Fixed64, "double") => true,
                    (Kind::Bytes, "string" | "bytes") => true,
                    (
                        Kind::Varint,
                        "int32" | "int64" | "uint32" | "uint64" | "sint32" | "sint64"
                        | "MetricType",
                    ) => true,
                    (Kind::Message(inner), ty) => inner.go_name == go_name(ty),
                    _ => false,
                };
                assert!(
                    kind_matches,
                    "{proto_name}.{name}: {:?} vs {}",
                    field.kind, declared.ty
                );
            }
        }
    }

    #[test]
    fn metric_type_numbers_match_metrics_proto() {
        let (_, enum_values) = committed_proto();
        assert_eq!(enum_values.len(), 6);
        for (name, number) in enum_values {
            let ours = MetricType::try_from(number).expect("defined in schema");
            let model = crate::model::MetricType::from_proto_number(number).expect("in model");
            assert_eq!(model.proto_name(), name);
            assert_eq!(ours as i32, model.proto_number());
        }
    }
}
