//! The tutorial (`tutorial/ja/README.md`, `tutorial/en/README.md`) as a test: its command blocks
//! run in order, as a trainee would type them, against the real pushgw binaries and a real
//! Prometheus, and what the text shows as output must be what the commands print.
//!
//! The conventions the tutorial follows are written at the top of both files; in short:
//! - ```` ```sh ```` blocks are run; every command in them must succeed.
//! - ```` ```console ```` blocks are transcripts: each `$ ` line is a command (a line ending in `\`
//!   continues it), the lines up to the next `$ ` are its expected output, where `...` on a line
//!   of its own stands for any number of lines and `...` inside a line for any text.
//! - `<!-- test: retry -->` right before a console block: its commands only read, and the output
//!   appears after a scrape, so the block is re-run until it matches (as a trainee would re-run
//!   the query after a few seconds).
//! - `<!-- test: screenshots -->`: where `PUSHGW_UPDATE_SCREENSHOTS=1` takes the screenshots.
//! - Any other fence (` ```text`, ` ```yaml`, ` ```rust`, ...) is only shown; a ` ```rust` block
//!   must appear verbatim in `pushgw-core/examples/`, so the listing cannot drift from the code.
//!
//! Both languages must have the same headings (levels and numbers) and byte-identical command
//! blocks in the same order; the blocks run once, in one `bash` session (variables and the current
//! directory carry over from block to block, as in a terminal).
//!
//! The sandbox: a temporary directory is `HOME` and the working directory; `PATH` starts with the
//! shims of `tests/tutorial_sandbox/bin` (`sudo`, `systemctl`, `journalctl`, `wget`,
//! `systemd-analyze`; each explains itself in its header), and the release tarball the tutorial
//! downloads is assembled from the workspace's binaries, with the installer wrapped by
//! `tests/tutorial_sandbox/release/pushgw-install` (`--root`, `--service-manager=none`, and the
//! systemd steps played through the shim). Before a command runs, the text is changed by this
//! table (expected output gets only the port rows):
//!
//! | in the tutorial | in the sandbox |
//! |---|---|
//! | `:9090` (Prometheus) | `:<port of the test's Prometheus>` |
//! | `:9091` (the gateway) | `:<a free port>` |
//! | `:9092` (the embedding example) | `:<a free port>` |
//! | `/usr/local/src/prometheus/`, `/usr/lib/systemd/system/` starting a shell word | the same under the sandbox root |
//! | `cargo run -p pushgw-core --example hyper_server --` | `target/<profile>/examples/hyper_server` (built by `cargo test --workspace`) |
//!
//! Paths inside a file's text (`ExecStart=/usr/local/...` in the unit) are not rewritten: the
//! unit must name the VM's path; the systemctl shim adds the root when it starts the gateway.
//! The tutorial's `PRIVATE_IP=10.0.0.5` is used as is: the address is only part of the external
//! URL, nothing listens on it.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use pushgw_tests::browser::{Browser, serve_path_stripping_proxy};
use pushgw_tests::{
    Prometheus, Server, ServerSpec, find_program, free_port, start_server, stdout_ok, wait_until,
    workspace_binary,
};
use serde_json::{Value, json};
use tempfile::TempDir;

const LANGUAGES: [&str; 2] = ["ja", "en"];
/// Where the tutorial downloads releases from (`wget`), and files of the repository.
const RELEASE_URL: &str = "https://example.invalid/pushgw/releases/download";
const RAW_URL: &str = "https://example.invalid/pushgw/raw/main";
/// How long one command may run (the installer waits for Prometheus' scrapes).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);
/// How long a `retry` block may take to show its output.
const RETRY_TIMEOUT: Duration = Duration::from_secs(60);
/// The prometheus.yml the trainee's VM has before the tutorial (the test's Prometheus scrapes
/// every second where a VM's does every 15 s).
const PROMETHEUS_YML: &str = "# my global config
global:
  scrape_interval: 1s
  evaluation_interval: 1s

scrape_configs:
  - job_name: 'prometheus'
    static_configs:
      - targets: ['localhost:9090']
";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ lives in the workspace")
        .to_owned()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Sh,
    Console,
}

/// One step of the tutorial, with the line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Block {
        kind: Kind,
        text: String,
        retry: bool,
        line: usize,
    },
    Screenshots {
        line: usize,
    },
}

/// What the test reads from one language's file.
#[derive(Debug)]
struct Tutorial {
    file: PathBuf,
    /// `(level, number)` of each heading, e.g. `(2, "3.")` for `## 3. ...`.
    headings: Vec<(usize, String)>,
    steps: Vec<Step>,
    rust_listings: Vec<(usize, String)>,
}

fn read_tutorial(language: &str) -> Tutorial {
    let file = workspace()
        .join("tutorial")
        .join(language)
        .join("README.md");
    let markdown =
        fs::read_to_string(&file).unwrap_or_else(|e| panic!("reading {}: {e}", file.display()));
    let mut tutorial = Tutorial {
        file,
        headings: Vec::new(),
        steps: Vec::new(),
        rust_listings: Vec::new(),
    };
    let mut lines = markdown.lines().enumerate().peekable();
    let mut previous = "";
    while let Some((index, line)) = lines.next() {
        let number = index + 1;
        if let Some(info) = line.trim_start().strip_prefix("```") {
            assert!(
                !(line.starts_with(' ') && matches!(info, "sh" | "console")),
                "{}:{number}: command blocks must start at column 0 (the test reads only those)",
                tutorial.file.display()
            );
            let mut body = String::new();
            for (_, inner) in lines.by_ref() {
                if inner.trim_start() == "```" {
                    break;
                }
                body.push_str(inner);
                body.push('\n');
            }
            let retry = previous.trim() == "<!-- test: retry -->";
            match info.trim() {
                "sh" => tutorial.steps.push(Step::Block {
                    kind: Kind::Sh,
                    text: body,
                    retry,
                    line: number,
                }),
                "console" => tutorial.steps.push(Step::Block {
                    kind: Kind::Console,
                    text: body,
                    retry,
                    line: number,
                }),
                "rust" => tutorial.rust_listings.push((number, body)),
                _ => assert!(
                    !retry,
                    "{}:{number}: only console blocks can be retried",
                    tutorial.file.display()
                ),
            }
            previous = "```";
            continue;
        }
        if line.trim() == "<!-- test: screenshots -->" {
            tutorial.steps.push(Step::Screenshots { line: number });
        }
        if let Some(hashes) = line
            .split(' ')
            .next()
            .filter(|word| !word.is_empty() && word.chars().all(|c| c == '#'))
        {
            let number = line[hashes.len()..]
                .split_whitespace()
                .next()
                .filter(|word| word.starts_with(|c: char| c.is_ascii_digit()))
                .unwrap_or_default()
                .to_owned();
            tutorial.headings.push((hashes.len(), number));
        }
        if !line.trim().is_empty() {
            previous = line;
        }
    }
    tutorial
}

/// Commands and their expected output, from a console block.
fn transcript(text: &str) -> Vec<(String, Vec<String>)> {
    let mut entries: Vec<(String, Vec<String>)> = Vec::new();
    let mut continued = false;
    for line in text.lines() {
        if continued {
            let (command, _) = entries.last_mut().expect("a command being continued");
            command.push('\n');
            command.push_str(line);
            continued = line.ends_with('\\');
        } else if let Some(command) = line.strip_prefix("$ ") {
            entries.push((command.to_owned(), Vec::new()));
            continued = command.ends_with('\\');
        } else {
            let (_, output) = entries.last_mut().unwrap_or_else(|| {
                panic!("console block output before any `$ ` command: {line:?}")
            });
            output.push(line.to_owned());
        }
    }
    entries
}

/// Whether `actual` matches `expected`, where `...` alone matches any lines and `...` in a line
/// any text.
fn matches(expected: &[String], actual: &[&str]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((first, rest)) if first.trim() == "..." => {
            (0..=actual.len()).any(|skip| matches(rest, &actual[skip..]))
        }
        Some((first, rest)) => actual.split_first().is_some_and(|(line, more)| {
            line_matches(first.trim_end(), line) && matches(rest, more)
        }),
    }
}

fn line_matches(pattern: &str, line: &str) -> bool {
    let mut parts = pattern.split("...");
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = line.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    for (index, part) in parts.iter().enumerate() {
        if index + 1 == parts.len() {
            return rest.ends_with(part);
        }
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.is_empty()
}

/// The ports and paths the tutorial's fixed values stand for here.
#[derive(Debug)]
struct Substitutions {
    ports: Vec<(String, String)>,
    root: PathBuf,
    hyper_server: PathBuf,
}

impl Substitutions {
    fn output(&self, text: &str) -> String {
        self.ports
            .iter()
            .fold(text.to_owned(), |text, (from, to)| text.replace(from, to))
    }

    fn command(&self, text: &str) -> String {
        let mut text = self.output(text).replace(
            "cargo run -p pushgw-core --example hyper_server --",
            &self.hyper_server.display().to_string(),
        );
        for prefix in ["/usr/local/src/prometheus/", "/usr/lib/systemd/system/"] {
            let mut out = String::new();
            let mut rest = text.as_str();
            while let Some(at) = rest.find(prefix) {
                let before = if at > 0 {
                    rest[..at].chars().next_back()
                } else {
                    out.chars().next_back()
                };
                let starts_word = before.is_none_or(|c| c.is_whitespace() || "'\"(>".contains(c));
                out.push_str(&rest[..at]);
                if starts_word {
                    out.push_str(&self.root.display().to_string());
                }
                out.push_str(prefix);
                rest = &rest[at + prefix.len()..];
            }
            out.push_str(rest);
            text = out;
        }
        text
    }
}

/// The bash session the tutorial's commands run in.
struct Session {
    bash: Child,
    stdin: ChildStdin,
    done: Receiver<()>,
    state: PathBuf,
    /// Numbers the output files: a background job of an earlier command keeps writing to its own.
    runs: usize,
}

/// What one command printed (stdout and stderr as a terminal shows them) and which of its
/// commands failed.
struct Ran {
    output: String,
    failures: String,
}

impl Session {
    fn start(sandbox: &Sandbox) -> Session {
        let bash = find_program("bash", "bash");
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut paths = vec![workspace().join("tests/tutorial_sandbox/bin")];
        paths.extend(std::env::split_paths(&path));
        let mut child = Command::new(bash)
            .args(["--noprofile", "--norc"])
            .current_dir(&sandbox.home)
            .env("PATH", std::env::join_paths(paths).expect("a PATH"))
            .env("HOME", &sandbox.home)
            .env("LANG", "C.UTF-8")
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .env("TUTORIAL_ROOT", &sandbox.root)
            .env("TUTORIAL_STATE", &sandbox.state)
            .env("TUTORIAL_PROMETHEUS_URL", sandbox.prometheus.base_url())
            .env("TUTORIAL_GATEWAY_PORT", sandbox.gateway_port.to_string())
            .env(
                "TUTORIAL_INSTALLER",
                workspace_binary("pushgw-install", "pushgw-install"),
            )
            .env("TUTORIAL_DOWNLOADS", &sandbox.downloads)
            .env("TUTORIAL_RELEASE_URL", release_url())
            .env("TUTORIAL_RAW_URL", RAW_URL)
            .env("TUTORIAL_REPO", workspace())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("starting bash");
        let stdin = child.stdin.take().expect("bash's stdin");
        let stdout = child.stdout.take().expect("bash's stdout");
        let (sender, done) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if line == "__TUTORIAL_DONE__" && sender.send(()).is_err() {
                    break;
                }
            }
        });
        let mut session = Session {
            bash: child,
            stdin,
            done,
            state: sandbox.state.clone(),
            runs: 0,
        };
        // Every failing command (as `set -e` would see it, pipelines included) is recorded
        // instead of ending the session, so that the test can name it.
        session.send(
            "set -E -o pipefail\n\
             trap '__tutorial_failures+=(\"exit status $? from: $BASH_COMMAND\")' ERR\n",
        );
        session
    }

    fn send(&mut self, script: &str) {
        self.stdin
            .write_all(script.as_bytes())
            .and_then(|()| self.stdin.flush())
            .expect("writing to bash");
    }

    fn run(&mut self, command: &str) -> Ran {
        self.runs += 1;
        let out = self.state.join(format!("out.{}", self.runs));
        let failures = self.state.join("failures");
        self.send(&format!(
            "__tutorial_failures=()\n{{\n{command}\n}} >\"$TUTORIAL_STATE/out.{}\" 2>&1 </dev/null\n\
             printf '%s\\n' \"${{__tutorial_failures[@]}}\" >\"$TUTORIAL_STATE/failures\"\n\
             echo __TUTORIAL_DONE__\n",
            self.runs
        ));
        match self.done.recv_timeout(COMMAND_TIMEOUT) {
            Ok(()) => {}
            Err(RecvTimeoutError::Timeout) => panic!(
                "still running after {COMMAND_TIMEOUT:?}:\n{command}\n--- output so far\n{}",
                fs::read_to_string(&out).unwrap_or_default()
            ),
            Err(RecvTimeoutError::Disconnected) => panic!("bash exited while running:\n{command}"),
        }
        Ran {
            output: fs::read_to_string(&out).unwrap_or_else(|e| panic!("{}: {e}", out.display())),
            failures: fs::read_to_string(&failures)
                .unwrap_or_default()
                .trim()
                .to_owned(),
        }
    }
}

impl Drop for Session {
    /// Ends the session's background jobs (the embedding example, if a failure came before the
    /// tutorial's `kill $!`), then bash itself.
    fn drop(&mut self) {
        let _ = self
            .stdin
            .write_all(b"kill $(jobs -p) 2>/dev/null\nexit\n")
            .and_then(|()| self.stdin.flush());
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline && matches!(self.bash.try_wait(), Ok(None)) {
            thread::sleep(Duration::from_millis(20));
        }
        let _ = self.bash.kill();
        let _ = self.bash.wait();
    }
}

fn release_url() -> String {
    format!("{RELEASE_URL}/v{}", env!("CARGO_PKG_VERSION"))
}

/// The temporary directories, the test's Prometheus and the ports.
struct Sandbox {
    _dir: TempDir,
    home: PathBuf,
    root: PathBuf,
    state: PathBuf,
    downloads: PathBuf,
    prometheus: Server,
    gateway_port: u16,
    config: PathBuf,
    initial_config: String,
}

impl Sandbox {
    fn new() -> Sandbox {
        let dir = tempfile::Builder::new()
            .prefix("pushgw-tutorial-")
            .tempdir()
            .expect("a temporary directory");
        let [home, root, state, downloads] =
            ["home", "root", "state", "downloads"].map(|name| dir.path().join(name));
        for path in [&home, &root, &state, &downloads] {
            fs::create_dir_all(path).unwrap_or_else(|e| panic!("mkdir {}: {e}", path.display()));
        }
        let config = root.join("usr/local/src/prometheus/prometheus-server/prometheus.yml");
        fs::create_dir_all(config.parent().expect("a parent")).expect("mkdir prometheus-server");
        find_program("prometheus", "prometheus");
        find_program("promtool", "prometheus");
        find_program("systemd-analyze", "systemd");
        find_program("curl", "curl");
        find_program("jq", "jq");
        let mut initial_config = String::new();
        let prometheus = start_server(ServerSpec::new("Prometheus", |port, data| {
            initial_config = PROMETHEUS_YML.replace(":9090", &format!(":{port}"));
            fs::write(&config, &initial_config).expect("writing prometheus.yml");
            Prometheus::command(port, &config, &data.join("data"))
        }));
        let sandbox = Sandbox {
            _dir: dir,
            home,
            root,
            state,
            downloads,
            prometheus,
            gateway_port: free_port(),
            config,
            initial_config,
        };
        sandbox.assemble_release();
        sandbox
    }

    /// `pushgw-<version>.linux-amd64.tar.gz` shaped as scripts/dist.sh makes it, from the
    /// workspace's binaries, with the sandbox's installer wrapper; and `sha256sums.txt`.
    fn assemble_release(&self) {
        let name = format!("pushgw-{}.linux-amd64", env!("CARGO_PKG_VERSION"));
        let staging = self.state.join("staging");
        let dir = staging.join(&name);
        fs::create_dir_all(&dir).expect("mkdir the release directory");
        let copies = [
            (
                workspace_binary("pushgw-sidecar", "pushgw-sidecar"),
                "pushgw-sidecar",
            ),
            (
                workspace().join("tests/tutorial_sandbox/release/pushgw-install"),
                "pushgw-install",
            ),
            (workspace().join("README.md"), "README.md"),
        ];
        for (from, to) in copies {
            fs::copy(&from, dir.join(to))
                .unwrap_or_else(|e| panic!("copying {}: {e}", from.display()));
        }
        let tarball = self.downloads.join(format!("{name}.tar.gz"));
        stdout_ok(
            Command::new("tar")
                .arg("-czf")
                .arg(&tarball)
                .arg("-C")
                .arg(&staging)
                .arg(&name),
        );
        let sums = stdout_ok(
            Command::new("sha256sum")
                .arg(format!("{name}.tar.gz"))
                .current_dir(&self.downloads),
        );
        fs::write(self.downloads.join("sha256sums.txt"), sums).expect("writing sha256sums.txt");
    }

    fn substitutions(&self, embedding_port: u16) -> Substitutions {
        Substitutions {
            ports: vec![
                (":9090".into(), format!(":{}", self.prometheus.port)),
                (":9091".into(), format!(":{}", self.gateway_port)),
                (":9092".into(), format!(":{embedding_port}")),
            ],
            root: self.root.clone(),
            hyper_server: workspace_binary("examples/hyper_server", "pushgw-core --examples"),
        }
    }
}

impl Drop for Sandbox {
    /// Stops a gateway the systemctl shim left running (a failed test never reached the
    /// tutorial's cleanup).
    fn drop(&mut self) {
        if let Ok(pid) = fs::read_to_string(self.state.join("pushgateway.pid")) {
            let _ = Command::new("kill").arg(pid.trim()).status();
        }
    }
}

fn describe(file: &Path, line: usize, command: &str, ran: &Ran) -> String {
    format!(
        "{}:{line}:\n{command}\n--- output\n{}\n--- failed commands\n{}",
        file.display(),
        ran.output,
        ran.failures
    )
}

/// Runs one console block; `Err` describes the first command whose output differs.
fn run_console(
    session: &mut Session,
    file: &Path,
    line: usize,
    text: &str,
    substitutions: &Substitutions,
) -> Result<(), String> {
    for (command, expected) in transcript(text) {
        let ran = session.run(&substitutions.command(&command));
        assert!(
            ran.failures.is_empty(),
            "a command failed: {}",
            describe(file, line, &command, &ran)
        );
        let expected: Vec<String> = substitutions
            .output(&expected.join("\n"))
            .lines()
            .map(str::to_owned)
            .collect();
        let actual: Vec<&str> = ran.output.trim_end().lines().map(str::trim_end).collect();
        let expected_trimmed: Vec<String> = {
            let mut lines = expected;
            while lines.last().is_some_and(|l| l.trim().is_empty()) {
                lines.pop();
            }
            lines
        };
        if !matches(&expected_trimmed, &actual) {
            return Err(format!(
                "the output differs from the text: {}\n--- expected\n{}",
                describe(file, line, &command, &ran),
                expected_trimmed.join("\n")
            ));
        }
    }
    Ok(())
}

#[test]
fn tutorial_commands_run_as_written_in_both_languages() {
    let started = Instant::now();
    let [ja, en] = LANGUAGES.map(read_tutorial);
    assert_eq!(
        ja.headings,
        en.headings,
        "{} and {} must have the same sections (heading levels and numbers)",
        ja.file.display(),
        en.file.display()
    );
    assert_eq!(
        ja.steps.len(),
        en.steps.len(),
        "both languages must have the same command blocks"
    );
    for (a, b) in ja.steps.iter().zip(&en.steps) {
        let strip = |step: &Step| match step {
            Step::Block {
                kind, text, retry, ..
            } => Some((*kind, text.clone(), *retry)),
            Step::Screenshots { .. } => None,
        };
        assert_eq!(
            strip(a),
            strip(b),
            "the command blocks differ: {}:{} vs {}:{}",
            ja.file.display(),
            line_of(a),
            en.file.display(),
            line_of(b)
        );
    }
    assert!(
        ja.steps.len() > 10,
        "the tutorial has lost its command blocks"
    );
    check_rust_listings(&ja);
    check_rust_listings(&en);
    let version = env!("CARGO_PKG_VERSION");
    let tarball = format!("pushgw-{version}.linux-amd64.tar.gz");
    assert!(
        ja.steps
            .iter()
            .any(|step| matches!(step, Step::Block { text, .. } if text.contains(&tarball))),
        "the tutorial must download {tarball}: update it to the workspace's version {version}"
    );

    let sandbox = Sandbox::new();
    let substitutions = sandbox.substitutions(free_port());
    let mut session = Session::start(&sandbox);
    for step in &ja.steps {
        match step {
            Step::Screenshots { .. } => {
                if std::env::var_os("PUSHGW_UPDATE_SCREENSHOTS").is_some() {
                    take_screenshots(&sandbox);
                }
            }
            Step::Block {
                kind: Kind::Sh,
                text,
                line,
                ..
            } => {
                let ran = session.run(&substitutions.command(text));
                assert!(
                    ran.failures.is_empty(),
                    "a command failed: {}",
                    describe(&ja.file, *line, text, &ran)
                );
            }
            Step::Block {
                kind: Kind::Console,
                text,
                line,
                retry,
            } => {
                if *retry {
                    wait_until(
                        RETRY_TIMEOUT,
                        &format!("{}:{line} to match", ja.file.display()),
                        || {
                            run_console(&mut session, &ja.file, *line, text, &substitutions)
                                .map(|()| true)
                        },
                    );
                } else if let Err(message) =
                    run_console(&mut session, &ja.file, *line, text, &substitutions)
                {
                    panic!("{message}");
                }
            }
        }
    }

    // The cleanup chapter leaves the VM as it found it.
    let config = fs::read_to_string(&sandbox.config).expect("prometheus.yml after the tutorial");
    assert_eq!(
        config, sandbox.initial_config,
        "uninstall restores prometheus.yml byte for byte"
    );
    for path in [
        "usr/lib/systemd/system/pushgateway.service",
        "usr/local/src/prometheus/pushgateway-server/pushgateway",
    ] {
        assert!(
            !sandbox.root.join(path).exists(),
            "/{path} is left after the cleanup"
        );
    }
    assert!(
        !sandbox.state.join("pushgateway.pid").exists(),
        "the gateway still runs after the cleanup"
    );
    // After the run: PUSHGW_UPDATE_SCREENSHOTS=1 has just made them.
    check_images(&ja);
    check_images(&en);
    eprintln!(
        "tutorial: {} steps in {:.1?}",
        ja.steps.len(),
        started.elapsed()
    );
}

fn line_of(step: &Step) -> usize {
    match step {
        Step::Block { line, .. } | Step::Screenshots { line } => *line,
    }
}

/// Every ```rust listing is a verbatim excerpt of an example of pushgw-core.
fn check_rust_listings(tutorial: &Tutorial) {
    let examples = workspace().join("pushgw-core/examples");
    let sources: Vec<String> = fs::read_dir(&examples)
        .unwrap_or_else(|e| panic!("{}: {e}", examples.display()))
        .filter_map(|entry| fs::read_to_string(entry.ok()?.path()).ok())
        .collect();
    for (line, listing) in &tutorial.rust_listings {
        assert!(
            sources
                .iter()
                .any(|source| source.contains(listing.as_str())),
            "{}:{line}: this rust listing is not an excerpt of pushgw-core/examples/*.rs (copy it from there again)",
            tutorial.file.display()
        );
    }
}

/// Every image the text shows exists (`PUSHGW_UPDATE_SCREENSHOTS=1` makes the screenshots).
fn check_images(tutorial: &Tutorial) {
    let markdown = fs::read_to_string(&tutorial.file).expect("the tutorial");
    let dir = tutorial.file.parent().expect("a directory");
    for (index, line) in markdown.lines().enumerate() {
        let Some(start) = line.find("](../images/") else {
            continue;
        };
        let path = &line[start + 2..];
        let path = &path[..path.find(')').unwrap_or(path.len())];
        assert!(
            dir.join(path).is_file(),
            "{}:{}: {path} does not exist: run PUSHGW_UPDATE_SCREENSHOTS=1 cargo test -p pushgw-tests --test tutorial",
            tutorial.file.display(),
            index + 1
        );
    }
}

/// The path the spring board's proxy serves the gateway under (the tutorial's `PRIVATE_IP`).
const PROXY_PATH: &str = "/10.0.0.5/pushgateway";

/// Takes the tutorial's screenshots from the running sandbox with headless Chromium: the gateway's
/// web UI through a path-stripping proxy as on the spring board, Prometheus' Targets page and the
/// Graph of `some_metric` (Debian's Prometheus has only the classic UI, under `/classic/`). The
/// sandbox's ports are shown as the tutorial's (9090, 9091).
fn take_screenshots(sandbox: &Sandbox) {
    let proxy = TcpListener::bind("127.0.0.1:0").expect("binding the proxy's port");
    let proxy_port = proxy.local_addr().expect("a bound address").port();
    serve_path_stripping_proxy(
        proxy,
        &format!("127.0.0.1:{}", sandbox.gateway_port),
        PROXY_PATH,
    );
    let images = workspace().join("tutorial/images");
    fs::create_dir_all(&images).expect("mkdir tutorial/images");
    let mut browser = Browser::start();
    let page = browser.open_page();
    browser.call(Some(&page), "Page.enable", json!({}));
    browser.call(
        Some(&page),
        "Emulation.setDeviceMetricsOverride",
        json!({"width": 1100, "height": 860, "deviceScaleFactor": 1, "mobile": false}),
    );
    let prometheus = sandbox.prometheus.base_url();
    let shots = [
        (
            format!("http://127.0.0.1:{proxy_port}{PROXY_PATH}/"),
            "document.querySelectorAll('details.group').length > 0",
            "for (const group of document.querySelectorAll('details.group')) \
             if (group.textContent.includes('some_job')) { group.open = true; \
             for (const d of group.querySelectorAll('details')) d.open = true; }",
            "pushgateway-ui.png",
        ),
        (
            format!("{prometheus}/classic/targets"),
            "document.body.innerText.includes('pushgateway') && document.body.innerText.includes('UP')",
            "",
            "prometheus-targets.png",
        ),
        (
            format!("{prometheus}/classic/graph?g0.expr=some_metric&g0.tab=0&g0.range_input=15s"),
            "document.querySelector('.graph svg path') !== null",
            "",
            "prometheus-graph.png",
        ),
    ];
    for (url, ready, prepare, file) in shots {
        browser.call(Some(&page), "Page.navigate", json!({ "url": url }));
        browser.wait_event(&page, "Page.loadEventFired");
        wait_until(
            Duration::from_secs(30),
            &format!("{url} to show {ready}"),
            || {
                if browser.evaluate(&page, ready) == json!(true) {
                    return Ok(true);
                }
                let text = browser.evaluate(&page, "document.body.innerText.slice(0, 500)");
                Err(format!("the page shows {text}"))
            },
        );
        let ports = format!(
            "const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT); \
             for (let n; (n = w.nextNode());) n.nodeValue = n.nodeValue\
             .replaceAll(':{}', ':9091').replaceAll(':{}', ':9090')",
            sandbox.gateway_port, sandbox.prometheus.port
        );
        browser.evaluate(&page, &format!("{prepare}; {ports}"));
        let shot: Value = browser.call(
            Some(&page),
            "Page.captureScreenshot",
            json!({"format": "png"}),
        );
        let png = STANDARD
            .decode(shot["data"].as_str().unwrap_or_default())
            .expect("a base64 screenshot");
        let path = images.join(file);
        fs::write(&path, png).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    }
    browser.close();
}

#[test]
fn console_transcripts_match_with_ellipses() {
    let expected: Vec<String> = ["a...c", "...", "end"].map(str::to_owned).to_vec();
    assert!(matches(&expected, &["abc", "x", "y", "end"]));
    assert!(matches(&expected, &["ac", "end"]));
    assert!(!matches(&expected, &["ab", "end"]));
    assert!(!matches(&expected, &["abc", "end", "more"]));
    assert_eq!(
        transcript("$ echo a \\\n  b\na b\n$ true\n"),
        [
            ("echo a \\\n  b".to_owned(), vec!["a b".to_owned()]),
            ("true".to_owned(), vec![]),
        ]
    );
}

#[test]
fn system_paths_are_redirected_only_where_they_start_a_word() {
    let substitutions = Substitutions {
        ports: vec![(":9091".into(), ":4242".into())],
        root: PathBuf::from("/tmp/r"),
        hyper_server: PathBuf::from("/t/hyper_server"),
    };
    assert_eq!(
        substitutions.command(
            "sudo tee /usr/lib/systemd/system/pushgateway.service <<EOF\nExecStart=/usr/local/src/prometheus/x --web.listen-address=:9091\nEOF\ncat \"/usr/local/src/prometheus/y\""
        ),
        "sudo tee /tmp/r/usr/lib/systemd/system/pushgateway.service <<EOF\nExecStart=/usr/local/src/prometheus/x --web.listen-address=:4242\nEOF\ncat \"/tmp/r/usr/local/src/prometheus/y\""
    );
}
