//! The JSON API against the reference: the same pushes (text and protobuf; every metric type,
//! HELP, escapes, special floats, base64 grouping keys, a failed push) go to the Go Pushgateway
//! 1.5.1 and to pushgw-core's `Gateway`; then `/api/v1/metrics` must be the same JSON once the
//! groups are sorted (the reference's order is random, spec §5.2) and the times masked, and
//! `/api/v1/status` must have the same shape, with exactly the reference's flag names.

use pushgw_core::gateway::GatewayOptions;
use pushgw_core::model::{
    BucketSpan, Count, Histogram, LabelPair, Metric, MetricFamily, MetricType, NativeBuckets,
    NativeHistogram, Summary, Value,
};
use pushgw_core::proto;
use pushgw_tests::exposition::pushed_family_blocks;
use pushgw_tests::{GoPushgateway, InProcessGateway, http};
use serde_json::Value as Json;

const PROTOBUF: &str =
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";

/// (method, path, content type, body, expected status).
type Push = (&'static str, String, Option<&'static str>, Vec<u8>, u16);

fn text_pushes() -> Vec<Push> {
    let text = |method, path: &str, body: &str, status| {
        (
            method,
            path.to_owned(),
            None,
            body.as_bytes().to_vec(),
            status,
        )
    };
    vec![
        text(
            "PUT",
            "/metrics/job/api",
            "# HELP requests_total Requests \\\\ served\\n so far.\n# TYPE requests_total counter\n\
             requests_total{code=\"200\"} 1027\nrequests_total{code=\"500\"} 3\n\
             # TYPE temperature gauge\ntemperature{room=\"a \\\"quoted\\\" \\\\ path\\nline\"} -3.5\n\
             plain 42\n",
            200,
        ),
        text(
            "POST",
            "/metrics/job/api/instance/i1",
            "# HELP rpc_seconds RPC latency.\n# TYPE rpc_seconds summary\n\
             rpc_seconds{quantile=\"0.5\"} 0.05\nrpc_seconds{quantile=\"0.99\"} 1.5\n\
             rpc_seconds_sum 17.25\nrpc_seconds_count 120\n\
             # TYPE size_bytes histogram\nsize_bytes_bucket{le=\"100\"} 3\nsize_bytes_bucket{le=\"1e+06\"} 9\n\
             size_bytes_bucket{le=\"+Inf\"} 10\nsize_bytes_sum 2.5e6\nsize_bytes_count 10\n",
            200,
        ),
        text(
            "PUT",
            "/metrics/job@base64/YS9i/path@base64/L3Zhci9sb2c=",
            "specials{k=\"nan\"} NaN\nspecials{k=\"inf\"} +Inf\nspecials{k=\"-inf\"} -Inf\n\
             specials{k=\"big\"} 1e3\nspecials{k=\"neg0\"} -0\nspecials{k=\"tiny\"} 1.5e-7\n\
             specials{k=\"html\",v=\"<a&b>\"} 1\n",
            200,
        ),
        text(
            "PUT",
            // Not `job/api/instance/`: the reference keeps `{job="api"}` and
            // `{job="api",instance=""}` as two groups whose series collide (spec §12.6).
            "/metrics/job/api2/instance/",
            "with_empty_instance 1\n",
            200,
        ),
        text("PUT", "/metrics/job/spaced%20job/b/c+d", "x 1\n", 200),
        // Fails: the group records the failure time and `last_push_successful: false`.
        text("PUT", "/metrics/job/failing", "ok 1\n", 200),
        text("POST", "/metrics/job/failing", "stamped 1 1000\n", 400),
    ]
}

fn labels(pairs: &[(&str, &str)]) -> Vec<LabelPair> {
    pairs.iter().map(|(n, v)| LabelPair::new(*n, *v)).collect()
}

fn metric(pairs: &[(&str, &str)], value: Value) -> Metric {
    Metric {
        labels: labels(pairs),
        value,
        timestamp_ms: None,
    }
}

/// The reference's TestMetricsAPI fixture (spec §12.4): a summary without quantiles and the four
/// histograms (int/float classic, int/float native).
fn metrics_api_fixture() -> Vec<MetricFamily> {
    let classic = |count: Count, c1: Count, c2: Count| Histogram {
        count,
        sum: 99.23,
        buckets: vec![
            pushgw_core::model::Bucket {
                upper_bound: 250_000.0,
                cumulative_count: c1,
                exemplar: None,
            },
            pushgw_core::model::Bucket {
                upper_bound: 500_000.0,
                cumulative_count: c2,
                exemplar: None,
            },
        ],
        ..Histogram::default()
    };
    let spans = vec![
        BucketSpan {
            offset: 0,
            length: 2,
        },
        BucketSpan {
            offset: 0,
            length: 2,
        },
    ];
    let native = |count: Count, buckets: NativeBuckets| Histogram {
        count,
        sum: 99.23,
        native: Some(NativeHistogram {
            schema: 1,
            negative_spans: spans.clone(),
            negative: buckets.clone(),
            positive_spans: spans.clone(),
            positive: buckets,
            ..NativeHistogram::default()
        }),
        ..Histogram::default()
    };
    let testing = |t| [("testing", t)];
    vec![
        MetricFamily {
            name: "mf1".to_owned(),
            help: None,
            metric_type: MetricType::Summary,
            unit: None,
            metrics: vec![metric(&[], Value::Summary(Summary::default()))],
        },
        MetricFamily {
            name: "mfh".to_owned(),
            help: None,
            metric_type: MetricType::Histogram,
            unit: None,
            metrics: vec![
                metric(
                    &testing("int classic histogram"),
                    Value::Histogram(Box::new(classic(
                        Count::Int(20),
                        Count::Int(3),
                        Count::Int(17),
                    ))),
                ),
                metric(
                    &testing("float classic histogram"),
                    Value::Histogram(Box::new(classic(
                        Count::Float(20.0),
                        Count::Float(3.0),
                        Count::Float(17.0),
                    ))),
                ),
                metric(
                    &testing("int native histogram"),
                    Value::Histogram(Box::new(native(
                        Count::Int(20),
                        NativeBuckets::Deltas(vec![0, 2, -2, 0]),
                    ))),
                ),
                metric(
                    &testing("float native histogram"),
                    Value::Histogram(Box::new(native(
                        Count::Float(20.0),
                        NativeBuckets::Counts(vec![2.0, 2.0, -2.0, 0.0]),
                    ))),
                ),
            ],
        },
    ]
}

fn protobuf_pushes() -> Vec<Push> {
    let encode = |families: &[MetricFamily]| {
        let mut out = Vec::new();
        proto::encode(families, &mut out);
        out
    };
    let counter_and_gauge = vec![
        MetricFamily {
            name: "pb_counter".to_owned(),
            help: Some("A <counter> & more.".to_owned()),
            metric_type: MetricType::Counter,
            unit: None,
            metrics: vec![metric(
                &[("k", "v\"\\")],
                Value::Counter(pushgw_core::model::Counter {
                    value: 7.0,
                    ..Default::default()
                }),
            )],
        },
        MetricFamily {
            name: "pb_gauge".to_owned(),
            help: Some(String::new()),
            metric_type: MetricType::Gauge,
            unit: None,
            metrics: vec![metric(&[], Value::Gauge(0.25))],
        },
        MetricFamily {
            name: "pb_untyped".to_owned(),
            help: None,
            metric_type: MetricType::Untyped,
            unit: None,
            metrics: vec![metric(&[("instance", "from_body")], Value::Untyped(-1.0))],
        },
    ];
    vec![
        (
            "PUT",
            "/metrics/job/Bj%C3%B6rn/instance/inst'a%22n%5Cce1".to_owned(),
            Some(PROTOBUF),
            encode(&metrics_api_fixture()),
            200,
        ),
        (
            "POST",
            "/metrics/job@base64/cHJvdG8/zone@base64/ZXUtd2VzdA".to_owned(),
            Some(PROTOBUF),
            encode(&counter_and_gauge),
            200,
        ),
    ]
}

/// The pushed families of a scrape, with the values of the two push-time gauges masked
/// unless they are `0`.
fn masked_exposition(exposition: &str) -> String {
    let mut out = String::new();
    for block in pushed_family_blocks(exposition) {
        let timed = block.name == "push_time_seconds" || block.name == "push_failure_time_seconds";
        // KNOWN DIFFERENCE, reported to the lead: 1.5.1's text renderer (common v0.39) reads only
        // the integer counts, so a float-count histogram scrapes as `_count 0` and buckets `0`;
        // our renderer prints the float counts (20, 3, 17). The JSON API does match (json.rs).
        for line in block
            .text
            .lines()
            .filter(|line| !line.contains("testing=\"float "))
        {
            match line.rsplit_once(' ') {
                Some((series, value)) if timed && !line.starts_with('#') && value != "0" => {
                    out.push_str(&format!("{series} T\n"));
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

/// Sorts the groups by their `labels` and masks every time: `time_stamp` values, and the values
/// of `push_time_seconds` and `push_failure_time_seconds` unless they are `"0"`.
fn normalised(body: &[u8]) -> Json {
    let mut json: Json = serde_json::from_slice(body).expect("the API answers JSON");
    let groups = json["data"]
        .as_array_mut()
        .expect("`data` is an array of groups");
    for group in groups.iter_mut() {
        let group = group.as_object_mut().expect("a group is an object");
        for (name, family) in group.iter_mut() {
            let Some(family) = family.as_object_mut() else {
                continue;
            };
            if family.contains_key("time_stamp") {
                family.insert("time_stamp".to_owned(), Json::from("T"));
            }
            if name == "push_time_seconds" || name == "push_failure_time_seconds" {
                for metric in family["metrics"].as_array_mut().into_iter().flatten() {
                    if metric["value"] != "0" {
                        metric["value"] = Json::from("T");
                    }
                }
            }
        }
    }
    groups.sort_by_key(|group| group["labels"].to_string());
    json
}

#[test]
fn metrics_api_matches_the_reference() {
    let go = GoPushgateway::start(&[]);
    let ours = InProcessGateway::start(GatewayOptions::default());
    for (method, path, content_type, body, status) in
        text_pushes().into_iter().chain(protobuf_pushes())
    {
        let headers: Vec<(&str, &str)> = content_type
            .map(|c| ("Content-Type", c))
            .into_iter()
            .collect();
        for (who, url) in [("Go", go.url(&path)), ("ours", ours.url(&path))] {
            let response = http::request(method, &url, &headers, &body)
                .unwrap_or_else(|e| panic!("{who}: {e}"));
            assert_eq!(
                response.status,
                status,
                "{who}: {method} {path}: {}",
                response.text()
            );
        }
    }
    // The same pushes on `/metrics` (the JSON API's masking does not apply there).
    let theirs = http::get(&go.url("/metrics")).expect("Go's scrape");
    let mine = http::get(&ours.url("/metrics")).expect("our scrape");
    assert_eq!(
        masked_exposition(&theirs.text()),
        masked_exposition(&mine.text()),
        "/metrics (Go, ours)"
    );
    let theirs = http::get(&go.url("/api/v1/metrics")).expect("Go's API");
    let mine = http::get(&ours.url("/api/v1/metrics")).expect("our API");
    let (theirs, mine) = (normalised(&theirs.body), normalised(&mine.body));
    let pretty = |json: &Json| serde_json::to_string_pretty(json).expect("printable");
    if theirs != mine {
        let (theirs, mine) = (pretty(&theirs), pretty(&mine));
        let differing: Vec<String> = theirs
            .lines()
            .zip(mine.lines())
            .enumerate()
            .filter(|(_, (a, b))| a != b)
            .take(20)
            .map(|(line, (a, b))| format!("line {line}: Go `{a}` vs ours `{b}`"))
            .collect();
        panic!(
            "API differs:\n{}\n--- Go ---\n{theirs}\n--- ours ---\n{mine}",
            differing.join("\n")
        );
    }
}

/// Flags of the sidecar that the reference does not have (spec §17 Q12).
const SIDECAR_ONLY_FLAGS: &[&str] = &[
    "web.max-body-bytes",
    "web.read-header-timeout",
    "web.read-timeout",
];

/// Keys of a JSON object, sorted.
fn keys(json: &Json) -> Vec<String> {
    let mut keys: Vec<String> = json
        .as_object()
        .expect("an object")
        .keys()
        .cloned()
        .collect();
    keys.sort();
    keys
}

#[test]
fn status_api_has_the_reference_shape() {
    let args = ["--web.enable-admin-api", "--web.route-prefix=/p"];
    let go = GoPushgateway::start(&args);
    let sidecar_args = ["pushgw-sidecar", args[0], args[1]];
    let pushgw_sidecar::flags::Outcome::Run(flags) =
        pushgw_sidecar::flags::Flags::parse_args(sidecar_args)
    else {
        panic!("the sidecar accepts {sidecar_args:?}");
    };
    let ours = InProcessGateway::start(GatewayOptions {
        route_prefix: "/p".to_owned(),
        enable_admin_api: true,
        flags: flags.status(),
        build_information: pushgw_sidecar::build_info::BuildInfo::current().status_entries(),
        ..GatewayOptions::default()
    });
    let theirs = http::get(&go.url("/p/api/v1/status"))
        .and_then(|r| r.json())
        .expect("Go's status");
    let mine = http::get(&ours.url("/p/api/v1/status"))
        .and_then(|r| r.json())
        .expect("our status");
    assert_eq!(keys(&theirs), keys(&mine));
    assert_eq!(keys(&theirs["data"]), keys(&mine["data"]));
    assert_eq!(
        keys(&theirs["data"]["build_information"]),
        keys(&mine["data"]["build_information"])
    );
    // The sidecar also lists its own flags for the request caps and timeouts (spec §17 Q12);
    // everything else is exactly the reference's list, Debian's `web.local-assets` included.
    let our_flags: Vec<String> = keys(&mine["data"]["flags"])
        .into_iter()
        .filter(|name| !SIDECAR_ONLY_FLAGS.contains(&name.as_str()))
        .collect();
    assert_eq!(
        keys(&theirs["data"]["flags"]),
        our_flags,
        "flag names (Go, ours)"
    );
    for flag in [
        "web.enable-admin-api",
        "web.route-prefix",
        "web.telemetry-path",
        "persistence.interval",
        "web.enable-lifecycle",
        "push.disable-consistency-check",
    ] {
        assert_eq!(
            theirs["data"]["flags"][flag], mine["data"]["flags"][flag],
            "flag {flag}"
        );
    }
}
