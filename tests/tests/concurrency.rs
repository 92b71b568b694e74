//! Concurrency over real HTTP (issue 8): concurrent `PUT`/`POST`/`DELETE` and scrapes never show a
//! half-applied push, and writes to one group over one connection apply in arrival order.
//!
//! Each scenario runs against `pushgw-sidecar` as a plain in-memory gateway and with
//! `--persistence.sync`, whose write-ahead log puts its own lock around applying writes.

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use pushgw_tests::{PushgwSidecar, http};

const GROUPS: u64 = 4;
const SERIES: usize = 20;
const WRITERS: u64 = 4;
const REQUESTS_PER_WRITER: u64 = 120;

/// Starts the gateway plainly (`sync == false`) or with `--persistence.sync` on a file in `dir`.
fn start(sync: bool, dir: &tempfile::TempDir) -> PushgwSidecar {
    if sync {
        let file = format!("--persistence.file={}", dir.path().join("p.data").display());
        PushgwSidecar::start(&[&file, "--persistence.sync"])
    } else {
        PushgwSidecar::start(&[])
    }
}

/// A push that sets two families of `SERIES` series each, every sample to `value`.
fn push_body(value: u64) -> String {
    let mut body = String::new();
    for family in ["half_a", "half_b"] {
        for series in 0..SERIES {
            body.push_str(&format!("{family}{{series=\"{series}\"}} {value}\n"));
        }
    }
    body
}

/// The `job` label's value in a sample line.
fn job_of(line: &str) -> &str {
    let start = line
        .find("job=\"")
        .expect("every pushed series has a job label")
        + 5;
    let len = line[start..].find('"').expect("a closed label value");
    &line[start..start + len]
}

/// Checks one scrape: per group, every `half_*` sample has one value and all `2 * SERIES` are
/// there. Returns how many groups it saw.
#[track_caller]
fn check_scrape(scrape: &str) -> usize {
    let mut groups: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for line in scrape.lines().filter(|line| line.starts_with("half_")) {
        let (_, value) = line.rsplit_once(' ').expect("a sample line");
        groups.entry(job_of(line)).or_default().push(value);
    }
    for (job, values) in &groups {
        assert_eq!(
            values.len(),
            2 * SERIES,
            "group {job}: a push applied in part:\n{scrape}"
        );
        assert!(
            values.iter().all(|value| value == &values[0]),
            "group {job}: samples of different pushes mixed: {values:?}"
        );
    }
    groups.len()
}

#[test]
fn concurrent_writes_and_scrapes_never_show_a_half_applied_push() {
    for sync in [false, true] {
        let started = Instant::now();
        let dir = tempfile::tempdir().expect("temp dir");
        let gateway = start(sync, &dir);
        let base = gateway.base_url();
        let done = Arc::new(AtomicBool::new(false));
        let scrapers: Vec<_> = (0..2)
            .map(|_| {
                let (done, url) = (done.clone(), gateway.url("/metrics"));
                thread::spawn(move || {
                    let (mut scrapes, mut groups_seen) = (0, 0);
                    // At least a few scrapes even if the writers finish first.
                    while !done.load(Ordering::SeqCst) || scrapes < 5 {
                        let scrape = http::get(&url)
                            .and_then(http::Response::success)
                            .expect("scrape");
                        groups_seen += check_scrape(&scrape.text());
                        scrapes += 1;
                    }
                    (scrapes, groups_seen)
                })
            })
            .collect();
        let writers: Vec<_> = (0..WRITERS)
            .map(|writer| {
                let base = base.clone();
                thread::spawn(move || {
                    for i in 0..REQUESTS_PER_WRITER {
                        let value = writer * 1_000_000 + i;
                        let group = format!("{base}/metrics/job/g{}", (i * 7 + writer) % GROUPS);
                        let (response, expected) = match i % 5 {
                            0..=2 => (http::put(&group, push_body(value).as_bytes()), 200),
                            3 => (http::post(&group, push_body(value).as_bytes()), 200),
                            _ => (http::delete(&group), 202),
                        };
                        let response = response.expect("write request");
                        assert_eq!(response.status, expected, "{}", response.text());
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.join().expect("a writer failed");
        }
        done.store(true, Ordering::SeqCst);
        let (mut scrapes, mut groups_seen) = (0, 0);
        for scraper in scrapers {
            let (s, g) = scraper.join().expect("a scraper saw a half-applied push");
            scrapes += s;
            groups_seen += g;
        }
        // The scrapes raced real writes: they saw groups, not just an empty gateway.
        assert!(groups_seen > 0, "no group was ever scraped");
        check_scrape(&http::get(&gateway.url("/metrics")).expect("scrape").text());
        println!(
            "sync={sync}: {} writes, {scrapes} scrapes ({groups_seen} groups checked) in {:.1?}",
            WRITERS * REQUESTS_PER_WRITER,
            started.elapsed()
        );
    }
}

/// Pipelined requests on one keep-alive connection: `count` pushes of `ordered_value` 1, 2, …
/// (alternating `PUT` and `POST`), written in one go; returns the statuses in order.
fn pipeline(address: &str, count: u64) -> Vec<String> {
    let mut stream = TcpStream::connect(address).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("read timeout");
    let mut requests = Vec::new();
    for value in 1..=count {
        let method = if value % 2 == 0 { "POST" } else { "PUT" };
        let body = format!("ordered_value {value}\n");
        requests.extend_from_slice(
            format!(
                "{method} /metrics/job/ordered HTTP/1.1\r\nHost: {address}\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .as_bytes(),
        );
    }
    let mut writer = stream.try_clone().expect("clone the stream");
    let sending = thread::spawn(move || writer.write_all(&requests).expect("send the requests"));
    let mut received = Vec::new();
    let mut chunk = [0; 8192];
    let statuses = loop {
        let statuses: Vec<String> = String::from_utf8_lossy(&received)
            .match_indices("HTTP/1.1 ")
            .map(|(at, _)| String::from_utf8_lossy(&received[at + 9..at + 12]).into_owned())
            .collect();
        if statuses.len() as u64 >= count {
            break statuses;
        }
        let read = stream.read(&mut chunk).expect("read responses");
        assert!(
            read > 0,
            "the server closed the connection after {} responses",
            statuses.len()
        );
        received.extend_from_slice(&chunk[..read]);
    };
    sending.join().expect("sender");
    statuses
}

/// The `ordered_value` of group `ordered` in a scrape, if present.
fn ordered_value(scrape: &str) -> Option<u64> {
    scrape
        .lines()
        .find(|line| line.starts_with("ordered_value{"))
        .and_then(|line| line.rsplit_once(' '))
        .map(|(_, value)| value.parse().expect("an integer"))
}

#[test]
fn writes_over_one_connection_apply_in_arrival_order() {
    const COUNT: u64 = 300;
    for sync in [false, true] {
        let dir = tempfile::tempdir().expect("temp dir");
        let gateway = start(sync, &dir);
        let done = Arc::new(AtomicBool::new(false));
        // A scraper watches the value: it must never go down.
        let watcher = {
            let (done, url) = (done.clone(), gateway.url("/metrics"));
            thread::spawn(move || {
                let mut seen = Vec::new();
                while !done.load(Ordering::SeqCst) {
                    let scrape = http::get(&url).expect("scrape").text();
                    if let Some(value) = ordered_value(&scrape) {
                        assert!(
                            seen.last().is_none_or(|last| *last <= value),
                            "the value went from {seen:?} to {value}"
                        );
                        seen.push(value);
                    }
                }
                seen.len()
            })
        };
        let statuses = pipeline(&gateway.address(), COUNT);
        assert!(
            statuses.iter().all(|status| status == "200"),
            "sync={sync}: {statuses:?}"
        );
        done.store(true, Ordering::SeqCst);
        let observed = watcher.join().expect("the value went backwards");
        let scrape = http::get(&gateway.url("/metrics")).expect("scrape").text();
        assert_eq!(ordered_value(&scrape), Some(COUNT), "sync={sync}");
        println!("sync={sync}: {COUNT} pipelined writes, {observed} increasing observations");
    }
}
