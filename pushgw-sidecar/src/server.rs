//! The HTTP server around a [`Handler`] (the gateway): listeners, one task per connection, TLS, the
//! web config's access rules, request bodies read with a hard cap and deadlines, and the
//! `QuitRequested` handshake for a graceful shutdown.
//!
//! It knows nothing of metrics. Per request it applies the web config (rate limit, Basic auth,
//! extra headers), reads the body (413 over `--web.max-body-bytes`, without reading the rest;
//! 408 past `--web.read-timeout`), hands the request to the gateway, and tells the persistence
//! schedule that a write may have happened. No lock is held across an `.await`: the web config
//! is an `Arc` cloned out of a short read lock.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use anyhow::{Context as _, bail};
use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, WWW_AUTHENTICATE};
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use pushgw_core::gateway::{ConnectionLimit, ConnectionPermit, Gateway, QuitRequested};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::time::Instant;
use tracing::{debug, error, info, warn};

use crate::auth::Authenticator;
use crate::persistence::PersistRequests;
use crate::wal::Wal;
use crate::web_config::{RateLimit, WebConfig};

/// How long a graceful shutdown waits for in-flight requests before persisting anyway; systemd
/// kills a stopping service after 90 s by default, and the final persist must come first.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Requests with bodies up to this size are handled on the async worker; larger ones on the
/// blocking pool.
const INLINE_BODY_BYTES: usize = 256 << 10;

/// Limits on connections and on reading requests.
#[derive(Debug, Clone)]
pub struct Limits {
    /// `--web.max-body-bytes` (`None`: unlimited).
    pub max_body_bytes: Option<u64>,
    /// `--web.read-header-timeout`, also applied to the TLS handshake (`None`: no limit).
    pub read_header_timeout: Option<Duration>,
    /// `--web.read-timeout`, for the whole body (`None`: no limit).
    pub read_timeout: Option<Duration>,
    /// `--web.max-connections` (`None`: unlimited), shared with the gateway, which reports it.
    pub connections: Option<ConnectionLimit>,
}

/// At most this many refused connections are answered at once; beyond that they are closed
/// without an answer, so that a flood costs no more than the file descriptors it holds.
const REFUSALS_IN_FLIGHT: usize = 64;

/// How long a refused connection may take to receive its `429`.
const REFUSAL_TIMEOUT: Duration = Duration::from_secs(1);

/// The web config in force and what is derived from it.
#[derive(Debug)]
struct WebState {
    config: WebConfig,
    auth: Authenticator,
    limiter: Option<Mutex<TokenBucket>>,
}

impl WebState {
    fn new(config: WebConfig) -> Self {
        WebState {
            auth: Authenticator::new(config.users.clone()),
            limiter: config
                .rate_limit
                .map(|limit| Mutex::new(TokenBucket::new(limit))),
            config,
        }
    }
}

/// What answers requests once they are read: the gateway, or a fake in tests.
pub trait Handler: Send + Sync + 'static {
    /// Answers one request whose body has been read; `now` is the receive time.
    fn handle(&self, request: Request<Bytes>, now: SystemTime) -> Response<Bytes>;

    /// Told how long the request answered with `response` took, from its arrival.
    fn observe_duration(&self, _response: &Response<Bytes>, _elapsed: Duration, _now: SystemTime) {}
}

impl Handler for Gateway {
    fn handle(&self, request: Request<Bytes>, now: SystemTime) -> Response<Bytes> {
        Gateway::handle(self, request, now)
    }

    fn observe_duration(&self, response: &Response<Bytes>, elapsed: Duration, now: SystemTime) {
        self.observe_push_duration(response, elapsed, now);
    }
}

/// Everything a connection task needs, shared.
#[derive(Debug)]
pub struct App<H = Gateway> {
    gateway: Arc<H>,
    web: RwLock<Arc<WebState>>,
    web_config_file: Option<PathBuf>,
    persist: Option<Arc<PersistRequests>>,
    /// `--persistence.sync`: writes go through the write-ahead log.
    wal: Option<Arc<Wal>>,
    limits: Limits,
    shutdown: watch::Sender<bool>,
}

impl<H: Handler> App<H> {
    /// The server state; `web_config` was loaded from `web_config_file` (if any), which SIGHUP
    /// re-reads.
    pub fn new(
        gateway: Arc<H>,
        web_config: WebConfig,
        web_config_file: Option<PathBuf>,
        persist: Option<Arc<PersistRequests>>,
        limits: Limits,
    ) -> Self {
        App {
            gateway,
            web: RwLock::new(Arc::new(WebState::new(web_config))),
            web_config_file,
            persist,
            wal: None,
            limits,
            shutdown: watch::Sender::new(false),
        }
    }

    /// Sends write requests through `wal` (`--persistence.sync`): each is answered once it is
    /// durable.
    #[must_use]
    pub fn with_wal(mut self, wal: Arc<Wal>) -> Self {
        self.wal = Some(wal);
        self
    }

    /// Becomes true once a graceful shutdown has been asked for.
    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    /// Asks for a graceful shutdown: stop accepting, drain, persist, exit.
    pub fn trigger_shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    /// Re-reads `--web.config.file`; on error the previous config stays in force.
    pub async fn reload_web_config(&self) {
        let Some(path) = self.web_config_file.clone() else {
            return;
        };
        let loaded = tokio::task::spawn_blocking(move || WebConfig::load(&path)).await;
        match loaded {
            Ok(Ok(config)) => {
                *self.web.write().expect("web config lock is never poisoned") =
                    Arc::new(WebState::new(config));
                info!("web config reloaded");
            }
            Ok(Err(err)) => error!(
                err = format!("{err:#}"),
                "error reloading the web config, keeping the previous one"
            ),
            Err(err) => error!(err = %err, "error reloading the web config"),
        }
    }

    fn web(&self) -> Arc<WebState> {
        self.web
            .read()
            .expect("web config lock is never poisoned")
            .clone()
    }

    /// Serves one accepted TCP connection until it closes or the server shuts down.
    async fn serve_connection(
        self: Arc<Self>,
        stream: TcpStream,
        peer: SocketAddr,
        watcher: Watcher,
        permit: Option<ConnectionPermit>,
    ) {
        // Held until the connection is closed.
        let _permit = permit;
        let _ = stream.set_nodelay(true);
        let tls = self.web().config.tls.clone();
        match tls {
            None => {
                self.serve_io(TokioIo::new(stream), peer, false, watcher)
                    .await
            }
            Some(tls) => {
                let handshake = accept_tls(tls, stream);
                let stream = match self.limits.read_header_timeout {
                    Some(limit) => match tokio::time::timeout(limit, handshake).await {
                        Ok(stream) => stream,
                        Err(_) => {
                            debug!(source = %peer, "TLS handshake timed out");
                            return;
                        }
                    },
                    None => handshake.await,
                };
                match stream {
                    Ok(stream) => {
                        let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
                        self.serve_io(TokioIo::new(stream), peer, h2, watcher).await;
                    }
                    Err(err) => debug!(source = %peer, err = %err, "TLS handshake error"),
                }
            }
        }
    }

    async fn serve_io<I>(
        self: Arc<Self>,
        io: TokioIo<I>,
        peer: SocketAddr,
        h2: bool,
        watcher: Watcher,
    ) where
        I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            // Go writes canonical header names (`Content-Type`); some scripts grep for them.
            .title_case_headers(true)
            .timer(TokioTimer::new())
            .header_read_timeout(self.limits.read_header_timeout);
        builder.http2().timer(TokioTimer::new());
        // HTTP/2 only when TLS negotiated it (ALPN), as the reference: no h2c on plain sockets.
        let builder = if h2 {
            builder.http2_only()
        } else {
            builder.http1_only()
        };
        let app = self.clone();
        let service = hyper::service::service_fn(move |request| {
            let app = app.clone();
            async move { Ok::<_, Infallible>(app.respond(request, peer).await) }
        });
        let connection = builder.serve_connection(io, service);
        if let Err(err) = watcher.watch(connection).await {
            debug!(source = %peer, err = %err, "connection error");
        }
    }

    /// Answers one request; every response carries the web config's headers.
    async fn respond(&self, request: Request<Incoming>, peer: SocketAddr) -> Response<Full<Bytes>> {
        let web = self.web();
        let mut response = self.respond_unchecked(&web, request, peer).await;
        for (name, value) in &web.config.headers {
            response.headers_mut().insert(name.clone(), value.clone());
        }
        response.map(Full::new)
    }

    async fn respond_unchecked(
        &self,
        web: &WebState,
        request: Request<Incoming>,
        peer: SocketAddr,
    ) -> Response<Bytes> {
        if let Some(limiter) = &web.limiter {
            let allowed = limiter
                .lock()
                .expect("rate limiter lock is never poisoned")
                .take(Instant::now());
            if !allowed {
                return plain_error(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests");
            }
        }
        if !web.auth.check(request.headers().get(AUTHORIZATION)).await {
            let mut response = plain_error(StatusCode::UNAUTHORIZED, "Unauthorized");
            response
                .headers_mut()
                .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Basic"));
            return response;
        }
        // The reference's push duration covers reading the body, as its handler does that.
        let arrived = Instant::now();
        let (parts, body) = request.into_parts();
        let body = match self.read_body(&parts.headers, body).await {
            Ok(body) => body,
            Err(rejection) => {
                debug!(source = %peer, reason = ?rejection, "request body rejected");
                return rejection.response();
            }
        };
        let writes = matches!(parts.method, Method::PUT | Method::POST | Method::DELETE);
        let request = Request::from_parts(parts, body);
        let now = SystemTime::now();
        // Decoding a large push takes long enough to stall the other connections of this worker
        // thread; hand those to the blocking pool.
        let inline = request.body().len() <= INLINE_BODY_BYTES;
        let response = if writes && let Some(wal) = &self.wal {
            wal.apply(self.gateway.clone(), request, now, !inline).await
        } else if inline {
            self.gateway.handle(request, now)
        } else {
            let gateway = self.gateway.clone();
            tokio::task::spawn_blocking(move || gateway.handle(request, now))
                .await
                .unwrap_or_else(|err| {
                    error!(err = %err, "request handler failed");
                    plain_error(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
                })
        };
        self.gateway
            .observe_duration(&response, arrived.elapsed(), SystemTime::now());
        if writes && let Some(persist) = &self.persist {
            persist.mark_changed();
        }
        if response.extensions().get::<QuitRequested>().is_some() {
            warn!("received termination request via web service, exiting gracefully...");
            self.trigger_shutdown();
        }
        response
    }

    /// The whole body, within `--web.max-body-bytes` and `--web.read-timeout`.
    async fn read_body(
        &self,
        headers: &http::HeaderMap,
        body: Incoming,
    ) -> Result<Bytes, BodyRejection> {
        let limit = self.limits.max_body_bytes;
        if let Some(limit) = limit {
            // A declared length over the cap is refused before a byte of the body is read
            // (and, for `Expect: 100-continue`, before the client sends it).
            let declared = headers
                .get(CONTENT_LENGTH)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.parse::<u64>().ok());
            if declared.is_some_and(|length| length > limit) {
                return Err(BodyRejection::TooLarge(limit));
            }
        }
        let collect = async {
            let collected = match limit {
                Some(limit) => {
                    let cap = usize::try_from(limit).unwrap_or(usize::MAX);
                    Limited::new(body, cap).collect().await
                }
                None => body.collect().await.map_err(Into::into),
            };
            match collected {
                Ok(collected) => Ok(collected.to_bytes()),
                Err(err) if err.is::<LengthLimitError>() => {
                    Err(BodyRejection::TooLarge(limit.unwrap_or(u64::MAX)))
                }
                Err(err) => Err(BodyRejection::Read(err.to_string())),
            }
        };
        match self.limits.read_timeout {
            Some(timeout) => tokio::time::timeout(timeout, collect)
                .await
                .unwrap_or(Err(BodyRejection::Timeout)),
            None => collect.await,
        }
    }
}

/// Why a request body was not read to the end.
#[derive(Debug, Clone, PartialEq, Eq)]
enum BodyRejection {
    /// Over `--web.max-body-bytes` (the cap).
    TooLarge(u64),
    /// Not complete within `--web.read-timeout`.
    Timeout,
    /// The connection failed or the framing was broken.
    Read(String),
}

impl BodyRejection {
    fn response(&self) -> Response<Bytes> {
        match self {
            BodyRejection::TooLarge(limit) => plain_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("request body exceeds the limit of {limit} bytes"),
            ),
            BodyRejection::Timeout => {
                plain_error(StatusCode::REQUEST_TIMEOUT, "timeout reading request body")
            }
            BodyRejection::Read(err) => plain_error(
                StatusCode::BAD_REQUEST,
                &format!("error reading request body: {err}"),
            ),
        }
    }
}

/// The TLS handshake; a client speaking plain HTTP gets Go's answer instead of a bare close.
async fn accept_tls(
    tls: Arc<rustls::ServerConfig>,
    mut stream: TcpStream,
) -> std::io::Result<tokio_rustls::server::TlsStream<TcpStream>> {
    let mut first = [0; 1];
    // A TLS connection opens with a handshake record (0x16); an HTTP request with a method name.
    if stream.peek(&mut first).await? == 1 && first[0].is_ascii_uppercase() {
        stream
            .write_all(b"HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n")
            .await?;
        return Err(std::io::Error::other(
            "plain HTTP request on a TLS listener",
        ));
    }
    tokio_rustls::TlsAcceptor::from(tls).accept(stream).await
}

/// Go's `http.Error`: the message and a newline, as plain text that must not be sniffed.
fn plain_error(status: StatusCode, message: &str) -> Response<Bytes> {
    let mut response = Response::new(Bytes::from(format!("{message}\n")));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// Go's `rate.Limiter` as the toolkit uses it: one token per `interval`, at most `burst` saved.
#[derive(Debug)]
struct TokenBucket {
    limit: RateLimit,
    tokens: f64,
    updated: Instant,
}

impl TokenBucket {
    fn new(limit: RateLimit) -> Self {
        TokenBucket {
            limit,
            tokens: f64::from(limit.burst),
            updated: Instant::now(),
        }
    }

    fn take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.updated);
        self.updated = now;
        let refill = elapsed.as_secs_f64() / self.limit.interval.as_secs_f64();
        self.tokens = (self.tokens + refill).min(f64::from(self.limit.burst));
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Resolves once `shutdown` is true (the `watch` guard is dropped before returning, so the
/// future stays `Send`).
pub async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

/// Opens the listeners: `--web.listen-address` (`:9091` is every interface) or, with
/// `--web.systemd-socket`, the sockets systemd passed in.
pub fn bind(addresses: &[String], systemd_socket: bool) -> anyhow::Result<Vec<TcpListener>> {
    if systemd_socket {
        info!("Listening on systemd activated listeners instead of port listeners.");
        return systemd_listeners();
    }
    if addresses.is_empty() {
        bail!("no web listen address or systemd socket flag specified");
    }
    addresses.iter().map(|address| bind_one(address)).collect()
}

fn bind_one(address: &str) -> anyhow::Result<TcpListener> {
    if address.starts_with("vsock://") {
        bail!("listening on vsock ({address}) is not supported");
    }
    let listener = if let Some(port) = address.strip_prefix(':') {
        // Go listens on every interface, IPv6 and IPv4, for an empty host.
        std::net::TcpListener::bind(format!("[::]:{port}"))
            .or_else(|_| std::net::TcpListener::bind(format!("0.0.0.0:{port}")))
    } else {
        std::net::TcpListener::bind(address)
    }
    .with_context(|| format!("listen tcp {address}"))?;
    listener
        .set_nonblocking(true)
        .with_context(|| format!("listen tcp {address}"))?;
    TcpListener::from_std(listener).with_context(|| format!("listen tcp {address}"))
}

fn systemd_listeners() -> anyhow::Result<Vec<TcpListener>> {
    let mut fds = listenfd::ListenFd::from_env();
    let mut listeners = Vec::new();
    for index in 0..fds.len() {
        let listener = fds
            .take_tcp_listener(index)
            .with_context(|| format!("systemd socket {index}"))?
            .with_context(|| format!("systemd socket {index} is not a TCP listener"))?;
        listener
            .set_nonblocking(true)
            .with_context(|| format!("systemd socket {index}"))?;
        listeners.push(TcpListener::from_std(listener)?);
    }
    if listeners.is_empty() {
        bail!("no socket activation file descriptors found");
    }
    Ok(listeners)
}

/// Accepts connections until shutdown, then waits (at most 30 s) for the
/// connections' in-flight requests; idle keep-alive connections are closed.
pub async fn accept_loop<H: Handler>(app: Arc<App<H>>, listener: TcpListener) {
    let mut shutdown = app.shutdown_signal();
    let graceful = GracefulShutdown::new();
    let refusals = Arc::new(Semaphore::new(REFUSALS_IN_FLIGHT));
    let address = listener
        .local_addr()
        .map_or_else(|_| "?".to_owned(), |address| address.to_string());
    loop {
        tokio::select! {
            () = stopped(&mut shutdown) => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let permit = match &app.limits.connections {
                        Some(limit) => match limit.try_open() {
                            Some(permit) => Some(permit),
                            None => {
                                refuse_connection(&app, stream, peer, limit, &refusals);
                                continue;
                            }
                        },
                        None => None,
                    };
                    let watcher = graceful.watcher();
                    tokio::spawn(app.clone().serve_connection(stream, peer, watcher, permit));
                }
                Err(err) => {
                    // Out of file descriptors and the like: back off as Go's server does.
                    error!(address, err = %err, "accept error");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
        }
    }
    drop(listener);
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        warn!(
            address,
            "in-flight requests still running after the drain timeout"
        );
    }
}

/// Answers a connection over `--web.max-connections` with a `429` naming the limit (plain HTTP
/// only: a TLS client could not read it) and closes it; if too many refusals are under way
/// already, just closes it.
fn refuse_connection<H: Handler>(
    app: &App<H>,
    mut stream: TcpStream,
    peer: SocketAddr,
    limit: &ConnectionLimit,
    refusals: &Arc<Semaphore>,
) {
    debug!(source = %peer, limit = limit.max(), "connection refused: --web.max-connections reached");
    let tls = app.web().config.tls.is_some();
    let Ok(permit) = refusals.clone().try_acquire_owned() else {
        return;
    };
    if tls {
        return;
    }
    let message = format!(
        "too many open connections: the connection limit of {} (--web.max-connections) is reached\n",
        limit.max()
    );
    let response = format!(
        "HTTP/1.1 429 Too Many Requests\r\nContent-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{message}",
        message.len()
    );
    tokio::spawn(async move {
        let _permit = permit;
        let answer = async {
            stream.write_all(response.as_bytes()).await?;
            stream.shutdown().await?;
            // Read what the client sends until it closes, so that closing does not reset the
            // connection before the client has read the answer.
            let mut sink = [0; 4096];
            while stream.read(&mut sink).await? > 0 {}
            std::io::Result::Ok(())
        };
        let _ = tokio::time::timeout(REFUSAL_TIMEOUT, answer).await;
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Echoes method, path and body size; `/-/quit` asks for a shutdown as the gateway does.
    struct Echo;

    impl Handler for Echo {
        fn handle(&self, request: Request<Bytes>, _now: SystemTime) -> Response<Bytes> {
            let text = format!(
                "{} {} {}",
                request.method(),
                request.uri().path(),
                request.body().len()
            );
            let mut response = Response::new(Bytes::from(text));
            if request.uri().path() == "/-/quit" {
                response.extensions_mut().insert(QuitRequested);
            }
            response
        }
    }

    async fn serve_echo() -> (Arc<App<Echo>>, SocketAddr, tokio::task::JoinHandle<()>) {
        let app = Arc::new(App::new(
            Arc::new(Echo),
            WebConfig::plain(),
            None,
            None,
            Limits {
                max_body_bytes: Some(1000),
                read_header_timeout: None,
                read_timeout: None,
                connections: None,
            },
        ));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        let serving = tokio::spawn(accept_loop(app.clone(), listener));
        (app, address, serving)
    }

    async fn read_all(stream: &mut TcpStream) -> String {
        let mut bytes = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut bytes));
        read.await
            .expect("the server closed the connection")
            .expect("read");
        String::from_utf8_lossy(&bytes).into_owned()
    }

    #[tokio::test]
    async fn quit_answers_then_stops_accepting_and_closes_keep_alive_connections() {
        let (app, address, serving) = serve_echo().await;
        let mut stream = TcpStream::connect(address).await.expect("connect");
        // Keep-alive: the server, not the client, must close this connection.
        stream
            .write_all(b"PUT /-/quit HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
            .await
            .expect("write");
        let response = read_all(&mut stream).await;
        assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
        assert!(response.ends_with("PUT /-/quit 0"), "{response}");
        tokio::time::timeout(Duration::from_secs(10), serving)
            .await
            .expect("the accept loop ends")
            .expect("no panic");
        assert!(*app.shutdown_signal().borrow());
        assert!(
            TcpStream::connect(address).await.is_err(),
            "still accepting"
        );
    }

    #[tokio::test]
    async fn shutdown_lets_an_in_flight_request_finish() {
        let (app, address, serving) = serve_echo().await;
        let mut stream = TcpStream::connect(address).await.expect("connect");
        stream
            .write_all(b"PUT /metrics/job/slow HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n")
            .await
            .expect("write");
        // `100 Continue` comes when the server starts reading the body: the request is in flight.
        let mut interim = [0; 25];
        tokio::time::timeout(Duration::from_secs(10), stream.read_exact(&mut interim))
            .await
            .expect("100 Continue")
            .expect("read");
        assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
        app.trigger_shutdown();
        stream.write_all(b"1234567890").await.expect("the body");
        let response = read_all(&mut stream).await;
        assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
        assert!(response.ends_with("PUT /metrics/job/slow 10"), "{response}");
        tokio::time::timeout(Duration::from_secs(10), serving)
            .await
            .expect("the accept loop ends")
            .expect("no panic");
    }

    #[tokio::test]
    async fn declared_oversized_bodies_are_refused_unread() {
        let (_app, address, _serving) = serve_echo().await;
        let mut stream = TcpStream::connect(address).await.expect("connect");
        // The body is never sent: the answer must not wait for it.
        stream
            .write_all(b"PUT /metrics/job/x HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n")
            .await
            .expect("write");
        let mut head = [0; 12];
        tokio::time::timeout(Duration::from_secs(10), stream.read_exact(&mut head))
            .await
            .expect("answered without the body")
            .expect("read");
        assert_eq!(&head, b"HTTP/1.1 413");
    }

    #[test]
    fn token_bucket_allows_bursts_then_one_per_interval() {
        let start = Instant::now();
        let mut bucket = TokenBucket {
            limit: RateLimit {
                interval: Duration::from_secs(1),
                burst: 2,
            },
            tokens: 2.0,
            updated: start,
        };
        assert!(bucket.take(start));
        assert!(bucket.take(start));
        assert!(!bucket.take(start));
        assert!(!bucket.take(start + Duration::from_millis(500)));
        assert!(bucket.take(start + Duration::from_millis(1000)));
        assert!(!bucket.take(start + Duration::from_millis(1000)));
    }

    #[test]
    fn errors_look_like_go_http_error() {
        let response = plain_error(StatusCode::UNAUTHORIZED, "Unauthorized");
        assert_eq!(response.body().as_ref(), b"Unauthorized\n");
        assert_eq!(
            response.headers()[CONTENT_TYPE],
            "text/plain; charset=utf-8"
        );
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    }

    #[test]
    fn binding_a_taken_port_names_the_address() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
        let address = taken.local_addr().expect("address").to_string();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let _guard = runtime.enter();
        let err = bind(std::slice::from_ref(&address), false).expect_err("port is taken");
        let message = format!("{err:#}");
        assert!(message.contains(&address), "{message}");
        assert!(bind(&["vsock://:9100".to_owned()], false).is_err());
    }
}
