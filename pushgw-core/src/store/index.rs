//! The per-family-name index: which groups hold a family of that name, every series of it in
//! exposition order, the cached consistency verdict and the cached rendered block.
//!
//! It is what makes a push cost O(size of the push) instead of O(size of the store): the
//! consistency check looks up series identities and the merged type here instead of re-gathering,
//! and a scrape concatenates cached blocks instead of sorting and rendering.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use crate::grouping::GroupingKey;
use crate::model::{LabelPair, MetricType};

use super::ConsistencyError;
use super::StoredFamily;
use super::exposition::Block;

/// A label set (sorted by name) ordered as the reference sorts samples within a family (spec
/// §4.2): by number of labels, then label values position by position. Ties, which Go leaves to
/// its unstable sort, are broken by the label names, so equal keys are exactly equal label sets.
#[derive(Debug, Clone)]
pub(super) struct SeriesLabels(pub(super) Arc<[LabelPair]>);

impl Ord for SeriesLabels {
    fn cmp(&self, other: &Self) -> Ordering {
        series_order(&self.0, &other.0)
    }
}

impl PartialOrd for SeriesLabels {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for SeriesLabels {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for SeriesLabels {}

/// The sample order of spec §4.2 on label sets sorted by name, with the label names as the final
/// tie-breaker.
pub(super) fn series_order(a: &[LabelPair], b: &[LabelPair]) -> Ordering {
    a.len()
        .cmp(&b.len())
        .then_with(|| a.iter().map(|p| &p.value).cmp(b.iter().map(|p| &p.value)))
        .then_with(|| a.iter().map(|p| &p.name).cmp(b.iter().map(|p| &p.name)))
}

/// One stored series with a given label set: which group holds it, at which position of the
/// group's family, and its pre-rendered text.
#[derive(Debug, Clone)]
pub(super) struct Occurrence {
    pub(super) group: Arc<GroupingKey>,
    pub(super) index: usize,
    pub(super) text: Arc<[u8]>,
}

/// What the index keeps of a group's family: enough to find the merged type and HELP.
#[derive(Debug, Clone)]
pub(super) struct Holder {
    pub(super) metric_type: MetricType,
    pub(super) help: Option<Arc<str>>,
}

/// The outcome of the family-level checks for one name (spec §3.6, `Gatherers.Gather`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum Status {
    /// No group holds a family of this name.
    #[default]
    Absent,
    /// The family is dropped from the gathering with a family-level error.
    Skipped,
    /// The family is gathered with this type; its metrics are checked against it.
    Accepted(MetricType),
}

/// Everything the store knows about one family name across all groups.
#[derive(Debug, Default)]
pub(super) struct NameIndex {
    /// The groups holding a family of this name, hashed: a re-push only updates its entry.
    pub(super) holders: HashMap<Arc<GroupingKey>, Holder>,
    /// The same groups in gathering order (by grouping key). The first one's type and HELP win
    /// (spec §17, Q1).
    pub(super) holder_order: BTreeSet<Arc<GroupingKey>>,
    /// Every series of every holder, in exposition order; occurrences of one label set are
    /// sorted by (group, index), i.e. in gathering order.
    pub(super) series: BTreeMap<SeriesLabels, Vec<Occurrence>>,
    /// The number of series across all holders.
    pub(super) series_count: usize,
    /// The total length of their pre-rendered lines, to size the block in one allocation.
    pub(super) text_len: usize,
    /// The cached verdict of the family-level checks.
    pub(super) status: Status,
    /// The cached errors this name contributes to a gathering (family-level or per metric).
    pub(super) errors: Vec<ConsistencyError>,
    /// The cached rendering of the merged family; `None` when a write changed it.
    pub(super) block: Option<Arc<Block>>,
}

impl NameIndex {
    /// Re-indexes group `key`'s family of this name: `previous` out, `current` in.
    ///
    /// Label sets found in both (the usual re-push) keep their map entry: only the occurrence
    /// changes, with no tree rebalancing and no allocation.
    pub(super) fn replace(
        &mut self,
        key: &Arc<GroupingKey>,
        previous: Option<&StoredFamily>,
        current: Option<&StoredFamily>,
    ) {
        match current {
            Some(family) => {
                let holder = Holder {
                    metric_type: family.metric_type,
                    help: family.help.clone(),
                };
                if self.holders.insert(Arc::clone(key), holder).is_none() {
                    self.holder_order.insert(Arc::clone(key));
                }
            }
            None => {
                if self.holders.remove(&**key).is_some() {
                    self.holder_order.remove(&**key);
                }
            }
        }
        let previous = previous.map_or(&[][..], |family| &family.metrics[..]);
        let current = current.map_or(&[][..], |family| &family.metrics[..]);
        for metric in previous {
            self.text_len -= metric.text.len();
            if let Some(occurrences) = self
                .series
                .get_mut(&SeriesLabels(Arc::clone(&metric.labels)))
            {
                occurrences.retain(|o| o.group != *key);
            }
        }
        for (index, metric) in current.iter().enumerate() {
            self.text_len += metric.text.len();
            let occurrences = self
                .series
                .entry(SeriesLabels(Arc::clone(&metric.labels)))
                .or_default();
            let position = occurrences.partition_point(|o| (&*o.group, o.index) < (&**key, index));
            occurrences.insert(
                position,
                Occurrence {
                    group: Arc::clone(key),
                    index,
                    text: Arc::clone(&metric.text),
                },
            );
        }
        // Drop the label sets nobody holds any more.
        for metric in previous {
            let labels = SeriesLabels(Arc::clone(&metric.labels));
            if self.series.get(&labels).is_some_and(Vec::is_empty) {
                self.series.remove(&labels);
            }
        }
        self.series_count = self.series_count - previous.len() + current.len();
        self.block = None;
    }

    /// The type and HELP of the first holder in gathering order.
    pub(super) fn first_holder(&self) -> Option<&Holder> {
        self.holder_order.first().map(|key| &self.holders[key])
    }

    /// Whether nothing refers to this name any more, so the entry can go.
    pub(super) fn is_unused(&self) -> bool {
        self.holders.is_empty() && self.errors.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Vec<LabelPair> {
        pairs.iter().map(|(n, v)| LabelPair::new(*n, *v)).collect()
    }

    #[test]
    fn orders_by_label_count_then_values_then_names() {
        let mut sets = [
            labels(&[("instance", "some_instance"), ("job", "a")]),
            labels(&[("a", "1"), ("instance", ""), ("job", "a")]),
            labels(&[("instance", ""), ("job", "b")]),
            labels(&[("instance", ""), ("job", "a")]),
            labels(&[("a", ""), ("job", "a")]),
        ];
        sets.sort_by(|a, b| series_order(a, b));
        let rendered: Vec<String> = sets
            .iter()
            .map(|set| {
                set.iter()
                    .map(|p| format!("{}={}", p.name, p.value))
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect();
        assert_eq!(
            rendered,
            [
                "a=,job=a",
                "instance=,job=a",
                "instance=,job=b",
                "instance=some_instance,job=a",
                "a=1,instance=,job=a",
            ]
        );
    }
}
