//! The metric model: plain data shared by every wire format and by the store.
//!
//! It mirrors `io.prometheus.client.MetricFamily` (client_model's `metrics.proto`) closely enough that
//! text, OpenMetrics and protobuf all decode into it and render out of it, and nothing that a
//! protobuf push carries (native-histogram fields, exemplars, created timestamps) is lost on the way
//! through the gateway. It deliberately holds no validation logic and no wire details: parsers
//! decide what is acceptable, renderers decide how it looks.
//!
//! ```
//! use pushgw_core::model::{LabelPair, Metric, MetricFamily, MetricType, Value};
//!
//! let family = MetricFamily {
//!     name: "some_metric".into(),
//!     help: Some("Just an example.".into()),
//!     metric_type: MetricType::Gauge,
//!     unit: None,
//!     metrics: vec![Metric {
//!         labels: vec![LabelPair::new("job", "some_job")],
//!         value: Value::Gauge(3.14),
//!         timestamp_ms: None,
//!     }],
//! };
//! assert_eq!(family.metrics[0].label("job"), Some("some_job"));
//! ```

/// A named group of metrics of one type, with optional HELP text: one `# HELP`/`# TYPE` block of
/// the text format, one `MetricFamily` protobuf message.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricFamily {
    /// The metric name, e.g. `http_requests_total`. For summaries and histograms this is the base
    /// name, without `_sum`, `_count` or `_bucket`.
    pub name: String,
    /// The HELP text, unescaped. `None` means no HELP line at all; `Some("")` is a HELP line with
    /// empty text (possible in protobuf, rendered as `# HELP name `).
    pub help: Option<String>,
    /// The declared type; `Untyped` when the text had no TYPE line.
    pub metric_type: MetricType,
    /// The unit (OpenMetrics `# UNIT`, protobuf field 5); the text format 0.0.4 has none.
    pub unit: Option<String>,
    /// The metrics (one per label set), in the order they were received.
    pub metrics: Vec<Metric>,
}

/// The type of a [`MetricFamily`], numbered as in `metrics.proto`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum MetricType {
    /// A monotonically increasing value.
    Counter,
    /// A value that can go up and down.
    Gauge,
    /// Quantiles, sum and count of observations.
    Summary,
    /// A value of unknown kind: samples without a TYPE line.
    #[default]
    Untyped,
    /// Buckets, sum and count of observations (classic and/or native).
    Histogram,
    /// A histogram whose buckets can go down (OpenMetrics `gaugehistogram`).
    GaugeHistogram,
}

impl MetricType {
    /// The lower-case name used in text-format TYPE lines (`counter`, `gauge`, ...).
    ///
    /// Gauge histograms print as `histogram` in the 0.0.4 text format, as Go's encoder does.
    ///
    /// ```
    /// use pushgw_core::model::MetricType;
    /// assert_eq!(MetricType::GaugeHistogram.text_name(), "histogram");
    /// ```
    pub fn text_name(self) -> &'static str {
        match self {
            MetricType::Counter => "counter",
            MetricType::Gauge => "gauge",
            MetricType::Summary => "summary",
            MetricType::Untyped => "untyped",
            MetricType::Histogram | MetricType::GaugeHistogram => "histogram",
        }
    }

    /// The upper-case protobuf enum name (`COUNTER`, `GAUGE_HISTOGRAM`, ...), as the JSON API and
    /// the consistency-check messages spell it.
    ///
    /// ```
    /// use pushgw_core::model::MetricType;
    /// assert_eq!(MetricType::GaugeHistogram.proto_name(), "GAUGE_HISTOGRAM");
    /// ```
    pub fn proto_name(self) -> &'static str {
        match self {
            MetricType::Counter => "COUNTER",
            MetricType::Gauge => "GAUGE",
            MetricType::Summary => "SUMMARY",
            MetricType::Untyped => "UNTYPED",
            MetricType::Histogram => "HISTOGRAM",
            MetricType::GaugeHistogram => "GAUGE_HISTOGRAM",
        }
    }

    /// The protobuf enum number.
    ///
    /// ```
    /// use pushgw_core::model::MetricType;
    /// assert_eq!(MetricType::Untyped.proto_number(), 3);
    /// ```
    pub fn proto_number(self) -> i32 {
        match self {
            MetricType::Counter => 0,
            MetricType::Gauge => 1,
            MetricType::Summary => 2,
            MetricType::Untyped => 3,
            MetricType::Histogram => 4,
            MetricType::GaugeHistogram => 5,
        }
    }

    /// The type for a protobuf enum number, `None` for numbers `metrics.proto` does not define.
    ///
    /// ```
    /// use pushgw_core::model::MetricType;
    /// assert_eq!(MetricType::from_proto_number(4), Some(MetricType::Histogram));
    /// assert_eq!(MetricType::from_proto_number(9), None);
    /// ```
    pub fn from_proto_number(number: i32) -> Option<Self> {
        Some(match number {
            0 => MetricType::Counter,
            1 => MetricType::Gauge,
            2 => MetricType::Summary,
            3 => MetricType::Untyped,
            4 => MetricType::Histogram,
            5 => MetricType::GaugeHistogram,
            _ => return None,
        })
    }
}

/// One label: a name and a value. Both are unescaped UTF-8.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LabelPair {
    /// The label name, e.g. `job`.
    pub name: String,
    /// The label value, e.g. `some_job`. May be empty.
    pub value: String,
}

impl LabelPair {
    /// A label pair from anything string-like.
    ///
    /// ```
    /// use pushgw_core::model::LabelPair;
    /// let pair = LabelPair::new("job", "batch");
    /// assert_eq!((pair.name.as_str(), pair.value.as_str()), ("job", "batch"));
    /// ```
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        LabelPair {
            name: name.into(),
            value: value.into(),
        }
    }
}

/// One metric of a family: a label set and the value(s) for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    /// The labels, in the order received (the store sorts them by name when it sanitises a push).
    /// Never contains `quantile` for summaries or `le` for histograms: those become part of the value.
    pub labels: Vec<LabelPair>,
    /// The value; its kind normally matches the family's [`MetricType`], but a protobuf push may
    /// carry a mismatch, which the store's consistency check rejects as the reference does.
    pub value: Value,
    /// Milliseconds since the Unix epoch, if the sample carried a timestamp. The gateway rejects
    /// pushes with timestamps, but parsers keep them so that the rejection can name the cause.
    pub timestamp_ms: Option<i64>,
}

impl Metric {
    /// The value of the label `name`, if present.
    ///
    /// ```
    /// use pushgw_core::model::{LabelPair, Metric, Value};
    /// let m = Metric { labels: vec![LabelPair::new("a", "1")], value: Value::Untyped(0.0), timestamp_ms: None };
    /// assert_eq!(m.label("a"), Some("1"));
    /// assert_eq!(m.label("b"), None);
    /// ```
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|pair| pair.name == name)
            .map(|pair| pair.value.as_str())
    }
}

/// The value of a [`Metric`], one variant per kind of value in `metrics.proto`.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A counter value, with its optional exemplar and created timestamp.
    Counter(Counter),
    /// A gauge value.
    Gauge(f64),
    /// An untyped value.
    Untyped(f64),
    /// A summary: quantiles, sum and count.
    Summary(Summary),
    /// A histogram (also used for gauge histograms). Boxed: a histogram is five times the size
    /// of the other values, and most series are counters or gauges (`size_of::<Value>()` is 64
    /// bytes instead of 240, in every stored series).
    Histogram(Box<Histogram>),
}

// Every stored series holds a `Value`: keep it small (see `Value::Histogram`).
const _: () = assert!(size_of::<Value>() <= 64);

impl Value {
    /// The metric type this kind of value belongs to (`Histogram` for histogram values, whether
    /// the family is a histogram or a gauge histogram).
    ///
    /// ```
    /// use pushgw_core::model::{MetricType, Value};
    /// assert_eq!(Value::Gauge(1.0).kind(), MetricType::Gauge);
    /// ```
    pub fn kind(&self) -> MetricType {
        match self {
            Value::Counter(_) => MetricType::Counter,
            Value::Gauge(_) => MetricType::Gauge,
            Value::Untyped(_) => MetricType::Untyped,
            Value::Summary(_) => MetricType::Summary,
            Value::Histogram(_) => MetricType::Histogram,
        }
    }
}

/// A counter's value.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Counter {
    /// The current value.
    pub value: f64,
    /// An exemplar attached to the counter (protobuf and OpenMetrics only). Boxed: rare, and
    /// three times the size of the rest of the counter.
    pub exemplar: Option<Box<Exemplar>>,
    /// When the counter was created (protobuf only).
    pub created: Option<Timestamp>,
}

/// A summary's value.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Summary {
    /// The number of observations.
    pub count: u64,
    /// The sum of observations.
    pub sum: f64,
    /// The quantiles, in the order received.
    pub quantiles: Vec<Quantile>,
    /// When the summary was created (protobuf only).
    pub created: Option<Timestamp>,
}

/// One quantile of a [`Summary`].
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Quantile {
    /// The quantile rank, e.g. `0.99`.
    pub quantile: f64,
    /// The observed value at that rank.
    pub value: f64,
}

/// A histogram's value: classic buckets, native buckets, or both.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Histogram {
    /// The number of observations.
    pub count: Count,
    /// The sum of observations.
    pub sum: f64,
    /// The classic buckets with their cumulative counts, in the order received. An implicit
    /// `+Inf` bucket is not stored; renderers add it as Go's encoder does.
    pub buckets: Vec<Bucket>,
    /// When the histogram was created (protobuf only).
    pub created: Option<Timestamp>,
    /// The native (sparse, exponential) buckets, if the push carried any native-histogram field.
    pub native: Option<NativeHistogram>,
}

/// A count that is either an integer or, in float histograms, a float.
///
/// Protobuf carries both `sample_count` and `sample_count_float`; Go's renderers use the float one
/// when it is greater than zero, and so does [`crate::proto::decode`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Count {
    /// An integer count (`sample_count`, `cumulative_count`, `zero_count`).
    Int(u64),
    /// A float count (`sample_count_float`, `cumulative_count_float`, `zero_count_float`).
    Float(f64),
}

impl Default for Count {
    fn default() -> Self {
        Count::Int(0)
    }
}

impl Count {
    /// The count as a float.
    ///
    /// ```
    /// use pushgw_core::model::Count;
    /// assert_eq!(Count::Int(3).as_f64(), 3.0);
    /// assert_eq!(Count::Float(2.5).as_f64(), 2.5);
    /// ```
    pub fn as_f64(self) -> f64 {
        match self {
            Count::Int(n) => n as f64,
            Count::Float(f) => f,
        }
    }
}

/// One classic histogram bucket.
#[derive(Debug, Clone, PartialEq)]
pub struct Bucket {
    /// The inclusive upper bound (`le`).
    pub upper_bound: f64,
    /// The number of observations less than or equal to the bound.
    pub cumulative_count: Count,
    /// An exemplar for this bucket (protobuf and OpenMetrics only).
    pub exemplar: Option<Exemplar>,
}

/// The native-histogram part of a [`Histogram`] (protobuf only), carried through unchanged.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NativeHistogram {
    /// The resolution: bucket boundaries grow by a factor of `2^(2^-schema)`.
    pub schema: i32,
    /// Observations with an absolute value at most this fall into the zero bucket.
    pub zero_threshold: f64,
    /// The zero bucket's population.
    pub zero_count: Count,
    /// Spans of populated negative buckets.
    pub negative_spans: Vec<BucketSpan>,
    /// Populations of the negative buckets.
    pub negative: NativeBuckets,
    /// Spans of populated positive buckets.
    pub positive_spans: Vec<BucketSpan>,
    /// Populations of the positive buckets.
    pub positive: NativeBuckets,
    /// Exemplars of the native histogram (`exemplars`, field 16).
    pub exemplars: Vec<Exemplar>,
}

/// A run of consecutive native buckets: `offset` is the gap to the previous span (the starting
/// index for the first span), `length` the number of buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BucketSpan {
    /// Gap to the previous span, or the starting bucket index for the first span.
    pub offset: i32,
    /// Number of consecutive buckets.
    pub length: u32,
}

/// Native bucket populations: deltas for integer histograms, absolute counts for float ones.
#[derive(Debug, Clone, PartialEq)]
pub enum NativeBuckets {
    /// Integer histograms: each entry is the difference to the previous bucket's count.
    Deltas(Vec<i64>),
    /// Float histograms: absolute counts.
    Counts(Vec<f64>),
}

impl Default for NativeBuckets {
    fn default() -> Self {
        NativeBuckets::Deltas(Vec::new())
    }
}

/// An exemplar: a sample of a traced observation attached to a counter or bucket.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Exemplar {
    /// The exemplar's labels, e.g. `trace_id`.
    pub labels: Vec<LabelPair>,
    /// The observed value.
    pub value: f64,
    /// When it was observed.
    pub timestamp: Option<Timestamp>,
}

/// A point in time as `google.protobuf.Timestamp` spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp {
    /// Seconds since the Unix epoch.
    pub seconds: i64,
    /// Nanoseconds within the second, `0..1_000_000_000`.
    pub nanos: i32,
}
