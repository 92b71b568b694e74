//! The harness against real components: processes, servers on free ports, the Go Pushgateway
//! and Prometheus.

use std::net::{Ipv4Addr, TcpListener};
use std::process::Command;
use std::time::{Duration, Instant};

use pushgw_tests::{
    GoPushgateway, Process, Prometheus, ServerSpec, find_program, http, start_server, wait_for,
    wait_until, workspace_binary,
};

#[test]
fn prometheus_scrapes_a_push_from_the_go_pushgateway() {
    let gateway = GoPushgateway::start(&[]);
    let pushed = http::put(&gateway.url("/metrics/job/some_job"), b"some_metric 3.14\n")
        .expect("pushing to the Go Pushgateway");
    assert_eq!(pushed.status, 200, "push answered {}", pushed.text());

    let prometheus = Prometheus::scraping(&gateway.address());
    let sample = wait_for(
        Duration::from_secs(30),
        "Prometheus to have scraped some_metric",
        || {
            let result = prometheus.query("some_metric")?;
            Ok::<_, pushgw_tests::Error>(result.as_array().and_then(|r| r.first()).cloned())
        },
    );
    // honor_labels keeps the pushed job; the empty instance label the gateway adds is dropped.
    assert_eq!(
        sample["metric"],
        serde_json::json!({"__name__": "some_metric", "job": "some_job"}),
        "{sample}"
    );
    assert_eq!(sample["value"][1], "3.14", "{sample}");

    let targets = prometheus.targets().expect("reading Prometheus targets");
    assert_eq!(targets[0]["health"], "up", "{targets}");
    assert_eq!(
        targets[0]["scrapeUrl"],
        gateway.url("/metrics").as_str(),
        "{targets}"
    );
}

#[test]
fn the_shared_go_pushgateway_is_started_once() {
    let first = GoPushgateway::shared();
    let second = GoPushgateway::shared();
    assert_eq!(first.port(), second.port());
    let ready = http::get(&first.url("/-/ready")).expect("asking the shared gateway");
    assert_eq!(ready.status, 200);
    // Read by `a_server_in_a_static_dies_with_the_test_binary`.
    println!("shared gateway pid: {}", first.process().pid());
}

#[test]
fn a_server_in_a_static_dies_with_the_test_binary() {
    // Run the test above in a fresh copy of this test binary, which exits without dropping the
    // shared gateway.
    let output = Command::new(std::env::current_exe().expect("the test binary's path"))
        .args([
            "--exact",
            "the_shared_go_pushgateway_is_started_once",
            "--nocapture",
        ])
        .output()
        .expect("running the test binary again");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    let pid: u32 = stdout
        .lines()
        .find_map(|line| line.strip_prefix("shared gateway pid: "))
        .and_then(|pid| pid.parse().ok())
        .unwrap_or_else(|| panic!("no pid in the output: {stdout}"));
    wait_until(
        Duration::from_secs(10),
        "the shared gateway to die with its test binary",
        || Ok::<_, String>(!is_alive(pid)),
    );
}

#[test]
fn go_pushgateway_honours_a_route_prefix() {
    let gateway = GoPushgateway::start(&["--web.route-prefix=/pg"]);
    let pushed = http::put(&gateway.url("/pg/metrics/job/j"), b"m 1\n").expect("pushing");
    assert_eq!(pushed.status, 200, "{}", pushed.text());
}

#[test]
fn a_server_that_loses_its_port_is_started_on_another() {
    let taken = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("binding a port to take");
    let taken_port = taken.local_addr().expect("local address").port();
    let program = find_program("prometheus-pushgateway", "prometheus-pushgateway");
    let mut ports = Vec::new();
    let server = start_server(ServerSpec::new("a Go Pushgateway", |port, _dir| {
        // The first attempt is told to use the taken port, as if another process had won the race.
        let port = if ports.is_empty() { taken_port } else { port };
        ports.push(port);
        let mut command = Command::new(&program);
        command
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--persistence.file=");
        command
    }));
    assert_eq!(ports.len(), 2, "{ports:?}");
    assert_eq!(server.port, ports[1]);
    drop(taken);
}

#[test]
fn a_dropped_process_is_killed_and_its_directory_removed() {
    let process = Process::spawn("a sleeper", Command::new("sleep").arg("600"));
    let pid = process.pid();
    let dir = process.dir().to_owned();
    assert!(is_alive(pid), "the sleeper should run");
    assert_eq!(process.exit_status(), None);
    let start = Instant::now();
    drop(process);
    assert!(!is_alive(pid), "the sleeper should be gone after drop");
    assert!(!dir.exists(), "{} should be removed", dir.display());
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[test]
fn a_process_reports_its_exit_status_and_output() {
    let process = Process::spawn(
        "a shell",
        Command::new("/bin/sh")
            .args(["-c", "echo out; echo err >&2; echo \"$GREETING\"; exit 3"])
            .env("GREETING", "hello"),
    );
    let status = process.wait_exit(Duration::from_secs(10));
    assert_eq!(status.code(), Some(3));
    assert_eq!(process.stdout(), "out\nhello\n");
    assert_eq!(process.stderr(), "err\n");
    assert!(process.log().contains("--- a shell stderr ---\nerr\n"));
}

#[test]
fn a_process_can_be_signalled() {
    let process = Process::spawn("a sleeper", Command::new("sleep").arg("600"));
    process.signal("TERM");
    let status = process.wait_exit(Duration::from_secs(10));
    // The supervisor reports a program killed by SIGTERM (15) the shell's way.
    assert_eq!(status.code(), Some(128 + 15));
}

#[test]
#[should_panic(expected = "install the Debian package `no-such-package`")]
fn a_missing_program_names_its_debian_package() {
    find_program("no-such-program-pushgw", "no-such-package");
}

#[test]
#[should_panic(expected = "has not been built: run `cargo build -p no-such-package`")]
fn a_missing_workspace_binary_says_how_to_build_it() {
    workspace_binary("no-such-binary-pushgw", "no-such-package");
}

#[test]
#[should_panic(expected = "waiting for the impossible; last attempt: still not")]
fn wait_until_names_what_it_waited_for_and_the_last_error() {
    wait_until(Duration::from_millis(50), "the impossible", || {
        Err::<bool, _>("still not")
    });
}

#[test]
fn http_answers_errors_as_responses() {
    let gateway = GoPushgateway::shared();
    let response = http::put(&gateway.url("/metrics/job/harness_http"), b"no newline")
        .expect("pushing to the shared gateway");
    assert_eq!(response.status, 400);
    assert_eq!(
        response.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(
        response.text(),
        "text format parsing error in line 1: unexpected end of input stream\n"
    );
    let refused = http::get("http://127.0.0.1:1/").expect_err("nothing listens on port 1");
    assert!(
        refused.to_string().starts_with("GET http://127.0.0.1:1/: "),
        "{refused}"
    );
}

fn is_alive(pid: u32) -> bool {
    Command::new("/bin/sh")
        .args(["-c", r#"kill -0 "$0" 2>/dev/null"#, &pid.to_string()])
        .status()
        .expect("running kill -0")
        .success()
}
