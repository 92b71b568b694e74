//! Rendering of metric families in the OpenMetrics 1.0 text format.
//!
//! The layout follows prometheus/common's `MetricFamilyToOpenMetrics` (v0.39, plus the `_created`
//! lines of later versions) wherever it produces valid OpenMetrics, and the OpenMetrics 1.0
//! specification where Go has no answer or an invalid one. The reference Pushgateway never serves
//! this format (spec §4.5, §17): it is an opt-in of the gateway, so these choices are ours:
//!
//! - Floats print as [`float::write_openmetrics`] (`1.0`, `1e+06`, `+Inf`); counts (`_count`,
//!   bucket counts) print as integers, and so do whole float counts, while fractional float
//!   counts stay floats (strict OpenMetrics 1.0 parsers reject those, Prometheus accepts them);
//!   timestamps are seconds (`1.7e+09` for 1 700 000 000 000 ms, exactly as Go divides and
//!   prints them, so `1.7000000002499998e+09` for a created time of 1700000000.25 s).
//! - A counter family named `x_total` is announced as `# TYPE x counter` (HELP and UNIT likewise
//!   name `x`) and its samples keep the name `x_total`. A counter family whose name lacks `_total`
//!   is announced as `unknown`, as Go does, rather than renamed: renaming would change the series
//!   Prometheus stores. Untyped families are `unknown` too.
//! - Gauge histograms are `gaugehistogram` with `_bucket`, `_gcount` and `_gsum` lines.
//! - `_created` lines (`x_created` for counters, `name_created` for summaries and histograms) are
//!   written when the value carries a created timestamp, without the sample timestamp, as Go's
//!   `WithCreatedLines` writes them; never for families announced as `unknown`, where they would
//!   be invalid.
//! - `# UNIT` is written only when the family name (without `_total`) already ends in `_<unit>`,
//!   as the specification requires; Go's `WithUnit` would rename the series instead.
//! - Exemplars (` # {labels} value [timestamp]`) are written on counter samples and bucket lines,
//!   the only places the specification allows them; an exemplar without labels prints `{}`.
//! - A family without metrics prints only its descriptor lines (valid OpenMetrics); values whose
//!   kind does not match the family type are rendered as what they are, as in
//!   [`crate::text::render`].
//!
//! Like the text renderer, it allocates nothing per sample.

use crate::float;
use crate::model::{
    Count, Counter, Exemplar, Histogram, Metric, MetricFamily, MetricType, Summary, Timestamp,
    Value,
};
use crate::text::render::{BoundCache, LabelBlock, write_escaped_label_value, write_label_pairs};

/// Appends the OpenMetrics rendering of `families` to `out`, ending with the mandatory `# EOF`.
///
/// ```
/// use pushgw_core::model::{Counter, LabelPair, Metric, MetricFamily, MetricType, Value};
///
/// let family = MetricFamily {
///     name: "requests_total".into(),
///     help: Some("Requests served.".into()),
///     metric_type: MetricType::Counter,
///     unit: None,
///     metrics: vec![Metric {
///         labels: vec![LabelPair::new("code", "200")],
///         value: Value::Counter(Counter { value: 1027.0, ..Counter::default() }),
///         timestamp_ms: None,
///     }],
/// };
/// let mut out = Vec::new();
/// pushgw_core::openmetrics::render(&[family], &mut out);
/// let text = String::from_utf8(out).unwrap();
/// assert_eq!(
///     text.lines().collect::<Vec<_>>(),
///     [
///         "# HELP requests Requests served.",
///         "# TYPE requests counter",
///         "requests_total{code=\"200\"} 1027.0",
///         "# EOF",
///     ]
/// );
/// ```
pub fn render(families: &[MetricFamily], out: &mut Vec<u8>) {
    for family in families {
        render_family(family, out);
    }
    out.extend_from_slice(b"# EOF\n");
}

/// Appends the OpenMetrics rendering of one family to `out`, without `# EOF`.
///
/// ```
/// use pushgw_core::model::{Metric, MetricFamily, MetricType, Value};
///
/// let family = MetricFamily {
///     name: "temperature_celsius".into(),
///     help: None,
///     metric_type: MetricType::Untyped,
///     unit: Some("celsius".into()),
///     metrics: vec![Metric { labels: vec![], value: Value::Untyped(21.0), timestamp_ms: Some(1500) }],
/// };
/// let mut out = Vec::new();
/// pushgw_core::openmetrics::render_family(&family, &mut out);
/// let text = String::from_utf8(out).unwrap();
/// assert_eq!(
///     text.lines().collect::<Vec<_>>(),
///     [
///         "# TYPE temperature_celsius unknown",
///         "# UNIT temperature_celsius celsius",
///         "temperature_celsius 21.0 1.5",
///     ]
/// );
/// ```
pub fn render_family(family: &MetricFamily, out: &mut Vec<u8>) {
    let name = family.name.as_bytes();
    let is_total_counter =
        family.metric_type == MetricType::Counter && name.ends_with(TOTAL_SUFFIX);
    // The name in descriptor lines: a counter's `_total` belongs to its samples only.
    let base = if is_total_counter {
        &name[..name.len() - TOTAL_SUFFIX.len()]
    } else {
        name
    };
    let type_word: &[u8] = match family.metric_type {
        MetricType::Counter if is_total_counter => b"counter",
        MetricType::Counter | MetricType::Untyped => b"unknown",
        MetricType::Gauge => b"gauge",
        MetricType::Summary => b"summary",
        MetricType::Histogram => b"histogram",
        MetricType::GaugeHistogram => b"gaugehistogram",
    };

    if let Some(help) = &family.help {
        out.extend_from_slice(b"# HELP ");
        out.extend_from_slice(base);
        out.push(b' ');
        // Unlike the 0.0.4 format, OpenMetrics escapes `"` in HELP too.
        write_escaped_label_value(out, help);
        out.push(b'\n');
    }
    out.extend_from_slice(b"# TYPE ");
    out.extend_from_slice(base);
    out.push(b' ');
    out.extend_from_slice(type_word);
    out.push(b'\n');
    if let Some(unit) = family
        .unit
        .as_deref()
        .filter(|unit| has_unit_suffix(base, unit))
    {
        out.extend_from_slice(b"# UNIT ");
        out.extend_from_slice(base);
        out.push(b' ');
        write_escaped_label_value(out, unit);
        out.push(b'\n');
    }

    let context = Family {
        name,
        base,
        metric_type: family.metric_type,
        is_total_counter,
    };
    let mut bounds = BoundCache::default();
    for metric in &family.metrics {
        match &metric.value {
            Value::Counter(counter) => context.write_counter(out, metric, counter),
            Value::Gauge(value) | Value::Untyped(value) => {
                context.write_plain(out, metric, *value);
            }
            Value::Summary(summary) => context.write_summary(out, metric, summary, &mut bounds),
            Value::Histogram(histogram) => {
                context.write_histogram(out, metric, histogram, &mut bounds);
            }
        }
    }
}

const TOTAL_SUFFIX: &[u8] = b"_total";

/// Whether `base` ends in `_<unit>`, which the specification requires of a family with a UNIT.
fn has_unit_suffix(base: &[u8], unit: &str) -> bool {
    let unit = unit.as_bytes();
    !unit.is_empty()
        && base.len() > unit.len()
        && base.ends_with(unit)
        && base[base.len() - unit.len() - 1] == b'_'
}

/// What every sample line of a family needs to know about the family.
struct Family<'a> {
    /// The family name: the sample name of counters, gauges and unknowns.
    name: &'a [u8],
    /// The name without a counter's `_total`: the stem of `_created`, `_sum`, `_bucket`, ...
    base: &'a [u8],
    metric_type: MetricType,
    /// A counter family named `..._total`, announced as `counter` (not `unknown`).
    is_total_counter: bool,
}

impl Family<'_> {
    /// One line for a gauge or unknown value: `name{labels} value [timestamp]`.
    fn write_plain(&self, out: &mut Vec<u8>, metric: &Metric, value: f64) {
        let mut labels = LabelBlock::default();
        write_name(out, self.name, b"", metric, &mut labels);
        float::write_openmetrics(out, value);
        write_timestamp(out, metric);
        out.push(b'\n');
    }

    fn write_counter(&self, out: &mut Vec<u8>, metric: &Metric, counter: &Counter) {
        let mut labels = LabelBlock::default();
        write_name(out, self.name, b"", metric, &mut labels);
        float::write_openmetrics(out, counter.value);
        write_timestamp(out, metric);
        if self.is_total_counter {
            write_exemplar(out, counter.exemplar.as_deref());
        }
        out.push(b'\n');
        if self.is_total_counter {
            write_created(out, self.base, metric, &mut labels, counter.created);
        }
    }

    fn write_summary(
        &self,
        out: &mut Vec<u8>,
        metric: &Metric,
        summary: &Summary,
        bounds: &mut BoundCache,
    ) {
        let mut labels = LabelBlock::default();
        for (position, quantile) in summary.quantiles.iter().enumerate() {
            out.extend_from_slice(self.base);
            labels.write_open(out, &metric.labels);
            out.extend_from_slice(b"quantile=\"");
            bounds.write(out, position, quantile.quantile, float::write_openmetrics);
            out.extend_from_slice(b"\"} ");
            float::write_openmetrics(out, quantile.value);
            write_timestamp(out, metric);
            out.push(b'\n');
        }
        write_name(out, self.base, b"_sum", metric, &mut labels);
        float::write_openmetrics(out, summary.sum);
        write_timestamp(out, metric);
        out.push(b'\n');
        write_name(out, self.base, b"_count", metric, &mut labels);
        float::write_u64(out, summary.count);
        write_timestamp(out, metric);
        out.push(b'\n');
        if self.is_described_as(MetricType::Summary) {
            write_created(out, self.base, metric, &mut labels, summary.created);
        }
    }

    fn write_histogram(
        &self,
        out: &mut Vec<u8>,
        metric: &Metric,
        histogram: &Histogram,
        bounds: &mut BoundCache,
    ) {
        let mut labels = LabelBlock::default();
        let mut infinity_seen = false;
        for (position, bucket) in histogram.buckets.iter().enumerate() {
            infinity_seen |= bucket.upper_bound == f64::INFINITY;
            let sample = BucketSample {
                position,
                upper_bound: bucket.upper_bound,
                count: bucket.cumulative_count,
            };
            self.write_bucket(out, metric, &mut labels, bounds, sample);
            if self.has_buckets() {
                write_exemplar(out, bucket.exemplar.as_ref());
            }
            out.push(b'\n');
        }
        if !infinity_seen {
            let sample = BucketSample {
                position: histogram.buckets.len(),
                upper_bound: f64::INFINITY,
                count: histogram.count,
            };
            self.write_bucket(out, metric, &mut labels, bounds, sample);
            out.push(b'\n');
        }
        // Gauge histograms have `_gcount` and `_gsum` and no `_created` (OpenMetrics 1.0,
        // "GaugeHistogram"); histograms `_sum`, `_count` (in Go's order) and `_created`.
        if self.metric_type == MetricType::GaugeHistogram {
            write_name(out, self.base, b"_gcount", metric, &mut labels);
            write_count(out, histogram.count);
            write_timestamp(out, metric);
            out.push(b'\n');
            write_name(out, self.base, b"_gsum", metric, &mut labels);
            float::write_openmetrics(out, histogram.sum);
            write_timestamp(out, metric);
            out.push(b'\n');
        } else {
            write_name(out, self.base, b"_sum", metric, &mut labels);
            float::write_openmetrics(out, histogram.sum);
            write_timestamp(out, metric);
            out.push(b'\n');
            write_name(out, self.base, b"_count", metric, &mut labels);
            write_count(out, histogram.count);
            write_timestamp(out, metric);
            out.push(b'\n');
            if self.is_described_as(MetricType::Histogram) {
                write_created(out, self.base, metric, &mut labels, histogram.created);
            }
        }
    }

    /// `base_bucket{labels,le="bound"} count [timestamp]`, without exemplar or newline.
    fn write_bucket(
        &self,
        out: &mut Vec<u8>,
        metric: &Metric,
        labels: &mut LabelBlock,
        bounds: &mut BoundCache,
        sample: BucketSample,
    ) {
        out.extend_from_slice(self.base);
        out.extend_from_slice(b"_bucket");
        labels.write_open(out, &metric.labels);
        out.extend_from_slice(b"le=\"");
        bounds.write(
            out,
            sample.position,
            sample.upper_bound,
            float::write_openmetrics,
        );
        out.extend_from_slice(b"\"} ");
        write_count(out, sample.count);
        write_timestamp(out, metric);
    }

    /// Whether the family's TYPE line announced buckets, so exemplars on them are valid.
    fn has_buckets(&self) -> bool {
        matches!(
            self.metric_type,
            MetricType::Histogram | MetricType::GaugeHistogram
        )
    }

    /// Whether the family's TYPE line announced this type, so `_created` lines are valid.
    fn is_described_as(&self, metric_type: MetricType) -> bool {
        self.metric_type == metric_type
    }
}

/// One bucket line's own data; `position` keys the family's [`BoundCache`].
struct BucketSample {
    position: usize,
    upper_bound: f64,
    count: Count,
}

/// `name suffix{labels} ` (with the space before the value).
fn write_name(
    out: &mut Vec<u8>,
    name: &[u8],
    suffix: &[u8],
    metric: &Metric,
    labels: &mut LabelBlock,
) {
    out.extend_from_slice(name);
    out.extend_from_slice(suffix);
    labels.write_closed(out, &metric.labels);
    out.push(b' ');
}

/// Counts print as integers (Go's `writeUint`). OpenMetrics 1.0 wants integer counts, so float
/// counts (float histograms, protobuf only) print as integers when they are whole numbers, and
/// as floats otherwise rather than losing the fraction.
fn write_count(out: &mut Vec<u8>, count: Count) {
    match count {
        Count::Int(n) => float::write_u64(out, n),
        // Whole and in range, so the conversion is exact.
        Count::Float(f) if (0.0..1.8e19).contains(&f) && f.trunc() == f => {
            float::write_u64(out, f as u64);
        }
        Count::Float(f) => float::write_openmetrics(out, f),
    }
}

/// ` seconds` if the sample has a timestamp: Go divides the milliseconds as a float.
fn write_timestamp(out: &mut Vec<u8>, metric: &Metric) {
    if let Some(timestamp_ms) = metric.timestamp_ms {
        out.push(b' ');
        float::write_openmetrics(out, timestamp_ms as f64 / 1000.0);
    }
}

/// `base_created{labels} seconds` on its own line, if there is a created timestamp.
fn write_created(
    out: &mut Vec<u8>,
    base: &[u8],
    metric: &Metric,
    labels: &mut LabelBlock,
    created: Option<Timestamp>,
) {
    if let Some(created) = created {
        write_name(out, base, b"_created", metric, labels);
        float::write_openmetrics(out, seconds(created));
        out.push(b'\n');
    }
}

/// ` # {labels} value [timestamp]` after a sample's value.
fn write_exemplar(out: &mut Vec<u8>, exemplar: Option<&Exemplar>) {
    let Some(exemplar) = exemplar else {
        return;
    };
    out.extend_from_slice(b" # ");
    if exemplar.labels.is_empty() {
        out.push(b'{');
    } else {
        write_label_pairs(out, &exemplar.labels);
    }
    out.extend_from_slice(b"} ");
    float::write_openmetrics(out, exemplar.value);
    if let Some(timestamp) = exemplar.timestamp {
        out.push(b' ');
        float::write_openmetrics(out, seconds(timestamp));
    }
}

/// A timestamp in seconds as Go computes it: `float64(UnixNano()) / 1e9`.
fn seconds(timestamp: Timestamp) -> f64 {
    let nanos = i128::from(timestamp.seconds) * 1_000_000_000 + i128::from(timestamp.nanos);
    nanos as f64 / 1e9
}
