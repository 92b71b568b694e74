//! Snapshot round trips through the gateway, and corruption of every kind.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use expect_test::expect;
use proptest::prelude::*;

use super::*;
use crate::gateway::{Gateway, GatewayOptions};
use crate::model::{
    BucketSpan, Count, Exemplar, Histogram, Metric, MetricType, NativeBuckets, NativeHistogram,
    Value,
};

fn at(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_nanos(123_456_789)
}

fn request(
    method: &str,
    uri: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> http::Request<Bytes> {
    let mut builder = http::Request::builder().method(method).uri(uri);
    if let Some(content_type) = content_type {
        builder = builder.header("content-type", content_type);
    }
    builder.body(Bytes::from(body)).expect("a valid request")
}

#[track_caller]
fn push(gateway: &Gateway, uri: &str, body: &str, now: SystemTime, status: u16) {
    let response = gateway.handle(request("PUT", uri, None, body.into()), now);
    assert_eq!(response.status(), status, "{uri}: {:?}", response.body());
}

fn get(gateway: &Gateway, uri: &str) -> Bytes {
    let response = gateway.handle(request("GET", uri, None, Vec::new()), at(1_000));
    assert_eq!(response.status(), 200);
    response.into_body()
}

fn native_histogram_family() -> MetricFamily {
    MetricFamily {
        name: "latency_seconds".into(),
        help: Some("Native.".into()),
        metric_type: MetricType::Histogram,
        unit: None,
        metrics: vec![Metric {
            labels: vec![LabelPair::new("path", "/a")],
            value: Value::Histogram(Box::new(Histogram {
                count: Count::Int(7),
                sum: 1.5,
                buckets: Vec::new(),
                created: None,
                native: Some(NativeHistogram {
                    schema: 3,
                    zero_threshold: 1e-128,
                    zero_count: Count::Int(1),
                    negative_spans: vec![BucketSpan {
                        offset: -2,
                        length: 1,
                    }],
                    negative: NativeBuckets::Deltas(vec![2]),
                    positive_spans: vec![
                        BucketSpan {
                            offset: 0,
                            length: 2,
                        },
                        BucketSpan {
                            offset: 3,
                            length: 1,
                        },
                    ],
                    positive: NativeBuckets::Deltas(vec![1, 1, -1]),
                    exemplars: vec![Exemplar {
                        labels: vec![LabelPair::new("trace_id", "abc")],
                        value: 0.25,
                        timestamp: None,
                    }],
                }),
            })),
            timestamp_ms: None,
        }],
    }
}

/// A gateway holding every kind of content a store can have.
fn varied_gateway(options: GatewayOptions) -> Gateway {
    let gateway = Gateway::new(options);
    push(
        &gateway,
        "/metrics/job/batch/instance/a",
        concat!(
            "# HELP requests_total Requests, with \\\\ and \\n escapes.\n",
            "# TYPE requests_total counter\n",
            "requests_total{code=\"200\",path=\"/q\\\"uoted\\\\\\n\"} 10\n",
            "# TYPE temperature gauge\n",
            "temperature NaN\n",
            "# TYPE rpc summary\n",
            "rpc{quantile=\"0.5\"} 1\nrpc_sum 5\nrpc_count 3\n",
            "# TYPE size histogram\n",
            "size_bucket{le=\"1\"} 1\nsize_bucket{le=\"+Inf\"} 2\nsize_sum 3\nsize_count 2\n",
            "plain -Inf\n",
        ),
        at(100),
        200,
    );
    // Grouping key values that need base64 (a slash, the empty value), UTF-8 in a label value.
    push(
        &gateway,
        "/metrics/job@base64/c2xhc2gvam9i/zone@base64/=",
        "# HELP unicode Help with ünï.\nunicode{v=\"ünï\"} 2\n",
        at(200),
        200,
    );
    // A native histogram, over protobuf.
    let mut body = Vec::new();
    proto::encode_family(&native_histogram_family(), &mut body);
    let response = gateway.handle(
        request(
            "POST",
            "/metrics/job/native",
            Some("application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"),
            body,
        ),
        at(300),
    );
    assert_eq!(response.status(), 200);
    // A failed push after a good one (timestamps), and a group made by a failed push only.
    push(
        &gateway,
        "/metrics/job/batch/instance/a",
        "t 1 1000\n",
        at(400),
        400,
    );
    push(
        &gateway,
        "/metrics/job/failed_only",
        "t 1 1000\n",
        at(500),
        400,
    );
    // A group with a TTL deadline.
    push(
        &gateway,
        "/metrics/job/expiring?ttl=10m",
        "e 1\n",
        at(600),
        200,
    );
    gateway
}

/// The store as `/metrics` and `/api/v1/metrics` show it, without the gateway's own HTTP metrics
/// and expiry counter, which belong to the process rather than the store.
fn observe(gateway: &Gateway) -> (String, Bytes) {
    let text = get(gateway, "/metrics");
    let text = std::str::from_utf8(&text)
        .expect("the text format is UTF-8")
        .lines()
        .filter(|line| {
            !line.contains("pushgateway_http_") && !line.contains("pushgw_expired_groups_total")
        })
        .collect::<Vec<_>>()
        .join("\n");
    (text, get(gateway, "/api/v1/metrics"))
}

#[test]
fn a_varied_store_round_trips_exactly() {
    let original = varied_gateway(GatewayOptions::default());
    let bytes = original.snapshot();

    let restarted = Gateway::new(GatewayOptions::default());
    restarted
        .restore(&bytes)
        .expect("a fresh snapshot restores");
    let before = observe(&original);
    assert_eq!(observe(&restarted), before);
    assert!(
        std::str::from_utf8(&before.1)
            .unwrap()
            .contains("\"expires_at\":\"1970-01-01T00:20:00.123456789Z\"")
    );
    // Deterministic: the restored store snapshots to the same bytes.
    assert_eq!(restarted.snapshot(), bytes);
    // And the deadline survived: the group goes at the same time in both.
    assert_eq!(restarted.expire(at(600 + 599)), 0);
    assert_eq!(restarted.expire(at(600 + 600)), 1);
}

#[test]
fn restore_replaces_the_store() {
    let gateway = varied_gateway(GatewayOptions::default());
    let empty = Gateway::new(GatewayOptions::default()).snapshot();
    gateway.restore(&empty).expect("an empty snapshot restores");
    assert_eq!(
        get(&gateway, "/api/v1/metrics"),
        r#"{"status":"success","data":[]}"#
    );
    assert_eq!(gateway.snapshot(), empty);
}

#[test]
fn a_failure_midway_leaves_the_store_and_ends_the_groups() {
    let gateway = varied_gateway(GatewayOptions::default());
    let bytes = gateway.snapshot();
    let before = observe(&gateway);
    // Two good groups, then a group without a job: the third item is the error, nothing follows.
    let mut broken = b"\x03".to_vec();
    for group in groups_of(&bytes).into_iter().take(2) {
        broken.extend(group_bytes(&group.expect("a fresh snapshot decodes")));
    }
    broken.extend_from_slice(b"\x00\x00\x00\x00");
    let broken = with_header(&broken);
    let items: Vec<_> = groups_of(&broken);
    assert_eq!(items.len(), 3, "two groups, then the error, then nothing");
    assert!(items[..2].iter().all(Result::is_ok));
    assert_eq!(
        items[2].as_ref().unwrap_err().to_string(),
        format!(
            "invalid snapshot content at byte {}: invalid grouping key: job name is required",
            broken.len() - 4
        )
    );
    // The gateway restoring it keeps everything it had, and its generation.
    let generation = gateway.generation();
    assert!(gateway.restore(&broken).is_err());
    assert_eq!(observe(&gateway), before);
    assert_eq!(gateway.generation(), generation);
    // A successful restore, even of the same content, is a new generation.
    gateway.restore(&bytes).expect("its own snapshot restores");
    assert!(gateway.generation() > generation);
}

fn groups_of(bytes: &[u8]) -> Vec<Result<SnapshotGroup, SnapshotError>> {
    groups(bytes).expect("the header checks").collect()
}

/// The payload bytes of one group: encoded alone, minus the header and the group count.
fn group_bytes(group: &SnapshotGroup) -> Vec<u8> {
    let gateway = Gateway::new(GatewayOptions::default());
    gateway
        .restore_groups([Ok(group.clone())])
        .expect("a decoded group restores");
    let bytes = gateway.snapshot();
    bytes[HEADER_LEN + 1..].to_vec()
}

#[test]
fn the_layout_is_as_documented() {
    let gateway = Gateway::new(GatewayOptions::default());
    push(&gateway, "/metrics/job/j", "m 1\n", at(1), 200);
    let bytes = gateway.snapshot();
    let hex: Vec<String> = bytes
        .chunks(24)
        .map(|chunk| format!("{chunk:02x?}"))
        .collect();
    expect![[r#"
        [
            "[50, 55, 53, 48, 47, 57, 00, 53, 01, 00, 00, 00, 31, 01, 00, 00, 00, 00, 00, 00, 9e, 10, 3e, 89]",
            "[01, 01, 03, 6a, 6f, 62, 01, 6a, 00, 03, 02, 95, 9a, ef, 3a, 02, 95, 9a, ef, 3a, 02, 95, 9a, ef]",
            "[3a, 96, 02, 20, 0a, 01, 6d, 18, 03, 22, 19, 0a, 0c, 0a, 08, 69, 6e, 73, 74, 61, 6e, 63, 65, 12]",
            "[00, 2a, 09, 09, 00, 00, 00, 00, 00, 00, f0, 3f, 7c, 0a, 19, 70, 75, 73, 68, 5f, 66, 61, 69, 6c]",
            "[75, 72, 65, 5f, 74, 69, 6d, 65, 5f, 73, 65, 63, 6f, 6e, 64, 73, 12, 42, 4c, 61, 73, 74, 20, 55]",
        ]
    "#]]
    .assert_debug_eq(&&hex[..5]);
}

#[test]
fn every_truncation_is_an_error() {
    let gateway = Gateway::new(GatewayOptions::default());
    push(&gateway, "/metrics/job/j/instance/i", "m 1\n", at(1), 200);
    let bytes = gateway.snapshot();
    for len in 0..bytes.len() {
        let err = decode(&bytes[..len]).expect_err("a truncated snapshot is refused");
        assert!(
            matches!(err, SnapshotError::Truncated { .. }),
            "cut at {len}: {err}"
        );
    }
}

#[test]
fn every_single_byte_flip_is_an_error() {
    let gateway = Gateway::new(GatewayOptions::default());
    push(&gateway, "/metrics/job/j/instance/i", "m 1\n", at(1), 200);
    let bytes = gateway.snapshot();
    for at in 0..bytes.len() {
        for flip in [0x01, 0x80, 0xff] {
            let mut corrupt = bytes.clone();
            corrupt[at] ^= flip;
            assert!(
                decode(&corrupt).is_err(),
                "byte {at} ^ {flip:#x} went unnoticed"
            );
        }
    }
}

#[test]
fn errors_name_the_problem() {
    let bytes = Gateway::new(GatewayOptions::default()).snapshot();
    let check = |bytes: &[u8], expected: &str| {
        assert_eq!(decode(bytes).unwrap_err().to_string(), expected);
    };
    let mut version = bytes.clone();
    version[8] = 2;
    check(
        &version,
        "unsupported snapshot format version 2 (this build reads version 1)",
    );
    let mut payload = bytes.clone();
    payload[24] = 5;
    check(
        &payload,
        "snapshot checksum mismatch: the header says 0xd202ef8d, the payload has 0xa2681b02",
    );
    let mut trailing = bytes.clone();
    trailing.push(0);
    check(
        &trailing,
        "invalid snapshot content at byte 25: 1 bytes after the payload of 1 bytes",
    );
    check(b"", "snapshot truncated: 24 bytes expected, only 0 present");
    check(
        b"\x0e\xff\x81\x03",
        r#"not a pushgw snapshot: the file starts with "\x0e\xff\x81\x03", expected "PUSHGW\x00S""#,
    );
    // Content that checksums but makes no sense: a group without a job.
    check(
        &with_header(b"\x01\x00\x00\x00\x00"),
        "invalid snapshot content at byte 25: invalid grouping key: job name is required",
    );
}

/// A snapshot with a correct header around any payload.
fn with_header(payload: &[u8]) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

proptest! {
    /// Arbitrary corruption of a real snapshot is refused or, if the checksum happens to match
    /// and the content happens to parse, restored; it never panics, and a refused restore leaves
    /// the store as it was.
    #[test]
    fn corruption_never_panics(
        flips in prop::collection::vec((any::<prop::sample::Index>(), 1u8..), 1..4),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let source = varied_gateway(GatewayOptions::default());
        let mut bytes = source.snapshot();
        for (at, flip) in flips {
            let at = at.index(bytes.len());
            bytes[at] ^= flip;
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len()));
        }
        let target = Gateway::new(GatewayOptions::default());
        push(&target, "/metrics/job/kept", "k 1\n", at(1), 200);
        let before = observe(&target);
        prop_assert!(target.restore(&bytes).is_err());
        prop_assert_eq!(observe(&target), before);
    }

    /// Any payload behind a valid header decodes or fails cleanly.
    #[test]
    fn arbitrary_payloads_never_panic(payload in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = decode(&with_header(&payload));
    }
}
