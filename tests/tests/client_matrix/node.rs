//! Node.js: `prom-client`'s `Pushgateway` class (npm, pinned by
//! `tests/clients/node/package-lock.json`) driven by `tests/clients/node/pushclient.js`.
//!
//! It pushes text format without a `Content-Type`, gzip when given a `Content-Encoding: gzip`
//! header, and `encodeURIComponent`s the job and grouping values: no base64 at all, so a `/`
//! travels as `%2F` and the empty value as an empty path segment.

use std::fs;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use expect_test::expect_file;
use pushgw_tests::find_program;

use crate::support::{
    Capabilities, Client, Pair, Session, Step, auth_steps, build_dir, program_args, run_ok,
    source_dir, standard_steps,
};

const CAPABILITIES: Capabilities = Capabilities {
    extra_formats: &[],
    gzip: true,
    delete: true,
};

/// The client script, installed with its locked dependencies on first use: `npm ci` runs only
/// when the lock file changed since the last install into the target directory.
fn script() -> &'static PathBuf {
    static SCRIPT: OnceLock<PathBuf> = OnceLock::new();
    SCRIPT.get_or_init(|| {
        let npm = find_program("npm", "npm");
        let source = source_dir("node");
        let dir = build_dir("node");
        for file in ["package.json", "pushclient.js"] {
            fs::copy(source.join(file), dir.join(file))
                .unwrap_or_else(|e| panic!("copying {file} to {}: {e}", dir.display()));
        }
        let lock = fs::read(source.join("package-lock.json"))
            .unwrap_or_else(|e| panic!("reading tests/clients/node/package-lock.json: {e}"));
        // npm keeps a copy of the lock it installed from in node_modules.
        let installed = dir.join("installed-package-lock.json");
        if fs::read(&installed).ok().as_deref() != Some(lock.as_slice()) {
            fs::write(dir.join("package-lock.json"), &lock)
                .unwrap_or_else(|e| panic!("writing {}: {e}", dir.display()));
            run_ok(
                "installing prom-client with `npm ci` (from the npm registry, or npm's cache)",
                Command::new(npm).current_dir(&dir).args([
                    "ci",
                    "--no-audit",
                    "--no-fund",
                    "--ignore-scripts",
                ]),
            );
            fs::write(&installed, &lock)
                .unwrap_or_else(|e| panic!("writing {}: {e}", installed.display()));
        }
        dir.join("pushclient.js")
    })
}

/// One Node.js process for the whole test, answering calls on stdin.
struct NodeClient {
    session: Session,
}

impl Client for NodeClient {
    fn run(&self, base_url: &str, step: &Step) -> String {
        self.session.call(&program_args(base_url, step))
    }
}

fn client() -> NodeClient {
    let mut command = Command::new(find_program("node", "nodejs"));
    command.arg(script());
    NodeClient {
        session: Session::start("tests/clients/node/pushclient.js", command),
    }
}

#[test]
fn node_client_matches_the_reference() {
    let transcript = Pair::start().run(&client(), &standard_steps(CAPABILITIES));
    expect_file!["expected/node.txt"].assert_eq(&transcript);
}

#[test]
fn node_client_with_basic_auth_matches_the_reference() {
    let transcript = Pair::with_basic_auth().run(&client(), &auth_steps(CAPABILITIES));
    expect_file!["expected/node_auth.txt"].assert_eq(&transcript);
}
