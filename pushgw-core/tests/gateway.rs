//! Scenario tests of `Gateway::handle`, in process and without sockets: the reference's own test
//! suite (spec §12.1, §12.4, §12.5) and the conformance cases observed on 1.5.1 (§12.6), plus
//! content negotiation, CORS, JSON escaping and route prefixes (§4.5, §5, §9.2). The expected
//! answers were checked against the Go binary (`tests/tests/http_surface.rs` and
//! `api_differential.rs` compare the two gateways directly).

use std::io::{Read, Write};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use expect_test::expect;
use http::Response;
use pushgw_core::gateway::{Gateway, GatewayOptions, QuitRequested};
use pushgw_core::model::{
    BucketSpan, Count, Histogram, LabelPair, Metric, MetricFamily, MetricType, NativeBuckets,
    NativeHistogram, Summary, Value,
};
use pushgw_core::proto;

const PROTOBUF: &str =
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";

/// 2020-03-09T19:17:28.025745Z, the push time of the reference's TestMetricsAPI.
fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_nanos(1_583_781_448_025_745_000)
}

fn send(
    gateway: &Gateway,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Response<Bytes> {
    let mut request = http::Request::builder().method(method).uri(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request
        .body(Bytes::copy_from_slice(body))
        .expect("a valid test request");
    gateway.handle(request, now())
}

fn text(response: &Response<Bytes>) -> String {
    String::from_utf8_lossy(response.body()).into_owned()
}

fn header<'a>(response: &'a Response<Bytes>, name: &str) -> Option<&'a str> {
    response
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
}

/// The pushed lines of a text scrape: everything but the gateway's own `pushgateway_*` families.
fn pushed(gateway: &Gateway) -> String {
    let response = send(gateway, "GET", "/metrics", &[], b"");
    assert_eq!(response.status(), 200, "{}", text(&response));
    text(&response)
        .lines()
        .filter(|line| !line.contains("pushgateway_"))
        .map(|line| format!("{line}\n"))
        .collect()
}

fn pb(families: &[MetricFamily]) -> Vec<u8> {
    let mut out = Vec::new();
    proto::encode(families, &mut out);
    out
}

fn family(name: &str, metric_type: MetricType, metrics: Vec<Metric>) -> MetricFamily {
    MetricFamily {
        name: name.to_owned(),
        help: None,
        metric_type,
        unit: None,
        metrics,
    }
}

fn metric(labels: &[(&str, &str)], value: Value) -> Metric {
    Metric {
        labels: labels.iter().map(|(n, v)| LabelPair::new(*n, *v)).collect(),
        value,
        timestamp_ms: None,
    }
}

/// The reference's float native histogram (spec §12.1 TestPush 9).
fn float_native_histogram(labels: &[(&str, &str)]) -> Metric {
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
    let counts = NativeBuckets::Counts(vec![2.0, 2.0, -2.0, 0.0]);
    metric(
        labels,
        Value::Histogram(Box::new(Histogram {
            count: Count::Float(20.0),
            sum: 99.23,
            native: Some(NativeHistogram {
                schema: 1,
                negative_spans: spans.clone(),
                negative: counts.clone(),
                positive_spans: spans,
                positive: counts,
                ..NativeHistogram::default()
            }),
            ..Histogram::default()
        })),
    )
}

#[test]
fn healthy_and_ready() {
    let gateway = Gateway::new(GatewayOptions::default());
    for path in ["/-/healthy", "/-/ready"] {
        let response = send(&gateway, "GET", path, &[], b"");
        assert_eq!(response.status(), 200);
        assert_eq!(text(&response), "OK");
        assert_eq!(
            header(&response, "content-type"),
            Some("text/plain; charset=utf-8")
        );
    }
    // POST is a 405 with the reference's Allow header (spec §6, §12.6).
    let response = send(&gateway, "POST", "/-/healthy", &[], b"");
    assert_eq!(response.status(), 405);
    assert_eq!(header(&response, "allow"), Some("GET, OPTIONS"));
    assert_eq!(text(&response), "Method Not Allowed\n");
}

/// One push (or delete) against a fresh gateway, after an optional setup push.
struct PushCase {
    setup: Option<(&'static str, &'static str)>,
    method: &'static str,
    path: &'static str,
    headers: &'static [(&'static str, &'static str)],
    body: &'static [u8],
    status: u16,
    /// The whole response body.
    answer: &'static str,
}

const fn push(method: &'static str, path: &'static str, body: &'static [u8]) -> PushCase {
    PushCase {
        setup: None,
        method,
        path,
        headers: &[],
        body,
        status: 200,
        answer: "",
    }
}

const fn fails(mut case: PushCase, status: u16, answer: &'static str) -> PushCase {
    case.status = status;
    case.answer = answer;
    case
}

const fn headers(mut case: PushCase, headers: &'static [(&'static str, &'static str)]) -> PushCase {
    case.headers = headers;
    case
}

const fn after(mut case: PushCase, path: &'static str, body: &'static str) -> PushCase {
    case.setup = Some((path, body));
    case
}

const INVALID: &str = "pushed metrics are invalid or inconsistent with existing metrics: ";

/// Spec §12.1 TestPush/TestDelete/TestSplitLabels and §12.6, as status and exact answer.
const PUSH_CASES: &[PushCase] = &[
    fails(
        push("POST", "/metrics/job@base64/=", b""),
        400,
        "job name is required\n",
    ),
    push("POST", "/metrics/job/testjob", b""),
    fails(
        push("POST", "/metrics/job/testjob", b"blablabla\n"),
        400,
        "text format parsing error in line 1: expected float as value, got \"\"\n",
    ),
    fails(
        push("POST", "/metrics/job/j1", b"some_metric 3.14"),
        400,
        "text format parsing error in line 1: unexpected end of input stream\n",
    ),
    fails(
        push("PUT", "/metrics/job/j1/a", b"x 1\n"),
        400,
        "odd number of components in label string \"/a\"\n",
    ),
    fails(
        push("PUT", "/metrics/job/j1/__a/b", b"x 1\n"),
        400,
        "improper label name \"__a\"\n",
    ),
    fails(
        push("PUT", "/metrics/job/j1/a=b/c", b"x 1\n"),
        400,
        "improper label name \"a=b\"\n",
    ),
    fails(
        push("PUT", "/metrics/job/j1/a@base64/foo.bar", b"x 1\n"),
        400,
        "invalid base64 encoding for label a=\"foo.bar\": illegal base64 data at input byte 3\n",
    ),
    fails(
        push("PUT", "/metrics/job/a/y@base64/YW=Jj", b"x 1\n"),
        400,
        "invalid base64 encoding for label y=\"YW=Jj\": illegal base64 data at input byte 2\n",
    ),
    push("PUT", "/metrics/job/x/instance/", b"x 1\n"),
    push("PUT", "/metrics/job/x%20y/b/c+d", b"x 1\n"),
    fails(
        push("PUT", "/metrics/job/j", b"dup 1\ndup 2\n"),
        400,
        "pushed metrics are invalid or inconsistent with existing metrics: collected metric \"dup\" { label:<name:\"instance\" value:\"\" > label:<name:\"job\" value:\"j\" > untyped:<value:2 > } was collected before with the same name and label values\n",
    ),
    fails(
        after(
            push(
                "PUT",
                "/metrics/job/b",
                b"# TYPE some_metric gauge\nsome_metric 1\n",
            ),
            "/metrics/job/a",
            "some_metric 1\n",
        ),
        400,
        "pushed metrics are invalid or inconsistent with existing metrics: collected metric \"some_metric\" { label:<name:\"instance\" value:\"\" > label:<name:\"job\" value:\"b\" > gauge:<value:1 > } is not a UNTYPED\n",
    ),
    push(
        "PUT",
        "/metrics/job/j",
        b"x NaN\ny +Inf\nz -Inf\nw 1e3\nu -0\n",
    ),
    fails(
        push("PUT", "/metrics/job/j", b"x 0x1p3\n"),
        400,
        "text format parsing error in line 1: expected float as value, got \"0x1p3\"\n",
    ),
    fails(
        push("PUT", "/metrics/job/j", b"x 1\r\n"),
        400,
        "text format parsing error in line 1: expected float as value, got \"1\\r\"\n",
    ),
    push(
        "PUT",
        "/metrics/job/j",
        b"# TYPE om_c counter\nom_c_total 5\nom_c_created 1.6e9\n# EOF\n",
    ),
    fails(
        push(
            "PUT",
            "/metrics/job/j",
            b"# TYPE om2 counter\nom2_total 5 # {trace_id=\"abc\"} 1.0\n",
        ),
        400,
        "text format parsing error in line 2: expected integer as timestamp, got \"#\"\n",
    ),
    fails(
        push(
            "PUT",
            "/metrics/job/j",
            b"# HELP hx first\n# HELP hx second\n",
        ),
        400,
        "text format parsing error in line 2: second HELP line for metric name \"hx\"\n",
    ),
    fails(
        push("PUT", "/metrics/job/j", b"hy 1\n# TYPE hy gauge\n"),
        400,
        "text format parsing error in line 2: second TYPE line for metric name \"hy\", or TYPE reported after samples\n",
    ),
    fails(
        push("PUT", "/metrics/job/j", b"# TYPE hz foo\n"),
        400,
        "text format parsing error in line 1: unknown metric type \"foo\"\n",
    ),
    fails(
        push("PUT", "/metrics/job/j", b"hq{a=\"1\",a=\"2\"} 1\n"),
        400,
        "text format parsing error in line 1: duplicate label names for metric \"hq\"\n",
    ),
    fails(
        push("PUT", "/metrics/job/j", b"hq{__name__=\"x\"} 1\n"),
        400,
        "text format parsing error in line 1: label name \"__name__\" is reserved\n",
    ),
    fails(
        push("PUT", "/metrics/job/j", b"stamped 1 1000\n"),
        400,
        "pushed metrics are invalid or inconsistent with existing metrics: pushed metrics must not have timestamps\n",
    ),
    fails(
        headers(
            push("PUT", "/metrics/job/j", b"\x0a\x03abc"),
            &[("Content-Type", "application/vnd.google.protobuf")],
        ),
        400,
        // The body starts with a newline (the varint length 10), hence line 2 [obs 1.5.1].
        "text format parsing error in line 2: invalid metric name\n",
    ),
    fails(
        headers(
            push("PUT", "/metrics/job/j", b"\x05\x0a"),
            &[("Content-Type", PROTOBUF)],
        ),
        400,
        "unexpected EOF\n",
    ),
    fails(
        headers(
            push("PUT", "/metrics/job/j", b"not gzip"),
            &[("Content-Encoding", "gzip")],
        ),
        400,
        "unexpected EOF\n",
    ),
    // Q10 (spec §17): an empty gzip body is an empty body; the reference answers 400.
    headers(
        push("PUT", "/metrics/job/j", b""),
        &[("Content-Encoding", "gzip")],
    ),
    push("DELETE", "/metrics/job/testjob", b""),
    fails(
        push("DELETE", "/metrics/job@base64/=", b""),
        400,
        "job name is required\n",
    ),
    push(
        "DELETE",
        "/metrics/job@base64/dGVzdC9qb2I=/instance@base64/dGVzdGluc3RhbmNl",
        b"",
    ),
    fails(
        push("PUT", "/metrics/job/j/l1/v1/a=b/v2", b""),
        400,
        "improper label name \"a=b\"\n",
    ),
    fails(
        push("PUT", "/metrics/job/j/l1/v1/__l2/v2", b""),
        400,
        "improper label name \"__l2\"\n",
    ),
    fails(
        push("PUT", "/metrics/job/j/l1/v1/l2/label/v2", b""),
        400,
        "odd number of components in label string \"/l1/v1/l2/label/v2\"\n",
    ),
];

#[test]
fn push_and_delete_answers() {
    let mut failures = Vec::new();
    for case in PUSH_CASES {
        let gateway = Gateway::new(GatewayOptions::default());
        if let Some((path, body)) = case.setup {
            let setup = send(&gateway, "PUT", path, &[], body.as_bytes());
            assert_eq!(setup.status(), 200, "setup {path}: {}", text(&setup));
        }
        let response = send(&gateway, case.method, case.path, case.headers, case.body);
        let expected_status = if case.status == 200 && case.method == "DELETE" {
            202
        } else {
            case.status
        };
        if response.status() != expected_status || text(&response) != case.answer {
            failures.push(format!(
                "{} {} {:?}: {} {:?}, expected {expected_status} {:?}",
                case.method,
                case.path,
                String::from_utf8_lossy(case.body),
                response.status(),
                text(&response),
                case.answer
            ));
        }
        if response.status() == 400 {
            assert_eq!(header(&response, "x-content-type-options"), Some("nosniff"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn push_outcomes_are_exposed() {
    let gateway = Gateway::new(GatewayOptions::default());
    let body = b"some_metric 3.14\nanother_metric{instance=\"testinstance\",job=\"testjob\"} 42\n";
    // The third push collides with the first: both would expose
    // `another_metric{instance="testinstance",job="testjob"}` [obs 1.5.1: 400 as well].
    for (path, status) in [
        ("/metrics/job/testjob/instance/testinstance", 200),
        (
            "/metrics/job@base64/dGVzdC9qb2I=/instance@base64/dGVzdGluc3RhbmNl",
            200,
        ),
        ("/metrics/job/testjob", 400),
        ("/metrics/job/x%20y/b/c+d/instance/", 200),
    ] {
        assert_eq!(
            send(&gateway, "POST", path, &[], body).status(),
            status,
            "{path}"
        );
    }
    let split = "/metrics/job/split/label_name1@base64/bGFiZWwvdmFsdWUx/label_name2@base64/bGFiZWwvdmFsdWUy==";
    assert_eq!(send(&gateway, "PUT", split, &[], b"s 1\n").status(), 200);
    expect![[r##"
        # TYPE another_metric untyped
        another_metric{instance="testinstance",job="test/job"} 42
        another_metric{instance="testinstance",job="testjob"} 42
        another_metric{b="c+d",instance="",job="x y"} 42
        # HELP push_failure_time_seconds Last Unix time when changing this group in the Pushgateway failed.
        # TYPE push_failure_time_seconds gauge
        push_failure_time_seconds{instance="",job="testjob"} 1.583781448025745e+09
        push_failure_time_seconds{instance="testinstance",job="test/job"} 0
        push_failure_time_seconds{instance="testinstance",job="testjob"} 0
        push_failure_time_seconds{b="c+d",instance="",job="x y"} 0
        push_failure_time_seconds{instance="",job="split",label_name1="label/value1",label_name2="label/value2"} 0
        # HELP push_time_seconds Last Unix time when changing this group in the Pushgateway succeeded.
        # TYPE push_time_seconds gauge
        push_time_seconds{instance="",job="testjob"} 0
        push_time_seconds{instance="testinstance",job="test/job"} 1.583781448025745e+09
        push_time_seconds{instance="testinstance",job="testjob"} 1.583781448025745e+09
        push_time_seconds{b="c+d",instance="",job="x y"} 1.583781448025745e+09
        push_time_seconds{instance="",job="split",label_name1="label/value1",label_name2="label/value2"} 1.583781448025745e+09
        # TYPE s untyped
        s{instance="",job="split",label_name1="label/value1",label_name2="label/value2"} 1
        # TYPE some_metric untyped
        some_metric{instance="testinstance",job="test/job"} 3.14
        some_metric{instance="testinstance",job="testjob"} 3.14
        some_metric{b="c+d",instance="",job="x y"} 3.14
    "##]]
    .assert_eq(&pushed(&gateway));
}

#[test]
fn special_floats_in_text_and_api() {
    let gateway = Gateway::new(GatewayOptions::default());
    let body = b"x NaN\ny +Inf\nz -Inf\nw 1e3\nu -0\n";
    assert_eq!(
        send(&gateway, "PUT", "/metrics/job/f", &[], body).status(),
        200
    );
    let exposition = pushed(&gateway);
    for line in [
        "x{instance=\"\",job=\"f\"} NaN\n",
        "y{instance=\"\",job=\"f\"} +Inf\n",
        "z{instance=\"\",job=\"f\"} -Inf\n",
        "w{instance=\"\",job=\"f\"} 1000\n",
        "u{instance=\"\",job=\"f\"} 0\n",
    ] {
        assert!(exposition.contains(line), "{line:?} in {exposition}");
    }
    let api = text(&send(&gateway, "GET", "/api/v1/metrics", &[], b""));
    for value in ["\"NaN\"", "\"+Inf\"", "\"-Inf\"", "\"1000\"", "\"-0\""] {
        assert!(
            api.contains(&format!("\"value\":{value}")),
            "{value} in {api}"
        );
    }
}

#[test]
fn protobuf_push_with_a_float_native_histogram() {
    let gateway = Gateway::new(GatewayOptions::default());
    let families = vec![
        family(
            "some_metric",
            MetricType::Untyped,
            vec![metric(&[], Value::Untyped(1.234))],
        ),
        family(
            "another_metric",
            MetricType::Untyped,
            vec![metric(&[], Value::Untyped(2.5))],
        ),
        family(
            "histogram_metric",
            MetricType::Histogram,
            vec![float_native_histogram(&[])],
        ),
    ];
    let response = send(
        &gateway,
        "POST",
        "/metrics/job/testjob/instance/testinstance",
        &[("Content-Type", PROTOBUF)],
        &pb(&families),
    );
    assert_eq!(response.status(), 200, "{}", text(&response));
    // Read back as protobuf: stored verbatim, plus the grouping labels.
    let scrape = send(&gateway, "GET", "/metrics", &[("Accept", PROTOBUF)], b"");
    assert_eq!(header(&scrape, "content-type"), Some(PROTOBUF));
    let scraped = proto::decode(scrape.body()).expect("a delimited protobuf scrape");
    let histogram = scraped
        .iter()
        .find(|f| f.name == "histogram_metric")
        .expect("the histogram is exposed");
    let labels = [("instance", "testinstance"), ("job", "testjob")];
    assert_eq!(histogram.metrics, vec![float_native_histogram(&labels)]);
    let names: Vec<&str> = scraped.iter().map(|f| f.name.as_str()).collect();
    assert!(names.contains(&"some_metric") && names.contains(&"another_metric"));
}

#[test]
fn protobuf_push_errors() {
    let stamped = {
        let mut m = metric(&[], Value::Gauge(1.0));
        m.timestamp_ms = Some(1000);
        vec![family("stamped", MetricType::Gauge, vec![m])]
    };
    let mismatch = vec![family(
        "g",
        MetricType::Gauge,
        vec![metric(
            &[],
            Value::Counter(pushgw_core::model::Counter {
                value: 1.0,
                ..Default::default()
            }),
        )],
    )];
    let bad_label = vec![family(
        "l",
        MetricType::Untyped,
        vec![metric(&[("__x", "1")], Value::Untyped(1.0))],
    )];
    for (families, answer) in [
        (
            stamped,
            format!("{INVALID}pushed metrics must not have timestamps\n"),
        ),
        (
            mismatch,
            format!(
                "{INVALID}collected metric \"g\" {{ label:<name:\"instance\" value:\"\" > label:<name:\"job\" value:\"j\" > counter:<value:1 > }} is not a GAUGE\n"
            ),
        ),
        (
            bad_label,
            format!(
                "{INVALID}collected metric \"l\" {{ label:<name:\"__x\" value:\"1\" > label:<name:\"instance\" value:\"\" > label:<name:\"job\" value:\"j\" > untyped:<value:1 > }} has a label with an invalid name: __x\n"
            ),
        ),
    ] {
        let gateway = Gateway::new(GatewayOptions::default());
        let response = send(
            &gateway,
            "PUT",
            "/metrics/job/j",
            &[("Content-Type", PROTOBUF)],
            &pb(&families),
        );
        assert_eq!(response.status(), 400);
        assert_eq!(text(&response), answer);
    }
}

#[test]
fn gzip_bodies_and_scrapes() {
    let gateway = Gateway::new(GatewayOptions::default());
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(b"zipped 1\n").expect("in memory");
    let zipped = encoder.finish().expect("in memory");
    let response = send(
        &gateway,
        "PUT",
        "/metrics/job/z",
        &[("Content-Encoding", "gzip")],
        &zipped,
    );
    assert_eq!(response.status(), 200, "{}", text(&response));
    let scrape = send(
        &gateway,
        "GET",
        "/metrics",
        &[("Accept-Encoding", "gzip")],
        b"",
    );
    assert_eq!(header(&scrape, "content-encoding"), Some("gzip"));
    let mut unzipped = String::new();
    flate2::read::GzDecoder::new(&scrape.body()[..])
        .read_to_string(&mut unzipped)
        .expect("a gzip scrape");
    assert!(unzipped.contains("zipped{instance=\"\",job=\"z\"} 1\n"));
}

/// The gzip body is assembled from chunks compressed once and reused until a write changes
/// them; after every kind of change it must still be exactly the plain scrape, compressed.
#[test]
fn gzip_scrapes_equal_plain_scrapes_as_the_store_changes() {
    let gateway = Gateway::new(GatewayOptions::default());
    let scrape = |gzip: bool| {
        let headers: &[(&str, &str)] = if gzip {
            &[("Accept-Encoding", "gzip")]
        } else {
            &[]
        };
        send(&gateway, "GET", "/metrics", headers, b"").into_body()
    };
    let check = |step: &str| {
        let plain = scrape(false);
        let mut unzipped = Vec::new();
        flate2::read::GzDecoder::new(&scrape(true)[..])
            .read_to_end(&mut unzipped)
            .expect("a gzip scrape");
        assert!(
            unzipped == plain[..],
            "after {step}: gzip and plain scrapes differ"
        );
    };
    check("nothing");
    // Enough groups for every family to span several cached chunks.
    for group in 0..1_500 {
        let body = format!("# HELP m A metric.\nm{{n=\"{group}\"}} {group}\nother 1\n");
        let path = format!("/metrics/job/j/g/{group}");
        assert_eq!(
            send(&gateway, "PUT", &path, &[], body.as_bytes()).status(),
            200
        );
    }
    check("1,500 pushes");
    let path = "/metrics/job/j/g/700";
    assert_eq!(
        send(&gateway, "POST", path, &[], b"m{n=\"700\"} -1\n").status(),
        200
    );
    check("a push into the middle");
    assert_eq!(
        send(&gateway, "DELETE", "/metrics/job/j/g/0", &[], b"").status(),
        202
    );
    check("a delete of the first group");
    assert_eq!(
        send(&gateway, "PUT", "/metrics/job/new", &[], b"aaa 1\n").status(),
        200
    );
    check("a new family");
    // A pushed family named like one of the gateway's own is merged with it at every scrape.
    let requests = "# HELP pushgateway_http_requests_total Total HTTP requests processed by the Pushgateway, excluding scrapes.\n# TYPE pushgateway_http_requests_total counter\npushgateway_http_requests_total{code=\"0\",handler=\"x\",method=\"y\"} 1\n";
    assert_eq!(
        send(
            &gateway,
            "PUT",
            "/metrics/job/own",
            &[],
            requests.as_bytes()
        )
        .status(),
        200
    );
    check("a push of an own family");
}

#[test]
fn wipe_needs_the_admin_api() {
    let off = Gateway::new(GatewayOptions::default());
    assert_eq!(
        send(&off, "PUT", "/api/v1/admin/wipe", &[], b"").status(),
        404
    );
    let on = Gateway::new(GatewayOptions {
        enable_admin_api: true,
        ..GatewayOptions::default()
    });
    for job in ["a", "b", "c", "d", "e"] {
        let path = format!("/metrics/job/{job}");
        assert_eq!(send(&on, "PUT", &path, &[], b"x 1\n").status(), 200);
    }
    let wipe = send(&on, "PUT", "/api/v1/admin/wipe", &[], b"");
    assert_eq!(wipe.status(), 202);
    assert_eq!(header(&wipe, "access-control-allow-origin"), None);
    expect![[r#"{"status":"success","data":[]}"#]].assert_eq(&text(&send(
        &on,
        "GET",
        "/api/v1/metrics",
        &[],
        b"",
    )));
}

#[test]
fn lifecycle() {
    let off = Gateway::new(GatewayOptions::default());
    let response = send(&off, "POST", "/-/quit", &[], b"");
    assert_eq!(response.status(), 403);
    assert_eq!(text(&response), "Lifecycle API is not enabled.");
    assert!(response.extensions().get::<QuitRequested>().is_none());
    let on = Gateway::new(GatewayOptions {
        enable_lifecycle: true,
        ..GatewayOptions::default()
    });
    let response = send(&on, "PUT", "/-/quit", &[], b"");
    assert_eq!(response.status(), 200);
    assert_eq!(text(&response), "Requesting termination... Goodbye!");
    assert!(response.extensions().get::<QuitRequested>().is_some());
}

#[test]
fn status_api() {
    let pairs = |entries: &[(&str, &str)]| -> Vec<(String, String)> {
        entries
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };
    let gateway = Gateway::new(GatewayOptions {
        flags: pairs(&[
            ("web.telemetry-path", "/metrics"),
            ("persistence.interval", "5m0s"),
            ("web.enable-admin-api", "false"),
        ]),
        build_information: pairs(&[
            ("version", "1.5.1"),
            ("branch", "debian/sid"),
            ("revision", "1.5.1-2+b5"),
            ("buildUser", "team+pkg-go@tracker.debian.org"),
            ("buildDate", "20230409-10:14:32"),
            ("goVersion", "go1.19.8"),
        ]),
        start_time: now(),
        ..GatewayOptions::default()
    });
    let response = send(&gateway, "GET", "/api/v1/status", &[], b"");
    assert_eq!(header(&response, "content-type"), Some("application/json"));
    assert_eq!(
        header(&response, "access-control-allow-methods"),
        Some("GET, POST, DELETE, OPTIONS")
    );
    expect![[r#"{"status":"success","data":{"build_information":{"branch":"debian/sid","buildDate":"20230409-10:14:32","buildUser":"team+pkg-go@tracker.debian.org","goVersion":"go1.19.8","revision":"1.5.1-2+b5","version":"1.5.1"},"flags":{"persistence.interval":"5m0s","web.enable-admin-api":"false","web.telemetry-path":"/metrics"},"start_time":"2020-03-09T19:17:28.025745Z"}}"#]]
        .assert_eq(&text(&response));
}

/// Spec §12.4 TestMetricsAPI, with what the 1.5.1 binary prints for the four histograms: classic
/// buckets only, and float counts as `"0"` (its API reads only the integer fields).
#[test]
fn metrics_api() {
    let gateway = Gateway::new(GatewayOptions::default());
    expect![[r#"{"status":"success","data":[]}"#]].assert_eq(&text(&send(
        &gateway,
        "GET",
        "/api/v1/metrics",
        &[],
        b"",
    )));
    let bucket = |upper_bound, count| pushgw_core::model::Bucket {
        upper_bound,
        cumulative_count: count,
        exemplar: None,
    };
    let classic = |count, c1, c2| Histogram {
        count,
        sum: 99.23,
        buckets: vec![bucket(250_000.0, c1), bucket(500_000.0, c2)],
        ..Histogram::default()
    };
    let mut int_native = float_native_histogram(&[("testing", "int native histogram")]);
    if let Value::Histogram(h) = &mut int_native.value {
        h.count = Count::Int(20);
        let native = h.native.as_mut().expect("native");
        native.positive = NativeBuckets::Deltas(vec![0, 2, -2, 0]);
        native.negative = NativeBuckets::Deltas(vec![0, 2, -2, 0]);
    }
    let families = vec![
        family(
            "mf1",
            MetricType::Summary,
            vec![metric(&[], Value::Summary(Summary::default()))],
        ),
        family(
            "mfh",
            MetricType::Histogram,
            vec![
                metric(
                    &[("testing", "int classic histogram")],
                    Value::Histogram(Box::new(classic(
                        Count::Int(20),
                        Count::Int(3),
                        Count::Int(17),
                    ))),
                ),
                metric(
                    &[("testing", "float classic histogram")],
                    Value::Histogram(Box::new(classic(
                        Count::Float(20.0),
                        Count::Float(3.0),
                        Count::Float(17.0),
                    ))),
                ),
                int_native,
                float_native_histogram(&[("testing", "float native histogram")]),
            ],
        ),
    ];
    let response = send(
        &gateway,
        "PUT",
        "/metrics/job/Bj%C3%B6rn/instance/inst'a%22n%5Cce1",
        &[("Content-Type", PROTOBUF)],
        &pb(&families),
    );
    assert_eq!(response.status(), 200, "{}", text(&response));
    let api = send(&gateway, "GET", "/api/v1/metrics", &[], b"");
    assert_eq!(header(&api, "access-control-allow-origin"), Some("*"));
    expect![[r#"{"status":"success","data":[{"labels":{"instance":"inst'a\"n\\ce1","job":"Björn"},"last_push_successful":true,"mf1":{"time_stamp":"2020-03-09T19:17:28.025745Z","type":"SUMMARY","metrics":[{"count":"0","labels":{"instance":"inst'a\"n\\ce1","job":"Björn"},"quantiles":{},"sum":"0"}]},"mfh":{"time_stamp":"2020-03-09T19:17:28.025745Z","type":"HISTOGRAM","metrics":[{"buckets":{"250000":"3","500000":"17"},"count":"20","labels":{"instance":"inst'a\"n\\ce1","job":"Björn","testing":"int classic histogram"},"sum":"99.23"},{"buckets":{"250000":"0","500000":"0"},"count":"0","labels":{"instance":"inst'a\"n\\ce1","job":"Björn","testing":"float classic histogram"},"sum":"99.23"},{"buckets":{},"count":"20","labels":{"instance":"inst'a\"n\\ce1","job":"Björn","testing":"int native histogram"},"sum":"99.23"},{"buckets":{},"count":"0","labels":{"instance":"inst'a\"n\\ce1","job":"Björn","testing":"float native histogram"},"sum":"99.23"}]},"push_failure_time_seconds":{"time_stamp":"2020-03-09T19:17:28.025745Z","type":"GAUGE","help":"Last Unix time when changing this group in the Pushgateway failed.","metrics":[{"labels":{"instance":"inst'a\"n\\ce1","job":"Björn"},"value":"0"}]},"push_time_seconds":{"time_stamp":"2020-03-09T19:17:28.025745Z","type":"GAUGE","help":"Last Unix time when changing this group in the Pushgateway succeeded.","metrics":[{"labels":{"instance":"inst'a\"n\\ce1","job":"Björn"},"value":"1.583781448025745e+09"}]}}]}"#]]
    .assert_eq(&text(&api));
}

#[test]
fn json_escapes_html_characters() {
    let gateway = Gateway::new(GatewayOptions::default());
    let body = b"# HELP h a <b> & c\nh{v=\"<&>\"} 1\n";
    assert_eq!(
        send(&gateway, "PUT", "/metrics/job/j", &[], body).status(),
        200
    );
    let api = text(&send(&gateway, "GET", "/api/v1/metrics", &[], b""));
    assert!(
        api.contains(r#""help":"a \u003cb\u003e \u0026 c""#),
        "{api}"
    );
    assert!(api.contains(r#""v":"\u003c\u0026\u003e""#), "{api}");
}

/// Spec §4.3: a pushed family that the gateway itself defines gets the gateway's HELP.
#[test]
fn own_family_help_wins() {
    let gateway = Gateway::new(GatewayOptions::default());
    let body = b"# HELP pushgateway_build_info Mine.\n# TYPE pushgateway_build_info gauge\npushgateway_build_info{x=\"y\"} 2\n";
    let response = send(&gateway, "PUT", "/metrics/job/j", &[], body);
    assert_eq!(response.status(), 200, "{}", text(&response));
    let scrape = text(&send(&gateway, "GET", "/metrics", &[], b""));
    assert!(!scrape.contains("Mine."), "{scrape}");
    assert!(
        scrape.contains("pushgateway_build_info{instance=\"\",job=\"j\",x=\"y\"} 2\n"),
        "{scrape}"
    );
}

#[test]
fn cors_on_the_api_only() {
    let gateway = Gateway::new(GatewayOptions::default());
    let preflight = send(&gateway, "OPTIONS", "/api/v1/anything", &[], b"");
    assert_eq!(preflight.status(), 200);
    assert_eq!(
        header(&preflight, "access-control-allow-headers"),
        Some("Accept, Authorization, Content-Type, Origin")
    );
    assert_eq!(
        header(&preflight, "access-control-expose-headers"),
        Some("Date")
    );
    assert_eq!(
        header(&preflight, "cache-control"),
        Some("no-cache, no-store, must-revalidate")
    );
    let router_options = send(&gateway, "OPTIONS", "/metrics/job/x", &[], b"");
    assert_eq!(router_options.status(), 200);
    assert_eq!(
        header(&router_options, "allow"),
        Some("DELETE, OPTIONS, POST, PUT")
    );
    assert_eq!(header(&router_options, "access-control-allow-origin"), None);
}

#[test]
fn route_prefix_and_external_url() {
    for (route_prefix, external_url, prefix) in [
        ("/pfx/", "", "/pfx"),
        ("pfx", "", "/pfx"),
        ("", "http://example.com:8080/ext/", "/ext"),
        ("/", "http://example.com/ext", ""),
    ] {
        let gateway = Gateway::new(GatewayOptions {
            route_prefix: route_prefix.to_owned(),
            external_url: external_url.to_owned(),
            ..GatewayOptions::default()
        });
        let what = format!("{route_prefix:?} {external_url:?}");
        let healthy = format!("{prefix}/-/healthy");
        assert_eq!(
            send(&gateway, "GET", &healthy, &[], b"").status(),
            200,
            "{what}"
        );
        let push = format!("{prefix}/metrics/job/p");
        assert_eq!(
            send(&gateway, "PUT", &push, &[], b"p 1\n").status(),
            200,
            "{what}"
        );
        let api = format!("{prefix}/api/v1/metrics");
        assert_eq!(
            send(&gateway, "GET", &api, &[], b"").status(),
            200,
            "{what}"
        );
        if !prefix.is_empty() {
            assert_eq!(
                send(&gateway, "GET", "/-/healthy", &[], b"").status(),
                404,
                "{what}"
            );
            let bare = send(&gateway, "GET", prefix, &[], b"");
            assert_eq!(bare.status(), 301, "{what}");
            assert_eq!(header(&bare, "location"), Some(&*format!("{prefix}/")));
        }
    }
}

/// `{job="x"}` and `{job="x",instance=""}` are two groups whose series would be the same. Both
/// gateways reject the second push; the 1.5.1 binary still records its failure time in a new
/// group, after which every scrape of it is a 500 (the same breakage as Q7). We create no group
/// for a push whose own timestamps collide, so the gateway keeps serving — reported as an
/// undocumented deviation.
#[test]
fn an_empty_instance_group_cannot_shadow_the_group_without_instance() {
    let gateway = Gateway::new(GatewayOptions::default());
    assert_eq!(
        send(&gateway, "PUT", "/metrics/job/x", &[], b"a 1\n").status(),
        200
    );
    let shadow = send(&gateway, "PUT", "/metrics/job/x/instance/", &[], b"b 1\n");
    assert_eq!(shadow.status(), 400);
    assert!(text(&shadow).starts_with(INVALID), "{}", text(&shadow));
    assert!(text(&shadow).contains("was collected before with the same name and label values"));
    let api = text(&send(&gateway, "GET", "/api/v1/metrics", &[], b""));
    let api: serde_json::Value = serde_json::from_str(&api).expect("JSON");
    assert_eq!(api["data"].as_array().map(Vec::len), Some(1), "{api}");
    assert_eq!(api["data"][0]["labels"], serde_json::json!({"job": "x"}));
    assert_eq!(send(&gateway, "GET", "/metrics", &[], b"").status(), 200);
}

/// Spec §1: HEAD is not routed; like the reference we answer 405 with `Allow: GET, OPTIONS`.
#[test]
fn head_on_health_is_method_not_allowed() {
    let gateway = Gateway::new(GatewayOptions::default());
    let response = send(&gateway, "HEAD", "/-/healthy", &[], b"");
    assert_eq!(response.status(), 405);
    assert_eq!(header(&response, "allow"), Some("GET, OPTIONS"));
}
