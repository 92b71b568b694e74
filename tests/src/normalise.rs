//! Two gateways' views of the same pushes made comparable: every value that is a point in time
//! (the gateway's push timestamps, a client's `_created` samples, `time_stamp` in the JSON API)
//! masked, and the JSON API's groups (in random order in the reference, spec §5.2) sorted.

use serde_json::Value;

use crate::Error;
use crate::exposition::{family_blocks, is_gateway_own};

/// What a masked value becomes.
const MASK: &str = "T";

/// Whether a family's values are points in time that differ between two runs: the gateway's
/// `push_time_seconds` and `push_failure_time_seconds` (spec §3.5), and the `<name>_created`
/// gauges clients write next to counters, histograms and summaries in text format 0.0.4
/// (e.g. Python's `prometheus_client`).
///
/// ```
/// use pushgw_tests::normalise::is_time_family;
/// assert!(is_time_family("push_time_seconds"));
/// assert!(is_time_family("jobs_created"));
/// assert!(!is_time_family("jobs_total"));
/// ```
pub fn is_time_family(name: &str) -> bool {
    name == "push_time_seconds" || name == "push_failure_time_seconds" || name.ends_with("_created")
}

/// The pushed families of a `/metrics` scrape and the per-group `push_time_seconds` and
/// `push_failure_time_seconds` (the gateway's other own families dropped, see
/// [`is_gateway_own`]), with the sample values of every family for which `is_time(name)` holds
/// replaced by `T`, unless they are `0` (a group that never failed has
/// `push_failure_time_seconds 0`, and that must still match).
///
/// ```
/// use pushgw_tests::normalise::{is_time_family, masked_exposition};
/// let scrape = concat!(
///     "# TYPE m gauge\nm{job=\"j\"} 1\n",
///     "# TYPE push_failure_time_seconds gauge\npush_failure_time_seconds{job=\"j\"} 0\n",
///     "# TYPE push_time_seconds gauge\npush_time_seconds{job=\"j\"} 1.7e+09\n",
///     "# TYPE go_goroutines gauge\ngo_goroutines 9\n",
/// );
/// assert_eq!(
///     masked_exposition(scrape, is_time_family),
///     concat!(
///         "# TYPE m gauge\nm{job=\"j\"} 1\n",
///         "# TYPE push_failure_time_seconds gauge\npush_failure_time_seconds{job=\"j\"} 0\n",
///         "# TYPE push_time_seconds gauge\npush_time_seconds{job=\"j\"} T\n",
///     ),
/// );
/// ```
pub fn masked_exposition(exposition: &str, is_time: impl Fn(&str) -> bool) -> String {
    let mut out = String::new();
    let per_group = |name: &str| !is_gateway_own(name) || is_time_family(name);
    for block in family_blocks(exposition) {
        if !per_group(&block.name) {
            continue;
        }
        if !is_time(&block.name) {
            out.push_str(&block.text);
            continue;
        }
        for line in block.text.lines() {
            match line.rsplit_once(' ') {
                Some((series, value)) if !line.starts_with('#') && value != "0" => {
                    out.push_str(&format!("{series} {MASK}\n"));
                }
                _ => {
                    out.push_str(line);
                    out.push('\n');
                }
            }
        }
    }
    out
}

/// The `data` of an `/api/v1/metrics` answer with the groups sorted by their `labels`, every
/// family's `time_stamp` replaced by `T`, and the `value`s of every family for which
/// `is_time(name)` holds replaced by `T` unless they are `"0"`.
///
/// An error if `body` is not the API's JSON.
///
/// ```
/// use pushgw_tests::normalise::{is_time_family, masked_metrics_api};
/// let body = br#"{"status":"success","data":[
///     {"labels":{"job":"b"},"m":{"time_stamp":"2026-11-25T20:00:00Z","type":"GAUGE",
///      "metrics":[{"labels":{"job":"b"},"value":"1"}]}},
///     {"labels":{"job":"a"},"push_time_seconds":{"time_stamp":"2026-11-25T20:00:00Z",
///      "type":"GAUGE","metrics":[{"labels":{"job":"a"},"value":"1.7e+09"}]}}]}"#;
/// let masked = masked_metrics_api(body, is_time_family).unwrap();
/// assert_eq!(masked[0]["labels"]["job"], "a");
/// assert_eq!(masked[0]["push_time_seconds"]["metrics"][0]["value"], "T");
/// assert_eq!(masked[1]["m"]["time_stamp"], "T");
/// assert_eq!(masked[1]["m"]["metrics"][0]["value"], "1");
/// ```
pub fn masked_metrics_api(body: &[u8], is_time: impl Fn(&str) -> bool) -> Result<Value, Error> {
    let mut json: Value = serde_json::from_slice(body).map_err(|e| {
        Error::new(format!(
            "/api/v1/metrics did not answer JSON ({e}): {}",
            String::from_utf8_lossy(body)
        ))
    })?;
    let Some(groups) = json.get_mut("data").and_then(Value::as_array_mut) else {
        return Err(Error::new(format!(
            "/api/v1/metrics has no `data` array: {json}"
        )));
    };
    for group in groups.iter_mut().filter_map(Value::as_object_mut) {
        for (name, family) in group.iter_mut() {
            let Some(family) = family.as_object_mut() else {
                continue;
            };
            if let Some(time_stamp) = family.get_mut("time_stamp") {
                *time_stamp = Value::from(MASK);
            }
            if !is_time(name) {
                continue;
            }
            let metrics = family.get_mut("metrics").and_then(Value::as_array_mut);
            for metric in metrics.into_iter().flatten() {
                if let Some(value) = metric.get_mut("value").filter(|value| *value != "0") {
                    *value = Value::from(MASK);
                }
            }
        }
    }
    groups.sort_by_cached_key(|group| group["labels"].to_string());
    Ok(json["data"].take())
}
