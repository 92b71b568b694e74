//! Rendering of metric families in the text format 0.0.4, byte-identical to Go's `expfmt`.

use crate::model::MetricFamily;

/// Appends the text rendering of `families` to `out`, in the given order.
///
/// ```
/// let families = pushgw_core::text::parse(b"some_metric 3.14\n").unwrap();
/// let mut out = Vec::new();
/// pushgw_core::text::render(&families, &mut out);
/// assert_eq!(out, b"some_metric 3.14\n");
/// ```
pub fn render(families: &[MetricFamily], out: &mut Vec<u8>) {
    for family in families {
        render_family(family, out);
    }
}

/// Appends the text rendering of one family to `out`.
pub fn render_family(family: &MetricFamily, out: &mut Vec<u8>) {
    let _ = (family, out);
    todo!("text renderer")
}
