//! Shared helpers for the black-box tests: starting the Go Pushgateway, Prometheus and pushgw on loopback.
