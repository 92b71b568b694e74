//! Basic auth from `basic_auth_users` (issue 8), against the reference and ours alike: no route
//! and no method answers without valid credentials — `/-/healthy` included, as exporter-toolkit
//! wraps the whole handler — and every malformed, wrong-case, empty, unknown or injected
//! credential is refused the same way. Then, for ours only: an unknown user costs what a known
//! one does (the reference's dummy hash always has cost 10, so it leaks with other costs).
//!
//! TLS client certificates (`RequireAndVerifyClientCert` refusing a client without one, and
//! `client_allowed_sans`) are covered by `pushgw-sidecar/tests/tls.rs`.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use base64::Engine as _;
use pushgw_tests::{
    Error, Server, ServerSpec, Target, find_program, start_server, workspace_binary,
};

/// Cost 6: cheap enough for a debug build, dear enough to time.
const COST: u32 = 6;

fn start(target: Target, hashes: &[(&str, &str)]) -> Server {
    let program = match target {
        Target::Go => find_program("prometheus-pushgateway", "prometheus-pushgateway"),
        Target::Pushgw => workspace_binary("pushgw-sidecar", "pushgw-sidecar"),
    };
    let mut yaml = "basic_auth_users:\n".to_owned();
    for (user, password) in hashes {
        let hash = bcrypt::hash(password, COST).expect("bcrypt hashes");
        yaml.push_str(&format!("  {user:?}: {hash:?}\n"));
    }
    let spec = ServerSpec::new(&target.to_string(), move |port, dir| {
        let config = dir.join("web.yml");
        std::fs::write(&config, &yaml).expect("write the web config");
        let mut command = Command::new(&program);
        command.args([
            format!("--web.listen-address=127.0.0.1:{port}"),
            "--persistence.file=".to_owned(),
            format!("--web.config.file={}", config.display()),
            "--web.enable-lifecycle".to_owned(),
            "--web.enable-admin-api".to_owned(),
        ]);
        command
    })
    .ready_when(|process, port| {
        let listening = format!("msg=\"Listening on\" address=127.0.0.1:{port}");
        if !process.stderr().contains(&listening) {
            return Err(Error::new(format!("no `{listening}` in its log yet")));
        }
        Ok(send(port, "GET", "/-/ready", &[]).0 == 401)
    });
    start_server(spec)
}

/// Sends one request over raw TCP (headers exactly as given) and returns status and body.
fn send(port: u16, method: &str, path: &str, headers: &[&str]) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("read timeout");
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    for header in headers {
        request.push_str(header);
        request.push_str("\r\n");
    }
    request.push_str("Content-Length: 0\r\n\r\n");
    stream.write_all(request.as_bytes()).expect("write");
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("{method} {path}: not an HTTP response: {text:?}"));
    let body = text.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    (status, body.to_owned())
}

fn basic(credentials: &str) -> String {
    format!(
        "Authorization: Basic {}",
        base64::engine::general_purpose::STANDARD.encode(credentials)
    )
}

const ROUTES: [&str; 13] = [
    "/",
    "/metrics",
    "/metrics/job/j",
    "/metrics/job/j/instance/i",
    "/api/v1/metrics",
    "/api/v1/status",
    "/api/v1/admin/wipe",
    "/-/healthy",
    "/-/ready",
    "/-/quit",
    "/static/css/style.css",
    "/no/such/route",
    "/metrics/job/j/../../-/quit",
];
const METHODS: [&str; 7] = ["GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS", "PATCH"];

/// Credentials that must all be refused (alice's password is `secret`, bob's is empty).
fn refused() -> Vec<(&'static str, Vec<String>)> {
    vec![
        ("no Authorization header", vec![]),
        ("wrong password", vec![basic("alice:wrong")]),
        (
            "empty password for a user that has one",
            vec![basic("alice:")],
        ),
        ("unknown user", vec![basic("mallory:secret")]),
        ("empty user name", vec![basic(":secret")]),
        (
            "user name with trailing space",
            vec![basic("alice :secret")],
        ),
        (
            "password with trailing newline",
            vec![basic("alice:secret\n")],
        ),
        ("no colon", vec![basic("alicesecret")]),
        (
            "Bearer scheme",
            vec!["Authorization: Bearer c2VjcmV0".to_owned()],
        ),
        (
            "scheme without credentials",
            vec!["Authorization: Basic".to_owned()],
        ),
        (
            "invalid base64",
            vec!["Authorization: Basic !!!!".to_owned()],
        ),
        (
            "URL-safe base64 alphabet",
            vec!["Authorization: Basic YWxpY2U6c2VjcmV0-_".to_owned()],
        ),
        (
            "two spaces after the scheme",
            vec![format!(
                "Authorization: Basic  {}",
                &basic("alice:secret")[21..]
            )],
        ),
        (
            "scheme glued to the credentials",
            vec![format!(
                "Authorization: Basic{}",
                &basic("alice:secret")[21..]
            )],
        ),
        (
            "credentials in a second Authorization header",
            vec![basic("alice:wrong"), basic("alice:secret")],
        ),
        (
            "credentials in another header",
            vec![format!("X-Authorization: {}", &basic("alice:secret")[15..])],
        ),
        (
            "credentials in Proxy-Authorization",
            vec!["Proxy-Authorization: Basic YWxpY2U6c2VjcmV0".to_owned()],
        ),
        ("NUL in the user name", vec![basic("alice\0:secret")]),
        (
            "a bcrypt hash as the password",
            vec![basic(
                "alice:$2y$06$abcdefghijklmnopqrstuu5NqZ2vR6n2QJmgX4ZOlLbXwX2jgLw9OW",
            )],
        ),
    ]
}

#[test]
fn no_route_answers_without_valid_credentials_as_in_the_reference() {
    for target in Target::ALL {
        let server = start(target, &[("alice", "secret"), ("bob", "")]);
        let port = server.port;
        let mut failures = Vec::new();
        for route in ROUTES {
            for method in METHODS {
                let (status, body) = send(port, method, route, &[]);
                let expected_body = if method == "HEAD" {
                    ""
                } else {
                    "Unauthorized\n"
                };
                if status != 401 || body != expected_body {
                    failures.push(format!(
                        "{method} {route} without credentials: {status} {body:?}"
                    ));
                }
            }
        }
        for (name, headers) in refused() {
            let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
            for route in ["/metrics", "/-/healthy", "/metrics/job/j"] {
                let (status, _) = send(port, "GET", route, &headers);
                if status != 401 {
                    failures.push(format!("{name}: GET {route} answered {status}"));
                }
            }
        }
        // What must work: the right password, the scheme in any case, and an empty password
        // that is the configured one.
        for (name, header) in [
            ("Basic", basic("alice:secret")),
            ("basic", basic("alice:secret").replace("Basic", "basic")),
            ("BASIC", basic("alice:secret").replace("Basic", "BASIC")),
            ("bAsIc", basic("alice:secret").replace("Basic", "bAsIc")),
            ("empty configured password", basic("bob:")),
        ] {
            let (status, body) = send(port, "GET", "/-/healthy", &[&header]);
            if status != 200 {
                failures.push(format!("{name}: {status} {body:?}"));
            }
        }
        assert!(failures.is_empty(), "{target}:\n{}", failures.join("\n"));
        // Nothing above reached the store or shut the server down.
        let (status, body) = send(port, "GET", "/api/v1/metrics", &[&basic("alice:secret")]);
        assert_eq!(
            (status, body.contains("\"data\":[]")),
            (200, true),
            "{target}: {body}"
        );
    }
}

/// The median time of `count` refused requests with `header`.
fn median_refusal(port: u16, header: &str, count: usize) -> Duration {
    let mut times: Vec<Duration> = (0..count)
        .map(|_| {
            let start = Instant::now();
            assert_eq!(send(port, "GET", "/-/healthy", &[header]).0, 401);
            start.elapsed()
        })
        .collect();
    times.sort();
    times[count / 2]
}

/// An unknown user costs a bcrypt comparison as dear as a known user's: both refusals take about
/// the same time. Loose on purpose (a factor of two either way, medians of interleaved runs), as
/// a dummy hash of another cost would be a factor of 16 off (cost 10 against 6).
#[test]
fn an_unknown_user_costs_what_a_known_one_does() {
    let server = start(Target::Pushgw, &[("alice", "secret")]);
    let known = basic("alice:wrong");
    let unknown = basic("mallory:wrong");
    // Warm up (connections, page cache), then interleave rounds so that load hits both alike.
    median_refusal(server.port, &known, 3);
    let mut known_times = Vec::new();
    let mut unknown_times = Vec::new();
    for _ in 0..5 {
        known_times.push(median_refusal(server.port, &known, 5));
        unknown_times.push(median_refusal(server.port, &unknown, 5));
    }
    known_times.sort();
    unknown_times.sort();
    let (known, unknown) = (known_times[2], unknown_times[2]);
    let ratio = unknown.as_secs_f64() / known.as_secs_f64();
    assert!(
        (0.5..2.0).contains(&ratio),
        "unknown user {unknown:?} vs known user {known:?} (ratio {ratio:.2})"
    );
}
