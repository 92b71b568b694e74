//! The Prometheus HTTP API, as far as the installer needs it: where the config is, whether the
//! lifecycle API is on, reloading and confirming it, the scrape targets and instant queries.
//! Field names and shapes are those of Prometheus 2.42 (spec/installer.md §3.2, §3.3).

use std::time::Duration;

use serde_json::Value;

use crate::clock;
use crate::http::{self, HttpError};

/// A Prometheus server, by base URL (`http://localhost:9090`, maybe with a route prefix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prometheus {
    base: String,
}

/// Why a Prometheus API call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PromError {
    /// No answer at all.
    #[error(transparent)]
    Unreachable(#[from] HttpError),
    /// An answer that is not what the API documents.
    #[error("{url} answered HTTP {status}: {body}")]
    Api {
        /// The URL asked.
        url: String,
        /// The status code.
        status: u16,
        /// The body, trimmed.
        body: String,
    },
}

/// What `/api/v1/status/flags` says about the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flags {
    /// `config.file`, as given on the command line (may be relative to the server's cwd).
    pub config_file: String,
    /// `web.enable-lifecycle`: whether `POST /-/reload` works.
    pub lifecycle: bool,
}

/// One scrape target of `/api/v1/targets`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `up`, `down` or `unknown`.
    pub health: String,
    /// The last scrape's error, empty when it succeeded.
    pub last_error: String,
    /// `http://localhost:9091/metrics`.
    pub scrape_url: String,
}

/// One sample of an instant vector.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The series' labels, `__name__` included.
    pub labels: serde_json::Map<String, Value>,
    /// The value.
    pub value: f64,
}

impl Prometheus {
    /// The server at `base_url`.
    pub fn new(base_url: &str) -> Prometheus {
        Prometheus {
            base: base_url.trim_end_matches('/').to_owned(),
        }
    }

    /// The base URL followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn data(&self, path: &str) -> Result<Value, PromError> {
        let url = self.url(path);
        let response = http::get(&url)?;
        let api_error = |body: &str| PromError::Api {
            url: url.clone(),
            status: response.status,
            body: body.trim().chars().take(500).collect(),
        };
        let mut body: Value =
            serde_json::from_str(&response.body).map_err(|_| api_error(&response.body))?;
        if !response.is_success() || body["status"] != "success" {
            return Err(api_error(&response.body));
        }
        Ok(body["data"].take())
    }

    /// `/api/v1/status/flags`.
    pub fn flags(&self) -> Result<Flags, PromError> {
        let data = self.data("/api/v1/status/flags")?;
        Ok(Flags {
            config_file: data["config.file"].as_str().unwrap_or_default().to_owned(),
            lifecycle: data["web.enable-lifecycle"] == "true",
        })
    }

    /// `/api/v1/status/runtimeinfo`: whether the last reload succeeded, and when the config
    /// was last loaded (Unix seconds).
    pub fn reload_status(&self) -> Result<(bool, Option<f64>), PromError> {
        let data = self.data("/api/v1/status/runtimeinfo")?;
        let success = data["reloadConfigSuccess"].as_bool().unwrap_or(false);
        let time = data["lastConfigTime"]
            .as_str()
            .and_then(clock::parse_rfc3339);
        Ok((success, time))
    }

    /// The server's working directory (`CWD` in `/api/v1/status/runtimeinfo`), against which a
    /// relative `config.file` is resolved.
    pub fn cwd(&self) -> Result<Option<std::path::PathBuf>, PromError> {
        let data = self.data("/api/v1/status/runtimeinfo")?;
        Ok(data["CWD"].as_str().map(std::path::PathBuf::from))
    }

    /// `POST /-/reload`: synchronous; an error carries Prometheus' reason (403 when the
    /// lifecycle API is off, 500 with `failed to reload config: ...` for a bad file).
    pub fn reload(&self) -> Result<(), PromError> {
        let url = self.url("/-/reload");
        let response = http::send("POST", &url, b"")?;
        if response.is_success() {
            Ok(())
        } else {
            Err(PromError::Api {
                url,
                status: response.status,
                body: response.body.trim().to_owned(),
            })
        }
    }

    /// The scrape interval Prometheus uses for `job`, from the loaded config
    /// (`/api/v1/status/config`): the job's own, else the global one, else 1m.
    pub fn scrape_interval(&self, job: &str) -> Result<Option<Duration>, PromError> {
        let data = self.data("/api/v1/status/config")?;
        let yaml = data["yaml"].as_str().unwrap_or_default();
        let Ok(config) = yaml_serde::from_str::<yaml_serde::Value>(yaml) else {
            return Ok(None);
        };
        let Some(job_config) = config
            .get("scrape_configs")
            .and_then(yaml_serde::Value::as_sequence)
            .into_iter()
            .flatten()
            .find(|item| item.get("job_name").and_then(yaml_serde::Value::as_str) == Some(job))
        else {
            return Ok(None);
        };
        let interval = job_config
            .get("scrape_interval")
            .or_else(|| config.get("global")?.get("scrape_interval"))
            .and_then(yaml_serde::Value::as_str)
            .and_then(parse_duration)
            .unwrap_or(Duration::from_secs(60));
        Ok(Some(interval))
    }

    /// The active target of scrape pool `job`, if Prometheus lists it yet.
    pub fn target(&self, job: &str) -> Result<Option<Target>, PromError> {
        let data = self.data(&format!(
            "/api/v1/targets?state=active&scrapePool={}",
            http::encode_query_value(job)
        ))?;
        // Filtered here too: older servers ignore the scrapePool parameter.
        let target = data["activeTargets"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|target| target["scrapePool"] == job || target["labels"]["job"] == job);
        Ok(target.map(|target| Target {
            health: target["health"].as_str().unwrap_or_default().to_owned(),
            last_error: target["lastError"].as_str().unwrap_or_default().to_owned(),
            scrape_url: target["scrapeUrl"].as_str().unwrap_or_default().to_owned(),
        }))
    }

    /// Evaluates `promql` now (`/api/v1/query`) and returns the instant vector.
    pub fn query(&self, promql: &str) -> Result<Vec<Sample>, PromError> {
        let data = self.data(&format!(
            "/api/v1/query?query={}",
            http::encode_query_value(promql)
        ))?;
        let samples = data["result"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|sample| {
                Some(Sample {
                    labels: sample["metric"].as_object()?.clone(),
                    value: sample["value"][1].as_str()?.parse().ok()?,
                })
            })
            .collect();
        Ok(samples)
    }
}

/// A Prometheus duration such as `15s`, `1m`, `1m30s`, `500ms`.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let mut total = Duration::ZERO;
    let mut rest = text.trim();
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let number: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let unit = match &rest[..unit_len] {
            "ms" => Duration::from_millis(1),
            "s" => Duration::from_secs(1),
            "m" => Duration::from_secs(60),
            "h" => Duration::from_secs(3600),
            "d" => Duration::from_secs(86_400),
            "w" => Duration::from_secs(7 * 86_400),
            "y" => Duration::from_secs(365 * 86_400),
            _ => return None,
        };
        total += unit * u32::try_from(number).ok()?;
        rest = &rest[unit_len..];
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::parse_duration;
    use std::time::Duration;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("15s"), Some(Duration::from_secs(15)));
        assert_eq!(parse_duration("1m30s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("1h"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_duration("15"), None);
        assert_eq!(parse_duration(""), None);
    }
}
