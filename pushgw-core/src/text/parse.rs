//! Assembly of parsed lines into metric families, as prometheus/common's `TextParser` (v0.39)
//! assembles them (spec §3.3): families by name across non-adjacent lines, summaries and
//! histograms from their `quantile`/`le`, `_sum`, `_count` and `_bucket` lines grouped by the
//! remaining label set. It knows nothing of the line syntax ([`super::line`]) and nothing of the
//! checks the store runs on a push (timestamps, duplicate series, name collisions).

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};

use super::line::{self, Label, Line, LineError, Partial, Sample};
use super::{ParseError, ParseErrorKind};
use crate::model::{
    Bucket, Count, Counter, Histogram, LabelPair, Metric, MetricFamily, MetricType, Quantile,
    Summary, Value,
};

/// Parses a text-format 0.0.4 exposition into metric families, in order of first appearance.
///
/// It accepts what the Go Pushgateway 1.5.1 accepts and rejects what it rejects, with the same
/// error messages and line numbers, with three deliberate differences:
///
/// * A HELP text that is not UTF-8 is an error ([`ParseErrorKind::InvalidHelpText`]); the
///   reference takes any bytes, but HELP texts are strings here.
/// * `# TYPE name gauge_histogram` is an unknown type; the reference takes it, drops the values
///   of the family's samples and then fails every scrape.
/// * Histogram counts (`_count`, `_bucket`) that are not integers in `0..2^64` make the histogram
///   a float histogram ([`Count::Float`]) instead of being converted as Go converts a float to
///   `uint64` (`2.5` becomes `2`, `-1` becomes `2^64 - 1`).
///
/// What the reference does and this function does too, although it loses information: a summary
/// `_count` is converted to an integer as Go converts it (truncated; negative, NaN and huge
/// values become `2^63` or wrap), and samples of a summary or histogram without a `quantile` or
/// `le` label (or with a NaN one) that are not `_sum` or `_count` are dropped, though they create
/// the metric.
///
/// Families without samples (a HELP or TYPE line only) are left out. Timestamps are kept in
/// [`Metric::timestamp_ms`]; rejecting them is the store's business.
///
/// ```
/// use pushgw_core::model::{MetricType, Value};
///
/// let input = b"# TYPE rpc_seconds summary\n\
///     rpc_seconds{quantile=\"0.5\"} 0.2\n\
///     rpc_seconds_sum 8\n\
///     rpc_seconds_count 40\n";
/// let families = pushgw_core::text::parse(input).unwrap();
/// assert_eq!(families[0].name, "rpc_seconds");
/// assert_eq!(families[0].metric_type, MetricType::Summary);
/// let Value::Summary(summary) = &families[0].metrics[0].value else { panic!() };
/// assert_eq!((summary.count, summary.sum), (40, 8.0));
///
/// let err = pushgw_core::text::parse(b"some_metric 3.14").unwrap_err();
/// assert_eq!(err.to_string(), "text format parsing error in line 1: unexpected end of input stream");
/// ```
pub fn parse(input: &[u8]) -> Result<Vec<MetricFamily>, ParseError> {
    parse_lines(input, true)
}

/// [`parse`], trying the fast path for plain sample lines first if `fast_path` (which tests
/// turn off to compare).
fn parse_lines(input: &[u8], fast_path: bool) -> Result<Vec<MetricFamily>, ParseError> {
    let mut assembler = Assembler::default();
    // The labels of this line and of the previous one, which hint at this line's.
    let (mut labels, mut previous_labels) = (Vec::new(), Vec::new());
    // Checking UTF-8 once for the whole input is much cheaper than for every name and value; a
    // line of an input that is not UTF-8 is checked piecewise.
    let text = std::str::from_utf8(input).ok();
    let mut previous_name = "";
    let mut previous_line = line::Previous::default();
    let mut start = 0;
    let mut number = 0;
    while start < input.len() {
        number += 1;
        std::mem::swap(&mut labels, &mut previous_labels);
        let hints = line::Hints {
            name: previous_name,
            labels: &previous_labels,
        };
        let fast = match text {
            Some(text) if fast_path => {
                line::fast_sample(text, start, hints, &mut previous_line, &mut labels)
            }
            _ => None,
        };
        let (parsed, repeated) = match fast {
            Some(taken) => {
                start = taken.end;
                (Ok(Line::Sample(taken.sample)), taken.repeated)
            }
            None => {
                let end = line_end(input, start);
                let line_text = text.and_then(|text| text.get(start..end));
                let parsed =
                    line::parse_with_text(&input[start..end], line_text, hints, &mut labels);
                start = end;
                (parsed, 0)
            }
        };
        if let Ok(Line::Sample(sample)) = &parsed {
            previous_name = sample.name;
        }
        assembler
            .apply(parsed, &labels, repeated)
            .map_err(|kind| ParseError { line: number, kind })?;
    }
    Ok(assembler.finish())
}

/// The end of the line that starts at `start`: after its `\n`, or the end of the input if the
/// line lacks one.
fn line_end(input: &[u8], start: usize) -> usize {
    memchr::memchr(b'\n', &input[start..]).map_or(input.len(), |at| start + at + 1)
}

/// The families so far, and how names find them.
#[derive(Default)]
struct Assembler<'a> {
    /// In order of creation, empty ones included (the reference creates a family for a HELP or
    /// TYPE line and drops it at the end if it got no samples).
    families: Vec<FamilyState>,
    by_name: HashMap<&'a str, usize>,
    /// The last few names resolved and what they resolved to: neighbouring lines mostly share a
    /// name, or alternate between the `_bucket`, `_sum` and `_count` of one family.
    recent: [Option<(&'a str, Resolved)>; 4],
    /// Where the next name resolved goes in `recent`.
    next_recent: usize,
    /// The last line, if it was a sample.
    last_sample: Option<LastSample>,
}

/// What the assembler keeps of a sample line for the next line, if that one repeats the name and
/// the first labels (see [`Assembler::apply`]).
#[derive(Clone, Copy)]
struct LastSample {
    resolved: Resolved,
    /// For a summary or histogram, the metric the line went to.
    metric: usize,
    /// Labels from this one on are all the family's special label (see [`Checked`]).
    special_from: usize,
}

struct FamilyState {
    family: MetricFamily,
    /// Whether the type is settled, by a TYPE line or by the first sample (which makes it
    /// untyped); a TYPE line after that is an error.
    typed: bool,
    /// For summaries and histograms: the metrics by a hash of their label set (in any order, as
    /// the reference's signature), so that lines of one metric find it wherever they are.
    series: HashMap<u64, Vec<usize>>,
}

/// The family a metric name belongs to, and what its samples mean there.
#[derive(Clone, Copy)]
struct Resolved {
    family: usize,
    role: Role,
}

/// What a sample means in its family.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    /// The family's own name (or a `_bucket` line of a histogram).
    Plain,
    /// The `_count` line of a summary or histogram.
    Count,
    /// The `_sum` line of a summary or histogram.
    Sum,
}

impl<'a> Assembler<'a> {
    /// Adds a parsed line. `repeated` says how many of its first labels have the same bytes as
    /// in the previous line, which was a sample line with the same name; the checks and the
    /// search for a summary's or histogram's metric need not look at them again.
    fn apply(
        &mut self,
        parsed: Result<Line<'a>, LineError<'a>>,
        labels: &[Label<'a>],
        repeated: usize,
    ) -> Result<(), ParseErrorKind> {
        let last_sample = self.last_sample.take().filter(|_| repeated > 0);
        match parsed {
            Ok(Line::Blank | Line::Comment) => Ok(()),
            Ok(Line::Help { name, text }) => {
                let family = self.resolve(name).family;
                match text {
                    Some(text) => self.set_help(family, text.into_owned()),
                    None => Ok(()),
                }
            }
            Ok(Line::Type { name, metric_type }) => {
                let family = self.resolve(name).family;
                match metric_type {
                    Some(metric_type) => self.set_type(family, metric_type),
                    None => Ok(()),
                }
            }
            Ok(Line::Sample(sample)) => {
                let repeated = last_sample.map(|last| (last, repeated));
                self.sample(sample, labels, repeated)
            }
            Err(err) => Err(self.first_error(err, labels)),
        }
    }

    /// The error the reference reports for a failed line: a check that depends on earlier lines
    /// and that it runs before reaching the line's own error wins.
    fn first_error(&mut self, err: LineError<'a>, labels: &[Label<'a>]) -> ParseErrorKind {
        let mut kind = err.kind;
        match err.partial {
            Partial::Nothing => {}
            Partial::Help(name) => {
                let family = self.resolve(name).family;
                let family = &self.families[family].family;
                if family.help.is_some() {
                    kind = second_help(family);
                }
            }
            Partial::Type(name) => {
                let family = self.resolve(name).family;
                let family = &self.families[family];
                if family.typed {
                    kind = second_type(&family.family);
                }
            }
            Partial::Sample {
                name,
                pending_label,
            } => {
                let family = self.sample_family(name).family;
                let family = &self.families[family].family;
                if let Err(first) = check_labels(family, labels, pending_label, 0) {
                    kind = first;
                } else if let ParseErrorKind::InvalidLabelName { metric } = &mut kind {
                    metric.clone_from(&family.name);
                }
            }
        }
        kind
    }

    fn set_help(&mut self, family: usize, text: String) -> Result<(), ParseErrorKind> {
        let family = &mut self.families[family].family;
        if family.help.is_some() {
            return Err(second_help(family));
        }
        family.help = Some(text);
        Ok(())
    }

    fn set_type(&mut self, family: usize, metric_type: MetricType) -> Result<(), ParseErrorKind> {
        let state = &mut self.families[family];
        if state.typed {
            return Err(second_type(&state.family));
        }
        state.typed = true;
        state.family.metric_type = metric_type;
        // Names ending in `_sum`, `_count` or `_bucket` may now resolve differently.
        self.recent = [None; 4];
        Ok(())
    }

    /// Resolves the name of a sample line, settling its family's type as the reference does
    /// before reading labels.
    fn sample_family(&mut self, name: &'a str) -> Resolved {
        let resolved = self.resolve(name);
        self.families[resolved.family].typed = true;
        resolved
    }

    /// A sample line; `repeated` is the last sample line and how many first labels this one
    /// shares with it, if any (see [`Assembler::apply`]).
    fn sample(
        &mut self,
        sample: Sample<'a>,
        labels: &[Label<'a>],
        repeated: Option<(LastSample, usize)>,
    ) -> Result<(), ParseErrorKind> {
        // The same name resolves the same way, and the previous line settled the type.
        let resolved = match repeated {
            Some((last, _)) => last.resolved,
            None => self.sample_family(sample.name),
        };
        let state = &mut self.families[resolved.family];
        let checked_before = repeated.map_or(0, |(_, count)| count);
        let checked = check_labels(&state.family, labels, None, checked_before)?;
        let metric_type = state.family.metric_type;
        let value = sample.value;
        let plain = |value| Metric {
            labels: owned_labels(labels, None),
            value,
            timestamp_ms: sample.timestamp_ms,
        };
        let metric = match metric_type {
            MetricType::Counter => plain(Value::Counter(Counter {
                value,
                ..Counter::default()
            })),
            MetricType::Gauge => plain(Value::Gauge(value)),
            MetricType::Untyped => plain(Value::Untyped(value)),
            MetricType::Summary | MetricType::Histogram | MetricType::GaugeHistogram => {
                // Lines that differ only in special labels after what they share belong to the
                // same metric.
                let index = match repeated {
                    Some((last, count))
                        if last.special_from <= count && checked.special_from <= count =>
                    {
                        last.metric
                    }
                    _ => state.series_metric(labels),
                };
                self.last_sample = Some(LastSample {
                    resolved,
                    metric: index,
                    special_from: checked.special_from,
                });
                let metric = &mut state.family.metrics[index];
                if sample.timestamp_ms.is_some() {
                    metric.timestamp_ms = sample.timestamp_ms;
                }
                let (role, bound) = (resolved.role, checked.bound);
                match &mut metric.value {
                    Value::Summary(summary) => add_to_summary(summary, role, bound, value),
                    Value::Histogram(histogram) => add_to_histogram(histogram, role, bound, value),
                    // Only summaries and histograms are shared between lines.
                    Value::Counter(_) | Value::Gauge(_) | Value::Untyped(_) => {}
                }
                return Ok(());
            }
        };
        state.family.metrics.push(metric);
        self.last_sample = Some(LastSample {
            resolved,
            metric: state.family.metrics.len() - 1,
            special_from: checked.special_from,
        });
        Ok(())
    }

    /// The family of a metric name, created if there is none, as the reference's
    /// `setOrCreateCurrentMF` finds it.
    fn resolve(&mut self, name: &'a str) -> Resolved {
        let cached = self.recent.iter().flatten();
        if let Some(&(_, resolved)) = cached
            .into_iter()
            .find(|(recent, _)| line::same(recent.as_bytes(), name.as_bytes()))
        {
            return resolved;
        }
        let resolved = self.resolve_uncached(name);
        self.recent[self.next_recent] = Some((name, resolved));
        self.next_recent = (self.next_recent + 1) % self.recent.len();
        resolved
    }

    fn resolve_uncached(&mut self, name: &'a str) -> Resolved {
        if let Some(&family) = self.by_name.get(name) {
            return Resolved {
                family,
                role: Role::Plain,
            };
        }
        // A `_count` or `_sum` of a summary or histogram, or a `_bucket` of a histogram. The
        // suffix must leave a non-empty name.
        let suffixes = [
            ("_count", Role::Count),
            ("_sum", Role::Sum),
            ("_bucket", Role::Plain),
        ];
        for (suffix, role) in suffixes {
            let Some(base) = name.strip_suffix(suffix).filter(|base| !base.is_empty()) else {
                continue;
            };
            if let Some(&family) = self.by_name.get(base) {
                let metric_type = self.families[family].family.metric_type;
                let typed = self.families[family].typed;
                let fits = match metric_type {
                    MetricType::Summary => role != Role::Plain,
                    MetricType::Histogram => true,
                    _ => false,
                };
                if typed && fits {
                    return Resolved { family, role };
                }
            }
        }
        let family = self.families.len();
        self.families.push(FamilyState {
            family: MetricFamily {
                name: name.to_owned(),
                help: None,
                metric_type: MetricType::Untyped,
                unit: None,
                metrics: Vec::new(),
            },
            typed: false,
            series: HashMap::new(),
        });
        self.by_name.insert(name, family);
        Resolved {
            family,
            role: Role::Plain,
        }
    }

    fn finish(self) -> Vec<MetricFamily> {
        self.families
            .into_iter()
            .map(|state| state.family)
            .filter(|family| !family.metrics.is_empty())
            .collect()
    }
}

impl FamilyState {
    /// The index of the summary or histogram metric with the label set of `labels` (without
    /// `quantile` or `le`), created if there is none.
    fn series_metric(&mut self, labels: &[Label<'_>]) -> usize {
        let special = special_label(self.family.metric_type);
        let metrics = &mut self.family.metrics;
        // Lines of one metric are usually adjacent.
        if metrics
            .last()
            .is_some_and(|last| same_label_set(&last.labels, labels, special))
        {
            return metrics.len() - 1;
        }
        let hash = label_set_hash(labels, special);
        let candidates = self.series.entry(hash).or_default();
        let found = candidates
            .iter()
            .copied()
            .find(|&index| same_label_set(&metrics[index].labels, labels, special));
        found.unwrap_or_else(|| {
            // The series of a family mostly have as many quantiles or buckets as the previous.
            let value = match metrics.last().map(|last| &last.value) {
                Some(Value::Summary(last)) => Value::Summary(Summary {
                    quantiles: Vec::with_capacity(last.quantiles.len()),
                    ..Summary::default()
                }),
                Some(Value::Histogram(last)) => Value::Histogram(Box::new(Histogram {
                    buckets: Vec::with_capacity(last.buckets.len()),
                    ..Histogram::default()
                })),
                _ if self.family.metric_type == MetricType::Summary => {
                    Value::Summary(Summary::default())
                }
                _ => Value::Histogram(Box::default()),
            };
            metrics.push(Metric {
                labels: owned_labels(labels, special),
                value,
                timestamp_ms: None,
            });
            candidates.push(metrics.len() - 1);
            metrics.len() - 1
        })
    }
}

/// The label a summary (`quantile`) or histogram (`le`) takes out of the label set.
fn special_label(metric_type: MetricType) -> Option<&'static str> {
    match metric_type {
        MetricType::Summary => Some("quantile"),
        MetricType::Histogram | MetricType::GaugeHistogram => Some("le"),
        MetricType::Counter | MetricType::Gauge | MetricType::Untyped => None,
    }
}

/// What the label checks found out.
struct Checked {
    /// The float of the special label (the last one if there are several), NaN if there is none.
    bound: f64,
    /// Where the labels that are all the family's special label begin: the length of the label
    /// set up to its last label that is not special.
    special_from: usize,
}

/// Runs the label checks that depend on the family, in the reference's order: duplicate names
/// (the special label aside) and the float of the special label. `pending` is a label whose value
/// is still to come. The duplicate check skips pairs of labels both before `checked_before`,
/// because the previous line checked them (see [`Assembler::apply`]).
fn check_labels(
    family: &MetricFamily,
    labels: &[Label<'_>],
    pending: Option<&str>,
    checked_before: usize,
) -> Result<Checked, ParseErrorKind> {
    let special = special_label(family.metric_type);
    let is_special = |name: &str| special.is_some_and(|special| same_name(name, special));
    let duplicate = || ParseErrorKind::DuplicateLabelNames {
        metric: family.name.clone(),
    };
    let mut checked = Checked {
        bound: f64::NAN,
        special_from: 0,
    };
    for (index, label) in labels.iter().enumerate() {
        if is_special(label.name) {
            checked.bound = line::parse_float(&label.value).ok_or_else(|| {
                let value = label.value.clone().into_owned();
                match family.metric_type {
                    MetricType::Summary => ParseErrorKind::InvalidQuantile { value },
                    _ => ParseErrorKind::InvalidBucketBound { value },
                }
            })?;
            continue;
        }
        checked.special_from = index + 1;
        if index >= checked_before
            && labels[..index]
                .iter()
                .any(|other| same_name(other.name, label.name))
        {
            return Err(duplicate());
        }
    }
    if let Some(pending) = pending
        && !is_special(pending)
        && labels.iter().any(|label| same_name(label.name, pending))
    {
        return Err(duplicate());
    }
    Ok(checked)
}

fn same_name(a: &str, b: &str) -> bool {
    line::same(a.as_bytes(), b.as_bytes())
}

fn second_help(family: &MetricFamily) -> ParseErrorKind {
    ParseErrorKind::SecondHelp {
        metric: family.name.clone(),
    }
}

fn second_type(family: &MetricFamily) -> ParseErrorKind {
    ParseErrorKind::SecondType {
        metric: family.name.clone(),
    }
}

fn owned_labels(labels: &[Label<'_>], special: Option<&str>) -> Vec<LabelPair> {
    let mut pairs = Vec::with_capacity(labels.len());
    for label in labels.iter().filter(|label| Some(label.name) != special) {
        pairs.push(LabelPair::new(label.name, label.value.as_ref()));
    }
    pairs
}

/// Whether `labels` without `special` are the same set as `pairs`. Both have unique names.
fn same_label_set(pairs: &[LabelPair], labels: &[Label<'_>], special: Option<&str>) -> bool {
    let mut count = 0;
    for label in labels.iter().filter(|label| Some(label.name) != special) {
        // Lines of one metric mostly list its labels in the same order: try the same position
        // before searching.
        let same = |pair: &LabelPair| {
            same_name(&pair.name, label.name)
                && line::same(pair.value.as_bytes(), label.value.as_bytes())
        };
        let found = pairs.get(count).is_some_and(same) || pairs.iter().any(same);
        if !found {
            return false;
        }
        count += 1;
    }
    count == pairs.len()
}

/// A hash of the label set without `special` that does not depend on the labels' order.
fn label_set_hash(labels: &[Label<'_>], special: Option<&str>) -> u64 {
    let state = BuildHasherDefault::<DefaultHasher>::default();
    labels
        .iter()
        .filter(|label| Some(label.name) != special)
        .fold(0, |sum: u64, label| {
            sum.wrapping_add(state.hash_one((label.name, &*label.value)))
        })
}

fn add_to_summary(summary: &mut Summary, role: Role, quantile: f64, value: f64) {
    match role {
        Role::Count => summary.count = go_float_to_u64(value),
        Role::Sum => summary.sum = value,
        Role::Plain if !quantile.is_nan() => summary.quantiles.push(Quantile { quantile, value }),
        Role::Plain => {}
    }
}

fn add_to_histogram(histogram: &mut Histogram, role: Role, upper_bound: f64, value: f64) {
    match role {
        Role::Count => histogram.count = histogram_count(histogram, value),
        Role::Sum => histogram.sum = value,
        Role::Plain if !upper_bound.is_nan() => {
            let cumulative_count = histogram_count(histogram, value);
            histogram.buckets.push(Bucket {
                upper_bound,
                cumulative_count,
                exemplar: None,
            });
        }
        Role::Plain => {}
    }
}

/// A histogram count: an integer while every count of the histogram is one, else a float, the
/// histogram's other counts turned into floats too (a float histogram has only float counts).
fn histogram_count(histogram: &mut Histogram, value: f64) -> Count {
    if let Count::Float(_) = histogram.count {
        return Count::Float(value);
    }
    // 2^64: every integral f64 below it is a u64.
    const LIMIT: f64 = 2.0 * (1_u64 << 63) as f64;
    if (0.0..LIMIT).contains(&value) && value.fract() == 0.0 {
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "checked"
        )]
        return Count::Int(value as u64);
    }
    histogram.count = Count::Float(histogram.count.as_f64());
    for bucket in &mut histogram.buckets {
        bucket.cumulative_count = Count::Float(bucket.cumulative_count.as_f64());
    }
    Count::Float(value)
}

/// Go's `uint64(value)` on amd64, the reference's platform: values below 2^63 are truncated to
/// `int64` (wrapping negatives), larger ones are offset by 2^63; NaN and values out of range
/// become 2^63 (the x86 "integer indefinite" value).
fn go_float_to_u64(value: f64) -> u64 {
    const TWO_63: f64 = (1_u64 << 63) as f64;
    fn to_i64(value: f64) -> i64 {
        if (-TWO_63..TWO_63).contains(&value) {
            #[allow(clippy::cast_possible_truncation, reason = "range checked")]
            return value as i64;
        }
        i64::MIN
    }
    if value < TWO_63 {
        to_i64(value).cast_unsigned()
    } else {
        to_i64(value - TWO_63).cast_unsigned() | (1 << 63)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_floats_to_u64_as_go_on_amd64() {
        let cases: [(f64, u64); 12] = [
            (0.0, 0),
            (2.9, 2),
            (-0.9, 0),
            (-1.0, u64::MAX),
            (-2.5, u64::MAX - 1),
            (f64::NAN, 1 << 63),
            (f64::INFINITY, 1 << 63),
            (f64::NEG_INFINITY, 1 << 63),
            (1e19, 10_000_000_000_000_000_000),
            (1e20, 1 << 63),
            (-1e19, 1 << 63),
            (9.2e18, 9_200_000_000_000_000_000),
        ];
        for (value, expected) in cases {
            assert_eq!(go_float_to_u64(value), expected, "{value}");
        }
    }

    #[test]
    fn finds_the_ends_of_lines() {
        assert_eq!(line_end(b"a\n", 0), 2);
        assert_eq!(line_end(b"a\n\nb", 2), 3);
        assert_eq!(line_end(b"a\n\nb", 3), 4);
    }

    #[test]
    fn hashes_label_sets_in_any_order() {
        let label = |name, value: &'static str| Label {
            name,
            value: value.into(),
        };
        let ab = [label("a", "1"), label("b", "2")];
        let ba = [label("b", "2"), label("le", "1"), label("a", "1")];
        assert_eq!(
            label_set_hash(&ab, Some("le")),
            label_set_hash(&ba, Some("le"))
        );
        let pairs = owned_labels(&ab, None);
        assert!(same_label_set(&pairs, &ba, Some("le")));
        assert!(!same_label_set(&pairs, &ba, None));
    }

    /// Whether [`parse`] with and without the fast path gives the same families (compared as
    /// printed, for NaN) or the same error; else both outcomes.
    fn same_outcome(input: &[u8]) -> Result<(), (String, String)> {
        let fast = format!("{:?}", parse_lines(input, true));
        let general = format!("{:?}", parse_lines(input, false));
        if fast == general {
            Ok(())
        } else {
            Err((fast, general))
        }
    }

    /// The fast path for plain sample lines never changes a result: families or error.
    #[test]
    fn the_fast_path_changes_nothing_on_the_vectors_and_the_fuzz_corpus() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut dirs = ["ok", "err", "reject", "deviation"]
            .map(|dir| root.join("test_data/text").join(dir))
            .to_vec();
        dirs.push(root.join("../fuzz/corpus/text_parse"));
        let mut inputs = 0;
        for dir in dirs {
            for entry in std::fs::read_dir(&dir).expect("a test data directory") {
                let path = entry.expect("a directory entry").path();
                let input = std::fs::read(&path).expect("a readable file");
                assert_eq!(same_outcome(&input), Ok(()), "{}", path.display());
                inputs += 1;
            }
        }
        assert!(inputs > 100, "only {inputs} inputs");
    }

    proptest::proptest! {
        #[test]
        fn the_fast_path_changes_nothing(
            lines in proptest::collection::vec(
                "(# TYPE [ab] (summary|histogram|counter)\n|\
                 [ab](_sum|_count|_bucket)?(\\{((x|y|le|quantile|[a-z]{1,2})=\"([0-9.+]{1,3}|Inf|\\\\)\",?){0,4} ?\\})? ?[0-9.e+Inf-]{1,4}( [0-9]{1,3})?\n|\
                 [a-z_ {}=\",.\t\\\\0-9e+#-]{0,20}\n?)",
                0..12,
            ),
            shared in proptest::collection::vec(proptest::option::of(0..40_usize), 12),
        ) {
            // Some lines begin as the line before them (cut at a random place), as the lines of
            // a histogram or summary do.
            let mut input = String::new();
            let mut before = 0..0;
            for (line, cut) in lines.iter().zip(shared) {
                let start = input.len();
                if let Some(cut) = cut.filter(|&cut| cut < before.len()) {
                    input.extend_from_within(before.start..before.start + cut);
                }
                input.push_str(line);
                before = start..input.len();
            }
            proptest::prop_assert_eq!(same_outcome(input.as_bytes()), Ok(()), "{:?}", input);
        }
    }

    /// One line of [`families_with_shared_prefixes`]: a TYPE line, or a sample line that may
    /// repeat the name and first labels of the sample line before it.
    #[derive(Debug, Clone)]
    enum TestLine {
        Type(&'static str, &'static str),
        Sample {
            name: &'static str,
            labels: Vec<(&'static str, &'static str)>,
            value: &'static str,
            repeat: Option<usize>,
        },
    }

    /// Inputs of summaries and histograms whose lines, like real ones, repeat the start of the
    /// line before them, with duplicate or misplaced special labels thrown in.
    fn families_with_shared_prefixes() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let pick = |items: &'static [&'static str]| proptest::sample::select(items);
        let type_line = (
            pick(&["a", "b"]),
            pick(&["summary", "histogram", "counter"]),
        )
            .prop_map(|(name, kind)| TestLine::Type(name, kind));
        let label = (
            pick(&["x", "y", "le", "quantile"]),
            pick(&["1", "0.5", "+Inf", "x", ""]),
        );
        let sample_line = (
            pick(&["a", "a_sum", "a_count", "a_bucket", "b", "b_bucket"]),
            proptest::collection::vec(label, 0..4),
            pick(&["1", "2.5", "-1", "NaN"]),
            prop_oneof![1 => Just(None), 3 => (0..4_usize).prop_map(Some)],
        )
            .prop_map(|(name, labels, value, repeat)| TestLine::Sample {
                name,
                labels,
                value,
                repeat,
            });
        let kinds = (
            pick(&["summary", "histogram"]),
            pick(&["summary", "histogram"]),
        );
        let lines =
            proptest::collection::vec(prop_oneof![1 => type_line, 12 => sample_line], 0..16);
        (kinds, lines).prop_map(|((a, b), lines)| {
            let mut input = format!("# TYPE a {a}\n# TYPE b {b}\n");
            let mut before: Option<(&str, Vec<(&str, &str)>)> = None;
            for line in lines {
                match line {
                    TestLine::Type(name, kind) => {
                        input.push_str(&format!("# TYPE {name} {kind}\n"));
                        before = None;
                    }
                    TestLine::Sample {
                        mut name,
                        mut labels,
                        value,
                        repeat,
                    } => {
                        if let (Some(repeat), Some((before_name, before_labels))) =
                            (repeat, &before)
                        {
                            name = before_name;
                            let repeat = repeat.min(before_labels.len());
                            labels.splice(0..0, before_labels[..repeat].iter().copied());
                        }
                        let text: Vec<String> = labels
                            .iter()
                            .map(|(name, value)| format!("{name}=\"{value}\""))
                            .collect();
                        input.push_str(&format!("{name}{{{}}} {value}\n", text.join(",")));
                        before = Some((name, labels));
                    }
                }
            }
            input
        })
    }

    proptest::proptest! {
        // Small inputs, and the interesting ones are rare: many cases.
        #![proptest_config(proptest::test_runner::Config::with_cases(2000))]

        #[test]
        fn the_fast_path_changes_nothing_on_repeated_labels(input in families_with_shared_prefixes()) {
            proptest::prop_assert_eq!(same_outcome(input.as_bytes()), Ok(()), "{:?}", input);
        }
    }
}
