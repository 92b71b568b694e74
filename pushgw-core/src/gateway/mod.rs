//! The whole Pushgateway HTTP API as a sans-I/O function from `http::Request` to `http::Response`.
//!
//! [`Gateway::handle`] takes a request whose body has been read completely, and the receive time,
//! and answers as the reference does (spec §1–§6): routing with the reference's redirects, 404s
//! and 405s, pushes and deletes, scrapes with content negotiation and gzip, the JSON API, health
//! and lifecycle. It owns the [`Store`] behind a mutex that is held only for the store operation
//! itself; a scrape takes a cached [`Exposition`](crate::store::Exposition) snapshot (an `Arc`
//! clone) and renders outside the lock. It knows nothing of sockets, files or the clock.

mod body;
mod expiry;
mod json;
mod limits;
mod own;
mod route;
mod summary;
mod ui;

use std::io::Write;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, Request, Response, StatusCode};

use crate::grouping::GroupingKey;
use crate::model::MetricFamily;
use crate::snapshot::{self, SnapshotError, SnapshotGroup};
use crate::store::{Group, PushMode, Store, StoreOptions};
use crate::{proto, text};
use route::{Outcome, Reply, Route, Router};

pub use limits::{ConnectionLimit, ConnectionPermit, Limits};
pub use own::ProcessMetrics;

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
    /// Serve OpenMetrics on `/metrics` when the scraper asks for it. Off by default: the
    /// reference never serves it (spec §17).
    pub enable_openmetrics: bool,
    /// Cap on a gzip or snappy request body once decompressed, in bytes (`None`: unlimited): a
    /// decompression bomb is a `413`. A body as sent is the server's to cap.
    pub max_body_bytes: Option<u64>,
    /// What `/api/v1/status` reports as `flags`: values by flag name, spelled as the reference
    /// spells them (`"5m0s"`, `"false"`).
    pub flags: Vec<(String, String)>,
    /// Build information for `/api/v1/status` (`branch`, `buildDate`, `buildUser`, `goVersion`,
    /// `revision`, `version`) and the labels of `pushgateway_build_info`.
    pub build_information: Vec<(String, String)>,
    /// When the gateway started (`/api/v1/status` `start_time`).
    pub start_time: SystemTime,
    /// Where the gateway's own `process_*` metrics come from, if anywhere: the sidecar reads
    /// them from the operating system; an embedding service may have its own.
    pub process_metrics: Option<ProcessMetrics>,
    /// Opt-in group expiry (our extension, spec §17; `--push.group-ttl`): a group whose last
    /// successful push is this old disappears. A push's `ttl` query parameter overrides it for
    /// the group (`?ttl=0`: never). While a TTL is configured or any push has asked for one, the
    /// gateway exposes `pushgw_expired_groups_total`; otherwise its own metrics stay the
    /// reference's.
    pub group_ttl: Option<Duration>,
    /// Capacity limits (our extension, spec §17), all off by default.
    pub limits: Limits,
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
            enable_openmetrics: false,
            max_body_bytes: Some(32 << 20),
            flags: Vec::new(),
            build_information: Vec::new(),
            start_time: SystemTime::UNIX_EPOCH,
            process_metrics: None,
            group_ttl: None,
            limits: Limits::default(),
        }
    }
}

/// The reference's `computeRoutePrefix` (spec §9.2): the prefix flag, or else the external URL's
/// path; `/` becomes empty, a leading `/` is added and one trailing `/` removed.
///
/// ```
/// use pushgw_core::gateway::route_prefix;
/// assert_eq!(route_prefix("", "http://example.com/foo/"), "/foo");
/// assert_eq!(route_prefix("/", "http://example.com/foo/"), "");
/// assert_eq!(route_prefix("bar", ""), "/bar");
/// ```
pub fn route_prefix(prefix: &str, external_url: &str) -> String {
    let chosen = if prefix.is_empty() {
        url_path(external_url)
    } else {
        prefix
    };
    if chosen == "/" || chosen.is_empty() {
        return String::new();
    }
    let mut normalised = String::with_capacity(chosen.len() + 1);
    if !chosen.starts_with('/') {
        normalised.push('/');
    }
    normalised.push_str(chosen.strip_suffix('/').unwrap_or(chosen));
    normalised
}

/// The path of a URL (`http://host:port/path?query` → `/path`), empty if it has none.
fn url_path(url: &str) -> &str {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = after_scheme.find('/').map_or("", |at| &after_scheme[at..]);
    path.split(['?', '#']).next().unwrap_or_default()
}

/// Marker in a response's extensions: the request asked the process to shut down gracefully
/// (`/-/quit` with the lifecycle API enabled). The server acts on it after sending the response.
///
/// ```
/// use pushgw_core::gateway::{Gateway, GatewayOptions, QuitRequested};
/// let gateway = Gateway::new(GatewayOptions { enable_lifecycle: true, ..Default::default() });
/// let request = http::Request::post("/-/quit").body(bytes::Bytes::new()).unwrap();
/// let response = gateway.handle(request, std::time::SystemTime::UNIX_EPOCH);
/// assert!(response.extensions().get::<QuitRequested>().is_some());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuitRequested;

/// Marks the response to a push (`PUT` or `POST` of a group), whatever its status, so that the
/// server can report the push's duration with [`Gateway::observe_push_duration`].
///
/// ```
/// use pushgw_core::gateway::{Gateway, GatewayOptions, PushHandled};
/// let gateway = Gateway::new(GatewayOptions::default());
/// let push = http::Request::post("/metrics/job/j").body(bytes::Bytes::new()).unwrap();
/// let response = gateway.handle(push, std::time::SystemTime::UNIX_EPOCH);
/// assert!(response.extensions().get::<PushHandled>().is_some());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PushHandled {
    method: &'static str,
}

/// The Pushgateway: store plus HTTP API.
///
/// ```
/// use pushgw_core::gateway::{Gateway, GatewayOptions};
/// use std::time::SystemTime;
///
/// let gateway = Gateway::new(GatewayOptions::default());
/// let push = http::Request::put("/metrics/job/some_job")
///     .body(bytes::Bytes::from_static(b"some_metric 3.14\n"))
///     .unwrap();
/// assert_eq!(gateway.handle(push, SystemTime::UNIX_EPOCH).status(), 200);
///
/// let scrape = http::Request::get("/metrics").body(bytes::Bytes::new()).unwrap();
/// let body = gateway.handle(scrape, SystemTime::UNIX_EPOCH).into_body();
/// let text = std::str::from_utf8(&body).unwrap();
/// assert!(text.contains("some_metric{instance=\"\",job=\"some_job\"} 3.14\n"));
/// ```
#[derive(Debug)]
pub struct Gateway {
    options: GatewayOptions,
    router: Router,
    state: Mutex<State>,
}

/// Everything a request may change.
#[derive(Debug)]
struct State {
    store: Store,
    http: own::HttpMetrics,
    expiry: expiry::Expiry,
    rejections: limits::Rejections,
}

/// A store with the options' consistency check and the gateway's own families declared.
fn empty_store(options: &GatewayOptions) -> Store {
    Store::new(StoreOptions {
        consistency_check: options.consistency_check,
        own_families: own::declared_families()
            .into_iter()
            .chain(limits::declared_families())
            .collect(),
    })
}

impl Gateway {
    /// A gateway with an empty store.
    pub fn new(options: GatewayOptions) -> Self {
        let prefix = route_prefix(&options.route_prefix, &options.external_url);
        let router = Router::new(&prefix, &options.telemetry_path, options.enable_admin_api);
        let store = empty_store(&options);
        Gateway {
            options,
            router,
            state: Mutex::new(State {
                store,
                http: own::HttpMetrics::default(),
                expiry: expiry::Expiry::default(),
                rejections: limits::Rejections::default(),
            }),
        }
    }

    /// The options the gateway was built with.
    ///
    /// ```
    /// use pushgw_core::gateway::{Gateway, GatewayOptions};
    /// let gateway = Gateway::new(GatewayOptions::default());
    /// assert!(!gateway.options().enable_admin_api);
    /// ```
    pub fn options(&self) -> &GatewayOptions {
        &self.options
    }

    /// A counter that changes whenever the store changes; persistence uses it to know whether
    /// there is anything new to write.
    ///
    /// ```
    /// use pushgw_core::gateway::{Gateway, GatewayOptions};
    /// let gateway = Gateway::new(GatewayOptions::default());
    /// let before = gateway.generation();
    /// let push = http::Request::post("/metrics/job/j").body(bytes::Bytes::new()).unwrap();
    /// gateway.handle(push, std::time::SystemTime::UNIX_EPOCH);
    /// assert_ne!(gateway.generation(), before);
    /// ```
    pub fn generation(&self) -> u64 {
        self.lock().store.generation()
    }

    /// Answers one request; `now` is the time it was received (`push_time_seconds`). Groups
    /// whose TTL deadline is `now` or earlier are expired first.
    pub fn handle(&self, request: Request<Bytes>, now: SystemTime) -> Response<Bytes> {
        self.expire(now);
        let (parts, body) = request.into_parts();
        let Some(decoded) = route::percent_decode(parts.uri.path()) else {
            // Go's server rejects the request line itself.
            return plain(StatusCode::BAD_REQUEST, "400 Bad Request");
        };
        let route = match self
            .router
            .route(&parts.method, &decoded, parts.uri.query())
        {
            Outcome::Route(route) => route,
            Outcome::Reply(reply) => return framework_reply(reply, &parts.method),
        };
        let (handler, response) = match route {
            Route::Scrape => return self.scrape(&parts.headers, now),
            Route::Healthy => ("healthy", self.health()),
            Route::Ready => ("ready", self.health()),
            Route::Push(path) if parts.method == Method::DELETE => ("delete", self.delete(path)),
            Route::Push(path) => {
                let mut response = self.push(&parts, path, body, now);
                let method = own::method_label(&parts.method);
                response.extensions_mut().insert(PushHandled { method });
                ("push", response)
            }
            Route::Static(path) => ("static", ui::asset(path)),
            Route::Ui => ("status", ui::page(&self.lock().store, &self.options)),
            Route::Quit => return self.quit(),
            Route::QuitWrongMethod => {
                return plain(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "Only POST or PUT requests allowed.",
                );
            }
            Route::ApiOptions => ("api/v1/options", cors(empty(StatusCode::OK))),
            Route::ApiStatus => ("api/v1/status", cors(json_ok(self.status_json()))),
            Route::ApiMetrics => {
                let state = self.lock();
                let body = json::metrics(state.store.groups(), |key| state.expiry.deadline(key));
                drop(state);
                ("api/v1/metrics", cors(json_ok(body)))
            }
            Route::ApiWipe => {
                let mut state = self.lock();
                state.store.wipe();
                state.expiry.clear();
                drop(state);
                ("wipe", empty(StatusCode::ACCEPTED))
            }
        };
        let mut state = self.lock();
        if let Some(push) = response.extensions().get::<PushHandled>() {
            // Under the same lock as the count: one lock per request for the HTTP metrics.
            let size = own::approximate_request_size(&parts);
            state.http.observe_push_size(push.method, size, now);
        }
        state.http.count(response.status(), handler, &parts.method);
        drop(state);
        response
    }

    /// Records how long the push answered with `response` took, for
    /// `pushgateway_http_push_duration_seconds` (spec §10). The core has no clock, so the server
    /// measures: from the request's arrival (before its body is read, as the reference's
    /// instrumentation does) until [`Gateway::handle`] returned. Responses that are not pushes
    /// carry no [`PushHandled`] and are ignored.
    ///
    /// ```
    /// use pushgw_core::gateway::{Gateway, GatewayOptions};
    /// use std::time::{Duration, SystemTime};
    ///
    /// let gateway = Gateway::new(GatewayOptions::default());
    /// let push = http::Request::put("/metrics/job/j").body(bytes::Bytes::from("m 1\n")).unwrap();
    /// let response = gateway.handle(push, SystemTime::UNIX_EPOCH);
    /// gateway.observe_push_duration(&response, Duration::from_millis(3), SystemTime::UNIX_EPOCH);
    ///
    /// let scrape = http::Request::get("/metrics").body(bytes::Bytes::new()).unwrap();
    /// let body = gateway.handle(scrape, SystemTime::UNIX_EPOCH).into_body();
    /// let text = std::str::from_utf8(&body).unwrap();
    /// assert!(text.contains("pushgateway_http_push_duration_seconds_count{method=\"put\"} 1\n"));
    /// ```
    pub fn observe_push_duration<B>(
        &self,
        response: &Response<B>,
        elapsed: Duration,
        now: SystemTime,
    ) {
        if let Some(push) = response.extensions().get::<PushHandled>() {
            self.lock()
                .http
                .observe_push_duration(push.method, elapsed, now);
        }
    }

    /// Deletes the groups whose TTL deadline is `now` or earlier, and returns how many. Requests
    /// do this themselves; a server calls it periodically so that expired groups also go while
    /// nobody asks. Cost: one look at the earliest deadline, plus a delete per expired group.
    ///
    /// ```
    /// use pushgw_core::gateway::{Gateway, GatewayOptions};
    /// use std::time::{Duration, SystemTime};
    ///
    /// let gateway = Gateway::new(GatewayOptions {
    ///     group_ttl: Some(Duration::from_secs(600)),
    ///     ..GatewayOptions::default()
    /// });
    /// let pushed_at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    /// let push = http::Request::put("/metrics/job/j").body(bytes::Bytes::from("m 1\n")).unwrap();
    /// assert_eq!(gateway.handle(push, pushed_at).status(), 200);
    /// assert_eq!(gateway.expire(pushed_at + Duration::from_secs(599)), 0);
    /// assert_eq!(gateway.expire(pushed_at + Duration::from_secs(600)), 1);
    /// ```
    pub fn expire(&self, now: SystemTime) -> usize {
        let mut state = self.lock();
        let state = &mut *state;
        let due = state.expiry.take_due(now);
        for key in &due {
            state.store.delete(key);
        }
        due.len()
    }

    /// The whole store, with the groups' TTL deadlines, as snapshot bytes for the persistence
    /// file ([`snapshot`] describes the format). The store lock is held only while the groups
    /// are copied; encoding happens outside it.
    ///
    /// ```
    /// use pushgw_core::gateway::{Gateway, GatewayOptions};
    /// use std::time::SystemTime;
    ///
    /// let gateway = Gateway::new(GatewayOptions::default());
    /// let push = http::Request::put("/metrics/job/j").body(bytes::Bytes::from("m 1\n")).unwrap();
    /// gateway.handle(push, SystemTime::UNIX_EPOCH);
    ///
    /// let restarted = Gateway::new(GatewayOptions::default());
    /// restarted.restore(&gateway.snapshot()).unwrap();
    /// let api = |g: &Gateway| {
    ///     let request = http::Request::get("/api/v1/metrics").body(bytes::Bytes::new()).unwrap();
    ///     g.handle(request, SystemTime::UNIX_EPOCH).into_body()
    /// };
    /// assert_eq!(api(&restarted), api(&gateway));
    /// ```
    pub fn snapshot(&self) -> Vec<u8> {
        let groups: Vec<(Group, Option<SystemTime>)> = {
            let state = self.lock();
            state
                .store
                .groups()
                .map(|group| (group.clone(), state.expiry.deadline(group.key())))
                .collect()
        };
        snapshot::encode(groups.iter().map(|(group, deadline)| (group, *deadline)))
    }

    /// Replaces the store's content (and the TTL deadlines) with a snapshot's. All or nothing:
    /// bytes that do not decode leave the store as it was. The families are restored verbatim,
    /// as the reference restores its file; groups whose deadline has passed go at the next
    /// request or [`expire`](Self::expire).
    ///
    /// ```
    /// use pushgw_core::gateway::{Gateway, GatewayOptions};
    /// use pushgw_core::snapshot::SnapshotError;
    ///
    /// let gateway = Gateway::new(GatewayOptions::default());
    /// let err = gateway.restore(b"\x0e\xff\x81\x03\x01\x01gob").unwrap_err();
    /// assert!(matches!(err, SnapshotError::BadMagic { .. }));
    /// assert_eq!(gateway.snapshot().len(), 25); // still empty
    /// ```
    pub fn restore(&self, bytes: &[u8]) -> Result<(), SnapshotError> {
        self.restore_groups(snapshot::groups(bytes)?)
    }

    /// [`restore`](Self::restore) from groups decoded by the caller, e.g. by
    /// [`snapshot::groups`] on another thread, so that decoding and restoring overlap.
    ///
    /// All or nothing: the groups go into a new store, built without holding the gateway's lock,
    /// which replaces the current one only when every group arrived; the first error is returned
    /// and the gateway keeps what it had.
    ///
    /// ```
    /// use pushgw_core::gateway::{Gateway, GatewayOptions};
    /// use pushgw_core::snapshot::{self, SnapshotError};
    ///
    /// let source = Gateway::new(GatewayOptions::default());
    /// # let push = http::Request::put("/metrics/job/j").body(bytes::Bytes::from("m 1\n"))?;
    /// # source.handle(push, std::time::SystemTime::UNIX_EPOCH);
    /// let bytes = source.snapshot();
    ///
    /// let gateway = Gateway::new(GatewayOptions::default());
    /// gateway.restore_groups(snapshot::groups(&bytes)?)?;
    /// assert_eq!(gateway.snapshot(), bytes);
    ///
    /// // A failing source leaves the gateway as it was.
    /// let failing = [Err(SnapshotError::InvalidContent { offset: 24, reason: "test".into() })];
    /// assert!(gateway.restore_groups(failing).is_err());
    /// assert_eq!(gateway.snapshot(), bytes);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn restore_groups<I>(&self, groups: I) -> Result<(), SnapshotError>
    where
        I: IntoIterator<Item = Result<SnapshotGroup, SnapshotError>>,
    {
        let mut store = self.empty_store();
        let mut expiry = expiry::Expiry::default();
        for group in groups {
            let group = group?;
            expiry.set(&group.key, group.expires_at);
            store.restore(group.key, group.families);
        }
        let previous = {
            let mut state = self.lock();
            store.follow(&state.store);
            state.expiry = expiry;
            std::mem::replace(&mut state.store, store)
        };
        // Freeing a large store takes a while: not under the lock.
        drop(previous);
        Ok(())
    }

    fn empty_store(&self) -> Store {
        empty_store(&self.options)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the store half-written: pushes validate
        // everything before they modify anything. Keep serving.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// `/-/healthy` and `/-/ready`: `OK`, unless a scrape would fail (reference issue #544; spec
    /// §17): then a `500` with the scrape's errors, so that a supervisor can see it.
    fn health(&self) -> Response<Bytes> {
        match self.lock().store.check() {
            Ok(()) => plain(StatusCode::OK, "OK"),
            Err(errors) => http_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("a scrape of /metrics would fail:\n\n{errors}"),
            ),
        }
    }

    /// A refusal by a limit, counted.
    fn refuse(&self, error: &limits::LimitError) -> Response<Bytes> {
        self.lock().rejections.count(error.name());
        http_error(error.status(), &error.to_string())
    }

    fn delete(&self, path: &[u8]) -> Response<Bytes> {
        match GroupingKey::from_path_bytes(path) {
            Ok(key) => {
                let mut state = self.lock();
                state.store.delete(&key);
                state.expiry.set(&key, None);
                empty(StatusCode::ACCEPTED)
            }
            Err(err) => http_error(StatusCode::BAD_REQUEST, &err.to_string()),
        }
    }

    fn push(
        &self,
        parts: &http::request::Parts,
        path: &[u8],
        body: Bytes,
        now: SystemTime,
    ) -> Response<Bytes> {
        // URL errors win over body errors, as in the reference's handler.
        let key = match GroupingKey::from_path_bytes(path) {
            Ok(key) => key,
            Err(err) => return http_error(StatusCode::BAD_REQUEST, &err.to_string()),
        };
        // Our extension (spec §17): `?ttl=<Go duration>` sets this group's TTL; the reference
        // ignores query parameters, so clients that send it stay portable.
        let ttl = match expiry::ttl_parameter(parts.uri.query()) {
            Ok(ttl) => ttl.or(self.options.group_ttl),
            Err(message) => return http_error(StatusCode::BAD_REQUEST, &message),
        };
        // Before decoding: a full store should not pay for a body it will refuse anyway.
        let full = self.options.limits.check_group(&self.lock().store, &key);
        if let Err(error) = full {
            return self.refuse(&error);
        }
        let body = match body::decode(
            parts.headers.get(header::CONTENT_ENCODING),
            body,
            self.options.max_body_bytes,
        ) {
            Ok(body) => body,
            Err(err @ body::BodyError::TooLarge { .. }) => {
                self.lock().rejections.count("decompressed_bytes");
                return http_error(StatusCode::PAYLOAD_TOO_LARGE, &err.to_string());
            }
            Err(err) => return http_error(StatusCode::BAD_REQUEST, &err.to_string()),
        };
        let families = if body::is_delimited_protobuf(parts.headers.get(header::CONTENT_TYPE)) {
            proto::decode(&body)
                .map(last_family_of_each_name)
                .map_err(|e| e.to_string())
        } else {
            text::parse(&body).map_err(|e| e.to_string())
        };
        let families = match families {
            Ok(families) => families,
            Err(message) => return http_error(StatusCode::BAD_REQUEST, &message),
        };
        if let Err(error) = self.options.limits.check_push(&families) {
            return self.refuse(&error);
        }
        let mode = if parts.method == Method::PUT {
            PushMode::Replace
        } else {
            PushMode::Merge
        };
        let result = {
            let mut state = self.lock();
            let state = &mut *state;
            let room = self
                .options
                .limits
                .check_store(&state.store, &key, &families, mode);
            if let Err(error) = room {
                state.rejections.count(error.name());
                return http_error(error.status(), &error.to_string());
            }
            let created = state.store.group(&key).is_none();
            let result = state.store.push(key.clone(), families, mode, now);
            state
                .expiry
                .after_push(&key, ttl, result.is_ok(), created, now);
            result
        };
        match (result, self.options.consistency_check) {
            // Without the check the reference answers before applying the push, so even a
            // dropped push (timestamps) gets a 202 (spec §3.6).
            (_, false) => empty(StatusCode::ACCEPTED),
            (Ok(()), true) => empty(StatusCode::OK),
            (Err(err), true) => http_error(StatusCode::BAD_REQUEST, &err.to_string()),
        }
    }

    fn quit(&self) -> Response<Bytes> {
        if !self.options.enable_lifecycle {
            let mut response = Response::new(Bytes::from_static(b"Lifecycle API is not enabled."));
            *response.status_mut() = StatusCode::FORBIDDEN;
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, TEXT_PLAIN.clone());
            return response;
        }
        let mut response = plain(StatusCode::OK, "Requesting termination... Goodbye!");
        response.extensions_mut().insert(QuitRequested);
        response
    }

    /// `GET <P><telemetry path>`: the store's families and the gateway's own, merged and
    /// sorted, as text (or protobuf, or opt-in OpenMetrics), gzipped when accepted.
    fn scrape(&self, headers: &http::HeaderMap, now: SystemTime) -> Response<Bytes> {
        let process = self.options.process_metrics.map(|collect| collect());
        let own = {
            let state = self.lock();
            let configured = self.options.group_ttl.is_some_and(|ttl| !ttl.is_zero());
            let expired = state.expiry.expired_total(configured);
            let mut own = own::families(&self.options, &state.http, expired, process, now);
            own.extend(limits::families(
                &self.options.limits,
                self.options.max_body_bytes,
                &state.store,
                &state.rejections,
            ));
            own
        };
        let format = negotiate(headers.get(header::ACCEPT), self.options.enable_openmetrics);
        let gzipped = accepts_gzip(headers.get(header::ACCEPT_ENCODING));
        let (content_type, body) = match format {
            Format::Text => {
                let exposition = self.lock().store.exposition();
                let exposition = match exposition {
                    Ok(exposition) => exposition,
                    Err(errors) => return scrape_error(&errors.to_string()),
                };
                let body = if gzipped {
                    // Compresses only the chunks that changed since the last gzip scrape.
                    exposition.gzip_with(&own)
                } else {
                    let mut out = Vec::with_capacity(exposition.text().len() + 4096);
                    exposition.render_with(&own, &mut out);
                    out
                };
                (TEXT_CONTENT_TYPE, body)
            }
            Format::Protobuf | Format::OpenMetrics => {
                let gathered = self.lock().store.gather();
                let families = match gathered {
                    Ok(gathered) => own::merge(gathered, own),
                    Err(errors) => return scrape_error(&errors.to_string()),
                };
                let mut out = Vec::new();
                let content_type = if format == Format::Protobuf {
                    proto::encode(&families, &mut out);
                    PROTOBUF_CONTENT_TYPE
                } else {
                    crate::openmetrics::render(&families, &mut out);
                    OPENMETRICS_CONTENT_TYPE
                };
                (content_type, if gzipped { gzip(&out) } else { out })
            }
        };
        let mut response = Response::new(Bytes::from(body));
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        if gzipped {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        response
    }

    /// The body of `/api/v1/status` (spec §5.1).
    fn status_json(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1024);
        out.extend_from_slice(b"{\"status\":\"success\",\"data\":{\"build_information\":");
        write_json_map(&mut out, &self.options.build_information);
        out.extend_from_slice(b",\"flags\":");
        write_json_map(&mut out, &self.options.flags);
        out.extend_from_slice(b",\"start_time\":");
        json::write_time(&mut out, self.options.start_time);
        out.extend_from_slice(b"}}");
        out
    }
}

const TEXT_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";
const PROTOBUF_CONTENT_TYPE: &str =
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";
const OPENMETRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
static TEXT_PLAIN: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");

/// The exposition formats a scrape can get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Text,
    Protobuf,
    OpenMetrics,
}

/// Content negotiation as client_golang's `expfmt.Negotiate` does it (spec §4.5): the first
/// acceptable entry by descending `q` wins; delimited protobuf or text; OpenMetrics only when
/// enabled. Protobuf's debugging text encodings get the text format.
fn negotiate(accept: Option<&HeaderValue>, openmetrics: bool) -> Format {
    let Some(accept) = accept.and_then(|value| value.to_str().ok()) else {
        return Format::Text;
    };
    let mut entries: Vec<(f32, usize, &str)> = accept
        .split(',')
        .enumerate()
        .map(|(position, entry)| {
            let q = entry
                .split(';')
                .skip(1)
                .filter_map(|param| param.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            (q, position, entry)
        })
        .filter(|(q, _, _)| *q > 0.0)
        .collect();
    entries.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, _, entry) in entries {
        let mut parts = entry.split(';').map(str::trim);
        let media_type = parts.next().unwrap_or_default().to_ascii_lowercase();
        let params: Vec<(String, &str)> = parts
            .filter_map(|param| param.split_once('='))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().trim_matches('"')))
            .collect();
        let param = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| *v);
        match media_type.as_str() {
            "application/vnd.google.protobuf"
                if param("proto") == Some("io.prometheus.client.MetricFamily") =>
            {
                if param("encoding") == Some("delimited") {
                    return Format::Protobuf;
                }
                return Format::Text;
            }
            "text/plain" if matches!(param("version"), None | Some("0.0.4")) => {
                return Format::Text;
            }
            "application/openmetrics-text"
                if openmetrics && matches!(param("version"), None | Some("1.0.0" | "0.0.1")) =>
            {
                return Format::OpenMetrics;
            }
            _ => {}
        }
    }
    Format::Text
}

/// Whether `Accept-Encoding` allows gzip (with a non-zero `q`).
fn accepts_gzip(accept_encoding: Option<&HeaderValue>) -> bool {
    let Some(value) = accept_encoding.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    value.split(',').any(|entry| {
        let mut parts = entry.split(';').map(str::trim);
        let coding = parts.next().unwrap_or_default();
        let q = parts
            .filter_map(|param| param.strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        coding.eq_ignore_ascii_case("gzip") && q > 0.0
    })
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(data.len() / 4 + 64),
        flate2::Compression::fast(),
    );
    encoder
        .write_all(data)
        .expect("writing into a Vec cannot fail");
    encoder.finish().expect("writing into a Vec cannot fail")
}

/// A protobuf push keeps the last family of each name (spec §3.3: the reference keys them by
/// name in a map), at the position of its first occurrence.
fn last_family_of_each_name(families: Vec<MetricFamily>) -> Vec<MetricFamily> {
    let mut kept: Vec<MetricFamily> = Vec::with_capacity(families.len());
    for family in families {
        match kept.iter_mut().find(|k| k.name == family.name) {
            Some(slot) => *slot = family,
            None => kept.push(family),
        }
    }
    kept
}

/// What the framework layers answer by themselves (spec §1).
fn framework_reply(reply: Reply, method: &Method) -> Response<Bytes> {
    match reply {
        Reply::NotFound => not_found(),
        Reply::MethodNotAllowed { allow } => {
            let mut response = http_error(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed");
            insert_allow(&mut response, &allow);
            response
        }
        Reply::Options { allow } => {
            let mut response = empty(StatusCode::OK);
            insert_allow(&mut response, &allow);
            response
        }
        Reply::Redirect { status, location } => redirect(status, &location, method),
    }
}

fn insert_allow(response: &mut Response<Bytes>, allow: &str) {
    if let Ok(value) = HeaderValue::from_str(allow) {
        response.headers_mut().insert(header::ALLOW, value);
    }
}

/// Go's `http.Redirect`: `Location`, and for GET a small HTML body.
fn redirect(status: StatusCode, location: &str, method: &Method) -> Response<Bytes> {
    let mut response = Response::new(Bytes::new());
    *response.status_mut() = status;
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    if method == Method::GET || method == Method::HEAD {
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
    }
    if method == Method::GET {
        let reason = status.canonical_reason().unwrap_or_default();
        let body = format!("<a href=\"{}\">{reason}</a>.\n\n", html_escape(location));
        *response.body_mut() = Bytes::from(body);
    }
    response
}

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A `text/plain` response without a trailing newline (Go writes these bodies directly).
fn plain(status: StatusCode, body: &'static str) -> Response<Bytes> {
    let mut response = Response::new(Bytes::from_static(body.as_bytes()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, TEXT_PLAIN.clone());
    response
}

/// Go's `http.Error`: `text/plain`, `nosniff`, the message and a newline.
fn http_error(status: StatusCode, message: &str) -> Response<Bytes> {
    let mut response = Response::new(Bytes::from(format!("{message}\n")));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, TEXT_PLAIN.clone());
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

fn not_found() -> Response<Bytes> {
    http_error(StatusCode::NOT_FOUND, "404 page not found")
}

fn scrape_error(errors: &str) -> Response<Bytes> {
    http_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        &format!("An error has occurred while serving metrics:\n\n{errors}"),
    )
}

fn empty(status: StatusCode) -> Response<Bytes> {
    let mut response = Response::new(Bytes::new());
    *response.status_mut() = status;
    response
}

fn json_ok(body: Vec<u8>) -> Response<Bytes> {
    let mut response = Response::new(Bytes::from(body));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// The JSON API's hard-wired CORS headers (spec §5).
fn cors(mut response: Response<Bytes>) -> Response<Bytes> {
    let headers = response.headers_mut();
    for (name, value) in [
        (
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            "Accept, Authorization, Content-Type, Origin",
        ),
        (
            header::ACCESS_CONTROL_ALLOW_METHODS,
            "GET, POST, DELETE, OPTIONS",
        ),
        (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        (header::ACCESS_CONTROL_EXPOSE_HEADERS, "Date"),
        (header::CACHE_CONTROL, "no-cache, no-store, must-revalidate"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// A JSON object of string values with keys sorted, as Go marshals a `map[string]string`.
fn write_json_map(out: &mut Vec<u8>, entries: &[(String, String)]) {
    let mut sorted: Vec<&(String, String)> = entries.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    out.push(b'{');
    for (i, (key, value)) in sorted.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        json::write_str(out, key);
        out.push(b':');
        json::write_str(out, value);
    }
    out.push(b'}');
}
