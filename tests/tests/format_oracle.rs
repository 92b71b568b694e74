//! The format oracle: the real Go Pushgateway 1.5.1 judges every text-format test vector of
//! `pushgw-core`, and our parser and renderer must agree with its verdict.
//!
//! Vectors live in `pushgw-core/test_data/text/<verdict>/*.prom`, where the directory says what the
//! Go gateway does with a `PUT /metrics/job/oracle` of the file's bytes:
//! - `ok/`: 200, and its `/metrics` shows the pushed families exactly as we render them after
//!   sanitising them as the store does;
//! - `err/`: 400 because the body does not parse; the response body is our `ParseError`'s text;
//! - `reject/`: 400 `pushed metrics are invalid or inconsistent with existing metrics: ...`
//!   although the body parses (timestamps, inconsistent families): our parser accepts it, the
//!   store must reject it;
//! - `deviation/`: 200, and we deliberately differ (spec §17, `deviation/README.md`): our parser
//!   refuses the body or we store something else. A vector there on which we agree with the
//!   reference is reported, so that the list of deviations stays true.
//!
//! A gateway judges vectors one after the other (the group is deleted before each push; two
//! gateways share the work), and all disagreements are collected and reported together.

use std::cell::Cell;
use std::fmt;
use std::fs;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Once;
use std::thread;

use pushgw_core::model::{LabelPair, Metric, MetricFamily, MetricType, Value};
use pushgw_core::text;
use pushgw_tests::exposition::{FamilyBlock, is_gateway_own, pushed_family_blocks};
use pushgw_tests::{GoPushgateway, http};

/// The job every vector is pushed to; the oracle's only group.
const JOB: &str = "oracle";

/// How many gateways judge vectors in parallel. Each vector costs three HTTP round trips whose
/// time is mostly our unoptimised client's, so two workers (the machine has two cores) halve the
/// oracle's run time.
const WORKERS: usize = 2;

/// The verdicts, named as the vector directories are.
const VERDICTS: [Verdict; 4] = [
    Verdict::Ok,
    Verdict::Err,
    Verdict::Reject,
    Verdict::Deviation,
];

/// What a vector's directory says about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Ok,
    Err,
    Reject,
    Deviation,
}

impl Verdict {
    fn dir_name(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Err => "err",
            Verdict::Reject => "reject",
            Verdict::Deviation => "deviation",
        }
    }

    /// The Go Pushgateway's own verdict on the vectors of this directory.
    fn of_go(self) -> Verdict {
        match self {
            Verdict::Deviation => Verdict::Ok,
            verdict => verdict,
        }
    }
}

#[test]
fn text_vectors_match_the_go_pushgateway() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../pushgw-core/test_data/text");
    let vectors = vectors(&root);
    for verdict in [Verdict::Ok, Verdict::Err, Verdict::Reject] {
        assert!(
            vectors.iter().any(|(of, _)| *of == verdict),
            "no text-format vectors under {}/{}",
            root.display(),
            verdict.dir_name()
        );
    }
    let mismatches = judge_all(&vectors);
    assert!(
        mismatches.is_empty(),
        "{} of {} text vectors disagree with the Go Pushgateway:\n\n{}",
        mismatches.len(),
        vectors.len(),
        mismatches
            .iter()
            .map(Mismatch::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The Go half of the oracle, on bodies whose answers are known: this is what the vectors are
/// judged by, so it must hold whatever our parser does.
#[test]
fn go_pushgateway_answers_inline_bodies_as_the_oracle_expects() {
    let gateway = GoPushgateway::start(&[]);

    // Labels sorted by name, `job` from the URL, `instance=""` added, fewer labels first, families
    // sorted by name, families without samples dropped (spec §3.4, §4.2).
    let answer = ask_go(
        &gateway,
        b"# TYPE zeta gauge\nzeta{job=\"body\",b=\"2\",a=\"1\"} 1\nzeta{a=\"9\"} 2\n\
          # TYPE empty counter\n# HELP alpha Help text.\nalpha{instance=\"i\"} 3\n",
    );
    assert_eq!((answer.status, answer.body.as_str()), (200, ""));
    assert_eq!(answer.verdict(), Some(Verdict::Ok));
    let blocks: Vec<(&str, &str)> = answer
        .pushed
        .iter()
        .map(|block| (block.name.as_str(), block.text.as_str()))
        .collect();
    assert_eq!(
        blocks,
        [
            (
                "alpha",
                "# HELP alpha Help text.\n# TYPE alpha untyped\nalpha{instance=\"i\",job=\"oracle\"} 3\n"
            ),
            (
                "zeta",
                "# TYPE zeta gauge\nzeta{a=\"9\",instance=\"\",job=\"oracle\"} 2\n\
                 zeta{a=\"1\",b=\"2\",instance=\"\",job=\"oracle\"} 1\n"
            ),
        ]
    );

    // The previous group is gone before the next push: only this vector's families show.
    let answer = ask_go(&gateway, b"other 1\n");
    assert_eq!(answer.pushed.len(), 1, "{:?}", answer.pushed);

    let answer = ask_go(&gateway, b"some_metric 3.14");
    assert_eq!(answer.verdict(), Some(Verdict::Err));
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (
            400,
            "text format parsing error in line 1: unexpected end of input stream\n"
        )
    );

    let answer = ask_go(&gateway, b"some_metric 3.14 1700000000000\n");
    assert_eq!(answer.verdict(), Some(Verdict::Reject));
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (
            400,
            "pushed metrics are invalid or inconsistent with existing metrics: \
             pushed metrics must not have timestamps\n"
        )
    );
}

/// The sanitation helper does to a model what the Go store did to the same families in
/// `go_pushgateway_answers_inline_bodies_as_the_oracle_expects`.
#[test]
fn sanitising_orders_like_the_go_store() {
    let metric = |labels: &[(&str, &str)], value: f64| Metric {
        labels: labels
            .iter()
            .map(|(name, value)| LabelPair::new(*name, *value))
            .collect(),
        value: Value::Gauge(value),
        timestamp_ms: None,
    };
    let family = |name: &str, metrics: Vec<Metric>| MetricFamily {
        name: name.to_owned(),
        help: None,
        metric_type: MetricType::Gauge,
        unit: None,
        metrics,
    };
    let sanitised = sanitise_like_store(
        vec![
            family(
                "zeta",
                vec![
                    metric(&[("job", "body"), ("b", "2"), ("a", "1")], 1.0),
                    metric(&[("a", "9")], 2.0),
                ],
            ),
            family("empty", vec![]),
            family("alpha", vec![metric(&[("instance", "i")], 3.0)]),
        ],
        JOB,
    );
    let shown: Vec<String> = sanitised
        .iter()
        .flat_map(|family| {
            family.metrics.iter().map(|metric| {
                let labels: Vec<String> = metric
                    .labels
                    .iter()
                    .map(|label| format!("{}={:?}", label.name, label.value))
                    .collect();
                format!("{}{{{}}}", family.name, labels.join(","))
            })
        })
        .collect();
    assert_eq!(
        shown,
        [
            r#"alpha{instance="i",job="oracle"}"#,
            r#"zeta{a="9",instance="",job="oracle"}"#,
            r#"zeta{a="1",b="2",instance="",job="oracle"}"#,
        ]
    );
}

/// The oracle reports vectors filed under the wrong verdict, whatever our parser says.
#[test]
fn misfiled_vectors_are_reported() {
    let root = tempfile::tempdir().expect("creating a vector directory");
    for (verdict, name, body) in [
        ("ok", "0001_no_final_newline.prom", "m 1"),
        ("err", "0001_valid.prom", "m 1\n"),
        ("err", "0002_timestamp.prom", "m 1 1000\n"),
        ("reject", "0001_valid.prom", "m 1\n"),
        ("reject", "0002_no_final_newline.prom", "m 1"),
        ("deviation", "0001_timestamp.prom", "m 1 1000\n"),
    ] {
        let dir = root.path().join(verdict);
        fs::create_dir_all(&dir).expect("creating a verdict directory");
        fs::write(dir.join(name), body).expect("writing a vector");
    }
    let misfiled: Vec<String> = judge_all(&vectors(root.path()))
        .into_iter()
        .filter(|mismatch| mismatch.problem.starts_with("the Go Pushgateway answered"))
        .map(|mismatch| mismatch.vector)
        .collect();
    assert_eq!(
        misfiled,
        [
            "ok/0001_no_final_newline.prom",
            "err/0001_valid.prom",
            "err/0002_timestamp.prom",
            "reject/0001_valid.prom",
            "reject/0002_no_final_newline.prom",
            "deviation/0001_timestamp.prom",
        ]
    );
}

/// The vectors under `root`, by verdict then file name.
fn vectors(root: &Path) -> Vec<(Verdict, PathBuf)> {
    let mut vectors = Vec::new();
    for verdict in VERDICTS {
        let dir = root.join(verdict.dir_name());
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = entries
            .map(|entry| entry.expect("listing a vector directory").path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "prom"))
            .collect();
        paths.sort();
        vectors.extend(paths.into_iter().map(|path| (verdict, path)));
    }
    vectors
}

/// Judges `vectors` on [`WORKERS`] gateways in parallel, each taking a contiguous share, and
/// returns the mismatches in the order of `vectors`.
fn judge_all(vectors: &[(Verdict, PathBuf)]) -> Vec<Mismatch> {
    let share = vectors.len().div_ceil(WORKERS).max(1);
    thread::scope(|scope| {
        let workers: Vec<_> = vectors
            .chunks(share)
            .map(|share| {
                scope.spawn(move || {
                    let gateway = GoPushgateway::start(&[]);
                    share
                        .iter()
                        .filter_map(|(verdict, path)| judge(&gateway, *verdict, path))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| {
                worker
                    .join()
                    .unwrap_or_else(|payload| panic::resume_unwind(payload))
            })
            .collect()
    })
}

/// What the Go Pushgateway made of one body.
#[derive(Debug)]
struct GoAnswer {
    status: u16,
    body: String,
    /// The pushed families of `/metrics` after a 200; empty otherwise.
    pushed: Vec<FamilyBlock>,
    /// Status and body of `/metrics` if it did not answer 200 (a push can break scrapes, Q6/Q7).
    scrape_error: Option<String>,
}

/// The prefix of the gateway's 400 body when a push parsed but the store refused it (spec §3.6).
const REJECTED: &str = "pushed metrics are invalid or inconsistent with existing metrics: ";

impl GoAnswer {
    /// Which directory the answer says the vector belongs in: `reject` is a 400 with the store's
    /// message, `err` any other 400 (the parser's message); `None` for other statuses.
    fn verdict(&self) -> Option<Verdict> {
        match self.status {
            200 => Some(Verdict::Ok),
            400 if self.body.starts_with(REJECTED) => Some(Verdict::Reject),
            400 => Some(Verdict::Err),
            _ => None,
        }
    }
}

/// Pushes `body` as the only group of `gateway` and reads back what it stored.
fn ask_go(gateway: &GoPushgateway, body: &[u8]) -> GoAnswer {
    let group = gateway.url(&format!("/metrics/job/{JOB}"));
    // DELETE answers before it is applied, but the gateway applies writes in order, and a PUT
    // answers only after it is applied: the PUT sees an empty store.
    let deleted = http::delete(&group).expect("deleting the oracle group");
    assert_eq!(deleted.status, 202, "DELETE answered {}", deleted.text());
    let pushed = http::put(&group, body).expect("pushing a vector to the Go Pushgateway");
    let mut answer = GoAnswer {
        status: pushed.status,
        body: pushed.text(),
        pushed: Vec::new(),
        scrape_error: None,
    };
    if pushed.status == 200 {
        let metrics = http::get(&gateway.url("/metrics")).expect("scraping the Go Pushgateway");
        if metrics.status == 200 {
            answer.pushed = pushed_family_blocks(&metrics.text());
        } else {
            answer.scrape_error = Some(format!(
                "GET /metrics answered {} {:?}",
                metrics.status,
                metrics.text()
            ));
        }
    }
    answer
}

/// One vector on which we and the Go Pushgateway disagree.
#[derive(Debug)]
struct Mismatch {
    /// `<verdict>/<file name>`.
    vector: String,
    problem: String,
    go: String,
    ours: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}: {}", self.vector, self.problem)?;
        writeln!(f, "  Go:   {}", indent(&self.go))?;
        writeln!(f, "  ours: {}", indent(&self.ours))
    }
}

fn indent(text: &str) -> String {
    text.trim_end().replace('\n', "\n        ")
}

/// Pushes the vector at `path` to the gateway and compares the answer with ours; `None` if we
/// agree.
fn judge(gateway: &GoPushgateway, verdict: Verdict, path: &Path) -> Option<Mismatch> {
    let body = fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let vector = format!(
        "{}/{}",
        verdict.dir_name(),
        path.file_name()
            .expect("a vector is a file")
            .to_string_lossy()
    );
    let go = ask_go(gateway, &body);
    let go_summary = format!(
        "HTTP {} {:?}\n{}{}",
        go.status,
        go.body,
        go.scrape_error.as_deref().unwrap_or_default(),
        blocks_text(&go.pushed)
    );
    let ours = guarded("text::parse", || text::parse(&body));
    let mismatch = |problem: String, ours: String| {
        Some(Mismatch {
            vector: vector.clone(),
            problem,
            go: go_summary.clone(),
            ours,
        })
    };

    let ours_summary = match &ours {
        Ok(Ok(families)) => format!("parsed {} families", families.len()),
        Ok(Err(error)) => format!("parse error: {error}"),
        Err(panic) => panic.clone(),
    };
    if go.verdict() != Some(verdict.of_go()) {
        return mismatch(
            format!(
                "the Go Pushgateway answered {} ({}) where the directory says {}",
                go.status,
                go.verdict().map_or("unexpected", Verdict::dir_name),
                verdict.dir_name()
            ),
            ours_summary,
        );
    }
    let parsed = match ours {
        Err(panic) => return mismatch("our parser panicked".to_owned(), panic),
        Ok(parsed) => parsed,
    };
    match (verdict, parsed) {
        (Verdict::Ok, Ok(families)) => match our_blocks(families) {
            Err(panic) => mismatch("our renderer panicked".to_owned(), panic),
            Ok(ours) if ours == go.pushed && go.scrape_error.is_none() => None,
            Ok(ours) => mismatch("the stored families differ".to_owned(), blocks_text(&ours)),
        },
        (Verdict::Err, Err(error)) => {
            // The gateway answers a parse error with its text and a newline (Go's `http.Error`).
            let ours = format!("{error}\n");
            if ours == go.body {
                None
            } else {
                mismatch("the error messages differ".to_owned(), format!("{ours:?}"))
            }
        }
        (Verdict::Reject, Ok(_)) | (Verdict::Deviation, Err(_)) => None,
        (Verdict::Deviation, Ok(families)) => match our_blocks(families) {
            Err(panic) => mismatch("our renderer panicked".to_owned(), panic),
            Ok(ours) if ours == go.pushed && go.scrape_error.is_none() => mismatch(
                "listed as a deviation, but we agree with the Go Pushgateway".to_owned(),
                blocks_text(&ours),
            ),
            Ok(_) => None,
        },
        (Verdict::Ok | Verdict::Reject, Err(_)) => mismatch(
            "we fail to parse what the Go Pushgateway parses".to_owned(),
            ours_summary,
        ),
        (Verdict::Err, Ok(_)) => mismatch(
            "we parse what the Go Pushgateway does not".to_owned(),
            ours_summary,
        ),
    }
}

/// What the gateway would show of `families` if we stored them: our rendering of each family,
/// sanitised as the store does, or the message of a panic while rendering.
fn our_blocks(families: Vec<MetricFamily>) -> Result<Vec<FamilyBlock>, String> {
    guarded("text::render_family", || {
        rendered_blocks(sanitise_like_store(families, JOB))
    })
}

/// Runs `f`, turning a panic into an error message: a panicking parser is one more mismatch to
/// report, not the end of the oracle. The panic is not printed (the mismatch list shows it), but
/// panics of other threads still are.
fn guarded<T>(what: &str, f: impl FnOnce() -> T) -> Result<T, String> {
    thread_local! {
        static QUIET: Cell<bool> = const { Cell::new(false) };
    }
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !QUIET.get() {
                default(info);
            }
        }));
    });
    QUIET.set(true);
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    QUIET.set(false);
    result.map_err(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a non-string panic".to_owned());
        format!("{what} panicked: {message}")
    })
}

/// Sanitises parsed families the way the Go Pushgateway's store does before it exposes them, so
/// that our rendering can be compared with its `/metrics`.
///
/// This mirrors the store's label sanitation (spec §3.4) and the scrape's ordering (§4.2) until
/// `pushgw_core::store` lands; then the oracle should push through the store instead.
/// - every metric gets `job=<job>`, overriding a `job` label of the body, and `instance=""` unless
///   it has an `instance`; labels are sorted by name;
/// - metrics within a family are sorted as client_golang's `MetricSorter` does: fewer labels
///   first, then by label values position by position. Ties (equal values under different label
///   names) keep their order: Go's `sort.Sort` is not stable in general, but it is an insertion
///   sort, which is, for up to 12 metrics, and the vectors' families are that small;
/// - families without metrics are dropped, the others sorted by name.
fn sanitise_like_store(families: Vec<MetricFamily>, job: &str) -> Vec<MetricFamily> {
    let mut families: Vec<MetricFamily> = families
        .into_iter()
        .filter(|family| !family.metrics.is_empty())
        .map(|mut family| {
            for metric in &mut family.metrics {
                metric.labels.retain(|label| label.name != "job");
                metric.labels.push(LabelPair::new("job", job));
                if metric.label("instance").is_none() {
                    metric.labels.push(LabelPair::new("instance", ""));
                }
                metric
                    .labels
                    .sort_by(|left, right| left.name.cmp(&right.name));
            }
            family.metrics.sort_by(|left, right| {
                left.labels.len().cmp(&right.labels.len()).then_with(|| {
                    let values = |metric: &Metric| {
                        metric
                            .labels
                            .iter()
                            .map(|label| label.value.clone())
                            .collect::<Vec<_>>()
                    };
                    values(left).cmp(&values(right))
                })
            });
            family
        })
        .collect();
    families.sort_by(|left, right| left.name.cmp(&right.name));
    families
}

/// Our rendering of `families` as the family blocks the oracle compares, without the families the
/// gateway's own would shadow (they are left out of Go's side too).
fn rendered_blocks(families: Vec<MetricFamily>) -> Vec<FamilyBlock> {
    families
        .into_iter()
        .filter(|family| !is_gateway_own(&family.name))
        .map(|family| {
            let mut out = Vec::new();
            text::render_family(&family, &mut out);
            FamilyBlock {
                name: family.name,
                text: String::from_utf8_lossy(&out).into_owned(),
            }
        })
        .collect()
}

fn blocks_text(blocks: &[FamilyBlock]) -> String {
    blocks.iter().map(|block| block.text.as_str()).collect()
}
