//! The store: groups of metric families with the reference Pushgateway's push semantics.
//!
//! A *group* is named by a [`GroupingKey`] and holds metric families by name. Pushes replace a
//! group's families ([`PushMode::Replace`], HTTP `PUT`) or same-named families
//! ([`PushMode::Merge`], `POST`), sanitise labels (spec §3.4), maintain `push_time_seconds` and
//! `push_failure_time_seconds` (§3.5), reject timestamps and, unless disabled, anything the
//! reference's consistency check would reject (§3.6), with the reference's messages. A rejected
//! push changes nothing but the group's failure timestamp.
//!
//! The store deliberately knows nothing of HTTP, threads or the clock: time is a parameter and
//! writes take `&mut self`. A server wraps it in a mutex: a write locks, pushes and unlocks; a
//! scrape locks, takes [`Store::exposition`] (an `Arc` clone unless the store changed, else the
//! re-rendering of what changed) and unlocks, then renders from the [`Exposition`] snapshot
//! without the lock, merging in its own families with [`Exposition::chunks_with`].
//!
//! # Cost
//!
//! With `p` the number of series in a push, `r` the number of series it replaces or deletes, `n`
//! the number of family names and `s` the number of series of one name across all groups:
//!
//! * push: O((p + r) · log s) when the touched names are consistent before and after and keep
//!   their merged type, which is the normal case (groups and holders are found by hashing, so the
//!   number of groups only enters through the ordered sets a new group joins); the reference
//!   re-gathers the whole store instead. A push that changes the merged type of a name, or
//!   touches a name that is already inconsistent (only possible with the check disabled),
//!   re-checks that name: O(s).
//! * delete: the same, with `p = 0`.
//! * exposition: O(1) if nothing changed since the last one; otherwise O(n) plus the re-rendering
//!   of the names written since, O(s) each, by copying their pre-rendered lines. The whole text
//!   is concatenated once per snapshot, when first read.
//!
//! # Deliberate differences from the reference (spec §17)
//!
//! * Groups are gathered in grouping-key order, so HELP winners and error order are
//!   deterministic (Q1); family names are gathered in byte order.
//! * Pushed `push_time_seconds` and `push_failure_time_seconds` families are ignored (Q3).
//! * Metric names are validated like the text format's (Q5, Q6).
//! * A rejected push creates no group if the group's own timestamp series would collide with
//!   existing series (e.g. pushing to `{job="x",instance=""}` next to `{job="x"}`); the reference
//!   creates it and then fails every scrape and push until it is deleted, as with Q7.
//! * A gauge-histogram family must hold histogram values (the reference does not check and then
//!   fails mid-scrape).
//! * The gateway's own families are declared up front ([`StoreOptions::own_families`]), whether
//!   or not they have series yet; duplicates between own and pushed series are not checked (own
//!   series never carry a `job` label).
//!
//! ```
//! use pushgw_core::grouping::GroupingKey;
//! use pushgw_core::store::{PushMode, Store};
//! use std::time::{Duration, SystemTime};
//!
//! let mut store = Store::default();
//! let key = GroupingKey::from_path("job/batch").unwrap();
//! let families = pushgw_core::text::parse(b"# TYPE done gauge\ndone 1\n").unwrap();
//! let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
//! store.push(key, families, PushMode::Replace, now).unwrap();
//!
//! let text = store.exposition().unwrap().text().clone();
//! assert_eq!(
//!     std::str::from_utf8(&text).unwrap().lines().collect::<Vec<_>>(),
//!     [
//!         "# TYPE done gauge",
//!         "done{instance=\"\",job=\"batch\"} 1",
//!         "# HELP push_failure_time_seconds Last Unix time when changing this group in the Pushgateway failed.",
//!         "# TYPE push_failure_time_seconds gauge",
//!         "push_failure_time_seconds{instance=\"\",job=\"batch\"} 0",
//!         "# HELP push_time_seconds Last Unix time when changing this group in the Pushgateway succeeded.",
//!         "# TYPE push_time_seconds gauge",
//!         "push_time_seconds{instance=\"\",job=\"batch\"} 1.7e+09",
//!     ],
//! );
//! ```

mod consistency;
mod exposition;
mod index;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;

pub use consistency::{
    ConsistencyError, ConsistencyErrors, is_valid_label_name, is_valid_metric_name,
};
pub use exposition::Exposition;

use crate::grouping::GroupingKey;
use crate::model::{LabelPair, Metric, MetricFamily, MetricType, Value};
use consistency::{dump_metric, kind_matches, label_error, strip_magic_suffix};
use exposition::{Block, Chunk, LineRenderer, render_header};
use index::{NameIndex, SeriesLabels, Status};

/// The name of the gauge holding the time of a group's last successful push.
///
/// ```
/// assert_eq!(pushgw_core::store::PUSH_TIME_NAME, "push_time_seconds");
/// ```
pub const PUSH_TIME_NAME: &str = "push_time_seconds";
/// The HELP of [`PUSH_TIME_NAME`].
///
/// ```
/// assert!(pushgw_core::store::PUSH_TIME_HELP.ends_with("succeeded."));
/// ```
pub const PUSH_TIME_HELP: &str =
    "Last Unix time when changing this group in the Pushgateway succeeded.";
/// The name of the gauge holding the time of a group's last failed push.
///
/// ```
/// assert_eq!(pushgw_core::store::PUSH_FAILURE_TIME_NAME, "push_failure_time_seconds");
/// ```
pub const PUSH_FAILURE_TIME_NAME: &str = "push_failure_time_seconds";
/// The HELP of [`PUSH_FAILURE_TIME_NAME`].
///
/// ```
/// assert!(pushgw_core::store::PUSH_FAILURE_TIME_HELP.ends_with("failed."));
/// ```
pub const PUSH_FAILURE_TIME_HELP: &str =
    "Last Unix time when changing this group in the Pushgateway failed.";

/// How a push treats the group's existing families.
///
/// ```
/// use pushgw_core::store::PushMode;
/// assert_ne!(PushMode::Replace, PushMode::Merge);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushMode {
    /// HTTP `PUT`: the pushed families replace all of the group's families (except its
    /// timestamp families).
    Replace,
    /// HTTP `POST`: the pushed families replace the group's families of the same names.
    Merge,
}

/// What the store needs to know of a gateway's own metric family (spec §4.1, §4.3): pushed
/// families of the same name are checked against it and merged into it.
///
/// ```
/// use pushgw_core::store::{HelpPolicy, OwnFamily};
/// use pushgw_core::MetricType;
///
/// let family = OwnFamily {
///     name: "process_open_fds".into(),
///     metric_type: MetricType::Gauge,
///     help: "Number of open file descriptors.".into(),
///     help_policy: HelpPolicy::Override,
/// };
/// assert_eq!(family.help_policy, HelpPolicy::Override);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnFamily {
    /// The family name.
    pub name: String,
    /// Its type: pushed families of this name must have it.
    pub metric_type: MetricType,
    /// Its HELP.
    pub help: String,
    /// What happens to a pushed family of this name with another HELP.
    pub help_policy: HelpPolicy,
}

/// What happens to a pushed family whose HELP differs from the gateway's own family's.
///
/// ```
/// use pushgw_core::store::HelpPolicy;
/// assert_ne!(HelpPolicy::Override, HelpPolicy::Require);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HelpPolicy {
    /// The pushed HELP is replaced by the gateway's, as the reference does for families it
    /// gathered at start-up (`go_*`, `process_*`, `pushgateway_build_info`).
    Override,
    /// The push is inconsistent (`has help … but should have …`), as the reference treats its
    /// HTTP metric vectors, which have no series at start-up.
    Require,
}

/// Options of a [`Store`].
///
/// ```
/// use pushgw_core::store::StoreOptions;
/// let options = StoreOptions::default();
/// assert!(options.consistency_check);
/// assert!(options.own_families.is_empty());
/// ```
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Reject pushes that would make the store inconsistent (the reference's default; off with
    /// `--push.disable-consistency-check`). Timestamps are rejected either way.
    pub consistency_check: bool,
    /// The gateway's own families, which pushes are checked against.
    pub own_families: Vec<OwnFamily>,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            consistency_check: true,
            own_families: Vec::new(),
        }
    }
}

/// Why a push was rejected. Each variant displays as the reference's `400` body.
///
/// ```
/// use pushgw_core::store::PushError;
/// assert_eq!(
///     PushError::Timestamps.to_string(),
///     "pushed metrics are invalid or inconsistent with existing metrics: pushed metrics must not have timestamps",
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PushError {
    /// A pushed sample carries a timestamp.
    #[error(
        "pushed metrics are invalid or inconsistent with existing metrics: pushed metrics must not have timestamps"
    )]
    Timestamps,
    /// A pushed family's name is not a valid metric name (protobuf only: the text parser rejects
    /// these itself).
    #[error(
        "pushed metrics are invalid or inconsistent with existing metrics: invalid metric name {0:?}"
    )]
    InvalidMetricName(String),
    /// The store would be inconsistent after the push.
    #[error("pushed metrics are invalid or inconsistent with existing metrics: {0}")]
    Inconsistent(ConsistencyErrors),
}

/// A group: the families pushed under one grouping key.
///
/// ```
/// use pushgw_core::grouping::GroupingKey;
/// use pushgw_core::store::{PushMode, Store};
/// use std::time::SystemTime;
///
/// let mut store = Store::default();
/// let key = GroupingKey::from_path("job/j").unwrap();
/// store.push(key.clone(), Vec::new(), PushMode::Merge, SystemTime::UNIX_EPOCH).unwrap();
/// let group = store.group(&key).unwrap();
/// assert_eq!(group.key(), &key);
/// let names: Vec<&str> = group.families().map(|f| f.name()).collect();
/// assert_eq!(names, ["push_failure_time_seconds", "push_time_seconds"]);
/// assert!(group.last_push_successful());
/// ```
#[derive(Debug, Clone)]
pub struct Group {
    key: Arc<GroupingKey>,
    families: BTreeMap<String, StoredFamily>,
}

impl Group {
    /// The grouping key.
    ///
    /// See [`Group`] for an example.
    pub fn key(&self) -> &GroupingKey {
        &self.key
    }

    /// The families, sorted by name, including the two timestamp families.
    ///
    /// See [`Group`] for an example.
    pub fn families(&self) -> impl Iterator<Item = &StoredFamily> {
        self.families.values()
    }

    /// The family called `name`, if the group has one.
    ///
    /// ```
    /// use pushgw_core::grouping::GroupingKey;
    /// use pushgw_core::store::{PushMode, Store};
    /// use std::time::SystemTime;
    ///
    /// let mut store = Store::default();
    /// let key = GroupingKey::from_path("job/j").unwrap();
    /// store.push(key.clone(), Vec::new(), PushMode::Merge, SystemTime::UNIX_EPOCH).unwrap();
    /// assert!(store.group(&key).unwrap().family("push_time_seconds").is_some());
    /// ```
    pub fn family(&self, name: &str) -> Option<&StoredFamily> {
        self.families.get(name)
    }

    /// Whether the last push succeeded: the failure time is not after the success time, or one
    /// of them is missing (the UI badge and the API's `last_push_successful`, spec §3.5).
    ///
    /// See [`Group`] for an example.
    pub fn last_push_successful(&self) -> bool {
        let gauge = |name: &str| {
            self.families
                .get(name)
                .and_then(|f| f.metrics.first())
                .and_then(|m| match m.value {
                    Value::Gauge(v) => Some(v),
                    _ => None,
                })
        };
        match (gauge(PUSH_FAILURE_TIME_NAME), gauge(PUSH_TIME_NAME)) {
            (Some(failure), Some(success)) => failure <= success,
            _ => true,
        }
    }
}

/// A family as stored in a group: sanitised labels, the time of the push that stored it.
///
/// ```
/// use pushgw_core::grouping::GroupingKey;
/// use pushgw_core::store::{PushMode, Store};
/// use pushgw_core::MetricType;
/// use std::time::SystemTime;
///
/// let mut store = Store::default();
/// let key = GroupingKey::from_path("job/j").unwrap();
/// let families = pushgw_core::text::parse(b"# HELP m Some help.\nm{job=\"x\"} 1\n").unwrap();
/// store.push(key.clone(), families, PushMode::Merge, SystemTime::UNIX_EPOCH).unwrap();
/// let family = store.group(&key).unwrap().family("m").unwrap();
/// assert_eq!(family.name(), "m");
/// assert_eq!(family.help(), Some("Some help."));
/// assert_eq!(family.metric_type(), MetricType::Untyped);
/// assert_eq!(family.last_push(), SystemTime::UNIX_EPOCH);
/// let labels: Vec<(&str, &str)> =
///     family.metrics()[0].labels().iter().map(|p| (&*p.name, &*p.value)).collect();
/// assert_eq!(labels, [("instance", ""), ("job", "j")]);
/// ```
#[derive(Debug, Clone)]
pub struct StoredFamily {
    name: String,
    help: Option<Arc<str>>,
    metric_type: MetricType,
    unit: Option<String>,
    metrics: Vec<StoredMetric>,
    last_push: SystemTime,
}

impl StoredFamily {
    /// The family name.
    ///
    /// See [`StoredFamily`] for an example.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The HELP text as pushed (the exposition may show another one, spec §4.3).
    ///
    /// See [`StoredFamily`] for an example.
    pub fn help(&self) -> Option<&str> {
        self.help.as_deref()
    }

    /// The type as pushed.
    ///
    /// See [`StoredFamily`] for an example.
    pub fn metric_type(&self) -> MetricType {
        self.metric_type
    }

    /// The unit as pushed (protobuf only).
    ///
    /// ```
    /// use pushgw_core::grouping::GroupingKey;
    /// use pushgw_core::store::{PushMode, Store};
    /// use std::time::SystemTime;
    ///
    /// let mut store = Store::default();
    /// let key = GroupingKey::from_path("job/j").unwrap();
    /// store.push(key.clone(), Vec::new(), PushMode::Merge, SystemTime::UNIX_EPOCH).unwrap();
    /// assert_eq!(store.group(&key).unwrap().family("push_time_seconds").unwrap().unit(), None);
    /// ```
    pub fn unit(&self) -> Option<&str> {
        self.unit.as_deref()
    }

    /// The metrics, in the order pushed.
    ///
    /// See [`StoredFamily`] for an example.
    pub fn metrics(&self) -> &[StoredMetric] {
        &self.metrics
    }

    /// When the push that stored this family was received.
    ///
    /// See [`StoredFamily`] for an example.
    pub fn last_push(&self) -> SystemTime {
        self.last_push
    }

    /// The family as a model value, e.g. for persistence or protobuf exposition.
    ///
    /// ```
    /// use pushgw_core::grouping::GroupingKey;
    /// use pushgw_core::store::{PushMode, Store};
    /// use std::time::SystemTime;
    ///
    /// let mut store = Store::default();
    /// let key = GroupingKey::from_path("job/j").unwrap();
    /// store.push(key.clone(), Vec::new(), PushMode::Merge, SystemTime::UNIX_EPOCH).unwrap();
    /// let family = store.group(&key).unwrap().family("push_time_seconds").unwrap();
    /// assert_eq!(family.to_metric_family().metrics.len(), 1);
    /// ```
    pub fn to_metric_family(&self) -> MetricFamily {
        MetricFamily {
            name: self.name.clone(),
            help: self.help.as_deref().map(str::to_owned),
            metric_type: self.metric_type,
            unit: self.unit.clone(),
            metrics: self
                .metrics
                .iter()
                .map(|m| Metric {
                    labels: m.labels.to_vec(),
                    value: m.value.clone(),
                    timestamp_ms: None,
                })
                .collect(),
        }
    }
}

/// A metric as stored: sanitised labels (sorted by name), the value, its pre-rendered text.
///
/// See [`StoredFamily`] for an example.
#[derive(Debug, Clone)]
pub struct StoredMetric {
    labels: Arc<[LabelPair]>,
    value: Value,
    text: Arc<[u8]>,
}

impl StoredMetric {
    /// The labels, sorted by name, including the grouping labels and `instance`.
    ///
    /// See [`StoredFamily`] for an example.
    pub fn labels(&self) -> &[LabelPair] {
        &self.labels
    }

    /// The value.
    ///
    /// ```
    /// use pushgw_core::grouping::GroupingKey;
    /// use pushgw_core::store::{PushMode, Store};
    /// use pushgw_core::Value;
    /// use std::time::SystemTime;
    ///
    /// let mut store = Store::default();
    /// let key = GroupingKey::from_path("job/j").unwrap();
    /// store.push(key.clone(), Vec::new(), PushMode::Merge, SystemTime::UNIX_EPOCH).unwrap();
    /// let family = store.group(&key).unwrap().family("push_failure_time_seconds").unwrap();
    /// assert_eq!(family.metrics()[0].value(), &Value::Gauge(0.0));
    /// ```
    pub fn value(&self) -> &Value {
        &self.value
    }
}

/// The store. See the [module documentation](self) for semantics and cost.
///
/// ```
/// use pushgw_core::store::{Store, StoreOptions};
/// let store = Store::new(StoreOptions { consistency_check: false, ..StoreOptions::default() });
/// assert_eq!(store.groups().count(), 0);
/// ```
#[derive(Debug)]
pub struct Store {
    consistency_check: bool,
    own: HashMap<String, OwnFamily>,
    /// The groups by key, hashed: a write looks its group up many times.
    groups: HashMap<Arc<GroupingKey>, Group>,
    /// The keys in grouping-key order, for reads in order.
    order: BTreeSet<Arc<GroupingKey>>,
    names: BTreeMap<String, NameIndex>,
    /// The names whose cached errors are not empty: the store is consistent iff this is empty.
    inconsistent: BTreeSet<String>,
    /// Bumped by every write that changed something.
    generation: u64,
    /// Series of all groups, without the timestamp families: what the gateway's
    /// series limit counts.
    series_count: usize,
    /// The last exposition built, with the generation it was built at.
    exposition: Option<(u64, Exposition)>,
}

/// What a write changed, so that a rejected push can be undone exactly.
#[derive(Default)]
struct Undo {
    /// Each family slot written, with its previous content, in order.
    families: Vec<(Arc<GroupingKey>, String, Option<StoredFamily>)>,
    /// The group the write created, if any.
    created_group: Option<Arc<GroupingKey>>,
    /// Each name whose cached verdict was updated, with the previous verdict.
    verdicts: Vec<(String, Status, Vec<ConsistencyError>)>,
}

impl Default for Store {
    /// An empty store with [`StoreOptions::default`].
    fn default() -> Self {
        Store::new(StoreOptions::default())
    }
}

impl Store {
    /// An empty store.
    ///
    /// ```
    /// use pushgw_core::store::{Store, StoreOptions};
    /// let store = Store::new(StoreOptions::default());
    /// assert_eq!(store.generation(), 0);
    /// ```
    pub fn new(options: StoreOptions) -> Store {
        Store {
            consistency_check: options.consistency_check,
            own: options
                .own_families
                .into_iter()
                .map(|family| (family.name.clone(), family))
                .collect(),
            groups: HashMap::new(),
            order: BTreeSet::new(),
            names: BTreeMap::new(),
            inconsistent: BTreeSet::new(),
            generation: 0,
            series_count: 0,
            exposition: None,
        }
    }

    /// Applies a push received at `now` to group `key` (spec §3.5, §3.6).
    ///
    /// On success the group's families are replaced as `mode` says and `push_time_seconds` is set
    /// to `now`. On rejection (timestamps, invalid names, or, with the consistency check on, any
    /// inconsistency the push would leave in the store) the families stay as they were, but the
    /// group is created if absent, `push_failure_time_seconds` is set to `now` and
    /// `push_time_seconds` to 0 if it has none. With the check off, an inconsistent push is stored
    /// and makes [`Store::exposition`] fail until it is gone.
    ///
    /// Pushed families named `push_time_seconds` or `push_failure_time_seconds` are ignored; of
    /// several pushed families with one name, the last one counts.
    ///
    /// Cost: O((p + r) · log s) for `p` pushed and `r` replaced series, `s` series per name,
    /// unless the push changes a name's merged type or touches an inconsistent name, which
    /// re-checks that name in O(s). It never depends on the number of groups or names otherwise.
    ///
    /// ```
    /// use pushgw_core::grouping::GroupingKey;
    /// use pushgw_core::store::{PushMode, Store};
    /// use std::time::SystemTime;
    ///
    /// let mut store = Store::default();
    /// let key = GroupingKey::from_path("job/j").unwrap();
    /// let families = pushgw_core::text::parse(b"dup 1\ndup 2\n").unwrap();
    /// let error = store.push(key, families, PushMode::Replace, SystemTime::UNIX_EPOCH).unwrap_err();
    /// assert!(error.to_string().ends_with("was collected before with the same name and label values"));
    /// ```
    pub fn push(
        &mut self,
        key: GroupingKey,
        families: Vec<MetricFamily>,
        mode: PushMode,
        now: SystemTime,
    ) -> Result<(), PushError> {
        let key = self.shared_key(key);
        if families
            .iter()
            .any(|f| f.metrics.iter().any(|m| m.timestamp_ms.is_some()))
        {
            self.stamp_failure(&key, now);
            return Err(PushError::Timestamps);
        }
        if let Some(family) = families.iter().find(|f| !is_valid_metric_name(&f.name)) {
            let name = family.name.clone();
            self.stamp_failure(&key, now);
            return Err(PushError::InvalidMetricName(name));
        }
        let mut pushed = BTreeMap::new();
        for family in families {
            if family.name != PUSH_TIME_NAME && family.name != PUSH_FAILURE_TIME_NAME {
                pushed.insert(family.name.clone(), store_family(family, &key, now));
            }
        }

        let mut undo = Undo::default();
        self.ensure_group(&key, &mut undo);
        if mode == PushMode::Replace {
            let stale: Vec<String> = self.groups[&key]
                .families
                .keys()
                .filter(|name| {
                    *name != PUSH_TIME_NAME
                        && *name != PUSH_FAILURE_TIME_NAME
                        && !pushed.contains_key(*name)
                })
                .cloned()
                .collect();
            for name in stale {
                self.set_family(&key, &name, None, &mut undo);
            }
        }
        for (name, family) in pushed {
            self.set_family(&key, &name, Some(family), &mut undo);
        }
        self.stamp_success(&key, now, &mut undo);
        self.reevaluate(&key, &mut undo);

        if self.consistency_check && !self.inconsistent.is_empty() {
            let errors = self.errors();
            self.rollback(undo);
            self.stamp_failure(&key, now);
            return Err(PushError::Inconsistent(errors));
        }
        self.commit(&undo);
        Ok(())
    }

    /// Deletes group `key` with all its families; a no-op if there is no such group.
    ///
    /// Cost: O(r · log s) for the `r` series of the group (plus O(s) for a name whose merged type
    /// changes because its first group goes away).
    ///
    /// ```
    /// use pushgw_core::grouping::GroupingKey;
    /// use pushgw_core::store::{PushMode, Store};
    /// use std::time::SystemTime;
    ///
    /// let mut store = Store::default();
    /// let key = GroupingKey::from_path("job/j").unwrap();
    /// store.push(key.clone(), Vec::new(), PushMode::Merge, SystemTime::UNIX_EPOCH).unwrap();
    /// store.delete(&key);
    /// assert!(store.group(&key).is_none());
    /// ```
    pub fn delete(&mut self, key: &GroupingKey) {
        let Some((key, group)) = self.groups.get_key_value(key) else {
            return;
        };
        let key = Arc::clone(key);
        let names: Vec<String> = group.families.keys().cloned().collect();
        let mut undo = Undo::default();
        for name in names {
            self.set_family(&key, &name, None, &mut undo);
        }
        self.groups.remove(&key);
        self.order.remove(&key);
        self.reevaluate(&key, &mut undo);
        self.commit(&undo);
    }

    /// Puts back a group as it was persisted: the families verbatim with the times they were
    /// pushed, timestamp families included, replacing any group of that key. Nothing is checked
    /// or sanitised, as the reference restores its persistence file; an inconsistent file makes
    /// scrapes fail as it does there. Labels are only sorted by name, which pushed labels are.
    ///
    /// Cost: as a push of the same size.
    ///
    /// ```
    /// use pushgw_core::grouping::GroupingKey;
    /// use pushgw_core::store::{PushMode, Store};
    /// use std::time::{Duration, SystemTime};
    ///
    /// let mut store = Store::default();
    /// let key = GroupingKey::from_path("job/j").unwrap();
    /// let pushed_at = SystemTime::UNIX_EPOCH + Duration::from_secs(5);
    /// let families = pushgw_core::text::parse(b"m 1\n").unwrap();
    /// store.push(key.clone(), families, PushMode::Replace, pushed_at).unwrap();
    ///
    /// // Persist, then restore into a new store.
    /// let saved: Vec<_> = store.group(&key).unwrap().families()
    ///     .map(|f| (f.to_metric_family(), f.last_push()))
    ///     .collect();
    /// let mut restored = Store::default();
    /// restored.restore(key, saved);
    /// assert_eq!(restored.exposition().unwrap().text(), store.exposition().unwrap().text());
    /// ```
    pub fn restore(&mut self, key: GroupingKey, families: Vec<(MetricFamily, SystemTime)>) {
        self.delete(&key);
        let key = Arc::new(key);
        let mut undo = Undo::default();
        self.ensure_group(&key, &mut undo);
        for (mut family, pushed_at) in families {
            for metric in &mut family.metrics {
                metric.labels.sort_by(|a, b| a.name.cmp(&b.name));
                metric.timestamp_ms = None;
            }
            let name = family.name.clone();
            let family = stored_family(family, pushed_at);
            self.set_family(&key, &name, Some(family), &mut undo);
        }
        self.reevaluate(&key, &mut undo);
        self.commit(&undo);
    }

    /// Deletes every group (the admin API's wipe). O(size of the store), for freeing it.
    ///
    /// ```
    /// use pushgw_core::grouping::GroupingKey;
    /// use pushgw_core::store::{PushMode, Store};
    /// use std::time::SystemTime;
    ///
    /// let mut store = Store::default();
    /// let key = GroupingKey::from_path("job/j").unwrap();
    /// store.push(key, Vec::new(), PushMode::Merge, SystemTime::UNIX_EPOCH).unwrap();
    /// store.wipe();
    /// assert_eq!(store.groups().count(), 0);
    /// ```
    pub fn wipe(&mut self) {
        self.groups.clear();
        self.order.clear();
        self.names.clear();
        self.inconsistent.clear();
        self.series_count = 0;
        self.generation += 1;
    }

    /// The groups, sorted by grouping key.
    ///
    /// See [`Group`] for an example.
    pub fn groups(&self) -> impl Iterator<Item = &Group> {
        self.order.iter().map(|key| &self.groups[key])
    }

    /// The group named `key`, if any.
    ///
    /// See [`Group`] for an example.
    pub fn group(&self, key: &GroupingKey) -> Option<&Group> {
        self.groups.get(key)
    }

    /// The number of groups. O(1).
    ///
    /// ```
    /// assert_eq!(pushgw_core::store::Store::default().group_count(), 0);
    /// ```
    pub fn group_count(&self) -> usize {
        self.groups.len()
    }

    /// The number of series in all groups, not counting the gateway's `push_time_seconds` and
    /// `push_failure_time_seconds`. O(1).
    ///
    /// ```
    /// use pushgw_core::grouping::GroupingKey;
    /// use pushgw_core::store::{PushMode, Store};
    /// use std::time::SystemTime;
    ///
    /// let mut store = Store::default();
    /// let key = GroupingKey::from_path("job/j").unwrap();
    /// let families = pushgw_core::text::parse(b"a 1\nb{x=\"1\"} 2\nb{x=\"2\"} 3\n").unwrap();
    /// store.push(key, families, PushMode::Replace, SystemTime::UNIX_EPOCH).unwrap();
    /// assert_eq!(store.series_count(), 3);
    /// ```
    pub fn series_count(&self) -> usize {
        self.series_count
    }

    /// A counter bumped by every write that changed the store: equal generations, equal
    /// contents.
    ///
    /// ```
    /// use pushgw_core::grouping::GroupingKey;
    /// use pushgw_core::store::{PushMode, Store};
    /// use std::time::SystemTime;
    ///
    /// let mut store = Store::default();
    /// let before = store.generation();
    /// let key = GroupingKey::from_path("job/j").unwrap();
    /// store.push(key, Vec::new(), PushMode::Merge, SystemTime::UNIX_EPOCH).unwrap();
    /// assert!(store.generation() > before);
    /// ```
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Makes this store's generation newer than `previous`'s, for a store that replaces
    /// `previous` (a restore): whoever compared generations sees a change.
    pub(crate) fn follow(&mut self, previous: &Store) {
        self.generation = self.generation.max(previous.generation) + 1;
    }

    /// The errors a scrape of the store would report (spec §4.4), if any: only possible with the
    /// consistency check off.
    ///
    /// ```
    /// assert!(pushgw_core::store::Store::default().check().is_ok());
    /// ```
    pub fn check(&self) -> Result<(), ConsistencyErrors> {
        if self.inconsistent.is_empty() {
            Ok(())
        } else {
            Err(self.errors())
        }
    }

    /// The text exposition of all stored families, or the errors that make a scrape fail (spec
    /// §4.4: the gateway answers `500`).
    ///
    /// Cost: O(1) (an `Arc` clone) when nothing changed since the last call; otherwise O(n) for
    /// `n` names plus O(s) for each name written since, whose block is re-rendered from the
    /// pre-rendered lines. Errors are cached too: O(number of errors) to report them.
    ///
    /// See [`Exposition`] for an example.
    pub fn exposition(&mut self) -> Result<Exposition, ConsistencyErrors> {
        self.check()?;
        if let Some((generation, exposition)) = &self.exposition
            && *generation == self.generation
        {
            return Ok(exposition.clone());
        }
        let mut blocks = Vec::new();
        for (name, entry) in &mut self.names {
            if entry.series_count == 0 {
                continue;
            }
            let block = match &entry.block {
                Some(block) => Arc::clone(block),
                None => {
                    let block = Arc::new(build_block(name, entry, self.own.get(name)));
                    entry.block = Some(Arc::clone(&block));
                    block
                }
            };
            blocks.push(block);
        }
        let exposition = Exposition::from_blocks(blocks);
        self.exposition = Some((self.generation, exposition.clone()));
        Ok(exposition)
    }

    /// The stored families merged across groups as a scrape sees them (spec §4.2, §4.3):
    /// sorted by name, one family per name with the winning HELP and TYPE, samples in sample
    /// order, families without samples left out. For the exposition formats other than text
    /// (protobuf, OpenMetrics), which are not cached. O(series in the store).
    ///
    /// ```
    /// use pushgw_core::grouping::GroupingKey;
    /// use pushgw_core::store::{PushMode, Store};
    /// use std::time::SystemTime;
    ///
    /// let mut store = Store::default();
    /// for job in ["b", "a"] {
    ///     let key = GroupingKey::from_path(&format!("job/{job}")).unwrap();
    ///     let families = pushgw_core::text::parse(b"m 1\n").unwrap();
    ///     store.push(key, families, PushMode::Merge, SystemTime::UNIX_EPOCH).unwrap();
    /// }
    /// let families = store.gather().unwrap();
    /// let names: Vec<&str> = families.iter().map(|f| f.name.as_str()).collect();
    /// assert_eq!(names, ["m", "push_failure_time_seconds", "push_time_seconds"]);
    /// assert_eq!(families[0].metrics[0].label("job"), Some("a"));
    /// ```
    pub fn gather(&self) -> Result<Vec<MetricFamily>, ConsistencyErrors> {
        self.check()?;
        let mut families = Vec::new();
        for (name, entry) in &self.names {
            let Some(first) = entry.first_holder() else {
                continue;
            };
            if entry.series_count == 0 {
                continue;
            }
            let (help, metric_type) = match self.own.get(name) {
                Some(own) => (Some(own.help.clone()), own.metric_type),
                None => (first.help.as_deref().map(str::to_owned), first.metric_type),
            };
            let metrics = entry
                .series
                .iter()
                .flat_map(|(_, occurrences)| occurrences)
                .map(|occurrence| {
                    let metric =
                        &self.groups[&occurrence.group].families[name].metrics[occurrence.index];
                    Metric {
                        labels: metric.labels.to_vec(),
                        value: metric.value.clone(),
                        timestamp_ms: None,
                    }
                })
                .collect();
            families.push(MetricFamily {
                name: name.clone(),
                help,
                metric_type,
                unit: None,
                metrics,
            });
        }
        Ok(families)
    }

    /// The stored `Arc` of `key` if the group exists, so that all index entries share one.
    fn shared_key(&self, key: GroupingKey) -> Arc<GroupingKey> {
        match self.groups.get_key_value(&key) {
            Some((shared, _)) => Arc::clone(shared),
            None => Arc::new(key),
        }
    }

    /// Creates group `key` if absent.
    fn ensure_group(&mut self, key: &Arc<GroupingKey>, undo: &mut Undo) {
        if !self.groups.contains_key(key) {
            self.order.insert(Arc::clone(key));
            self.groups.insert(
                Arc::clone(key),
                Group {
                    key: Arc::clone(key),
                    families: BTreeMap::new(),
                },
            );
            undo.created_group = Some(Arc::clone(key));
        }
    }

    /// Sets (or removes) family `name` of the existing group `key`, keeping the index up to date
    /// and recording the previous content in `undo`.
    fn set_family(
        &mut self,
        key: &Arc<GroupingKey>,
        name: &str,
        family: Option<StoredFamily>,
        undo: &mut Undo,
    ) {
        let previous = self.replace_family(key, name, family);
        undo.families
            .push((Arc::clone(key), name.to_owned(), previous));
    }

    /// Sets (or removes) family `name` of group `key` and updates the index; returns the
    /// previous family.
    fn replace_family(
        &mut self,
        key: &Arc<GroupingKey>,
        name: &str,
        family: Option<StoredFamily>,
    ) -> Option<StoredFamily> {
        let group = self
            .groups
            .get_mut(key)
            .expect("families are only set in existing groups");
        let previous = match family {
            Some(family) => match group.families.get_mut(name) {
                Some(slot) => Some(std::mem::replace(slot, family)),
                None => {
                    group.families.insert(name.to_owned(), family);
                    None
                }
            },
            None => group.families.remove(name),
        };
        if name != PUSH_TIME_NAME && name != PUSH_FAILURE_TIME_NAME {
            let now = group.families.get(name).map_or(0, |f| f.metrics.len());
            let before = previous.as_ref().map_or(0, |f| f.metrics.len());
            self.series_count = self.series_count + now - before;
        }
        let entry = match self.names.get_mut(name) {
            Some(entry) => entry,
            None => self.names.entry(name.to_owned()).or_default(),
        };
        entry.replace(key, previous.as_ref(), group.families.get(name));
        previous
    }

    /// Recomputes the cached verdicts of the names a write to group `key` touched, and of the
    /// names whose verdict depends on them (`<name>_count` and friends, spec §3.6), in gathering
    /// order.
    fn reevaluate(&mut self, key: &Arc<GroupingKey>, undo: &mut Undo) {
        // Name → whether the write touched it (or it only depends on a touched name). Names are
        // processed in byte order: a name's verdict depends on its base name's, which sorts
        // before it.
        let mut work: BTreeMap<String, bool> = undo
            .families
            .iter()
            .map(|(_, name, _)| (name.clone(), true))
            .collect();
        while let Some((name, written)) = work.pop_first() {
            let Some(entry) = self.names.get(&name) else {
                continue;
            };
            let old_status = entry.status;
            let old_clean = entry.errors.is_empty();
            // Looked up once: hashing the name is a good part of the cost per name.
            let own_type = self.own.get(&name).map(|own| own.metric_type);
            let old_map_type = own_type.or(accepted_type(old_status));
            let (status, family_error) = self.family_status(&name);
            let errors = match (status, family_error) {
                (_, Some(error)) => vec![error],
                (Status::Accepted(metric_type), None) => {
                    let same_type = match old_status {
                        Status::Absent => true,
                        Status::Accepted(old) => old == metric_type,
                        Status::Skipped => false,
                    };
                    if written && old_clean && same_type {
                        self.metric_errors_of_group(&name, metric_type, key)
                    } else {
                        self.metric_errors(&name, metric_type)
                    }
                }
                _ => Vec::new(),
            };
            let entry = self
                .names
                .get_mut(&name)
                .expect("the entry was looked up above");
            let old_errors = std::mem::replace(&mut entry.errors, errors);
            entry.status = status;
            if entry.errors.is_empty() {
                self.inconsistent.remove(&name);
            } else {
                self.inconsistent.insert(name.clone());
            }
            undo.verdicts.push((name.clone(), old_status, old_errors));
            if own_type.or(accepted_type(status)) != old_map_type {
                for suffix in ["_count", "_sum", "_bucket"] {
                    let dependent = format!("{name}{suffix}");
                    if self.names.contains_key(&dependent) {
                        work.entry(dependent).or_insert(false);
                    }
                }
            }
        }
    }

    /// The family-level verdict for `name` in the current state (spec §3.6: `Gatherers.Gather`
    /// and `checkSuffixCollisions`), with the error if the family is skipped.
    fn family_status(&self, name: &str) -> (Status, Option<ConsistencyError>) {
        let Some(first) = self.names.get(name).and_then(NameIndex::first_holder) else {
            return (Status::Absent, None);
        };
        let merged_type = first.metric_type;
        if let Some(own) = self.own.get(name) {
            let help = match own.help_policy {
                HelpPolicy::Override => own.help.as_str(),
                HelpPolicy::Require => first.help.as_deref().unwrap_or(""),
            };
            let error = if help != own.help {
                ConsistencyError::HelpMismatch {
                    name: name.to_owned(),
                    help: help.to_owned(),
                    expected: own.help.clone(),
                }
            } else if merged_type != own.metric_type {
                ConsistencyError::TypeMismatch {
                    name: name.to_owned(),
                    found: merged_type,
                    expected: own.metric_type,
                }
            } else {
                return (Status::Accepted(own.metric_type), None);
            };
            return (Status::Skipped, Some(error));
        }
        if let Some(base) = strip_magic_suffix(name) {
            let error = match self.map_type(base) {
                Some(MetricType::Summary) if !name.ends_with("_bucket") => {
                    Some(ConsistencyError::CollidesWithSummary {
                        name: name.to_owned(),
                        base: base.to_owned(),
                    })
                }
                Some(MetricType::Histogram) => Some(ConsistencyError::CollidesWithHistogram {
                    name: name.to_owned(),
                    base: base.to_owned(),
                }),
                _ => None,
            };
            if error.is_some() {
                return (Status::Skipped, error);
            }
        }
        if matches!(merged_type, MetricType::Summary | MetricType::Histogram) {
            // Store names with these suffixes sort after `name`, so only own families can have
            // been gathered before it.
            for suffix in ["_count", "_sum"] {
                let other = format!("{name}{suffix}");
                if self.own.contains_key(&other) {
                    let error = ConsistencyError::SummaryOrHistogramCollides {
                        name: name.to_owned(),
                        other,
                    };
                    return (Status::Skipped, Some(error));
                }
            }
        }
        if merged_type == MetricType::Histogram {
            let other = format!("{name}_bucket");
            if self.own.contains_key(&other) {
                let error = ConsistencyError::HistogramCollides {
                    name: name.to_owned(),
                    other,
                };
                return (Status::Skipped, Some(error));
            }
        }
        (Status::Accepted(merged_type), None)
    }

    /// The type under which `name` is in the gathering's map of families, per the cached
    /// verdicts: the own family's, or the store family's if it was accepted.
    fn map_type(&self, name: &str) -> Option<MetricType> {
        if let Some(own) = self.own.get(name) {
            return Some(own.metric_type);
        }
        accepted_type(self.names.get(name)?.status)
    }

    /// All metric-level errors of the accepted family `name` of type `metric_type`: a full pass
    /// over its series in gathering order, O(series of the name).
    fn metric_errors(&self, name: &str, metric_type: MetricType) -> Vec<ConsistencyError> {
        let entry = &self.names[name];
        let mut seen: HashSet<&[LabelPair]> = HashSet::new();
        let mut errors = Vec::new();
        for key in &entry.holder_order {
            let family = &self.groups[key].families[name];
            for metric in &family.metrics {
                if let Some(error) = metric_error(name, metric_type, metric) {
                    errors.push(error);
                } else if !seen.insert(&metric.labels) {
                    errors.push(ConsistencyError::Duplicate {
                        name: name.to_owned(),
                        metric: dump_metric(&metric.labels, &metric.value),
                    });
                }
            }
        }
        errors
    }

    /// The metric-level errors of `name` when only group `key`'s family changed, the name was
    /// consistent before and its type stayed: only that family's metrics and the series they
    /// share label sets with can be in error. O(size of the family · log s).
    fn metric_errors_of_group(
        &self,
        name: &str,
        metric_type: MetricType,
        key: &Arc<GroupingKey>,
    ) -> Vec<ConsistencyError> {
        let Some(family) = self.groups.get(key).and_then(|g| g.families.get(name)) else {
            // Removing series from a consistent family keeps it consistent.
            return Vec::new();
        };
        let entry = &self.names[name];
        let passes = |metric: &StoredMetric| metric_error(name, metric_type, metric).is_none();
        let mut found: Vec<(&GroupingKey, usize, ConsistencyError)> = Vec::new();
        let mut done: HashSet<&[LabelPair]> = HashSet::new();
        for (index, metric) in family.metrics.iter().enumerate() {
            if let Some(error) = metric_error(name, metric_type, metric) {
                found.push((key, index, error));
                continue;
            }
            if !entry.series.has_shared() {
                // No label set is held twice: no duplicates to look for.
                continue;
            }
            let occurrences = entry
                .series
                .get(&SeriesLabels::new(Arc::clone(&metric.labels)))
                .expect("every stored metric is indexed");
            if occurrences.len() < 2 || !done.insert(&metric.labels) {
                continue;
            }
            // Other groups' occurrences passed before and still do (same type); of all passing
            // occurrences, every one after the first in gathering order is a duplicate.
            let passing = occurrences
                .iter()
                .filter(|o| &o.group != key || passes(&family.metrics[o.index]));
            for occurrence in passing.skip(1) {
                let metric =
                    &self.groups[&occurrence.group].families[name].metrics[occurrence.index];
                found.push((
                    &occurrence.group,
                    occurrence.index,
                    ConsistencyError::Duplicate {
                        name: name.to_owned(),
                        metric: dump_metric(&metric.labels, &metric.value),
                    },
                ));
            }
        }
        found.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        found.into_iter().map(|(_, _, error)| error).collect()
    }

    /// All errors of the store, in gathering order.
    fn errors(&self) -> ConsistencyErrors {
        ConsistencyErrors::from(
            self.inconsistent
                .iter()
                .flat_map(|name| self.names[name].errors.iter().cloned())
                .collect::<Vec<_>>(),
        )
    }

    /// Undoes a write: families, created group and cached verdicts.
    fn rollback(&mut self, undo: Undo) {
        for (key, name, previous) in undo.families.into_iter().rev() {
            self.replace_family(&key, &name, previous);
        }
        for (name, status, errors) in undo.verdicts.into_iter().rev() {
            if errors.is_empty() {
                self.inconsistent.remove(&name);
            } else {
                self.inconsistent.insert(name.clone());
            }
            let entry = self.names.entry(name.clone()).or_default();
            entry.status = status;
            entry.errors = errors;
            if entry.is_unused() {
                self.names.remove(&name);
            }
        }
        if let Some(key) = undo.created_group {
            self.groups.remove(&key);
            self.order.remove(&key);
        }
    }

    /// Finishes a write: drops unused index entries, bumps the generation.
    fn commit(&mut self, undo: &Undo) {
        for (_, name, _) in &undo.families {
            if self.names.get(name).is_some_and(NameIndex::is_unused) {
                self.names.remove(name);
            }
        }
        if !undo.families.is_empty() || undo.created_group.is_some() {
            self.generation += 1;
        }
    }

    /// Sets the timestamp families of a successful push to group `key` at `now` (spec §3.5):
    /// the push time always, a zero failure time only if the group has none.
    fn stamp_success(&mut self, key: &Arc<GroupingKey>, now: SystemTime, undo: &mut Undo) {
        let push_time = timestamp_family(PUSH_TIME_NAME, PUSH_TIME_HELP, key, now, now);
        self.set_family(key, PUSH_TIME_NAME, Some(push_time), undo);
        if !self.groups[key]
            .families
            .contains_key(PUSH_FAILURE_TIME_NAME)
        {
            let failure_time = timestamp_family(
                PUSH_FAILURE_TIME_NAME,
                PUSH_FAILURE_TIME_HELP,
                key,
                UNIX_EPOCH,
                now,
            );
            self.set_family(key, PUSH_FAILURE_TIME_NAME, Some(failure_time), undo);
        }
    }

    /// Records a rejected push to group `key` at `now` (spec §3.5): the group is created if
    /// absent, its failure time set, its push time set to 0 if absent.
    fn stamp_failure(&mut self, key: &Arc<GroupingKey>, now: SystemTime) {
        let mut undo = Undo::default();
        self.ensure_group(key, &mut undo);
        let failure_time = timestamp_family(
            PUSH_FAILURE_TIME_NAME,
            PUSH_FAILURE_TIME_HELP,
            key,
            now,
            now,
        );
        self.set_family(key, PUSH_FAILURE_TIME_NAME, Some(failure_time), &mut undo);
        if !self.groups[key].families.contains_key(PUSH_TIME_NAME) {
            let push_time = timestamp_family(PUSH_TIME_NAME, PUSH_TIME_HELP, key, UNIX_EPOCH, now);
            self.set_family(key, PUSH_TIME_NAME, Some(push_time), &mut undo);
        }
        self.reevaluate(key, &mut undo);
        // A new group whose timestamp series collide with existing ones would wedge the store
        // (the reference does that); create no group then.
        let collides = undo
            .verdicts
            .iter()
            .any(|(name, _, old_errors)| old_errors.is_empty() && self.inconsistent.contains(name));
        if undo.created_group.is_some() && collides {
            self.rollback(undo);
        } else {
            self.commit(&undo);
        }
    }
}

/// The type a store family is gathered with under `status`, if it is gathered.
fn accepted_type(status: Status) -> Option<MetricType> {
    match status {
        Status::Accepted(metric_type) => Some(metric_type),
        Status::Absent | Status::Skipped => None,
    }
}

/// The first of the value-kind and label checks a metric fails, if any.
fn metric_error(
    name: &str,
    metric_type: MetricType,
    metric: &StoredMetric,
) -> Option<ConsistencyError> {
    if !kind_matches(metric_type, &metric.value) {
        return Some(ConsistencyError::NotOfType {
            name: name.to_owned(),
            metric: dump_metric(&metric.labels, &metric.value),
            expected: metric_type,
        });
    }
    label_error(name, &metric.labels, &metric.value)
}

/// Sanitises and renders a pushed family for group `key` (spec §3.4).
fn store_family(mut family: MetricFamily, key: &GroupingKey, now: SystemTime) -> StoredFamily {
    for metric in &mut family.metrics {
        sanitize_labels(&mut metric.labels, key);
    }
    stored_family(family, now)
}

/// Renders a family whose labels are final.
fn stored_family(family: MetricFamily, last_push: SystemTime) -> StoredFamily {
    let MetricFamily {
        name,
        help,
        metric_type,
        unit,
        metrics,
    } = family;
    let mut renderer = LineRenderer::new(&name);
    // Exactly as many slots as metrics, in a new allocation: `collect` would reuse the decoded
    // `Vec<Metric>`'s buffer in place, with its slack from growing (and for a restore, the
    // size of the protobuf decoder's larger structs), for as long as the family is stored.
    let mut stored = Vec::with_capacity(metrics.len());
    stored.extend(metrics.into_iter().map(|metric| {
        let (text, metric) = renderer.render(metric);
        StoredMetric {
            labels: Arc::from(metric.labels),
            value: metric.value,
            text,
        }
    }));
    StoredFamily {
        name,
        help: help.map(Arc::from),
        metric_type,
        unit,
        metrics: stored,
        last_push,
    }
}

/// Grouping labels override body labels of the same name (the first one, as the reference's
/// loop does), missing ones are added, `instance=""` is added if absent, then labels are sorted
/// by name (spec §3.4).
fn sanitize_labels(labels: &mut Vec<LabelPair>, key: &GroupingKey) {
    let grouping = key.labels();
    let pushed = labels.len();
    // Grouping label names are unique, so "the first body label of each grouping name" is what
    // the reference's loop over the body labels overrides.
    for pair in grouping {
        match labels[..pushed].iter_mut().find(|p| p.name == pair.name) {
            Some(body) => body.value.clone_from(&pair.value),
            None => labels.push(pair.clone()),
        }
    }
    if !labels.iter().any(|pair| pair.name == "instance") {
        labels.push(LabelPair::new("instance", ""));
    }
    labels.sort_by(|a, b| a.name.cmp(&b.name));
}

/// A timestamp gauge of group `key`: `value_time` as Unix seconds (0 for the epoch, which stands
/// for Go's zero time), labelled like a pushed sample without labels.
fn timestamp_family(
    name: &str,
    help: &str,
    key: &GroupingKey,
    value_time: SystemTime,
    now: SystemTime,
) -> StoredFamily {
    let family = MetricFamily {
        name: name.to_owned(),
        help: Some(help.to_owned()),
        metric_type: MetricType::Gauge,
        unit: None,
        metrics: vec![Metric {
            labels: Vec::new(),
            value: Value::Gauge(unix_seconds(value_time)),
            timestamp_ms: None,
        }],
    };
    store_family(family, key, now)
}

/// Seconds since the Unix epoch as Go computes them: `float64(t.UnixNano()) / 1e9`.
fn unix_seconds(time: SystemTime) -> f64 {
    let nanos = match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_nanos()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_nanos()).map_or(i64::MIN, |n| -n),
    };
    nanos as f64 / 1e9
}

/// Renders the merged family `name` of the store: the own family's HELP (or else the first
/// holder's) and type (or else the first holder's), all series in exposition order. Only the
/// segments of the series that changed since the last rendering are re-rendered.
fn build_block(name: &str, entry: &mut NameIndex, own: Option<&OwnFamily>) -> Block {
    let first = entry
        .first_holder()
        .expect("blocks are built for names with series");
    let (help, metric_type) = match own {
        Some(own) => (Some(own.help.as_str()), own.metric_type),
        None => (first.help.as_deref(), first.metric_type),
    };
    let mut chunks = vec![Chunk::new(Bytes::from(render_header(
        name,
        help,
        metric_type,
    )))];
    chunks.extend(entry.series.texts());
    // Own-family names keep each series apart, to interleave them with the gateway's samples.
    let series = match own {
        Some(_) => entry
            .series
            .iter()
            .flat_map(|(labels, occurrences)| {
                occurrences.iter().map(|o| {
                    (
                        Arc::clone(labels.labels()),
                        Bytes::from_owner(Arc::clone(&o.text)),
                    )
                })
            })
            .collect(),
        None => Vec::new(),
    };
    Block {
        name: name.to_owned(),
        chunks,
        series,
    }
}
