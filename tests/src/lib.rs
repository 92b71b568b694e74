//! The black-box test harness: real servers on free loopback ports, a small HTTP client, and
//! polling with deadlines.
//!
//! Every black-box test (format oracle, sidecar, installer, tutorial, client matrix, load) talks to
//! real processes over HTTP through this crate: the Go Pushgateway (the reference, see
//! [`GoPushgateway`]), Prometheus ([`Prometheus`]) and our own binaries ([`start_server`]). It
//! deliberately knows nothing of pushgw's internals and never skips: a missing program is a test
//! failure that names the Debian package to install.
//!
//! The building blocks:
//! - [`free_port`]: a port on 127.0.0.1 that was free a moment ago; [`start_server`] retries with
//!   a fresh one when the server lost the race for it ("address already in use").
//! - [`Process`]: a child process whose output goes to log files in its own temporary directory,
//!   killed and reaped on drop, and killed too when the test binary dies, so that servers kept in
//!   a `static` (`GoPushgateway::shared`) do not outlive the tests.
//! - [`wait_until`] / [`wait_for`]: poll a condition until a deadline, then panic naming what was
//!   awaited and the last error, instead of sleeping blindly.
//! - [`http`]: `request(method, url, headers, body) -> Response`; 4xx and 5xx are ordinary
//!   responses, not errors.
//! - [`exposition`]: splitting a text exposition into per-family blocks, to compare `/metrics`
//!   of two gateways family by family.
//! - [`normalise`]: `/metrics` and `/api/v1/metrics` of two gateways with their timestamps
//!   masked, to compare what two runs of the same pushes left behind.
//! - [`dist`]: the release artifacts of `scripts/dist.sh` (tarball, `.deb`, checksums), built
//!   once per test binary.
//!
//! ```no_run
//! use pushgw_tests::{GoPushgateway, http};
//!
//! let gateway = GoPushgateway::start(&[]);
//! let pushed = http::put(&gateway.url("/metrics/job/some_job"), b"some_metric 3.14\n").unwrap();
//! assert_eq!(pushed.status, 200);
//! ```

pub mod browser;
pub mod dist;
mod error;
pub mod exposition;
mod go_pushgateway;
pub mod http;
mod in_process;
pub mod normalise;
mod port;
mod process;
mod program;
mod prometheus;
mod pushgw_sidecar;
mod server;
mod wait;

pub use error::Error;
pub use go_pushgateway::GoPushgateway;
pub use in_process::InProcessGateway;
pub use port::free_port;
pub use process::Process;
pub use program::{find_program, run_ok, stdout_ok, workspace_binary};
pub use prometheus::Prometheus;
pub use pushgw_sidecar::{Gateway, PushgwSidecar, Target};
pub use server::{Server, ServerSpec, start_server};
pub use wait::{wait_for, wait_until};
