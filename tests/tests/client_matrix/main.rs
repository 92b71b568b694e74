//! The client matrix (issue 11): the client libraries people push with — Go's `client_golang`,
//! Python's `prometheus_client`, Node.js's `prom-client`, Rust's `prometheus` crate, and curl with
//! a shell batch-job wrapper — each run the same scenario against the Go Pushgateway 1.5.1 and
//! against `pushgw-sidecar`, in the same run. After every step the client's outcome (success, the
//! HTTP status, or the library's own refusal) and both gateways' `/metrics` and `/api/v1/metrics`
//! (timestamps masked) must be identical.
//!
//! Every client pushes a counter, a gauge, a histogram and a summary, with the grouping keys that
//! trip clients up (a `/`, a space, the empty string, non-ASCII), a job name with `/`, an add, the
//! formats and gzip the client offers, a delete, and the same against gateways requiring basic
//! auth. Nothing is skipped for a client that cannot do something: the step runs, and the
//! transcript (`expected/<client>.txt`, checked with expect-test, `UPDATE_EXPECT=1` regenerates)
//! records what the client does with it — a refusal, a mangled label — which both gateways must
//! see alike. The transcripts are the matrix: client × operation × format, and what came of it.
//!
//! Finally, Prometheus scraping each gateway with `honor_labels: true` must see the same series.
//!
//! The Go and Node.js clients are built once per `target/` into `target/tmp/client-matrix/`.

mod go;
mod node;
mod python;
mod rust;
mod scrape;
mod shell;
mod support;
