//! What every client's scenario shares: the steps, a pair of gateways (the reference and ours)
//! that each step runs against, and the transcript that records what the client did.

use std::fmt::Write as _;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use pushgw_tests::normalise::{is_time_family, masked_exposition, masked_metrics_api};
use pushgw_tests::{Error, Gateway, Target, http, wait_until};
use serde_json::Value;
use tempfile::{NamedTempFile, TempDir};

/// The basic-auth user of the gateways started by [`Pair::with_basic_auth`].
pub const USER: &str = "pusher";
/// Its password.
pub const PASSWORD: &str = "push-secret";
/// bcrypt of [`PASSWORD`] (cost 4, the minimum, to keep the gateways' checks fast).
const PASSWORD_HASH: &str = "$2b$04$3kFhHhFyfg6M4eH0pcjveOxwLGsXXiSyOr3/a9504HTYpn/yjgFlG";

/// Deletes answer 202 and may apply later (spec §3.8), so the two gateways' states are polled
/// until they agree, for at most this long.
const AGREEMENT_DEADLINE: Duration = Duration::from_secs(10);

/// The operation of a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `PUT`: replace the group.
    Push,
    /// `POST`: replace the pushed families of the group ("pushadd").
    Add,
    /// `DELETE`: remove the group.
    Delete,
}

impl Op {
    pub fn flag(self) -> &'static str {
        match self {
            Op::Push => "push",
            Op::Add => "add",
            Op::Delete => "delete",
        }
    }
}

/// The credentials a step sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    None,
    /// [`USER`] and [`PASSWORD`].
    Right,
    /// [`USER`] and a wrong password.
    Wrong,
}

impl Auth {
    /// The (user, password) to send, if any.
    pub fn credentials(self) -> Option<(&'static str, &'static str)> {
        match self {
            Auth::None => None,
            Auth::Right => Some((USER, PASSWORD)),
            Auth::Wrong => Some((USER, "wrong")),
        }
    }
}

/// Which metrics a push sends, the same in every client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metrics {
    /// A counter with two children (`demo_jobs_total{kind="a"|"b"}` = 3, 1.5), a gauge
    /// (`demo_last_success_unixtime` = 1700000000.5), a histogram (`demo_latency_seconds`, buckets
    /// 0.1, 1, 10, observations 0.05, 0.5, 5, 50) and a summary (`demo_batch_size_bytes`,
    /// observations 1024 and 4096).
    All,
    /// Only gauges: `demo_last_success_unixtime` = 1700000100 and `demo_records_processed` = 42,
    /// so that an add visibly replaces one family and keeps the others.
    Gauges,
}

impl Metrics {
    pub fn flag(self) -> &'static str {
        match self {
            Metrics::All => "all",
            Metrics::Gauges => "gauges",
        }
    }
}

/// One call of a client library.
#[derive(Debug, Clone)]
pub struct Step {
    pub op: Op,
    pub job: &'static str,
    pub grouping: Vec<(&'static str, &'static str)>,
    /// The exposition format, for clients that offer a choice (`None`: the client's default).
    pub format: Option<&'static str>,
    pub gzip: bool,
    pub auth: Auth,
    pub metrics: Metrics,
}

impl Step {
    /// A push of all four metric types, in the default format, without gzip or credentials.
    pub fn push(job: &'static str, grouping: &[(&'static str, &'static str)]) -> Step {
        Step {
            op: Op::Push,
            job,
            grouping: grouping.to_vec(),
            format: None,
            gzip: false,
            auth: Auth::None,
            metrics: Metrics::All,
        }
    }

    /// An add of the gauges only.
    pub fn add(job: &'static str, grouping: &[(&'static str, &'static str)]) -> Step {
        Step {
            op: Op::Add,
            metrics: Metrics::Gauges,
            ..Step::push(job, grouping)
        }
    }

    /// A delete.
    pub fn delete(job: &'static str, grouping: &[(&'static str, &'static str)]) -> Step {
        Step {
            op: Op::Delete,
            ..Step::push(job, grouping)
        }
    }

    pub fn format(self, format: &'static str) -> Step {
        Step {
            format: Some(format),
            ..self
        }
    }

    pub fn gzip(self) -> Step {
        Step { gzip: true, ..self }
    }

    pub fn auth(self, auth: Auth) -> Step {
        Step { auth, ..self }
    }

    /// One line for the transcript, e.g. `push job="batch" path="var/log" [text, gzip]`.
    fn describe(&self) -> String {
        let mut line = format!("{} job={:?}", self.op.flag(), self.job);
        for (name, value) in &self.grouping {
            write!(line, " {name}={value:?}").expect("writing to a String");
        }
        let mut options: Vec<String> = Vec::new();
        options.extend(self.format.map(str::to_owned));
        if self.gzip {
            options.push("gzip".to_owned());
        }
        match self.auth {
            Auth::None => {}
            Auth::Right => options.push("basic auth".to_owned()),
            Auth::Wrong => options.push("wrong password".to_owned()),
        }
        if self.op != Op::Delete && self.metrics == Metrics::Gauges {
            options.push("gauges only".to_owned());
        }
        if !options.is_empty() {
            write!(line, " [{}]", options.join(", ")).expect("writing to a String");
        }
        line
    }
}

/// The grouping keys that trip clients up, one label each: a `/` (needs base64, spec §3.2), a
/// space, the empty string (needs `@base64/=`) and non-ASCII.
pub const AWKWARD_KEYS: [(&str, &str); 4] = [
    ("path", "var/log"),
    ("zone", "eu west"),
    ("empty", ""),
    ("name", "Björn"),
];

/// What a client can do, to derive its scenario from [`standard_steps`].
#[derive(Debug, Clone, Copy)]
pub struct Capabilities {
    /// The formats to push in, beyond the client's default (e.g. `["text"]` for Go).
    pub extra_formats: &'static [&'static str],
    pub gzip: bool,
    pub delete: bool,
}

/// The scenario every client runs without credentials: pushes with each awkward grouping key,
/// a job name with `/`, all keys at once, an add, each extra format and gzip (if the client
/// offers them), an empty job name, and deletes of everything again.
pub fn standard_steps(capabilities: Capabilities) -> Vec<Step> {
    let mut steps = Vec::new();
    for key in AWKWARD_KEYS {
        steps.push(Step::push("batch", &[key]));
    }
    steps.push(Step::push("batch/nightly", &[]));
    steps.push(Step::push("all keys", &AWKWARD_KEYS));
    steps.push(Step::add("batch", &[AWKWARD_KEYS[0]]));
    steps.push(Step::add("all keys", &AWKWARD_KEYS));
    for format in capabilities.extra_formats {
        steps.push(Step::push("formats", &[("format", format)]).format(format));
        steps.push(Step::add("formats", &[("format", format)]).format(format));
    }
    if capabilities.gzip {
        steps.push(Step::push("gzipped", &[]).gzip());
        steps.push(Step::add("gzipped", &[]).gzip());
        for format in capabilities.extra_formats {
            steps.push(
                Step::push("gzipped", &[("format", format)])
                    .format(format)
                    .gzip(),
            );
        }
    }
    steps.push(Step::push("", &[]));
    if capabilities.delete {
        for key in AWKWARD_KEYS {
            steps.push(Step::delete("batch", &[key]));
        }
        steps.push(Step::delete("batch/nightly", &[]));
        steps.push(Step::delete("all keys", &AWKWARD_KEYS));
        steps.push(Step::delete("gzipped", &[]));
    }
    steps
}

/// The scenario against gateways that require basic auth: the right credentials work, none or a
/// wrong password get 401, for every operation the client has.
pub fn auth_steps(capabilities: Capabilities) -> Vec<Step> {
    let key = [("zone", "eu west")];
    let mut steps = vec![
        Step::push("secured", &key).auth(Auth::Right),
        Step::push("secured", &key),
        Step::push("secured", &key).auth(Auth::Wrong),
        Step::add("secured", &key).auth(Auth::Right),
        Step::add("secured", &key).auth(Auth::Wrong),
    ];
    if capabilities.delete {
        steps.push(Step::delete("secured", &key).auth(Auth::Wrong));
        steps.push(Step::delete("secured", &key));
        steps.push(Step::delete("secured", &key).auth(Auth::Right));
    }
    steps
}

/// A client library, driven one step at a time.
pub trait Client {
    /// Runs `step` against the gateway at `base_url` (`http://127.0.0.1:<port>`) and returns the
    /// outcome: `ok`, `status <code>` for an HTTP error, or `client error: <message>` when the
    /// library refused or failed without an HTTP status. The message must not contain the
    /// gateway's port.
    fn run(&self, base_url: &str, step: &Step) -> String;
}

/// The reference and our binary, started with the same flags.
pub struct Pair {
    go: Gateway,
    ours: Gateway,
    /// Whether the gateways require [`USER`] and [`PASSWORD`] (also for scraping them).
    secured: bool,
    /// The web config file, removed with the pair.
    _config_dir: Option<TempDir>,
    /// Which families hold times, besides [`is_time_family`].
    is_time: fn(&str) -> bool,
}

impl Pair {
    /// Both gateways with default flags.
    pub fn start() -> Pair {
        Pair {
            go: Target::Go.start(&[]),
            ours: Target::Pushgw.start(&[]),
            secured: false,
            _config_dir: None,
            is_time: |_| false,
        }
    }

    /// Both gateways with a `--web.config.file` requiring basic auth as [`USER`].
    pub fn with_basic_auth() -> Pair {
        let dir = tempfile::tempdir().expect("creating a directory for web.yml");
        let config = dir.path().join("web.yml");
        fs::write(
            &config,
            format!("basic_auth_users:\n  {USER}: {PASSWORD_HASH}\n"),
        )
        .unwrap_or_else(|e| panic!("writing {}: {e}", config.display()));
        let flag = format!("--web.config.file={}", config.display());
        let started = |target: Target| {
            // The harness's readiness check is unauthenticated: both gateways answer it with 401,
            // which still shows they are up; start_gateway also waits for the "Listening on" log.
            target.start(&[&flag])
        };
        Pair {
            go: started(Target::Go),
            ours: started(Target::Pushgw),
            secured: true,
            _config_dir: Some(dir),
            is_time: |_| false,
        }
    }

    /// Runs every step against both gateways and requires the same outcome and, after each
    /// step, the same `/metrics` and `/api/v1/metrics` (times masked). Returns the transcript:
    /// per step, what the client did, its outcome, and the groups the gateway then holds.
    #[track_caller]
    pub fn run(&self, client: &dyn Client, steps: &[Step]) -> String {
        steps
            .iter()
            .map(|step| self.check(&step.describe(), |base_url| client.run(base_url, step)))
            .collect()
    }

    /// Runs `action` (which returns its outcome) against the Go Pushgateway, then against ours,
    /// and requires the same outcome and then the same state; returns the transcript entry:
    /// `described`, the outcome, and the groups the gateways then hold.
    #[track_caller]
    pub fn check(&self, described: &str, action: impl Fn(&str) -> String) -> String {
        let theirs = action(&self.go.base_url());
        let ours = action(&self.ours.base_url());
        assert_eq!(
            ours, theirs,
            "{described}: the client's outcome against pushgw-sidecar differs from the one \
             against the Go Pushgateway"
        );
        let state = self.agreed_state(described);
        format!("{described}\n  -> {theirs}\n  groups: {state}\n")
    }

    /// The Go Pushgateway.
    pub fn go(&self) -> &Gateway {
        &self.go
    }

    /// Our `pushgw-sidecar`.
    pub fn ours(&self) -> &Gateway {
        &self.ours
    }

    /// Also masks the values of families for which `is_time(name)` holds (beyond
    /// [`is_time_family`]), e.g. a batch job's duration.
    pub fn masking(self, is_time: fn(&str) -> bool) -> Pair {
        Pair { is_time, ..self }
    }

    /// Waits until both gateways hold the same pushed metrics and returns their groups, one
    /// `{label="value",...}` each, sorted.
    #[track_caller]
    fn agreed_state(&self, described: &str) -> String {
        let mut groups = String::new();
        wait_until(
            AGREEMENT_DEADLINE,
            &format!("both gateways to agree after `{described}`"),
            || {
                let theirs = self.state(&self.go)?;
                let ours = self.state(&self.ours)?;
                if theirs != ours {
                    return Err(Error::new(format!(
                        "they differ\n--- the Go Pushgateway: /metrics\n{}\n--- pushgw-sidecar: \
                         /metrics\n{}\n--- the Go Pushgateway: /api/v1/metrics\n{:#}\n\
                         --- pushgw-sidecar: /api/v1/metrics\n{:#}",
                        theirs.0, ours.0, theirs.1, ours.1
                    )));
                }
                groups = group_list(&theirs.1);
                Ok(true)
            },
        );
        groups
    }

    /// `/metrics` (pushed families) and `/api/v1/metrics`, times masked.
    fn state(&self, gateway: &Gateway) -> Result<(String, Value), Error> {
        let authorization = format!(
            "Basic {}",
            STANDARD.encode(format!("{USER}:{PASSWORD}").as_bytes())
        );
        let headers: &[(&str, &str)] = if self.secured {
            &[("Authorization", &authorization)]
        } else {
            &[]
        };
        let get = |path: &str| {
            http::request("GET", &gateway.url(path), headers, b"")?
                .success()
                .map_err(|e| Error::new(format!("{}: GET {path}: {e}", gateway.target())))
        };
        let scrape = get("/metrics")?.text();
        let is_time = |name: &str| is_time_family(name) || (self.is_time)(name);
        let api = masked_metrics_api(&get("/api/v1/metrics")?.body, is_time)?;
        Ok((masked_exposition(&scrape, is_time), api))
    }
}

/// The groups of a masked `/api/v1/metrics` `data`, e.g. `{job="batch",path="var/log"}`.
fn group_list(data: &Value) -> String {
    let groups: Vec<String> = data
        .as_array()
        .into_iter()
        .flatten()
        .map(|group| {
            let labels = group["labels"].as_object().into_iter().flatten();
            let pairs: Vec<String> = labels
                .map(|(name, value)| format!("{name}={value}"))
                .collect();
            format!("{{{}}}", pairs.join(","))
        })
        .collect();
    if groups.is_empty() {
        "(none)".to_owned()
    } else {
        groups.join(" ")
    }
}

/// A directory under the target directory for client builds that outlive one test run (cargo's
/// `CARGO_TARGET_TMPDIR`, i.e. `target/tmp`).
pub fn build_dir(client: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("client-matrix")
        .join(client);
    fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    dir
}

/// The source directory of the client programs, `tests/clients/<client>`.
pub fn source_dir(client: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("clients")
        .join(client)
}

/// Runs a command to completion and returns its stdout, panicking with its output when it fails.
#[track_caller]
pub fn run_ok(what: &str, command: &mut Command) -> String {
    eprintln!("{what}: {command:?}");
    pushgw_tests::stdout_ok(command)
}

/// The arguments of the client programs under `tests/clients/{go,node,python}`, which share their
/// flags: `-url -op -job -metrics [-format] [-gzip] [-user -password] name=value...`.
pub fn program_args(base_url: &str, step: &Step) -> Vec<String> {
    let mut args: Vec<String> = [
        "-url",
        base_url,
        "-op",
        step.op.flag(),
        "-job",
        step.job,
        "-metrics",
        step.metrics.flag(),
    ]
    .map(str::to_owned)
    .to_vec();
    if let Some(format) = step.format {
        args.extend(["-format".to_owned(), format.to_owned()]);
    }
    if step.gzip {
        args.push("-gzip".to_owned());
    }
    if let Some((user, password)) = step.auth.credentials() {
        args.extend(["-user", user, "-password", password].map(str::to_owned));
    }
    args.extend(
        step.grouping
            .iter()
            .map(|(name, value)| format!("{name}={value}")),
    );
    args
}

/// A client program kept running for a whole test, so that the interpreter starts once: it reads
/// one JSON array of arguments per line on stdin and answers each with one outcome line (the
/// Python and Node.js programs do this when started without arguments).
pub struct Session {
    name: String,
    io: Mutex<SessionIo>,
    stderr: NamedTempFile,
}

struct SessionIo {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl Session {
    /// Starts `command` (called `name` in messages) with piped stdin and stdout.
    pub fn start(name: &str, mut command: Command) -> Session {
        let stderr = NamedTempFile::new().expect("creating a file for a client's stderr");
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr.reopen().expect("opening a client's stderr file"))
            .spawn()
            .unwrap_or_else(|e| panic!("starting {name} ({command:?}): {e}"));
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
        Session {
            name: name.to_owned(),
            io: Mutex::new(SessionIo {
                child,
                stdin,
                stdout,
            }),
            stderr,
        }
    }

    /// Sends one call and returns its outcome line.
    #[track_caller]
    pub fn call(&self, args: &[String]) -> String {
        let mut io = self.io.lock().unwrap_or_else(|e| e.into_inner());
        let request = serde_json::to_string(args).expect("strings serialise to JSON");
        let stdin = io.stdin.as_mut().expect("stdin stays open until drop");
        let sent = writeln!(stdin, "{request}").and_then(|()| stdin.flush());
        let mut line = String::new();
        let read = sent.and_then(|()| io.stdout.read_line(&mut line));
        if !matches!(read, Ok(n) if n > 0) {
            panic!(
                "{} did not answer {request} ({read:?}); its stderr:\n{}",
                self.name,
                self.stderr_text()
            );
        }
        line.trim_end().to_owned()
    }

    fn stderr_text(&self) -> String {
        fs::read_to_string(self.stderr.path())
            .unwrap_or_else(|e| format!("(cannot read {}: {e})", self.stderr.path().display()))
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let io = self.io.get_mut().unwrap_or_else(|e| e.into_inner());
        // End of input ends the program; kill it anyway in case it hangs.
        drop(io.stdin.take());
        let _ = io.child.kill();
        let _ = io.child.wait();
    }
}
