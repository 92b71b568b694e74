//! Headless Chromium driven over the Chrome DevTools Protocol, and the path-stripping reverse
//! proxy the training VMs sit behind (the spring board serves `/<ip>/pushgateway/` of each VM), for
//! the web UI test and the tutorial's screenshots.
//!
//! Chromium is driven on `--remote-debugging-pipe`: JSON messages separated by NUL bytes on file
//! descriptors 3 (commands) and 4 (replies and events), here two named pipes, so nothing beyond
//! Chromium itself (Debian package `chromium`) is needed.

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::Command;
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::{Process, find_program};

/// How long any single browser step may take.
const STEP_TIMEOUT: Duration = Duration::from_secs(30);

/// Serves, on `listener`, a reverse proxy to `upstream` (`127.0.0.1:<port>`) that strips `prefix`
/// (e.g. `/10.0.0.5/pushgateway`) from request paths, one request per connection (it asks the
/// upstream to close the connection after each response). Runs in a thread of its own for as long
/// as the test does.
pub fn serve_path_stripping_proxy(listener: TcpListener, upstream: &str, prefix: &str) {
    let upstream = upstream.to_owned();
    let prefix = prefix.to_owned();
    thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let upstream = upstream.clone();
            let prefix = prefix.clone();
            thread::spawn(move || {
                // A browser giving up on a connection is not the test's concern.
                let _ = proxy_connection(client, &upstream, &prefix);
            });
        }
    });
}

fn proxy_connection(mut client: TcpStream, upstream: &str, prefix: &str) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut buffer = [0_u8; 4096];
    let body_start = loop {
        let n = client.read(&mut buffer)?;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(&buffer[..n]);
        if let Some(at) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let text = String::from_utf8_lossy(&head[..body_start]).into_owned();
    let mut lines = text.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.splitn(3, ' ');
    let (method, target, version) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    let stripped = match target.strip_prefix(prefix) {
        Some("") => "/",
        Some(rest) => rest,
        None => target,
    };
    let mut forwarded = format!("{method} {stripped} {version}\r\nConnection: close\r\n");
    for line in lines.filter(|line| !line.is_empty()) {
        if !line.to_ascii_lowercase().starts_with("connection:") {
            forwarded.push_str(line);
            forwarded.push_str("\r\n");
        }
    }
    forwarded.push_str("\r\n");
    let mut server = TcpStream::connect(upstream)?;
    server.write_all(forwarded.as_bytes())?;
    server.write_all(&head[body_start..])?;
    let mut to_server = server.try_clone()?;
    let mut from_client = client.try_clone()?;
    thread::spawn(move || std::io::copy(&mut from_client, &mut to_server));
    std::io::copy(&mut server, &mut client)?;
    client.shutdown(Shutdown::Both)
}

/// Headless Chromium and its DevTools pipe; killed when dropped.
#[derive(Debug)]
pub struct Browser {
    // Kept for its drop: kills Chromium if the test fails before `close`.
    process: Process,
    commands: File,
    replies: Receiver<Value>,
    pending_events: VecDeque<Value>,
    next_id: u64,
}

impl Browser {
    /// Starts headless Chromium (a test failure naming the Debian package if it is missing).
    pub fn start() -> Browser {
        let chromium = find_program("chromium", "chromium");
        let dir = tempfile::tempdir().expect("a temporary directory for Chromium");
        let commands_fifo = dir.path().join("commands");
        let replies_fifo = dir.path().join("replies");
        for fifo in [&commands_fifo, &replies_fifo] {
            let made = Command::new("mkfifo")
                .arg(fifo)
                .status()
                .expect("running mkfifo");
            assert!(made.success(), "mkfifo {}", fifo.display());
        }
        let profile = dir.path().join("profile");
        let mut command = Command::new("/bin/sh");
        command
            .arg("-c")
            .arg(r#"exec "$@" 3<"$COMMANDS" 4>"$REPLIES""#)
            .arg("sh")
            .arg(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--remote-debugging-pipe",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .env("COMMANDS", &commands_fifo)
            .env("REPLIES", &replies_fifo);
        let process = Process::spawn_in(dir, "chromium", &command);
        // Opening a named pipe blocks until the other end is opened too: the shell opens
        // the commands pipe first, then the replies pipe.
        let commands = OpenOptions::new()
            .write(true)
            .open(&commands_fifo)
            .expect("opening Chromium's command pipe");
        let replies = File::open(&replies_fifo).expect("opening Chromium's reply pipe");
        let (sender, receiver) = mpsc::channel();
        thread::spawn(move || {
            let mut reader = BufReader::new(replies);
            loop {
                let mut message = Vec::new();
                match reader.read_until(0, &mut message) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
                if message.last() == Some(&0) {
                    message.pop();
                }
                let Ok(value) = serde_json::from_slice::<Value>(&message) else {
                    continue;
                };
                if sender.send(value).is_err() {
                    break;
                }
            }
        });
        Browser {
            process,
            commands,
            replies: receiver,
            pending_events: VecDeque::new(),
            next_id: 1,
        }
    }

    fn receive(&mut self, waiting_for: &str, deadline: Instant) -> Value {
        let left = deadline.saturating_duration_since(Instant::now());
        self.replies.recv_timeout(left).unwrap_or_else(|e| {
            panic!(
                "waiting for {waiting_for} from Chromium: {e}\n{}",
                self.process.log()
            )
        })
    }

    /// Sends a command (to a page's session, or to the browser) and returns its result.
    pub fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let mut message = json!({"id": id, "method": method, "params": params});
        if let Some(session) = session {
            message["sessionId"] = json!(session);
        }
        let mut bytes = serde_json::to_vec(&message).expect("serialising a command");
        bytes.push(0);
        self.commands
            .write_all(&bytes)
            .unwrap_or_else(|e| panic!("sending {method} to Chromium: {e}"));
        let deadline = Instant::now() + STEP_TIMEOUT;
        loop {
            let reply = self.receive(method, deadline);
            if reply["id"] == json!(id) {
                assert!(reply.get("error").is_none(), "{method}: {reply}");
                return reply["result"].clone();
            }
            if reply.get("method").is_some() {
                self.pending_events.push_back(reply);
            }
        }
    }

    /// Waits for an event of the page's session and returns its parameters.
    pub fn wait_event(&mut self, session: &str, method: &str) -> Value {
        let matches = |event: &Value| {
            event["method"] == json!(method) && event["sessionId"] == json!(session)
        };
        if let Some(at) = self.pending_events.iter().position(matches) {
            let event = self.pending_events.remove(at).expect("a found event");
            return event["params"].clone();
        }
        let deadline = Instant::now() + STEP_TIMEOUT;
        loop {
            let event = self.receive(method, deadline);
            if matches(&event) {
                return event["params"].clone();
            }
        }
    }

    /// A new tab, attached: returns the session id that commands to it carry.
    pub fn open_page(&mut self) -> String {
        let created = self.call(None, "Target.createTarget", json!({"url": "about:blank"}));
        let attached = self.call(
            None,
            "Target.attachToTarget",
            json!({"targetId": created["targetId"], "flatten": true}),
        );
        attached["sessionId"]
            .as_str()
            .expect("a session id")
            .to_owned()
    }

    /// The value of a JavaScript expression in the page.
    pub fn evaluate(&mut self, session: &str, expression: &str) -> Value {
        let result = self.call(
            Some(session),
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true}),
        );
        assert!(
            result.get("exceptionDetails").is_none(),
            "{expression}: {result}"
        );
        result["result"]["value"].clone()
    }

    /// Asks Chromium to quit and waits for it (its reply may not make it out before it exits).
    pub fn close(mut self) {
        let id = self.next_id;
        let message = json!({"id": id, "method": "Browser.close", "params": {}});
        let mut bytes = serde_json::to_vec(&message).expect("serialising a command");
        bytes.push(0);
        self.commands
            .write_all(&bytes)
            .expect("sending Browser.close to Chromium");
        self.process.wait_exit(STEP_TIMEOUT);
    }
}
