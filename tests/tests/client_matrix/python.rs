//! Python: `prometheus_client` (PyPI, pinned in `scripts/test.sh`) driven by
//! `tests/clients/python/pushclient.py`.
//!
//! It pushes text format 0.0.4 (with `_created` gauges beside counters, histograms and
//! summaries), gzip with `compression='gzip'`, and base64-encodes values with `/`, a space, or
//! nothing at all.

use std::process::Command;

use expect_test::expect_file;
use pushgw_tests::find_program;

use crate::support::{
    Capabilities, Client, Pair, Session, Step, auth_steps, program_args, run_ok, source_dir,
    standard_steps,
};

/// The pinned version `scripts/test.sh` installs.
const PIN: &str = "prometheus_client==0.26.0";

const CAPABILITIES: Capabilities = Capabilities {
    extra_formats: &[],
    gzip: true,
    delete: true,
};

/// One Python process for the whole test, answering calls on stdin.
pub struct PythonClient {
    session: Session,
}

impl PythonClient {
    /// Fails (never skips) when the module is missing or not the pinned version.
    pub fn new() -> PythonClient {
        let python = find_program("python3", "python3");
        let version = run_ok(
            &format!(
                "importing prometheus_client (install it with `python3 -m pip install '{PIN}'`; \
                 scripts/test.sh does it)"
            ),
            Command::new(&python).args([
                "-c",
                "from importlib.metadata import version; print(version('prometheus_client'))",
            ]),
        );
        assert_eq!(
            format!("prometheus_client=={}", version.trim()),
            PIN,
            "the transcripts were recorded with {PIN}: `python3 -m pip install '{PIN}'`"
        );
        let mut command = Command::new(python);
        command.arg(source_dir("python").join("pushclient.py"));
        PythonClient {
            session: Session::start("tests/clients/python/pushclient.py", command),
        }
    }
}

impl Client for PythonClient {
    fn run(&self, base_url: &str, step: &Step) -> String {
        self.session.call(&program_args(base_url, step))
    }
}

#[test]
fn python_client_matches_the_reference() {
    let transcript = Pair::start().run(&PythonClient::new(), &standard_steps(CAPABILITIES));
    expect_file!["expected/python.txt"].assert_eq(&transcript);
}

#[test]
fn python_client_with_basic_auth_matches_the_reference() {
    let transcript = Pair::with_basic_auth().run(&PythonClient::new(), &auth_steps(CAPABILITIES));
    expect_file!["expected/python_auth.txt"].assert_eq(&transcript);
}
