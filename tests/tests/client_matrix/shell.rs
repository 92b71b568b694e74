//! curl, as the Pushgateway's README uses it, and `tutorial/pushgw-wrap`, a batch-job
//! wrapper that runs a command and pushes its exit status and duration with curl.
//!
//! The curl client sends the text files `tests/clients/shell/{all,gauges}.prom` (the same metrics
//! as the libraries push) and encodes grouping values as the README says: URL-safe base64 after
//! `@base64` for values with `/` and for the empty value, percent-encoding otherwise. It can do
//! everything, gzip included (the body piped through `gzip`).

use std::path::PathBuf;
use std::process::Command;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE;
use expect_test::expect_file;
use pushgw_tests::find_program;

use crate::support::{
    Auth, Capabilities, Client, Metrics, Op, Pair, Step, auth_steps, run_ok, source_dir,
    standard_steps,
};

const CAPABILITIES: Capabilities = Capabilities {
    extra_formats: &[],
    gzip: true,
    delete: true,
};

/// One path component of a grouping key, `name/value` or `name@base64/...`.
fn component(name: &str, value: &str) -> String {
    if value.is_empty() || value.contains('/') {
        // An empty value encodes as `=` (spec §3.2): base64 of nothing is empty.
        let encoded = URL_SAFE.encode(value.as_bytes());
        let encoded = if encoded.is_empty() {
            "=".to_owned()
        } else {
            encoded
        };
        format!("{name}@base64/{encoded}")
    } else {
        let escaped: String = value
            .bytes()
            .map(|byte| match byte {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    char::from(byte).to_string()
                }
                _ => format!("%{byte:02X}"),
            })
            .collect();
        format!("{name}/{escaped}")
    }
}

struct Curl {
    curl: PathBuf,
}

impl Client for Curl {
    fn run(&self, base_url: &str, step: &Step) -> String {
        let mut url = format!("{base_url}/metrics/{}", component("job", step.job));
        for (name, value) in &step.grouping {
            url.push('/');
            url.push_str(&component(name, value));
        }
        let method = match step.op {
            Op::Push => "PUT",
            Op::Add => "POST",
            Op::Delete => "DELETE",
        };
        let body = source_dir("shell").join(match step.metrics {
            Metrics::All => "all.prom",
            Metrics::Gauges => "gauges.prom",
        });
        // `$0` is curl, then the method, the URL and the body file, then extra options (`"$@"`).
        let send = match (step.op, step.gzip) {
            (Op::Delete, _) => r#""$curl" "$@" -X "$method" "$url""#,
            (_, false) => r#""$curl" "$@" -X "$method" --data-binary "@$body" "$url""#,
            (_, true) => {
                r#"gzip -c "$body" | "$curl" "$@" -X "$method" -H 'Content-Encoding: gzip' --data-binary @- "$url""#
            }
        };
        let script = format!(
            r#"curl=$0 method=$1 url=$2 body=$3; shift 3; {send} -sS -o /dev/null -w '%{{http_code}}'"#
        );
        let mut command = Command::new("/bin/sh");
        command
            .arg("-c")
            .arg(script)
            .arg(&self.curl)
            .args([method, &url])
            .arg(body);
        if let Some((user, password)) = step.auth.credentials() {
            command.args(["--user", &format!("{user}:{password}")]);
        }
        let code = run_ok("curl", &mut command);
        match code.trim() {
            "200" | "202" => "ok".to_owned(),
            other => format!("status {other}"),
        }
    }
}

fn curl() -> Curl {
    Curl {
        curl: find_program("curl", "curl"),
    }
}

#[test]
fn curl_matches_the_reference() {
    let transcript = Pair::start().run(&curl(), &standard_steps(CAPABILITIES));
    expect_file!["expected/curl.txt"].assert_eq(&transcript);
}

#[test]
fn curl_with_basic_auth_matches_the_reference() {
    let transcript = Pair::with_basic_auth().run(&curl(), &auth_steps(CAPABILITIES));
    expect_file!["expected/curl_auth.txt"].assert_eq(&transcript);
}

/// The wrapper's families whose values are times.
fn is_batch_time(name: &str) -> bool {
    name == "batch_job_duration_seconds" || name == "batch_job_last_success_timestamp_seconds"
}

/// Runs the wrapper around `command` for `job` and returns `exit <status>` and what it said on
/// stderr.
fn wrap(base_url: &str, job: &str, auth: Auth, command: &[&str]) -> String {
    find_program("curl", "curl");
    // The wrapper is the tutorial's (one copy, the one trainees download).
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tutorial/pushgw-wrap");
    let mut wrapper = Command::new(script);
    wrapper.arg(base_url).arg(job).args(command);
    if let Some((user, password)) = auth.credentials() {
        wrapper
            .env("PUSHGW_USER", user)
            .env("PUSHGW_PASSWORD", password);
    }
    let output = wrapper
        .output()
        .unwrap_or_else(|e| panic!("running tutorial/pushgw-wrap: {e}"));
    let stderr = String::from_utf8_lossy(&output.stderr).replace(base_url, "<gateway>");
    match output.status.code() {
        Some(code) => format!("exit {code}; stderr: {:?}", stderr.trim_end()),
        None => panic!("pushgw-wrap was killed: {}", output.status),
    }
}

#[test]
fn batch_job_wrapper_matches_the_reference() {
    let pair = Pair::start().masking(is_batch_time);
    let mut transcript = String::new();
    for (job, command) in [
        ("nightly/backup", &["true"][..]),
        ("nightly/backup", &["sh", "-c", "exit 3"][..]),
        ("report mail", &["sh", "-c", "echo sent"][..]),
        ("", &["true"][..]),
    ] {
        transcript.push_str(
            &pair.check(&format!("pushgw-wrap {job:?} {command:?}"), |base_url| {
                wrap(base_url, job, Auth::None, command)
            }),
        );
    }
    expect_file!["expected/batch_wrapper.txt"].assert_eq(&transcript);
}

#[test]
fn batch_job_wrapper_with_basic_auth_matches_the_reference() {
    let pair = Pair::with_basic_auth().masking(is_batch_time);
    let mut transcript = String::new();
    for auth in [Auth::Right, Auth::None, Auth::Wrong] {
        transcript.push_str(&pair.check(
            &format!("pushgw-wrap \"secured\" [\"true\"] with auth {auth:?}"),
            |base_url| wrap(base_url, "secured", auth, &["true"]),
        ));
    }
    expect_file!["expected/batch_wrapper_auth.txt"].assert_eq(&transcript);
}
