//! Hostile input over real HTTP against `pushgw-sidecar` (issue 8): malformed text and protobuf,
//! invalid UTF-8 anywhere, giant values, bombs, broken framing, smuggling shapes, malformed
//! request lines, slow and idle clients, and every limit.
//!
//! One sidecar with small limits serves the whole table; the store is seeded first and filled to
//! its group limit. Each case is sent over raw TCP (so that broken HTTP can be sent at all) and
//! must get the expected status, with the reason in the body where the gateway (not hyper's
//! HTTP/1 parser, which answers bare `400`s) produces the answer. After each case the server must
//! still answer `/-/healthy`, and `/metrics`, without the gateway's own changing families, must
//! be byte-identical to before: bad input never changes the store.

use std::io::{Read as _, Write as _};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use pushgw_core::model::{LabelPair, Metric, MetricFamily, MetricType, Value};
use pushgw_tests::{PushgwSidecar, exposition, http};

const MAX_BODY: usize = 1 << 20;
const MAX_DECOMPRESSED: usize = 8 << 20;
const MAX_SERIES_PER_PUSH: usize = 50_000;
const MAX_GROUPS: usize = 4;
const MAX_CONNECTIONS: usize = 32;
/// The seed below holds this many series; the limit leaves room for 5 more.
const SEEDED_SERIES: usize = 8;
const MAX_SERIES: usize = SEEDED_SERIES + 5;

/// Every case's answer must arrive within this.
const DEADLINE: Duration = Duration::from_secs(20);

const PROTOBUF: &str =
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";

/// What a case expects back.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// This status, and this text somewhere in the body (`""`: no reason to check, for hyper's
    /// own bare answers).
    Status(u16, &'static str),
    /// The server closes the connection without an answer (an idle or slow client).
    Closed,
}

/// How the client behaves after sending the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Then {
    /// Keeps its side open and reads the answer (the server's timeouts act if none comes).
    Read,
    /// Half-closes its side, so that the server sees end of file after the bytes, then reads.
    /// (Only for bodies cut short: hyper drops the answer to a complete request whose client
    /// half-closed.)
    HalfClose,
}

struct Case {
    name: &'static str,
    bytes: Vec<u8>,
    then: Then,
    expect: Expect,
    /// The push reaches the store, which refuses it and, as the reference does, records the
    /// failure in the group's `push_failure_time_seconds` (spec §3.5): the only change allowed.
    stamps_failure: bool,
}

fn case(name: &'static str, bytes: Vec<u8>, expect: Expect) -> Case {
    Case {
        name,
        bytes,
        then: Then::Read,
        expect,
        stamps_failure: false,
    }
}

fn stamping(name: &'static str, bytes: Vec<u8>, expect: Expect) -> Case {
    Case {
        stamps_failure: true,
        ..case(name, bytes, expect)
    }
}

fn cut_short(name: &'static str, bytes: Vec<u8>, expect: Expect) -> Case {
    Case {
        name,
        bytes,
        then: Then::HalfClose,
        expect,
        stamps_failure: false,
    }
}

/// A well-formed HTTP/1.1 request with `Content-Length`.
fn request(method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\n").into_bytes();
    for (name, value) in headers {
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    out.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
    out.extend_from_slice(body);
    out
}

/// A text push of `body` to the seeded group `job/seed1` (so that the group limit is not what
/// refuses it).
fn text_push(body: &[u8]) -> Vec<u8> {
    request("PUT", "/metrics/job/seed1", &[], body)
}

fn encoded_push(encoding: &str, body: &[u8]) -> Vec<u8> {
    request(
        "PUT",
        "/metrics/job/seed1",
        &[("Content-Encoding", encoding)],
        body,
    )
}

fn proto_push(body: &[u8]) -> Vec<u8> {
    request(
        "PUT",
        "/metrics/job/seed1",
        &[("Content-Type", PROTOBUF)],
        body,
    )
}

/// Raw bytes, exactly as given.
fn raw(bytes: &[u8]) -> Vec<u8> {
    bytes.to_vec()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(data).expect("in-memory write");
    encoder.finish().expect("in-memory write")
}

fn snappy(data: &[u8]) -> Vec<u8> {
    let mut encoder = snap::write::FrameEncoder::new(Vec::new());
    encoder.write_all(data).expect("in-memory write");
    encoder.into_inner().expect("in-memory write")
}

/// A protobuf varint.
fn varint(mut value: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

/// A delimited protobuf message: length prefix, then the message.
fn delimited(message: &[u8]) -> Vec<u8> {
    let mut out = varint(message.len() as u64);
    out.extend_from_slice(message);
    out
}

/// A length-delimited protobuf field.
fn field(number: u64, bytes: &[u8]) -> Vec<u8> {
    let mut out = varint(number << 3 | 2);
    out.extend(varint(bytes.len() as u64));
    out.extend_from_slice(bytes);
    out
}

/// A `MetricFamily` message with `name`, gauge type and one metric `metric` (raw bytes).
fn family_message(name: &[u8], metric: &[u8]) -> Vec<u8> {
    let mut out = field(1, name);
    out.extend([0x18, 0x01]); // type: GAUGE
    out.extend(field(4, metric));
    out
}

/// A `Metric` with one label and a gauge value of 1.
fn gauge_metric(label_name: &[u8], label_value: &[u8]) -> Vec<u8> {
    let mut label = field(1, label_name);
    label.extend(field(2, label_value));
    let mut out = field(1, &label);
    // gauge { value: 1.0 }
    let mut gauge = vec![0x09];
    gauge.extend(1.0f64.to_le_bytes());
    out.extend(field(2, &gauge));
    out
}

/// A valid protobuf push of `families`.
fn proto_encode(families: &[MetricFamily]) -> Vec<u8> {
    let mut out = Vec::new();
    pushgw_core::proto::encode(families, &mut out);
    out
}

fn gauge_family(name: &str, series: usize) -> MetricFamily {
    MetricFamily {
        name: name.to_owned(),
        help: None,
        metric_type: MetricType::Gauge,
        unit: None,
        metrics: (0..series)
            .map(|i| Metric {
                labels: vec![LabelPair::new("i", i.to_string())],
                value: Value::Gauge(1.0),
                timestamp_ms: None,
            })
            .collect(),
    }
}

/// Text with `count` distinct tiny series.
fn many_series(count: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(count * 16);
    for i in 0..count {
        out.extend_from_slice(format!("tiny{{i=\"{i}\"}} 1\n").as_bytes());
    }
    out
}

fn cases() -> Vec<Case> {
    use Expect::{Closed, Status};
    let giant = "x".repeat(MAX_BODY + 1);
    let big_value = "v".repeat(MAX_BODY / 2);
    let zeros = vec![b'0'; MAX_DECOMPRESSED + 1];
    let gzip_bomb = gzip(&zeros);
    let snappy_bomb = snappy(&zeros);
    assert!(gzip_bomb.len() < MAX_BODY && snappy_bomb.len() < MAX_BODY);
    let repeated_labels: String = (0..10_000).map(|_| "a=\"1\",").collect();
    let too_many_series = many_series(MAX_SERIES_PER_PUSH + 1);
    let many_series_gzip = gzip(&too_many_series);
    assert!(many_series_gzip.len() < MAX_BODY);
    let a_million_tiny = gzip(&b"t 1\n".repeat(1_000_000));

    vec![
        // Malformed text (spec §3.4): 400 naming the line.
        case("unterminated label set", text_push(b"m{a=\"1\" 1\n"), Status(400, "line 1")),
        case("value missing", text_push(b"m\n"), Status(400, "line 1")),
        case("value not a number", text_push(b"m abc\n"), Status(400, "line 1")),
        case("timestamp not a number", text_push(b"m 1 soon\n"), Status(400, "line 1")),
        case("extra tokens", text_push(b"m 1 2 3\n"), Status(400, "line 1")),
        case("metric name starts with a digit", text_push(b"1m 1\n"), Status(400, "line 1")),
        case("label name starts with a digit", text_push(b"m{1a=\"x\"} 1\n"), Status(400, "line 1")),
        case("unknown escape in a label value", text_push(b"m{a=\"\\q\"} 1\n"), Status(400, "line 1")),
        case("unterminated label value", text_push(b"m{a=\"x} 1\n"), Status(400, "line 1")),
        case("label without value", text_push(b"m{a} 1\n"), Status(400, "line 1")),
        case("unknown TYPE", text_push(b"# TYPE m bogus\nm 1\n"), Status(400, "line 1")),
        case("TYPE twice", text_push(b"# TYPE m gauge\n# TYPE m counter\nm 1\n"), Status(400, "line 2")),
        case("TYPE after samples", text_push(b"m 1\n# TYPE m gauge\n"), Status(400, "line 2")),
        case("HELP twice", text_push(b"# HELP m a\n# HELP m b\nm 1\n"), Status(400, "line 2")),
        case("histogram bucket le not a number", text_push(b"# TYPE h histogram\nh_bucket{le=\"x\"} 1\n"), Status(400, "line 2")),
        case("summary quantile not a number", text_push(b"# TYPE s summary\ns{quantile=\"x\"} 1\n"), Status(400, "line 2")),
        case("NUL byte in a sample line", text_push(b"m\0 1\n"), Status(400, "line 1")),
        case("a lone brace", text_push(b"{\n"), Status(400, "line 1")),
        case("label set after the value", text_push(b"m 1 {a=\"b\"}\n"), Status(400, "line 1")),
        case("timestamps are refused before the store", text_push(b"m 1\nm2 1 12345 6\n"), Status(400, "line 2")),
        // Invalid UTF-8 anywhere.
        case("invalid UTF-8 in a label value", text_push(b"m{a=\"\xff\xfe\"} 1\n"), Status(400, "invalid label value")),
        case("invalid UTF-8 in HELP", text_push(b"# HELP m caf\xe9\nm 1\n"), Status(400, "UTF-8")),
        case("invalid UTF-8 as metric name", text_push(b"\xc3\x28 1\n"), Status(400, "line 1")),
        case("invalid UTF-8 in a comment", text_push(b"# \xff\xff\nm{a=\"\xed\xa0\x80\"} 1\n"), Status(400, "invalid label value")),
        case("percent-encoded invalid UTF-8 in the job", request("PUT", "/metrics/job/%FF", &[], b"m 1\n"), Status(400, "not valid utf-8")),
        case("percent-encoded invalid UTF-8 in a label value", request("PUT", "/metrics/job/seed1/a/%C3%28", &[], b"m 1\n"), Status(400, "not valid utf-8")),
        case("percent-encoded invalid UTF-8 in a label name", request("PUT", "/metrics/job/seed1/%FF/v", &[], b"m 1\n"), Status(400, "improper label name")),
        case("raw invalid UTF-8 in the request target", raw(b"PUT /metrics/job/\xff\xfe HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nm 1\n"), Status(400, "")),
        case("base64 job that is not UTF-8", request("PUT", "/metrics/job@base64/_w", &[], b"m 1\n"), Status(400, "not valid utf-8")),
        case("protobuf label value not UTF-8", proto_push(&delimited(&family_message(b"m", &gauge_metric(b"a", b"\xff")))), Status(400, "label value is not valid UTF-8")),
        case("protobuf metric name not UTF-8", proto_push(&delimited(&family_message(b"m\xff", &gauge_metric(b"a", b"b")))), Status(400, "metric name is not valid UTF-8")),
        case("protobuf label name not UTF-8", proto_push(&delimited(&family_message(b"m", &gauge_metric(b"\xc3\x28", b"b")))), Status(400, "label name is not valid UTF-8")),
        // Grouping keys in the path (spec §3.1).
        case("invalid base64 job", request("PUT", "/metrics/job@base64/!!!", &[], b"m 1\n"), Status(400, "invalid base64 encoding")),
        case("label name starting with a digit in the path", request("PUT", "/metrics/job/seed1/1a/v", &[], b"m 1\n"), Status(400, "improper label name")),
        case("label without value in the path", request("PUT", "/metrics/job/seed1/a", &[], b"m 1\n"), Status(400, "odd number of components")),
        case("reserved label name in the path", request("PUT", "/metrics/job/seed1/__name__/v", &[], b"m 1\n"), Status(400, "improper label name")),
        case("DELETE with a bad key", request("DELETE", "/metrics/job/seed1/1a/v", &[], b""), Status(400, "improper label name")),
        // Giant and repeated things.
        case("giant label value over the body cap", text_push(format!("m{{a=\"{giant}\"}} 1\n").as_bytes()), Status(413, "limit of 1048576 bytes")),
        case("big label value in a broken line", text_push(format!("m{{a=\"{big_value}}} 1\n").as_bytes()), Status(400, "line 1")),
        case("giant label value in the path", request("PUT", &format!("/metrics/job/seed1/a/{big_value}"), &[], b"m 1\n"), Status(431, "")),
        case("deeply repeated label names", text_push(format!("m{{{repeated_labels}}} 1\n").as_bytes()), Status(400, "duplicate label names")),
        case("series over the per-push limit", encoded_push("gzip", &many_series_gzip), Status(413, "series_per_push limit of 50000")),
        case("a million tiny identical series", encoded_push("gzip", &a_million_tiny), Status(413, "series_per_push limit")),
        case("protobuf over the per-push limit", request("PUT", "/metrics/job/seed1", &[("Content-Type", PROTOBUF), ("Content-Encoding", "gzip")], &gzip(&proto_encode(&[gauge_family("p", MAX_SERIES_PER_PUSH + 1)]))), Status(413, "series_per_push")),
        // Compression.
        case("gzip bomb", encoded_push("gzip", &gzip_bomb), Status(413, "decompressed_bytes limit of 8388608 bytes")),
        case("snappy bomb", encoded_push("snappy", &snappy_bomb), Status(413, "decompressed_bytes limit of 8388608 bytes")),
        case("gzip header only", encoded_push("gzip", &gzip(b"m 1\n")[..10]), Status(400, "unexpected EOF")),
        case("gzip with a corrupt stream", encoded_push("gzip", &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 0xde, 0xad, 0xbe, 0xef]), Status(400, "gzip")),
        case("plain text claiming gzip", encoded_push("gzip", b"this is not gzip at all\n"), Status(400, "gzip: invalid header")),
        case("raw snappy block without framing", encoded_push("snappy", b"\x04\x0cm 1\n"), Status(400, "snappy")),
        case("gzip of invalid text", encoded_push("gzip", &gzip(b"m{\n")), Status(400, "line 1")),
        // Malformed protobuf (spec §3.3).
        case("protobuf length prefix 2^63", proto_push(&varint(1 << 63)), Status(400, "invalid varint32")),
        case("protobuf length prefix over the body", proto_push(&[0x10, 0x0a, 0x01, b'm']), Status(400, "unexpected EOF")),
        case("protobuf overlong varint prefix", proto_push(&[0xff; 11]), Status(400, "invalid varint32")),
        case("protobuf random bytes", proto_push(b"\x05\xde\xad\xbe\xef\x00"), Status(400, "unknown wire type")),
        stamping("protobuf wrong wire type for name", proto_push(&delimited(&[0x08, 0x01])), Status(400, "invalid metric name")),
        case("protobuf unknown metric type", proto_push(&delimited(&[0x0a, 0x01, b'm', 0x18, 0x63, 0x22, 0x00])), Status(400, "unknown metric type 99")),
        case("protobuf metric without value", proto_push(&delimited(&[0x0a, 0x01, b'm', 0x18, 0x01, 0x22, 0x00])), Status(400, "has no value")),
        stamping("protobuf invalid metric name", proto_push(&delimited(&family_message(b"1m", &gauge_metric(b"a", b"b")))), Status(400, "invalid metric name \"1m\"")),
        case("protobuf truncated after a valid message", proto_push(&{
            let mut body = proto_encode(&[gauge_family("p", 1)]);
            body.extend([0x20, 0x0a]);
            body
        }), Status(400, "unexpected EOF")),
        // Body framing.
        case("declared body over the cap (never sent)", raw(format!("PUT /metrics/job/seed1 HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n", MAX_BODY + 1).as_bytes()), Status(413, "limit of 1048576 bytes")),
        case("chunked body over the cap", raw(&{
            let mut out = b"PUT /metrics/job/seed1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
            let chunk = vec![b'#'; 64 << 10];
            for _ in 0..(MAX_BODY / chunk.len() + 1) {
                out.extend(format!("{:x}\r\n", chunk.len()).as_bytes());
                out.extend(&chunk);
                out.extend(b"\r\n");
            }
            out.extend(b"0\r\n\r\n");
            out
        }), Status(413, "limit of 1048576 bytes")),
        cut_short("body shorter than its Content-Length", raw(b"PUT /metrics/job/seed1 HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nnew_metric 1\n"), Status(400, "error reading request body")),
        cut_short("chunked body cut short", raw(b"PUT /metrics/job/seed1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nnew_metric 1\n"), Status(400, "error reading request body")),
        case("chunk size not hex", raw(b"PUT /metrics/job/seed1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nnew_metric 1\n\r\n0\r\n\r\n"), Status(400, "error reading request body")),
        case("chunk size overflowing 64 bits", raw(b"PUT /metrics/job/seed1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\nnew_metric 1\n\r\n0\r\n\r\n"), Status(400, "error reading request body")),
        case("chunk without its CRLF", raw(b"PUT /metrics/job/seed1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nd\r\nnew_metric 1\nXX0\r\n\r\n"), Status(400, "error reading request body")),
        // RFC 9112 §6.1: Transfer-Encoding wins and the connection is closed after the answer,
        // so what a Content-Length reader would take for a second request is never run.
        case("Content-Length with Transfer-Encoding (smuggling)", raw(b"PUT /metrics/job/seed1 HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nm{\n\r\n0\r\n\r\nPUT /metrics/job/seed1 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"), Status(400, "line 1")),
        case("Transfer-Encoding before Content-Length (smuggling)", raw(b"PUT /metrics/job/seed1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 7\r\n\r\n3\r\nm{\n\r\n0\r\n\r\nDELETE /metrics/job/seed1 HTTP/1.1\r\nHost: x\r\n\r\n"), Status(400, "line 1")),
        case("two different Content-Lengths", raw(b"PUT /metrics/job/seed1 HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 13\r\n\r\nnew_metric 1\n"), Status(400, "")),
        case("negative Content-Length", raw(b"PUT /metrics/job/seed1 HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\nm 1\n"), Status(400, "")),
        case("Content-Length not a number", raw(b"PUT /metrics/job/seed1 HTTP/1.1\r\nHost: x\r\nContent-Length: 4a\r\n\r\nm 1\n"), Status(400, "")),
        case("Transfer-Encoding other than chunked", raw(b"PUT /metrics/job/seed1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nm 1\n"), Status(400, "")),
        case("chunked not last", raw(b"PUT /metrics/job/seed1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n4\r\nm 1\n\r\n0\r\n\r\n"), Status(400, "")),
        // Malformed HTTP.
        case("garbage request line", raw(b"GARBAGE\r\n\r\n"), Status(400, "")),
        case("unknown HTTP version", raw(b"GET /metrics HTTP/9.9\r\nHost: x\r\n\r\n"), Status(400, "")),
        case("HTTP/0.9 request line", raw(b"GET /metrics\r\n\r\n"), Status(400, "")),
        case("double space in the request line", raw(b"GET  /metrics HTTP/1.1\r\nHost: x\r\n\r\n"), Status(400, "")),
        case("header without a colon", raw(b"GET /metrics HTTP/1.1\r\nHost x\r\n\r\n"), Status(400, "")),
        case("space before a header colon", raw(b"GET /metrics HTTP/1.1\r\nHost : x\r\n\r\n"), Status(400, "")),
        case("NUL in a header value", raw(b"GET /metrics HTTP/1.1\r\nHost: x\0y\r\n\r\n"), Status(400, "")),
        case("obsolete header folding", raw(b"PUT /metrics/job/seed1 HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n 4\r\n\r\nm 1\n"), Status(400, "")),
        case("header section over 400 KiB", raw(format!("GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n", "h".repeat(500 << 10)).as_bytes()), Status(431, "")),
        case("two hundred headers", raw(&{
            let mut out = b"GET /metrics HTTP/1.1\r\nHost: x\r\n".to_vec();
            for i in 0..200 {
                out.extend(format!("X-H{i}: v\r\n").as_bytes());
            }
            out.extend(b"\r\n");
            out
        }), Status(431, "")),
        case("a TLS ClientHello on the plain port", raw(b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03"), Status(400, "")),
        case("bare LF line endings with a bad method", raw(b"G\x7fT /metrics HTTP/1.1\nHost: x\n\n"), Status(400, "")),
        case("request line of binary noise", raw(&[0x00, 0x01, 0x02, 0xff, b'\r', b'\n', b'\r', b'\n']), Status(400, "")),
        case("method not allowed on a push path", request("PATCH", "/metrics/job/seed1", &[], b"m 1\n"), Status(405, "")),
        // Slow clients: the server's deadlines end them.
        case("headers never finished", raw(b"PUT /metrics/job/seed1 HTTP/1.1\r\nHost: x\r\n"), Closed),
        case("nothing sent at all", Vec::new(), Closed),
        case("body never finished", raw(b"PUT /metrics/job/seed1 HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nnew_metric 1\n"), Status(408, "timeout reading request body")),
        case("chunked body never finished", raw(b"PUT /metrics/job/seed1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nd\r\nnew_metric 1\n\r\n"), Status(408, "timeout reading request body")),
        // Capacity limits: the store is full.
        case("a new group beyond the group limit", request("PUT", "/metrics/job/one_too_many", &[], b"m 1\n"), Status(429, "groups limit of 4 groups")),
        case("a new group beyond the group limit, by protobuf", request("POST", "/metrics/job/one_too_many", &[("Content-Type", PROTOBUF)], &proto_encode(&[gauge_family("p", 1)])), Status(429, "groups limit")),
        case("series beyond the store's series limit", request("POST", "/metrics/job/seed1", &[], &many_series(6)), Status(429, "series limit of 13 series")),
        case("series beyond the store's series limit, gzipped", request("POST", "/metrics/job/seed2/instance/i", &[("Content-Encoding", "gzip")], &gzip(&many_series(20))), Status(429, "series limit")),
    ]
}

/// What came back: the status and body, or nothing before the server closed.
#[derive(Debug)]
struct Reply {
    status: Option<u16>,
    body: String,
}

/// Sends `bytes`, behaves as `then` says, and reads one response (or the close).
fn exchange(address: &str, bytes: &[u8], then: Then) -> Reply {
    let mut stream = TcpStream::connect(address).expect("connect to the sidecar");
    stream
        .set_read_timeout(Some(DEADLINE))
        .expect("read timeout");
    // The server may answer and close before reading everything (413): ignore write errors.
    let _ = stream.write_all(bytes);
    if then == Then::HalfClose {
        let _ = stream.shutdown(Shutdown::Write);
    }
    let mut received = Vec::new();
    let mut buffer = [0; 64 << 10];
    let started = Instant::now();
    loop {
        if let Some(length) = complete_response(&received) {
            received.truncate(length);
            break;
        }
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => received.extend_from_slice(&buffer[..n]),
            // A reset after the answer was sent still leaves the answer readable first.
            Err(err) if err.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(err) => panic!("no answer within {:?}: {err}", started.elapsed()),
        }
    }
    parse_reply(&received)
}

/// The length of the first complete response in `received`, if it is complete.
fn complete_response(received: &[u8]) -> Option<usize> {
    let head_end = received.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = String::from_utf8_lossy(&received[..head_end]).to_ascii_lowercase();
    let length = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|value| value.trim().parse::<usize>().ok())?;
    (received.len() >= head_end + length).then_some(head_end + length)
}

fn parse_reply(received: &[u8]) -> Reply {
    if received.is_empty() {
        return Reply {
            status: None,
            body: String::new(),
        };
    }
    let text = String::from_utf8_lossy(received);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map_or("", |(_, body)| body)
        .to_owned();
    Reply {
        status: Some(status),
        body,
    }
}

/// `/metrics` without the families that change by themselves (request counters, process
/// metrics, limit headroom and rejections): the store's content, timestamps included.
fn store_view(sidecar: &PushgwSidecar) -> String {
    let scraped = http::get(&sidecar.url("/metrics")).expect("scrape");
    assert_eq!(scraped.status, 200, "scrape failed: {}", scraped.text());
    exposition::family_blocks(&scraped.text())
        .into_iter()
        .filter(|block| {
            !block.name.starts_with("pushgateway_")
                && !block.name.starts_with("process_")
                && !block.name.starts_with("pushgw_")
        })
        .map(|block| block.text)
        .collect()
}

fn without_failure_times(view: &str) -> String {
    exposition::family_blocks(view)
        .into_iter()
        .filter(|block| block.name != "push_failure_time_seconds")
        .map(|block| block.text)
        .collect()
}

fn start() -> PushgwSidecar {
    let sidecar = PushgwSidecar::start(&[
        &format!("--web.max-body-bytes={MAX_BODY}"),
        &format!("--web.max-decompressed-bytes={MAX_DECOMPRESSED}"),
        &format!("--push.max-series-per-push={MAX_SERIES_PER_PUSH}"),
        &format!("--push.max-groups={MAX_GROUPS}"),
        &format!("--push.max-series={MAX_SERIES}"),
        &format!("--web.max-connections={MAX_CONNECTIONS}"),
        "--web.read-header-timeout=1s",
        "--web.read-timeout=2s",
    ]);
    // Fill the store to its group limit, with a bit of everything (8 series).
    let seeds: [(&str, &[u8]); 4] = [
        (
            "/metrics/job/seed1",
            b"# HELP g A gauge \xc3\xa9.\n# TYPE g gauge\ng{a=\"x\\\"y\"} 1\ng{a=\"\xe2\x82\xac\"} 2\n",
        ),
        (
            "/metrics/job/seed2/instance/i",
            b"# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\n",
        ),
        (
            "/metrics/job@base64/c2VlZC8z",
            b"# TYPE s summary\ns{quantile=\"0.5\"} 1\ns_sum 1\ns_count 1\nu 7\n",
        ),
        ("/metrics/job/seed4/a/b", b"c_total 1\nc_total{x=\"y\"} 2\nc_total{x=\"z\"} 3\n"),
    ];
    for (path, body) in seeds {
        let pushed = http::put(&sidecar.url(path), body).expect("seed push");
        assert_eq!(pushed.status, 200, "seed {path}: {}", pushed.text());
    }
    sidecar
}

#[test]
fn bad_input_is_refused_and_changes_nothing() {
    let sidecar = start();
    let address = sidecar.address();
    let seeded = store_view(&sidecar);
    assert!(seeded.contains("c_total{a=\"b\",instance=\"\",job=\"seed4\",x=\"z\"} 3"));
    let cases = cases();
    assert!(cases.len() >= 60, "only {} cases", cases.len());
    let mut failures = Vec::new();
    let dump = std::env::var_os("PUSHGW_DUMP").is_some();
    for case in &cases {
        let before = store_view(&sidecar);
        let reply = exchange(&address, &case.bytes, case.then);
        if dump {
            eprintln!("{}: {:?} {:?}", case.name, reply.status, reply.body);
        }
        let answered = match case.expect {
            Expect::Status(status, reason) => {
                reply.status == Some(status) && reply.body.contains(reason)
            }
            Expect::Closed => reply.status.is_none(),
        };
        if !answered {
            failures.push(format!(
                "{}: expected {:?}, got {:?} {:?}",
                case.name,
                case.expect,
                reply.status,
                reply.body.chars().take(200).collect::<String>()
            ));
        }
        let healthy = http::get(&sidecar.url("/-/healthy")).expect("the server still serves");
        assert_eq!(
            healthy.status,
            200,
            "after {}: {}",
            case.name,
            healthy.text()
        );
        let after = store_view(&sidecar);
        let (before, after) = if case.stamps_failure {
            (
                without_failure_times(&before),
                without_failure_times(&after),
            )
        } else {
            (before, after)
        };
        if after != before {
            failures.push(format!("{}: the store changed:\n{after}", case.name));
        }
    }
    // Only the failure timestamps of the stamping cases may have moved.
    if without_failure_times(&store_view(&sidecar)) != without_failure_times(&seeded) {
        failures.push("the store is not the seeded one any more".to_owned());
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    // The refusals were counted by limit.
    let metrics = http::get(&sidecar.url("/metrics")).expect("scrape").text();
    for limit in ["decompressed_bytes", "series_per_push", "groups", "series"] {
        let line = metrics
            .lines()
            .find(|line| {
                line.starts_with(&format!(
                    "pushgw_limit_rejections_total{{limit=\"{limit}\"}}"
                ))
            })
            .unwrap_or_else(|| panic!("no rejections line for {limit}:\n{metrics}"));
        assert!(!line.ends_with(" 0"), "{line}");
    }
    assert!(metrics.contains("pushgw_limit_headroom{limit=\"groups\"} 0\n"));
    assert!(metrics.contains("pushgw_limit_headroom{limit=\"series\"} 5\n"));
}

/// Idle connections up to the limit hold their slots; the next one gets a `429` naming the limit
/// at once; once they go, the server serves again, and idle ones are closed by the header
/// deadline anyway.
#[test]
fn idle_connections_cannot_exhaust_the_server() {
    let sidecar = start();
    let address = sidecar.address();
    let before = store_view(&sidecar);
    let idle: Vec<TcpStream> = (0..MAX_CONNECTIONS)
        .map(|_| TcpStream::connect(&address).expect("connect"))
        .collect();
    // The accept loop takes them in order; poll until the limit is visibly reached.
    let refused = pushgw_tests::wait_for(
        DEADLINE,
        "a connection over the limit to be refused",
        || {
            let reply = exchange(
                &address,
                &request("GET", "/-/healthy", &[], b""),
                Then::Read,
            );
            match reply.status {
                Some(429) => Ok(Some(reply)),
                other => Err(format!("got {other:?}")),
            }
        },
    );
    assert!(
        refused
            .body
            .contains("connection limit of 32 (--web.max-connections)"),
        "{}",
        refused.body
    );
    // The idle connections are closed by the server after --web.read-header-timeout, without
    // an answer. (The last few may have been refused instead, if the seed pushes' connections
    // still held their slots when they arrived.)
    for mut stream in idle {
        stream
            .set_read_timeout(Some(DEADLINE))
            .expect("read timeout");
        let mut received = Vec::new();
        stream
            .read_to_end(&mut received)
            .expect("closed within the deadline");
        assert!(
            received.is_empty() || received.starts_with(b"HTTP/1.1 429 "),
            "{}",
            String::from_utf8_lossy(&received)
        );
    }
    pushgw_tests::wait_until(DEADLINE, "the server to serve again", || {
        http::get(&sidecar.url("/-/healthy")).map(|r| r.status == 200)
    });
    assert_eq!(store_view(&sidecar), before);
    let metrics = http::get(&sidecar.url("/metrics")).expect("scrape").text();
    assert!(
        !metrics.contains("pushgw_limit_rejections_total{limit=\"connections\"} 0\n"),
        "{metrics}"
    );
}
