//! The per-family-name index: which groups hold a family of that name, every series of it in
//! exposition order, the cached consistency verdict and the cached rendered block.
//!
//! It is what makes a push cost O(size of the push) instead of O(size of the store): the
//! consistency check looks up series identities and the merged type here instead of re-gathering,
//! and a scrape concatenates cached blocks instead of sorting and rendering.

use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use bytes::Bytes;

use crate::grouping::GroupingKey;
use crate::model::{LabelPair, MetricType};

use super::ConsistencyError;
use super::StoredFamily;
use super::exposition::{Block, Chunk};

/// A label set (sorted by name) ordered as the reference sorts samples within a family (spec
/// §4.2): by number of labels, then label values position by position. Ties, which Go leaves to
/// its unstable sort, are broken by the label names, so equal keys are exactly equal label sets.
#[derive(Debug, Clone)]
pub(super) struct SeriesLabels {
    labels: Arc<[LabelPair]>,
    /// The order up to the label names, precomputed as bytes that compare as the label sets do:
    /// the number of labels, then each value with its bytes 0 and 1 escaped (as 1 1 and 1 2)
    /// and ended by a 0, so that a value sorts before the longer values it is a prefix of. An
    /// index lookup then costs one `memcmp` per comparison, not one per label value.
    key: Box<[u8]>,
}

impl SeriesLabels {
    /// The key of `labels`, which must be sorted by name.
    pub(super) fn new(labels: Arc<[LabelPair]>) -> SeriesLabels {
        let len: usize = labels.iter().map(|pair| pair.value.len() + 1).sum();
        let mut key = Vec::with_capacity(8 + len);
        key.extend_from_slice(&(labels.len() as u64).to_be_bytes());
        for pair in labels.iter() {
            let value = pair.value.as_bytes();
            if value.iter().all(|&byte| byte > 1) {
                key.extend_from_slice(value);
            } else {
                for &byte in value {
                    match byte {
                        0 | 1 => key.extend_from_slice(&[1, byte + 1]),
                        _ => key.push(byte),
                    }
                }
            }
            key.push(0);
        }
        SeriesLabels {
            labels,
            key: key.into_boxed_slice(),
        }
    }

    /// The label set.
    pub(super) fn labels(&self) -> &Arc<[LabelPair]> {
        &self.labels
    }
}

impl Ord for SeriesLabels {
    fn cmp(&self, other: &Self) -> Ordering {
        if Arc::ptr_eq(&self.labels, &other.labels) {
            return Ordering::Equal;
        }
        self.key.cmp(&other.key).then_with(|| {
            let names = other.labels.iter().map(|p| &p.name);
            self.labels.iter().map(|p| &p.name).cmp(names)
        })
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
    pub(super) series: SeriesIndex,
    /// The number of series across all holders.
    pub(super) series_count: usize,
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
    /// A re-push with the previous family's label sets in the same order (the usual case) only
    /// swaps the occurrences' texts, one lookup per series; otherwise the previous occurrences
    /// are removed, the current ones inserted and label sets nobody holds any more swept.
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
        self.block = None;
        // The usual re-push: the same label sets in the same order. Finding occurrence (group,
        // i) under the label set of current metric i proves it equals previous metric i's (the
        // index holds exactly the previous family's occurrences of this group), so only the
        // texts change: one lookup per series instead of remove, insert and sweep. If a series
        // differs, the general path below redoes everything: it drops all of this group's
        // occurrences whatever their texts.
        if previous.len() == current.len()
            && current.iter().enumerate().all(|(index, metric)| {
                self.series.update_text(
                    &SeriesLabels::new(Arc::clone(&metric.labels)),
                    key,
                    index,
                    &metric.text,
                )
            })
        {
            return;
        }
        let removed: Vec<SeriesLabels> = previous
            .iter()
            .map(|metric| SeriesLabels::new(Arc::clone(&metric.labels)))
            .collect();
        for labels in &removed {
            self.series.remove_group(labels, key);
        }
        for (index, metric) in current.iter().enumerate() {
            let occurrence = Occurrence {
                group: Arc::clone(key),
                index,
                text: Arc::clone(&metric.text),
            };
            self.series
                .insert(SeriesLabels::new(Arc::clone(&metric.labels)), occurrence);
        }
        // Drop the label sets nobody holds any more.
        for labels in &removed {
            self.series.sweep(labels);
        }
        self.series_count = self.series_count - previous.len() + current.len();
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

/// How many label sets a segment of a [`SeriesIndex`] holds before it is split in two halves
/// (tiny in tests, so that they split and empty out all the time).
const SEGMENT_MAX: usize = if cfg!(test) { 2 } else { 256 };

/// The series of one family name in exposition order, in segments of at most
/// 2 × [`SEGMENT_MAX`] label sets, each caching the concatenation of its lines.
///
/// A write re-renders only the segments it touched, so a scrape after a push into one of many
/// groups copies a few kilobytes under the store's lock instead of the whole family.
#[derive(Debug, Default)]
pub(super) struct SeriesIndex {
    /// The segments in order, none empty. A sorted `Vec`: there are few (a hundredth of the
    /// series at most), so a binary search beats a tree's descent and moving them is cheap.
    segments: Vec<Segment>,
    /// How many label sets have at least two occurrences: with none, no series is a duplicate
    /// and the consistency check need not look any up.
    shared: usize,
}

#[derive(Debug, Default)]
struct Segment {
    /// Label sets in exposition order, each with its occurrences in gathering order. An empty
    /// occurrence list only exists during [`NameIndex::replace`], until it is swept.
    entries: Vec<(SeriesLabels, Vec<Occurrence>)>,
    /// The concatenated lines of all occurrences; `None` when a write changed the segment.
    text: Option<Arc<Chunk>>,
}

impl Segment {
    /// The position of `labels` among the entries, or where it would go.
    fn find(&self, labels: &SeriesLabels) -> Result<usize, usize> {
        self.entries.binary_search_by(|(l, _)| l.cmp(labels))
    }
}

impl SeriesIndex {
    /// The position of the segment `labels` belongs in, if any starts at or before it.
    fn segment_of(&self, labels: &SeriesLabels) -> Option<usize> {
        self.segments
            .partition_point(|segment| segment.entries[0].0 <= *labels)
            .checked_sub(1)
    }

    /// Whether some label set has several occurrences (in one group or across groups).
    pub(super) fn has_shared(&self) -> bool {
        self.shared > 0
    }

    /// The occurrences of `labels`.
    pub(super) fn get(&self, labels: &SeriesLabels) -> Option<&[Occurrence]> {
        let segment = &self.segments[self.segment_of(labels)?];
        let at = segment.find(labels).ok()?;
        Some(&segment.entries[at].1)
    }

    /// Sets the text of group `key`'s occurrence at `index` of `labels`; false if there is no
    /// such occurrence.
    pub(super) fn update_text(
        &mut self,
        labels: &SeriesLabels,
        key: &Arc<GroupingKey>,
        index: usize,
        text: &Arc<[u8]>,
    ) -> bool {
        let Some(segment) = self.segment_of(labels) else {
            return false;
        };
        let segment = &mut self.segments[segment];
        let Ok(at) = segment.find(labels) else {
            return false;
        };
        let occurrences = &mut segment.entries[at].1;
        let found = occurrences.binary_search_by(|o| {
            // All index entries share the store's `Arc` of a key: compare contents only if not.
            let group = if Arc::ptr_eq(&o.group, key) {
                Ordering::Equal
            } else {
                (*o.group).cmp(&**key)
            };
            group.then(o.index.cmp(&index))
        });
        let Ok(position) = found else {
            return false;
        };
        occurrences[position].text = Arc::clone(text);
        segment.text = None;
        true
    }

    /// Adds an occurrence of `labels`, in gathering order among the others.
    pub(super) fn insert(&mut self, labels: SeriesLabels, occurrence: Occurrence) {
        if self.segments.is_empty() {
            self.segments.push(Segment {
                entries: vec![(labels, vec![occurrence])],
                text: None,
            });
            return;
        }
        // Before all others, it starts the first segment.
        let at_segment = self.segment_of(&labels).unwrap_or(0);
        let segment = &mut self.segments[at_segment];
        segment.text = None;
        let at = segment.find(&labels).unwrap_or_else(|at| {
            segment.entries.insert(at, (labels, Vec::new()));
            at
        });
        let occurrences = &mut segment.entries[at].1;
        let position = occurrences
            .partition_point(|o| (&*o.group, o.index) < (&*occurrence.group, occurrence.index));
        occurrences.insert(position, occurrence);
        if occurrences.len() == 2 {
            self.shared += 1;
        }
        if segment.entries.len() > 2 * SEGMENT_MAX {
            let tail = Segment {
                entries: segment.entries.split_off(SEGMENT_MAX),
                text: None,
            };
            self.segments.insert(at_segment + 1, tail);
        }
    }

    /// Removes the occurrences of `labels` held by group `key`, leaving the label set in place
    /// (see [`SeriesIndex::sweep`]).
    pub(super) fn remove_group(&mut self, labels: &SeriesLabels, key: &GroupingKey) {
        let Some(segment) = self.segment_of(labels) else {
            return;
        };
        let segment = &mut self.segments[segment];
        if let Ok(at) = segment.find(labels) {
            let occurrences = &mut segment.entries[at].1;
            let was_shared = occurrences.len() >= 2;
            occurrences.retain(|o| &*o.group != key);
            if was_shared && occurrences.len() < 2 {
                self.shared -= 1;
            }
            segment.text = None;
        }
    }

    /// Drops the label set `labels` if nobody holds it any more, and its segment if that was
    /// the last one.
    pub(super) fn sweep(&mut self, labels: &SeriesLabels) {
        let Some(at_segment) = self.segment_of(labels) else {
            return;
        };
        let segment = &mut self.segments[at_segment];
        if let Ok(at) = segment.find(labels)
            && segment.entries[at].1.is_empty()
        {
            segment.entries.remove(at);
            if segment.entries.is_empty() {
                self.segments.remove(at_segment);
            }
        }
    }

    /// All label sets with their occurrences, in exposition order.
    pub(super) fn iter(&self) -> impl Iterator<Item = (&SeriesLabels, &[Occurrence])> {
        self.segments
            .iter()
            .flat_map(|segment| segment.entries.iter())
            .map(|(labels, occurrences)| (labels, occurrences.as_slice()))
    }

    /// The lines of every segment, in exposition order, re-rendering only changed segments.
    pub(super) fn texts(&mut self) -> Vec<Arc<Chunk>> {
        self.segments
            .iter_mut()
            .map(|segment| {
                segment
                    .text
                    .get_or_insert_with(|| {
                        let occurrences = || segment.entries.iter().flat_map(|(_, o)| o);
                        // Sized up front: growing by reallocation was a third of a scrape.
                        let len = occurrences().map(|o| o.text.len()).sum();
                        let mut text = Vec::with_capacity(len);
                        for occurrence in occurrences() {
                            text.extend_from_slice(&occurrence.text);
                        }
                        Chunk::new(Bytes::from(text))
                    })
                    .clone()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn key(job: &str) -> Arc<GroupingKey> {
        Arc::new(GroupingKey::from_path(&format!("job/{job}")).expect("valid path"))
    }

    proptest! {
        /// The segmented index behaves as one ordered map from label sets to occurrences.
        #[test]
        fn segments_behave_as_one_ordered_map(
            ops in prop::collection::vec((any::<bool>(), 0..40u8, 0..3u8), 1..200),
        ) {
            let mut index = SeriesIndex::default();
            let mut model: BTreeMap<SeriesLabels, Vec<String>> = BTreeMap::new();
            for (insert, value, job) in ops {
                let labels = SeriesLabels::new(Arc::from(vec![LabelPair::new("a", value.to_string())]));
                let group = key(&job.to_string());
                if insert {
                    let occurrence = Occurrence { group: Arc::clone(&group), index: 0, text: Arc::from(&b"x"[..]) };
                    index.remove_group(&labels, &group);
                    index.insert(labels.clone(), occurrence);
                    let jobs = model.entry(labels).or_default();
                    jobs.retain(|j| *j != group.job());
                    jobs.push(group.job().to_owned());
                    jobs.sort();
                } else {
                    index.remove_group(&labels, &group);
                    index.sweep(&labels);
                    if let Some(jobs) = model.get_mut(&labels) {
                        jobs.retain(|j| *j != group.job());
                        if jobs.is_empty() {
                            model.remove(&labels);
                        }
                    }
                }
                let actual: Vec<(SeriesLabels, Vec<String>)> = index
                    .iter()
                    .map(|(l, o)| (l.clone(), o.iter().map(|o| o.group.job().to_owned()).collect()))
                    .collect();
                let expected: Vec<(SeriesLabels, Vec<String>)> = model.clone().into_iter().collect();
                prop_assert_eq!(&actual, &expected);
                for (labels, jobs) in &model {
                    prop_assert_eq!(index.get(labels).map(<[Occurrence]>::len), Some(jobs.len()));
                }
                prop_assert!(index.segments.iter().all(|s| !s.entries.is_empty() && s.entries.len() <= 2 * SEGMENT_MAX));
                prop_assert_eq!(index.has_shared(), model.values().any(|jobs| jobs.len() >= 2));
                let texts: usize = index.texts().iter().map(|chunk| chunk.text().len()).sum();
                prop_assert_eq!(texts, model.values().map(Vec::len).sum::<usize>());
            }
        }
    }

    proptest! {
        /// The precomputed key never changes the order: values sharing long prefixes, with the
        /// escaped bytes 0 and 1.
        #[test]
        fn key_keeps_the_series_order(
            a in prop::collection::vec(("[ab]", "(x{15,17}|\\x00|\\x01|)[a\\x00\\x01\\x02]{0,2}"), 0..3),
            b in prop::collection::vec(("[ab]", "(x{15,17}|\\x00|\\x01|)[a\\x00\\x01\\x02]{0,2}"), 0..3),
        ) {
            let set = |pairs: Vec<(String, String)>| {
                let mut pairs: Vec<LabelPair> =
                    pairs.into_iter().map(|(n, v)| LabelPair::new(n, v)).collect();
                pairs.sort_by(|x, y| x.name.cmp(&y.name));
                SeriesLabels::new(Arc::from(pairs))
            };
            let (a, b) = (set(a), set(b));
            prop_assert_eq!(a.cmp(&b), series_order(a.labels(), b.labels()));
        }
    }

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
