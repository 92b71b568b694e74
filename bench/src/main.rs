//! Helpers for the load benchmark `bench/run.sh` (issue 7): everything the script cannot do well
//! with `wrk`, `curl` and `/proc` alone.
//!
//! - `null`: the do-nothing hyper server, the ceiling the goals are ratios of;
//! - `fill`, `count`, `ready`: fill a gateway over HTTP, check that every pushed series is
//!   visible on `/metrics`, time how long a restarting gateway takes to answer `/-/ready`;
//! - `exposition`, `formats`: write the criterion benches' 10 MB exposition to a file and measure
//!   `text::parse` / `text::render` on it (goals g and h, next to Go's `bench/go`);
//! - `report`: the medians of several runs' raw figures as a markdown table against the goals.
//!
//! It measures nothing about the servers itself: CPU and RSS come from `/proc` in the script.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};

mod body;
mod formats;
mod null;
mod probe;
mod report;

#[derive(Parser)]
#[command(about = "Helpers for bench/run.sh, the pushgw load benchmark")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve every request with an empty 200, and `GET /metrics` with the bytes of a file.
    Null {
        /// Address to listen on, e.g. 127.0.0.1:19803.
        #[arg(long)]
        listen: String,
        /// File whose bytes `GET /metrics` answers with (empty body if not given).
        #[arg(long)]
        metrics_file: Option<PathBuf>,
    },
    /// PUT (or POST) one body into each of `--groups` grouping keys, like bench/lua/push.lua.
    Fill {
        /// Base URL of the gateway, e.g. http://127.0.0.1:19801.
        url: String,
        #[arg(long)]
        groups: usize,
        /// Samples per body (at least 10: the batch job's ten, then per-shard gauges).
        #[arg(long)]
        samples: usize,
        /// Concurrent connections.
        #[arg(long, default_value_t = 2)]
        connections: usize,
    },
    /// Count the pushed series visible on `/metrics` and check every group is complete.
    Count {
        url: String,
        /// Samples each group must show.
        #[arg(long)]
        samples: usize,
        /// Groups that must be visible.
        #[arg(long)]
        groups: usize,
        /// Groups that must carry the load generator's marker value, at least.
        #[arg(long, default_value_t = 0)]
        touched: usize,
    },
    /// Time `GET URL/metrics` on one keep-alive connection; print the median in milliseconds.
    Scrape {
        url: String,
        /// Keep scraping for at least this long...
        #[arg(long, default_value_t = 2.0)]
        seconds: f64,
        /// ...and at least this many times.
        #[arg(long, default_value_t = 3)]
        min: usize,
        /// Send `Accept-Encoding: gzip` (the body is read as it comes, not decompressed).
        #[arg(long)]
        gzip: bool,
    },
    /// Poll `URL/-/ready` until it answers 200; print the seconds since `--since-ns`.
    Ready {
        url: String,
        /// Start time, nanoseconds since the Unix epoch (`date +%s%N` before starting the server).
        #[arg(long)]
        since_ns: u128,
        #[arg(long, default_value_t = 120)]
        timeout_secs: u64,
    },
    /// Write the criterion benches' realistic ~10 MB text exposition to a file.
    Exposition { file: PathBuf },
    /// Median MB/s of `text::parse` and `text::render` of a file, on one thread.
    Formats {
        file: PathBuf,
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// Medians of raw result files (`workload server figure value` lines) as a markdown table.
    Report {
        files: Vec<PathBuf>,
        /// A line of context printed under the title (machine, load average, mode).
        #[arg(long, default_value = "")]
        context: String,
    },
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Null {
            listen,
            metrics_file,
        } => null::serve(&listen, metrics_file.as_deref()),
        Command::Fill {
            url,
            groups,
            samples,
            connections,
        } => probe::fill(&url, groups, samples, connections),
        Command::Count {
            url,
            samples,
            groups,
            touched,
        } => probe::count(&url, samples, groups, touched),
        Command::Scrape {
            url,
            seconds,
            min,
            gzip,
        } => probe::scrape(&url, seconds, min, gzip),
        Command::Ready {
            url,
            since_ns,
            timeout_secs,
        } => probe::ready(&url, since_ns, timeout_secs),
        Command::Exposition { file } => formats::write_exposition(&file),
        Command::Formats { file, runs } => formats::measure(&file, runs),
        Command::Report { files, context } => report::print(&files, &context),
    }
}
