//! The Prometheus Pushgateway as an embeddable, sans-I/O library.
//!
//! `pushgw-core` owns everything the gateway knows about metrics: the exposition formats (a nom
//! parser and renderer for the text format 0.0.4, an OpenMetrics renderer, length-delimited
//! protobuf), grouping keys, the store with the reference Pushgateway's semantics, and the whole
//! HTTP API as a function from `http::Request` to `http::Response`. It deliberately knows nothing
//! of sockets, files, async runtimes or the wall clock: time is always a parameter, and the
//! `pushgw-sidecar` binary (or your own service) does the I/O.
//!
//! Data flow of a push:
//!
//! ```text
//! body ─► text::parse | proto::decode ─► Vec<MetricFamily> ─► store ─► pre-rendered bytes ─► GET /metrics
//! ```
//!
//! ```
//! use pushgw_core::text;
//!
//! let families = text::parse(b"# TYPE some_metric gauge\nsome_metric 3.14\n").unwrap();
//! let mut out = Vec::new();
//! text::render(&families, &mut out);
//! assert_eq!(out, b"# TYPE some_metric gauge\nsome_metric 3.14\n");
//! ```
#![warn(missing_docs)]

pub mod duration;
pub mod float;
pub mod gateway;
pub mod grouping;
mod gzip;
pub mod model;
pub mod openmetrics;
pub mod proto;
pub mod snapshot;
pub mod store;
pub mod text;

pub use model::{LabelPair, Metric, MetricFamily, MetricType, Value};
