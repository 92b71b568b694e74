//! Rendering of metric families in the text format 0.0.4, byte-identical to Go's `expfmt`.
//!
//! The output is what `MetricFamilyToText` of prometheus/common v0.39 (the reference binary's)
//! writes for the same families (spec §4.6): an optional `# HELP` line, a `# TYPE` line, then one
//! line per sample with labels in the order stored, `quantile`/`le` appended last, an added
//! `le="+Inf"` bucket when a histogram has none, and floats as [`float::write_text`] prints them.
//! Integer counts go through `float64` as in Go, so a count of 1234567 prints as `1.234567e+06`.
//!
//! Where Go's encoder fails, rendering into a buffer cannot, so these cases are decided here:
//! - A family without metrics renders nothing (Go returns "MetricFamily has no metrics" before
//!   writing anything). The store never holds such families.
//! - A value whose kind does not match the family type (possible only from protobuf) is rendered
//!   as what it is, under the family's TYPE line: a gauge value in a counter family is one plain
//!   sample line, a histogram value anywhere gets `_bucket`/`_sum`/`_count` lines. Go stops with
//!   "expected counter in metric ..." mid-stream; the store's consistency check rejects such pushes
//!   before they are ever rendered, as the reference does.
//! - Float counts of float histograms print as floats (prometheus/common v0.39 ignores them and
//!   prints the integer count, usually 0; newer versions print them, spec §4.6).
//!
//! Names are written as they are: the store only holds validated names.
//!
//! The renderer is written for throughput (see `benches/formats.rs`): nothing is allocated per
//! sample; label values are scanned a word at a time (with `memchr` when long) and copied as they
//! are unless they need escaping; a metric's escaped labels, and a histogram's
//! `name_bucket{labels,le="` prefix, are written once and then copied from earlier in `out`; and
//! the `le`/`quantile` texts of a family are formatted once and kept for every further metric
//! with the same bounds; counts and floats are formatted on the stack and appended as fixed-size
//! arrays cut to length, which is cheaper than a `memcpy` call for a few bytes.

use std::ops::Range;

use memchr::{memchr2, memchr3};

use crate::float;
use crate::model::{Count, Histogram, LabelPair, Metric, MetricFamily, Summary, Value};

/// Appends the text rendering of `families` to `out`, in the given order.
///
/// ```
/// use pushgw_core::model::{LabelPair, Metric, MetricFamily, MetricType, Value};
///
/// let family = MetricFamily {
///     name: "some_metric".into(),
///     help: Some("Just an example.".into()),
///     metric_type: MetricType::Gauge,
///     unit: None,
///     metrics: vec![Metric {
///         labels: vec![LabelPair::new("job", "batch")],
///         value: Value::Gauge(1e6),
///         timestamp_ms: None,
///     }],
/// };
/// let mut out = Vec::new();
/// pushgw_core::text::render(&[family], &mut out);
/// let text = String::from_utf8(out).unwrap();
/// assert_eq!(
///     text.lines().collect::<Vec<_>>(),
///     [
///         "# HELP some_metric Just an example.",
///         "# TYPE some_metric gauge",
///         "some_metric{job=\"batch\"} 1e+06",
///     ]
/// );
/// ```
pub fn render(families: &[MetricFamily], out: &mut Vec<u8>) {
    for family in families {
        render_family(family, out);
    }
}

/// Appends the text rendering of one family to `out`; a family without metrics adds nothing.
///
/// ```
/// use pushgw_core::model::{Histogram, Bucket, Count, Metric, MetricFamily, MetricType, Value};
///
/// let family = MetricFamily {
///     name: "h".into(),
///     help: None,
///     metric_type: MetricType::Histogram,
///     unit: None,
///     metrics: vec![Metric {
///         labels: vec![],
///         value: Value::Histogram(Box::new(Histogram {
///             count: Count::Int(2),
///             sum: 3.0,
///             buckets: vec![Bucket { upper_bound: 1.0, cumulative_count: Count::Int(1), exemplar: None }],
///             ..Histogram::default()
///         })),
///         timestamp_ms: None,
///     }],
/// };
/// let mut out = Vec::new();
/// pushgw_core::text::render_family(&family, &mut out);
/// let text = String::from_utf8(out).unwrap();
/// assert_eq!(
///     text.lines().collect::<Vec<_>>(),
///     [
///         "# TYPE h histogram",
///         "h_bucket{le=\"1\"} 1",
///         "h_bucket{le=\"+Inf\"} 2",
///         "h_sum 3",
///         "h_count 2",
///     ]
/// );
/// ```
pub fn render_family(family: &MetricFamily, out: &mut Vec<u8>) {
    if family.metrics.is_empty() {
        return;
    }
    let name = family.name.as_bytes();
    if let Some(help) = &family.help {
        out.extend_from_slice(b"# HELP ");
        out.extend_from_slice(name);
        out.push(b' ');
        write_escaped_help(out, help);
        out.push(b'\n');
    }
    out.extend_from_slice(b"# TYPE ");
    out.extend_from_slice(name);
    out.push(b' ');
    out.extend_from_slice(family.metric_type.text_name().as_bytes());
    out.push(b'\n');

    // Made on the first summary or histogram: the store renders every pushed metric through a
    // family of its own, and a counter or gauge has no use for the cache's kilobyte.
    let mut bounds: Option<BoundCache> = None;
    for metric in &family.metrics {
        match &metric.value {
            Value::Counter(counter) => write_simple(out, name, metric, counter.value),
            Value::Gauge(value) | Value::Untyped(value) => write_simple(out, name, metric, *value),
            Value::Summary(summary) => {
                let bounds = bounds.get_or_insert_with(BoundCache::default);
                write_summary(out, name, metric, summary, bounds);
            }
            Value::Histogram(histogram) => {
                let bounds = bounds.get_or_insert_with(BoundCache::default);
                write_histogram(out, name, metric, histogram, bounds);
            }
        }
    }
}

/// One line: `name{labels} value [timestamp]`.
fn write_simple(out: &mut Vec<u8>, name: &[u8], metric: &Metric, value: f64) {
    out.extend_from_slice(name);
    if !metric.labels.is_empty() {
        write_label_pairs(out, &metric.labels);
        out.push(b'}');
    }
    out.push(b' ');
    float::write_text(out, value);
    write_end(out, metric.timestamp_ms);
}

fn write_summary(
    out: &mut Vec<u8>,
    name: &[u8],
    metric: &Metric,
    summary: &Summary,
    bounds: &mut BoundCache,
) {
    let mut labels = LabelBlock::default();
    for (position, quantile) in summary.quantiles.iter().enumerate() {
        out.extend_from_slice(name);
        labels.write_open(out, &metric.labels);
        out.extend_from_slice(b"quantile=\"");
        bounds.write(out, position, quantile.quantile, float::write_text);
        out.extend_from_slice(b"\"} ");
        float::write_text(out, quantile.value);
        write_end(out, metric.timestamp_ms);
    }
    write_suffixed(out, name, b"_sum", metric, &mut labels);
    float::write_text(out, summary.sum);
    write_end(out, metric.timestamp_ms);
    write_suffixed(out, name, b"_count", metric, &mut labels);
    write_count(out, Count::Int(summary.count));
    write_end(out, metric.timestamp_ms);
}

fn write_histogram(
    out: &mut Vec<u8>,
    name: &[u8],
    metric: &Metric,
    histogram: &Histogram,
    bounds: &mut BoundCache,
) {
    let mut labels = LabelBlock::default();
    let mut bucket_prefix = None;
    let mut infinity_seen = false;
    for (position, bucket) in histogram.buckets.iter().enumerate() {
        infinity_seen |= bucket.upper_bound == f64::INFINITY;
        let line = BucketLine {
            name,
            metric,
            position,
            upper_bound: bucket.upper_bound,
            count: bucket.cumulative_count,
        };
        line.write(out, &mut labels, &mut bucket_prefix, bounds);
    }
    // Go adds the `+Inf` bucket, holding the total count, only when no bucket has that bound;
    // a native-only histogram therefore shows just this bucket (spec §4.6).
    if !infinity_seen {
        let line = BucketLine {
            name,
            metric,
            position: histogram.buckets.len(),
            upper_bound: f64::INFINITY,
            count: histogram.count,
        };
        line.write(out, &mut labels, &mut bucket_prefix, bounds);
    }
    write_suffixed(out, name, b"_sum", metric, &mut labels);
    float::write_text(out, histogram.sum);
    write_end(out, metric.timestamp_ms);
    write_suffixed(out, name, b"_count", metric, &mut labels);
    write_count(out, histogram.count);
    write_end(out, metric.timestamp_ms);
}

/// One `name_bucket{labels,le="bound"} count` line.
struct BucketLine<'a> {
    name: &'a [u8],
    metric: &'a Metric,
    /// The bucket's index within the histogram, the key into the [`BoundCache`].
    position: usize,
    upper_bound: f64,
    count: Count,
}

impl BucketLine<'_> {
    /// Writes the line; `prefix` remembers where `name_bucket{labels,le="` was first written,
    /// since it is the same on every bucket line of the metric and copying beats re-escaping.
    fn write(
        &self,
        out: &mut Vec<u8>,
        labels: &mut LabelBlock,
        prefix: &mut Option<Range<usize>>,
        bounds: &mut BoundCache,
    ) {
        match prefix {
            Some(range) => out.extend_from_within(range.clone()),
            None => {
                let start = out.len();
                out.extend_from_slice(self.name);
                out.extend_from_slice(b"_bucket");
                labels.write_open(out, &self.metric.labels);
                out.extend_from_slice(b"le=\"");
                *prefix = Some(start..out.len());
            }
        }
        bounds.write(out, self.position, self.upper_bound, float::write_text);
        out.extend_from_slice(b"\"} ");
        write_count(out, self.count);
        write_end(out, self.metric.timestamp_ms);
    }
}

/// The formatted `le` bounds (or `quantile` ranks) of a family, by position. Every histogram of a family usually has the same bounds, so after the first
/// metric the bound text is copied instead of formatted again; a bound that differs from the
/// cached one at its position is formatted and cached in its place.
#[derive(Default)]
pub(crate) struct BoundCache {
    entries: [CachedBound; 32],
}

/// A bound and its text, kept here rather than as a range of `out`: copying a fixed-size array
/// is cheaper than a `memcpy` call for a few bytes. 32 bytes in all.
#[derive(Clone, Default)]
struct CachedBound {
    bits: u64,
    /// The length of the text; 0 for an empty entry (a formatted float is never empty).
    len: u8,
    text: [u8; 23],
}

impl BoundCache {
    /// Writes `bound`, formatted by `format`, for the bucket or quantile at `position`. One
    /// cache serves one family and one `format`.
    #[inline]
    pub(crate) fn write(
        &mut self,
        out: &mut Vec<u8>,
        position: usize,
        bound: f64,
        format: fn(&mut Vec<u8>, f64),
    ) {
        let Some(entry) = self.entries.get_mut(position) else {
            format(out, bound);
            return;
        };
        if entry.len > 0 && entry.bits == bound.to_bits() {
            float::extend_from_array(out, &entry.text, usize::from(entry.len));
            return;
        }
        let start = out.len();
        format(out, bound);
        let text = &out[start..];
        // Only the longest texts (24 bytes, e.g. `-1.7976931348623157e+308`) do not fit; they
        // are formatted every time.
        if let Ok(len) = u8::try_from(text.len())
            && text.len() <= entry.text.len()
        {
            entry.bits = bound.to_bits();
            entry.len = len;
            entry.text[..text.len()].copy_from_slice(text);
        } else {
            entry.len = 0;
        }
    }
}

/// `name_suffix{labels} ` for the `_sum` and `_count` lines.
fn write_suffixed(
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

/// A count as Go prints it: converted to `float64` first.
#[inline]
fn write_count(out: &mut Vec<u8>, count: Count) {
    match count {
        Count::Int(n) => float::write_text_u64(out, n),
        Count::Float(f) => float::write_text(out, f),
    }
}

/// An optional ` timestamp`, then the newline.
#[inline]
fn write_end(out: &mut Vec<u8>, timestamp_ms: Option<i64>) {
    if let Some(timestamp) = timestamp_ms {
        out.push(b' ');
        float::write_i64(out, timestamp);
    }
    out.push(b'\n');
}

/// The escaped label pairs of one metric, `{a="x",b="y"`, written once and then copied from where
/// they were first written in `out` (a summary or histogram repeats them on every line).
#[derive(Default)]
pub(crate) struct LabelBlock {
    written: Option<Range<usize>>,
}

impl LabelBlock {
    /// Writes the block followed by the separator for one more label: `{a="x",` or just `{`.
    pub(crate) fn write_open(&mut self, out: &mut Vec<u8>, labels: &[LabelPair]) {
        if labels.is_empty() {
            out.push(b'{');
        } else {
            self.write(out, labels);
            out.push(b',');
        }
    }

    /// Writes the block closed, `{a="x"}`, or nothing if there are no labels.
    pub(crate) fn write_closed(&mut self, out: &mut Vec<u8>, labels: &[LabelPair]) {
        if !labels.is_empty() {
            self.write(out, labels);
            out.push(b'}');
        }
    }

    fn write(&mut self, out: &mut Vec<u8>, labels: &[LabelPair]) {
        match &self.written {
            Some(range) => out.extend_from_within(range.clone()),
            None => {
                let start = out.len();
                write_label_pairs(out, labels);
                self.written = Some(start..out.len());
            }
        }
    }
}

/// `{a="x",b="y"` (no closing brace) for a non-empty label list.
pub(crate) fn write_label_pairs(out: &mut Vec<u8>, labels: &[LabelPair]) {
    let mut separator = b'{';
    for pair in labels {
        out.push(separator);
        out.extend_from_slice(pair.name.as_bytes());
        out.extend_from_slice(b"=\"");
        write_escaped_label_value(out, &pair.value);
        out.push(b'"');
        separator = b',';
    }
}

/// Label values escape `\`, `"` and newline (Go's `quotedEscaper`).
#[inline]
pub(crate) fn write_escaped_label_value(out: &mut Vec<u8>, value: &str) {
    let bytes = value.as_bytes();
    // Most label values are short; a word-at-a-time scan beats memchr's setup below its vector
    // width.
    let first = if bytes.len() < 32 {
        if has_escapable(bytes) {
            bytes.iter().position(|&b| NEEDS_ESCAPE[usize::from(b)])
        } else {
            None
        }
    } else {
        memchr3(b'\\', b'"', b'\n', bytes)
    };
    match first {
        None => out.extend_from_slice(bytes),
        Some(first) => write_escaped_from(out, bytes, first),
    }
}

/// Whether `bytes` holds a `\\`, `"` or newline, tested a word at a time: the bytes are read as
/// (possibly overlapping) 8-byte words, or one word made of two overlapping 4-byte halves.
#[inline]
fn has_escapable(bytes: &[u8]) -> bool {
    let len = bytes.len();
    if len >= 8 {
        let mut chunks = bytes.chunks_exact(8);
        let any_chunk = chunks.any(|chunk| {
            word_has_escapable(u64::from_le_bytes(
                chunk.try_into().expect("chunks_exact yields 8 bytes"),
            ))
        });
        // The last eight bytes cover the remainder (overlapping the last chunk).
        let last = bytes[len - 8..].try_into().expect("eight bytes");
        any_chunk
            || (!chunks.remainder().is_empty() && word_has_escapable(u64::from_le_bytes(last)))
    } else if len >= 4 {
        let low = u32::from_le_bytes(bytes[..4].try_into().expect("four bytes"));
        let high = u32::from_le_bytes(bytes[len - 4..].try_into().expect("four bytes"));
        word_has_escapable(u64::from(low) | (u64::from(high) << 32))
    } else {
        bytes.iter().any(|&b| NEEDS_ESCAPE[usize::from(b)])
    }
}

/// Whether a byte of `word` is a `\\`, `"` or newline.
#[inline]
fn word_has_escapable(word: u64) -> bool {
    super::label_value_specials(word) != 0
}

/// The bytes a label value must escape: `\`, `"` and newline.
const NEEDS_ESCAPE: [bool; 256] = {
    let mut table = [false; 256];
    table[b'\\' as usize] = true;
    table[b'"' as usize] = true;
    table[b'\n' as usize] = true;
    table
};

/// HELP text escapes `\` and newline only (Go's `escaper`): a `"` stays as it is.
fn write_escaped_help(out: &mut Vec<u8>, help: &str) {
    let bytes = help.as_bytes();
    match memchr2(b'\\', b'\n', bytes) {
        None => out.extend_from_slice(bytes),
        Some(first) => {
            out.extend_from_slice(&bytes[..first]);
            for &b in &bytes[first..] {
                match b {
                    b'\\' => out.extend_from_slice(b"\\\\"),
                    b'\n' => out.extend_from_slice(b"\\n"),
                    _ => out.push(b),
                }
            }
        }
    }
}

/// The slow path of label-value escaping, from the first byte that needs it.
#[cold]
fn write_escaped_from(out: &mut Vec<u8>, bytes: &[u8], first: usize) {
    out.extend_from_slice(&bytes[..first]);
    for &b in &bytes[first..] {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'"' => out.extend_from_slice(b"\\\""),
            b'\n' => out.extend_from_slice(b"\\n"),
            _ => out.push(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::has_escapable;

    #[test]
    fn word_scan_finds_an_escape_at_every_offset() {
        for length in 0..40 {
            for position in 0..=length {
                for special in [b'\\', b'"', b'\n'] {
                    let mut bytes = vec![b'a'; length];
                    // Bytes that differ from the specials by one bit must not match.
                    for (i, byte) in bytes.iter_mut().enumerate() {
                        *byte = [b'a', b']', b'#', b'\x0b', 0x80 | b'"'][i % 5];
                    }
                    let expected = position < length;
                    if expected {
                        bytes[position] = special;
                    }
                    assert_eq!(has_escapable(&bytes), expected, "{bytes:?}");
                }
            }
        }
    }
}
