//! The web UI in a real browser: headless Chromium (Debian `chromium`) loads the page through a
//! path-stripping reverse proxy, as the training tutorial sets it up (spec §7, §9.2), and deletes
//! a group with the Delete Group button, then the rest with Delete All.
//!
//! Chromium is driven over the Chrome DevTools Protocol on `--remote-debugging-pipe`: JSON
//! messages separated by NUL bytes on file descriptors 3 (commands) and 4 (replies and events),
//! here two named pipes, so nothing beyond Chromium itself is needed.

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use pushgw_core::gateway::GatewayOptions;
use pushgw_tests::{InProcessGateway, Process, find_program, http, wait_until};
use serde_json::{Value, json};

/// The path the reverse proxy serves the gateway under (the tutorial's `/<ip>/pushgateway/`).
const PROXY_PATH: &str = "/10.0.0.5/pushgateway";

/// The Delete Group button of the `job="web_ui"` group (`d2ViX3Vp` is `web_ui` in base64url).
const WEB_UI_BUTTON: &str = "button.delete-group[data-key^=\"job=d2ViX3Vp/\"]";

/// How long any single browser step may take.
const STEP_TIMEOUT: Duration = Duration::from_secs(30);

#[test]
fn delete_group_and_delete_all_in_headless_chromium_behind_a_path_stripping_proxy() {
    let proxy = TcpListener::bind("127.0.0.1:0").expect("binding the proxy's port");
    let proxy_port = proxy.local_addr().expect("a bound address").port();
    let gateway = InProcessGateway::start(GatewayOptions {
        external_url: format!("http://127.0.0.1:{proxy_port}{PROXY_PATH}/"),
        route_prefix: "/".into(),
        enable_admin_api: true,
        ..Default::default()
    });
    let upstream = gateway.base_url().trim_start_matches("http://").to_owned();
    thread::spawn(move || serve_proxy(&proxy, &upstream));

    for (path, body) in [
        (
            "/metrics/job/web_ui/instance/browser",
            "# HELP web_ui_clicks How often the button was clicked.\n# TYPE web_ui_clicks counter\nweb_ui_clicks{button=\"delete\"} 42\n# TYPE web_ui_latency summary\nweb_ui_latency{quantile=\"0.5\"} 0.012\nweb_ui_latency{quantile=\"0.9\"} 0.05\nweb_ui_latency_sum 3.2\nweb_ui_latency_count 120\n",
        ),
        ("/metrics/job/backup/zone/%3Ceu%3E", "backup_bytes 1.5e9\n"),
    ] {
        let pushed = http::put(&gateway.url(path), body.as_bytes()).expect("pushing a group");
        assert_eq!(pushed.status, 200, "{path}: {}", pushed.text());
    }

    let mut browser = Browser::start();
    let page = browser.open_page();
    browser.call(Some(&page), "Page.enable", json!({}));
    browser.call(
        Some(&page),
        "Emulation.setDeviceMetricsOverride",
        json!({"width": 1100, "height": 760, "deviceScaleFactor": 1, "mobile": false}),
    );
    browser.call(
        Some(&page),
        "Page.navigate",
        json!({"url": format!("http://127.0.0.1:{proxy_port}{PROXY_PATH}/")}),
    );
    browser.wait_event(&page, "Page.loadEventFired");

    // The stylesheet came through the proxy under the external URL's path.
    assert_eq!(
        browser.evaluate(
            &page,
            "getComputedStyle(document.querySelector('nav')).position"
        ),
        json!("fixed")
    );
    assert_eq!(
        browser.evaluate(&page, "document.title"),
        json!("Prometheus Pushgateway")
    );
    assert_eq!(
        browser.evaluate(&page, "document.querySelectorAll('details.group').length"),
        json!(2)
    );

    // Open the web_ui group and its families for the screenshot.
    browser.evaluate(
        &page,
        &format!(
            "const group = document.querySelector('{WEB_UI_BUTTON}').closest('details.group'); \
             group.open = true; for (const d of group.querySelectorAll('details')) d.open = true"
        ),
    );
    let screenshot = browser.call(
        Some(&page),
        "Page.captureScreenshot",
        json!({"format": "png"}),
    );
    let png = STANDARD
        .decode(screenshot["data"].as_str().unwrap_or_default())
        .expect("a base64 screenshot");
    let path = screenshot_path();
    std::fs::write(&path, png).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));

    // Click Delete Group of the web_ui group, accept the dialog. The click runs after the
    // evaluation returns: the dialog blocks the script until it is answered.
    browser.evaluate(
        &page,
        &format!("setTimeout(() => document.querySelector('{WEB_UI_BUTTON}').click(), 0)"),
    );
    let dialog = browser.wait_event(&page, "Page.javascriptDialogOpening");
    assert_eq!(
        dialog["message"],
        json!(
            "Do you really want to delete all metrics of group {job=\"web_ui\", instance=\"browser\"}?"
        )
    );
    browser.call(
        Some(&page),
        "Page.handleJavaScriptDialog",
        json!({"accept": true}),
    );
    wait_until(STEP_TIMEOUT, "the group's card to disappear", || {
        let left = browser.evaluate(&page, "document.querySelectorAll('details.group').length");
        Ok::<_, String>(left == json!(1))
    });
    assert_eq!(
        browser.evaluate(
            &page,
            "document.getElementById('del-all-counter').textContent"
        ),
        json!("1")
    );

    let metrics = http::get(&gateway.url("/metrics"))
        .expect("scraping the gateway")
        .text();
    assert!(!metrics.contains("job=\"web_ui\""), "{metrics}");
    assert!(
        metrics.contains("backup_bytes{instance=\"\",job=\"backup\",zone=\"<eu>\"} 1.5e+09"),
        "{metrics}"
    );

    // Delete All wipes the rest through the admin API.
    browser.evaluate(
        &page,
        "setTimeout(() => document.getElementById('del-all').click(), 0)",
    );
    let dialog = browser.wait_event(&page, "Page.javascriptDialogOpening");
    assert_eq!(
        dialog["message"],
        json!("Do you really want to delete all metrics from all metric groups?")
    );
    browser.call(
        Some(&page),
        "Page.handleJavaScriptDialog",
        json!({"accept": true}),
    );
    wait_until(STEP_TIMEOUT, "the Delete All button to be disabled", || {
        let disabled = browser.evaluate(&page, "document.getElementById('del-all').disabled");
        Ok::<_, String>(disabled == json!(true))
    });
    assert_eq!(
        browser.evaluate(&page, "document.querySelectorAll('details.group').length"),
        json!(0)
    );
    let metrics = http::get(&gateway.url("/metrics"))
        .expect("scraping the gateway")
        .text();
    assert!(!metrics.contains("job=\"backup\""), "{metrics}");
    browser.close();
}

/// `target/web-ui.png` of the workspace.
fn screenshot_path() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"),
        PathBuf::from,
    );
    std::fs::create_dir_all(&target).expect("creating the target directory");
    target.join("web-ui.png")
}

/// A reverse proxy that strips [`PROXY_PATH`] from request paths, one request per connection
/// (it asks the gateway to close the connection after each response).
fn serve_proxy(listener: &TcpListener, upstream: &str) {
    for client in listener.incoming().flatten() {
        let upstream = upstream.to_owned();
        thread::spawn(move || {
            // A browser giving up on a connection is not the test's concern.
            let _ = proxy_connection(client, &upstream);
        });
    }
}

fn proxy_connection(mut client: TcpStream, upstream: &str) -> std::io::Result<()> {
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
    let stripped = match target.strip_prefix(PROXY_PATH) {
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

/// Headless Chromium and its DevTools pipe.
struct Browser {
    // Kept for its drop: kills Chromium if the test fails before `close`.
    process: Process,
    commands: File,
    replies: Receiver<Value>,
    pending_events: VecDeque<Value>,
    next_id: u64,
}

impl Browser {
    fn start() -> Browser {
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
    fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
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
    fn wait_event(&mut self, session: &str, method: &str) -> Value {
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
    fn open_page(&mut self) -> String {
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
    fn evaluate(&mut self, session: &str, expression: &str) -> Value {
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
    fn close(mut self) {
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
