//! Text-format parse errors, worded like prometheus/common's `TextParser`.

/// A text-format parse error: where it happened and what went wrong.
///
/// Displays as the reference does: `text format parsing error in line 3: ...`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("text format parsing error in line {line}: {kind}")]
pub struct ParseError {
    /// The 1-based line number.
    pub line: usize,
    /// What went wrong.
    pub kind: ParseErrorKind,
}

/// What went wrong on a line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The input ended in the middle of a line (e.g. no final newline).
    #[error("unexpected end of input stream")]
    UnexpectedEof,
}
