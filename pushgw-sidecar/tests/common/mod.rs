//! The test harness: the sidecar as a child process on a free loopback port (it binds port 0
//! and the harness reads the real address from its log), and a tiny HTTP/1.1 client over plain
//! TCP or rustls. Every wait polls with a deadline.

// Each test binary uses a different part of the harness.
#![allow(dead_code)]

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// How long anything may take before a test fails (debug builds on a busy 2-core machine).
pub const DEADLINE: Duration = Duration::from_secs(20);

/// Lines the child wrote to stderr, and whether it closed stderr (exited).
#[derive(Default)]
struct Log {
    state: Mutex<(Vec<String>, bool)>,
    changed: Condvar,
}

/// A running `pushgw-sidecar`, killed on drop.
pub struct Sidecar {
    child: Child,
    log: Arc<Log>,
    /// The first listen address, read from the `Listening on` log line.
    pub address: SocketAddr,
}

impl Sidecar {
    /// Starts the binary with `args` (plus `--web.listen-address=127.0.0.1:0` unless given) and
    /// waits until it listens.
    pub fn start(args: &[&str]) -> Sidecar {
        let mut command = Command::new(env!("CARGO_BIN_EXE_pushgw-sidecar"));
        if !args
            .iter()
            .any(|arg| arg.starts_with("--web.listen-address"))
        {
            command.arg("--web.listen-address=127.0.0.1:0");
        }
        let mut child = command
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the sidecar binary starts");
        let stderr = child.stderr.take().expect("stderr is piped");
        let log = Arc::new(Log::default());
        let writer = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                writer.state.lock().expect("log lock").0.push(line);
                writer.changed.notify_all();
            }
            writer.state.lock().expect("log lock").1 = true;
            writer.changed.notify_all();
        });
        let mut sidecar = Sidecar {
            child,
            log,
            address: SocketAddr::from(([127, 0, 0, 1], 0)),
        };
        let line = sidecar.wait_for_log("msg=\"Listening on\"");
        let address = line
            .split_whitespace()
            .find_map(|field| field.strip_prefix("address="))
            .and_then(|address| address.parse().ok())
            .unwrap_or_else(|| panic!("no address in {line:?}"));
        sidecar.address = address;
        sidecar
    }

    /// Waits for a log line containing `needle` and returns it; panics with the whole log after
    /// the deadline or if the process closes stderr first.
    pub fn wait_for_log(&self, needle: &str) -> String {
        self.wait_for_logs(needle, 1).remove(0)
    }

    /// Waits for `count` log lines containing `needle` and returns them.
    pub fn wait_for_logs(&self, needle: &str, count: usize) -> Vec<String> {
        let deadline = Instant::now() + DEADLINE;
        let mut state = self.log.state.lock().expect("log lock");
        loop {
            let found: Vec<String> = state
                .0
                .iter()
                .filter(|line| line.contains(needle))
                .cloned()
                .collect();
            if found.len() >= count {
                return found;
            }
            let now = Instant::now();
            if state.1 || now >= deadline {
                panic!(
                    "fewer than {count} log lines with {needle:?}; log:\n{}",
                    state.0.join("\n")
                );
            }
            state = self
                .log
                .changed
                .wait_timeout(state, deadline - now)
                .expect("log lock")
                .0;
        }
    }

    /// Everything logged so far.
    pub fn log(&self) -> String {
        self.log.state.lock().expect("log lock").0.join("\n")
    }

    /// Sends a signal (`TERM`, `HUP`, …) with kill(1).
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{name} failed");
    }

    /// Waits for the process to exit.
    pub fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + DEADLINE;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the sidecar did not exit; log:\n{}",
                self.log()
            );
            // Poll again shortly; the deadline above bounds the wait.
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().expect("try_wait").is_none()
    }
}

impl Drop for Sidecar {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A response as read off the wire.
#[derive(Debug)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Status line and headers, as sent.
    pub head: String,
    /// The body.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The value of the first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// `method path` with extra header lines and a body, `Connection: close`.
pub fn request(method: &str, path: &str, headers: &[&str], body: &[u8]) -> Vec<u8> {
    let mut raw = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    for header in headers {
        raw.push_str(header);
        raw.push_str("\r\n");
    }
    if !body.is_empty() || matches!(method, "PUT" | "POST") {
        raw.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    raw.push_str("\r\n");
    let mut raw = raw.into_bytes();
    raw.extend_from_slice(body);
    raw
}

/// Sends a raw request over plain TCP and reads the response to the end.
pub fn send(address: SocketAddr, raw: &[u8]) -> HttpResponse {
    let mut stream = TcpStream::connect(address).expect("connect");
    stream.set_read_timeout(Some(DEADLINE)).expect("timeout");
    stream.write_all(raw).expect("write request");
    let mut bytes = Vec::new();
    // The server may close early (413) while we are still writing; read what it sent.
    let _ = stream.read_to_end(&mut bytes);
    parse(&bytes)
}

/// Sends a raw request over TLS (SNI `localhost`) and reads the response to the end.
pub fn send_tls(
    address: SocketAddr,
    config: Arc<rustls::ClientConfig>,
    raw: &[u8],
) -> std::io::Result<HttpResponse> {
    let name = rustls::pki_types::ServerName::try_from("localhost").expect("valid name");
    let connection = rustls::ClientConnection::new(config, name).map_err(std::io::Error::other)?;
    let socket = TcpStream::connect(address)?;
    socket.set_read_timeout(Some(DEADLINE))?;
    let mut stream = rustls::StreamOwned::new(connection, socket);
    stream.write_all(raw)?;
    let mut bytes = Vec::new();
    match stream.read_to_end(&mut bytes) {
        Ok(_) => {}
        // Servers often close without close_notify after `Connection: close`.
        Err(err) if err.kind() == std::io::ErrorKind::UnexpectedEof && !bytes.is_empty() => {}
        Err(err) => return Err(err),
    }
    Ok(parse(&bytes))
}

fn parse(bytes: &[u8]) -> HttpResponse {
    let split = bytes
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no response head in {:?}", String::from_utf8_lossy(bytes)));
    let head = String::from_utf8_lossy(&bytes[..split]).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status in {head:?}"));
    HttpResponse {
        status,
        head,
        body: bytes[split + 4..].to_vec(),
    }
}
