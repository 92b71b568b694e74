//! The whole Pushgateway HTTP API as a sans-I/O function from `http::Request` to `http::Response`.
// The router is wired into `Gateway::handle` together with the store; until then only its tests use it.
#![allow(dead_code)]

mod body;
mod route;
