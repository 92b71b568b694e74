//! Assembly of parsed lines into metric families.

use super::ParseError;
use crate::model::MetricFamily;

/// Parses a text-format 0.0.4 exposition into metric families, in order of first appearance.
///
/// ```
/// let families = pushgw_core::text::parse(b"some_metric 3.14\n").unwrap();
/// assert_eq!(families[0].name, "some_metric");
/// ```
pub fn parse(input: &[u8]) -> Result<Vec<MetricFamily>, ParseError> {
    let _ = input;
    todo!("text parser")
}
