//! Cost of the store's operations as the store grows: a push must not get slower with the number
//! of groups (the reference re-gathers the whole store on every push), and a scrape after a push
//! only re-renders the families that push touched.
//!
//! ```text
//! cargo bench -p pushgw-core --bench store
//! ```

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use pushgw_core::grouping::GroupingKey;
use pushgw_core::model::MetricFamily;
use pushgw_core::store::{PushMode, Store};

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

criterion_group!(benches, store);
criterion_main!(benches);
