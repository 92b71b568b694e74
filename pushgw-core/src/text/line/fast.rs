//! The fast path of the line grammar, for the sample lines that encoders write:
//! `name{label="value",...} value`, with an optional timestamp, a newline at the end and no
//! escapes.
//!
//! It reads the whole input, already known to be UTF-8, from where a line starts, so that it needs
//! neither a search for the end of the line nor a check of each part for UTF-8, and it compares
//! and scans without nom's plumbing. Anything else — a comment, an escape, a blank around `=` or
//! `,`, an error of any kind, the end of the input — makes it give up (`None`), and the caller
//! parses the line with the general grammar ([`super::parse_with_text`]). For every line it does
//! take, the general grammar gives the same sample and labels, so the accepted language and the
//! errors (messages, line numbers) are the general grammar's alone. It follows the general
//! grammar's steps in the same order, skipping blanks where that skips them.

use std::borrow::Cow;

use super::{
    BLANK, Hints, LABEL_NAME, LABEL_NAME_START, Label, METRIC_NAME, METRIC_NAME_START, Sample,
    TOKEN, decimal_prefix, is, parse_float, same,
};

/// Parses the sample line that starts at byte `start` of `text`, clearing `labels` and filling
/// it with the line's labels. Returns the sample and where the next line starts, or `None` if
/// the line is not a plain sample line (see the module documentation).
pub(crate) fn sample<'a>(
    text: &'a str,
    start: usize,
    hints: Hints<'a, '_>,
    labels: &mut Vec<Label<'a>>,
) -> Option<(Sample<'a>, usize)> {
    labels.clear();
    let mut cursor = Cursor { text, at: start };
    let name = cursor.name(hints.name, METRIC_NAME_START, METRIC_NAME)?;
    cursor.skip_blanks();
    if cursor.peek()? == b'{' {
        cursor.at += 1;
        cursor.label_set(hints.labels, labels)?;
        cursor.skip_blanks();
    }
    let value = cursor.value()?;
    let timestamp_ms = if cursor.peek()? == b'\n' {
        None
    } else {
        cursor.skip_blanks();
        Some(cursor.timestamp()?)
    };
    // Both ways of ending a sample stop at its newline.
    let sample = Sample {
        name,
        value,
        timestamp_ms,
    };
    Some((sample, cursor.at + 1))
}

/// A position in the input.
struct Cursor<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Cursor<'a> {
    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes().get(self.at).copied()
    }

    fn skip_blanks(&mut self) {
        while self.peek().is_some_and(|b| is(b, BLANK)) {
            self.at += 1;
        }
    }

    /// A non-empty name of bytes of `class`, starting with a byte of `start`, followed by a
    /// byte that is not of `class`. The hint, a name the line probably has here, spares the
    /// scan byte by byte when it is right.
    fn name(&mut self, hint: &'a str, start: u8, class: u8) -> Option<&'a str> {
        let rest = &self.bytes()[self.at..];
        if let Some(head) = rest.get(..hint.len())
            && !hint.is_empty()
            && same(head, hint.as_bytes())
            && rest.get(hint.len()).is_some_and(|&b| !is(b, class))
        {
            self.at += hint.len();
            return Some(hint);
        }
        if !is(*rest.first()?, start) {
            return None;
        }
        // A name that runs to the end of the input is an error.
        let len = rest.iter().position(|&b| !is(b, class))?;
        let name = self.text.get(self.at..self.at + len)?;
        self.at += len;
        Some(name)
    }

    /// The labels after `{`, up to and including `}`.
    fn label_set(&mut self, hints: &[Label<'a>], labels: &mut Vec<Label<'a>>) -> Option<()> {
        loop {
            if self.peek()? == b'}' {
                self.at += 1;
                return Some(());
            }
            let hint = hints.get(labels.len()).map_or("", |label| label.name);
            let name = self.name(hint, LABEL_NAME_START, LABEL_NAME)?;
            if name == "__name__" || self.bytes().get(self.at..self.at + 2)? != b"=\"" {
                return None;
            }
            let value_start = self.at + 2;
            let value_end = find_quote_backslash_or_newline(self.bytes(), value_start)?;
            if self.bytes()[value_end] != b'"' {
                return None;
            }
            let value = self.text.get(value_start..value_end)?;
            labels.push(Label {
                name,
                value: Cow::Borrowed(value),
            });
            self.at = value_end + 1;
            match self.peek()? {
                b',' => self.at += 1,
                b'}' => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// The value token, which a blank or the newline ends, as a float.
    fn value(&mut self) -> Option<f64> {
        let rest = self.text.get(self.at..)?;
        // Parsing the common decimal finds the end of the token on the way.
        let (value, len) = match decimal_prefix(rest) {
            Some((value, len)) if rest.as_bytes().get(len).is_some_and(|&b| !is(b, TOKEN)) => {
                (value, len)
            }
            _ => {
                let len = token_len(rest)?;
                (parse_float(rest.get(..len)?)?, len)
            }
        };
        self.at += len;
        Some(value)
    }

    /// The timestamp token, which the newline must end.
    fn timestamp(&mut self) -> Option<i64> {
        let rest = self.text.get(self.at..)?;
        let len = token_len(rest)?;
        if rest.as_bytes()[len] != b'\n' {
            return None;
        }
        let timestamp = rest.get(..len)?.parse().ok()?;
        self.at += len;
        Some(timestamp)
    }
}

/// The length of the token at the start of `text`, if a blank or a newline ends it.
fn token_len(text: &str) -> Option<usize> {
    text.bytes().position(|b| !is(b, TOKEN))
}

/// The position of the first `"`, `\` or newline in `bytes` from `from`: the end of a label value
/// without escapes. Label values are short but many: eight bytes at a time, as a word whose
/// bytes equal to one of the three become zero (SWAR), costs less than both a byte-wise loop and
/// a call to `memchr3`.
fn find_quote_backslash_or_newline(bytes: &[u8], from: usize) -> Option<usize> {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    const HIGHS: u64 = ONES << 7;
    // The high bit of every byte of `word` that is zero; wrong only above a zero byte, which
    // leaves the lowest set bit right.
    let zero_bytes = |word: u64| word.wrapping_sub(ONES) & !word & HIGHS;
    let mut at = from;
    while let Some(chunk) = bytes.get(at..at + 8) {
        let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        let found = zero_bytes(word ^ (ONES * u64::from(b'"')))
            | zero_bytes(word ^ (ONES * u64::from(b'\\')))
            | zero_bytes(word ^ (ONES * u64::from(b'\n')));
        if found != 0 {
            // Little-endian: the lowest bit is the first byte.
            return Some(at + (found.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    let tail = bytes.get(at..)?;
    let found = tail
        .iter()
        .position(|&b| matches!(b, b'"' | b'\\' | b'\n'))?;
    Some(at + found)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::super::{Line, LineError, parse_with_text};
    use super::*;

    type Taken<'a> = (Sample<'a>, usize, Vec<Label<'a>>);

    /// The fast path on the first line of `text`: the sample, the end and the labels.
    fn fast<'a>(text: &'a str, hints: Hints<'a, '_>) -> Option<Taken<'a>> {
        let mut labels = Vec::new();
        sample(text, 0, hints, &mut labels).map(|(sample, end)| (sample, end, labels))
    }

    /// The general grammar on the first line of `text`.
    fn general(text: &str) -> (Result<Line<'_>, LineError<'_>>, Vec<Label<'_>>) {
        let end = text.find('\n').map_or(text.len(), |at| at + 1);
        let mut labels = Vec::new();
        let line = &text[..end];
        let parsed = parse_with_text(line.as_bytes(), Some(line), Hints::default(), &mut labels);
        (parsed, labels)
    }

    /// Checks that the fast path, when it takes the first line of `text`, agrees with the
    /// general grammar, and returns whether it took it.
    fn agrees(text: &str, hints: Hints<'_, '_>) -> Result<bool, TestCaseError> {
        let Some((sample, end, fast_labels)) = fast(text, hints) else {
            return Ok(false);
        };
        let (general, labels) = general(text);
        // Compared as printed, for NaN.
        prop_assert_eq!(
            format!("{general:?}"),
            format!("{:?}", Ok::<_, LineError<'_>>(Line::Sample(sample))),
            "{:?}",
            text
        );
        prop_assert_eq!(fast_labels, labels, "{:?}", text);
        prop_assert_eq!(text.as_bytes()[end - 1], b'\n');
        prop_assert!(!text[..end - 1].contains('\n'));
        Ok(true)
    }

    #[test]
    fn takes_plain_sample_lines() {
        let hints = Hints::default();
        for line in [
            "up 1\n",
            "up{} 1\n",
            "up{a=\"\"} 1\n",
            "up{a=\"1\",} 1\n",
            "up \t{a=\"1\",b=\"é\"}\t-2.5e-3 \t1700000000000\n",
            "up{a=\"1\"}1\n",
            "up-1\n",
            "up +Inf\n",
        ] {
            assert!(
                matches!(agrees(line, hints), Ok(true)),
                "{line:?}: {:?}",
                general(line)
            );
        }
    }

    #[test]
    fn leaves_anything_unusual_to_the_grammar() {
        for line in [
            " up 1\n",
            "# HELP up x\n",
            "\n",
            "up 1",
            "up{a=\"1\\n\"} 1\n",
            "up{a =\"1\"} 1\n",
            "up{a= \"1\"} 1\n",
            "up{ a=\"1\"} 1\n",
            "up{a=\"1\" } 1\n",
            "up{__name__=\"1\"} 1\n",
            "up{a=\"1\"b=\"2\"} 1\n",
            "up 1 2 \n",
            "up 1 \n",
            "up 1e400\n",
            "up x\n",
            "up 1 1.5\n",
            "up{a=\"1\n\"} 1\n",
        ] {
            assert!(
                fast(line, Hints::default()).is_none(),
                "{line:?} is left to the grammar"
            );
        }
    }

    #[test]
    fn finds_the_end_of_label_values() {
        let text = b"0123456789abcdef\"0123456789abcdef\\x\n";
        let find = |from| find_quote_backslash_or_newline(text, from);
        assert_eq!(find(0), Some(16));
        assert_eq!(find(10), Some(16));
        assert_eq!(find(17), Some(33));
        assert_eq!(find(34), Some(35));
        assert_eq!(find(36), None);
        assert_eq!(find_quote_backslash_or_newline(b"ab", 0), None);
    }

    /// Mostly a string of `good`, sometimes one of `bad`.
    fn part(good: &str, bad: &str) -> BoxedStrategy<String> {
        let regex = |pattern| proptest::string::string_regex(pattern).expect("a valid regex");
        prop_oneof![15 => regex(good), 1 => regex(bad)].boxed()
    }

    /// Lines near the language that the fast path takes: every part mostly right, sometimes one
    /// of the variants that the fast path leaves to the grammar.
    fn near_sample_line() -> impl Strategy<Value = String> {
        let blanks = || part("", "[ \t]{1,2}");
        let label = (
            blanks(),
            part("(a|le|b_2)", "(__name__|2a|)"),
            blanks(),
            blanks(),
            part("[a-z0-9.é/]{0,12}", "([^\"\\\\\n]{0,3}|\\\\[n\"\\\\x]|\n)"),
            blanks(),
        )
            .prop_map(|(b1, name, b2, b3, value, b4)| {
                format!("{b1}{name}{b2}={b3}\"{value}\"{b4}")
            });
        let labels = (
            proptest::collection::vec(label, 0..4),
            part("", ","),
            part("\\{", "()"),
        )
            .prop_map(|(labels, comma, open)| {
                if open.is_empty() {
                    String::new()
                } else {
                    format!("{{{}{comma}}}", labels.join(","))
                }
            });
        let line = (
            part("(up|a_b:c|_x9)", "(9x|)"),
            blanks(),
            labels,
            part(" ", "[ \t]{0,2}"),
            part(
                "([+-]?[0-9]{1,20}(\\.[0-9]{0,20})?([eE][+-]?[0-9]{1,3})?|[0-9]{1,3})",
                "([+-]?([Ii]nf|NaN)|0x1p3|1_0|1e|\\.|1e400|[+-]?\\.[0-9]{0,3})",
            ),
            part("( [+-]?[0-9]{1,18})?", "( [0-9]{20}| x|  1| 1\\.5)"),
            part("\n", "(\r\n| \n|)"),
            part("", "up 1\n"),
        );
        line.prop_map(|(name, b1, labels, b2, value, timestamp, end, next)| {
            format!("{name}{b1}{labels}{b2}{value}{timestamp}{end}{next}")
        })
    }

    proptest! {
        #[test]
        fn agrees_with_the_grammar(text in near_sample_line()) {
            agrees(&text, Hints::default())?;
        }

        #[test]
        fn agrees_with_the_grammar_whatever_the_hints(
            text in near_sample_line(),
            name in "(up|a_b:c|u|)",
            label in "(a|le|b_2|l|)",
        ) {
            let previous = [Label { name: &label, value: Cow::Borrowed("") }];
            agrees(&text, Hints { name: &name, labels: &previous })?;
        }

        #[test]
        fn agrees_with_the_grammar_on_any_bytes(text in "[a-z_{}=\",. \t\n\\\\0-9e+-]{0,40}") {
            agrees(&text, Hints::default())?;
        }
    }
}
