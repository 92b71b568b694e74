//! Mounts the Pushgateway under `/pushgateway` of an axum application that has routes of its own.
//!
//! ```sh
//! cargo run -p pushgw-core --example axum_mount -- 127.0.0.1:3000
//! echo "some_metric 3.14" | curl --data-binary @- http://127.0.0.1:3000/pushgateway/metrics/job/some_job
//! curl http://127.0.0.1:3000/pushgateway/metrics
//! curl http://127.0.0.1:3000/hello
//! ```
//!
//! The gateway's route prefix makes it answer under `/pushgateway` (as `--web.route-prefix`
//! does for the binary), so the axum side only forwards everything below that path.

use std::sync::Arc;
use std::time::SystemTime;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use pushgw_core::gateway::{Gateway, GatewayOptions};

const MAX_BODY: usize = 32 << 20;

async fn pushgateway(State(gateway): State<Arc<Gateway>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = to_bytes(body, MAX_BODY).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large\n").into_response();
    };
    let response = gateway.handle(Request::from_parts(parts, body), SystemTime::now());
    response.map(Body::from)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let address = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3000".to_owned());
    let gateway = Arc::new(Gateway::new(GatewayOptions {
        route_prefix: "/pushgateway".to_owned(),
        start_time: SystemTime::now(),
        ..GatewayOptions::default()
    }));
    let app = Router::new()
        .route("/hello", get(|| async { "hello from the application\n" }))
        .route("/pushgateway", any(pushgateway))
        .route("/pushgateway/{*rest}", any(pushgateway))
        .with_state(gateway);
    let listener = tokio::net::TcpListener::bind(&address).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
