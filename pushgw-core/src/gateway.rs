//! The whole Pushgateway HTTP API as a sans-I/O function from `http::Request` to `http::Response`.
