//! The nom grammar of one text-format line, producing a borrowed [`Line`].
//!
//! It follows prometheus/common's `TextParser` (v0.39) byte for byte: the same separators (only
//! blanks and tabs), the same escapes, the same notion of where a line ends, and the same first
//! error for a bad line (spec §3.3). It knows nothing of families: which label is `quantile` or
//! `le`, duplicate label names and second HELP/TYPE lines depend on earlier lines and are checked
//! by [`crate::text::parse`], which is why a [`LineError`] says how far the line got.
//!
//! A line is given with its terminating `\n`. Only the last line of an input may lack it, and
//! there, as in the reference, running out of bytes anywhere but after leading blanks is an
//! [`ParseErrorKind::UnexpectedEof`].
//!
//! ```
//! use pushgw_core::text::line::{self, Line, Sample};
//!
//! let mut labels = Vec::new();
//! let parsed = line::parse(b"http_requests_total{code=\"200\"} 1027\n", &mut labels).unwrap();
//! assert_eq!(
//!     parsed,
//!     Line::Sample(Sample { name: "http_requests_total", value: 1027.0, timestamp_ms: None })
//! );
//! assert_eq!((labels[0].name, &*labels[0].value), ("code", "200"));
//! ```

use std::borrow::Cow;

use nom::Parser;

mod fast;

pub(crate) use fast::{Previous, sample as fast_sample};

use super::ParseErrorKind;
use crate::model::MetricType;

/// One line of the text format, borrowing from the input.
///
/// ```
/// use pushgw_core::model::MetricType;
/// use pushgw_core::text::line::{self, Line};
///
/// let mut labels = Vec::new();
/// let parsed = line::parse(b"# TYPE rpc_seconds summary\n", &mut labels).unwrap();
/// assert_eq!(parsed, Line::Type { name: "rpc_seconds", metric_type: Some(MetricType::Summary) });
/// let parsed = line::parse(b"# HELP rpc_seconds RPC\\nlatency.\n", &mut labels).unwrap();
/// assert_eq!(parsed, Line::Help { name: "rpc_seconds", text: Some("RPC\nlatency.".into()) });
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Line<'a> {
    /// An empty line or one of blanks only.
    Blank,
    /// A comment that is not a HELP or TYPE line, including `# HELP` and `# TYPE` lines without a
    /// metric name or with nothing after the metric name.
    Comment,
    /// A `# HELP name text` line.
    Help {
        /// The metric name.
        name: &'a str,
        /// The unescaped text; `None` when only blanks follow the name, which the reference
        /// treats as no HELP line at all (but still registers the family).
        text: Option<Cow<'a, str>>,
    },
    /// A `# TYPE name type` line.
    Type {
        /// The metric name.
        name: &'a str,
        /// The type; `None` when only blanks follow the name (the family is registered, its type
        /// stays open).
        metric_type: Option<MetricType>,
    },
    /// A sample: `name{labels} value [timestamp]`. Its labels are in the vector passed to
    /// [`parse`].
    Sample(Sample<'a>),
}

/// A sample line without its labels.
///
/// ```
/// use pushgw_core::text::line::{self, Line, Sample};
///
/// let mut labels = Vec::new();
/// let parsed = line::parse(b"up 1 1700000000000\n", &mut labels).unwrap();
/// assert_eq!(
///     parsed,
///     Line::Sample(Sample { name: "up", value: 1.0, timestamp_ms: Some(1_700_000_000_000) })
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample<'a> {
    /// The metric name as written, e.g. `rpc_duration_seconds_count`.
    pub name: &'a str,
    /// The value.
    pub value: f64,
    /// The timestamp in milliseconds, if the line has one.
    pub timestamp_ms: Option<i64>,
}

/// One label of a sample line, its value unescaped (borrowed unless it contained escapes).
///
/// ```
/// use std::borrow::Cow;
/// use pushgw_core::text::line;
///
/// let mut labels = Vec::new();
/// line::parse(b"m{path=\"C:\\\\tmp\",code=\"200\"} 1\n", &mut labels).unwrap();
/// assert_eq!(labels[0].value, Cow::<str>::Owned(r"C:\tmp".to_owned()));
/// assert!(matches!(labels[1].value, Cow::Borrowed("200")));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label<'a> {
    /// The label name.
    pub name: &'a str,
    /// The label value.
    pub value: Cow<'a, str>,
}

/// Why a line failed, and how far it got before failing.
///
/// ```
/// use pushgw_core::text::ParseErrorKind;
/// use pushgw_core::text::line::{self, Partial};
///
/// let mut labels = Vec::new();
/// let err = line::parse(b"m{a=\"1\",b=2} 1\n", &mut labels).unwrap_err();
/// assert_eq!(err.kind, ParseErrorKind::ExpectedQuote { found: b'2' });
/// assert_eq!(err.partial, Partial::Sample { name: "m", pending_label: Some("b") });
/// assert_eq!(labels.len(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError<'a> {
    /// The error as the reference reports it, if nothing that depends on earlier lines fails first.
    ///
    /// [`ParseErrorKind::InvalidLabelName`] carries an empty metric name: the name of the family a
    /// sample belongs to depends on earlier lines.
    pub kind: ParseErrorKind,
    /// What the line had established when it failed.
    pub partial: Partial<'a>,
}

/// What a failed line had established before its error, for the checks that the reference runs
/// before reaching the error and that depend on earlier lines.
///
/// ```
/// use pushgw_core::text::line::{self, Partial};
///
/// // A second HELP line for `m` would be reported before the bad escape.
/// let err = line::parse(b"# HELP m bad \\escape\n", &mut Vec::new()).unwrap_err();
/// assert_eq!(err.partial, Partial::Help("m"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Partial<'a> {
    /// Nothing that matters.
    Nothing,
    /// A HELP line with this metric name failed in its text: the check for a second HELP line
    /// comes first.
    Help(&'a str),
    /// A TYPE line with this metric name failed in its type: the check for a second TYPE line
    /// comes first.
    Type(&'a str),
    /// A sample line with this metric name failed after it. The labels passed to [`parse`] hold
    /// the labels read completely before the error; `pending_label` is the name of a label whose
    /// `=` was read but not its value (its duplicate check comes first).
    Sample {
        /// The metric name as written.
        name: &'a str,
        /// A label name followed by `=` whose value failed.
        pending_label: Option<&'a str>,
    },
}

/// The error of this grammar's parsers: a [`LineError`] on the heap, so that results stay small
/// on the path without errors.
struct Failure<'a>(Box<LineError<'a>>);

impl Failure<'_> {
    fn new(kind: ParseErrorKind) -> Self {
        Failure(Box::new(LineError {
            kind,
            partial: Partial::Nothing,
        }))
    }
}

impl<'a> nom::error::ParseError<&'a [u8]> for Failure<'a> {
    /// The only generic failure of the nom parsers this grammar uses is running out of input.
    fn from_error_kind(_input: &'a [u8], _kind: nom::error::ErrorKind) -> Self {
        Failure::new(ParseErrorKind::UnexpectedEof)
    }

    fn append(_input: &'a [u8], _kind: nom::error::ErrorKind, other: Self) -> Self {
        other
    }
}

/// The crate-local result of this grammar's parsers.
type IResult<'a, O> = nom::IResult<&'a [u8], O, Failure<'a>>;

/// Parses one line, given with its terminating `\n` (only the last line of an input may lack it),
/// clearing `labels` and filling it with the labels of a sample line.
///
/// ```
/// use pushgw_core::text::ParseErrorKind;
/// use pushgw_core::text::line::{self, Line};
///
/// let mut labels = Vec::new();
/// assert_eq!(line::parse(b"  \t\n", &mut labels), Ok(Line::Blank));
/// assert_eq!(line::parse(b"# any comment\n", &mut labels), Ok(Line::Comment));
/// let err = line::parse(b"some_metric 3.14", &mut labels).unwrap_err();
/// assert_eq!(err.kind, ParseErrorKind::UnexpectedEof);
/// ```
pub fn parse<'a>(line: &'a [u8], labels: &mut Vec<Label<'a>>) -> Result<Line<'a>, LineError<'a>> {
    parse_with_text(
        line,
        std::str::from_utf8(line).ok(),
        Hints::default(),
        labels,
    )
}

/// Names a line probably has, because the previous sample had them: comparing is cheaper than
/// scanning byte by byte.
#[derive(Clone, Copy, Default)]
pub(crate) struct Hints<'a, 'h> {
    /// The previous sample's metric name.
    pub(crate) name: &'a str,
    /// The previous sample's labels.
    pub(crate) labels: &'h [Label<'a>],
}

/// [`parse`] for a caller that knows whether the line is UTF-8 (`text` is the line as a `str` if
/// it is, as when a whole input was checked at once) and the previous sample.
pub(crate) fn parse_with_text<'a>(
    line: &'a [u8],
    text: Option<&'a str>,
    hints: Hints<'a, '_>,
    labels: &mut Vec<Label<'a>>,
) -> Result<Line<'a>, LineError<'a>> {
    labels.clear();
    let src = Source {
        bytes: line,
        text,
        name_hint: hints.name,
        label_hints: hints.labels,
    };
    match any_line(src, line, labels) {
        Ok((_, line)) => Ok(line),
        Err(nom::Err::Error(err) | nom::Err::Failure(err)) => Err(*err.0),
        Err(nom::Err::Incomplete(_)) => Err(*Failure::new(ParseErrorKind::UnexpectedEof).0),
    }
}

fn any_line<'a>(
    src: Source<'a, '_>,
    input: &'a [u8],
    labels: &mut Vec<Label<'a>>,
) -> IResult<'a, Line<'a>> {
    let (input, _) = blanks(input)?;
    match input.first() {
        // The end of the input after blanks is the one place where it is no error.
        None | Some(b'\n') => Ok((input, Line::Blank)),
        Some(b'#') => comment(src, &input[1..]),
        Some(_) => sample(src, input, labels),
    }
}

/// The keyword of a comment that the reference interprets.
#[derive(Clone, Copy)]
enum Keyword {
    Help,
    Type,
}

/// Everything after the `#` of a comment line.
fn comment<'a>(src: Source<'a, '_>, input: &'a [u8]) -> IResult<'a, Line<'a>> {
    let (input, _) = blanks(input)?;
    if peek(input)? == b'\n' {
        return Ok((input, Line::Comment));
    }
    let (input, keyword) = token(input)?;
    if peek(input)? == b'\n' {
        return Ok((input, Line::Comment));
    }
    let keyword = match keyword {
        b"HELP" => Keyword::Help,
        b"TYPE" => Keyword::Type,
        // Any other comment may hold any bytes, up to the end of the line.
        _ => return until_newline(input).map(|(input, _)| (input, Line::Comment)),
    };
    let (input, _) = blanks(input)?;
    peek(input)?;
    let (input, name) = metric_name(src, input)?;
    match peek(input)? {
        b'\n' => return Ok((input, Line::Comment)),
        b' ' | b'\t' => {}
        _ => return fail(ParseErrorKind::InvalidMetricNameInComment),
    }
    let (input, _) = blanks(input)?;
    let empty = peek(input)? == b'\n';
    match keyword {
        Keyword::Help if empty => Ok((input, Line::Help { name, text: None })),
        Keyword::Type if empty => Ok((
            input,
            Line::Type {
                name,
                metric_type: None,
            },
        )),
        Keyword::Help => (|input| help_text(src, input))
            .map(|text| Line::Help {
                name,
                text: Some(text),
            })
            .parse(input)
            .map_err(|err| with_partial(err, Partial::Help(name))),
        Keyword::Type => type_name
            .map(|metric_type| Line::Type {
                name,
                metric_type: Some(metric_type),
            })
            .parse(input)
            .map_err(|err| with_partial(err, Partial::Type(name))),
    }
}

/// The rest of a HELP line, unescaping `\\` and `\n` (the reference's version knows no `\"`).
fn help_text<'a>(src: Source<'a, '_>, input: &'a [u8]) -> IResult<'a, Cow<'a, str>> {
    let mut text: Cow<'_, [u8]> = Cow::Borrowed(&[]);
    let mut rest = input;
    loop {
        let Some(at) = memchr::memchr2(b'\\', b'\n', rest) else {
            return fail(ParseErrorKind::UnexpectedEof);
        };
        append(&mut text, &rest[..at]);
        if rest[at] == b'\n' {
            rest = &rest[at..];
            break;
        }
        let unescaped = match rest.get(at + 1) {
            None => return fail(ParseErrorKind::UnexpectedEof),
            Some(b'\\') => b'\\',
            Some(b'n') => b'\n',
            Some(&found) => return fail(ParseErrorKind::InvalidEscape { found }),
        };
        text.to_mut().push(unescaped);
        rest = &rest[at + 2..];
    }
    match src.utf8(text) {
        Ok(text) => Ok((rest, text)),
        Err(text) => fail(ParseErrorKind::InvalidHelpText { text }),
    }
}

/// The rest of a TYPE line, all of it (trailing blanks included) naming the type.
fn type_name(input: &[u8]) -> IResult<'_, MetricType> {
    let (rest, token) = until_newline(input)?;
    let token = without_backslashes(token);
    match metric_type(&token) {
        Some(metric_type) => Ok((rest, metric_type)),
        None => fail(ParseErrorKind::UnknownType {
            token: token.into_owned(),
        }),
    }
}

/// The reference reads the rest of a TYPE line and the rest of a sample line after its timestamp
/// with the routine that unescapes HELP texts, escapes turned off, which still drops every
/// backslash: `# TYPE a coun\ter` declares a counter.
fn without_backslashes(bytes: &[u8]) -> Cow<'_, [u8]> {
    if memchr::memchr(b'\\', bytes).is_none() {
        return Cow::Borrowed(bytes);
    }
    Cow::Owned(bytes.iter().copied().filter(|&b| b != b'\\').collect())
}

/// The type named by a TYPE line, compared as the reference does: after Go's `strings.ToUpper`,
/// against the names of `metrics.proto`'s enum.
///
/// Go's simple case mapping turns `ı` (U+0131) into `I` and `ſ` (U+017F) into `S`, and nothing
/// else outside ASCII into ASCII, so `ſummary` is a summary; Rust's `to_uppercase` would also turn
/// ligatures into several letters, so the mapping is spelled out.
///
/// `GAUGE_HISTOGRAM`, which that enum also has, is deliberately unknown: the reference parses its
/// samples into metrics without values, and a family of that type then breaks every scrape of
/// the reference ("unknown metric type GAUGE_HISTOGRAM"). The text format 0.0.4 has no such type.
fn metric_type(token: &[u8]) -> Option<MetricType> {
    const TYPES: [(&str, MetricType); 5] = [
        ("COUNTER", MetricType::Counter),
        ("GAUGE", MetricType::Gauge),
        ("SUMMARY", MetricType::Summary),
        ("UNTYPED", MetricType::Untyped),
        ("HISTOGRAM", MetricType::Histogram),
    ];
    let token = std::str::from_utf8(token).ok()?;
    let upper = token.chars().map(|c| match c {
        'ı' => 'I',
        'ſ' => 'S',
        c => c.to_ascii_uppercase(),
    });
    TYPES
        .iter()
        .find(|(name, _)| upper.clone().eq(name.chars()))
        .map(|&(_, metric_type)| metric_type)
}

/// A sample line, from its first non-blank byte.
fn sample<'a>(
    src: Source<'a, '_>,
    input: &'a [u8],
    labels: &mut Vec<Label<'a>>,
) -> IResult<'a, Line<'a>> {
    let (input, name) = match hinted(input, src.name_hint, METRIC_NAME) {
        Some(hinted) => hinted,
        None => metric_name(src, input)?,
    };
    if name.is_empty() {
        return fail(ParseErrorKind::InvalidMetricName);
    }
    sample_after_name(src, input, name, labels).map_err(|err| {
        with_partial(
            err,
            Partial::Sample {
                name,
                pending_label: None,
            },
        )
    })
}

fn sample_after_name<'a>(
    src: Source<'a, '_>,
    input: &'a [u8],
    name: &'a str,
    labels: &mut Vec<Label<'a>>,
) -> IResult<'a, Line<'a>> {
    let (mut input, _) = blanks(input)?;
    if peek(input)? == b'{' {
        (input, ()) = label_set(src, &input[1..], labels)?;
    }
    let (input, value_token) = token(input)?;
    let Some(value) = src.str(value_token).and_then(parse_float) else {
        return fail(ParseErrorKind::InvalidValue {
            token: value_token.to_vec(),
        });
    };
    let sample = |timestamp_ms| {
        Line::Sample(Sample {
            name,
            value,
            timestamp_ms,
        })
    };
    if input[0] == b'\n' {
        return Ok((input, sample(None)));
    }
    let (input, _) = blanks(input)?;
    peek(input)?;
    let (input, timestamp_token) = token(input)?;
    let Some(timestamp_ms) = src.str(timestamp_token).and_then(|t| t.parse().ok()) else {
        return fail(ParseErrorKind::InvalidTimestamp {
            token: timestamp_token.to_vec(),
        });
    };
    // The reference reads the rest of the line from the byte that ended the timestamp, so even
    // a trailing blank is spurious.
    let (input, rest) = until_newline(input)?;
    if !rest.is_empty() {
        return fail(ParseErrorKind::SpuriousAfterTimestamp {
            rest: without_backslashes(rest).into_owned(),
        });
    }
    Ok((input, sample(Some(timestamp_ms))))
}

/// The labels after `{`, up to the blanks after `}`.
fn label_set<'a>(
    src: Source<'a, '_>,
    mut input: &'a [u8],
    labels: &mut Vec<Label<'a>>,
) -> IResult<'a, ()> {
    loop {
        let (rest, _) = blanks(input)?;
        if peek(rest)? == b'}' {
            return end_of_label_set(rest);
        }
        let hint = src
            .label_hints
            .get(labels.len())
            .map_or("", |label| label.name);
        let (rest, name) = match hinted(rest, hint, LABEL_NAME) {
            Some(hinted) => hinted,
            None => label_name(src, rest)?,
        };
        if name.is_empty() {
            return fail(ParseErrorKind::InvalidLabelName {
                metric: String::new(),
            });
        }
        if name == "__name__" {
            return fail(ParseErrorKind::ReservedLabelName);
        }
        let (rest, _) = blanks(rest)?;
        match peek(rest)? {
            b'=' => {}
            found => return fail(ParseErrorKind::ExpectedEquals { found }),
        }
        let (rest, value) = label_value(src, &rest[1..]).map_err(|err| {
            with_partial(
                err,
                Partial::Sample {
                    name: "",
                    pending_label: Some(name),
                },
            )
        })?;
        // The label is complete: checks on it that depend on the family come before any error
        // further on.
        labels.push(Label { name, value });
        let (rest, _) = blanks(rest)?;
        match peek(rest)? {
            b',' => input = &rest[1..],
            b'}' => return end_of_label_set(rest),
            _ => {
                let value = labels.last().map(|label| label.value.to_string());
                return fail(ParseErrorKind::UnexpectedEndOfLabelValue {
                    value: value.unwrap_or_default(),
                });
            }
        }
    }
}

/// From the `}` of a label set to the byte that starts the value.
fn end_of_label_set(input: &[u8]) -> IResult<'_, ()> {
    let (input, _) = blanks(&input[1..])?;
    peek(input)?;
    Ok((input, ()))
}

/// A label value from the blanks after `=`, up to and including its closing `"`.
fn label_value<'a>(src: Source<'a, '_>, input: &'a [u8]) -> IResult<'a, Cow<'a, str>> {
    let (input, _) = blanks(input)?;
    match peek(input)? {
        b'"' => {}
        found => return fail(ParseErrorKind::ExpectedQuote { found }),
    }
    let mut rest = &input[1..];
    // The common case: no escapes, so the value is a part of the line.
    if let Some(at) = memchr::memchr3(b'"', b'\\', b'\n', rest)
        && rest[at] == b'"'
        && let Some(value) = src.str(&rest[..at])
    {
        return Ok((&rest[at + 1..], Cow::Borrowed(value)));
    }
    let mut value: Cow<'_, [u8]> = Cow::Borrowed(&[]);
    loop {
        let Some(at) = memchr::memchr3(b'"', b'\\', b'\n', rest) else {
            return fail(ParseErrorKind::UnexpectedEof);
        };
        append(&mut value, &rest[..at]);
        match rest[at] {
            b'"' => {
                rest = &rest[at + 1..];
                break;
            }
            b'\n' => {
                return fail(ParseErrorKind::UnescapedNewline {
                    value: value.into_owned(),
                });
            }
            _ => {}
        }
        let unescaped = match rest.get(at + 1) {
            None => return fail(ParseErrorKind::UnexpectedEof),
            Some(b'\\') => b'\\',
            Some(b'"') => b'"',
            Some(b'n') => b'\n',
            Some(&found) => return fail(ParseErrorKind::InvalidEscape { found }),
        };
        value.to_mut().push(unescaped);
        rest = &rest[at + 2..];
    }
    match src.utf8(value) {
        Ok(value) => Ok((rest, value)),
        Err(value) => fail(ParseErrorKind::InvalidLabelValue { value }),
    }
}

/// Parses a float as the reference does: Go's `strconv.ParseFloat`, minus anything with `p`, `P`
/// or `_` (hex floats and digit separators).
///
/// Go takes what Rust takes (`1e3`, `.5`, `5.`, `+Inf`, `inf`, `Infinity`, `nan` in any case),
/// except a signed NaN and a finite number too large for an `f64`, which Rust reads as infinity.
pub(crate) fn parse_float(text: &str) -> Option<f64> {
    if let Some((value, len)) = decimal_prefix(text)
        && len == text.len()
    {
        return Some(value);
    }
    if text.bytes().any(|b| matches!(b, b'p' | b'P' | b'_')) {
        return None;
    }
    let value: f64 = text.parse().ok()?;
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let signed = unsigned.len() != text.len();
    let spelled_inf = unsigned.starts_with(['i', 'I']);
    if (value.is_nan() && signed) || (value.is_infinite() && !spelled_inf) {
        return None;
    }
    Some(value)
}

/// The plain decimal at the start of `text`, `[+-]?(d+|d+\.d*|\.d+)([eE][+-]?d+)?`, and its
/// length; `None` if `text` does not start with one or if it is too large for an `f64` (Go's
/// range error). The caller decides whether what follows ends it.
///
/// A mantissa of at most 2^53 and a power of ten of at most 22 are both exact, so one
/// multiplication or division is correctly rounded (Clinger's fast path); other decimals go to
/// Rust's parser, correctly rounded as Go's.
fn decimal_prefix(text: &str) -> Option<(f64, usize)> {
    const POWERS: [f64; 23] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
        1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];
    // Enough for any 19 digits, too few for a decimal exponent to matter beyond it.
    const MAX_DIGITS: usize = 19;
    const MAX_EXPONENT: i64 = 100_000;
    let bytes = text.as_bytes();
    let negative = bytes.first() == Some(&b'-');
    let mut at = usize::from(matches!(bytes.first(), Some(b'+' | b'-')));
    // The digits, leading zeros included, as an integer, which wraps past `MAX_DIGITS` digits.
    let mut mantissa: u64 = 0;
    let mut digits = |at: &mut usize| {
        let start = *at;
        while let Some(&b) = bytes.get(*at)
            && b.is_ascii_digit()
        {
            mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(b - b'0'));
            *at += 1;
        }
        *at - start
    };
    let mut count = digits(&mut at);
    let mut exponent: i64 = 0;
    if bytes.get(at) == Some(&b'.') {
        at += 1;
        let fraction = digits(&mut at);
        count += fraction;
        exponent = -i64::try_from(fraction).ok()?;
    }
    if count == 0 {
        return None;
    }
    if let Some(b'e' | b'E') = bytes.get(at) {
        at += 1;
        let sign = match bytes.get(at) {
            Some(b'-') => -1,
            Some(b'+') => 1,
            _ => 0,
        };
        at += usize::from(sign != 0);
        let start = at;
        let mut written: i64 = 0;
        while let Some(&b) = bytes.get(at)
            && b.is_ascii_digit()
        {
            written = (written * 10 + i64::from(b - b'0')).min(MAX_EXPONENT);
            at += 1;
        }
        if at == start {
            return None;
        }
        exponent += if sign < 0 { -written } else { written };
    }
    let power = usize::try_from(exponent.unsigned_abs())
        .ok()
        .and_then(|power| POWERS.get(power));
    if let Some(power) = power
        && count <= MAX_DIGITS
        && mantissa <= 1 << 53
    {
        #[allow(clippy::cast_precision_loss, reason = "at most 2^53, exact")]
        let mantissa = mantissa as f64;
        let value = if exponent < 0 {
            mantissa / power
        } else {
            mantissa * power
        };
        return Some((if negative { -value } else { value }, at));
    }
    let value: f64 = text.get(..at)?.parse().ok()?;
    value.is_finite().then_some((value, at))
}

/// `hint` and the rest of the input, if the input starts with the name `hint` (made of bytes of
/// `class`), which a byte not of `class` ends.
fn hinted<'a>(input: &'a [u8], hint: &'a str, class: u8) -> Option<(&'a [u8], &'a str)> {
    let head = input.get(..hint.len())?;
    if !same(head, hint.as_bytes()) {
        return None;
    }
    let rest = &input[hint.len()..];
    let ends = !hint.is_empty() && rest.first().is_some_and(|&b| !is(b, class));
    ends.then_some((rest, hint))
}

/// Byte-wise equality, cheaper than `==` (a call to `memcmp`) for the short names and values of
/// the format, which a few words cover.
pub(crate) fn same(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word =
        |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().expect("eight bytes"));
    let half =
        |s: &[u8], at: usize| u32::from_le_bytes(s[at..at + 4].try_into().expect("four bytes"));
    match n {
        0..4 => a.iter().zip(b).all(|(x, y)| x == y),
        4..8 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        _ => {
            // Whole words, the last one overlapping the one before.
            let mut at = 0;
            while at + 8 < n {
                if word(a, at) != word(b, at) {
                    return false;
                }
                at += 8;
            }
            word(a, n - 8) == word(b, n - 8)
        }
    }
}

/// A metric name, `[a-zA-Z_:][a-zA-Z0-9_:]*`, possibly empty. The input must not be empty.
fn metric_name<'a>(src: Source<'a, '_>, input: &'a [u8]) -> IResult<'a, &'a str> {
    name(src, input, METRIC_NAME_START, METRIC_NAME)
}

/// A label name, `[a-zA-Z_][a-zA-Z0-9_]*`, possibly empty. The input must not be empty.
fn label_name<'a>(src: Source<'a, '_>, input: &'a [u8]) -> IResult<'a, &'a str> {
    name(src, input, LABEL_NAME_START, LABEL_NAME)
}

/// A name: empty if the first byte cannot start one, else all the bytes that continue it, which
/// must not run to the end of the input (the reference reads the byte after a name).
fn name<'a>(
    src: Source<'a, '_>,
    input: &'a [u8],
    start: u8,
    continues: u8,
) -> IResult<'a, &'a str> {
    if !input.first().is_some_and(|&b| is(b, start)) {
        return Ok((input, ""));
    }
    let (rest, name) = take_while(input, continues);
    peek(rest)?;
    let name = src.str(name).expect("name bytes are ASCII");
    Ok((rest, name))
}

/// Bytes up to a blank, a tab or a newline, which must come before the end of the input.
fn token(input: &[u8]) -> IResult<'_, &[u8]> {
    let (rest, token) = take_while(input, TOKEN);
    peek(rest)?;
    Ok((rest, token))
}

/// Bytes up to the newline, which must come before the end of the input.
fn until_newline(input: &[u8]) -> IResult<'_, &[u8]> {
    match memchr::memchr(b'\n', input) {
        Some(at) => Ok((&input[at..], &input[..at])),
        None => fail(ParseErrorKind::UnexpectedEof),
    }
}

/// Blanks and tabs, the only separators of the format.
fn blanks(input: &[u8]) -> IResult<'_, &[u8]> {
    Ok(take_while(input, BLANK))
}

/// Splits off the longest prefix of bytes of `class`: `(rest, prefix)`.
fn take_while(input: &[u8], class: u8) -> (&[u8], &[u8]) {
    let end = input
        .iter()
        .position(|&b| !is(b, class))
        .unwrap_or(input.len());
    let (prefix, rest) = input.split_at(end);
    (rest, prefix)
}

// Byte classes, looked up in a table rather than compared one by one: names and separators are
// scanned byte by byte, and this is the parser's inner loop.
const BLANK: u8 = 1;
const METRIC_NAME_START: u8 = 1 << 1;
const METRIC_NAME: u8 = 1 << 2;
const LABEL_NAME_START: u8 = 1 << 3;
const LABEL_NAME: u8 = 1 << 4;
/// Anything but a blank, a tab or a newline.
const TOKEN: u8 = 1 << 5;

static CLASSES: [u8; 256] = classes();

const fn classes() -> [u8; 256] {
    let mut classes = [TOKEN; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        let letter = byte.is_ascii_alphabetic() || byte == b'_';
        let digit = byte.is_ascii_digit();
        if letter {
            classes[b] |= METRIC_NAME_START | METRIC_NAME | LABEL_NAME_START | LABEL_NAME;
        }
        if digit {
            classes[b] |= METRIC_NAME | LABEL_NAME;
        }
        if byte == b':' {
            classes[b] |= METRIC_NAME_START | METRIC_NAME;
        }
        if byte == b' ' || byte == b'\t' {
            classes[b] = BLANK;
        }
        if byte == b'\n' {
            classes[b] = 0;
        }
        b += 1;
    }
    classes
}

fn is(byte: u8, class: u8) -> bool {
    CLASSES[usize::from(byte)] & class != 0
}

/// The next byte, without consuming it. The reference reads one byte ahead wherever this is
/// called, so the end of the input there is an error.
fn peek(input: &[u8]) -> Result<u8, nom::Err<Failure<'_>>> {
    match input.first() {
        Some(&b) => Ok(b),
        None => Err(nom::Err::Failure(Failure::new(
            ParseErrorKind::UnexpectedEof,
        ))),
    }
}

#[cold]
fn fail<'a, O>(kind: ParseErrorKind) -> IResult<'a, O> {
    Err(nom::Err::Failure(Failure::new(kind)))
}

/// Records how far the line got, keeping the innermost (most precise) record: a pending label's
/// name set deeper in survives the metric name set further out.
fn with_partial<'a>(err: nom::Err<Failure<'a>>, outer: Partial<'a>) -> nom::Err<Failure<'a>> {
    err.map(|mut failure| {
        let err = &mut failure.0;
        err.partial = match (err.partial, outer) {
            (Partial::Nothing, outer) => outer,
            (
                Partial::Sample {
                    pending_label: Some(label),
                    ..
                },
                Partial::Sample { name, .. },
            ) => Partial::Sample {
                name,
                pending_label: Some(label),
            },
            (inner, _) => inner,
        };
        failure
    })
}

/// Appends `bytes` to `buffer`, borrowing as long as nothing had to be unescaped.
fn append<'a>(buffer: &mut Cow<'a, [u8]>, bytes: &'a [u8]) {
    match buffer {
        Cow::Borrowed([]) => *buffer = Cow::Borrowed(bytes),
        _ => buffer.to_mut().extend_from_slice(bytes),
    }
}

/// The line being parsed, with its text if it is UTF-8 (nearly always), so that names and values
/// become `&str` without checking each of them again.
#[derive(Clone, Copy)]
struct Source<'a, 'h> {
    bytes: &'a [u8],
    text: Option<&'a str>,
    name_hint: &'a str,
    label_hints: &'h [Label<'a>],
}

impl<'a> Source<'a, '_> {
    /// `part`, which must be a part of the line, as a `str` if it is UTF-8.
    fn str(self, part: &'a [u8]) -> Option<&'a str> {
        if part.is_empty() {
            return Some("");
        }
        match self.text {
            Some(text) => {
                let start = part
                    .as_ptr()
                    .addr()
                    .checked_sub(self.bytes.as_ptr().addr())?;
                text.get(start..start + part.len())
            }
            None => std::str::from_utf8(part).ok(),
        }
    }

    /// Unescaped bytes as a `str`, checking only what is not a part of the line; the bytes if
    /// they are not UTF-8.
    fn utf8(self, bytes: Cow<'a, [u8]>) -> Result<Cow<'a, str>, Vec<u8>> {
        match bytes {
            Cow::Borrowed(part) => self
                .str(part)
                .map(Cow::Borrowed)
                .ok_or_else(|| part.to_vec()),
            Cow::Owned(bytes) => String::from_utf8(bytes)
                .map(Cow::Owned)
                .map_err(|err| err.into_bytes()),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn parse_line(line: &str) -> (Result<Line<'_>, LineError<'_>>, Vec<Label<'_>>) {
        let mut labels = Vec::new();
        let parsed = parse(line.as_bytes(), &mut labels);
        (parsed, labels)
    }

    #[test]
    fn reports_how_far_a_failed_line_got() {
        let partial = |line| parse_line(line).0.expect_err("a bad line").partial;
        assert_eq!(
            partial("x{a=b} 1\n"),
            Partial::Sample {
                name: "x",
                pending_label: Some("a"),
            }
        );
        assert_eq!(
            partial("x{a=\"1\" b} 1\n"),
            Partial::Sample {
                name: "x",
                pending_label: None,
            }
        );
        assert_eq!(partial("# HELP x a\\tb\n"), Partial::Help("x"));
        assert_eq!(partial("# TYPE x foo\n"), Partial::Type("x"));
        assert_eq!(partial("1x 1\n"), Partial::Nothing);
        let (parsed, labels) = parse_line("x{a=\"1\",b=\"2\" c} 1\n");
        assert!(parsed.is_err());
        assert_eq!(
            labels.len(),
            2,
            "complete labels are kept for the checks of the family"
        );
    }

    #[test]
    fn hints_never_change_the_result() {
        let hinted = |line: &'static str, name, label| {
            let previous = [Label {
                name: label,
                value: Cow::Borrowed(""),
            }];
            let hints = Hints {
                name,
                labels: &previous,
            };
            let mut labels = Vec::new();
            let parsed = parse_with_text(line.as_bytes(), Some(line), hints, &mut labels);
            (parsed, labels)
        };
        for line in [
            "abc{de=\"1\"} 1\n",
            "ab{d=\"1\"} 1\n",
            "ab:c{d_e=\"1\"} 1\n",
            "ab",
            "ab{d",
        ] {
            for (name, label) in [("ab", "d"), ("abc", "de"), ("ab:", "d_"), ("", "")] {
                assert_eq!(
                    hinted(line, name, label),
                    parse_line(line),
                    "{line:?} {name} {label}"
                );
            }
        }
    }

    #[test]
    fn compares_bytes() {
        let text = b"abcdefghijklmnopqrstuvwxyz";
        let copy = *text;
        for n in 0..=text.len() {
            let a = &text[..n];
            assert!(same(a, &copy[..n]));
            for i in 0..n {
                let mut b = a.to_vec();
                b[i] = b'_';
                assert!(!same(a, &b), "{n} {i}");
            }
            assert!(!same(a, &text[..n.saturating_sub(1)]) || n == 0);
        }
    }

    #[test]
    fn parses_floats_as_go() {
        let cases = [
            ("1", Some(1.0)),
            ("-0", Some(-0.0)),
            ("+.5e-3", Some(0.0005)),
            ("1.7560473e+07", Some(17_560_473.0)),
            ("Infinity", Some(f64::INFINITY)),
            ("-inf", Some(f64::NEG_INFINITY)),
            ("1e400", None),
            ("1e-400", Some(0.0)),
            ("+NaN", None),
            ("0x1p3", None),
            ("1_0", None),
            ("", None),
            (".", None),
            ("1e", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_float(text), expected, "{text:?}");
        }
        assert!(parse_float("nan").is_some_and(f64::is_nan));
    }

    proptest! {
        #[test]
        fn fast_decimals_agree_with_the_general_parser(
            text in "[+-]?[0-9]{0,20}(\\.[0-9]{0,20})?([eE][+-]?[0-9]{1,3})?"
        ) {
            if let Some((fast, len)) = decimal_prefix(&text) && len == text.len() {
                let general: f64 = text.parse().expect("the fast path takes only valid decimals");
                prop_assert_eq!(fast.to_bits(), general.to_bits());
            }
        }
    }
}
