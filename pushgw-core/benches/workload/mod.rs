//! The push and scrape workload shared by the `store` bench and the `callgrind` example: what a
//! fleet of batch jobs pushes into a gateway, over its HTTP API.
//!
//! Each group is `job/batch<i>/instance/host<i % 100>`; each push is a POST of a small text body.

#![allow(
    dead_code,
    reason = "shared by the store bench and the callgrind example, which use different parts"
)]

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{Request, header};
use pushgw_core::gateway::Gateway;

/// The samples in a [`push_body`].
pub const PUSH_SAMPLES: usize = 10;
/// The samples in a [`scrape_body`].
pub const SCRAPE_SAMPLES: usize = 20;

/// What a batch job typically pushes: ten samples in four families (gauges and counters).
pub fn push_body(job: usize) -> String {
    let mut text = String::from(
        "# HELP batch_duration_seconds Duration of each step of the last run.\n\
         # TYPE batch_duration_seconds gauge\n",
    );
    for (i, step) in ["extract", "transform", "load"].iter().enumerate() {
        text += &format!(
            "batch_duration_seconds{{step=\"{step}\"}} {}.{i}25\n",
            job % 997
        );
    }
    text += "# TYPE batch_last_success_unixtime gauge\nbatch_last_success_unixtime 1.7e+09\n";
    text += "# HELP batch_records_total Records handled.\n# TYPE batch_records_total counter\n";
    for (i, step) in ["extract", "transform", "load"].iter().enumerate() {
        text += &format!("batch_records_total{{step=\"{step}\"}} {}\n", job * 31 + i);
    }
    text += "# TYPE batch_errors_total counter\n";
    for kind in ["io", "parse", "timeout"] {
        text += &format!("batch_errors_total{{kind=\"{kind}\"}} {}\n", job % 7);
    }
    text
}

/// A bigger push: the ten samples of [`push_body`] plus ten per-shard gauges.
pub fn scrape_body(job: usize) -> String {
    let mut text = push_body(job);
    text += "# HELP batch_shard_items Items in each shard.\n# TYPE batch_shard_items gauge\n";
    for shard in 0..10 {
        text += &format!("batch_shard_items{{shard=\"{shard}\"}} {}\n", job + shard);
    }
    text
}

/// The body of `bench/lua/push.lua` with `samples` (at least ten) samples: the ten of
/// [`push_body`] plus `samples - 10` per-shard gauges.
pub fn sharded_body(job: usize, samples: usize) -> String {
    let mut text = push_body(job);
    text += "# HELP batch_shard_items Items in each shard.\n# TYPE batch_shard_items gauge\n";
    for shard in 0..samples.saturating_sub(PUSH_SAMPLES) {
        text += &format!("batch_shard_items{{shard=\"{shard}\"}} {}\n", job + shard);
    }
    text
}

/// The push path of group `job`.
pub fn push_path(job: usize) -> String {
    format!("/metrics/job/batch{job}/instance/host{}", job % 100)
}

/// A POST of `body` into group `job`.
pub fn post(job: usize, body: &str) -> Request<Bytes> {
    Request::post(push_path(job))
        .body(Bytes::from(body.to_owned()))
        .expect("the benchmark request is valid")
}

/// A PUT of `body` into group `job`.
pub fn put(job: usize, body: &str) -> Request<Bytes> {
    Request::put(push_path(job))
        .body(Bytes::from(body.to_owned()))
        .expect("the benchmark request is valid")
}

/// A `GET /metrics`, gzipped or not.
pub fn scrape(gzip: bool) -> Request<Bytes> {
    let mut request = Request::get("/metrics");
    if gzip {
        request = request.header(header::ACCEPT_ENCODING, "gzip");
    }
    request
        .body(Bytes::new())
        .expect("the benchmark request is valid")
}

/// A fixed time, `seconds` after a plausible epoch.
pub fn at(seconds: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + seconds)
}

/// Pushes `body(job)` into groups `0..groups` of `gateway`, asserting success.
pub fn fill(gateway: &Gateway, groups: usize, body: fn(usize) -> String) {
    for job in 0..groups {
        let response = gateway.handle(post(job, &body(job)), at(job as u64));
        assert_eq!(response.status(), 200, "the benchmark pushes are accepted");
    }
}

/// The groups the pushes go to in turn: spread over the whole store, not a hot corner.
pub fn target(i: usize, groups: usize) -> usize {
    (i * 7919) % groups
}
