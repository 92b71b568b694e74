//! The installed gateway's own HTTP API: readiness, identity (`/api/v1/status`, which the Go
//! Pushgateway and pushgw-sidecar both serve) and the probe group `verify` pushes and deletes.

use serde_json::Value;

use crate::http::{self, HttpError};

/// A gateway listening on 127.0.0.1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gateway {
    base: String,
}

/// What a gateway's `/api/v1/status` says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// `web.external-url`.
    pub external_url: String,
    /// `web.listen-address`.
    pub listen_address: String,
}

impl Gateway {
    /// The gateway on `127.0.0.1:<port>`.
    pub fn on_port(port: u16) -> Gateway {
        Gateway {
            base: format!("http://127.0.0.1:{port}"),
        }
    }

    /// The base URL followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Whether `/-/ready` answers 200.
    pub fn is_ready(&self) -> Result<bool, HttpError> {
        Ok(http::get(&self.url("/-/ready"))?.is_success())
    }

    /// The flags the running gateway reports; `None` when whatever listens there is not a
    /// Pushgateway (no such API, or not JSON).
    pub fn identity(&self) -> Result<Option<Identity>, HttpError> {
        let response = http::get(&self.url("/api/v1/status"))?;
        let Ok(body) = serde_json::from_str::<Value>(&response.body) else {
            return Ok(None);
        };
        let flags = &body["data"]["flags"];
        if !response.is_success() || !flags.is_object() {
            return Ok(None);
        }
        Ok(Some(Identity {
            external_url: flags["web.external-url"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            listen_address: flags["web.listen-address"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        }))
    }

    /// Replaces the group `job` with `body` (text format).
    pub fn push(&self, job: &str, body: &str) -> Result<http::Response, HttpError> {
        http::send(
            "PUT",
            &self.url(&format!("/metrics/job/{job}")),
            body.as_bytes(),
        )
    }

    /// Deletes the group `job`.
    pub fn delete(&self, job: &str) -> Result<http::Response, HttpError> {
        http::send("DELETE", &self.url(&format!("/metrics/job/{job}")), b"")
    }
}
