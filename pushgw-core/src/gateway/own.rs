//! The gateway's own metric families (spec §10, §17 D1): `pushgateway_build_info`, the HTTP
//! request counter, and `process_*` from whoever can read them. No `go_*`: a Rust server cannot
//! truthfully produce them.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use http::{Method, StatusCode};

use super::GatewayOptions;
use super::summary::WindowedSummary;
use crate::model::{Counter, LabelPair, Metric, MetricFamily, MetricType, Value};
use crate::store::{HelpPolicy, OwnFamily};

/// A source of the gateway's `process_*` families (client_golang's names, types and HELP), read
/// at every scrape. The sidecar reads `/proc`; the core itself never does I/O.
///
/// ```
/// use pushgw_core::gateway::{GatewayOptions, ProcessMetrics};
/// fn none() -> Vec<pushgw_core::MetricFamily> { Vec::new() }
/// let options = GatewayOptions { process_metrics: Some(none as ProcessMetrics), ..Default::default() };
/// assert!(options.process_metrics.is_some());
/// ```
pub type ProcessMetrics = fn() -> Vec<MetricFamily>;

const BUILD_INFO: &str = "pushgateway_build_info";
const BUILD_INFO_HELP: &str = "A metric with a constant '1' value labeled by version, revision, branch, goversion from which pushgateway was built, and the goos and goarch for the build.";
const REQUESTS: &str = "pushgateway_http_requests_total";
const REQUESTS_HELP: &str = "Total HTTP requests processed by the Pushgateway, excluding scrapes.";
const PUSH_SIZE: &str = "pushgateway_http_push_size_bytes";
const PUSH_SIZE_HELP: &str = "HTTP request size for pushes to the Pushgateway.";
const PUSH_DURATION: &str = "pushgateway_http_push_duration_seconds";
const PUSH_DURATION_HELP: &str = "HTTP request duration for pushes to the Pushgateway.";
/// Our extension (spec §17): groups removed because their TTL ran out. Exposed only while expiry
/// is in use, so that a gateway without it exposes exactly the reference's families.
const EXPIRED: &str = "pushgw_expired_groups_total";
const EXPIRED_HELP: &str = "Total groups deleted by the Pushgateway because their TTL expired.";

/// `process_*` families as client_golang's process collector declares them.
const PROCESS: [(&str, MetricType, &str); 7] = [
    (
        "process_cpu_seconds_total",
        MetricType::Counter,
        "Total user and system CPU time spent in seconds.",
    ),
    (
        "process_max_fds",
        MetricType::Gauge,
        "Maximum number of open file descriptors.",
    ),
    (
        "process_open_fds",
        MetricType::Gauge,
        "Number of open file descriptors.",
    ),
    (
        "process_resident_memory_bytes",
        MetricType::Gauge,
        "Resident memory size in bytes.",
    ),
    (
        "process_start_time_seconds",
        MetricType::Gauge,
        "Start time of the process since unix epoch in seconds.",
    ),
    (
        "process_virtual_memory_bytes",
        MetricType::Gauge,
        "Virtual memory size in bytes.",
    ),
    (
        "process_virtual_memory_max_bytes",
        MetricType::Gauge,
        "Maximum amount of virtual memory available in bytes.",
    ),
];

/// Every family name the gateway exposes itself, for the store's consistency check: pushes of
/// these names must have the same type; a different HELP is replaced for the families the
/// reference gathers at start-up and refused for its HTTP metric vectors (spec §4.3).
pub(super) fn declared_families() -> Vec<OwnFamily> {
    let mut families = vec![
        OwnFamily {
            name: BUILD_INFO.to_owned(),
            metric_type: MetricType::Gauge,
            help: BUILD_INFO_HELP.to_owned(),
            help_policy: HelpPolicy::Override,
        },
        OwnFamily {
            name: REQUESTS.to_owned(),
            metric_type: MetricType::Counter,
            help: REQUESTS_HELP.to_owned(),
            help_policy: HelpPolicy::Require,
        },
        OwnFamily {
            name: PUSH_SIZE.to_owned(),
            metric_type: MetricType::Summary,
            help: PUSH_SIZE_HELP.to_owned(),
            help_policy: HelpPolicy::Require,
        },
        OwnFamily {
            name: PUSH_DURATION.to_owned(),
            metric_type: MetricType::Summary,
            help: PUSH_DURATION_HELP.to_owned(),
            help_policy: HelpPolicy::Require,
        },
        // Declared even while not exposed, so that what is pushed under this name never
        // conflicts with it once expiry is switched on.
        OwnFamily {
            name: EXPIRED.to_owned(),
            metric_type: MetricType::Counter,
            help: EXPIRED_HELP.to_owned(),
            help_policy: HelpPolicy::Override,
        },
    ];
    families.extend(PROCESS.iter().map(|&(name, metric_type, help)| OwnFamily {
        name: name.to_owned(),
        metric_type,
        help: help.to_owned(),
        help_policy: HelpPolicy::Override,
    }));
    families
}

/// The reference's HTTP metrics: `pushgateway_http_requests_total` by `(code, handler, method)`,
/// and the size and duration summaries of pushes by `method`. Series appear with their first
/// observation, as client_golang's vectors start empty.
#[derive(Debug, Default)]
pub(super) struct HttpMetrics {
    counts: BTreeMap<(u16, &'static str, &'static str), u64>,
    push_sizes: BTreeMap<&'static str, WindowedSummary>,
    push_durations: BTreeMap<&'static str, WindowedSummary>,
}

impl HttpMetrics {
    /// Counts one answered request of an instrumented handler.
    pub(super) fn count(&mut self, status: StatusCode, handler: &'static str, method: &Method) {
        *self
            .counts
            .entry((status.as_u16(), handler, method_label(method)))
            .or_default() += 1;
    }

    /// Records the approximate size of a push request (see [`approximate_request_size`]).
    pub(super) fn observe_push_size(
        &mut self,
        method: &'static str,
        bytes: usize,
        now: SystemTime,
    ) {
        self.push_sizes
            .entry(method)
            .or_default()
            .observe(bytes as f64, now);
    }

    /// Records how long a push took to answer, as measured by the server.
    pub(super) fn observe_push_duration(
        &mut self,
        method: &'static str,
        elapsed: Duration,
        now: SystemTime,
    ) {
        self.push_durations
            .entry(method)
            .or_default()
            .observe(elapsed.as_secs_f64(), now);
    }
}

/// client_golang's `computeApproximateRequestSize`: the request URI, method, protocol, header
/// names and values (Go keeps `Host` apart from the headers and counts it once) and the declared
/// `Content-Length` (nothing for a chunked body).
pub(super) fn approximate_request_size(parts: &http::request::Parts) -> usize {
    let uri = parts
        .uri
        .path_and_query()
        .map_or(parts.uri.path().len(), |pq| pq.as_str().len());
    let protocol = match parts.version {
        http::Version::HTTP_09 => "HTTP/0.9",
        http::Version::HTTP_10 => "HTTP/1.0",
        http::Version::HTTP_2 => "HTTP/2.0",
        http::Version::HTTP_3 => "HTTP/3.0",
        _ => "HTTP/1.1",
    };
    let headers: usize = parts
        .headers
        .iter()
        .filter(|(name, _)| *name != http::header::HOST)
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    let host = parts.headers.get(http::header::HOST).map_or_else(
        || parts.uri.authority().map_or(0, |a| a.as_str().len()),
        |h| h.len(),
    );
    let content_length = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse::<usize>().ok())
        .unwrap_or(0);
    uri + parts.method.as_str().len() + protocol.len() + headers + host + content_length
}

/// client_golang's `sanitizeMethod`: lower-case standard methods, `unknown` otherwise.
pub(super) fn method_label(method: &Method) -> &'static str {
    match method.as_str() {
        "GET" => "get",
        "PUT" => "put",
        "HEAD" => "head",
        "POST" => "post",
        "DELETE" => "delete",
        "CONNECT" => "connect",
        "OPTIONS" => "options",
        "NOTIFY" => "notify",
        "TRACE" => "trace",
        "PATCH" => "patch",
        _ => "unknown",
    }
}

/// The gateway's own families with their current values.
pub(super) fn families(
    options: &GatewayOptions,
    http: &HttpMetrics,
    expired_groups: Option<u64>,
    process: Option<Vec<MetricFamily>>,
    now: SystemTime,
) -> Vec<MetricFamily> {
    let info = |key: &str| {
        options
            .build_information
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let goarch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    };
    let mut families = vec![MetricFamily {
        name: BUILD_INFO.to_owned(),
        help: Some(BUILD_INFO_HELP.to_owned()),
        metric_type: MetricType::Gauge,
        unit: None,
        metrics: vec![Metric {
            labels: vec![
                LabelPair::new("branch", info("branch")),
                LabelPair::new("goarch", goarch),
                LabelPair::new("goos", std::env::consts::OS),
                LabelPair::new("goversion", info("goVersion")),
                LabelPair::new("revision", info("revision")),
                LabelPair::new("version", info("version")),
            ],
            value: Value::Gauge(1.0),
            timestamp_ms: None,
        }],
    }];
    for (name, help, summaries) in [
        (PUSH_DURATION, PUSH_DURATION_HELP, &http.push_durations),
        (PUSH_SIZE, PUSH_SIZE_HELP, &http.push_sizes),
    ] {
        if summaries.is_empty() {
            continue;
        }
        families.push(MetricFamily {
            name: name.to_owned(),
            help: Some(help.to_owned()),
            metric_type: MetricType::Summary,
            unit: None,
            metrics: summaries
                .iter()
                .map(|(&method, summary)| Metric {
                    labels: vec![LabelPair::new("method", method)],
                    value: Value::Summary(summary.value(now)),
                    timestamp_ms: None,
                })
                .collect(),
        });
    }
    if !http.counts.is_empty() {
        families.push(MetricFamily {
            name: REQUESTS.to_owned(),
            help: Some(REQUESTS_HELP.to_owned()),
            metric_type: MetricType::Counter,
            unit: None,
            metrics: http
                .counts
                .iter()
                .map(|(&(code, handler, method), &count)| Metric {
                    labels: vec![
                        LabelPair::new("code", code.to_string()),
                        LabelPair::new("handler", handler),
                        LabelPair::new("method", method),
                    ],
                    value: Value::Counter(Counter {
                        value: count as f64,
                        ..Counter::default()
                    }),
                    timestamp_ms: None,
                })
                .collect(),
        });
    }
    if let Some(expired) = expired_groups {
        families.push(MetricFamily {
            name: EXPIRED.to_owned(),
            help: Some(EXPIRED_HELP.to_owned()),
            metric_type: MetricType::Counter,
            unit: None,
            metrics: vec![Metric {
                labels: Vec::new(),
                value: Value::Counter(Counter {
                    value: expired as f64,
                    ..Counter::default()
                }),
                timestamp_ms: None,
            }],
        });
    }
    // Only the declared process families, so that pushes were checked against them.
    families.extend(
        process
            .unwrap_or_default()
            .into_iter()
            .filter(|family| PROCESS.iter().any(|(name, _, _)| *name == family.name)),
    );
    families
}

/// The store's gathered families with the gateway's own merged in by name (spec §4.1, §4.2):
/// an own family's HELP and TYPE win, and its series come first, as they carry fewer labels than
/// any pushed series (which always have `job` and `instance`).
pub(super) fn merge(gathered: Vec<MetricFamily>, own: Vec<MetricFamily>) -> Vec<MetricFamily> {
    let mut merged: BTreeMap<String, MetricFamily> = gathered
        .into_iter()
        .map(|family| (family.name.clone(), family))
        .collect();
    for mut family in own.into_iter().filter(|family| !family.metrics.is_empty()) {
        if let Some(stored) = merged.remove(&family.name) {
            family.metrics.extend(stored.metrics);
        }
        merged.insert(family.name.clone(), family);
    }
    merged.into_values().collect()
}
