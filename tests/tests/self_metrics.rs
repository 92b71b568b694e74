//! The gateway's HTTP self-metrics against the reference (spec §10): the same requests go to the
//! Go Pushgateway 1.5.1 and to pushgw-sidecar; then `pushgateway_http_requests_total` must be
//! the same family, and `pushgateway_http_push_size_bytes` the same counts and sums (the request
//! size is the approximation client_golang computes) with the same series and quantile labels.
//! Durations differ by nature: only their series and counts are compared.

use pushgw_tests::exposition::family_blocks;
use pushgw_tests::http;
use pushgw_tests::{GoPushgateway, PushgwSidecar};

/// (method, path, headers, body).
type Request = (
    &'static str,
    &'static str,
    Vec<(&'static str, &'static str)>,
    &'static [u8],
);

/// Pushes good and bad, deletes, and requests of other handlers.
fn requests() -> Vec<Request> {
    let text = vec![("Content-Type", "text/plain; version=0.0.4")];
    vec![
        ("PUT", "/metrics/job/a", text.clone(), b"some_metric 3.14\n"),
        ("POST", "/metrics/job/a/instance/i", vec![], b"other 1\n"),
        ("POST", "/metrics/job/a/instance/i", vec![], b"other 2\n"),
        // Rejected pushes are measured too.
        ("PUT", "/metrics/job/b", vec![], b"not a metric\n"),
        ("PUT", "/metrics/job/a/odd", vec![], b"x 1\n"),
        ("DELETE", "/metrics/job/a/instance/i", vec![], b""),
        ("GET", "/api/v1/metrics", vec![], b""),
        ("GET", "/-/healthy", vec![], b""),
        ("GET", "/metrics", vec![], b""),
    ]
}

/// The value of the sample line starting with `prefix`.
fn sample(exposition: &str, prefix: &str) -> f64 {
    exposition
        .lines()
        .find_map(|line| line.strip_prefix(prefix)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no sample {prefix} in:\n{exposition}"))
}

/// The lines of family `name`, with sample values cut off.
fn shape(exposition: &str, name: &str) -> Vec<String> {
    let block = family_blocks(exposition)
        .into_iter()
        .find(|block| block.name == name)
        .unwrap_or_else(|| panic!("no family {name} in:\n{exposition}"));
    block
        .text
        .lines()
        .map(|line| match line.starts_with('#') {
            true => line.to_owned(),
            false => line
                .rsplit_once(' ')
                .map_or(line, |(series, _)| series)
                .to_owned(),
        })
        .collect()
}

#[test]
fn http_self_metrics_match_the_reference() {
    let go = GoPushgateway::start(&[]);
    let ours = PushgwSidecar::start(&[]);
    let mut scrapes = Vec::new();
    for (base, port) in [(go.base_url(), go.port()), (ours.base_url(), ours.port())] {
        for (method, path, headers, body) in requests() {
            http::request(method, &format!("{base}{path}"), &headers, body)
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let metrics = http::get(&format!("{base}/metrics")).expect("a scrape");
        scrapes.push((metrics.text(), port.to_string().len()));
    }
    let [(go, go_port_len), (ours, our_port_len)] = &scrapes[..] else {
        unreachable!("two gateways")
    };

    let requests_total = "pushgateway_http_requests_total";
    let requests_of = |exposition: &str| {
        family_blocks(exposition)
            .into_iter()
            .find(|block| block.name == requests_total)
            .map(|block| block.text)
    };
    assert_eq!(requests_of(ours), requests_of(go));

    for name in [
        "pushgateway_http_push_size_bytes",
        "pushgateway_http_push_duration_seconds",
    ] {
        assert_eq!(shape(ours, name), shape(go, name), "series of {name}");
    }
    for method in ["put", "post"] {
        let count = format!("pushgateway_http_push_size_bytes_count{{method=\"{method}\"}}");
        assert_eq!(sample(ours, &count), sample(go, &count), "{count}");
        let count = format!("pushgateway_http_push_duration_seconds_count{{method=\"{method}\"}}");
        assert_eq!(sample(ours, &count), sample(go, &count), "{count}");
        // The Host header holds the port, which may differ in length between the two.
        let sum = format!("pushgateway_http_push_size_bytes_sum{{method=\"{method}\"}}");
        let pushes = sample(go, &count);
        let host_difference = (*our_port_len as f64 - *go_port_len as f64) * pushes;
        assert_eq!(
            sample(ours, &sum),
            sample(go, &sum) + host_difference,
            "{sum}"
        );
    }
}
