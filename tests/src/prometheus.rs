//! Prometheus 2.42 from Debian, started on a free port with a config of the test's choosing.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::{Error, Process, Server, ServerSpec, find_program, http, start_server};

/// A running Prometheus (`/usr/bin/prometheus`, Debian package `prometheus`) listening on
/// 127.0.0.1, with its TSDB and config file in its temporary directory and the lifecycle API on
/// (`/-/reload`). Stopped and cleaned up when dropped.
#[derive(Debug)]
pub struct Prometheus {
    server: Server,
    config_file: PathBuf,
}

impl Prometheus {
    /// Starts Prometheus with `config_yaml` as its `prometheus.yml` and waits until `/-/ready`
    /// answers.
    ///
    /// A short `scrape_interval` (e.g. `1s`) keeps tests fast; note that Prometheus applies new
    /// targets about five seconds after start or reload, whatever the interval.
    ///
    /// # Panics
    ///
    /// If the binary is not installed (the message names the Debian package), the config cannot
    /// be written, or Prometheus does not become ready (e.g. because it rejects the config: its
    /// log is printed).
    #[track_caller]
    pub fn start(config_yaml: &str) -> Prometheus {
        let mut config_file = PathBuf::new();
        let spec = ServerSpec::new("Prometheus", |port, dir| {
            config_file = dir.join("prometheus.yml");
            fs::write(&config_file, config_yaml)
                .unwrap_or_else(|e| panic!("writing {}: {e}", config_file.display()));
            Prometheus::command(port, &config_file, &dir.join("data"))
        });
        let server = start_server(spec);
        Prometheus {
            server,
            config_file,
        }
    }

    /// The command line every test starts Prometheus with: listening on 127.0.0.1:`port`, reading
    /// `config_file`, its TSDB in `data_dir`, the lifecycle API (`/-/reload`) on. For tests that
    /// own the config file's path (an installer patches it) and start it with [`start_server`].
    ///
    /// # Panics
    ///
    /// If the binary is not installed (the message names the Debian package).
    #[track_caller]
    pub fn command(port: u16, config_file: &Path, data_dir: &Path) -> Command {
        let mut command = Command::new(find_program("prometheus", "prometheus"));
        command
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg(format!("--config.file={}", config_file.display()))
            .arg(format!("--storage.tsdb.path={}", data_dir.display()))
            .arg("--web.enable-lifecycle");
        command
    }

    /// Starts Prometheus scraping the Pushgateway at `address` (`127.0.0.1:<port>`) every second,
    /// with `honor_labels: true` as the Pushgateway's documentation asks, under the scrape job
    /// `pushgateway`.
    #[track_caller]
    pub fn scraping(address: &str) -> Prometheus {
        Prometheus::start(&format!(
            "global:\n  scrape_interval: 1s\n\
             scrape_configs:\n\
             \x20 - job_name: pushgateway\n\
             \x20   honor_labels: true\n\
             \x20   static_configs:\n\
             \x20     - targets: ['{address}']\n"
        ))
    }

    /// `http://127.0.0.1:<port>`, without a trailing slash.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// The base URL followed by `path`, e.g. `url("/api/v1/targets")`.
    pub fn url(&self, path: &str) -> String {
        self.server.url(path)
    }

    /// The Prometheus process: logs, pid, signals.
    pub fn process(&self) -> &Process {
        &self.server.process
    }

    /// The `prometheus.yml` this Prometheus reads.
    pub fn config_file(&self) -> &Path {
        &self.config_file
    }

    /// Replaces the config with `config_yaml` and asks Prometheus to reload it (`POST /-/reload`);
    /// an error if Prometheus rejects it.
    pub fn reload(&self, config_yaml: &str) -> Result<(), Error> {
        fs::write(&self.config_file, config_yaml)
            .map_err(|e| Error::new(format!("writing {}: {e}", self.config_file.display())))?;
        http::post(&self.url("/-/reload"), b"")?.success()?;
        Ok(())
    }

    /// Evaluates `promql` now (`/api/v1/query`) and returns `data.result`, e.g. for an instant
    /// vector `[{"metric": {"__name__": "some_metric", ...}, "value": [1700000000.0, "3.14"]}]`.
    pub fn query(&self, promql: &str) -> Result<Value, Error> {
        let url = self.url(&format!("/api/v1/query?query={}", url_encode(promql)));
        let mut data = api_data(&url)?;
        Ok(data["result"].take())
    }

    /// The active targets (`/api/v1/targets`, `data.activeTargets`): each with `labels`,
    /// `scrapeUrl`, `health` (`up`, `down`, `unknown`), `lastError`, ...
    pub fn targets(&self) -> Result<Value, Error> {
        let mut data = api_data(&self.url("/api/v1/targets"))?;
        Ok(data["activeTargets"].take())
    }
}

/// GETs a Prometheus API URL and returns its `data`, or an error naming the API's error.
fn api_data(url: &str) -> Result<Value, Error> {
    let mut body = http::get(url)?.json()?;
    if body["status"] != "success" {
        return Err(Error::new(format!("GET {url}: {body}")));
    }
    Ok(body["data"].take())
}

/// Percent-encodes everything but RFC 3986's unreserved characters, as a query value needs.
fn url_encode(value: &str) -> String {
    value
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(byte).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::url_encode;

    #[test]
    fn url_encode_escapes_promql() {
        assert_eq!(
            url_encode(r#"some_metric{job="a b"}"#),
            "some_metric%7Bjob%3D%22a%20b%22%7D"
        );
    }
}
