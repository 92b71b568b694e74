//! Go: `client_golang`'s `push` package (v1.14 from Debian), built offline in GOPATH mode from
//! `tests/clients/go/pushclient.go`.
//!
//! It pushes protobuf by default and text with `Format(expfmt.FmtText)`; it has no gzip option,
//! but takes any `HTTPDoer`, so the program gzips with one (`-gzip`). It base64-encodes values
//! with `/` and the empty value, and `url.QueryEscape`s the rest, so a space travels as `+`, which
//! the gateways (Go's path unescaping) keep as a literal `+`.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use expect_test::expect_file;
use pushgw_tests::find_program;

use crate::support::{
    Capabilities, Client, Pair, Step, auth_steps, build_dir, run_ok, run_program, source_dir,
    standard_steps,
};

/// Where Debian's `golang-github-prometheus-client-golang-dev` installs the library.
const GOPATH: &str = "/usr/share/gocode";

const CAPABILITIES: Capabilities = Capabilities {
    extra_formats: &["text"],
    gzip: true,
    delete: true,
};

/// The client program, built on first use in this test binary (Go's build cache under the
/// target directory makes later builds take a second).
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

pub struct GoClient;

impl Client for GoClient {
    fn run(&self, base_url: &str, step: &Step) -> String {
        run_program(Command::new(program()), base_url, step)
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
