//! Talking to a gateway over HTTP: filling it, checking what it shows, waiting for it to be ready.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail, ensure};
use ureq::Agent;

use crate::body;

/// Generous: Go's gateway takes seconds to scrape a million series on a loaded machine.
const TIMEOUT: Duration = Duration::from_secs(300);

fn agent() -> Agent {
    Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(TIMEOUT))
        .build()
        .into()
}

/// PUTs a fill body into groups `0..groups`, over `connections` keep-alive connections.
pub fn fill(url: &str, groups: usize, samples: usize, connections: usize) -> Result<()> {
    ensure!(
        samples >= body::BASE_SAMPLES,
        "--samples {samples} is too small: a body has at least {} samples",
        body::BASE_SAMPLES
    );
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..connections.max(1))
            .map(|_| {
                scope.spawn(|| -> Result<()> {
                    let agent = agent();
                    loop {
                        let job = next.fetch_add(1, Ordering::Relaxed);
                        if job >= groups {
                            return Ok(());
                        }
                        let target = format!("{url}{}", body::path(job));
                        let mut response = agent
                            .put(&target)
                            .send(body::text(job, samples, body::FILL_MARKER))
                            .with_context(|| format!("PUT {target}; is the server running?"))?;
                        if !response.status().is_success() {
                            let text = response.body_mut().read_to_string().unwrap_or_default();
                            bail!("PUT {target}: HTTP {}: {text}", response.status());
                        }
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .try_for_each(|worker| worker.join().expect("a fill worker panicked"))
    })
}

/// Scrapes `url/metrics`, checks that `groups` groups show `samples` batch samples each and that
/// at least `touched` carry the load generator's marker; prints `series= groups= touched=`.
pub fn count(url: &str, samples: usize, groups: usize, touched: usize) -> Result<()> {
    let target = format!("{url}/metrics");
    let response = agent()
        .get(&target)
        .call()
        .with_context(|| format!("GET {target}; is the server running?"))?;
    ensure!(
        response.status().is_success(),
        "GET {target}: HTTP {}",
        response.status()
    );
    let reader = BufReader::new(response.into_body().into_reader());
    let mut per_group: HashMap<u64, usize> = HashMap::new();
    let mut marked = 0;
    let mut series = 0;
    for line in reader.split(b'\n') {
        let line = line.with_context(|| format!("reading the body of GET {target}"))?;
        if !line.starts_with(b"batch_") {
            continue;
        }
        let Some(job) = job_of(&line) else {
            bail!(
                "a series without a job=\"batchN\" label: {}",
                String::from_utf8_lossy(&line)
            );
        };
        series += 1;
        *per_group.entry(job).or_default() += 1;
        if line.starts_with(b"batch_last_success_unixtime")
            && line.ends_with(format!(" {}", body::LOAD_MARKER).as_bytes())
        {
            marked += 1;
        }
    }
    println!(
        "series={series} groups={} touched={marked}",
        per_group.len()
    );
    let incomplete = per_group.values().filter(|&&n| n != samples).count();
    ensure!(
        incomplete == 0,
        "{incomplete} groups do not show {samples} samples each"
    );
    ensure!(
        per_group.len() == groups,
        "{} groups are visible, not {groups}",
        per_group.len()
    );
    ensure!(
        marked >= touched,
        "only {marked} groups show the load generator's pushes, not at least {touched}"
    );
    Ok(())
}

/// The N of the `job="batchN"` label of a sample line.
fn job_of(line: &[u8]) -> Option<u64> {
    const KEY: &[u8] = b"job=\"batch";
    let start = line.windows(KEY.len()).position(|w| w == KEY)? + KEY.len();
    let digits = line[start..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    std::str::from_utf8(&line[start..start + digits])
        .ok()?
        .parse()
        .ok()
}

/// Scrapes `url/metrics` one request after the other for at least `seconds` and `min` times,
/// reading each body completely; prints the median latency in milliseconds.
///
/// Not wrk: the Go gateway can take longer than a whole wrk run to answer one big scrape on a
/// loaded machine, and wrk then reports no latency at all.
pub fn scrape(url: &str, seconds: f64, min: usize, gzip: bool) -> Result<()> {
    let target = format!("{url}/metrics");
    let agent = agent();
    let started = Instant::now();
    let mut latencies = Vec::new();
    while latencies.len() < min.max(1) || started.elapsed().as_secs_f64() < seconds {
        let mut request = agent.get(&target);
        if gzip {
            request = request.header("Accept-Encoding", "gzip");
        }
        let start = Instant::now();
        let response = request
            .call()
            .with_context(|| format!("GET {target}; is the server running?"))?;
        ensure!(
            response.status().is_success(),
            "GET {target}: HTTP {}",
            response.status()
        );
        std::io::copy(
            &mut response.into_body().into_reader(),
            &mut std::io::sink(),
        )
        .with_context(|| format!("reading the body of GET {target}"))?;
        latencies.push(start.elapsed());
    }
    latencies.sort();
    println!(
        "{:.3}",
        latencies[(latencies.len() - 1) / 2].as_secs_f64() * 1e3
    );
    Ok(())
}

/// Polls `url/-/ready` every millisecond until it answers 200; prints the seconds since
/// `since_ns` (Unix epoch nanoseconds).
pub fn ready(url: &str, since_ns: u128, timeout_secs: u64) -> Result<()> {
    let target = format!("{url}/-/ready");
    let agent = Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(1)))
        .build()
        .new_agent();
    let deadline = Instant::now() + Duration::from_secs(timeout_secs);
    loop {
        if let Ok(response) = agent.get(&target).call()
            && response.status().is_success()
        {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .context("the clock is before 1970")?
                .as_nanos();
            println!("{:.4}", now.saturating_sub(since_ns) as f64 / 1e9);
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("{target} did not answer 200 within {timeout_secs}s");
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}
