//! Quantiles of recent observations, for `pushgateway_http_push_size_bytes` and
//! `pushgateway_http_push_duration_seconds` (spec §10).
//!
//! client_golang's summaries with `MaxAge` 10 m report quantiles over a window that slides in 5
//! age buckets, so what they cover is between 8 and 10 minutes old; count and sum cover all time.
//! The same window here, with a different estimator: each age bucket keeps a uniform sample of
//! at most [`RESERVOIR`] observations (Vitter's algorithm R), and a quantile is the nearest-rank
//! value of the buckets' samples weighted by how much each one stands for. The values reported
//! are observed values, as client_golang's; their ranks are exact below 512 observations per
//! bucket and within about ±0.01 of the objective (one standard error at 0.9) above.

use std::collections::VecDeque;
use std::time::{Duration, SystemTime};

use crate::model::{Quantile, Summary};

/// The quantiles reported, as the reference's objectives (0.1, 0.5, 0.9).
const QUANTILES: [f64; 3] = [0.1, 0.5, 0.9];
/// How far back the quantiles look: client_golang's `MaxAge` as the reference sets it.
const MAX_AGE: Duration = Duration::from_secs(600);
/// client_golang's default `AgeBuckets`.
const AGE_BUCKETS: u64 = 5;
/// Observations kept per age bucket.
const RESERVOIR: usize = 512;

/// Observations in one age bucket of `MAX_AGE / AGE_BUCKETS`.
#[derive(Debug)]
struct AgeBucket {
    /// The bucket's number: seconds since the epoch divided by the bucket's width.
    index: u64,
    /// Observations made in this bucket.
    seen: u64,
    /// A uniform sample of them.
    samples: Vec<f64>,
}

/// A summary of observations with quantiles over the last 8 to 10 minutes.
#[derive(Debug, Default)]
pub(super) struct WindowedSummary {
    count: u64,
    sum: f64,
    /// Oldest first; only buckets of the last `AGE_BUCKETS` indexes are kept.
    buckets: VecDeque<AgeBucket>,
    /// State of the generator that picks which observations a full bucket keeps (xorshift64*):
    /// deterministic, as the core has no source of randomness and needs none of quality.
    random: u64,
}

impl WindowedSummary {
    /// Records one observation made at `now`.
    pub(super) fn observe(&mut self, value: f64, now: SystemTime) {
        self.count += 1;
        self.sum += value;
        let index = bucket_index(now);
        while self
            .buckets
            .front()
            .is_some_and(|bucket| bucket.index + AGE_BUCKETS <= index)
        {
            self.buckets.pop_front();
        }
        // A clock that went back files its observations into the newest bucket.
        if self
            .buckets
            .back()
            .is_none_or(|bucket| bucket.index < index)
        {
            self.buckets.push_back(AgeBucket {
                index,
                seen: 0,
                samples: Vec::new(),
            });
        }
        let random = self.next_random();
        let bucket = self.buckets.back_mut().expect("a bucket was just ensured");
        bucket.seen += 1;
        if bucket.samples.len() < RESERVOIR {
            bucket.samples.push(value);
        } else if let Ok(slot) = usize::try_from(random % bucket.seen)
            && slot < RESERVOIR
        {
            bucket.samples[slot] = value;
        }
    }

    /// The summary as of `now`: the quantiles are NaN when nothing was observed in the window,
    /// as client_golang reports them.
    pub(super) fn value(&self, now: SystemTime) -> Summary {
        let index = bucket_index(now);
        let live = || {
            self.buckets
                .iter()
                .filter(move |bucket| bucket.index + AGE_BUCKETS > index)
        };
        // Each kept sample stands for `seen / kept` observations of its bucket.
        let mut weighted: Vec<(f64, f64)> = live()
            .flat_map(|bucket| {
                let weight = bucket.seen as f64 / bucket.samples.len() as f64;
                bucket.samples.iter().map(move |&value| (value, weight))
            })
            .collect();
        weighted.sort_by(|a, b| a.0.total_cmp(&b.0));
        let total: f64 = live().map(|bucket| bucket.seen as f64).sum();
        let quantiles = QUANTILES
            .iter()
            .map(|&quantile| Quantile {
                quantile,
                value: nearest_rank(&weighted, quantile * total),
            })
            .collect();
        Summary {
            count: self.count,
            sum: self.sum,
            quantiles,
            created: None,
        }
    }

    fn next_random(&mut self) -> u64 {
        if self.random == 0 {
            self.random = 0x9E37_79B9_7F4A_7C15;
        }
        self.random ^= self.random >> 12;
        self.random ^= self.random << 25;
        self.random ^= self.random >> 27;
        self.random.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// The first value whose cumulative weight reaches `rank` (at least the first value), NaN if
/// there are none.
fn nearest_rank(weighted: &[(f64, f64)], rank: f64) -> f64 {
    let mut cumulative = 0.0;
    for &(value, weight) in weighted {
        cumulative += weight;
        if cumulative >= rank {
            return value;
        }
    }
    weighted.last().map_or(f64::NAN, |&(value, _)| value)
}

/// The age bucket `now` falls in.
fn bucket_index(now: SystemTime) -> u64 {
    let width = MAX_AGE.as_secs() / AGE_BUCKETS;
    now.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs() / width)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + seconds)
    }

    fn quantiles(summary: &WindowedSummary, now: SystemTime) -> Vec<f64> {
        summary
            .value(now)
            .quantiles
            .iter()
            .map(|q| q.value)
            .collect()
    }

    #[test]
    fn nothing_observed_is_nan_with_zero_count() {
        let summary = WindowedSummary::default();
        let value = summary.value(at(0));
        assert_eq!((value.count, value.sum), (0, 0.0));
        assert!(value.quantiles.iter().all(|q| q.value.is_nan()));
        let objectives: Vec<f64> = value.quantiles.iter().map(|q| q.quantile).collect();
        assert_eq!(objectives, [0.1, 0.5, 0.9]);
    }

    #[test]
    fn few_observations_give_exact_nearest_ranks() {
        let mut summary = WindowedSummary::default();
        for value in (1..=10).rev() {
            summary.observe(f64::from(value), at(0));
        }
        assert_eq!(quantiles(&summary, at(0)), [1.0, 5.0, 9.0]);
        let value = summary.value(at(0));
        assert_eq!((value.count, value.sum), (10, 55.0));
    }

    #[test]
    fn old_observations_leave_the_window_but_stay_counted() {
        let mut summary = WindowedSummary::default();
        summary.observe(100.0, at(0));
        // Eight minutes later the first bucket is still in the window.
        summary.observe(1.0, at(480));
        assert_eq!(quantiles(&summary, at(480)), [1.0, 1.0, 100.0]);
        // Ten minutes after it began, it is gone.
        let later = at(600 + 120);
        assert_eq!(quantiles(&summary, later), [1.0, 1.0, 1.0]);
        assert!(
            quantiles(&summary, at(480 + 600))
                .iter()
                .all(|v| v.is_nan())
        );
        assert_eq!(summary.value(later).count, 2);
    }

    #[test]
    fn many_observations_keep_ranks_close_and_memory_bounded() {
        let mut summary = WindowedSummary::default();
        // 0..100_000 in a scrambled order, all in one bucket.
        for i in 0..100_000u64 {
            summary.observe(((i * 7_919) % 100_000) as f64, at(1));
        }
        assert!(summary.buckets.iter().all(|b| b.samples.len() <= RESERVOIR));
        for (estimate, objective) in quantiles(&summary, at(1)).into_iter().zip(QUANTILES) {
            let rank = estimate / 100_000.0;
            assert!(
                (rank - objective).abs() < 0.05,
                "quantile {objective} estimated at rank {rank}"
            );
        }
    }

    #[test]
    fn a_clock_going_back_is_harmless() {
        let mut summary = WindowedSummary::default();
        summary.observe(2.0, at(1_000));
        summary.observe(1.0, at(0));
        assert_eq!(summary.value(at(1_000)).count, 2);
        assert_eq!(quantiles(&summary, at(1_000)), [1.0, 1.0, 2.0]);
    }
}
