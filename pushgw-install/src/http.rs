//! A blocking HTTP client for the two local APIs the installer talks to: Prometheus and the
//! gateway. Every status code is an answer; only a failed connection is an error.

use std::sync::OnceLock;
use std::time::Duration;

use ureq::Agent;

/// Long enough for a synchronous `/-/reload` of a large config, short enough for a CLI.
const TIMEOUT: Duration = Duration::from_secs(30);

/// An HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The body as text (lossy UTF-8).
    pub body: String,
}

impl Response {
    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// A request that got no answer: connection refused, timeout, bad URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{method} {url}: {reason}")]
pub struct HttpError {
    /// The method.
    pub method: &'static str,
    /// The URL.
    pub url: String,
    /// What went wrong.
    pub reason: String,
}

fn agent() -> &'static Agent {
    static AGENT: OnceLock<Agent> = OnceLock::new();
    AGENT.get_or_init(|| {
        Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(TIMEOUT))
            .build()
            .into()
    })
}

/// Sends `method` to `url` with `body` (PUT and POST only).
pub fn send(method: &'static str, url: &str, body: &[u8]) -> Result<Response, HttpError> {
    let fail = |reason: String| HttpError {
        method,
        url: url.to_owned(),
        reason,
    };
    let result = match method {
        "GET" => agent().get(url).call(),
        "DELETE" => agent().delete(url).call(),
        "PUT" => agent().put(url).send(body),
        "POST" => agent().post(url).send(body),
        other => return Err(fail(format!("unsupported method {other}"))),
    };
    let mut response = result.map_err(|e| fail(e.to_string()))?;
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .read_to_vec()
        .map_err(|e| fail(e.to_string()))?;
    Ok(Response {
        status,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// `GET url`.
pub fn get(url: &str) -> Result<Response, HttpError> {
    send("GET", url, b"")
}

/// Percent-encodes everything but RFC 3986's unreserved characters, as a query value needs.
pub fn encode_query_value(value: &str) -> String {
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
    #[test]
    fn encodes_promql() {
        assert_eq!(
            super::encode_query_value(r#"probe{job="a b"}"#),
            "probe%7Bjob%3D%22a%20b%22%7D"
        );
    }
}
