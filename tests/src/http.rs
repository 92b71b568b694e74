//! A tiny blocking HTTP client for the tests: every status is an answer, never an error.
//!
//! It sends exactly the headers the caller gives, plus `Host`, `User-Agent` and the body framing
//! (`Content-Length`): no default `Accept`, no `Accept-Encoding`, no redirects followed, no
//! connection reuse. Black-box tests compare what two servers answer to the same bytes, so the
//! client must not negotiate anything on its own.

use std::sync::OnceLock;
use std::time::Duration;

use ureq::Agent;
use ureq::http::{Method, Request};

use crate::Error;

/// Generous: a scrape of a big store or a slow CI machine must not time out, but a hung server
/// must fail the test rather than hang it.
const TIMEOUT: Duration = Duration::from_secs(60);

/// A response body larger than this is an error (ureq's default limit is 10 MB).
const BODY_LIMIT: u64 = 1 << 30;

/// An HTTP response: status, headers in the order received, body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code, e.g. `400`.
    pub status: u16,
    /// Header names (lower case) and values, in the order received.
    pub headers: Vec<(String, String)>,
    /// The body, exactly as received (not decompressed).
    pub body: Vec<u8>,
}

impl Response {
    /// The value of the first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The body as text, with invalid UTF-8 replaced.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON.
    pub fn json(&self) -> Result<serde_json::Value, Error> {
        serde_json::from_slice(&self.body)
            .map_err(|e| Error::new(format!("response body is not JSON ({e}): {}", self.text())))
    }

    /// `Ok(self)` for a 2xx status, otherwise an error showing status and body.
    pub fn success(self) -> Result<Response, Error> {
        if (200..300).contains(&self.status) {
            Ok(self)
        } else {
            Err(Error::new(format!("HTTP {}: {}", self.status, self.text())))
        }
    }
}

/// Sends one request and reads the whole response.
///
/// `Err` only for transport failures (connection refused, timeout, malformed response); a 4xx or
/// 5xx is an `Ok` [`Response`].
///
/// ```no_run
/// let response = pushgw_tests::http::request(
///     "PUT",
///     "http://127.0.0.1:9091/metrics/job/some_job",
///     &[("Content-Type", "text/plain; version=0.0.4")],
///     b"some_metric 3.14\n",
/// )
/// .unwrap();
/// assert_eq!(response.status, 200);
/// ```
pub fn request(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<Response, Error> {
    let fail = |e: &dyn std::fmt::Display| Error::new(format!("{method} {url}: {e}"));
    let method = Method::from_bytes(method.as_bytes()).map_err(|e| fail(&e))?;
    let mut builder = Request::builder().method(method.clone()).uri(url);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    // Methods without a body (GET, DELETE) get none at all rather than `Content-Length: 0`.
    let result = if body.is_empty() && method != Method::PUT && method != Method::POST {
        agent().run(builder.body(()).map_err(|e| fail(&e))?)
    } else {
        agent().run(builder.body(body).map_err(|e| fail(&e))?)
    };
    let mut response = result.map_err(|e| fail(&e))?;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = response
        .body_mut()
        .with_config()
        .limit(BODY_LIMIT)
        .read_to_vec()
        .map_err(|e| fail(&e))?;
    Ok(Response {
        status,
        headers,
        body,
    })
}

/// `GET url`.
pub fn get(url: &str) -> Result<Response, Error> {
    request("GET", url, &[], b"")
}

/// `PUT url` with `body` and no `Content-Type` (the Pushgateway then parses text format).
pub fn put(url: &str, body: &[u8]) -> Result<Response, Error> {
    request("PUT", url, &[], body)
}

/// `POST url` with `body` and no `Content-Type`.
pub fn post(url: &str, body: &[u8]) -> Result<Response, Error> {
    request("POST", url, &[], body)
}

/// `DELETE url`.
pub fn delete(url: &str) -> Result<Response, Error> {
    request("DELETE", url, &[], b"")
}

fn agent() -> &'static Agent {
    static AGENT: OnceLock<Agent> = OnceLock::new();
    AGENT.get_or_init(|| {
        Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .accept("")
            .allow_non_standard_methods(true)
            .max_idle_connections(0)
            .max_idle_connections_per_host(0)
            .timeout_global(Some(TIMEOUT))
            .build()
            .new_agent()
    })
}
