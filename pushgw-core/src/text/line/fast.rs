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
//!
//! Consecutive lines often begin alike: the buckets of a histogram, the quantiles of a summary
//! repeat the name and the labels up to `le` or `quantile`. What a line shares with the previous
//! one parses the same (parsing depends only on the bytes read so far), so the fast path
//! compares the two lines a word at a time and resumes after the last label they share
//! ([`Previous`]).

use std::borrow::Cow;

use super::super::label_value_specials;
use super::{
    BLANK, Hints, LABEL_NAME, LABEL_NAME_START, Label, METRIC_NAME, METRIC_NAME_START, Sample,
    TOKEN, decimal_prefix, is, parse_float, same,
};

/// What the fast path keeps of the last line it took: where parsing can resume in a line that
/// begins with the same bytes.
#[derive(Debug, Default)]
pub(crate) struct Previous {
    /// Where that line starts in the input; `None` if the last line was not taken.
    start: Option<usize>,
    /// Offsets from the start of that line where parsing can resume, after its `{` and after the
    /// `,` that ends each of its labels: at `resume[i]`, `i` labels are read.
    resume: Vec<usize>,
}

impl Previous {
    /// Where the line at `start` can resume, and how many labels of the previous line it shares
    /// by then: the last resume point before the first byte where the lines differ.
    fn shared(&self, bytes: &[u8], start: usize) -> Option<(usize, usize)> {
        let previous = bytes.get(self.start?..)?;
        let last = *self.resume.last()?;
        let line = &bytes[start..];
        let common = common_prefix(&previous[..last.min(previous.len())], line);
        let points = self.resume.partition_point(|&point| point <= common);
        let labels = points.checked_sub(1)?;
        Some((self.resume[labels], labels))
    }
}

/// The length of the longest common prefix of `a` and `b`, a word at a time.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let len = a.len().min(b.len());
    let mut at = 0;
    while at + 8 <= len {
        let word = |s: &[u8]| u64::from_le_bytes(s[at..at + 8].try_into().expect("eight bytes"));
        let differ = word(a) ^ word(b);
        if differ != 0 {
            // Little-endian: the lowest bit is the first byte.
            return at + (differ.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    at + a[at..len]
        .iter()
        .zip(&b[at..len])
        .take_while(|(x, y)| x == y)
        .count()
}

/// A sample line taken by the fast path.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Taken<'a> {
    /// The sample.
    pub(crate) sample: Sample<'a>,
    /// Where the next line starts.
    pub(crate) end: usize,
    /// How many labels, from the first, the line shares with the previous line, whose name it
    /// also has: their bytes are the same.
    pub(crate) repeated: usize,
}

/// Parses the sample line that starts at byte `start` of `text`, clearing `labels` and filling
/// it with the line's labels; `None` if the line is not a plain sample line (see the module
/// documentation).
///
/// `hints` must hold the previous line's name and labels (as the general grammar's hints do), and
/// `previous` what this function kept of it, if it took it.
pub(crate) fn sample<'a>(
    text: &'a str,
    start: usize,
    hints: Hints<'a, '_>,
    previous: &mut Previous,
    labels: &mut Vec<Label<'a>>,
) -> Option<Taken<'a>> {
    labels.clear();
    let shared = previous.shared(text.as_bytes(), start);
    previous.start = None;
    let mut cursor = Cursor { text, at: start };
    let name = match shared {
        Some((offset, count)) => {
            labels.extend_from_slice(&hints.labels[..count]);
            previous.resume.truncate(count + 1);
            cursor.at += offset;
            cursor.label_set(start, hints.labels, previous, labels)?;
            hints.name
        }
        None => {
            previous.resume.clear();
            let name = cursor.name(hints.name, METRIC_NAME_START, METRIC_NAME)?;
            cursor.skip_blanks();
            if cursor.peek()? == b'{' {
                cursor.at += 1;
                previous.resume.push(cursor.at - start);
                cursor.label_set(start, hints.labels, previous, labels)?;
            }
            name
        }
    };
    cursor.skip_blanks();
    let value = cursor.value()?;
    let timestamp_ms = if cursor.peek()? == b'\n' {
        None
    } else {
        cursor.skip_blanks();
        Some(cursor.timestamp()?)
    };
    previous.start = Some(start);
    let sample = Sample {
        name,
        value,
        timestamp_ms,
    };
    Some(Taken {
        sample,
        // Both ways of ending a sample stop at its newline.
        end: cursor.at + 1,
        repeated: shared.map_or(0, |(_, labels)| labels),
    })
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
        if rest.get(hint.len()).is_some_and(|&b| !is(b, class))
            && !hint.is_empty()
            && same(&rest[..hint.len()], hint.as_bytes())
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

    /// The labels after `{` (and after those already in `labels`), up to and including `}`,
    /// noting in `previous` where parsing could resume for a line that starts with the same
    /// bytes as this one, which starts at `start`.
    fn label_set(
        &mut self,
        start: usize,
        hints: &[Label<'a>],
        previous: &mut Previous,
        labels: &mut Vec<Label<'a>>,
    ) -> Option<()> {
        loop {
            if self.peek()? == b'}' {
                self.at += 1;
                return Some(());
            }
            let hint = hints.get(labels.len()).map_or("", |label| label.name);
            let name = self.name(hint, LABEL_NAME_START, LABEL_NAME)?;
            let bytes = self.bytes();
            if same(name.as_bytes(), b"__name__") || bytes.get(self.at..self.at + 2)? != b"=\"" {
                return None;
            }
            let value_start = self.at + 2;
            let value_end = find_quote_backslash_or_newline(bytes, value_start)?;
            if bytes[value_end] != b'"' {
                return None;
            }
            let value = self.text.get(value_start..value_end)?;
            labels.push(Label {
                name,
                value: Cow::Borrowed(value),
            });
            self.at = value_end + 2;
            match bytes.get(value_end + 1)? {
                b',' => previous.resume.push(self.at - start),
                b'}' => return Some(()),
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
    let mut at = from;
    while let Some(chunk) = bytes.get(at..at + 8) {
        let found =
            label_value_specials(u64::from_le_bytes(chunk.try_into().expect("eight bytes")));
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

    type TakenWithLabels<'a> = (Sample<'a>, usize, Vec<Label<'a>>);

    /// The fast path on the line at `start` of `text`: the sample, the end and the labels.
    fn fast<'a>(
        text: &'a str,
        start: usize,
        hints: Hints<'a, '_>,
        previous: &mut Previous,
    ) -> Option<TakenWithLabels<'a>> {
        let mut labels = Vec::new();
        sample(text, start, hints, previous, &mut labels)
            .map(|taken| (taken.sample, taken.end, labels))
    }

    /// The general grammar on the first line of `text`.
    fn general(text: &str) -> (Result<Line<'_>, LineError<'_>>, Vec<Label<'_>>) {
        let end = text.find('\n').map_or(text.len(), |at| at + 1);
        let mut labels = Vec::new();
        let line = &text[..end];
        let parsed = parse_with_text(line.as_bytes(), Some(line), Hints::default(), &mut labels);
        (parsed, labels)
    }

    /// Checks that the fast path, when it takes the line at `start` of `text`, agrees with the
    /// general grammar, and returns what it took.
    fn agrees_at<'a>(
        text: &'a str,
        start: usize,
        hints: Hints<'a, '_>,
        previous: &mut Previous,
    ) -> Result<Option<TakenWithLabels<'a>>, TestCaseError> {
        let Some((sample, end, fast_labels)) = fast(text, start, hints, previous) else {
            return Ok(None);
        };
        let (general, labels) = general(&text[start..]);
        // Compared as printed, for NaN.
        prop_assert_eq!(
            format!("{general:?}"),
            format!("{:?}", Ok::<_, LineError<'_>>(Line::Sample(sample))),
            "{:?}",
            text
        );
        prop_assert_eq!(&fast_labels, &labels, "{:?}", text);
        prop_assert_eq!(text.as_bytes()[end - 1], b'\n');
        prop_assert!(!text[start..end - 1].contains('\n'));
        Ok(Some((sample, end, fast_labels)))
    }

    /// [`agrees_at`] on the first line, and whether the fast path took it.
    fn agrees(text: &str, hints: Hints<'_, '_>) -> Result<bool, TestCaseError> {
        Ok(agrees_at(text, 0, hints, &mut Previous::default())?.is_some())
    }

    #[test]
    fn takes_plain_sample_lines() {
        let hints = Hints::default();
        for line in [
            "up 1\n",
            "up{} 1\n",
            "up{} 0\n",
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
            "up  \n",
            "up 1e400\n",
            "up x\n",
            "up 1 1.5\n",
            "up{a=\"1\n\"} 1\n",
        ] {
            assert!(
                fast(line, 0, Hints::default(), &mut Previous::default()).is_none(),
                "{line:?} is left to the grammar"
            );
        }
    }

    #[test]
    fn resumes_after_the_labels_a_line_shares_with_the_previous_one() {
        let text = "m{a=\"1\",b=\"2\",le=\"0.5\"} 1\nm{a=\"1\",b=\"2\",le=\"1\"} 2\nm{a=\"1\",b=\"3\"} 3\n";
        let mut previous = Previous::default();
        let first = agrees_at(text, 0, Hints::default(), &mut previous).expect("agrees");
        let (first, end, labels) = first.expect("taken");
        assert_eq!(previous.resume, [2, 8, 14]);
        assert_eq!(previous.shared(text.as_bytes(), end), Some((14, 2)));
        let hints = Hints {
            name: first.name,
            labels: &labels,
        };
        let second = agrees_at(text, end, hints, &mut previous).expect("agrees");
        let (second, end, labels) = second.expect("taken");
        assert_eq!(second.value, 2.0);
        assert_eq!(previous.shared(text.as_bytes(), end), Some((8, 1)));
        let hints = Hints {
            name: second.name,
            labels: &labels,
        };
        let third = agrees_at(text, end, hints, &mut previous).expect("agrees");
        assert!(third.is_some());
        assert_eq!(previous.resume, [2, 8]);
    }

    #[test]
    fn finds_common_prefixes() {
        let text = b"0123456789abcdef0123456789";
        for n in 0..text.len() {
            let mut other = *text;
            other[n] = b'_';
            assert_eq!(common_prefix(text, &other), n);
            assert_eq!(common_prefix(&text[..n], text), n);
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
        fn agrees_with_the_grammar_after_a_line_sharing_a_prefix(
            first in near_sample_line(),
            cut in 0..60_usize,
            rest in near_sample_line(),
        ) {
            // The second line begins as the first, then anything.
            let first = &first[..first.find('\n').map_or(first.len(), |at| at + 1)];
            let mut cut = cut.min(first.len());
            while !first.is_char_boundary(cut) {
                cut -= 1;
            }
            let text = format!("{first}{}{rest}", &first[..cut]);
            let mut previous = Previous::default();
            if let Some((sample, end, labels)) = agrees_at(&text, 0, Hints::default(), &mut previous)? {
                let hints = Hints { name: sample.name, labels: &labels };
                agrees_at(&text, end, hints, &mut previous)?;
            }
        }

        #[test]
        fn agrees_with_the_grammar_on_any_bytes(text in "[a-z_{}=\",. \t\n\\\\0-9e+-]{0,40}") {
            agrees(&text, Hints::default())?;
        }
    }
}
