//! The HTTP surface, request by request: every route, wrong methods, trailing slashes, case
//! fixing, path cleaning, escapes, route prefixes, the admin and lifecycle switches — sent to the
//! real Go Pushgateway 1.5.1 and to pushgw-core's `Gateway` with the equivalent options. Status,
//! the headers clients look at, and the body must be equal.
//!
//! Left out on purpose (spec §17 and the brief): the web UI and its assets (`<P>/`, `<P>/status`,
//! `<P>/static/*`, written elsewhere), pprof (`<P>/debug/pprof/*`: a documented deviation, we
//! answer 404), an empty gzip body (Q10), and `HEAD` on the health endpoints (D5: a harmless
//! extension). Scrape and status bodies hold the reference's `go_*` metrics, timestamps and
//! build information, so for those only status and headers are compared; their content is
//! compared in `api_differential.rs` and `gateway_differential.rs`.

use pushgw_core::gateway::GatewayOptions;
use pushgw_tests::{GoPushgateway, InProcessGateway, http};

/// Headers whose values must be equal (absent on both counts as equal).
const COMPARED_HEADERS: &[&str] = &[
    "location",
    "allow",
    "content-type",
    "content-encoding",
    "x-content-type-options",
    "access-control-allow-headers",
    "access-control-allow-methods",
    "access-control-allow-origin",
    "access-control-expose-headers",
    "cache-control",
];

/// How much of the body to compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    Exact,
    /// The body holds process-specific data (Go runtime metrics, start time, build info).
    Skip,
}

/// One request of the table.
#[derive(Debug, Clone, Copy)]
struct Case {
    method: &'static str,
    path: &'static str,
    headers: &'static [(&'static str, &'static str)],
    body: &'static [u8],
    compare: Body,
}

const fn case(method: &'static str, path: &'static str) -> Case {
    Case {
        method,
        path,
        headers: &[],
        body: b"",
        compare: Body::Exact,
    }
}

const fn skip_body(mut c: Case) -> Case {
    c.compare = Body::Skip;
    c
}

const fn with_body(mut c: Case, body: &'static [u8]) -> Case {
    c.body = body;
    c
}

const fn with_headers(mut c: Case, headers: &'static [(&'static str, &'static str)]) -> Case {
    c.headers = headers;
    c
}

/// Requests valid under any prefix `P`; `{P}` in a path is replaced by the prefix.
const ROUTES: &[Case] = &[
    // Health and readiness.
    case("GET", "{P}/-/healthy"),
    case("GET", "{P}/-/ready"),
    case("POST", "{P}/-/healthy"),
    case("PUT", "{P}/-/ready"),
    case("DELETE", "{P}/-/healthy"),
    case("OPTIONS", "{P}/-/healthy"),
    case("GET", "{P}/-/healthy/"),
    case("GET", "{P}/-/HEALTHY"),
    case("POST", "{P}/-/Ready"),
    // Pushes, including grouping-key errors.
    with_body(case("PUT", "{P}/metrics/job/s1"), b"a 1\n"),
    with_body(case("POST", "{P}/metrics/job/s2/instance/i1"), b"b 2\n"),
    with_body(case("PUT", "{P}/metrics/job/s3/instance/"), b"c 3\n"),
    with_body(case("PUT", "{P}/metrics/job/s4/x%20y/b/c+d"), b"d 4\n"),
    with_body(case("PUT", "{P}/metrics/job@base64/c3VyZmFjZQ"), b"e 5\n"),
    with_body(case("PUT", "{P}/metrics/job/s5/a@base64/=="), b"f 6\n"),
    with_body(case("PUT", "{P}/metrics/job/s6/odd"), b"a 1\n"),
    with_body(case("PUT", "{P}/metrics/job/s7/__a/b"), b"a 1\n"),
    with_body(case("PUT", "{P}/metrics/job/s8/a-b/c"), b"a 1\n"),
    with_body(case("PUT", "{P}/metrics/job/s9/a@base64/%21%21"), b"a 1\n"),
    with_body(case("PUT", "{P}/metrics/job/s10/a/b/a/c"), b"a 1\n"),
    with_body(case("PUT", "{P}/metrics/job/s11"), b"not a metric\n"),
    with_body(case("PUT", "{P}/metrics/job/s12"), b"stamped 1 1000\n"),
    with_body(case("PUT", "{P}/metrics/job/s13"), b"dup 1\ndup 2\n"),
    with_body(
        with_headers(
            case("PUT", "{P}/metrics/job/s14"),
            &[("Content-Encoding", "gzip")],
        ),
        b"not gzip",
    ),
    with_body(
        with_headers(
            case("PUT", "{P}/metrics/job/s15"),
            &[("Content-Encoding", "br")],
        ),
        b"a 1\n",
    ),
    with_body(
        with_headers(
            case("PUT", "{P}/metrics/job/s16"),
            &[(
                "Content-Type",
                "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited",
            )],
        ),
        b"\x05\x0a",
    ),
    case("DELETE", "{P}/metrics/job/s17/instance/i1"),
    case("DELETE", "{P}/metrics/job/s18/odd"),
    case("GET", "{P}/metrics/job/s19"),
    case("OPTIONS", "{P}/metrics/job/s20"),
    case("PATCH", "{P}/metrics/job/s21"),
    case("PUT", "{P}/metrics/job"),
    case("PUT", "{P}/metrics/job/"),
    case("POST", "{P}/metrics/jobs/x"),
    case("PUT", "{P}/Metrics/job/x"),
    case("DELETE", "{P}/METRICS/JOB/x"),
    case("PUT", "{P}/metrics/job/x//a/b"),
    case("PUT", "{P}/metrics/job/x/a/.."),
    case("PUT", "{P}/metrics/job/x/a/%2e%2e"),
    case("PUT", "{P}/metrics/job/x/a/%2Fb"),
    case("GET", "{P}/metrics/./x?q=1"),
    case("PUT", "{P}/metrics/job/x%zz"),
    // Scrapes.
    skip_body(case("GET", "{P}/metrics")),
    skip_body(with_headers(
        case("GET", "{P}/metrics"),
        &[("Accept-Encoding", "gzip")],
    )),
    skip_body(with_headers(
        case("GET", "{P}/metrics"),
        &[(
            "Accept",
            "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3",
        )],
    )),
    skip_body(with_headers(
        case("GET", "{P}/metrics"),
        &[("Accept", "application/openmetrics-text; version=1.0.0")],
    )),
    case("GET", "{P}/metrics/"),
    case("GET", "{P}/METRICS"),
    case("PUT", "{P}/METRICS"),
    case("POST", "{P}/metrics"),
    case("OPTIONS", "{P}/metrics"),
    case("HEAD", "{P}/metrics"),
    // The JSON API.
    skip_body(case("GET", "{P}/api/v1/status")),
    case("OPTIONS", "{P}/api/v1/status"),
    case("OPTIONS", "{P}/api/v1/anything/at/all"),
    case("POST", "{P}/api/v1/status"),
    case("PUT", "{P}/api/v1/metrics"),
    case("GET", "{P}/api/v1/unknown"),
    case("GET", "{P}/api/v1"),
    case("GET", "{P}/api/v1/"),
    case("GET", "{P}/api/v1/status/"),
    case("GET", "{P}/api/v1/Status"),
    case("GET", "{P}/api/v2/status"),
    case("GET", "{P}/api/v1//status"),
    case("PUT", "{P}/api/v1/admin/wipe"),
    case("GET", "{P}/api/v1/admin/wipe"),
    // Lifecycle without the flag (with it, see `lifecycle_enabled`).
    case("PUT", "{P}/-/quit"),
    case("POST", "{P}/-/quit"),
    case("GET", "/-/quit"),
    case("GET", "{P}/-/quit"),
    case("DELETE", "{P}/-/quit"),
    // Unknown paths.
    case("GET", "{P}/nothing/here"),
    case("PUT", "{P}/nothing/here"),
    case("GET", "{P}/-/"),
];

/// The pushed state after the table, read by the JSON API (timestamps differ, so only after
/// masking — `api_differential.rs` does that in depth); here we only check both accept it.
fn run_table(args: &[&str], options: GatewayOptions, prefix: &str, extra: &[Case]) {
    let go = GoPushgateway::start(args);
    let ours = InProcessGateway::start(options);
    let mut mismatches = Vec::new();
    for case in ROUTES.iter().chain(extra) {
        let path = case.path.replace("{P}", prefix);
        let theirs = send(&go.url(&path), case, &path);
        let mine = send(&ours.url(&path), case, &path);
        mismatches.extend(differences(case, &path, &theirs, &mine));
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches (Go vs ours) with {args:?}:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

fn send(url: &str, case: &Case, path: &str) -> http::Response {
    http::request(case.method, url, case.headers, case.body)
        .unwrap_or_else(|e| panic!("{} {path}: {e}", case.method))
}

fn differences(
    case: &Case,
    path: &str,
    theirs: &http::Response,
    mine: &http::Response,
) -> Vec<String> {
    let what = format!("{} {path} {:?}", case.method, case.headers);
    let mut out = Vec::new();
    if theirs.status != mine.status {
        out.push(format!(
            "{what}: status {} vs {}",
            theirs.status, mine.status
        ));
    }
    for name in COMPARED_HEADERS {
        let (a, b) = (theirs.header(name), mine.header(name));
        if a != b {
            out.push(format!("{what}: {name} {a:?} vs {b:?}"));
        }
    }
    if case.compare == Body::Exact && theirs.body != mine.body {
        out.push(format!(
            "{what}: body {:?} vs {:?}",
            theirs.text(),
            mine.text()
        ));
    }
    out
}

#[test]
fn default_flags() {
    run_table(&[], GatewayOptions::default(), "", &[]);
}

#[test]
fn route_prefix_flag() {
    run_table(
        &["--web.route-prefix=/pfx/"],
        GatewayOptions {
            route_prefix: "/pfx/".to_owned(),
            ..GatewayOptions::default()
        },
        "/pfx",
        &[
            case("GET", "/pfx"),
            case("GET", "/metrics"),
            case("PUT", "/metrics/job/x"),
            case("GET", "/-/healthy"),
            case("GET", "/api/v1/status"),
        ],
    );
}

#[test]
fn external_url_path() {
    run_table(
        &["--web.external-url=http://example.com:8080/ext/"],
        GatewayOptions {
            external_url: "http://example.com:8080/ext/".to_owned(),
            ..GatewayOptions::default()
        },
        "/ext",
        &[case("GET", "/ext"), case("GET", "/-/ready")],
    );
}

#[test]
fn route_prefix_wins_over_external_url() {
    run_table(
        &[
            "--web.route-prefix=inner",
            "--web.external-url=http://example.com/outer",
        ],
        GatewayOptions {
            route_prefix: "inner".to_owned(),
            external_url: "http://example.com/outer".to_owned(),
            ..GatewayOptions::default()
        },
        "/inner",
        &[case("GET", "/outer/-/ready")],
    );
}

#[test]
fn telemetry_path_flag() {
    run_table(
        &["--web.telemetry-path=/own"],
        GatewayOptions {
            telemetry_path: "/own".to_owned(),
            ..GatewayOptions::default()
        },
        "",
        &[
            skip_body(case("GET", "/own")),
            case("GET", "/own/"),
            case("POST", "/own"),
        ],
    );
}

#[test]
fn admin_api_enabled() {
    run_table(
        &["--web.enable-admin-api"],
        GatewayOptions {
            enable_admin_api: true,
            ..GatewayOptions::default()
        },
        "",
        &[
            case("PUT", "/api/v1/admin/wipe"),
            case("POST", "/api/v1/admin/wipe"),
            case("DELETE", "/api/v1/admin/wipe"),
            case("OPTIONS", "/api/v1/admin/wipe"),
            case("PUT", "/api/v1/admin/wipe/"),
        ],
    );
}

/// The quit requests come last: the Go binary shuts down after answering the first.
#[test]
fn lifecycle_enabled() {
    let go = GoPushgateway::start(&["--web.enable-lifecycle"]);
    let ours = InProcessGateway::start(GatewayOptions {
        enable_lifecycle: true,
        ..GatewayOptions::default()
    });
    for case in [
        case("GET", "/-/quit"),
        case("DELETE", "/-/quit"),
        case("OPTIONS", "/-/quit"),
        case("PUT", "/-/quit"),
    ] {
        let theirs = send(&go.url(case.path), &case, case.path);
        let mine = send(&ours.url(case.path), &case, case.path);
        let mismatches = differences(&case, case.path, &theirs, &mine);
        assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    }
}

/// An invalid base64 job name wedges that route of the 1.5.1 binary forever, so it gets its own
/// instance and nothing is sent after it.
#[test]
fn invalid_base64_job() {
    let go = GoPushgateway::start(&[]);
    let ours = InProcessGateway::start(GatewayOptions::default());
    let case = with_body(case("PUT", "/metrics/job@base64/%21%21"), b"a 1\n");
    let theirs = send(&go.url(case.path), &case, case.path);
    let mine = send(&ours.url(case.path), &case, case.path);
    let headers_only = Case {
        compare: Body::Skip,
        ..case
    };
    let mismatches = differences(&headers_only, case.path, &theirs, &mine);
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    // Q2 (spec §17): the reference names the job it failed to decode as `""`; we show the input.
    assert_eq!(
        theirs.text(),
        "invalid base64 encoding in job name \"\": illegal base64 data at input byte 0\n"
    );
    assert_eq!(
        mine.text(),
        "invalid base64 encoding in job name \"!!\": illegal base64 data at input byte 0\n"
    );
}
