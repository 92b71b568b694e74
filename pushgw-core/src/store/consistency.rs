//! The consistency check: what client_golang's `Gatherers.Gather` would report for the store.
//!
//! The reference re-gathers the whole store on every push (spec §3.6). We compute the same errors
//! per family name and cache them in the store's index, so a push only re-examines the names it
//! touches. This module holds the error type, the per-metric checks and the Go-style metric dump
//! embedded in the messages; the bookkeeping lives in [`super::index`].

use std::fmt;

use crate::model::{LabelPair, MetricType, Value};

/// One problem the reference's gathering would report, displayed with the reference's text.
///
/// The `{ … }` part of metric-level messages is a dump of the metric in the style of Go's
/// protobuf compact text format; spec §15 D2 allows it to differ in details from the reference.
///
/// ```
/// use pushgw_core::store::ConsistencyError;
/// use pushgw_core::MetricType;
///
/// let error = ConsistencyError::TypeMismatch {
///     name: "go_goroutines".into(),
///     found: MetricType::Counter,
///     expected: MetricType::Gauge,
/// };
/// assert_eq!(
///     error.to_string(),
///     "gathered metric family go_goroutines has type COUNTER but should have GAUGE",
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConsistencyError {
    /// A pushed family has another HELP than the gateway's own family of that name.
    #[error("gathered metric family {name} has help {help:?} but should have {expected:?}")]
    HelpMismatch {
        /// The family name.
        name: String,
        /// The pushed HELP (empty when there was none).
        help: String,
        /// The gateway's HELP.
        expected: String,
    },
    /// A pushed family has another type than the gateway's own family of that name.
    #[error(
        "gathered metric family {name} has type {} but should have {}",
        found.proto_name(),
        expected.proto_name()
    )]
    TypeMismatch {
        /// The family name.
        name: String,
        /// The pushed type.
        found: MetricType,
        /// The gateway's type.
        expected: MetricType,
    },
    /// A metric's value is not of the (merged) family's type.
    #[error("collected metric {name:?} {{ {metric}}} is not a {}", expected.proto_name())]
    NotOfType {
        /// The family name.
        name: String,
        /// The metric, dumped.
        metric: String,
        /// The family's type.
        expected: MetricType,
    },
    /// A metric has two labels with the same name.
    #[error(
        "collected metric {name:?} {{ {metric}}} has two or more labels with the same name: {label}"
    )]
    DuplicateLabelName {
        /// The family name.
        name: String,
        /// The metric, dumped.
        metric: String,
        /// The repeated label name.
        label: String,
    },
    /// A metric has a label whose name is not a valid (legacy) label name or starts with `__`.
    #[error("collected metric {name:?} {{ {metric}}} has a label with an invalid name: {label}")]
    InvalidLabelName {
        /// The family name.
        name: String,
        /// The metric, dumped.
        metric: String,
        /// The offending label name.
        label: String,
    },
    /// A summary metric carries an explicit `quantile` label.
    #[error("collected metric {name:?} {{ {metric}}} must not have an explicit \"quantile\" label")]
    QuantileLabel {
        /// The family name.
        name: String,
        /// The metric, dumped.
        metric: String,
    },
    /// Another metric with the same name and label set was gathered before this one.
    #[error(
        "collected metric {name:?} {{ {metric}}} was collected before with the same name and label values"
    )]
    Duplicate {
        /// The family name.
        name: String,
        /// The metric, dumped.
        metric: String,
    },
    /// `<base>_count` or `<base>_sum` next to a summary `<base>`.
    #[error(
        "collected metric named {name:?} collides with previously collected summary named {base:?}"
    )]
    CollidesWithSummary {
        /// The suffixed name.
        name: String,
        /// The summary's name.
        base: String,
    },
    /// `<base>_count`, `<base>_sum` or `<base>_bucket` next to a histogram `<base>`.
    #[error(
        "collected metric named {name:?} collides with previously collected histogram named {base:?}"
    )]
    CollidesWithHistogram {
        /// The suffixed name.
        name: String,
        /// The histogram's name.
        base: String,
    },
    /// A summary or histogram `<name>` next to an existing `<name>_count` or `<name>_sum`.
    #[error(
        "collected histogram or summary named {name:?} collides with previously collected metric named {other:?}"
    )]
    SummaryOrHistogramCollides {
        /// The summary's or histogram's name.
        name: String,
        /// The existing suffixed name.
        other: String,
    },
    /// A histogram `<name>` next to an existing `<name>_bucket`.
    #[error(
        "collected histogram named {name:?} collides with previously collected metric named {other:?}"
    )]
    HistogramCollides {
        /// The histogram's name.
        name: String,
        /// The existing `_bucket` name.
        other: String,
    },
}

/// All problems of one gathering, displayed as client_golang's `MultiError` after `MaybeUnwrap`:
/// one error as itself, several as `<n> error(s) occurred:` followed by `\n* <error>` each.
///
/// ```
/// use pushgw_core::store::{ConsistencyError, ConsistencyErrors};
///
/// let one = ConsistencyError::Duplicate { name: "m".into(), metric: "untyped:<value:1 > ".into() };
/// let errors = ConsistencyErrors::from(vec![one.clone(), one]);
/// assert_eq!(
///     errors.to_string(),
///     "2 error(s) occurred:\n\
///      * collected metric \"m\" { untyped:<value:1 > } was collected before with the same name and label values\n\
///      * collected metric \"m\" { untyped:<value:1 > } was collected before with the same name and label values",
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsistencyErrors(Vec<ConsistencyError>);

impl ConsistencyErrors {
    /// The individual errors, in gathering order (family names sorted, groups by grouping key).
    ///
    /// ```
    /// use pushgw_core::store::ConsistencyErrors;
    /// assert!(ConsistencyErrors::from(Vec::new()).errors().is_empty());
    /// ```
    pub fn errors(&self) -> &[ConsistencyError] {
        &self.0
    }
}

impl From<Vec<ConsistencyError>> for ConsistencyErrors {
    fn from(errors: Vec<ConsistencyError>) -> Self {
        ConsistencyErrors(errors)
    }
}

impl fmt::Display for ConsistencyErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.as_slice() {
            [] => Ok(()),
            [single] => single.fmt(f),
            many => {
                write!(f, "{} error(s) occurred:", many.len())?;
                for error in many {
                    write!(f, "\n* {error}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for ConsistencyErrors {}

/// Whether a value of kind `value` is acceptable in a family of type `family`, as client_golang's
/// `checkMetricConsistency` decides.
///
/// The reference does not check gauge histograms at all, so a gauge-histogram family could hold a
/// gauge value that Go's text encoder then fails on mid-scrape; we require histogram values there.
pub(super) fn kind_matches(family: MetricType, value: &Value) -> bool {
    match family {
        MetricType::GaugeHistogram => matches!(value, Value::Histogram(_)),
        other => value.kind() == other,
    }
}

/// The first label problem of a metric whose labels are sorted by name, as `checkMetricConsistency`
/// reports it (the value-kind check comes before this one, the duplicate check after).
pub(super) fn label_error(
    name: &str,
    labels: &[LabelPair],
    value: &Value,
) -> Option<ConsistencyError> {
    let mut previous = "";
    for pair in labels {
        let label = pair.name.as_str();
        if label == previous {
            return Some(ConsistencyError::DuplicateLabelName {
                name: name.to_owned(),
                metric: dump_metric(labels, value),
                label: label.to_owned(),
            });
        }
        if !is_valid_label_name(label) {
            return Some(ConsistencyError::InvalidLabelName {
                name: name.to_owned(),
                metric: dump_metric(labels, value),
                label: label.to_owned(),
            });
        }
        if label == "quantile" && matches!(value, Value::Summary(_)) {
            return Some(ConsistencyError::QuantileLabel {
                name: name.to_owned(),
                metric: dump_metric(labels, value),
            });
        }
        // Label values are Rust strings, so the reference's UTF-8 check cannot fail here.
        previous = label;
    }
    None
}

/// A legacy label name (`[a-zA-Z_][a-zA-Z0-9_]*`) not reserved by the `__` prefix: client_golang's
/// `checkLabelName`.
///
/// ```
/// use pushgw_core::store::is_valid_label_name;
/// assert!(is_valid_label_name("instance"));
/// assert!(!is_valid_label_name("__x"));
/// assert!(!is_valid_label_name("a.b"));
/// assert!(!is_valid_label_name(""));
/// ```
pub fn is_valid_label_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    let valid = match bytes.next() {
        Some(first) => {
            (first.is_ascii_alphabetic() || first == b'_')
                && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
        }
        None => false,
    };
    valid && !name.starts_with("__")
}

/// A legacy metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`), as the text format requires it. Protobuf
/// pushes are held to the same rule (spec §17, Q5 and Q6).
///
/// ```
/// use pushgw_core::store::is_valid_metric_name;
/// assert!(is_valid_metric_name("http:requests_total"));
/// assert!(!is_valid_metric_name("foo.bar"));
/// assert!(!is_valid_metric_name(""));
/// ```
pub fn is_valid_metric_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    match bytes.next() {
        Some(first) => {
            (first.is_ascii_alphabetic() || first == b'_' || first == b':')
                && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':')
        }
        None => false,
    }
}

/// The name without one of the suffixes the text format adds to summaries and histograms, as
/// `checkSuffixCollisions` strips them (`_count` first, then `_sum`, then `_bucket`).
pub(super) fn strip_magic_suffix(name: &str) -> Option<&str> {
    ["_count", "_sum", "_bucket"]
        .iter()
        .find_map(|suffix| name.strip_suffix(suffix))
        .filter(|base| !base.is_empty())
}

/// The metric in the style of Go's protobuf compact text (`label:<name:"a" value:"1" > gauge:<value:1 > `),
/// as the reference embeds it in its messages.
pub(super) fn dump_metric(labels: &[LabelPair], value: &Value) -> String {
    use std::fmt::Write as _;

    let mut out = String::new();
    for pair in labels {
        out.push_str("label:<name:");
        push_quoted(&mut out, &pair.name);
        out.push_str(" value:");
        push_quoted(&mut out, &pair.value);
        out.push_str(" > ");
    }
    // Writing into a String cannot fail.
    let _ = match value {
        Value::Gauge(v) => write!(out, "gauge:<value:{} > ", DumpFloat(*v)),
        Value::Untyped(v) => write!(out, "untyped:<value:{} > ", DumpFloat(*v)),
        Value::Counter(counter) => write!(out, "counter:<value:{} > ", DumpFloat(counter.value)),
        Value::Summary(summary) => {
            let _ = write!(
                out,
                "summary:<sample_count:{} sample_sum:{} ",
                summary.count,
                DumpFloat(summary.sum)
            );
            for q in &summary.quantiles {
                let _ = write!(
                    out,
                    "quantile:<quantile:{} value:{} > ",
                    DumpFloat(q.quantile),
                    DumpFloat(q.value)
                );
            }
            write!(out, "> ")
        }
        Value::Histogram(histogram) => {
            let _ = match histogram.count {
                crate::model::Count::Int(n) => write!(out, "histogram:<sample_count:{n} "),
                crate::model::Count::Float(f) => {
                    write!(out, "histogram:<sample_count_float:{} ", DumpFloat(f))
                }
            };
            let _ = write!(out, "sample_sum:{} ", DumpFloat(histogram.sum));
            for bucket in &histogram.buckets {
                let _ = match bucket.cumulative_count {
                    crate::model::Count::Int(n) => write!(out, "bucket:<cumulative_count:{n} "),
                    crate::model::Count::Float(f) => {
                        write!(out, "bucket:<cumulative_count_float:{} ", DumpFloat(f))
                    }
                };
                let _ = write!(out, "upper_bound:{} > ", DumpFloat(bucket.upper_bound));
            }
            if let Some(native) = &histogram.native {
                let _ = write!(
                    out,
                    "schema:{} zero_threshold:{} ",
                    native.schema,
                    DumpFloat(native.zero_threshold)
                );
            }
            write!(out, "> ")
        }
    };
    out
}

/// Appends `s` quoted as Go's protobuf text format quotes strings.
fn push_quoted(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            other => out.push(other),
        }
    }
    out.push('"');
}

/// A float as Go's protobuf text format prints it: shortest `%g` digits, `inf`, `-inf`, `nan`.
struct DumpFloat(f64);

impl fmt::Display for DumpFloat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0;
        if v.is_nan() {
            return f.write_str("nan");
        }
        if v.is_infinite() {
            return f.write_str(if v > 0.0 { "inf" } else { "-inf" });
        }
        if v == 0.0 {
            return f.write_str(if v.is_sign_negative() { "-0" } else { "0" });
        }
        // Rust's `{:e}` gives the shortest round-tripping digits; lay them out as Go's
        // `strconv.FormatFloat(v, 'g', -1, 64)` does: exponent notation iff the decimal exponent
        // is < -4 or >= 6.
        let sci = format!("{v:e}");
        let (mantissa, exponent) = sci.split_once('e').expect("`{:e}` always has an exponent");
        let exponent: i32 = exponent.parse().expect("`{:e}` exponents are integers");
        if (-4..6).contains(&exponent) {
            write!(f, "{v}")
        } else {
            let sign = if exponent < 0 { '-' } else { '+' };
            write!(f, "{mantissa}e{sign}{:02}", exponent.abs())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dump_floats_as_go() {
        let cases = [
            (1.0, "1"),
            (1e-7, "1e-07"),
            (1.7956278278031585e9, "1.7956278278031585e+09"),
            (-0.0, "-0"),
            (f64::INFINITY, "inf"),
            (f64::NAN, "nan"),
            (0.5, "0.5"),
            (123456.0, "123456"),
            (1234567.0, "1.234567e+06"),
            (0.0001, "0.0001"),
        ];
        for (value, expected) in cases {
            assert_eq!(DumpFloat(value).to_string(), expected, "{value}");
        }
    }

    #[test]
    fn strips_magic_suffixes() {
        assert_eq!(strip_magic_suffix("a_count"), Some("a"));
        assert_eq!(strip_magic_suffix("a_sum"), Some("a"));
        assert_eq!(strip_magic_suffix("a_bucket"), Some("a"));
        assert_eq!(strip_magic_suffix("_count"), None);
        assert_eq!(strip_magic_suffix("a_total"), None);
    }
}
