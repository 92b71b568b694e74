//! The whole Pushgateway HTTP API as a sans-I/O function from `http::Request` to `http::Response`.
//!
//! [`Gateway::handle`] takes a request whose body has been read completely and the current time,
//! and answers exactly as the reference does (spec §1–§6): routing, pushes and deletes, scrapes,
//! the JSON API, health and lifecycle. It owns the [`Store`](crate::store::Store) behind a mutex;
//! scrapes read a cached exposition snapshot. It knows nothing of sockets or the clock.
// The router is wired into `Gateway::handle` together with the store; until then only its tests use it.
#![allow(dead_code)]

mod body;
mod route;

use std::time::SystemTime;

use bytes::Bytes;

/// How a [`Gateway`] is set up: the reference's flags that shape the HTTP API, and our extras.
///
/// ```
/// let options = pushgw_core::gateway::GatewayOptions::default();
/// assert_eq!(options.telemetry_path, "/metrics");
/// assert!(options.consistency_check);
/// ```
#[derive(Debug, Clone)]
pub struct GatewayOptions {
    /// `--web.route-prefix`, as given (normalised by the gateway as spec §9.2 says).
    pub route_prefix: String,
    /// `--web.external-url`, as given; its path is the default route prefix and the UI's asset prefix.
    pub external_url: String,
    /// `--web.telemetry-path`.
    pub telemetry_path: String,
    /// `--web.enable-admin-api`: `PUT /api/v1/admin/wipe` and the UI's Delete All.
    pub enable_admin_api: bool,
    /// `--web.enable-lifecycle`: `PUT|POST /-/quit`.
    pub enable_lifecycle: bool,
    /// Not `--push.disable-consistency-check`.
    pub consistency_check: bool,
    /// Cap on a request body after `Content-Encoding` is undone, in bytes (`None`: unlimited).
    pub max_body_bytes: Option<u64>,
    /// What `/api/v1/status` reports: flag values by name (as the reference spells them) and
    /// build information.
    pub flags: Vec<(String, String)>,
    /// Build information for `/api/v1/status` and `pushgateway_build_info`.
    pub build_information: Vec<(String, String)>,
    /// When the gateway started (`/api/v1/status` `start_time`).
    pub start_time: SystemTime,
}

impl Default for GatewayOptions {
    fn default() -> Self {
        GatewayOptions {
            route_prefix: String::new(),
            external_url: String::new(),
            telemetry_path: "/metrics".to_owned(),
            enable_admin_api: false,
            enable_lifecycle: false,
            consistency_check: true,
            max_body_bytes: Some(32 << 20),
            flags: Vec::new(),
            build_information: Vec::new(),
            start_time: SystemTime::UNIX_EPOCH,
        }
    }
}

/// Marker in a response's extensions: the request asked the process to shut down gracefully
/// (`/-/quit` with the lifecycle API enabled). The server acts on it after sending the response.
///
/// ```
/// let response = http::Response::new(bytes::Bytes::new());
/// assert!(response.extensions().get::<pushgw_core::gateway::QuitRequested>().is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuitRequested;

/// The Pushgateway: store plus HTTP API.
///
/// ```
/// use pushgw_core::gateway::{Gateway, GatewayOptions};
/// let gateway = Gateway::new(GatewayOptions::default());
/// let request = http::Request::get("/-/healthy").body(bytes::Bytes::new()).unwrap();
/// let response = gateway.handle(request, std::time::SystemTime::UNIX_EPOCH);
/// assert_eq!(response.status(), 200);
/// ```
#[derive(Debug)]
pub struct Gateway {
    options: GatewayOptions,
}

impl Gateway {
    /// A gateway with an empty store.
    pub fn new(options: GatewayOptions) -> Self {
        Gateway { options }
    }

    /// Answers one request; `now` is the receive time (push timestamps, `push_time_seconds`).
    pub fn handle(&self, request: http::Request<Bytes>, now: SystemTime) -> http::Response<Bytes> {
        let _ = (request, now);
        http::Response::new(Bytes::from_static(b"OK"))
    }
}
