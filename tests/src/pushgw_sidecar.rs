//! Our server binary, `pushgw-sidecar`, started like the reference, and [`Target`] to run one
//! scenario against either.

use std::fmt;

use crate::go_pushgateway::start_gateway;
use crate::{GoPushgateway, Process, Server, workspace_binary};

/// A running `pushgw-sidecar` from the workspace's target directory, listening on 127.0.0.1 with
/// persistence off unless the arguments say otherwise. Stopped when dropped.
#[derive(Debug)]
pub struct PushgwSidecar {
    server: Server,
}

impl PushgwSidecar {
    /// Starts the sidecar with the extra command-line `args` and waits until `/-/ready` answers,
    /// exactly as [`GoPushgateway::start`] does for the reference (same flag handling, same route
    /// prefix rules for the readiness check).
    ///
    /// # Panics
    ///
    /// If the binary has not been built (see [`workspace_binary`]), or it does not become ready.
    #[track_caller]
    pub fn start(args: &[&str]) -> PushgwSidecar {
        let program = workspace_binary("pushgw-sidecar", "pushgw-sidecar");
        PushgwSidecar {
            server: start_gateway("pushgw-sidecar", &program, args),
        }
    }

    /// `http://127.0.0.1:<port>`, without a trailing slash (and without any route prefix).
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// The base URL followed by `path`, e.g. `url("/metrics/job/some_job")`.
    pub fn url(&self, path: &str) -> String {
        self.server.url(path)
    }

    /// `127.0.0.1:<port>`, e.g. for a Prometheus `static_configs` target.
    pub fn address(&self) -> String {
        self.server.address()
    }

    /// The port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.server.port
    }

    /// The sidecar's process: logs, pid, signals.
    pub fn process(&self) -> &Process {
        &self.server.process
    }
}

/// Which gateway binary a scenario runs against: the reference or ours.
///
/// ```no_run
/// use pushgw_tests::{Target, http};
///
/// for target in Target::ALL {
///     let gateway = target.start(&[]);
///     let pushed = http::put(&gateway.url("/metrics/job/j"), b"some_metric 3.14\n").unwrap();
///     assert_eq!(pushed.status, 200, "{target}");
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The Go Pushgateway 1.5.1 from Debian ([`GoPushgateway`]).
    Go,
    /// Our `pushgw-sidecar` ([`PushgwSidecar`]).
    Pushgw,
}

impl Target {
    /// Both targets, the reference first.
    pub const ALL: [Target; 2] = [Target::Go, Target::Pushgw];

    /// Starts this target's binary with `args` (see [`GoPushgateway::start`]).
    #[track_caller]
    pub fn start(self, args: &[&str]) -> Gateway {
        match self {
            Target::Go => Gateway::Go(GoPushgateway::start(args)),
            Target::Pushgw => Gateway::Pushgw(PushgwSidecar::start(args)),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Target::Go => "the Go Pushgateway",
            Target::Pushgw => "pushgw-sidecar",
        })
    }
}

/// A running gateway of either [`Target`].
#[derive(Debug)]
pub enum Gateway {
    /// The reference.
    Go(GoPushgateway),
    /// Ours.
    Pushgw(PushgwSidecar),
}

impl Gateway {
    /// Which binary this is.
    pub fn target(&self) -> Target {
        match self {
            Gateway::Go(_) => Target::Go,
            Gateway::Pushgw(_) => Target::Pushgw,
        }
    }

    /// `http://127.0.0.1:<port>`, without a trailing slash (and without any route prefix).
    pub fn base_url(&self) -> String {
        match self {
            Gateway::Go(gateway) => gateway.base_url(),
            Gateway::Pushgw(gateway) => gateway.base_url(),
        }
    }

    /// The base URL followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url())
    }

    /// `127.0.0.1:<port>`.
    pub fn address(&self) -> String {
        match self {
            Gateway::Go(gateway) => gateway.address(),
            Gateway::Pushgw(gateway) => gateway.address(),
        }
    }

    /// The gateway's process: logs, pid, signals.
    pub fn process(&self) -> &Process {
        match self {
            Gateway::Go(gateway) => gateway.process(),
            Gateway::Pushgw(gateway) => gateway.process(),
        }
    }
}
