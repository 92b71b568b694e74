//! Throughput of the text format: `text::parse` (bytes in) and `text::render` (bytes out), plus
//! `openmetrics::render`, on a realistic ~10 MB exposition (see `generator`).
//!
//! Each group is measured twice: in bytes per second (criterion's MB/s figure, against Go's
//! `expfmt` encoder at about 334 MB/s) and in samples (text lines) per second.
//!
//! ```text
//! cargo bench -p pushgw-core --bench formats -- render
//! ```

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

mod generator;

const TARGET_BYTES: usize = 10 * 1024 * 1024;

fn formats(c: &mut Criterion) {
    let (families, text) = generator::exposition(TARGET_BYTES);
    let samples = generator::sample_count(&text);
    eprintln!(
        "exposition: {} bytes, {} families, {samples} samples",
        text.len(),
        families.len()
    );

    // The output buffer is reused across iterations, as the store reuses its render buffers.
    let mut out = Vec::with_capacity(text.len() * 2);
    for (group_name, throughput) in [
        ("render", Throughput::Bytes(text.len() as u64)),
        ("render_samples", Throughput::Elements(samples)),
    ] {
        let mut group = c.benchmark_group(group_name);
        group.sample_size(20);
        group.throughput(throughput);
        group.bench_function("text", |b| {
            b.iter(|| {
                out.clear();
                pushgw_core::text::render(black_box(&families), &mut out);
                black_box(out.len())
            })
        });
        group.bench_function("openmetrics", |b| {
            b.iter(|| {
                out.clear();
                pushgw_core::openmetrics::render(black_box(&families), &mut out);
                black_box(out.len())
            })
        });
        group.finish();
    }

    for (group_name, throughput) in [
        ("parse", Throughput::Bytes(text.len() as u64)),
        ("parse_samples", Throughput::Elements(samples)),
    ] {
        let mut group = c.benchmark_group(group_name);
        group.sample_size(10);
        group.throughput(throughput);
        group.bench_function("text", |b| {
            b.iter(|| pushgw_core::text::parse(black_box(&text)).map(|families| families.len()))
        });
        group.finish();
    }
}

criterion_group!(benches, formats);
criterion_main!(benches);
