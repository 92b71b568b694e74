//! A driver for instruction counts under `valgrind --tool=callgrind`: unlike wall-clock times on a
//! shared machine, they do not depend on the load. Each measured region is a `measure_*`
//! function, so callgrind can count it alone:
//!
//! ```text
//! cargo build --release -p pushgw-core --example callgrind
//! valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*measure_*' \
//!     --callgrind-out-file=cg.parse target/release/examples/callgrind parse
//! callgrind_annotate --inclusive=yes cg.parse | grep measure_
//! ```
//!
//! Modes (the figure to divide by is printed on stdout):
//!
//! - `parse`, `render`: one `text::parse` / `text::render` of the ~10 MB exposition of the
//!   `formats` bench.
//! - `push <N>`: `PUSHES` POSTs of ten samples through `Gateway::handle` into a gateway of `N`
//!   groups (consistency check on).
//! - `put <N> <S>`: `PUSHES` PUTs of `S` samples (`workload::sharded_body`, as
//!   `bench/lua/push.lua` sends) through `Gateway::handle` into a gateway of `N` groups, each
//!   filled with the same body first.
//! - `scrape <case>`: one `GET /metrics` of 200,000 series in 10,000 groups: right after a push
//!   (`fresh`), or with nothing changed since the previous scrape (`cached`); `fresh-gzip` and
//!   `cached-gzip` with `Accept-Encoding: gzip`.

use std::hint::black_box;
use std::process::ExitCode;

use bytes::Bytes;
use http::{Request, Response};
use pushgw_core::gateway::{Gateway, GatewayOptions};
use pushgw_core::model::MetricFamily;

#[path = "../benches/generator/mod.rs"]
mod generator;
#[path = "../benches/workload/mod.rs"]
mod workload;

/// Pushes per `push` run: enough to average out, few enough for valgrind.
const PUSHES: usize = 1_000;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["parse"] => {
            let (_, text) = generator::exposition(10 * 1024 * 1024);
            let families = measure_parse(&text);
            println!(
                "parse: {} bytes, {} samples, {} families",
                text.len(),
                generator::sample_count(&text),
                families.len()
            );
        }
        ["render"] => {
            let (families, text) = generator::exposition(10 * 1024 * 1024);
            let mut out = Vec::with_capacity(text.len() * 2);
            measure_render(&families, &mut out);
            println!(
                "render: {} bytes, {} samples",
                out.len(),
                generator::sample_count(&out)
            );
        }
        ["push", groups] => {
            let groups: usize = groups.parse().expect("push <number of groups>");
            let gateway = Gateway::new(GatewayOptions::default());
            workload::fill(&gateway, groups, workload::push_body);
            let body = workload::push_body(7);
            let requests: Vec<_> = (0..PUSHES)
                .map(|i| workload::post(workload::target(i, groups), &body))
                .collect();
            wait_for_instrumentation();
            measure_pushes(&gateway, requests);
            println!(
                "push: {PUSHES} pushes of {} samples into {groups} groups",
                workload::PUSH_SAMPLES
            );
        }
        ["put", groups, samples] => {
            let groups: usize = groups.parse().expect("put <number of groups> <samples>");
            let samples: usize = samples.parse().expect("put <number of groups> <samples>");
            let gateway = Gateway::new(GatewayOptions::default());
            for job in 0..groups {
                let response = gateway.handle(
                    workload::put(job, &workload::sharded_body(job, samples)),
                    workload::at(job as u64),
                );
                assert_eq!(response.status(), 200, "the setup pushes are accepted");
            }
            let requests: Vec<_> = (0..PUSHES)
                .map(|i| {
                    let job = workload::target(i, groups);
                    workload::put(job, &workload::sharded_body(job, samples))
                })
                .collect();
            wait_for_instrumentation();
            measure_pushes(&gateway, requests);
            println!("put: {PUSHES} pushes of {samples} samples into {groups} groups");
        }
        ["scrape", case] => {
            const GROUPS: usize = 10_000;
            let (cached, gzip) = match *case {
                "fresh" => (false, false),
                "cached" => (true, false),
                "fresh-gzip" => (false, true),
                "cached-gzip" => (true, true),
                _ => return usage(),
            };
            let gateway = Gateway::new(GatewayOptions::default());
            workload::fill(&gateway, GROUPS, workload::scrape_body);
            gateway.handle(
                workload::post(3, &workload::scrape_body(7)),
                workload::at(1),
            );
            if cached {
                gateway.handle(workload::scrape(gzip), workload::at(0));
            }
            wait_for_instrumentation();
            let response = measure_scrape(&gateway, workload::scrape(gzip));
            println!(
                "scrape ({case}): {} bytes, {GROUPS} groups, {} series",
                response.body().len(),
                GROUPS * workload::SCRAPE_SAMPLES
            );
        }
        _ => return usage(),
    }
    ExitCode::SUCCESS
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: callgrind parse|render|push <groups>|put <groups> <samples>|scrape fresh|cached|fresh-gzip|cached-gzip"
    );
    ExitCode::from(2)
}

/// With `CALLGRIND_WAIT_FILE` set, waits until that file exists: the setup can run under
/// `--instr-atstart=no` (several times faster) and the caller turns instrumentation on with
/// `callgrind_control -i on` before creating the file. Sleeping in short steps lets valgrind
/// take the command.
fn wait_for_instrumentation() {
    let Some(path) = std::env::var_os("CALLGRIND_WAIT_FILE") else {
        return;
    };
    println!("ready");
    while !std::path::Path::new(&path).exists() {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[inline(never)]
fn measure_parse(text: &[u8]) -> Vec<MetricFamily> {
    pushgw_core::text::parse(black_box(text)).expect("the generated exposition parses")
}

#[inline(never)]
fn measure_render(families: &[MetricFamily], out: &mut Vec<u8>) {
    pushgw_core::text::render(black_box(families), out);
}

#[inline(never)]
fn measure_pushes(gateway: &Gateway, requests: Vec<Request<Bytes>>) {
    for (i, request) in requests.into_iter().enumerate() {
        let response = gateway.handle(request, workload::at(i as u64));
        assert_eq!(response.status(), 200, "the pushes are accepted");
    }
}

#[inline(never)]
fn measure_scrape(gateway: &Gateway, request: Request<Bytes>) -> Response<Bytes> {
    gateway.handle(request, workload::at(0))
}
