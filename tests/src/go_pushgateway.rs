//! The reference: the Go Pushgateway 1.5.1 from Debian, started on a free port.

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use crate::server::ready_at;
use crate::{Error, Process, Server, ServerSpec, find_program, start_server};

/// A running Go Pushgateway (`/usr/bin/prometheus-pushgateway`, Debian package
/// `prometheus-pushgateway`), listening on 127.0.0.1 with persistence off unless the arguments
/// say otherwise. Stopped when dropped.
#[derive(Debug)]
pub struct GoPushgateway {
    server: Server,
}

impl GoPushgateway {
    /// Starts a gateway with the extra command-line `args` (e.g. `--push.disable-consistency-check`)
    /// and waits until `/-/ready` answers.
    ///
    /// `--web.listen-address` is chosen by the harness; `--persistence.file=` (off) is added unless
    /// `args` set a persistence file. A `--web.route-prefix=` or `--web.external-url=` with a path
    /// moves the readiness check under that prefix, as it moves the gateway's routes.
    ///
    /// # Panics
    ///
    /// If the binary is not installed (the message names the Debian package), or the gateway
    /// does not become ready.
    #[track_caller]
    pub fn start(args: &[&str]) -> GoPushgateway {
        let program = find_program("prometheus-pushgateway", "prometheus-pushgateway");
        GoPushgateway {
            server: start_gateway("the Go Pushgateway", &program, args),
        }
    }

    /// One gateway with default flags for the whole test binary, started on first use.
    ///
    /// Tests sharing it run concurrently against one store: each must push to its own job names,
    /// and must not expect `/metrics` to hold only its own groups. It is killed when the test
    /// binary exits.
    pub fn shared() -> &'static GoPushgateway {
        static SHARED: OnceLock<GoPushgateway> = OnceLock::new();
        SHARED.get_or_init(|| GoPushgateway::start(&[]))
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

    /// The gateway's process: logs, pid, signals.
    pub fn process(&self) -> &Process {
        &self.server.process
    }
}

/// The route prefix the gateway will serve under (spec §9.2): `--web.route-prefix`, else the
/// path of `--web.external-url`, without a trailing slash. Only the `--flag=value` spelling is
/// recognised.
/// Starts a Pushgateway-compatible binary (`program`, called `name` in messages) on a free
/// loopback port with `args`, persistence off unless `args` set a file, and waits until it has
/// logged that it listens on that port and `/-/ready` (under the route prefix `args` imply)
/// answers (only the log line with a `--web.config.file`). The Go Pushgateway and
/// `pushgw-sidecar` start the same way.
#[track_caller]
pub(crate) fn start_gateway(name: &str, program: &Path, args: &[&str]) -> Server {
    assert!(
        !args
            .iter()
            .any(|arg| arg.starts_with("--web.listen-address")),
        "the harness chooses --web.listen-address itself"
    );
    let persistence_off = !args.iter().any(|arg| arg.starts_with("--persistence.file"));
    let ready_path = format!("{}/-/ready", route_prefix(args));
    // Behind a web config, `/-/ready` may need credentials or TLS the harness does not have; the
    // log line below alone then shows that the gateway is up.
    let web_config = args.iter().any(|arg| arg.starts_with("--web.config.file"));
    let spec = ServerSpec::new(name, |port, _dir| {
        let mut command = Command::new(program);
        command.arg(format!("--web.listen-address=127.0.0.1:{port}"));
        if persistence_off {
            command.arg("--persistence.file=");
        }
        command.args(args);
        command
    })
    .ready_when(|process, port| {
        // Both log this only once the port is bound (exporter-toolkit's `Serve` in Go), so a
        // `/-/ready` answered by another process on the same port cannot fool us.
        let listening = format!("msg=\"Listening on\" address=127.0.0.1:{port}");
        if !process.stderr().contains(&listening) {
            return Err(Error::new(format!("no `{listening}` in its log yet")));
        }
        if web_config {
            return Ok(true);
        }
        ready_at(port, &ready_path)
    });
    start_server(spec)
}

pub(crate) fn route_prefix(args: &[&str]) -> String {
    let flag = |name: &str| {
        args.iter()
            .rev()
            .find_map(|arg| arg.strip_prefix(name)?.strip_prefix('='))
    };
    let prefix = match flag("--web.route-prefix") {
        Some(prefix) => prefix,
        None => flag("--web.external-url")
            .and_then(|url| url.split_once("://"))
            .and_then(|(_, rest)| rest.find('/').map(|slash| &rest[slash..]))
            .unwrap_or(""),
    };
    let prefix = prefix.trim_end_matches('/');
    if prefix.is_empty() || prefix.starts_with('/') {
        prefix.to_owned()
    } else {
        format!("/{prefix}")
    }
}

#[cfg(test)]
mod tests {
    use super::route_prefix;

    #[test]
    fn route_prefix_follows_the_flags() {
        assert_eq!(route_prefix(&[]), "");
        assert_eq!(route_prefix(&["--web.route-prefix=/pg/"]), "/pg");
        assert_eq!(route_prefix(&["--web.route-prefix=pg"]), "/pg");
        assert_eq!(
            route_prefix(&["--web.external-url=http://example.com:9091/gw/"]),
            "/gw"
        );
        assert_eq!(
            route_prefix(&["--web.external-url=http://example.com/"]),
            ""
        );
        assert_eq!(
            route_prefix(&[
                "--web.external-url=http://example.com/gw",
                "--web.route-prefix=/other"
            ]),
            "/other"
        );
    }
}
