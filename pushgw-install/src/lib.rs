//! pushgw-install: sets a training VM up as the Pushgateway hands-on text does, and proves it
//! works through the Prometheus API.
//!
//! The hands-on text has trainees unpack a tarball, hand-write a systemd unit, edit
//! `prometheus.yml` in vim, restart Prometheus and eyeball the Targets page. `pushgw-install
//! --private-ip <ip>` does the same, safely (preflight before any write, atomic replacement,
//! backups, rollback of a rejected config), idempotently (a second run touches nothing) and
//! verifiably (target `up`, a pushed probe visible in a query with `honor_labels`).
//!
//! Pure parts, testable without a machine: [`ip`] (the `--private-ip` check), [`unit`](mod@unit) (the
//! generated `pushgateway.service`), [`promyaml`] (the prometheus.yml splice), [`plan`] (file
//! changes and their diffs), [`clock`]. Parts that touch the machine: [`files`] (paths under
//! `--root`, atomic writes, backups), [`systemd`], [`prom`] and [`gateway`] (HTTP APIs),
//! [`verify`], and [`install`], which strings them together for the three commands. [`msg`] and
//! [`ui`] make every message Japanese or English and show a step list.

pub mod clock;
pub mod error;
pub mod files;
pub mod gateway;
pub mod http;
pub mod install;
pub mod ip;
pub mod msg;
pub mod plan;
pub mod prom;
pub mod promyaml;
pub mod systemd;
pub mod ui;
pub mod unit;
pub mod verify;

pub use error::{Class, Error};
