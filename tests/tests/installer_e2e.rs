//! pushgw-install end to end, with a real Prometheus 2.42 and promtool (Debian package
//! `prometheus`) on loopback: the installer patches a temporary root's prometheus.yml (Debian's
//! shipped file, which this Prometheus reads), reloads Prometheus through `/-/reload`, and then
//! `pushgw-install verify` sees the target `up` and a pushed probe scraped with `honor_labels`.
//! The gateway is started from the exact `ExecStart` line of the generated unit (listening on
//! 127.0.0.1 only, as every test does).

use std::fs;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

use pushgw_tests::{
    Process, Prometheus, Server, ServerSpec, find_program, free_port, http, start_server,
    wait_until, workspace_binary,
};
use tempfile::TempDir;

const DEBIAN_CONFIG: &str =
    include_str!("../../pushgw-install/test_data/promyaml/before/01_debian_bookworm.yml");
const UNIT: &str = "usr/lib/systemd/system/pushgateway.service";

/// A temporary root with Debian's prometheus.yml (global interval 1s), a Prometheus reading it,
/// and pushgw-install run on it.
struct Installed {
    root: TempDir,
    prometheus: Server,
    port: u16,
}

impl Installed {
    fn new() -> Installed {
        let root = tempfile::tempdir().expect("a temporary root");
        let config = root.path().join("etc/prometheus/prometheus.yml");
        fs::create_dir_all(config.parent().expect("a parent")).expect("mkdir");
        let fast = DEBIAN_CONFIG.replace("scrape_interval:     15s", "scrape_interval:     1s");
        assert_ne!(
            fast, DEBIAN_CONFIG,
            "Debian's global scrape_interval line moved"
        );
        fs::write(&config, fast).expect("writing prometheus.yml");
        find_program("prometheus", "prometheus");
        // promtool must be there: the installer checks the new file with it.
        find_program("promtool", "prometheus");
        let prometheus = start_server(ServerSpec::new("Prometheus", |port, dir| {
            Prometheus::command(port, &config, &dir.join("data"))
        }));
        let installed = Installed {
            root,
            prometheus,
            port: free_port(),
        };
        // The binary is found next to pushgw-install (target/<profile>/pushgw-sidecar), and
        // prometheus.yml through the default search under --root.
        let output = installed.installer(&["install", "--private-ip", "10.0.0.5"]);
        assert!(
            output.status.success(),
            "install failed:\n{}",
            describe(&output)
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.contains("Reload Prometheus"), "{stdout}");
        installed
    }

    /// Runs pushgw-install with `args` on this root, Prometheus and port.
    fn installer(&self, args: &[&str]) -> Output {
        Command::new(workspace_binary("pushgw-install", "pushgw-install"))
            .args(args)
            .arg("--root")
            .arg(self.root.path())
            .args(["--service-manager", "none", "--prometheus-url"])
            .arg(self.prometheus.base_url())
            .arg("--listen-port")
            .arg(self.port.to_string())
            .env("LANG", "C.UTF-8")
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .output()
            .expect("running pushgw-install")
    }

    /// Starts the gateway exactly as the generated unit's `ExecStart` says, with the binary and
    /// the persistence file under the root and the listen address narrowed to 127.0.0.1.
    fn start_gateway(&self) -> Process {
        let unit = fs::read_to_string(self.root.path().join(UNIT)).expect("the generated unit");
        let exec_start = unit
            .lines()
            .find_map(|line| line.strip_prefix("ExecStart="))
            .expect("an ExecStart line");
        let mut words = exec_start.split_whitespace();
        let binary = words.next().expect("a binary");
        let under_root = |path: &str| self.root.path().join(path.trim_start_matches('/'));
        let args: Vec<String> = words
            .map(|word| {
                if let Some(port) = word.strip_prefix("--web.listen-address=:") {
                    format!("--web.listen-address=127.0.0.1:{port}")
                } else if let Some(file) = word.strip_prefix("--persistence.file=") {
                    format!("--persistence.file={}", under_root(file).display())
                } else {
                    word.to_owned()
                }
            })
            .collect();
        let persistence_file = under_root("/var/lib/pushgateway/pushgateway.data");
        assert_eq!(
            args,
            [
                format!("--web.listen-address=127.0.0.1:{}", self.port),
                "--web.external-url=http://127.0.0.1/10.0.0.5/pushgateway/".to_owned(),
                "--web.route-prefix=/".to_owned(),
                format!("--persistence.file={}", persistence_file.display()),
            ]
        );
        // systemd creates the state directory (StateDirectory=pushgateway).
        fs::create_dir_all(persistence_file.parent().expect("a parent")).expect("mkdir");
        let binary: PathBuf = under_root(binary);
        let mut command = Command::new(&binary);
        command.args(&args);
        let gateway = Process::spawn("pushgw-sidecar (ExecStart)", &command);
        let ready = format!("http://127.0.0.1:{}/-/ready", self.port);
        wait_until(
            Duration::from_secs(30),
            "the installed gateway to be ready",
            || http::get(&ready).map(|response| response.status == 200),
        );
        gateway
    }

    fn target_health(&self) -> Result<String, pushgw_tests::Error> {
        let body = http::get(&self.prometheus.url("/api/v1/targets?state=active"))?.json()?;
        let health = body["data"]["activeTargets"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|target| target["labels"]["job"] == "pushgateway")
            .map_or("absent", |target| target["health"].as_str().unwrap_or("?"));
        Ok(health.to_owned())
    }
}

fn describe(output: &Output) -> String {
    format!(
        "status {}\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn install_reloads_prometheus_and_verify_passes() {
    let installed = Installed::new();
    let loaded = http::get(&installed.prometheus.url("/api/v1/status/config"))
        .and_then(|response| response.json())
        .expect("Prometheus' loaded config");
    let yaml = loaded["data"]["yaml"].as_str().unwrap_or_default();
    assert!(
        yaml.contains("job_name: pushgateway"),
        "not reloaded:\n{yaml}"
    );

    let _gateway = installed.start_gateway();
    let output = installed.installer(&["verify", "--private-ip", "10.0.0.5"]);
    assert!(
        output.status.success(),
        "verify failed:\n{}",
        describe(&output)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("health=up"), "{stdout}");
    assert!(
        stdout.contains("pushgw_install_probe{job=\"pushgw_install\"}"),
        "{stdout}"
    );
    assert!(
        stdout.contains("http://<spring_board_fqdn>/10.0.0.5/pushgateway/"),
        "{stdout}"
    );

    // The probe group is gone again: the trainee starts from a clean gateway.
    let metrics = http::get(&format!("http://127.0.0.1:{}/metrics", installed.port))
        .expect("the gateway's /metrics")
        .text();
    assert!(!metrics.contains("pushgw_install"), "{metrics}");

    // A second install changes nothing.
    let again = installed.installer(&["install", "--private-ip", "10.0.0.5"]);
    assert!(again.status.success(), "{}", describe(&again));
    assert!(String::from_utf8_lossy(&again.stdout).contains("Nothing changed"));
}

#[test]
fn verify_reports_a_stopped_gateway_as_down_with_prometheus_last_error() {
    let installed = Installed::new();
    let gateway = installed.start_gateway();
    wait_until(
        Duration::from_secs(60),
        "the pushgateway target to be up",
        || installed.target_health().map(|health| health == "up"),
    );
    drop(gateway);

    let output = installed.installer(&["verify", "--timeout", "30"]);
    assert_eq!(output.status.code(), Some(10), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("is down in Prometheus"), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "lastError: Get \"http://localhost:{}/metrics\"",
            installed.port
        )),
        "{stderr}"
    );
    assert!(stderr.contains("connection refused"), "{stderr}");
}
