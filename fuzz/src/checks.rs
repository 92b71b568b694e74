//! What the fuzz targets check, one function per target.
//!
//! The file is compiled twice: as the library of the fuzz crate, used by `fuzz_targets/*.rs`, and
//! as a module of `pushgw-core/tests/fuzz_corpus.rs`, which replays the seed corpora on stable.
//! Each function panics when a property fails; any other input, valid or not, must pass.

use std::time::{Duration, SystemTime};

use arbitrary::{Arbitrary, Unstructured};
use bytes::Bytes;
use http::{Method, Request, StatusCode, header};
use pushgw_core::gateway::{Gateway, GatewayOptions, Limits};
use pushgw_core::grouping::GroupingKey;
use pushgw_core::{proto, text};

/// `text::parse` never panics; what it accepts renders to text that it accepts again, and that
/// second parse renders to the same bytes (the gateway's exposition is stable once parsed).
pub fn text_parse(data: &[u8]) {
    let Ok(families) = text::parse(data) else {
        return;
    };
    let mut rendered = Vec::new();
    text::render(&families, &mut rendered);
    let again = text::parse(&rendered).unwrap_or_else(|err| {
        panic!(
            "rendered text does not parse: {err}\n{}",
            String::from_utf8_lossy(&rendered)
        )
    });
    let mut rendered_again = Vec::new();
    text::render(&again, &mut rendered_again);
    assert_eq!(
        String::from_utf8_lossy(&rendered_again),
        String::from_utf8_lossy(&rendered),
        "rendering is not stable"
    );
}

/// `proto::decode` never panics; what it accepts encodes to bytes that decode to the same
/// families (compared through `Debug`, which prints every NaN alike) and encode to the same bytes
/// again (which keeps NaN payloads honest).
pub fn proto_decode(data: &[u8]) {
    let Ok(families) = proto::decode(data) else {
        return;
    };
    let mut encoded = Vec::new();
    proto::encode(&families, &mut encoded);
    let again = proto::decode(&encoded)
        .unwrap_or_else(|err| panic!("our own encoding does not decode: {err}"));
    assert_eq!(
        format!("{again:?}"),
        format!("{families:?}"),
        "decode(encode(x)) != x"
    );
    let mut encoded_again = Vec::new();
    proto::encode(&again, &mut encoded_again);
    assert!(encoded_again == encoded, "encoding is not stable");
}

/// `GroupingKey::from_path_bytes` never panics; a key it accepts survives `to_path` (which
/// percent-encodes, and base64-encodes what a path segment cannot hold) and parsing again.
pub fn grouping_key(data: &[u8]) {
    let Ok(key) = GroupingKey::from_path_bytes(data) else {
        return;
    };
    let path = key.to_path();
    let decoded = percent_decode(&path);
    let again = GroupingKey::from_path_bytes(&decoded)
        .unwrap_or_else(|err| panic!("to_path {path:?} does not parse again: {err}"));
    assert_eq!(again, key, "from_path(to_path(key)) != key for {path:?}");
    assert_eq!(again.to_path(), path, "to_path is not stable");
}

/// What a URL path's `%XX` escapes stand for (the server decodes them before the gateway's
/// router sees the path); `to_path` only writes valid escapes.
fn percent_decode(path: &str) -> Vec<u8> {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied(),
            bytes.get(i + 2).copied(),
        ) {
            (b'%', Some(high), Some(low)) if hex(high).is_some() && hex(low).is_some() => {
                let value = hex(high).unwrap_or_default() * 16 + hex(low).unwrap_or_default();
                out.push(u8::try_from(value).expect("two hex digits make a byte"));
                i += 3;
            }
            (byte, _, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    out
}

/// A sequence of requests, built from the fuzzer's bytes with `arbitrary`, against one
/// `Gateway` with small limits. Whatever the requests: no panic; scrapes and health stay `200`
/// (the consistency check keeps the store scrapable); every answer is a valid status; and a
/// refused push (`4xx`) leaves the pushed families exactly as they were.
pub fn gateway_handle(data: &[u8]) {
    let mut input = Unstructured::new(data);
    let gateway = Gateway::new(GatewayOptions {
        enable_admin_api: true,
        max_body_bytes: Some(1 << 16),
        group_ttl: Some(Duration::from_secs(60)),
        limits: Limits {
            max_series_per_push: Some(64),
            max_groups: Some(8),
            max_series: Some(256),
            connections: None,
        },
        ..GatewayOptions::default()
    });
    let mut now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    for _ in 0..16 {
        let Ok(request) = FuzzRequest::arbitrary(&mut input) else {
            break;
        };
        let Some(request) = request.build() else {
            continue;
        };
        now += Duration::from_secs(u64::from(input.arbitrary::<u8>().unwrap_or(0)));
        let before = pushed_families(&gateway, now);
        let push = request.method() == Method::PUT || request.method() == Method::POST;
        let response = gateway.handle(request, now);
        let status = response.status();
        if push && status.is_client_error() {
            assert_eq!(
                pushed_families(&gateway, now),
                before,
                "a refused push ({status}) changed the store"
            );
        }
        assert!(!status.is_server_error() || status == StatusCode::NOT_IMPLEMENTED);
    }
    for path in ["/-/healthy", "/-/ready", "/api/v1/metrics"] {
        let request = Request::get(path)
            .body(Bytes::new())
            .expect("a valid request");
        assert_eq!(
            gateway.handle(request, now).status(),
            StatusCode::OK,
            "{path}"
        );
    }
}

/// The text scrape without the gateway's own families and the per-group timestamps.
fn pushed_families(gateway: &Gateway, now: SystemTime) -> Vec<u8> {
    let request = Request::get("/metrics")
        .body(Bytes::new())
        .expect("a valid request");
    let response = gateway.handle(request, now);
    assert_eq!(response.status(), StatusCode::OK, "a scrape failed");
    let families = text::parse(response.body()).expect("the scrape parses");
    let pushed: Vec<_> = families
        .into_iter()
        .filter(|family| {
            !family.name.starts_with("pushgateway_")
                && !family.name.starts_with("pushgw_")
                && !family.name.starts_with("push_")
        })
        .collect();
    let mut out = Vec::new();
    text::render(&pushed, &mut out);
    out
}

/// One request, as much of it chosen from shapes the gateway cares about as made of raw bytes.
#[derive(Debug)]
struct FuzzRequest {
    method: Method,
    path: String,
    query: Option<String>,
    content_type: Option<&'static str>,
    content_encoding: Option<&'static str>,
    accept: Option<&'static str>,
    body: Vec<u8>,
}

const METHODS: [Method; 5] = [
    Method::GET,
    Method::PUT,
    Method::POST,
    Method::DELETE,
    Method::OPTIONS,
];
const PATHS: [&str; 10] = [
    "/metrics/job/",
    "/metrics/job@base64/",
    "/metrics/job/j/instance/",
    "/metrics/job/j/a@base64/",
    "/metrics",
    "/api/v1/metrics",
    "/api/v1/status",
    "/api/v1/admin/wipe",
    "/-/healthy",
    "/",
];
const CONTENT_TYPES: [&str; 3] = [
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited",
    "text/plain; version=0.0.4",
    "application/vnd.google.protobuf",
];
const ENCODINGS: [&str; 3] = ["gzip", "snappy", "identity"];
const ACCEPTS: [&str; 3] = [
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited",
    "application/openmetrics-text; version=1.0.0",
    "text/plain",
];
const QUERIES: [&str; 4] = ["ttl=0", "ttl=1s", "ttl=bogus", "ttl=10m"];
/// Text bodies are more interesting when they look like the format.
const TEXT_PIECES: [&str; 12] = [
    "# TYPE m counter\n",
    "# TYPE m gauge\n",
    "# HELP m help\n",
    "# TYPE h histogram\n",
    "h_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\n",
    "m 1\n",
    "m{a=\"1\"} 2\n",
    "m{a=\"2\"} NaN\n",
    "m{job=\"x\"} 3\n",
    "m 1 1700000000000\n",
    "other_metric{instance=\"i\"} -Inf\n",
    "push_time_seconds 5\n",
];

impl<'a> Arbitrary<'a> for FuzzRequest {
    fn arbitrary(input: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let method = input.choose(&METHODS)?.clone();
        let mut path = (*input.choose(&PATHS)?).to_owned();
        // A short tail of path bytes, escaped so that the URI always parses.
        let tail: Vec<u8> = input
            .arbitrary::<[u8; 6]>()?
            .into_iter()
            .take(input.int_in_range(0..=6)?)
            .collect();
        for byte in tail {
            match byte {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'/' | b'_' | b'-' | b'@' | b'=' => {
                    path.push(char::from(byte));
                }
                _ => path.push_str(&format!("%{byte:02X}")),
            }
        }
        let query = if input.ratio(1, 4)? {
            Some((*input.choose(&QUERIES)?).to_owned())
        } else {
            None
        };
        let content_type = optional(input, &CONTENT_TYPES)?;
        let content_encoding = optional(input, &ENCODINGS)?;
        let accept = optional(input, &ACCEPTS)?;
        let mut body = Vec::new();
        if input.arbitrary::<bool>()? {
            for _ in 0..input.int_in_range(0..=6)? {
                body.extend_from_slice(input.choose(&TEXT_PIECES)?.as_bytes());
            }
        } else {
            let length = input.int_in_range(0..=256)?;
            body.extend_from_slice(input.bytes(length.min(input.len()))?);
        }
        Ok(FuzzRequest {
            method,
            path,
            query,
            content_type,
            content_encoding,
            accept,
            body,
        })
    }
}

fn optional(
    input: &mut Unstructured<'_>,
    choices: &[&'static str],
) -> arbitrary::Result<Option<&'static str>> {
    Ok(if input.arbitrary::<bool>()? {
        Some(*input.choose(choices)?)
    } else {
        None
    })
}

impl FuzzRequest {
    fn build(self) -> Option<Request<Bytes>> {
        let uri = match &self.query {
            Some(query) => format!("{}?{query}", self.path),
            None => self.path.clone(),
        };
        let mut builder = Request::builder().method(self.method).uri(uri);
        for (name, value) in [
            (header::CONTENT_TYPE, self.content_type),
            (header::CONTENT_ENCODING, self.content_encoding),
            (header::ACCEPT, self.accept),
        ] {
            if let Some(value) = value {
                builder = builder.header(name, value);
            }
        }
        builder.body(Bytes::from(self.body)).ok()
    }
}
