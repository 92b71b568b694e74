//! Measures the snapshot of a large store: `cargo run --release --example snapshot_timing -- DIR`
//! with `DIR` holding text bodies `g<N>.prom`, pushed to `job_<N>/instance/host_<N>`.

use std::time::{Instant, SystemTime};

use bytes::Bytes;
use pushgw_core::gateway::{Gateway, GatewayOptions};

fn main() {
    let dir = std::env::args()
        .nth(1)
        .expect("a directory of g<N>.prom bodies");
    let gateway = Gateway::new(GatewayOptions::default());
    for n in 0.. {
        let Ok(body) = std::fs::read(format!("{dir}/g{n}.prom")) else {
            break;
        };
        let request = http::Request::put(format!("/metrics/job/job_{n}/instance/host_{n}"))
            .body(Bytes::from(body))
            .expect("a valid request");
        assert_eq!(gateway.handle(request, SystemTime::now()).status(), 200);
    }
    let started = Instant::now();
    let bytes = gateway.snapshot();
    let encoded = started.elapsed();
    let started = Instant::now();
    let groups = pushgw_core::snapshot::decode(&bytes).expect("decodes");
    let decoded = started.elapsed();
    let started = Instant::now();
    let restarted = Gateway::new(GatewayOptions::default());
    restarted.restore(&bytes).expect("restores");
    let restored = started.elapsed();
    let started = Instant::now();
    let scrape = http::Request::get("/metrics")
        .body(Bytes::new())
        .expect("valid");
    let text = restarted.handle(scrape, SystemTime::now()).into_body();
    let first_scrape = started.elapsed();
    println!(
        "{} groups, {} bytes; snapshot {encoded:?}, decode {decoded:?}, restore (decode + store) {restored:?}, first scrape {first_scrape:?} ({} bytes)",
        groups.len(),
        bytes.len(),
        text.len()
    );
}
