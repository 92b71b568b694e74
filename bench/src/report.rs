//! The results table: medians over runs of each figure, for the three servers, against the goals
//! of issue 7.
//!
//! Raw files have one figure a line: `workload server figure value`, e.g. `a ours rps 51234`;
//! `check` figures are words (`ok`, or what failed) rather than numbers.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};

/// How a goal is judged.
enum Goal {
    /// pushgw's figure divided by the trivial server's (or by `over`'s figure) at least this.
    RatioAtLeast(f64),
    /// pushgw's figure divided by the reference figure at most this.
    RatioAtMost(f64),
    /// pushgw's figure itself at most this.
    AtMost(f64),
    /// pushgw's figure itself at least this.
    AtLeast(f64),
}

/// One row: a figure of a workload, and the goal it is held to.
struct Row {
    workload: &'static str,
    figure: &'static str,
    label: &'static str,
    goal: Goal,
    /// For ratios: the (server, figure) to divide by; the same figure of the trivial server
    /// when `None`.
    over: Option<(&'static str, &'static str)>,
}

const ROWS: &[Row] = &[
    row(
        "a",
        "rps",
        "a. POST 10 samples, 1,000 keys, c=32: requests/s",
        Goal::RatioAtLeast(0.5),
        None,
    ),
    row(
        "a",
        "cpu_us",
        "a. server CPU µs per push",
        Goal::AtMost(15.0),
        None,
    ),
    row(
        "b",
        "rps",
        "b. PUT 100 samples, 100 keys: requests/s",
        Goal::RatioAtLeast(0.4),
        None,
    ),
    row(
        "b",
        "cpu_us",
        "b. server CPU µs per push",
        Goal::AtMost(25.0),
        None,
    ),
    row(
        "c",
        "p50_ms",
        "c. GET /metrics, 200k series: p50 ms",
        Goal::RatioAtMost(3.0),
        None,
    ),
    row(
        "c",
        "p50_gzip_ms",
        "c. same, gzip: p50 ms",
        Goal::RatioAtMost(5.0),
        Some(("null", "p50_ms")),
    ),
    row(
        "c",
        "p50_load_ms",
        "c. same, under the push load of a: p50 ms",
        Goal::RatioAtMost(4.0),
        Some(("null", "p50_ms")),
    ),
    row(
        "d",
        "rss_per_series",
        "d. RSS bytes per series (total RSS / series)",
        Goal::AtMost(160.0),
        None,
    ),
    row(
        "d",
        "net_rss_per_series",
        "d. same, without the empty server's RSS",
        Goal::AtMost(160.0),
        None,
    ),
    row(
        "d",
        "peak_ratio",
        "d. peak RSS over a full scrape / steady RSS",
        Goal::AtMost(1.2),
        None,
    ),
    row(
        "e",
        "ready_s",
        "e. restart: seconds to ready",
        Goal::AtMost(0.25),
        None,
    ),
    row(
        "e",
        "file_bytes",
        "e. persistence file bytes",
        Goal::RatioAtMost(0.7),
        Some(("go", "file_bytes")),
    ),
    row(
        "g",
        "parse_mb_s",
        "g. text parse of the 10 MB exposition: MB/s",
        Goal::AtLeast(600.0),
        None,
    ),
    row(
        "h",
        "render_mb_s",
        "h. text render of it: MB/s",
        Goal::AtLeast(1000.0),
        None,
    ),
];

const fn row(
    workload: &'static str,
    figure: &'static str,
    label: &'static str,
    goal: Goal,
    over: Option<(&'static str, &'static str)>,
) -> Row {
    Row {
        workload,
        figure,
        label,
        goal,
        over,
    }
}

const SERVERS: [&str; 3] = ["ours", "go", "null"];

/// Prints the table of the medians of `files` (and the checks) to stdout.
pub fn print(files: &[PathBuf], context: &str) -> Result<()> {
    // (workload, server, figure) -> values, one per run that measured it.
    let mut figures: BTreeMap<(String, String, String), Vec<String>> = BTreeMap::new();
    for file in files {
        let text =
            std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        for line in text.lines() {
            let mut words = line.splitn(4, ' ');
            if let (Some(workload), Some(server), Some(figure), Some(value)) =
                (words.next(), words.next(), words.next(), words.next())
            {
                figures
                    .entry((workload.into(), server.into(), figure.into()))
                    .or_default()
                    .push(value.into());
            }
        }
    }
    let median = |workload: &str, server: &str, figure: &str| -> Option<f64> {
        let mut values: Vec<f64> = figures
            .get(&(workload.into(), server.into(), figure.into()))?
            .iter()
            .filter_map(|value| value.parse().ok())
            .collect();
        values.sort_by(f64::total_cmp);
        // The lower middle for an even count: reproducible, and one of the measured values.
        values.get((values.len().max(1) - 1) / 2).copied()
    };

    let mut out = String::new();
    let _ = writeln!(out, "## pushgw load benchmark (issue 7)\n");
    if !context.is_empty() {
        let _ = writeln!(out, "{context}\n");
    }
    let _ = writeln!(
        out,
        "Medians of {} run(s). \"trivial\" is the do-nothing hyper server; \"measured\" is what the goal is about.\n",
        files.len()
    );
    let _ = writeln!(
        out,
        "| figure | pushgw | Go 1.5.1 | trivial | pushgw vs Go | measured | goal | met |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---|---|");
    for row in ROWS {
        let [ours, go, null] = SERVERS.map(|server| median(row.workload, server, row.figure));
        let (measured, goal, met) = judge(
            row,
            ours,
            |(server, figure)| median(row.workload, server, figure),
            null,
        );
        let versus = match (ours, go) {
            (Some(ours), Some(go)) if ours > 0.0 && go > 0.0 => {
                // Say it the way round that reads as "n× better" when pushgw is better.
                let higher_is_better = matches!(row.goal, Goal::RatioAtLeast(_) | Goal::AtLeast(_));
                let factor = if higher_is_better {
                    ours / go
                } else {
                    go / ours
                };
                format!("{}×", number(factor))
            }
            _ => "—".into(),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {versus} | {measured} | {goal} | {met} |",
            row.label,
            cell(ours),
            cell(go),
            cell(null),
        );
    }
    let _ = writeln!(
        out,
        "\nChecks (every pushed series visible on /metrics afterwards):\n"
    );
    for ((workload, server, figure), values) in &figures {
        if figure == "check" {
            let _ = writeln!(out, "- {workload} {server}: {}", values.join("; "));
        }
    }
    print!("{out}");
    Ok(())
}

/// The measured figure, the goal as text, and whether it is met.
fn judge(
    row: &Row,
    ours: Option<f64>,
    reference: impl Fn((&'static str, &'static str)) -> Option<f64>,
    null: Option<f64>,
) -> (String, String, &'static str) {
    let base = match row.over {
        Some(over) => reference(over),
        None => null,
    };
    let over_name = match row.over {
        Some(("go", _)) => "Go",
        _ => "trivial",
    };
    let (value, goal, met) = match row.goal {
        Goal::RatioAtLeast(goal) => {
            let ratio = ours.zip(base).map(|(a, b)| a / b);
            (
                ratio.map(|r| format!("{}×", number(r))),
                format!("≥ {goal}× {over_name}"),
                ratio.map(|r| r >= goal),
            )
        }
        Goal::RatioAtMost(goal) => {
            let ratio = ours.zip(base).map(|(a, b)| a / b);
            (
                ratio.map(|r| format!("{}×", number(r))),
                format!("≤ {goal}× {over_name}"),
                ratio.map(|r| r <= goal),
            )
        }
        Goal::AtMost(goal) => (
            ours.map(number),
            format!("≤ {goal}"),
            ours.map(|v| v <= goal),
        ),
        Goal::AtLeast(goal) => (
            ours.map(number),
            format!("≥ {goal}"),
            ours.map(|v| v >= goal),
        ),
    };
    let met = match met {
        Some(true) => "yes",
        Some(false) => "**no**",
        None => "—",
    };
    (value.unwrap_or_else(|| "—".into()), goal, met)
}

fn cell(value: Option<f64>) -> String {
    value.map_or_else(|| "—".into(), number)
}

/// Three significant digits, without an exponent.
fn number(value: f64) -> String {
    let magnitude = value.abs();
    if magnitude >= 100.0 || magnitude == 0.0 {
        format!("{value:.0}")
    } else if magnitude >= 10.0 {
        format!("{value:.1}")
    } else if magnitude >= 1.0 {
        format!("{value:.2}")
    } else {
        format!("{value:.3}")
    }
}
