//! Go: `client_golang`'s `push` package (v1.14 from Debian), built offline in GOPATH mode from
//! `tests/clients/go/pushclient.go`.
//!
//! It pushes protobuf by default and text with `Format(expfmt.FmtText)`; it has no gzip option,
//! but takes any `HTTPDoer`, so the program gzips with one (`-gzip`). It base64-encodes values
//! with `/` and the empty value, and `url.QueryEscape`s the rest, so a space travels as `+`, which
//! the gateways (Go's path unescaping) keep as a literal `+`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use expect_test::expect_file;
use pushgw_tests::find_program;

use crate::support::{
    Capabilities, Client, Pair, Step, auth_steps, build_dir, program_args, run_ok, source_dir,
    standard_steps,
};

/// Where Debian's `golang-github-prometheus-client-golang-dev` installs the library.
const GOPATH: &str = "/usr/share/gocode";

const CAPABILITIES: Capabilities = Capabilities {
    extra_formats: &["text"],
    gzip: true,
    delete: true,
};

/// The client program, built into the target directory unless it is newer than its source and
/// the library (Go's build cache there makes a rebuild take seconds, not half a minute).
fn program() -> &'static PathBuf {
    static PROGRAM: OnceLock<PathBuf> = OnceLock::new();
    PROGRAM.get_or_init(|| {
        let go = find_program("go", "golang-go");
        let push_package =
            PathBuf::from(GOPATH).join("src/github.com/prometheus/client_golang/prometheus/push");
        assert!(
            push_package.is_dir(),
            "{} is missing: install the Debian package golang-github-prometheus-client-golang-dev",
            push_package.display()
        );
        let dir = build_dir("go");
        let binary = dir.join("pushclient");
        let source = source_dir("go").join("pushclient.go");
        if is_newer(&binary, &[&source, &push_package.join("push.go")]) {
            return binary;
        }
        run_ok(
            "building tests/clients/go/pushclient.go",
            Command::new(go)
                .current_dir(source_dir("go"))
                .args(["build", "-o"])
                .arg(&binary)
                .arg("pushclient.go")
                // GOPATH mode: the packages come from Debian's GOPATH, nothing from the network.
                .env("GO111MODULE", "off")
                .env("GOPATH", GOPATH)
                .env("GOFLAGS", "")
                .env("GOPROXY", "off")
                .env("GOCACHE", dir.join("cache")),
        );
        binary
    })
}

/// Whether `file` exists and is newer than each of `sources`.
fn is_newer(file: &Path, sources: &[&Path]) -> bool {
    let modified = |path: &Path| fs::metadata(path).and_then(|meta| meta.modified()).ok();
    match modified(file) {
        Some(built) => sources
            .iter()
            .all(|source| modified(source).is_some_and(|changed| changed <= built)),
        None => false,
    }
}

/// The client program, one process per call (a Go binary starts in milliseconds).
pub struct GoClient;

impl Client for GoClient {
    fn run(&self, base_url: &str, step: &Step) -> String {
        let args = program_args(base_url, step);
        run_ok(
            "tests/clients/go/pushclient",
            Command::new(program()).args(args),
        )
        .trim_end()
        .to_owned()
    }
}

#[test]
fn go_client_matches_the_reference() {
    let transcript = Pair::start().run(&GoClient, &standard_steps(CAPABILITIES));
    expect_file!["expected/go.txt"].assert_eq(&transcript);
}

#[test]
fn go_client_with_basic_auth_matches_the_reference() {
    let transcript = Pair::with_basic_auth().run(&GoClient, &auth_steps(CAPABILITIES));
    expect_file!["expected/go_auth.txt"].assert_eq(&transcript);
}
