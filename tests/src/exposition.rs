//! Text expositions split into family blocks, to compare two `/metrics` family by family.

/// One family's lines of a text exposition (format 0.0.4): its `# HELP` and `# TYPE` lines and
/// samples, each line with its final newline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FamilyBlock {
    /// The family name from the HELP/TYPE line (or, for untyped families without one, the first
    /// sample's metric name).
    pub name: String,
    /// The block's lines, each ending in `\n`.
    pub text: String,
}

/// Splits a text exposition as Go's encoder writes it (every family opens with `# HELP` and/or
/// `# TYPE`) into family blocks, in order.
///
/// ```
/// let blocks = pushgw_tests::exposition::family_blocks(
///     "# HELP a Help.\n# TYPE a gauge\na 1\n# TYPE b counter\nb 2\n",
/// );
/// assert_eq!(blocks.len(), 2);
/// assert_eq!(blocks[1].name, "b");
/// assert_eq!(blocks[1].text, "# TYPE b counter\nb 2\n");
/// ```
pub fn family_blocks(exposition: &str) -> Vec<FamilyBlock> {
    let mut blocks: Vec<FamilyBlock> = Vec::new();
    // Whether the current block has seen a sample: a HELP or TYPE line after one opens a new block.
    let mut has_samples = false;
    for line in exposition.split_inclusive('\n') {
        let header_name = line
            .strip_prefix("# HELP ")
            .or_else(|| line.strip_prefix("# TYPE "))
            .map(|rest| rest.split([' ', '\n']).next().unwrap_or(""));
        let name = match header_name {
            Some(name) => name,
            None if line.starts_with('#') || line.trim().is_empty() => {
                if let Some(block) = blocks.last_mut() {
                    block.text.push_str(line);
                }
                continue;
            }
            None => {
                let name = line.split(['{', ' ', '\t']).next().unwrap_or("");
                if let Some(block) = blocks.last_mut() {
                    block.text.push_str(line);
                    has_samples = true;
                    continue;
                }
                name
            }
        };
        let continues = blocks
            .last()
            .is_some_and(|block| block.name == name && !has_samples);
        if continues {
            blocks
                .last_mut()
                .expect("continues implies a block")
                .text
                .push_str(line);
        } else {
            blocks.push(FamilyBlock {
                name: name.to_owned(),
                text: line.to_owned(),
            });
            has_samples = header_name.is_none();
        }
    }
    blocks
}

/// Whether a family of a Go Pushgateway's `/metrics` is the gateway's own rather than pushed:
/// Go runtime (`go_*`), process (`process_*`), the gateway's self-instrumentation
/// (`pushgateway_*`, and pushgw's extensions `pushgw_*`), and the per-group timestamps
/// `push_time_seconds` and `push_failure_time_seconds` (spec §4.1, §3.5).
///
/// ```
/// use pushgw_tests::exposition::is_gateway_own;
/// assert!(is_gateway_own("go_goroutines"));
/// assert!(is_gateway_own("push_time_seconds"));
/// assert!(!is_gateway_own("some_metric"));
/// ```
pub fn is_gateway_own(name: &str) -> bool {
    name.starts_with("go_")
        || name.starts_with("process_")
        || name.starts_with("pushgateway_")
        || name.starts_with("pushgw_")
        || name == "push_time_seconds"
        || name == "push_failure_time_seconds"
}

/// The family blocks of `exposition` that were pushed: [`family_blocks`] without
/// [`is_gateway_own`] ones.
pub fn pushed_family_blocks(exposition: &str) -> Vec<FamilyBlock> {
    family_blocks(exposition)
        .into_iter()
        .filter(|block| !is_gateway_own(&block.name))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(exposition: &str, expected: &[(&str, &str)]) {
        let blocks = family_blocks(exposition);
        let actual: Vec<(&str, &str)> = blocks
            .iter()
            .map(|block| (block.name.as_str(), block.text.as_str()))
            .collect();
        assert_eq!(actual, expected);
    }

    #[test]
    fn splits_at_help_and_type_lines() {
        check(
            "# HELP a A.\n# TYPE a gauge\na{x=\"1\"} 1\na{x=\"2\"} 2\n# HELP b B.\n# TYPE b untyped\nb 1\n",
            &[
                (
                    "a",
                    "# HELP a A.\n# TYPE a gauge\na{x=\"1\"} 1\na{x=\"2\"} 2\n",
                ),
                ("b", "# HELP b B.\n# TYPE b untyped\nb 1\n"),
            ],
        );
    }

    #[test]
    fn keeps_summary_and_histogram_lines_together() {
        check(
            "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_sum 2\nh_count 1\n# TYPE s summary\ns_sum 1\ns_count 1\n",
            &[
                (
                    "h",
                    "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_sum 2\nh_count 1\n",
                ),
                ("s", "# TYPE s summary\ns_sum 1\ns_count 1\n"),
            ],
        );
    }

    #[test]
    fn same_name_after_samples_is_a_new_block() {
        check(
            "# TYPE a gauge\na 1\n# TYPE a gauge\na 2\n",
            &[
                ("a", "# TYPE a gauge\na 1\n"),
                ("a", "# TYPE a gauge\na 2\n"),
            ],
        );
    }

    #[test]
    fn leading_samples_without_header_form_a_block() {
        check(
            "a 1\n# TYPE b gauge\nb 2\n",
            &[("a", "a 1\n"), ("b", "# TYPE b gauge\nb 2\n")],
        );
    }

    #[test]
    fn empty_exposition_has_no_blocks() {
        check("", &[]);
    }

    #[test]
    fn gateway_own_families_are_filtered() {
        let blocks = pushed_family_blocks(
            "# TYPE go_goroutines gauge\ngo_goroutines 9\n# TYPE m gauge\nm 1\n# TYPE push_time_seconds gauge\npush_time_seconds 1\n",
        );
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].name, "m");
    }
}
