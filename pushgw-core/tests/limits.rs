//! Capacity limits and truthful health, in process through `Gateway::handle` (issue 8).

use std::io::Write as _;
use std::time::SystemTime;

use bytes::Bytes;
use pushgw_core::gateway::{ConnectionLimit, Gateway, GatewayOptions, Limits};

fn gateway(limits: Limits) -> Gateway {
    Gateway::new(GatewayOptions {
        limits,
        ..GatewayOptions::default()
    })
}

/// `(status, body)` of one request.
fn send(gateway: &Gateway, method: &str, path: &str, body: &[u8]) -> (u16, String) {
    send_with(gateway, method, path, &[], body)
}

fn send_with(
    gateway: &Gateway,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String) {
    let mut request = http::Request::builder().method(method).uri(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request
        .body(Bytes::copy_from_slice(body))
        .expect("valid request");
    let response = gateway.handle(request, SystemTime::UNIX_EPOCH);
    let status = response.status().as_u16();
    (
        status,
        String::from_utf8_lossy(response.body()).into_owned(),
    )
}

fn scrape(gateway: &Gateway) -> String {
    send(gateway, "GET", "/metrics", b"").1
}

/// The `pushgw_limit_*` sample lines of a scrape.
fn limit_lines(gateway: &Gateway) -> Vec<String> {
    scrape(gateway)
        .lines()
        .filter(|line| line.starts_with("pushgw_limit"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn an_unlimited_gateway_reports_no_limits() {
    let gateway = gateway(Limits::default());
    assert_eq!(send(&gateway, "PUT", "/metrics/job/j", b"m 1\n").0, 200);
    assert!(!scrape(&gateway).contains("pushgw_limit"));
}

#[test]
fn series_per_push_is_a_413_naming_the_limit_and_changes_nothing() {
    let gateway = gateway(Limits {
        max_series_per_push: Some(2),
        ..Limits::default()
    });
    assert_eq!(
        send(&gateway, "PUT", "/metrics/job/j", b"a 1\nb 2\n").0,
        200
    );
    let before = scrape(&gateway);
    let (status, body) = send(&gateway, "PUT", "/metrics/job/j", b"a 1\nb 2\nc 3\n");
    assert_eq!(status, 413);
    assert_eq!(
        body,
        "push of 3 series exceeds the series_per_push limit of 2 series\n"
    );
    // Only the counters moved; not even push_failure_time_seconds.
    let store = |scraped: &str| -> Vec<String> {
        scraped
            .lines()
            .filter(|line| !line.contains("pushgateway_http") && !line.contains("pushgw_"))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(store(&scrape(&gateway)), store(&before));
    assert!(
        limit_lines(&gateway)
            .contains(&"pushgw_limit_rejections_total{limit=\"series_per_push\"} 1".to_owned())
    );
    // The timestamp families a client pushes are ignored, so they do not count.
    let pushed = b"a 1\nb 2\npush_time_seconds 3\n";
    assert_eq!(send(&gateway, "PUT", "/metrics/job/j", pushed).0, 200);
}

#[test]
fn groups_beyond_the_limit_are_a_429_and_create_no_group() {
    let gateway = gateway(Limits {
        max_groups: Some(1),
        ..Limits::default()
    });
    assert_eq!(send(&gateway, "PUT", "/metrics/job/a", b"m 1\n").0, 200);
    // Even a push that would fail creates a group in the reference: refused before that.
    for body in [&b"m 1\n"[..], b"m{\n"] {
        let (status, text) = send(&gateway, "PUT", "/metrics/job/b", body);
        assert_eq!(status, 429);
        assert_eq!(
            text,
            "push would create group {job=\"b\"} beyond the groups limit of 1 groups\n"
        );
    }
    // The existing group takes pushes, and deleting it makes room.
    assert_eq!(send(&gateway, "POST", "/metrics/job/a", b"n 1\n").0, 200);
    assert_eq!(send(&gateway, "DELETE", "/metrics/job/a", b"").0, 202);
    assert_eq!(send(&gateway, "PUT", "/metrics/job/b", b"m 1\n").0, 200);
    assert_eq!(
        limit_lines(&gateway),
        [
            "pushgw_limit_headroom{limit=\"groups\"} 0",
            "pushgw_limit_rejections_total{limit=\"decompressed_bytes\"} 0",
            "pushgw_limit_rejections_total{limit=\"groups\"} 2",
        ]
    );
}

#[test]
fn total_series_count_replacements_and_merges() {
    let gateway = gateway(Limits {
        max_series: Some(4),
        ..Limits::default()
    });
    assert_eq!(
        send(
            &gateway,
            "PUT",
            "/metrics/job/a",
            b"m{i=\"1\"} 1\nm{i=\"2\"} 1\nn 1\n"
        )
        .0,
        200
    );
    assert_eq!(
        limit_lines(&gateway)[0],
        "pushgw_limit_headroom{limit=\"series\"} 1"
    );
    // A PUT replaces the group's 3 series: 4 is fine, 5 is not.
    let four = b"m{i=\"1\"} 1\nm{i=\"2\"} 1\nm{i=\"3\"} 1\nn 1\n";
    assert_eq!(send(&gateway, "PUT", "/metrics/job/a", four).0, 200);
    let (status, body) = send(&gateway, "POST", "/metrics/job/b", b"x 1\n");
    assert_eq!(status, 429);
    assert_eq!(
        body,
        "push would bring the store to 5 series, over the series limit of 4 series\n"
    );
    // A POST replaces only the families it names: `m` (3 series) by 1 series.
    assert_eq!(send(&gateway, "POST", "/metrics/job/a", b"m 1\n").0, 200);
    assert_eq!(
        send(&gateway, "POST", "/metrics/job/b", b"x 1\ny 1\n").0,
        200
    );
    assert_eq!(
        limit_lines(&gateway)[0],
        "pushgw_limit_headroom{limit=\"series\"} 0"
    );
    // Wiping empties the count.
    let admin = Gateway::new(GatewayOptions {
        enable_admin_api: true,
        limits: Limits {
            max_series: Some(1),
            ..Limits::default()
        },
        ..GatewayOptions::default()
    });
    assert_eq!(send(&admin, "PUT", "/metrics/job/a", b"m 1\n").0, 200);
    assert_eq!(send(&admin, "PUT", "/metrics/job/b", b"m 1\n").0, 429);
    assert_eq!(send(&admin, "PUT", "/api/v1/admin/wipe", b"").0, 202);
    assert_eq!(send(&admin, "PUT", "/metrics/job/b", b"m 1\n").0, 200);
}

#[test]
fn a_decompression_bomb_is_a_413_naming_the_limit() {
    let gateway = Gateway::new(GatewayOptions {
        max_body_bytes: Some(1 << 20),
        limits: Limits {
            max_groups: Some(10),
            ..Limits::default()
        },
        ..GatewayOptions::default()
    });
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder
        .write_all(&vec![b'#'; 64 << 20])
        .expect("in-memory write");
    let bomb = encoder.finish().expect("in-memory write");
    let (status, body) = send_with(
        &gateway,
        "PUT",
        "/metrics/job/j",
        &[("Content-Encoding", "gzip")],
        &bomb,
    );
    assert_eq!(status, 413);
    assert_eq!(
        body,
        "decompressed request body exceeds the decompressed_bytes limit of 1048576 bytes\n"
    );
    assert!(
        limit_lines(&gateway)
            .contains(&"pushgw_limit_rejections_total{limit=\"decompressed_bytes\"} 1".to_owned())
    );
}

#[test]
fn connections_are_reported_from_the_shared_limit() {
    let connections = ConnectionLimit::new(3);
    let gateway = gateway(Limits {
        connections: Some(connections.clone()),
        ..Limits::default()
    });
    let _open = [connections.try_open(), connections.try_open()];
    assert!(connections.try_open().is_some(), "the third fits");
    let _third = connections.try_open();
    assert!(connections.try_open().is_none());
    assert_eq!(
        limit_lines(&gateway),
        [
            "pushgw_limit_headroom{limit=\"connections\"} 0",
            "pushgw_limit_rejections_total{limit=\"connections\"} 1",
            "pushgw_limit_rejections_total{limit=\"decompressed_bytes\"} 0",
        ]
    );
}

#[test]
fn limit_families_cannot_be_pushed_with_another_type() {
    let gateway = gateway(Limits::default());
    let (status, body) = send(
        &gateway,
        "PUT",
        "/metrics/job/j",
        b"# TYPE pushgw_limit_headroom counter\npushgw_limit_headroom 1\n",
    );
    assert_eq!(status, 400, "{body}");
}

/// Reference issue #544: with the consistency check off, an inconsistent push makes every scrape
/// fail; health must say so, with the reason, so that a supervisor restarts or alerts.
#[test]
fn health_fails_with_the_reason_while_a_scrape_would_fail() {
    let gateway = Gateway::new(GatewayOptions {
        consistency_check: false,
        ..GatewayOptions::default()
    });
    for path in ["/-/healthy", "/-/ready"] {
        assert_eq!(send(&gateway, "GET", path, b""), (200, "OK".to_owned()));
    }
    let first = b"# TYPE some_metric counter\nsome_metric 1\n";
    let second = b"# TYPE some_metric counter\nsome_metric{tag=\"val1\"} 42\n";
    assert_eq!(
        send(&gateway, "POST", "/metrics/job/some_job/tag/val1", first).0,
        202
    );
    assert_eq!(
        send(&gateway, "POST", "/metrics/job/some_job", second).0,
        202
    );
    let (status, scraped) = send(&gateway, "GET", "/metrics", b"");
    assert_eq!(status, 500);
    let reason = scraped
        .strip_prefix("An error has occurred while serving metrics:\n\n")
        .expect("the scrape error");
    for path in ["/-/healthy", "/-/ready"] {
        let (status, body) = send(&gateway, "GET", path, b"");
        assert_eq!(status, 500, "{path}");
        assert_eq!(
            body,
            format!("a scrape of /metrics would fail:\n\n{reason}")
        );
        assert!(body.contains("was collected before with the same name and label values"));
    }
    // Deleting the offending group heals it.
    assert_eq!(
        send(&gateway, "DELETE", "/metrics/job/some_job", b"").0,
        202
    );
    assert_eq!(send(&gateway, "GET", "/-/healthy", b"").0, 200);
}
