//! Embeds the whole Pushgateway in a plain hyper 1 server.
//!
//! ```sh
//! cargo run -p pushgw-core --example hyper_server -- 127.0.0.1:9091
//! echo "some_metric 3.14" | curl --data-binary @- http://127.0.0.1:9091/metrics/job/some_job
//! curl http://127.0.0.1:9091/metrics
//! ```
//!
//! The gateway is sans-I/O: the server reads each request body completely (with a cap), hands
//! the request and the current time to `Gateway::handle`, and writes the response back.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use pushgw_core::gateway::{Gateway, GatewayOptions};
use tokio::net::TcpListener;

const MAX_BODY: usize = 32 << 20;

async fn serve(
    gateway: Arc<Gateway>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            let mut response = Response::new(Full::new(Bytes::from_static(
                b"request body too large or broken\n",
            )));
            *response.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
            return Ok(response);
        }
    };
    let response = gateway.handle(Request::from_parts(parts, body), SystemTime::now());
    Ok(response.map(Full::new))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let address = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9091".to_owned());
    let listener = TcpListener::bind(&address).await?;
    println!("listening on http://{}", listener.local_addr()?);
    let gateway = Arc::new(Gateway::new(GatewayOptions {
        start_time: SystemTime::now(),
        ..GatewayOptions::default()
    }));
    loop {
        let (stream, _) = listener.accept().await?;
        let gateway = Arc::clone(&gateway);
        tokio::spawn(async move {
            let service = service_fn(move |request| serve(Arc::clone(&gateway), request));
            if let Err(err) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                eprintln!("connection error: {err}");
            }
        });
    }
}
