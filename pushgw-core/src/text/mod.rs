//! The Prometheus text exposition format 0.0.4: a nom parser and a renderer.
//!
//! Parsing accepts exactly what the Go Pushgateway 1.5.1 accepts (it uses prometheus/common's
//! `expfmt.TextParser`) and rejects what it rejects, with the same error texts, except for the
//! deliberate differences listed at [`parse`]. It is split in two layers: [`line`](mod@line) is the
//! nom grammar of one line, borrowing from the input, and [`parse`] assembles lines into families
//! (`_sum`/`_count`/`_bucket`, `quantile`/`le`). Rendering produces the bytes
//! Go's `expfmt` encoder produces for the same families. This module knows nothing of grouping keys
//! or the store.

mod error;
pub mod line;
mod parse;
pub(crate) mod render;

pub(crate) use error::GoQuote;
pub use error::{ParseError, ParseErrorKind};
pub use parse::parse;
pub use render::{render, render_family};

/// The bytes of `word` (eight bytes of text, little-endian) that end an unescaped label value or
/// must be escaped in one — `"`, `\\` and newline —, as the high bit of each such byte. Exact for
/// the lowest set bit (the first such byte) and for "is there any"; a byte just above a match may
/// be marked too. A byte of `word` equals `c` iff the same byte of `y = word ^ c*0x01..01` is zero,
/// and `(y - 0x01..01) & !y & 0x80..80` marks the zero bytes of `y`. The parser's fast path and
/// the renderer scan label values with it, eight bytes at a time.
#[inline]
fn label_value_specials(word: u64) -> u64 {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    const HIGHS: u64 = ONES << 7;
    let zero_bytes = |y: u64| y.wrapping_sub(ONES) & !y & HIGHS;
    zero_bytes(word ^ (ONES * u64::from(b'"')))
        | zero_bytes(word ^ (ONES * u64::from(b'\\')))
        | zero_bytes(word ^ (ONES * u64::from(b'\n')))
}
