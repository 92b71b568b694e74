//! pushgw-core's `Gateway` served over real HTTP on loopback from inside the test process.
//!
//! This is the embedding path (a Rust service handing requests to `Gateway::handle`), exercised
//! through real sockets. Tests of the `pushgw-sidecar` binary start the binary instead.

use std::convert::Infallible;
use std::net::TcpListener as StdListener;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::SystemTime;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use pushgw_core::gateway::{Gateway, GatewayOptions};
use tokio::sync::oneshot;

/// A [`Gateway`] listening on `127.0.0.1:<free port>` in a thread of this process; stopped
/// when dropped.
#[derive(Debug)]
pub struct InProcessGateway {
    port: u16,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl InProcessGateway {
    /// Serves a new gateway built from `options`.
    ///
    /// # Panics
    ///
    /// If no loopback port can be bound or the runtime cannot start.
    pub fn start(options: GatewayOptions) -> InProcessGateway {
        let listener = StdListener::bind("127.0.0.1:0").expect("binding 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let port = listener.local_addr().expect("a bound address").port();
        let gateway = Arc::new(Gateway::new(options));
        let (shutdown, mut stopped) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a tokio runtime");
            runtime.block_on(async move {
                let listener =
                    tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
                loop {
                    tokio::select! {
                        _ = &mut stopped => break,
                        accepted = listener.accept() => {
                            let Ok((stream, _)) = accepted else { continue };
                            let gateway = Arc::clone(&gateway);
                            tokio::spawn(async move {
                                let service = service_fn(move |request| {
                                    serve(Arc::clone(&gateway), request)
                                });
                                // A client hanging up mid-request is not the test's concern.
                                let _ = http1::Builder::new()
                                    .serve_connection(TokioIo::new(stream), service)
                                    .await;
                            });
                        }
                    }
                }
            });
        });
        InProcessGateway {
            port,
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:<port>`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The base URL followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url())
    }
}

impl Drop for InProcessGateway {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn serve(
    gateway: Arc<Gateway>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let Ok(body) = Limited::new(body, 64 << 20).collect().await else {
        let mut response = Response::new(Full::new(Bytes::from_static(b"body too large\n")));
        *response.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
        return Ok(response);
    };
    let response = gateway.handle(
        Request::from_parts(parts, body.to_bytes()),
        SystemTime::now(),
    );
    Ok(response.map(Full::new))
}
