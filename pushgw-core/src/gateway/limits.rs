//! Capacity limits on what pushes may hold (our extension, spec §17): series per push, groups and
//! series in the store, and a connection count kept by whoever owns the sockets.
//!
//! The reference has no limits at all: one careless job can fill its memory. Each limit here is
//! off (`None`) by default in the library; the sidecar turns them into flags. A push over a
//! per-request limit is a `413`, one that would overfill the store a `429` (the client may retry
//! once groups are deleted or expire); both name the limit, with the same name as the
//! `limit` label of `pushgw_limit_headroom` and `pushgw_limit_rejections_total`. Checks happen
//! before the store is touched, so a refused push leaves no trace, not even the
//! `push_failure_time_seconds` a rejected push leaves in the reference.
//!
//! The size of a request body before and after `Content-Encoding` is capped elsewhere: the
//! server caps what it reads from the socket, [`GatewayOptions::max_body_bytes`] what
//! decompression may produce.
//!
//! [`GatewayOptions::max_body_bytes`]: super::GatewayOptions::max_body_bytes

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use http::StatusCode;

use crate::grouping::GroupingKey;
use crate::model::{Counter, LabelPair, Metric, MetricFamily, MetricType, Value};
use crate::store::{
    HelpPolicy, OwnFamily, PUSH_FAILURE_TIME_NAME, PUSH_TIME_NAME, PushMode, Store,
};

const HEADROOM: &str = "pushgw_limit_headroom";
const HEADROOM_HELP: &str = "How much more the Pushgateway accepts before the limit is reached, by limit (pushgw extension).";
const REJECTIONS: &str = "pushgw_limit_rejections_total";
const REJECTIONS_HELP: &str = "Total requests the Pushgateway refused because they exceeded a limit, by limit (pushgw extension).";

/// The capacity limits of a [`Gateway`](super::Gateway); `None` means unlimited.
///
/// ```
/// use pushgw_core::gateway::{ConnectionLimit, GatewayOptions, Limits};
///
/// let options = GatewayOptions {
///     limits: Limits {
///         max_series_per_push: Some(10_000),
///         max_groups: Some(1_000),
///         max_series: Some(1_000_000),
///         connections: Some(ConnectionLimit::new(512)),
///     },
///     ..GatewayOptions::default()
/// };
/// assert_eq!(options.limits.connections.as_ref().map(ConnectionLimit::max), Some(512));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Limits {
    /// Series (metrics) in one push, across its families: over it the push is a `413`.
    pub max_series_per_push: Option<usize>,
    /// Groups in the store: a push that would create one more is a `429`.
    pub max_groups: Option<usize>,
    /// Series in the store, not counting `push_time_seconds` and `push_failure_time_seconds`:
    /// a push that would leave more is a `429`.
    pub max_series: Option<usize>,
    /// Open connections, counted by the server that owns them; the gateway only reports the
    /// headroom and the rejections.
    pub connections: Option<ConnectionLimit>,
}

/// A limit on open connections, shared between the server (which opens and closes them) and
/// the gateway (which reports them in `/metrics`).
///
/// ```
/// use pushgw_core::gateway::ConnectionLimit;
///
/// let limit = ConnectionLimit::new(1);
/// let first = limit.try_open().expect("one connection is allowed");
/// assert!(limit.try_open().is_none());
/// assert_eq!(limit.open(), 1);
/// drop(first);
/// assert!(limit.try_open().is_some());
/// ```
#[derive(Debug, Clone)]
pub struct ConnectionLimit {
    max: usize,
    counts: Arc<ConnectionCounts>,
}

#[derive(Debug, Default)]
struct ConnectionCounts {
    open: AtomicUsize,
    rejected: AtomicU64,
}

impl ConnectionLimit {
    /// A limit of `max` connections open at once.
    pub fn new(max: usize) -> Self {
        ConnectionLimit {
            max,
            counts: Arc::default(),
        }
    }

    /// The limit.
    pub fn max(&self) -> usize {
        self.max
    }

    /// How many connections are open now.
    pub fn open(&self) -> usize {
        self.counts.open.load(Ordering::Relaxed)
    }

    /// Counts one more open connection, unless that would exceed the limit: then `None`, and
    /// the rejection is counted. The connection counts as open until the permit is dropped.
    pub fn try_open(&self) -> Option<ConnectionPermit> {
        let opened = self
            .counts
            .open
            .fetch_update(Ordering::AcqRel, Ordering::Relaxed, |open| {
                (open < self.max).then_some(open + 1)
            });
        match opened {
            Ok(_) => Some(ConnectionPermit {
                counts: Arc::clone(&self.counts),
            }),
            Err(_) => {
                self.counts.rejected.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }

    /// How many connections were refused so far.
    pub fn rejected(&self) -> u64 {
        self.counts.rejected.load(Ordering::Relaxed)
    }
}

/// One open connection of a [`ConnectionLimit`]; dropping it closes the slot.
///
/// See [`ConnectionLimit`] for an example.
#[derive(Debug)]
pub struct ConnectionPermit {
    counts: Arc<ConnectionCounts>,
}

impl Drop for ConnectionPermit {
    fn drop(&mut self) {
        self.counts.open.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Why a push was refused by a limit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum LimitError {
    /// More series in one push than [`Limits::max_series_per_push`].
    #[error("push of {pushed} series exceeds the series_per_push limit of {limit} series")]
    SeriesPerPush { pushed: usize, limit: usize },
    /// The push would create a group beyond [`Limits::max_groups`].
    #[error("push would create group {key} beyond the groups limit of {limit} groups")]
    Groups { key: String, limit: usize },
    /// The push would leave more series in the store than [`Limits::max_series`].
    #[error(
        "push would bring the store to {total} series, over the series limit of {limit} series"
    )]
    Series { total: usize, limit: usize },
}

impl LimitError {
    /// The limit's name, as in the `limit` label.
    pub(super) fn name(&self) -> &'static str {
        match self {
            LimitError::SeriesPerPush { .. } => "series_per_push",
            LimitError::Groups { .. } => "groups",
            LimitError::Series { .. } => "series",
        }
    }

    /// `413` for what is too big in itself, `429` for what the store has no room for.
    pub(super) fn status(&self) -> StatusCode {
        match self {
            LimitError::SeriesPerPush { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            LimitError::Groups { .. } | LimitError::Series { .. } => StatusCode::TOO_MANY_REQUESTS,
        }
    }
}

/// Rejections by limit name, for `pushgw_limit_rejections_total`.
#[derive(Debug, Default)]
pub(super) struct Rejections {
    counts: BTreeMap<&'static str, u64>,
}

impl Rejections {
    /// Counts one request refused by the limit called `name`.
    pub(super) fn count(&mut self, name: &'static str) {
        *self.counts.entry(name).or_default() += 1;
    }
}

impl Limits {
    /// Whether any of these limits is set: only then does the gateway expose its limit
    /// families (the decompressed-size cap alone, on by default, does not count).
    fn any(&self) -> bool {
        self.max_series_per_push.is_some()
            || self.max_groups.is_some()
            || self.max_series.is_some()
            || self.connections.is_some()
    }

    /// Refuses a push to group `key` that would create a group beyond the limit. Checked
    /// before the body is even decoded.
    pub(super) fn check_group(&self, store: &Store, key: &GroupingKey) -> Result<(), LimitError> {
        match self.max_groups {
            Some(limit) if store.group(key).is_none() && store.group_count() >= limit => {
                Err(LimitError::Groups {
                    key: key.to_string(),
                    limit,
                })
            }
            _ => Ok(()),
        }
    }

    /// Refuses a push with more series than allowed per push.
    pub(super) fn check_push(&self, families: &[MetricFamily]) -> Result<(), LimitError> {
        let Some(limit) = self.max_series_per_push else {
            return Ok(());
        };
        let pushed = pushed_series(families).sum();
        if pushed > limit {
            return Err(LimitError::SeriesPerPush { pushed, limit });
        }
        Ok(())
    }

    /// Refuses a push that would leave more series in the store than allowed (and, again, one
    /// that would create a group too many: the store may have changed since [`Self::check_group`]).
    pub(super) fn check_store(
        &self,
        store: &Store,
        key: &GroupingKey,
        families: &[MetricFamily],
        mode: PushMode,
    ) -> Result<(), LimitError> {
        self.check_group(store, key)?;
        let Some(limit) = self.max_series else {
            return Ok(());
        };
        let group = store.group(key);
        let stored = |name: &str| {
            group
                .and_then(|group| group.family(name))
                .map_or(0, |family| family.metrics().len())
        };
        let replaced: usize = match (mode, group) {
            (PushMode::Replace, Some(group)) => group
                .families()
                .filter(|family| !is_timestamp_family(family.name()))
                .map(|family| family.metrics().len())
                .sum(),
            _ => families
                .iter()
                .filter(|family| !is_timestamp_family(&family.name))
                .map(|family| stored(&family.name))
                .sum(),
        };
        let total = store.series_count() - replaced + pushed_series(families).sum::<usize>();
        // A push that shrinks the store is always welcome, even over the limit (after a restart
        // with a lower limit, say).
        if total > limit && total > store.series_count() {
            return Err(LimitError::Series { total, limit });
        }
        Ok(())
    }
}

/// The series each pushed family adds, without the timestamp families the store ignores.
fn pushed_series(families: &[MetricFamily]) -> impl Iterator<Item = usize> + '_ {
    families
        .iter()
        .filter(|family| !is_timestamp_family(&family.name))
        .map(|family| family.metrics.len())
}

fn is_timestamp_family(name: &str) -> bool {
    name == PUSH_TIME_NAME || name == PUSH_FAILURE_TIME_NAME
}

/// The limit families, declared to the store so that pushes of these names are checked against
/// them.
pub(super) fn declared_families() -> [OwnFamily; 2] {
    [
        OwnFamily {
            name: HEADROOM.to_owned(),
            metric_type: MetricType::Gauge,
            help: HEADROOM_HELP.to_owned(),
            help_policy: HelpPolicy::Override,
        },
        OwnFamily {
            name: REJECTIONS.to_owned(),
            metric_type: MetricType::Counter,
            help: REJECTIONS_HELP.to_owned(),
            help_policy: HelpPolicy::Override,
        },
    ]
}

/// `pushgw_limit_headroom` for the capacity limits that are set, and
/// `pushgw_limit_rejections_total` for every limit that is set; nothing when no limit is set,
/// so that an unlimited gateway's own metrics stay the reference's.
pub(super) fn families(
    limits: &Limits,
    max_body_bytes: Option<u64>,
    store: &Store,
    rejections: &Rejections,
) -> Vec<MetricFamily> {
    if !limits.any() {
        return Vec::new();
    }
    let connections = limits.connections.as_ref();
    let headroom: Vec<(&str, usize)> = [
        ("connections", connections.map(|c| (c.max(), c.open()))),
        (
            "groups",
            limits.max_groups.map(|max| (max, store.group_count())),
        ),
        (
            "series",
            limits.max_series.map(|max| (max, store.series_count())),
        ),
    ]
    .into_iter()
    .filter_map(|(name, limit)| limit.map(|(max, used)| (name, max.saturating_sub(used))))
    .collect();
    let set: Vec<(&str, u64)> = [
        ("connections", connections.map(ConnectionLimit::rejected)),
        ("decompressed_bytes", max_body_bytes.map(|_| 0)),
        ("groups", limits.max_groups.map(|_| 0)),
        ("series", limits.max_series.map(|_| 0)),
        ("series_per_push", limits.max_series_per_push.map(|_| 0)),
    ]
    .into_iter()
    .filter_map(|(name, base)| {
        base.map(|base| {
            (
                name,
                base + rejections.counts.get(name).copied().unwrap_or(0),
            )
        })
    })
    .collect();
    let mut families = Vec::with_capacity(2);
    if !headroom.is_empty() {
        families.push(family(
            HEADROOM,
            HEADROOM_HELP,
            MetricType::Gauge,
            headroom
                .into_iter()
                .map(|(name, room)| (name, Value::Gauge(room as f64))),
        ));
    }
    families.push(family(
        REJECTIONS,
        REJECTIONS_HELP,
        MetricType::Counter,
        set.into_iter().map(|(name, count)| {
            (
                name,
                Value::Counter(Counter {
                    value: count as f64,
                    ..Counter::default()
                }),
            )
        }),
    ));
    families
}

fn family<'a>(
    name: &str,
    help: &str,
    metric_type: MetricType,
    values: impl Iterator<Item = (&'a str, Value)>,
) -> MetricFamily {
    MetricFamily {
        name: name.to_owned(),
        help: Some(help.to_owned()),
        metric_type,
        unit: None,
        metrics: values
            .map(|(limit, value)| Metric {
                labels: vec![LabelPair::new("limit", limit)],
                value,
                timestamp_ms: None,
            })
            .collect(),
    }
}
