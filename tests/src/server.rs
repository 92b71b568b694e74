//! Starting a server on a free loopback port and waiting until it is ready.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::{Error, Process, free_port, http, wait_for};

/// How often a server may lose its port to another process before the test gives up.
const PORT_ATTEMPTS: u32 = 5;

/// Builds a server's command from its port and temporary directory.
type CommandFn<'a> = dyn FnMut(u16, &Path) -> Command + 'a;

/// Tells from the process and its port whether a server is ready.
type ReadyFn<'a> = dyn Fn(&Process, u16) -> Result<bool, Error> + 'a;

/// What [`start_server`] needs to know: how to build the command for a port, and how to tell
/// that the server is ready.
pub struct ServerSpec<'a> {
    name: String,
    command: Box<CommandFn<'a>>,
    ready: Box<ReadyFn<'a>>,
    timeout: Duration,
}

impl<'a> ServerSpec<'a> {
    /// A server called `name` (used in messages) started by `command(port, dir)`, where `port` is
    /// the port to listen on (always on 127.0.0.1) and `dir` the process's temporary directory
    /// (for config or data files). Ready by default when `GET /-/ready` answers 200, within 30
    /// seconds.
    pub fn new(name: &str, command: impl FnMut(u16, &Path) -> Command + 'a) -> Self {
        ServerSpec {
            name: name.to_owned(),
            command: Box::new(command),
            ready: Box::new(|_, port| ready_at(port, "/-/ready")),
            timeout: Duration::from_secs(30),
        }
    }

    /// Ready when `GET <path>` answers 200 (e.g. `/prefix/-/ready` with a route prefix).
    pub fn ready_path(mut self, path: &'a str) -> Self {
        self.ready = Box::new(move |_, port| ready_at(port, path));
        self
    }

    /// Ready when `check(process, port)` returns `Ok(true)`: for servers behind TLS or basic
    /// auth, or to also wait for a log line.
    pub fn ready_when(mut self, check: impl Fn(&Process, u16) -> Result<bool, Error> + 'a) -> Self {
        self.ready = Box::new(check);
        self
    }

    /// Gives up after `timeout` instead of 30 seconds.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

/// A server started by [`start_server`]: its process and the port it listens on.
#[derive(Debug)]
pub struct Server {
    /// The server's process; dropping it stops the server.
    pub process: Process,
    /// The port on 127.0.0.1.
    pub port: u16,
}

impl Server {
    /// `127.0.0.1:<port>`, as a Prometheus target or `--web.listen-address` names it.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `http://127.0.0.1:<port>`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The base URL followed by `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url())
    }
}

enum Start {
    Ready,
    /// Another process bound the port between [`free_port`] and the server's bind.
    PortTaken,
}

/// Starts the server described by `spec` on a free port and waits until it is ready.
///
/// If the server exits complaining that the address is already in use, it is started again on
/// another port.
///
/// # Panics
///
/// If the server exits for another reason, is not ready in time, or loses its port
/// five times in a row; the process's log tail is printed as it is dropped.
#[track_caller]
pub fn start_server(mut spec: ServerSpec<'_>) -> Server {
    for _ in 0..PORT_ATTEMPTS {
        let port = free_port();
        let dir = tempfile::Builder::new()
            .prefix("pushgw-tests-")
            .tempdir()
            .expect("creating a temporary directory for a server");
        let command = (spec.command)(port, dir.path());
        let process = Process::spawn_in(dir, &spec.name, &command);
        let what = format!("{} to be ready on 127.0.0.1:{port}", spec.name);
        let start = wait_for(spec.timeout, &what, || {
            if let Some(status) = process.exit_status() {
                if process.log().contains("address already in use") {
                    return Ok(Some(Start::PortTaken));
                }
                panic!(
                    "{} exited ({status}) before it was ready; command: {command:?}",
                    spec.name
                );
            }
            (spec.ready)(&process, port).map(|ready| ready.then_some(Start::Ready))
        });
        if let Start::Ready = start {
            return Server { process, port };
        }
    }
    panic!(
        "{} lost its port to another process {PORT_ATTEMPTS} times in a row",
        spec.name
    );
}

/// Whether `GET <path>` on `port` answers 200; an error showing the answer otherwise.
pub(crate) fn ready_at(port: u16, path: &str) -> Result<bool, Error> {
    let response = http::get(&format!("http://127.0.0.1:{port}{path}"))?;
    match response.status {
        200 => Ok(true),
        status => Err(Error::new(format!(
            "GET {path}: HTTP {status}: {}",
            response.text()
        ))),
    }
}
