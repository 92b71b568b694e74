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
