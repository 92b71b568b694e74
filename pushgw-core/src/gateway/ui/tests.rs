//! The web UI through `Gateway::handle`: page content, escaping, assets, prefixes (spec §7,
//! §9.2, §12.2, §12.3).

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use expect_test::{Expect, expect};

use crate::gateway::{Gateway, GatewayOptions};

/// 2026-11-25T03:16:40.5Z, when the test pushes happen.
fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_millis(1_795_576_600_500)
}

fn request(gateway: &Gateway, method: &str, uri: &str, body: &str) -> http::Response<Bytes> {
    let request = http::Request::builder()
        .method(method)
        .uri(uri)
        .body(Bytes::from(body.to_owned()))
        .expect("a valid test request");
    gateway.handle(request, now())
}

fn push(gateway: &Gateway, path: &str, body: &str) {
    let response = request(gateway, "PUT", path, body);
    assert_eq!(response.status(), 200, "push to {path}: {response:?}");
}

fn get(gateway: &Gateway, uri: &str) -> (u16, String, String) {
    let response = request(gateway, "GET", uri, "");
    let content_type = response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap_or("<not ASCII>").to_owned())
        .unwrap_or_default();
    let status = response.status().as_u16();
    let body = String::from_utf8_lossy(response.body()).into_owned();
    (status, content_type, body)
}

/// The part of the page between two markers (inclusive of the first).
fn section<'a>(page: &'a str, from: &str, to: &str) -> &'a str {
    let start = page
        .find(from)
        .unwrap_or_else(|| panic!("{from:?} in {page}"));
    let end = page[start..].find(to).map_or(page.len(), |at| start + at);
    &page[start..end]
}

#[track_caller]
fn check(actual: &str, expect: Expect) {
    expect.assert_eq(actual);
}

#[test]
fn page_shows_groups_sorted_with_families_and_values() {
    let gateway = Gateway::new(GatewayOptions {
        enable_admin_api: true,
        ..Default::default()
    });
    push(
        &gateway,
        "/metrics/job/batch/zone/eu/instance/a",
        "# HELP latency How long it took.\n# TYPE latency summary\n\
         latency{quantile=\"0.5\"} 0.25\nlatency{quantile=\"0.99\"} 1e21\nlatency_sum 1.5\nlatency_count 3\n\
         # TYPE sizes histogram\nsizes_bucket{le=\"0.1\"} 1\nsizes_bucket{le=\"+Inf\"} 2\nsizes_sum 3\nsizes_count 2\n",
    );
    push(&gateway, "/metrics/job/aaa", "up 1\n");
    let (status, content_type, page) = get(&gateway, "/");
    assert_eq!(
        (status, content_type.as_str()),
        (200, "text/html; charset=utf-8")
    );
    check(
        section(
            &page,
            "<main id=\"metrics-div\">",
            "<main id=\"status-div\"",
        ),
        expect![[r#"
            <main id="metrics-div">
            <div class="toolbar"><button class="btn btn-danger" id="del-all">Delete All <span class="badge badge-warning" id="del-all-counter">2</span> Groups</button></div>
            <details class="card group" id="group-1">
            <summary><span class="badge badge-warning">job="batch"</span><span class="badge badge-primary">instance="a"</span><span class="badge badge-info">zone="eu"</span><button class="btn btn-danger delete-group" data-key="job=YmF0Y2g/instance=YQ/zone=ZXU" data-group="{job=&#34;batch&#34;, instance=&#34;a&#34;, zone=&#34;eu&#34;}">Delete Group</button></summary>
            <div class="card-body">
            <details class="card">
            <summary><span class="family-name">latency</span> <span class="badge badge-light">How long it took.</span> <span class="badge badge-success">SUMMARY</span> <span class="pushed">last pushed: 2026-11-25T03:16:40Z</span></summary>
            <div class="card-body">
            <table>
            <thead><tr><th>Labels</th><th>Value</th></tr></thead>
            <tbody>
            <tr><td><span class="badge badge-primary">instance="a"</span><span class="badge badge-warning">job="batch"</span><span class="badge badge-info">zone="eu"</span></td><td class="value"><table><tr><th scope="row">Quantile 0.5</th><td>0.25</td></tr><tr><th scope="row">Quantile 0.99</th><td>1000000000000000000000</td></tr><tr><th scope="row">Sample Count</th><td>3</td></tr><tr><th scope="row">Sample Sum</th><td>1.5</td></tr></table></td></tr>
            </tbody>
            </table>
            </div>
            </details>
            <details class="card">
            <summary><span class="family-name">push_failure_time_seconds</span> <span class="badge badge-light">Last Unix time when changing this group in the Pushgateway failed.</span> <span class="badge badge-success">GAUGE</span> <span class="pushed">last pushed: 2026-11-25T03:16:40Z</span></summary>
            <div class="card-body">
            <table>
            <thead><tr><th>Labels</th><th>Value</th></tr></thead>
            <tbody>
            <tr><td><span class="badge badge-primary">instance="a"</span><span class="badge badge-warning">job="batch"</span><span class="badge badge-info">zone="eu"</span></td><td class="value">0</td></tr>
            </tbody>
            </table>
            </div>
            </details>
            <details class="card">
            <summary><span class="family-name">push_time_seconds</span> <span class="badge badge-light">Last Unix time when changing this group in the Pushgateway succeeded.</span> <span class="badge badge-success">GAUGE</span> <span class="pushed">last pushed: 2026-11-25T03:16:40Z</span></summary>
            <div class="card-body">
            <table>
            <thead><tr><th>Labels</th><th>Value</th></tr></thead>
            <tbody>
            <tr><td><span class="badge badge-primary">instance="a"</span><span class="badge badge-warning">job="batch"</span><span class="badge badge-info">zone="eu"</span></td><td class="value">1795576600.5</td></tr>
            </tbody>
            </table>
            </div>
            </details>
            <details class="card">
            <summary><span class="family-name">sizes</span> <span class="badge badge-light"></span> <span class="badge badge-success">HISTOGRAM</span> <span class="pushed">last pushed: 2026-11-25T03:16:40Z</span></summary>
            <div class="card-body">
            <table>
            <thead><tr><th>Labels</th><th>Value</th></tr></thead>
            <tbody>
            <tr><td><span class="badge badge-primary">instance="a"</span><span class="badge badge-warning">job="batch"</span><span class="badge badge-info">zone="eu"</span></td><td class="value"><table><tr><th scope="row">Sample values ≤ 0.1</th><td>1</td></tr><tr><th scope="row">Sample values ≤ &#43;Inf</th><td>2</td></tr><tr><th scope="row">Total sample Count</th><td>2</td></tr><tr><th scope="row">Sample Sum</th><td>3</td></tr></table></td></tr>
            </tbody>
            </table>
            </div>
            </details>
            </div>
            </details>
            <details class="card group" id="group-2">
            <summary><span class="badge badge-warning">job="aaa"</span><button class="btn btn-danger delete-group" data-key="job=YWFh" data-group="{job=&#34;aaa&#34;}">Delete Group</button></summary>
            <div class="card-body">
            <details class="card">
            <summary><span class="family-name">push_failure_time_seconds</span> <span class="badge badge-light">Last Unix time when changing this group in the Pushgateway failed.</span> <span class="badge badge-success">GAUGE</span> <span class="pushed">last pushed: 2026-11-25T03:16:40Z</span></summary>
            <div class="card-body">
            <table>
            <thead><tr><th>Labels</th><th>Value</th></tr></thead>
            <tbody>
            <tr><td><span class="badge badge-primary">instance=""</span><span class="badge badge-warning">job="aaa"</span></td><td class="value">0</td></tr>
            </tbody>
            </table>
            </div>
            </details>
            <details class="card">
            <summary><span class="family-name">push_time_seconds</span> <span class="badge badge-light">Last Unix time when changing this group in the Pushgateway succeeded.</span> <span class="badge badge-success">GAUGE</span> <span class="pushed">last pushed: 2026-11-25T03:16:40Z</span></summary>
            <div class="card-body">
            <table>
            <thead><tr><th>Labels</th><th>Value</th></tr></thead>
            <tbody>
            <tr><td><span class="badge badge-primary">instance=""</span><span class="badge badge-warning">job="aaa"</span></td><td class="value">1795576600.5</td></tr>
            </tbody>
            </table>
            </div>
            </details>
            <details class="card">
            <summary><span class="family-name">up</span> <span class="badge badge-light"></span> <span class="badge badge-success">UNTYPED</span> <span class="pushed">last pushed: 2026-11-25T03:16:40Z</span></summary>
            <div class="card-body">
            <table>
            <thead><tr><th>Labels</th><th>Value</th></tr></thead>
            <tbody>
            <tr><td><span class="badge badge-primary">instance=""</span><span class="badge badge-warning">job="aaa"</span></td><td class="value">1</td></tr>
            </tbody>
            </table>
            </div>
            </details>
            </div>
            </details>
            </main>
        "#]],
    );
}

#[test]
fn hostile_label_values_are_escaped() {
    let gateway = Gateway::new(GatewayOptions::default());
    push(
        &gateway,
        "/metrics/job@base64/PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg",
        "# HELP m <b>bold</b> & 'quoted'\nm{v=\"\\\"><script>x()</script>\"} 1\n",
    );
    let (_, _, page) = get(&gateway, "/");
    assert!(!page.contains("<script>"), "{page}");
    assert!(!page.contains("<b>"), "{page}");
    check(
        section(
            &page,
            "<details class=\"card group\"",
            "<div class=\"card-body\">",
        ),
        expect![[r#"
            <details class="card group" id="group-1">
            <summary><span class="badge badge-warning">job="&lt;script&gt;alert(1)&lt;/script&gt;"</span><button class="btn btn-danger delete-group" data-key="job=PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg" data-group="{job=&#34;&lt;script&gt;alert(1)&lt;/script&gt;&#34;}">Delete Group</button></summary>
        "#]],
    );
    check(
        section(&page, "<span class=\"family-name\">m<", "</summary>"),
        expect![[
            r#"<span class="family-name">m</span> <span class="badge badge-light">&lt;b&gt;bold&lt;/b&gt; &amp; &#39;quoted&#39;</span> <span class="badge badge-success">UNTYPED</span> <span class="pushed">last pushed: 2026-11-25T03:16:40Z</span>"#
        ]],
    );
    assert!(
        page.contains(r#"v="&#34;&gt;&lt;script&gt;x()&lt;/script&gt;""#),
        "{page}"
    );
}

#[test]
fn failed_push_shows_the_red_pill() {
    let gateway = Gateway::new(GatewayOptions::default());
    push(&gateway, "/metrics/job/j", "m 1\n");
    let failed = request(
        &gateway,
        "PUT",
        "/metrics/job/j",
        "# TYPE m counter\nm -1\nm 2\n",
    );
    assert_eq!(failed.status(), 400);
    let (_, _, page) = get(&gateway, "/status");
    check(
        section(
            &page,
            "<summary><span class=\"badge badge-warning\">",
            "<button",
        ),
        expect![[r#"<summary><span class="badge badge-warning">job="j"</span>"#]],
    );
}

#[test]
fn delete_all_button_is_disabled_without_groups_and_absent_without_admin_api() {
    let admin = Gateway::new(GatewayOptions {
        enable_admin_api: true,
        ..Default::default()
    });
    let (_, _, page) = get(&admin, "/");
    assert!(
        page.contains(r#"<button class="btn btn-danger" id="del-all" disabled>Delete All <span class="badge badge-warning" id="del-all-counter">0</span> Groups</button>"#),
        "{page}"
    );
    let (_, _, page) = get(&Gateway::new(GatewayOptions::default()), "/");
    assert!(!page.contains("del-all"), "{page}");
}

#[test]
fn status_tab_shows_start_time_build_information_and_sorted_flags() {
    let gateway = Gateway::new(GatewayOptions {
        start_time: now() + Duration::from_nanos(12_300),
        build_information: vec![
            ("version".into(), "1.5.1".into()),
            ("branch".into(), "debian/sid".into()),
        ],
        flags: vec![
            ("web.listen-address".into(), ":9091".into()),
            ("log.level".into(), "info".into()),
        ],
        ..Default::default()
    });
    let (_, _, page) = get(&gateway, "/");
    check(
        section(&page, "<main id=\"status-div\"", "</body>"),
        expect![[r#"
            <main id="status-div" hidden>
            <h2>Runtime Information</h2>
            <table><tbody><tr><th>Started</th><td>2026-11-25 03:16:40.5000123 &#43;0000 UTC</td></tr></tbody></table>
            <h2>Build Information</h2>
            <table><tbody>
            <tr><th scope="row">branch</th><td>debian/sid</td></tr>
            <tr><th scope="row">version</th><td>1.5.1</td></tr>
            </tbody></table>
            <h2>Startup Flags</h2>
            <table><tbody>
            <tr><th scope="row">log.level</th><td>info</td></tr>
            <tr><th scope="row">web.listen-address</th><td>:9091</td></tr>
            </tbody></table>
            </main>
        "#]],
    );
}

#[test]
fn assets_are_served_by_extension_and_missing_ones_are_404() {
    let gateway = Gateway::new(GatewayOptions::default());
    let cases = [
        ("/static/functions.js", 200, "application/javascript"),
        (
            "/static/functions.js?v=1.5.1",
            200,
            "application/javascript",
        ),
        ("/static/pushgw.css", 200, "text/css"),
        ("/static/favicon.ico", 200, "image/x-icon"),
        ("/static/missing.js", 404, "text/plain; charset=utf-8"),
        ("/static/", 404, "text/plain; charset=utf-8"),
        ("/static/Functions.js", 404, "text/plain; charset=utf-8"),
    ];
    for (uri, status, content_type) in cases {
        let (actual_status, actual_type, _) = get(&gateway, uri);
        assert_eq!(
            (actual_status, actual_type.as_str()),
            (status, content_type),
            "{uri}"
        );
    }
}

/// Spec §12.2 TestRoutePrefixForStatic.
#[test]
fn assets_are_served_under_the_route_prefix() {
    let gateway = Gateway::new(GatewayOptions {
        route_prefix: "/route-prefix".into(),
        ..Default::default()
    });
    assert_eq!(get(&gateway, "/route-prefix/static/functions.js").0, 200);
    assert_eq!(get(&gateway, "/route-prefix/static/missing.js").0, 404);
    assert_eq!(get(&gateway, "/static/functions.js").0, 404);
}

/// Spec §12.3 TestPathPrefixPresenceInPage and §9.2: assets live under the external URL's path,
/// even when the route prefix differs (a reverse proxy strips the path); `.` without one.
#[test]
fn asset_links_use_the_external_url_path() {
    let cases = [
        ("", "http://host/foobar", "/foobar/", "/foobar/static/"),
        (
            "/",
            "http://127.0.0.1/10.0.0.5/pushgateway/",
            "/",
            "/10.0.0.5/pushgateway/static/",
        ),
        ("/route-prefix", "", "/route-prefix/", "./static/"),
        ("", "http://host:9091/", "/", "./static/"),
    ];
    for (route_prefix, external_url, page_uri, asset_prefix) in cases {
        let gateway = Gateway::new(GatewayOptions {
            route_prefix: route_prefix.into(),
            external_url: external_url.into(),
            ..Default::default()
        });
        let (status, _, page) = get(&gateway, page_uri);
        assert_eq!(status, 200, "{external_url} {page_uri}");
        for asset in ["favicon.ico", "pushgw.css", "functions.js"] {
            let link = format!("\"{asset_prefix}{asset}?v=");
            assert!(page.contains(&link), "{link} in {page}");
        }
    }
}

#[test]
fn requests_count_as_handlers_status_and_static() {
    let gateway = Gateway::new(GatewayOptions::default());
    get(&gateway, "/");
    get(&gateway, "/status");
    get(&gateway, "/static/pushgw.css");
    get(&gateway, "/static/missing.js");
    let (_, _, metrics) = get(&gateway, "/metrics");
    for line in [
        r#"pushgateway_http_requests_total{code="200",handler="status",method="get"} 2"#,
        r#"pushgateway_http_requests_total{code="200",handler="static",method="get"} 1"#,
        r#"pushgateway_http_requests_total{code="404",handler="static",method="get"} 1"#,
    ] {
        assert!(metrics.contains(line), "{line} in {metrics}");
    }
}

/// The URL functions.js builds from a Delete Group button's `data-key` (`job=ajx4Pg/a=/zone=ZXU`)
/// deletes that group, empty label value included.
#[test]
fn the_scripts_delete_url_deletes_the_group() {
    let gateway = Gateway::new(GatewayOptions::default());
    push(&gateway, "/metrics/job/j%3Cx%3E/zone/eu/a/", "m 1\n");
    let (_, _, page) = get(&gateway, "/");
    assert!(
        page.contains(r#"data-key="job=ajx4Pg/a=/zone=ZXU""#),
        "{page}"
    );
    let deleted = request(
        &gateway,
        "DELETE",
        "/metrics/job@base64/ajx4Pg/a%40base64/%3D/zone%40base64/ZXU%3D",
        "",
    );
    assert_eq!(deleted.status(), 202);
    let (_, _, page) = get(&gateway, "/");
    assert!(!page.contains("details class=\"card group\""), "{page}");
}
