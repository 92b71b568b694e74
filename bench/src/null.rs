//! The do-nothing server: the ceiling of what hyper on this machine can do (issue 7).
//!
//! It reads every request body completely (a gateway must, and leaving it unread would break
//! keep-alive), answers 200 with an empty body, and answers `GET /metrics` with a buffer that is
//! loaded once: "the time to stream the same bytes from a buffer" of goal c.

use std::convert::Infallible;
use std::path::Path;

use anyhow::{Context, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// Serves on `listen` until killed.
pub fn serve(listen: &str, metrics_file: Option<&Path>) -> Result<()> {
    let metrics = match metrics_file {
        Some(path) => {
            Bytes::from(std::fs::read(path).with_context(|| format!("reading {}", path.display()))?)
        }
        None => Bytes::new(),
    };
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the tokio runtime")?
        .block_on(accept_loop(listen, metrics))
}

async fn accept_loop(listen: &str, metrics: Bytes) -> Result<()> {
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("binding {listen}; is the port free?"))?;
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        // Like the sidecar: small responses must not wait for Nagle.
        let _ = stream.set_nodelay(true);
        let metrics = metrics.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| answer(request, metrics.clone()));
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn answer(
    request: Request<Incoming>,
    metrics: Bytes,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let scrape = request.method() == Method::GET && request.uri().path() == "/metrics";
    // A broken body ends the connection anyway; the answer does not matter then.
    let _ = request.into_body().collect().await;
    let body = if scrape { metrics } else { Bytes::new() };
    Ok(Response::new(Full::new(body)))
}
