//! The bodies and grouping keys a fleet of batch jobs pushes; `bench/lua/push.lua` builds the
//! same bytes for `wrk`.
//!
//! The first ten samples are `pushgw-core/benches/workload`'s `push_body` (four families, HELP
//! and TYPE); bigger bodies add per-shard gauges. `batch_last_success_unixtime` carries a marker:
//! 1.7e+09 when filled by this tool, 1.8e+09 when pushed by `wrk`, so `count` can tell that the
//! load generator's pushes, not only the fill, are visible.

use std::fmt::Write;

/// Samples in the smallest body.
pub const BASE_SAMPLES: usize = 10;
/// The marker value of pushes made by `fill`.
pub const FILL_MARKER: &str = "1.7e+09";
/// The marker value of pushes made by `bench/lua/push.lua`.
pub const LOAD_MARKER: &str = "1.8e+09";

/// The push path of group `job`.
pub fn path(job: usize) -> String {
    format!("/metrics/job/batch{job}/instance/host{}", job % 100)
}

/// A text body of `samples` samples (at least [`BASE_SAMPLES`]) for group `job`.
pub fn text(job: usize, samples: usize, marker: &str) -> String {
    let mut text = String::with_capacity(200 + samples * 48);
    text.push_str(
        "# HELP batch_duration_seconds Duration of each step of the last run.\n\
         # TYPE batch_duration_seconds gauge\n",
    );
    let steps = ["extract", "transform", "load"];
    for (i, step) in steps.iter().enumerate() {
        let _ = writeln!(
            text,
            "batch_duration_seconds{{step=\"{step}\"}} {}.{i}25",
            job % 997
        );
    }
    let _ = writeln!(
        text,
        "# TYPE batch_last_success_unixtime gauge\nbatch_last_success_unixtime {marker}"
    );
    text.push_str(
        "# HELP batch_records_total Records handled.\n# TYPE batch_records_total counter\n",
    );
    for (i, step) in steps.iter().enumerate() {
        let _ = writeln!(
            text,
            "batch_records_total{{step=\"{step}\"}} {}",
            job * 31 + i
        );
    }
    text.push_str("# TYPE batch_errors_total counter\n");
    for kind in ["io", "parse", "timeout"] {
        let _ = writeln!(text, "batch_errors_total{{kind=\"{kind}\"}} {}", job % 7);
    }
    if samples > BASE_SAMPLES {
        text.push_str(
            "# HELP batch_shard_items Items in each shard.\n# TYPE batch_shard_items gauge\n",
        );
        for shard in 0..samples - BASE_SAMPLES {
            let _ = writeln!(
                text,
                "batch_shard_items{{shard=\"{shard}\"}} {}",
                job + shard
            );
        }
    }
    text
}
