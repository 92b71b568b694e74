//! The JSON API's bodies (spec §5), written the way Go's `encoding/json` writes them.
//!
//! Go escapes `<`, `>` and `&` as `\u003c`, `\u003e`, `\u0026`, sorts map keys, prints numbers
//! of the API as strings (`fmt.Sprint`), and times as RFC 3339 with nanoseconds and trailing zeros
//! trimmed. A serializer with those rules is a few lines; serde_json would need post-processing.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::float;
use crate::grouping::GroupingKey;
use crate::model::{Count, LabelPair, Value};
use crate::store::{Group, StoredFamily, StoredMetric};

/// Appends `s` as a JSON string, escaped as Go's `encoding/json` does (HTML-safe).
pub(crate) fn write_str(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let escape: Option<&[u8]> = match c {
            '"' => Some(b"\\\""),
            '\\' => Some(b"\\\\"),
            '\n' => Some(b"\\n"),
            '\r' => Some(b"\\r"),
            '\t' => Some(b"\\t"),
            _ => None,
        };
        let needs_unicode =
            escape.is_none() && (c < ' ' || matches!(c, '<' | '>' | '&' | '\u{2028}' | '\u{2029}'));
        if escape.is_none() && !needs_unicode {
            continue;
        }
        out.extend_from_slice(&s.as_bytes()[start..i]);
        match escape {
            Some(bytes) => out.extend_from_slice(bytes),
            None => {
                let code = u32::from(c);
                out.extend_from_slice(b"\\u");
                for shift in [12, 8, 4, 0] {
                    out.push(HEX[((code >> shift) & 15) as usize]);
                }
            }
        }
        start = i + c.len_utf8();
    }
    out.extend_from_slice(&s.as_bytes()[start..]);
    out.push(b'"');
}

/// Appends a float as the JSON API's string: Go's `fmt.Sprint` (`-0` stays `-0`).
fn write_float(out: &mut Vec<u8>, value: f64) {
    out.push(b'"');
    float::write_g(out, value);
    out.push(b'"');
}

fn write_uint(out: &mut Vec<u8>, value: u64) {
    out.push(b'"');
    out.extend_from_slice(value.to_string().as_bytes());
    out.push(b'"');
}

/// A histogram count as 1.5.1's API shows it: it reads only the integer fields
/// (`GetSampleCount`, `GetCumulativeCount`), so a float count (`sample_count_float`,
/// `cumulative_count_float`) shows as `"0"` [obs 1.5.1, spec §12.4].
fn write_count(out: &mut Vec<u8>, count: Count) {
    match count {
        Count::Int(n) => write_uint(out, n),
        Count::Float(_) => write_uint(out, 0),
    }
}

/// Appends `time` as Go's `time.Time` marshals it in UTC: RFC 3339 with nanoseconds, trailing
/// zeros trimmed, `Z`.
pub(crate) fn write_time(out: &mut Vec<u8>, time: SystemTime) {
    let (secs, nanos) = match time.duration_since(UNIX_EPOCH) {
        Ok(d) => (d.as_secs() as i64, d.subsec_nanos()),
        Err(before) => {
            let d = before.duration();
            let (s, n) = (d.as_secs() as i64, d.subsec_nanos());
            if n == 0 {
                (-s, 0)
            } else {
                (-s - 1, 1_000_000_000 - n)
            }
        }
    };
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let mut text = format!(
        "\"{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    );
    if nanos != 0 {
        let fraction = format!("{nanos:09}");
        text.push('.');
        text.push_str(fraction.trim_end_matches('0'));
    }
    text.push_str("Z\"");
    out.extend_from_slice(text.as_bytes());
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Appends a JSON object of labels, sorted by name.
fn write_labels<'a>(out: &mut Vec<u8>, labels: impl IntoIterator<Item = &'a LabelPair>) {
    let mut sorted: Vec<&LabelPair> = labels.into_iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    sorted.dedup_by(|a, b| a.name == b.name);
    out.push(b'{');
    for (i, pair) in sorted.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(out, &pair.name);
        out.push(b':');
        write_str(out, &pair.value);
    }
    out.push(b'}');
}

/// The body of `GET /api/v1/metrics`: one object per group, groups in grouping-key order (§17 Q1).
/// A group with a TTL deadline gets an `expires_at` key (our extension, spec §17).
pub(crate) fn metrics<'a>(
    groups: impl Iterator<Item = &'a Group>,
    deadline: impl Fn(&GroupingKey) -> Option<SystemTime>,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(4096);
    out.extend_from_slice(b"{\"status\":\"success\",\"data\":[");
    for (i, group) in groups.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_group(&mut out, group, deadline(group.key()));
    }
    out.extend_from_slice(b"]}");
    out
}

/// One group object: `labels`, `last_push_successful` and one key per family, all sorted
/// together as Go sorts one map (so a family named `labels` collides as in the reference, Q13;
/// we keep the group's own key; likewise `expires_at` when the group has a deadline).
fn write_group(out: &mut Vec<u8>, group: &Group, expires_at: Option<SystemTime>) {
    enum Entry<'a> {
        Labels,
        LastPush,
        ExpiresAt(SystemTime),
        Family(&'a StoredFamily),
    }
    let mut entries: Vec<(&str, Entry<'_>)> = vec![
        ("labels", Entry::Labels),
        ("last_push_successful", Entry::LastPush),
    ];
    if let Some(deadline) = expires_at {
        entries.push(("expires_at", Entry::ExpiresAt(deadline)));
    }
    for family in group.families() {
        let taken = match family.name() {
            "labels" | "last_push_successful" => true,
            "expires_at" => expires_at.is_some(),
            _ => false,
        };
        if !taken {
            entries.push((family.name(), Entry::Family(family)));
        }
    }
    entries.sort_by(|a, b| a.0.cmp(b.0));
    out.push(b'{');
    for (i, (key, entry)) in entries.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(out, key);
        out.push(b':');
        match entry {
            Entry::Labels => write_labels(out, group.key().labels()),
            Entry::LastPush => out.extend_from_slice(if group.last_push_successful() {
                b"true"
            } else {
                b"false"
            }),
            Entry::ExpiresAt(deadline) => write_time(out, *deadline),
            Entry::Family(family) => write_family(out, family),
        }
    }
    out.push(b'}');
}

/// A family object, in the reference struct's field order: `time_stamp`, `type`, `help`
/// (omitted when empty), `metrics`.
fn write_family(out: &mut Vec<u8>, family: &StoredFamily) {
    out.extend_from_slice(b"{\"time_stamp\":");
    write_time(out, family.last_push());
    out.extend_from_slice(b",\"type\":");
    write_str(out, family.metric_type().proto_name());
    if let Some(help) = family.help().filter(|h| !h.is_empty()) {
        out.extend_from_slice(b",\"help\":");
        write_str(out, help);
    }
    out.extend_from_slice(b",\"metrics\":[");
    for (i, metric) in family.metrics().iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_metric(out, metric);
    }
    out.extend_from_slice(b"]}");
}

/// A metric object, keys sorted: `buckets`, `count`, `labels`, `quantiles`, `sum`, `value`.
fn write_metric(out: &mut Vec<u8>, metric: &StoredMetric) {
    out.push(b'{');
    match metric.value() {
        Value::Counter(c) => {
            out.extend_from_slice(b"\"labels\":");
            write_labels(out, metric.labels());
            out.extend_from_slice(b",\"value\":");
            write_float(out, c.value);
        }
        Value::Gauge(v) | Value::Untyped(v) => {
            out.extend_from_slice(b"\"labels\":");
            write_labels(out, metric.labels());
            out.extend_from_slice(b",\"value\":");
            write_float(out, *v);
        }
        Value::Summary(s) => {
            out.extend_from_slice(b"\"count\":");
            write_uint(out, s.count);
            out.extend_from_slice(b",\"labels\":");
            write_labels(out, metric.labels());
            out.extend_from_slice(b",\"quantiles\":{");
            // A Go map keyed by the formatted quantile: sorted by that string, last one wins.
            let mut quantiles: Vec<(String, f64)> = s
                .quantiles
                .iter()
                .map(|q| (float::G(q.quantile).to_string(), q.value))
                .collect();
            sort_go_map(&mut quantiles);
            for (i, (quantile, value)) in quantiles.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_str(out, quantile);
                out.push(b':');
                write_float(out, *value);
            }
            out.extend_from_slice(b"},\"sum\":");
            write_float(out, s.sum);
        }
        Value::Histogram(h) => {
            // Classic buckets only, keyed by the formatted bound: 1.5.1 shows no native buckets
            // here (spec §13.2), so a native-only histogram has `"buckets":{}`.
            out.extend_from_slice(b"\"buckets\":{");
            let mut buckets: Vec<(String, Count)> = h
                .buckets
                .iter()
                .map(|b| (float::G(b.upper_bound).to_string(), b.cumulative_count))
                .collect();
            sort_go_map(&mut buckets);
            for (i, (bound, count)) in buckets.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_str(out, bound);
                out.push(b':');
                write_count(out, *count);
            }
            out.push(b'}');
            out.extend_from_slice(b",\"count\":");
            write_count(out, h.count);
            out.extend_from_slice(b",\"labels\":");
            write_labels(out, metric.labels());
            out.extend_from_slice(b",\"sum\":");
            write_float(out, h.sum);
        }
    }
    out.push(b'}');
}

/// Orders entries as a Go map with these keys marshals: sorted by key, the last of equal keys
/// winning (it overwrote the earlier ones when the map was filled).
fn sort_go_map<T>(entries: &mut Vec<(String, T)>) {
    entries.reverse();
    // A stable sort keeps the reversed order among equal keys, so `dedup` keeps the last one.
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    entries.dedup_by(|a, b| a.0 == b.0);
}
