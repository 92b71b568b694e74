//! The server as a process: signals, the persistence file, body limits and read deadlines, over
//! real TCP on loopback.

mod common;

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt as _;
use std::time::Instant;

use common::{DEADLINE, Sidecar, request, send};

#[test]
fn sigterm_drains_persists_and_exits_zero() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("pushgw.data");
    let mut sidecar = Sidecar::start(&[&format!("--persistence.file={}", file.display())]);
    assert_eq!(
        send(sidecar.address, &request("GET", "/-/healthy", &[], b"")).status,
        200
    );
    sidecar.signal("TERM");
    let status = sidecar.wait_exit();
    assert_eq!(status.code(), Some(0), "log:\n{}", sidecar.log());
    sidecar.wait_for_log("received SIGINT/SIGTERM; exiting gracefully...");
    sidecar.wait_for_log("HTTP server stopped");
    sidecar.wait_for_log("metrics persisted");
    let mode = std::fs::metadata(&file)
        .expect("persisted")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .map(|entry| entry.expect("entry").file_name())
        .collect();
    assert_eq!(names, ["pushgw.data"], "no temp file left behind");
}

#[test]
fn pushed_metrics_survive_sigterm_and_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("pushgw.data");
    let persistence = format!("--persistence.file={}", file.display());
    let mut first = Sidecar::start(&[&persistence]);
    let push = request(
        "PUT",
        "/metrics/job/backup/instance@base64/L3Zhci9saWI=?ttl=1h",
        &["Content-Type: text/plain"],
        b"# HELP last_success Time of the last backup.\n# TYPE last_success gauge\nlast_success 1.7e+09\n",
    );
    assert_eq!(send(first.address, &push).status, 200);
    let api = request("GET", "/api/v1/metrics", &[], b"");
    let before = send(first.address, &api).text();
    assert!(before.contains("last_success"), "{before}");
    assert!(before.contains("\"expires_at\":"), "{before}");
    first.signal("TERM");
    assert_eq!(first.wait_exit().code(), Some(0), "log:\n{}", first.log());

    let second = Sidecar::start(&[&persistence]);
    second.wait_for_log("persisted metrics loaded");
    assert_eq!(send(second.address, &api).text(), before);
    let scrape = send(second.address, &request("GET", "/metrics", &[], b"")).text();
    assert!(
        scrape.contains("last_success{instance=\"/var/lib\",job=\"backup\"} 1.7e+09\n"),
        "{scrape}"
    );
}

#[test]
fn sigint_also_exits_zero() {
    let mut sidecar = Sidecar::start(&[]);
    sidecar.signal("INT");
    assert_eq!(sidecar.wait_exit().code(), Some(0));
}

/// Spec §17 Q9: the reference dies on SIGHUP (Debian's `systemctl reload` sends it).
#[test]
fn sighup_persists_reloads_the_web_config_and_keeps_serving() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("pushgw.data");
    let config = dir.path().join("web.yml");
    std::fs::write(&config, "").expect("empty web config");
    let mut sidecar = Sidecar::start(&[
        &format!("--persistence.file={}", file.display()),
        &format!("--web.config.file={}", config.display()),
    ]);
    let healthy = request("GET", "/-/healthy", &[], b"");
    assert_eq!(send(sidecar.address, &healthy).status, 200);

    // Basic auth switched on by a reload.
    let hash = bcrypt::hash("secret", 4).expect("hash");
    std::fs::write(&config, format!("basic_auth_users:\n  alice: {hash}\n")).expect("write");
    sidecar.signal("HUP");
    sidecar.wait_for_log("web config reloaded");
    sidecar.wait_for_log("metrics persisted");
    assert!(file.exists(), "SIGHUP persists");
    assert!(sidecar.is_running());
    assert_eq!(send(sidecar.address, &healthy).status, 401);

    // A broken file keeps the previous config in force.
    std::fs::write(&config, "basic_auth_users: [").expect("write");
    sidecar.signal("HUP");
    sidecar.wait_for_log("keeping the previous one");
    assert!(sidecar.is_running());
    assert_eq!(send(sidecar.address, &healthy).status, 401);
}

/// Spec §17 Q8: the reference silently discards an unreadable file and later overwrites it.
#[test]
fn a_corrupt_persistence_file_is_moved_aside_and_kept() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("pushgw.data");
    std::fs::write(&file, b"definitely not a snapshot").expect("write");
    let mut sidecar = Sidecar::start(&[&format!("--persistence.file={}", file.display())]);
    sidecar.wait_for_log("could not load persisted metrics");
    sidecar.signal("TERM");
    assert_eq!(sidecar.wait_exit().code(), Some(0));
    let corrupt: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.to_string_lossy().contains("pushgw.data.corrupt."))
        .collect();
    assert_eq!(corrupt.len(), 1, "log:\n{}", sidecar.log());
    assert_eq!(
        std::fs::read(&corrupt[0]).expect("kept"),
        b"definitely not a snapshot"
    );
    assert!(file.exists(), "a fresh file is written on shutdown");
}

#[test]
fn bodies_over_the_cap_get_413() {
    let sidecar = Sidecar::start(&["--web.max-body-bytes=1000"]);
    let path = "/metrics/job/big";
    // Declared too large: refused before the body is read.
    let response = send(sidecar.address, &request("PUT", path, &[], &[b'#'; 5000]));
    assert_eq!(response.status, 413);
    assert!(response.text().contains("1000"), "{}", response.text());
    // Chunked, so only counting reveals the size.
    let mut chunked = format!(
        "PUT {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    .into_bytes();
    for _ in 0..5 {
        chunked.extend_from_slice(b"3e8\r\n");
        chunked.extend_from_slice(&[b'#'; 1000]);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    assert_eq!(send(sidecar.address, &chunked).status, 413);
    // Within the cap the gateway answers, whatever it thinks of the body.
    let small = send(sidecar.address, &request("PUT", path, &[], &[b'#'; 1000]));
    assert_ne!(small.status, 413);
}

#[test]
fn zero_means_no_body_cap() {
    let sidecar = Sidecar::start(&["--web.max-body-bytes=0"]);
    let response = send(
        sidecar.address,
        &request("PUT", "/metrics/job/big", &[], &vec![b'#'; 40 << 20]),
    );
    assert_ne!(response.status, 413);
}

#[test]
fn a_stalled_body_gets_408_after_the_read_timeout() {
    let sidecar = Sidecar::start(&["--web.read-timeout=200ms"]);
    let mut stream = TcpStream::connect(sidecar.address).expect("connect");
    stream.set_read_timeout(Some(DEADLINE)).expect("timeout");
    stream
        .write_all(
            b"PUT /metrics/job/slow HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n# only part",
        )
        .expect("write");
    let mut bytes = Vec::new();
    let _ = stream.read_to_end(&mut bytes);
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
}

#[test]
fn stalled_headers_are_cut_off_after_the_header_timeout() {
    let sidecar = Sidecar::start(&["--web.read-header-timeout=200ms"]);
    let mut stream = TcpStream::connect(sidecar.address).expect("connect");
    stream.set_read_timeout(Some(DEADLINE)).expect("timeout");
    stream
        .write_all(b"GET /-/healthy HTTP/1.1\r\nHo")
        .expect("write");
    let started = Instant::now();
    let mut bytes = Vec::new();
    // The server closes the connection; a read error (reset) counts as closed too.
    let _ = stream.read_to_end(&mut bytes);
    assert!(started.elapsed() < DEADLINE, "connection was not closed");
    assert!(!String::from_utf8_lossy(&bytes).contains("200 OK"));
}

#[test]
fn responses_carry_canonical_header_names_and_a_date() {
    let sidecar = Sidecar::start(&[]);
    let response = send(sidecar.address, &request("GET", "/-/healthy", &[], b""));
    assert!(response.head.contains("\r\nDate: "), "{}", response.head);
    assert!(
        response.head.contains("\r\nContent-Length: "),
        "{}",
        response.head
    );
}

#[test]
fn every_listen_address_serves() {
    let sidecar = Sidecar::start(&[
        "--web.listen-address=127.0.0.1:0",
        "--web.listen-address=127.0.0.1:0",
    ]);
    let lines = sidecar.wait_for_logs("msg=\"Listening on\"", 2);
    for line in lines {
        let address: std::net::SocketAddr = line
            .split_whitespace()
            .find_map(|field| field.strip_prefix("address="))
            .and_then(|address| address.parse().ok())
            .unwrap_or_else(|| panic!("no address in {line:?}"));
        assert_eq!(
            send(address, &request("GET", "/-/healthy", &[], b"")).status,
            200
        );
    }
}

/// `--web.systemd-socket` serves on the socket systemd passes (here `systemd-socket-activate`,
/// which execs the sidecar on the first connection with `LISTEN_FDS` set).
#[test]
fn systemd_socket_activation_serves_the_passed_socket() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("free port")
        .port();
    let mut activator = std::process::Command::new("systemd-socket-activate")
        .arg(format!("--listen=127.0.0.1:{port}"))
        .arg(env!("CARGO_BIN_EXE_pushgw-sidecar"))
        .arg("--web.systemd-socket")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("systemd-socket-activate (Debian package systemd) runs");
    let address = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + DEADLINE;
    let status = loop {
        if TcpStream::connect(address).is_ok() {
            break send(address, &request("GET", "/-/healthy", &[], b"")).status;
        }
        assert!(
            Instant::now() < deadline,
            "systemd-socket-activate never listened"
        );
        // Poll again shortly; the deadline above bounds the wait.
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let _ = activator.kill();
    let _ = activator.wait();
    assert_eq!(status, 200);
}
