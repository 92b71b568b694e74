//! Goals g and h: `text::parse` and `text::render` throughput on the criterion benches' file.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

// The criterion benches' generator, shared rather than copied so both measure the same bytes.
#[path = "../../pushgw-core/benches/generator/mod.rs"]
mod generator;

/// The criterion benches' target size.
const TARGET_BYTES: usize = 10 * 1024 * 1024;

/// Writes the realistic ~10 MB exposition to `file`.
pub fn write_exposition(file: &Path) -> Result<()> {
    let (families, text) = generator::exposition(TARGET_BYTES);
    std::fs::write(file, &text).with_context(|| format!("writing {}", file.display()))?;
    println!(
        "bytes {} families {} samples {}",
        text.len(),
        families.len(),
        generator::sample_count(&text)
    );
    Ok(())
}

/// Prints the median MB/s (10^6 bytes of `file` per second) of `runs` parses and renders.
pub fn measure(file: &Path, runs: usize) -> Result<()> {
    let text = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let mut families = Vec::new();
    let mut parse = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        families = pushgw_core::text::parse(black_box(&text))
            .with_context(|| format!("parsing {}", file.display()))?;
        parse.push(start.elapsed());
    }
    // The output buffer is reused, as the store reuses its render buffers.
    let mut out = Vec::with_capacity(text.len() * 2);
    let mut render = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        out.clear();
        let start = Instant::now();
        pushgw_core::text::render(black_box(&families), &mut out);
        render.push(start.elapsed());
    }
    let mb = text.len() as f64 / 1e6;
    println!(
        "bytes {} families {} rendered_bytes {}",
        text.len(),
        families.len(),
        out.len()
    );
    println!("parse_mb_s {:.1}", mb / median(&mut parse).as_secs_f64());
    println!("render_mb_s {:.1}", mb / median(&mut render).as_secs_f64());
    Ok(())
}

fn median(durations: &mut [Duration]) -> Duration {
    durations.sort();
    durations[durations.len() / 2]
}
