//! Text-format parse errors, worded exactly like prometheus/common's `TextParser` (v0.39, the
//! version the reference Pushgateway 1.5.1 was built with), including Go's quoting of the offending
//! values (spec §3.3). It knows nothing of how the errors are found.

use std::fmt;

mod printable;

/// A text-format parse error: where it happened and what went wrong.
///
/// Displays as the reference does: `text format parsing error in line 3: ...`.
///
/// ```
/// use pushgw_core::text::{self, ParseErrorKind};
///
/// let err = text::parse(b"ok 1\nbad{a=b} 1\n").unwrap_err();
/// assert_eq!(err.line, 2);
/// assert_eq!(err.kind, ParseErrorKind::ExpectedQuote { found: b'b' });
/// assert_eq!(
///     err.to_string(),
///     "text format parsing error in line 2: expected '\"' at start of label value, found 'b'"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("text format parsing error in line {line}: {kind}")]
pub struct ParseError {
    /// The 1-based line number, counted as the reference counts it (a last line without a
    /// newline still counts).
    pub line: usize,
    /// What went wrong.
    pub kind: ParseErrorKind,
}

/// What went wrong on a line: one variant per distinct message of the reference parser.
///
/// Fields hold the offending bytes unescaped; the messages quote them as Go's `%q` does
/// (`"\xff"` for bytes that are not UTF-8, `'\n'` for single bytes).
///
/// ```
/// use pushgw_core::text::ParseErrorKind;
///
/// let kind = ParseErrorKind::InvalidValue { token: b"1\r".to_vec() };
/// assert_eq!(kind.to_string(), r#"expected float as value, got "1\r""#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The input ended in the middle of a line: the last line has no final newline.
    #[error("unexpected end of input stream")]
    UnexpectedEof,
    /// A sample line does not start with a metric name.
    #[error("invalid metric name")]
    InvalidMetricName,
    /// The metric name of a `# HELP` or `# TYPE` line is followed by something other than a blank.
    #[error("invalid metric name in comment")]
    InvalidMetricNameInComment,
    /// A label name is empty or starts with a character that cannot start a label name.
    #[error("invalid label name for metric {}", GoQuote(.metric.as_bytes()))]
    InvalidLabelName {
        /// The family the sample belongs to.
        metric: String,
    },
    /// A sample uses the label name `__name__`.
    #[error("label name \"__name__\" is reserved")]
    ReservedLabelName,
    /// A label name is not followed by `=`.
    #[error("expected '=' after label name, found {}", GoQuoteByte(*.found))]
    ExpectedEquals {
        /// The byte found instead.
        found: u8,
    },
    /// A label name occurs twice in one sample.
    #[error("duplicate label names for metric {}", GoQuote(.metric.as_bytes()))]
    DuplicateLabelNames {
        /// The family the sample belongs to.
        metric: String,
    },
    /// A label value does not start with `"`.
    #[error("expected '\"' at start of label value, found {}", GoQuoteByte(*.found))]
    ExpectedQuote {
        /// The byte found instead.
        found: u8,
    },
    /// A backslash in a label value or HELP text is followed by a byte that makes no escape.
    #[error("invalid escape sequence '\\{}'", char::from(*.found))]
    InvalidEscape {
        /// The byte after the backslash.
        found: u8,
    },
    /// A label value runs into the end of the line.
    #[error("label value {} contains unescaped new-line", GoQuote(.value))]
    UnescapedNewline {
        /// The value read so far, unescaped.
        value: Vec<u8>,
    },
    /// A label value is not valid UTF-8.
    #[error("invalid label value {}", GoQuote(.value))]
    InvalidLabelValue {
        /// The value, unescaped.
        value: Vec<u8>,
    },
    /// The `quantile` label of a summary sample is not a float.
    #[error("expected float as value for 'quantile' label, got {}", GoQuote(.value.as_bytes()))]
    InvalidQuantile {
        /// The label value.
        value: String,
    },
    /// The `le` label of a histogram sample is not a float.
    #[error("expected float as value for 'le' label, got {}", GoQuote(.value.as_bytes()))]
    InvalidBucketBound {
        /// The label value.
        value: String,
    },
    /// A label value is followed by something other than `,` or `}`.
    #[error("unexpected end of label value {}", GoQuote(.value.as_bytes()))]
    UnexpectedEndOfLabelValue {
        /// The label value.
        value: String,
    },
    /// The sample value is not a float as Go's `strconv.ParseFloat` reads them (and not hex).
    #[error("expected float as value, got {}", GoQuote(.token))]
    InvalidValue {
        /// The value token.
        token: Vec<u8>,
    },
    /// The timestamp is not a 64-bit decimal integer.
    #[error("expected integer as timestamp, got {}", GoQuote(.token))]
    InvalidTimestamp {
        /// The timestamp token.
        token: Vec<u8>,
    },
    /// Something (even a blank) follows the timestamp.
    #[error("spurious string after timestamp: {}", GoQuote(.rest))]
    SpuriousAfterTimestamp {
        /// The rest of the line after the timestamp, backslashes dropped as the reference drops
        /// them.
        rest: Vec<u8>,
    },
    /// A family gets a second HELP line.
    #[error("second HELP line for metric name {}", GoQuote(.metric.as_bytes()))]
    SecondHelp {
        /// The family name.
        metric: String,
    },
    /// A family gets a second TYPE line, or a TYPE line after its first sample.
    #[error(
        "second TYPE line for metric name {}, or TYPE reported after samples",
        GoQuote(.metric.as_bytes())
    )]
    SecondType {
        /// The family name.
        metric: String,
    },
    /// A TYPE line names no known type. The whole rest of the line, backslashes dropped, is the
    /// type, so trailing blanks make it unknown too. `gauge_histogram` is unknown here although the reference
    /// accepts it (see [`crate::text::parse`]).
    #[error("unknown metric type {}", GoQuote(.token))]
    UnknownType {
        /// The type token.
        token: Vec<u8>,
    },
    /// A HELP text is not valid UTF-8. The reference accepts any bytes there; pushgw rejects them
    /// because HELP texts are stored as strings (see [`crate::text::parse`]).
    #[error("HELP text {} is not valid UTF-8", GoQuote(.text))]
    InvalidHelpText {
        /// The HELP text, unescaped.
        text: Vec<u8>,
    },
}

/// Go's `%q` of a string (`strconv.Quote`) over raw bytes: printable characters as they are,
/// `\"` and `\\`, C escapes, `\xNN` for control characters and bytes that are not UTF-8,
/// `\uNNNN`/`\UNNNNNNNN` for other unprintable characters.
pub(crate) struct GoQuote<'a>(pub(crate) &'a [u8]);

impl fmt::Display for GoQuote<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        for chunk in self.0.utf8_chunks() {
            for c in chunk.valid().chars() {
                write_escaped(f, c, '"')?;
            }
            // Go decodes invalid UTF-8 one byte at a time; every byte of an invalid chunk is a
            // byte that cannot start a character there, so each becomes `\xNN`.
            for byte in chunk.invalid() {
                write!(f, "\\x{byte:02x}")?;
            }
        }
        f.write_str("\"")
    }
}

/// Go's `%q` of a byte, which formats the byte as a rune literal (`strconv.QuoteRune`), e.g.
/// `'='`, `'\n'`, `'\x01'`, `'ÿ'` for 0xff.
pub(crate) struct GoQuoteByte(pub(crate) u8);

impl fmt::Display for GoQuoteByte {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("'")?;
        write_escaped(f, char::from(self.0), '\'')?;
        f.write_str("'")
    }
}

/// Writes `c` as Go's `strconv` quoting writes one rune inside `quote`s.
fn write_escaped(f: &mut fmt::Formatter<'_>, c: char, quote: char) -> fmt::Result {
    if c == quote || c == '\\' {
        return write!(f, "\\{c}");
    }
    if is_print(c) {
        return write!(f, "{c}");
    }
    match c {
        '\x07' => f.write_str("\\a"),
        '\x08' => f.write_str("\\b"),
        '\x0c' => f.write_str("\\f"),
        '\n' => f.write_str("\\n"),
        '\r' => f.write_str("\\r"),
        '\t' => f.write_str("\\t"),
        '\x0b' => f.write_str("\\v"),
        c if c < ' ' || c == '\x7f' => write!(f, "\\x{:02x}", u32::from(c)),
        c if u32::from(c) < 0x10000 => write!(f, "\\u{:04x}", u32::from(c)),
        c => write!(f, "\\U{:08x}", u32::from(c)),
    }
}

/// Go's `strconv.IsPrint` as of Go 1.19 (Unicode 13.0.0).
fn is_print(c: char) -> bool {
    let c = u32::from(c);
    // Pairs of inclusive bounds: the first pair whose end is not below `c` decides.
    let pairs = printable::PRINTABLE.len() / 2;
    let index = partition_point(pairs, |i| printable::PRINTABLE[2 * i + 1] < c);
    index < pairs && printable::PRINTABLE[2 * index] <= c
}

/// The first index in `0..len` for which `below` is false (`below` must be monotone).
fn partition_point(len: usize, below: impl Fn(usize) -> bool) -> usize {
    let (mut low, mut high) = (0, len);
    while low < high {
        let mid = low + (high - low) / 2;
        if below(mid) {
            low = mid + 1;
        } else {
            high = mid;
        }
    }
    low
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quote(bytes: &[u8]) -> String {
        GoQuote(bytes).to_string()
    }

    #[test]
    fn quotes_strings_as_go_does() {
        assert_eq!(quote(b""), r#""""#);
        assert_eq!(quote(b"plain 'text'"), r#""plain 'text'""#);
        assert_eq!(quote(b"a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(quote(b"\x07\x08\x0c\n\r\t\x0b"), r#""\a\b\f\n\r\t\v""#);
        assert_eq!(quote(b"\x00\x1f\x7f"), r#""\x00\x1f\x7f""#);
        assert_eq!(quote("é€😀".as_bytes()), "\"é€😀\"");
        assert_eq!(quote(b"\xff\xe2\x82A"), r#""\xff\xe2\x82A""#);
        assert_eq!(
            quote("\u{a0}\u{ad}\u{200b}\u{feff}".as_bytes()),
            r#""\u00a0\u00ad\u200b\ufeff""#
        );
        assert_eq!(quote("\u{85}\u{e000}".as_bytes()), r#""\u0085\ue000""#);
        assert_eq!(
            quote("\u{f0000}\u{e0001}".as_bytes()),
            r#""\U000f0000\U000e0001""#
        );
        // Assigned in Unicode 14.0, so unprintable for Go 1.19.
        assert_eq!(
            quote("\u{870}\u{1f6dd}".as_bytes()),
            r#""\u0870\U0001f6dd""#
        );
        assert_eq!(quote("\u{fffd}".as_bytes()), "\"\u{fffd}\"");
    }

    #[test]
    fn quotes_bytes_as_rune_literals() {
        let quote = |b: u8| GoQuoteByte(b).to_string();
        assert_eq!(quote(b'='), "'='");
        assert_eq!(quote(b'"'), "'\"'");
        assert_eq!(quote(b'\''), r"'\''");
        assert_eq!(quote(b'\\'), r"'\\'");
        assert_eq!(quote(b'\n'), r"'\n'");
        assert_eq!(quote(0x01), r"'\x01'");
        assert_eq!(quote(0x85), r"'\u0085'");
        assert_eq!(quote(0xa0), r"'\u00a0'");
        assert_eq!(quote(0xad), r"'\u00ad'");
        assert_eq!(quote(0xe9), "'é'");
        assert_eq!(quote(0xff), "'ÿ'");
    }

    #[test]
    fn printable_matches_go_for_latin1() {
        // Go's fast path for the first 256 code points.
        for c in 0..=0xffu8 {
            let expected = (0x20..=0x7e).contains(&c) || (c >= 0xa1 && c != 0xad);
            assert_eq!(is_print(char::from(c)), expected, "{c:#x}");
        }
        assert!(!is_print('\u{10ffff}'));
        assert!(is_print('\u{e0100}'));
    }
}
