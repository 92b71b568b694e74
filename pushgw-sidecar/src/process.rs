//! The gateway's `process_*` metrics, read from `/proc/self` as client_golang's process
//! collector reads them (spec §10, §17 D1): CPU time, open and maximum file descriptors,
//! virtual and resident memory, the virtual memory limit, and the start time.
//!
//! A value that cannot be read is left out rather than reported wrong.

use pushgw_core::model::{Counter, Metric, MetricFamily, MetricType, Value};

/// Clock ticks per second for `/proc/<pid>/stat` times; 100 on every Linux architecture the
/// gateway runs on (`sysconf(_SC_CLK_TCK)` needs libc).
const TICKS_PER_SECOND: f64 = 100.0;
const PAGE_SIZE: f64 = 4096.0;

/// The `process_*` families of this process; the HELP texts are the gateway's own (the core
/// declares them), so only names, types and values matter here.
pub fn collect() -> Vec<MetricFamily> {
    let mut families = Vec::new();
    let mut push = |name: &str, metric_type: MetricType, value: f64| {
        let value = match metric_type {
            MetricType::Counter => Value::Counter(Counter {
                value,
                ..Counter::default()
            }),
            _ => Value::Gauge(value),
        };
        families.push(MetricFamily {
            name: name.to_owned(),
            help: Some(help(name).to_owned()),
            metric_type,
            unit: None,
            metrics: vec![Metric {
                labels: Vec::new(),
                value,
                timestamp_ms: None,
            }],
        });
    };
    if let Some(stat) = Stat::read() {
        push(
            "process_cpu_seconds_total",
            MetricType::Counter,
            (stat.utime + stat.stime) / TICKS_PER_SECOND,
        );
        push(
            "process_virtual_memory_bytes",
            MetricType::Gauge,
            stat.vsize,
        );
        push(
            "process_resident_memory_bytes",
            MetricType::Gauge,
            stat.rss_pages * PAGE_SIZE,
        );
        if let Some(boot) = boot_time() {
            push(
                "process_start_time_seconds",
                MetricType::Gauge,
                boot + stat.starttime / TICKS_PER_SECOND,
            );
        }
    }
    if let Ok(entries) = std::fs::read_dir("/proc/self/fd") {
        push(
            "process_open_fds",
            MetricType::Gauge,
            entries.count() as f64,
        );
    }
    if let Ok(limits) = std::fs::read_to_string("/proc/self/limits") {
        if let Some(max) = limit(&limits, "Max open files") {
            push("process_max_fds", MetricType::Gauge, max);
        }
        if let Some(max) = limit(&limits, "Max address space") {
            push("process_virtual_memory_max_bytes", MetricType::Gauge, max);
        }
    }
    families.sort_by(|a, b| a.name.cmp(&b.name));
    families
}

fn help(name: &str) -> &'static str {
    match name {
        "process_cpu_seconds_total" => "Total user and system CPU time spent in seconds.",
        "process_max_fds" => "Maximum number of open file descriptors.",
        "process_open_fds" => "Number of open file descriptors.",
        "process_resident_memory_bytes" => "Resident memory size in bytes.",
        "process_start_time_seconds" => "Start time of the process since unix epoch in seconds.",
        "process_virtual_memory_bytes" => "Virtual memory size in bytes.",
        _ => "Maximum amount of virtual memory available in bytes.",
    }
}

/// The fields of `/proc/self/stat` the collector uses.
struct Stat {
    utime: f64,
    stime: f64,
    starttime: f64,
    vsize: f64,
    rss_pages: f64,
}

impl Stat {
    fn read() -> Option<Stat> {
        let text = std::fs::read_to_string("/proc/self/stat").ok()?;
        // The command name may contain spaces and parentheses; fields start after the last `)`.
        let rest = &text[text.rfind(')')? + 2..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        // Numbered from the state field (3 in proc(5)): utime 14, stime 15, starttime 22,
        // vsize 23, rss 24.
        let field = |n: usize| fields.get(n - 3)?.parse::<f64>().ok();
        Some(Stat {
            utime: field(14)?,
            stime: field(15)?,
            starttime: field(22)?,
            vsize: field(23)?,
            rss_pages: field(24)?,
        })
    }
}

/// Boot time in Unix seconds, from `btime` in `/proc/stat`.
fn boot_time() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/stat").ok()?;
    text.lines()
        .find_map(|line| line.strip_prefix("btime "))
        .and_then(|value| value.trim().parse().ok())
}

/// The soft limit of a `/proc/self/limits` row; `unlimited` is reported as Go does, as the
/// largest uint64 converted to a float.
fn limit(limits: &str, row: &str) -> Option<f64> {
    let line = limits.lines().find(|line| line.starts_with(row))?;
    let soft = line[row.len()..].split_whitespace().next()?;
    if soft == "unlimited" {
        Some(u64::MAX as f64)
    } else {
        soft.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let families = collect();
        let names: Vec<&str> = families.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "process_cpu_seconds_total",
                "process_max_fds",
                "process_open_fds",
                "process_resident_memory_bytes",
                "process_start_time_seconds",
                "process_virtual_memory_bytes",
                "process_virtual_memory_max_bytes",
            ]
        );
        let value = |name: &str| match &families
            .iter()
            .find(|f| f.name == name)
            .map(|f| &f.metrics[0].value)
        {
            Some(Value::Gauge(v)) => *v,
            Some(Value::Counter(c)) => c.value,
            other => panic!("{name}: {other:?}"),
        };
        assert!(value("process_open_fds") >= 3.0);
        assert!(value("process_resident_memory_bytes") > 1e6);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970")
            .as_secs_f64();
        let started = value("process_start_time_seconds");
        assert!(
            started <= now + 1.0 && started > now - 86_400.0 * 365.0,
            "{started}"
        );
    }

    #[test]
    fn limits_parse_numbers_and_unlimited() {
        let limits = "Limit                     Soft Limit           Hard Limit           Units     \nMax open files            1024                 524288               files     \nMax address space         unlimited            unlimited            bytes     \n";
        assert_eq!(limit(limits, "Max open files"), Some(1024.0));
        assert_eq!(limit(limits, "Max address space"), Some(u64::MAX as f64));
    }
}
