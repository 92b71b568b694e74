//! Property tests of the store's incremental machinery against from-scratch recomputation: the
//! cached consistency verdicts against a direct simulation of client_golang's gathering, the
//! cached exposition against rendering the merged families anew, and all-or-nothing rejection.

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, SystemTime};

use proptest::prelude::*;

use super::*;
use crate::model::{Counter, Histogram, Summary};

impl Store {
    /// The errors of a full gathering, computed from the groups alone as
    /// `Gatherers.Gather` does it (own families first, then store names in byte order).
    fn gather_from_scratch(&self) -> Vec<ConsistencyError> {
        let mut merged: BTreeMap<&str, Vec<&StoredFamily>> = BTreeMap::new();
        for group in self.groups() {
            for (name, family) in &group.families {
                merged.entry(name).or_default().push(family);
            }
        }
        let mut gathered: HashMap<String, MetricType> = self
            .own
            .values()
            .map(|own| (own.name.clone(), own.metric_type))
            .collect();
        let mut errors = Vec::new();
        let mut hashes: HashSet<(&str, &[LabelPair])> = HashSet::new();
        for (name, families) in merged {
            let first = families[0];
            let metric_type = if let Some(own) = self.own.get(name) {
                let help = match own.help_policy {
                    HelpPolicy::Override => own.help.clone(),
                    HelpPolicy::Require => first.help().unwrap_or_default().to_owned(),
                };
                if help != own.help {
                    errors.push(ConsistencyError::HelpMismatch {
                        name: name.to_owned(),
                        help,
                        expected: own.help.clone(),
                    });
                    continue;
                }
                if first.metric_type != own.metric_type {
                    errors.push(ConsistencyError::TypeMismatch {
                        name: name.to_owned(),
                        found: first.metric_type,
                        expected: own.metric_type,
                    });
                    continue;
                }
                own.metric_type
            } else {
                let metric_type = first.metric_type;
                let base = strip_magic_suffix(name);
                let collision = match base.and_then(|b| gathered.get(b)) {
                    Some(MetricType::Summary) if !name.ends_with("_bucket") => {
                        Some(ConsistencyError::CollidesWithSummary {
                            name: name.to_owned(),
                            base: base.unwrap_or_default().to_owned(),
                        })
                    }
                    Some(MetricType::Histogram) => Some(ConsistencyError::CollidesWithHistogram {
                        name: name.to_owned(),
                        base: base.unwrap_or_default().to_owned(),
                    }),
                    _ => None,
                };
                let collision = collision.or_else(|| {
                    let suffixes: &[&str] = match metric_type {
                        MetricType::Summary => &["_count", "_sum"],
                        MetricType::Histogram => &["_count", "_sum", "_bucket"],
                        _ => &[],
                    };
                    suffixes.iter().find_map(|suffix| {
                        let other = format!("{name}{suffix}");
                        gathered.contains_key(&other).then(|| {
                            if *suffix == "_bucket" {
                                ConsistencyError::HistogramCollides {
                                    name: name.to_owned(),
                                    other,
                                }
                            } else {
                                ConsistencyError::SummaryOrHistogramCollides {
                                    name: name.to_owned(),
                                    other,
                                }
                            }
                        })
                    })
                });
                if let Some(error) = collision {
                    errors.push(error);
                    continue;
                }
                gathered.insert(name.to_owned(), metric_type);
                metric_type
            };
            for family in families {
                for metric in &family.metrics {
                    if let Some(error) = metric_error(name, metric_type, metric) {
                        errors.push(error);
                    } else if !hashes.insert((name, &metric.labels)) {
                        errors.push(ConsistencyError::Duplicate {
                            name: name.to_owned(),
                            metric: dump_metric(&metric.labels, &metric.value),
                        });
                    }
                }
            }
        }
        errors
    }

    /// The exposition rendered from the groups alone.
    fn exposition_from_scratch(&self) -> Vec<u8> {
        let mut merged: BTreeMap<&str, MetricFamily> = BTreeMap::new();
        for group in self.groups() {
            for (name, family) in &group.families {
                let entry = merged.entry(name).or_insert_with(|| {
                    let mut first = family.to_metric_family();
                    first.metrics.clear();
                    if let Some(own) = self.own.get(name.as_str()) {
                        first.help = Some(own.help.clone());
                        first.metric_type = own.metric_type;
                    }
                    first
                });
                entry.metrics.extend(family.to_metric_family().metrics);
            }
        }
        let mut out = Vec::new();
        for mut family in merged.into_values() {
            family
                .metrics
                .sort_by(|a, b| index::series_order(&a.labels, &b.labels));
            crate::text::render_family(&family, &mut out);
        }
        out
    }

    /// Everything the index caches equals what it caches it from.
    fn assert_invariants(&mut self) {
        assert_eq!(self.errors().errors(), self.gather_from_scratch());
        assert_eq!(self.order.len(), self.groups.len());
        for (name, entry) in &self.names {
            let holders: Vec<&GroupingKey> = self
                .groups()
                .filter(|g| g.families.contains_key(name))
                .map(Group::key)
                .collect();
            assert_eq!(
                entry.holder_order.iter().map(|k| &**k).collect::<Vec<_>>(),
                holders,
                "{name}"
            );
            assert_eq!(entry.holders.len(), entry.holder_order.len());
            assert!(!entry.holders.is_empty(), "unused entry {name} kept");
        }
        if self.check().is_ok() {
            let expected = self.exposition_from_scratch();
            let actual = self.exposition().expect("consistent").text().to_vec();
            let mut gathered = Vec::new();
            crate::text::render(&self.gather().expect("consistent"), &mut gathered);
            assert_eq!(gathered, actual);
            assert_eq!(
                String::from_utf8_lossy(&actual),
                String::from_utf8_lossy(&expected)
            );
        }
    }

    /// The groups' families except the timestamp families, for all-or-nothing checks.
    fn contents(&self) -> Vec<Contents> {
        self.groups()
            .flat_map(|group| {
                group
                    .families
                    .values()
                    .filter(|f| f.name != PUSH_TIME_NAME && f.name != PUSH_FAILURE_TIME_NAME)
                    .map(|f| {
                        let metrics = f
                            .metrics
                            .iter()
                            .map(|m| (m.labels.to_vec(), m.value.clone()))
                            .collect();
                        ((*group.key).clone(), f.name.clone(), metrics)
                    })
            })
            .collect()
    }
}

/// A group's family as [`Store::contents`] lists it.
type Contents = (GroupingKey, String, Vec<(Vec<LabelPair>, Value)>);

#[derive(Debug, Clone)]
enum Op {
    Push {
        path: &'static str,
        families: Vec<MetricFamily>,
        mode: PushMode,
    },
    Delete(&'static str),
}

const PATHS: [&str; 4] = ["job/a", "job/b", "job/a/instance/x", "job/a/instance/"];
const NAMES: [&str; 6] = ["m", "m_count", "m_sum", "m_bucket", "n", "own_g"];
const TYPES: [MetricType; 6] = [
    MetricType::Counter,
    MetricType::Gauge,
    MetricType::Summary,
    MetricType::Untyped,
    MetricType::Histogram,
    MetricType::GaugeHistogram,
];

fn value_of(kind: MetricType, v: f64) -> Value {
    match kind {
        MetricType::Counter => Value::Counter(Counter {
            value: v,
            ..Counter::default()
        }),
        MetricType::Gauge => Value::Gauge(v),
        MetricType::Untyped => Value::Untyped(v),
        MetricType::Summary => Value::Summary(Summary {
            count: 1,
            sum: v,
            ..Summary::default()
        }),
        MetricType::Histogram | MetricType::GaugeHistogram => {
            Value::Histogram(Box::new(Histogram {
                sum: v,
                ..Histogram::default()
            }))
        }
    }
}

fn metric_strategy(family_type: MetricType) -> impl Strategy<Value = Metric> {
    let labels = prop::collection::vec(
        (
            prop::sample::select(vec!["instance", "a", "job", "quantile"]),
            prop::sample::select(vec!["", "x", "1"]),
        ),
        0..3,
    );
    // Mostly values of the family's type, sometimes of another.
    let kind = prop_oneof![
        4 => Just(family_type),
        1 => prop::sample::select(TYPES.to_vec()),
    ];
    (labels, kind, 0..3u8).prop_map(|(labels, kind, v)| Metric {
        labels: labels
            .into_iter()
            .map(|(n, v)| LabelPair::new(n, v))
            .collect(),
        value: value_of(kind, f64::from(v)),
        timestamp_ms: None,
    })
}

fn family_strategy() -> impl Strategy<Value = MetricFamily> {
    (
        prop::sample::select(NAMES.to_vec()),
        prop::sample::select(TYPES.to_vec()),
        prop::option::of(prop::sample::select(vec!["h1", "h2"])),
    )
        .prop_flat_map(|(name, metric_type, help)| {
            prop::collection::vec(metric_strategy(metric_type), 0..3).prop_map(move |metrics| {
                MetricFamily {
                    name: name.to_owned(),
                    help: help.map(str::to_owned),
                    metric_type,
                    unit: None,
                    metrics,
                }
            })
        })
}

fn op_strategy() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (
            prop::sample::select(PATHS.to_vec()),
            prop::collection::vec(family_strategy(), 0..3),
            prop_oneof![Just(PushMode::Replace), Just(PushMode::Merge)],
        )
            .prop_map(|(path, families, mode)| Op::Push { path, families, mode }),
        1 => prop::sample::select(PATHS.to_vec()).prop_map(Op::Delete),
    ]
}

fn run(ops: Vec<Op>, consistency_check: bool) {
    let mut store = Store::new(StoreOptions {
        consistency_check,
        own_families: vec![OwnFamily {
            name: "own_g".into(),
            metric_type: MetricType::Gauge,
            help: "h1".into(),
            help_policy: HelpPolicy::Require,
        }],
    });
    for (step, op) in ops.into_iter().enumerate() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(step as u64 + 1);
        match op {
            Op::Push {
                path,
                families,
                mode,
            } => {
                let key = GroupingKey::from_path(path).expect("valid path");
                let before = store.contents();
                if store.push(key, families, mode, now).is_err() {
                    assert_eq!(store.contents(), before, "a rejected push changed families");
                }
            }
            Op::Delete(path) => {
                store.delete(&GroupingKey::from_path(path).expect("valid path"));
            }
        }
        store.assert_invariants();
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn checked_store_matches_recomputation(ops in prop::collection::vec(op_strategy(), 1..12)) {
        run(ops, true);
    }

    #[test]
    fn unchecked_store_matches_recomputation(ops in prop::collection::vec(op_strategy(), 1..12)) {
        run(ops, false);
    }
}

/// The index of a store as comparable lines: per name, each label set with its occurrences'
/// group, position and text, in exposition order.
fn index_listing(store: &Store) -> Vec<String> {
    store
        .names
        .iter()
        .flat_map(|(name, entry)| {
            entry.series.iter().map(move |(labels, occurrences)| {
                let occurrences: Vec<String> = occurrences
                    .iter()
                    .map(|o| {
                        let text = String::from_utf8_lossy(&o.text);
                        format!("{} #{} {text:?}", o.group, o.index)
                    })
                    .collect();
                format!("{name} {:?}: {occurrences:?}", labels.labels())
            })
        })
        .collect()
}

/// A re-push updates the index in place when its label sets are those of the previous push, in
/// the same order, and falls back to re-indexing otherwise: either way the store ends up as a
/// fresh one that only saw the final pushes.
#[test]
fn re_push_matches_a_fresh_store() {
    const FIRST: &str = "m{a=\"1\"} 1\nm{a=\"2\"} 2\nm{a=\"3\"} 3\nn 1\n";
    // (case, consistency check, second push into job/a)
    let cases = [
        (
            "same label sets, same order",
            true,
            "m{a=\"1\"} 4\nm{a=\"2\"} 5\nm{a=\"3\"} 6\nn 2\n",
        ),
        (
            "reordered",
            true,
            "m{a=\"3\"} 4\nm{a=\"1\"} 5\nm{a=\"2\"} 6\nn 2\n",
        ),
        (
            "one added",
            true,
            "m{a=\"1\"} 4\nm{a=\"2\"} 5\nm{a=\"3\"} 6\nm{a=\"4\"} 7\n",
        ),
        ("one removed", true, "m{a=\"1\"} 4\nm{a=\"3\"} 6\nn 2\n"),
        (
            "one changed",
            true,
            "m{a=\"1\"} 4\nm{a=\"9\"} 5\nm{a=\"3\"} 6\nn 2\n",
        ),
        (
            "same, check off",
            false,
            "m{a=\"1\"} 4\nm{a=\"2\"} 5\nm{a=\"3\"} 6\nn 2\n",
        ),
        (
            "reordered, check off",
            false,
            "m{a=\"2\"} 4\nm{a=\"1\"} 5\nm{a=\"3\"} 6\nn 2\n",
        ),
        (
            "duplicates, check off",
            false,
            "m{a=\"1\"} 4\nm{a=\"1\"} 5\nm{a=\"3\"} 6\n",
        ),
    ];
    // With the check off, group c holds the same label sets as a (`instance=""` is implied).
    let [a, b, c] = ["job/a", "job/b", "job/a/instance/"]
        .map(|path| GroupingKey::from_path(path).expect("valid path"));
    let at = |seconds| SystemTime::UNIX_EPOCH + Duration::from_secs(seconds);
    let parse = |text: &str| crate::text::parse(text.as_bytes()).expect("valid exposition");
    for (case, consistency_check, second) in cases {
        let options = || StoreOptions {
            consistency_check,
            ..StoreOptions::default()
        };
        let mut replaced = Store::new(options());
        let mut fresh = Store::new(options());
        let others = if consistency_check {
            &[&b][..]
        } else {
            &[&b, &c][..]
        };
        for (store, first_pushes) in [
            (&mut replaced, [&[&a][..], others].concat()),
            (&mut fresh, others.to_vec()),
        ] {
            for key in first_pushes {
                let pushed = store.push((*key).clone(), parse(FIRST), PushMode::Replace, at(1));
                assert!(pushed.is_ok(), "{case}: first push");
            }
            let pushed = store.push(a.clone(), parse(second), PushMode::Replace, at(2));
            assert!(pushed.is_ok(), "{case}: second push");
            store.assert_invariants();
        }
        assert_eq!(index_listing(&replaced), index_listing(&fresh), "{case}");
        assert_eq!(replaced.series_count(), fresh.series_count(), "{case}");
        if consistency_check {
            let text = |store: &mut Store| store.exposition().expect("consistent").text().clone();
            assert_eq!(text(&mut replaced), text(&mut fresh), "{case}");
        }
    }
}
