//! Cost of the store's operations as the store grows: a push must not get slower with the number
//! of groups (the reference re-gathers the whole store on every push), and a scrape after a push
//! only re-renders the families that push touched.
//!
//! Groups `store_<N>_groups` drive the [`Store`] directly; `gateway_push` and `gateway_scrape`
//! go through [`Gateway::handle`] as the sidecar does (issue 3's figures): a POST of ten samples
//! into one of N groups (consistency check on) for N = 100 to 100,000, and `GET /metrics` of
//! 200,000 series in 10,000 groups, plain and gzipped, cached and right after a push. The
//! `callgrind` example runs the same workloads under valgrind for instruction counts.
//!
//! ```text
//! cargo bench -p pushgw-core --bench store
//! cargo bench -p pushgw-core --bench store -- gateway_push
//! ```

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use pushgw_core::gateway::{Gateway, GatewayOptions};
use pushgw_core::grouping::GroupingKey;
use pushgw_core::model::MetricFamily;
use pushgw_core::store::{PushMode, Store};

mod workload;

/// What a batch job typically pushes: a few gauges and a counter, one or two series each.
fn body(job: usize) -> Vec<MetricFamily> {
    let text = format!(
        "# HELP job_duration_seconds Duration of the last run.\n\
         # TYPE job_duration_seconds gauge\njob_duration_seconds {job}\n\
         # TYPE job_last_success_unixtime gauge\n\
         job_last_success_unixtime{{step=\"extract\"}} 1.7e9\n\
         job_last_success_unixtime{{step=\"load\"}} 1.7e9\n\
         # TYPE job_records_total counter\njob_records_total 12345\n"
    );
    pushgw_core::text::parse(text.as_bytes()).expect("the benchmark body parses")
}

fn key(job: usize) -> GroupingKey {
    GroupingKey::from_path(&format!("job/job{job}/instance/host{}", job % 100))
        .expect("the benchmark path is valid")
}

fn at(seconds: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + seconds)
}

/// A store with `groups` groups, each pushed once.
fn store_with(groups: usize) -> Store {
    let mut store = Store::default();
    for job in 0..groups {
        store
            .push(key(job), body(job), PushMode::Replace, at(job as u64))
            .expect("the benchmark pushes are consistent");
    }
    store
}

fn store(c: &mut Criterion) {
    for groups in [100, 10_000] {
        let mut store = store_with(groups);
        let mut group = c.benchmark_group(format!("store_{groups}_groups"));
        group.sample_size(20);

        let mut t = 0;
        group.bench_function("push_replace", |b| {
            b.iter_batched(
                || body(7),
                |families| {
                    t += 1;
                    store
                        .push(key(7), families, PushMode::Replace, at(t))
                        .expect("consistent")
                },
                BatchSize::SmallInput,
            )
        });
        group.bench_function("push_rejected", |b| {
            let bad = "# TYPE job_duration_seconds counter\njob_duration_seconds 1\n";
            b.iter_batched(
                || pushgw_core::text::parse(bad.as_bytes()).expect("parses"),
                |families| {
                    store
                        .push(key(7), families, PushMode::Merge, at(0))
                        .expect_err("a type change is rejected")
                },
                BatchSize::SmallInput,
            )
        });
        // Minus `push_replace`: what a scrape after a push costs under the store's lock.
        group.bench_function("push_replace_then_exposition", |b| {
            b.iter_batched(
                || body(7),
                |families| {
                    t += 1;
                    store
                        .push(key(7), families, PushMode::Replace, at(t))
                        .expect("consistent");
                    black_box(store.exposition().expect("consistent"))
                },
                BatchSize::SmallInput,
            )
        });
        group.bench_function("exposition_unchanged", |b| {
            b.iter(|| black_box(store.exposition().expect("consistent")))
        });
        group.finish();
    }
}

/// µs per POST of ten samples as the store grows: should stay flat.
fn gateway_push(c: &mut Criterion) {
    let body = workload::push_body(7);
    let mut group = c.benchmark_group("gateway_push");
    group.sample_size(20);
    for groups in [100, 1_000, 10_000, 100_000] {
        let gateway = Gateway::new(GatewayOptions::default());
        workload::fill(&gateway, groups, workload::push_body);
        let mut i = 0;
        group.bench_function(format!("{groups}_groups"), |b| {
            b.iter_batched(
                || {
                    i += 1;
                    (workload::post(workload::target(i, groups), &body), i)
                },
                |(request, i)| {
                    let response = gateway.handle(request, workload::at(i as u64));
                    assert_eq!(response.status(), 200);
                },
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

/// `GET /metrics` of 200,000 series in 10,000 groups.
fn gateway_scrape(c: &mut Criterion) {
    const GROUPS: usize = 10_000;
    let gateway = Gateway::new(GatewayOptions::default());
    workload::fill(&gateway, GROUPS, workload::scrape_body);
    let body = workload::scrape_body(7);
    let mut group = c.benchmark_group("gateway_scrape");
    group.sample_size(10);
    for gzip in [false, true] {
        let suffix = if gzip { "_gzip" } else { "" };
        group.bench_function(format!("cached{suffix}"), |b| {
            b.iter_batched(
                || workload::scrape(gzip),
                |request| black_box(gateway.handle(request, workload::at(0))),
                BatchSize::SmallInput,
            )
        });
        // Minus `push_only`: the cost of a scrape that re-renders the families the push touched.
        let mut i = 0;
        group.bench_function(format!("push_then_scrape{suffix}"), |b| {
            b.iter_batched(
                || {
                    i += 1;
                    let push = workload::post(workload::target(i, GROUPS), &body);
                    (push, workload::scrape(gzip), i)
                },
                |(push, scrape, i)| {
                    gateway.handle(push, workload::at(i as u64));
                    black_box(gateway.handle(scrape, workload::at(0)))
                },
                BatchSize::SmallInput,
            )
        });
    }
    let mut i = 0;
    group.bench_function("push_only", |b| {
        b.iter_batched(
            || {
                i += 1;
                (workload::post(workload::target(i, GROUPS), &body), i)
            },
            |(push, i)| black_box(gateway.handle(push, workload::at(i as u64))),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, store, gateway_push, gateway_scrape);
criterion_main!(benches);
