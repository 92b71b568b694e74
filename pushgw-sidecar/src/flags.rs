//! Command-line flags: the reference's names, defaults and syntax (spec §9.1), plus our extras.
//!
//! The reference parses flags with kingpin: `--flag=value` and `--flag value`, booleans switched
//! on by `--flag` and off by `--no-flag`, durations in Go syntax. clap handles the dotted long
//! names; [`normalize`] rewrites kingpin's `--no-<flag>` into `--<flag>=false` before clap sees
//! the arguments. `--<flag>=true|false` is also accepted (the 1.5.1 binary rejects it; accepting
//! it harms no one). [`Flags::status`] turns the values back into the strings the reference
//! reports in `/api/v1/status`.

use std::ffi::OsString;
use std::time::Duration;

use clap::{ArgAction, CommandFactory, FromArgMatches, Parser, ValueEnum};

use pushgw_core::gateway::{ConnectionLimit, Limits};

use crate::duration;

/// Boolean flags, by long name: the only ones `--no-<flag>` applies to.
const BOOLEAN_FLAGS: [&str; 5] = [
    "web.systemd-socket",
    "web.enable-lifecycle",
    "web.enable-admin-api",
    "push.disable-consistency-check",
    "persistence.sync",
];

/// The program name of Debian's Go Pushgateway, which our binary may be installed as.
const DEBIAN_PROGRAM: &str = "prometheus-pushgateway";
/// Debian builds its Pushgateway with this `--persistence.file` default, and its unit relies on
/// it (`ARGS=""` in `/etc/default/prometheus-pushgateway`): our binary installed under Debian's
/// program name keeps it, so that replacing the binary does not silently drop persistence.
pub const DEBIAN_PERSISTENCE_FILE: &str = "/var/lib/prometheus/pushgateway.data";

/// Severity threshold of the log (`--log.level`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum LogLevel {
    /// Everything.
    Debug,
    /// The default.
    Info,
    /// Warnings and errors.
    Warn,
    /// Errors only.
    Error,
}

/// Output format of the log (`--log.format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// `ts=… caller=… level=info msg="…"`, like the Go gateway.
    Logfmt,
    /// One JSON object per line.
    Json,
}

/// Every flag of the sidecar; each field's `help` is its `--help` text (the reference's verbatim
/// for the reference's flags).
#[derive(Debug, Clone, PartialEq, Eq, Parser)]
#[command(
    name = "pushgw-sidecar",
    about = "The Pushgateway",
    long_about = None,
    disable_version_flag = true,
    max_term_width = 100
)]
pub struct Flags {
    #[arg(help = "Show application version.",
          long = "version", action = ArgAction::SetTrue)]
    pub version: bool,

    #[arg(help = "Use systemd socket activation listeners instead of port listeners (Linux only).",
          long = "web.systemd-socket", value_name = "BOOL", num_args = 0..=1,
          require_equals = true, default_value = "false", default_missing_value = "true",
          value_parser = parse_bool, hide_default_value = true)]
    pub web_systemd_socket: bool,

    #[arg(help = "Addresses on which to expose metrics and web interface. Repeatable for multiple addresses. Examples: `:9100` or `[::1]:9100` for http.",
          long = "web.listen-address", value_name = "ADDRESS", default_value = ":9091",
          action = ArgAction::Append)]
    pub web_listen_address: Vec<String>,

    #[arg(
        help = "Path to configuration file that can enable TLS or authentication. See: https://github.com/prometheus/exporter-toolkit/blob/master/docs/web-configuration.md",
        long = "web.config.file",
        value_name = "FILE",
        default_value = ""
    )]
    pub web_config_file: String,

    #[arg(
        help = "Accepted for compatibility with Debian's build (/etc/default/prometheus-pushgateway); ignored, the web UI is built in.",
        long = "web.local-assets",
        value_name = "DIR",
        default_value = ""
    )]
    pub web_local_assets: String,

    #[arg(
        help = "Path under which to expose metrics.",
        long = "web.telemetry-path",
        value_name = "PATH",
        default_value = "/metrics"
    )]
    pub web_telemetry_path: String,

    #[arg(help = "The URL under which the Pushgateway is externally reachable.",
          long = "web.external-url", value_name = "URL", default_value = "",
          value_parser = parse_url)]
    pub web_external_url: String,

    #[arg(
        help = "Prefix for the internal routes of web endpoints. Defaults to the path of --web.external-url.",
        long = "web.route-prefix",
        value_name = "PREFIX",
        default_value = ""
    )]
    pub web_route_prefix: String,

    #[arg(help = "Enable shutdown via HTTP request.",
          long = "web.enable-lifecycle", value_name = "BOOL", num_args = 0..=1,
          require_equals = true, default_value = "false", default_missing_value = "true",
          value_parser = parse_bool, hide_default_value = true)]
    pub web_enable_lifecycle: bool,

    #[arg(help = "Enable API endpoints for admin control actions.",
          long = "web.enable-admin-api", value_name = "BOOL", num_args = 0..=1,
          require_equals = true, default_value = "false", default_missing_value = "true",
          value_parser = parse_bool, hide_default_value = true)]
    pub web_enable_admin_api: bool,

    #[arg(
        help = "Largest accepted request body in bytes as sent (before Content-Encoding is undone); larger bodies get 413 without being read. 0 means unlimited. (pushgw extension)",
        long = "web.max-body-bytes",
        value_name = "BYTES",
        default_value = "33554432"
    )]
    pub web_max_body_bytes: u64,

    #[arg(
        help = "Largest request body in bytes after Content-Encoding (gzip, snappy) is undone; larger bodies get 413. 0 means unlimited. (pushgw extension)",
        long = "web.max-decompressed-bytes",
        value_name = "BYTES",
        default_value = "33554432"
    )]
    pub web_max_decompressed_bytes: u64,

    #[arg(
        help = "Most connections open at once; further connections get 429 and are closed. 0 means unlimited. (pushgw extension)",
        long = "web.max-connections",
        value_name = "COUNT",
        default_value = "512"
    )]
    pub web_max_connections: usize,

    #[arg(help = "Time allowed to read a request's headers (and the TLS handshake); 0 means no limit. (pushgw extension)",
          long = "web.read-header-timeout", value_name = "DURATION", default_value = "30s",
          value_parser = parse_duration)]
    pub web_read_header_timeout: Duration,

    #[arg(help = "Time allowed to read a request's body; 0 means no limit. (pushgw extension)",
          long = "web.read-timeout", value_name = "DURATION", default_value = "5m",
          value_parser = parse_duration)]
    pub web_read_timeout: Duration,

    #[arg(
        help = "File to persist metrics. If empty, metrics are only kept in memory.",
        long = "persistence.file",
        value_name = "FILE",
        default_value = ""
    )]
    pub persistence_file: String,

    #[arg(help = "The minimum interval at which to write out the persistence file.",
          long = "persistence.interval", value_name = "DURATION", default_value = "5m",
          value_parser = parse_duration)]
    pub persistence_interval: Duration,

    #[arg(help = "Make every acknowledged push and delete durable before answering: a write-ahead log next to --persistence.file, fsynced per request (concurrent requests share one fsync) and compacted into the file on each persist. Needs --persistence.file. (pushgw extension)",
          long = "persistence.sync", value_name = "BOOL", num_args = 0..=1,
          require_equals = true, default_value = "false", default_missing_value = "true",
          value_parser = parse_bool, hide_default_value = true)]
    pub persistence_sync: bool,

    #[arg(help = "Do not check consistency of pushed metrics. DANGEROUS.",
          long = "push.disable-consistency-check", value_name = "BOOL", num_args = 0..=1,
          require_equals = true, default_value = "false", default_missing_value = "true",
          value_parser = parse_bool, hide_default_value = true)]
    pub push_disable_consistency_check: bool,

    #[arg(help = "Delete a group when its last successful push is older than this; a push's ttl URL parameter (?ttl=10m) overrides it per group. 0 means groups never expire. (pushgw extension)",
          long = "push.group-ttl", value_name = "DURATION", default_value = "0s",
          value_parser = parse_duration)]
    pub push_group_ttl: Duration,

    #[arg(
        help = "Most series (metrics) in one push; larger pushes get 413. 0 means unlimited. (pushgw extension)",
        long = "push.max-series-per-push",
        value_name = "COUNT",
        default_value = "0"
    )]
    pub push_max_series_per_push: usize,

    #[arg(
        help = "Most groups held at once; a push that would create another gets 429. 0 means unlimited. (pushgw extension)",
        long = "push.max-groups",
        value_name = "COUNT",
        default_value = "0"
    )]
    pub push_max_groups: usize,

    #[arg(
        help = "Most series held at once across all groups (push_time_seconds and push_failure_time_seconds not counted); a push that would exceed it gets 429. 0 means unlimited. (pushgw extension)",
        long = "push.max-series",
        value_name = "COUNT",
        default_value = "0"
    )]
    pub push_max_series: usize,

    #[arg(
        help = "Only log messages with the given severity or above. One of: [debug, info, warn, error]",
        long = "log.level",
        value_name = "LEVEL",
        default_value = "info",
        value_enum,
        hide_possible_values = true
    )]
    pub log_level: LogLevel,

    #[arg(
        help = "Output format of log messages. One of: [logfmt, json]",
        long = "log.format",
        value_name = "FORMAT",
        default_value = "logfmt",
        value_enum,
        hide_possible_values = true
    )]
    pub log_format: LogFormat,
}

/// Why the command line was not accepted, or that it asked for help or the version.
#[derive(Debug)]
pub enum Outcome {
    /// Run with these flags.
    Run(Box<Flags>),
    /// Print this text to stdout and exit 0 (`--help`, `--version`).
    Print(String),
    /// Print `pushgw-sidecar: error: <message>, try --help` and exit non-zero.
    Error(String),
}

impl Flags {
    /// Parses a full command line (program name first). Run under Debian's program name
    /// (`prometheus-pushgateway`), the `--persistence.file` default is Debian's
    /// ([`DEBIAN_PERSISTENCE_FILE`]) instead of empty.
    ///
    /// ```
    /// use pushgw_sidecar::flags::{Flags, Outcome, DEBIAN_PERSISTENCE_FILE};
    /// let Outcome::Run(flags) = Flags::parse_args(["pushgw-sidecar", "--no-web.enable-lifecycle"])
    /// else { panic!("not parsed") };
    /// assert!(!flags.web_enable_lifecycle);
    /// assert_eq!(flags.web_listen_address, [":9091"]);
    /// assert_eq!(flags.persistence_file, "");
    ///
    /// let Outcome::Run(debian) = Flags::parse_args(["/usr/bin/prometheus-pushgateway"])
    /// else { panic!("not parsed") };
    /// assert_eq!(debian.persistence_file, DEBIAN_PERSISTENCE_FILE);
    /// ```
    pub fn parse_args<I, T>(args: I) -> Outcome
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString>,
    {
        let args = normalize(args);
        let debian = args.first().is_some_and(|program| {
            std::path::Path::new(program).file_name() == Some(DEBIAN_PROGRAM.as_ref())
        });
        let mut command = Flags::command();
        if debian {
            command = command.mut_arg("persistence_file", |arg| {
                arg.default_value(DEBIAN_PERSISTENCE_FILE)
            });
        }
        let parsed = command
            .try_get_matches_from(args)
            .and_then(|mut matches| Flags::from_arg_matches_mut(&mut matches));
        match parsed {
            Ok(flags) if flags.version => {
                Outcome::Print(crate::build_info::BuildInfo::current().version_text())
            }
            Ok(flags) => Outcome::Run(Box::new(flags)),
            Err(err) if err.kind() == clap::error::ErrorKind::DisplayHelp => {
                Outcome::Print(err.render().to_string())
            }
            Err(err) => Outcome::Error(one_line(&err)),
        }
    }

    /// The flag values as `/api/v1/status` reports them: the reference's keys, Go's spellings
    /// (`"5m0s"`, `"true"`, addresses joined by commas), sorted by key; our extras included.
    ///
    /// ```
    /// use pushgw_sidecar::flags::{Flags, Outcome};
    /// let Outcome::Run(flags) = Flags::parse_args(["pushgw-sidecar"]) else { panic!() };
    /// let status = flags.status();
    /// assert!(status.contains(&("persistence.interval".to_owned(), "5m0s".to_owned())));
    /// ```
    pub fn status(&self) -> Vec<(String, String)> {
        let mut entries: Vec<(String, String)> = [
            ("log.format", self.log_format_name().to_owned()),
            ("log.level", self.log_level_name().to_owned()),
            ("persistence.file", self.persistence_file.clone()),
            (
                "persistence.interval",
                duration::format(self.persistence_interval),
            ),
            (
                "push.disable-consistency-check",
                self.push_disable_consistency_check.to_string(),
            ),
            ("web.config.file", self.web_config_file.clone()),
            (
                "web.enable-admin-api",
                self.web_enable_admin_api.to_string(),
            ),
            (
                "web.enable-lifecycle",
                self.web_enable_lifecycle.to_string(),
            ),
            ("web.external-url", self.web_external_url.clone()),
            ("web.listen-address", self.web_listen_address.join(",")),
            ("web.local-assets", self.web_local_assets.clone()),
            ("web.max-body-bytes", self.web_max_body_bytes.to_string()),
            (
                "web.read-header-timeout",
                duration::format(self.web_read_header_timeout),
            ),
            ("web.read-timeout", duration::format(self.web_read_timeout)),
            ("web.route-prefix", self.web_route_prefix.clone()),
            ("web.systemd-socket", self.web_systemd_socket.to_string()),
            ("web.telemetry-path", self.web_telemetry_path.clone()),
        ]
        .into_iter()
        .map(|(key, value)| (key.to_owned(), value))
        .collect();
        // Our extensions: listed only when not at their defaults, so that the map stays the
        // reference's by default.
        if let Some(ttl) = self.group_ttl() {
            entries.push(("push.group-ttl".to_owned(), duration::format(ttl)));
        }
        if self.persistence_sync {
            entries.push(("persistence.sync".to_owned(), "true".to_owned()));
        }
        for (name, value, default) in self.limit_flags() {
            if value != default {
                entries.push((name.to_owned(), value.to_string()));
            }
        }
        entries.sort();
        entries
    }

    /// `--push.group-ttl` (`None`: groups never expire).
    ///
    /// ```
    /// use pushgw_sidecar::flags::{Flags, Outcome};
    /// use std::time::Duration;
    /// let Outcome::Run(flags) = Flags::parse_args(["pushgw-sidecar", "--push.group-ttl=1h"]) else { panic!() };
    /// assert_eq!(flags.group_ttl(), Some(Duration::from_secs(3600)));
    /// assert!(flags.status().contains(&("push.group-ttl".to_owned(), "1h0m0s".to_owned())));
    /// ```
    pub fn group_ttl(&self) -> Option<Duration> {
        (!self.push_group_ttl.is_zero()).then_some(self.push_group_ttl)
    }

    /// `--web.max-body-bytes` as a cap (`None`: unlimited).
    pub fn max_body_bytes(&self) -> Option<u64> {
        (self.web_max_body_bytes != 0).then_some(self.web_max_body_bytes)
    }

    /// `--web.max-decompressed-bytes` as a cap (`None`: unlimited).
    pub fn max_decompressed_bytes(&self) -> Option<u64> {
        (self.web_max_decompressed_bytes != 0).then_some(self.web_max_decompressed_bytes)
    }

    /// The gateway's capacity limits from `--push.max-series-per-push`, `--push.max-groups`,
    /// `--push.max-series` and `--web.max-connections` (0: unlimited).
    ///
    /// ```
    /// use pushgw_sidecar::flags::{Flags, Outcome};
    /// let Outcome::Run(flags) = Flags::parse_args(["pushgw-sidecar", "--push.max-groups=10"]) else { panic!() };
    /// let limits = flags.limits();
    /// assert_eq!(limits.max_groups, Some(10));
    /// assert_eq!(limits.max_series, None);
    /// assert_eq!(limits.connections.map(|c| c.max()), Some(512));
    /// ```
    pub fn limits(&self) -> Limits {
        let set = |value: usize| (value != 0).then_some(value);
        Limits {
            max_series_per_push: set(self.push_max_series_per_push),
            max_groups: set(self.push_max_groups),
            max_series: set(self.push_max_series),
            connections: set(self.web_max_connections).map(ConnectionLimit::new),
        }
    }

    /// Whether any limit flag (`--web.max-decompressed-bytes`, `--web.max-connections`,
    /// `--push.max-*`) differs from its default: only then does `/metrics` report the limits
    /// (`pushgw_limit_*`), so that a default start's own metrics stay the reference's. The
    /// default limits are enforced either way.
    ///
    /// ```
    /// use pushgw_sidecar::flags::{Flags, Outcome};
    /// let Outcome::Run(flags) = Flags::parse_args(["pushgw-sidecar"]) else { panic!() };
    /// assert!(!flags.limits_changed());
    /// let Outcome::Run(flags) = Flags::parse_args(["pushgw-sidecar", "--web.max-connections=9"]) else { panic!() };
    /// assert!(flags.limits_changed());
    /// ```
    pub fn limits_changed(&self) -> bool {
        self.limit_flags()
            .iter()
            .any(|(_, value, default)| value != default)
    }

    /// The limit flags that the reference does not have: name, value, default.
    fn limit_flags(&self) -> [(&'static str, u64, u64); 5] {
        let defaults = Flags::defaults();
        [
            (
                "web.max-decompressed-bytes",
                self.web_max_decompressed_bytes,
                defaults.web_max_decompressed_bytes,
            ),
            (
                "web.max-connections",
                self.web_max_connections as u64,
                defaults.web_max_connections as u64,
            ),
            (
                "push.max-series-per-push",
                self.push_max_series_per_push as u64,
                defaults.push_max_series_per_push as u64,
            ),
            (
                "push.max-groups",
                self.push_max_groups as u64,
                defaults.push_max_groups as u64,
            ),
            (
                "push.max-series",
                self.push_max_series as u64,
                defaults.push_max_series as u64,
            ),
        ]
    }

    /// Every flag at its default.
    fn defaults() -> Flags {
        Flags::try_parse_from(["pushgw-sidecar"]).expect("the defaults parse")
    }

    fn log_level_name(&self) -> &'static str {
        match self.log_level {
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
        }
    }

    fn log_format_name(&self) -> &'static str {
        match self.log_format {
            LogFormat::Logfmt => "logfmt",
            LogFormat::Json => "json",
        }
    }
}

/// Rewrites kingpin's `--no-<flag>` for boolean flags into `--<flag>=false`; everything after a
/// bare `--` is left alone.
///
/// ```
/// let args = pushgw_sidecar::flags::normalize(["x", "--no-web.enable-admin-api", "--no-such"]);
/// assert_eq!(args, ["x", "--web.enable-admin-api=false", "--no-such"]);
/// ```
pub fn normalize<I, T>(args: I) -> Vec<OsString>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString>,
{
    let mut after_separator = false;
    args.into_iter()
        .map(Into::into)
        .map(|arg| {
            if after_separator {
                return arg;
            }
            if arg == "--" {
                after_separator = true;
                return arg;
            }
            match arg.to_str().and_then(|text| text.strip_prefix("--no-")) {
                Some(name) if BOOLEAN_FLAGS.contains(&name) => format!("--{name}=false").into(),
                _ => arg,
            }
        })
        .collect()
}

/// A kingpin-style boolean value.
fn parse_bool(value: &str) -> Result<bool, String> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(format!("expected true or false, got {other:?}")),
    }
}

fn parse_duration(value: &str) -> Result<Duration, String> {
    duration::parse(value).map_err(|err| err.to_string())
}

/// kingpin's URL type: what Go's `url.Parse` accepts, which is almost anything (`example.com`
/// is a relative URL whose path becomes the route prefix); the errors are Go's.
fn parse_url(value: &str) -> Result<String, String> {
    let problem = if value.starts_with(':') {
        Some("missing protocol scheme".to_owned())
    } else if value.chars().any(|c| c.is_ascii_control()) {
        Some("net/url: invalid control character in URL".to_owned())
    } else {
        bad_escape(value).map(|escape| format!("invalid URL escape {escape:?}"))
    };
    match problem {
        Some(problem) => Err(format!("invalid URL: parse {value:?}: {problem}")),
        None => Ok(value.to_owned()),
    }
}

/// The first `%` not followed by two hex digits, with what follows it (at most two characters).
fn bad_escape(value: &str) -> Option<String> {
    value.match_indices('%').find_map(|(index, _)| {
        let escape: String = value[index..].chars().take(3).collect();
        let valid = escape.len() == 3 && escape[1..].bytes().all(|b| b.is_ascii_hexdigit());
        (!valid).then_some(escape)
    })
}

/// clap's multi-line error as one line, without the usage and the "try --help" hint.
fn one_line(err: &clap::Error) -> String {
    let rendered = err.render().to_string();
    let parts: Vec<&str> = rendered
        .lines()
        .map(str::trim)
        .take_while(|line| !line.starts_with("Usage:") && !line.starts_with("For more information"))
        .filter(|line| !line.is_empty())
        .collect();
    parts.join("; ").trim_start_matches("error: ").to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Flags {
        let full = std::iter::once("pushgw-sidecar").chain(args.iter().copied());
        match Flags::parse_args(full) {
            Outcome::Run(flags) => *flags,
            other => panic!("{args:?} did not parse: {other:?}"),
        }
    }

    fn error(args: &[&str]) -> String {
        let full = std::iter::once("pushgw-sidecar").chain(args.iter().copied());
        match Flags::parse_args(full) {
            Outcome::Error(message) => message,
            other => panic!("{args:?} was accepted: {other:?}"),
        }
    }

    #[test]
    fn defaults_are_the_reference_ones() {
        let flags = parse(&[]);
        assert_eq!(flags.web_listen_address, [":9091"]);
        assert_eq!(flags.web_telemetry_path, "/metrics");
        assert_eq!(flags.persistence_file, "");
        assert_eq!(flags.persistence_interval, Duration::from_secs(300));
        assert!(!flags.web_enable_lifecycle);
        assert!(!flags.web_enable_admin_api);
        assert!(!flags.push_disable_consistency_check);
        assert_eq!(flags.log_level, LogLevel::Info);
        assert_eq!(flags.log_format, LogFormat::Logfmt);
        assert_eq!(flags.max_body_bytes(), Some(32 << 20));
    }

    #[test]
    fn values_with_equals_or_as_next_argument() {
        let flags = parse(&[
            "--web.listen-address=127.0.0.1:1",
            "--web.listen-address",
            "[::1]:2",
            "--persistence.interval",
            "1h30m",
            "--persistence.file=/tmp/x",
            "--log.level=debug",
            "--log.format",
            "json",
        ]);
        assert_eq!(flags.web_listen_address, ["127.0.0.1:1", "[::1]:2"]);
        assert_eq!(flags.persistence_interval, Duration::from_secs(5400));
        assert_eq!(flags.persistence_file, "/tmp/x");
        assert_eq!(flags.log_level, LogLevel::Debug);
        assert_eq!(flags.log_format, LogFormat::Json);
    }

    #[test]
    fn booleans_switch_on_off_and_take_explicit_values() {
        let flags = parse(&["--web.enable-lifecycle", "--web.enable-admin-api"]);
        assert!(flags.web_enable_lifecycle && flags.web_enable_admin_api);
        let flags = parse(&[
            "--no-web.enable-lifecycle",
            "--push.disable-consistency-check",
        ]);
        assert!(!flags.web_enable_lifecycle && flags.push_disable_consistency_check);
        let flags = parse(&[
            "--web.enable-lifecycle=true",
            "--web.enable-admin-api=false",
        ]);
        assert!(flags.web_enable_lifecycle && !flags.web_enable_admin_api);
        // A boolean never swallows the next argument, as in kingpin.
        assert!(error(&["--web.enable-lifecycle", "true"]).contains("'true'"));
        assert!(error(&["--web.enable-lifecycle=maybe"]).contains("maybe"));
    }

    #[test]
    fn external_urls_are_what_go_accepts() {
        for url in [
            "",
            "http://example.com/foo/",
            "example.com",
            "/foo",
            "http://x/a%20b",
        ] {
            assert_eq!(
                parse(&[&format!("--web.external-url={url}")]).web_external_url,
                url
            );
        }
    }

    #[test]
    fn debian_arguments_are_accepted() {
        let flags = parse(&[
            "--web.local-assets=/usr/share/prometheus/pushgateway",
            "--persistence.file=/var/lib/prometheus/pushgateway.data",
        ]);
        assert_eq!(flags.web_local_assets, "/usr/share/prometheus/pushgateway");
    }

    #[test]
    fn bad_values_are_one_line_errors_naming_the_value() {
        let cases = [
            (
                &["--persistence.interval=abc"][..],
                r#"time: invalid duration "abc""#,
            ),
            (&["--log.level=foo"], "foo"),
            (&["--log.format=xml"], "xml"),
            (&["--bogus"], "--bogus"),
            (&["--no-web.telemetry-path"], "--no-web.telemetry-path"),
            (&["--web.telemetry-path"], "--web.telemetry-path"),
            (&["positional"], "positional"),
            (&["--web.max-body-bytes=lots"], "lots"),
            (&["--web.external-url=:foo"], "missing protocol scheme"),
            (
                &["--web.external-url=http://x/%zz"],
                r#"invalid URL escape "%zz""#,
            ),
        ];
        for (args, needle) in cases {
            let message = error(args);
            assert!(!message.contains('\n'), "{args:?}: {message}");
            assert!(message.contains(needle), "{args:?}: {message}");
        }
    }

    #[test]
    fn help_and_version_are_printed() {
        let Outcome::Print(help) = Flags::parse_args(["pushgw-sidecar", "--help"]) else {
            panic!("no help");
        };
        for flag in [
            "--web.listen-address",
            "--web.max-body-bytes",
            "--web.max-decompressed-bytes",
            "--web.max-connections",
            "--push.max-series-per-push",
            "--push.max-groups",
            "--push.max-series",
            "--persistence.interval",
        ] {
            assert!(help.contains(flag), "{flag} missing from help");
        }
        let Outcome::Print(version) = Flags::parse_args(["pushgw-sidecar", "--version"]) else {
            panic!("no version");
        };
        assert!(version.starts_with("pushgw-sidecar, version "));
    }

    #[test]
    fn persistence_sync_is_off_by_default_and_listed_only_when_on() {
        let listed = |flags: &Flags| {
            flags
                .status()
                .into_iter()
                .find(|(name, _)| name == "persistence.sync")
        };
        let default = parse(&[]);
        assert!(!default.persistence_sync);
        assert_eq!(listed(&default), None);
        let on = parse(&["--persistence.sync", "--persistence.file=/tmp/x"]);
        assert!(on.persistence_sync);
        assert_eq!(
            listed(&on),
            Some(("persistence.sync".to_owned(), "true".to_owned()))
        );
        assert!(!parse(&["--no-persistence.sync"]).persistence_sync);
    }

    #[test]
    fn limits_have_safe_defaults_and_zero_means_unlimited() {
        let flags = parse(&[]);
        assert_eq!(flags.max_decompressed_bytes(), Some(32 << 20));
        let limits = flags.limits();
        assert_eq!(limits.connections.map(|c| c.max()), Some(512));
        assert_eq!(
            (
                limits.max_series_per_push,
                limits.max_groups,
                limits.max_series
            ),
            (None, None, None)
        );
        assert!(!flags.limits_changed());
        let status = flags.status();
        assert!(!status.iter().any(|(name, _)| name.starts_with("push.max")));

        let flags = parse(&[
            "--web.max-connections=0",
            "--web.max-decompressed-bytes=0",
            "--push.max-series-per-push=10",
            "--push.max-groups=20",
            "--push.max-series=30",
        ]);
        let limits = flags.limits();
        assert!(limits.connections.is_none());
        assert_eq!(flags.max_decompressed_bytes(), None);
        assert_eq!(
            (
                limits.max_series_per_push,
                limits.max_groups,
                limits.max_series
            ),
            (Some(10), Some(20), Some(30))
        );
        assert!(flags.limits_changed());
        let status = flags.status();
        for entry in [
            ("push.max-groups", "20"),
            ("push.max-series", "30"),
            ("push.max-series-per-push", "10"),
            ("web.max-connections", "0"),
            ("web.max-decompressed-bytes", "0"),
        ] {
            assert!(
                status.contains(&(entry.0.to_owned(), entry.1.to_owned())),
                "{entry:?}"
            );
        }
        assert!(error(&["--push.max-groups=-1"]).contains("-1"));
    }

    #[test]
    fn status_uses_the_reference_spellings() {
        let flags = parse(&[
            "--web.listen-address=127.0.0.1:19106",
            "--web.listen-address=127.0.0.1:19107",
            "--persistence.interval=1h30m",
            "--web.enable-lifecycle",
        ]);
        let status = flags.status();
        let get = |key: &str| {
            status
                .iter()
                .find(|(name, _)| name == key)
                .map(|(_, value)| value.as_str())
        };
        assert_eq!(
            get("web.listen-address"),
            Some("127.0.0.1:19106,127.0.0.1:19107")
        );
        assert_eq!(get("persistence.interval"), Some("1h30m0s"));
        assert_eq!(get("web.enable-lifecycle"), Some("true"));
        assert_eq!(get("web.enable-admin-api"), Some("false"));
        assert_eq!(get("log.level"), Some("info"));
        assert_eq!(get("web.read-header-timeout"), Some("30s"));
        assert!(status.windows(2).all(|pair| pair[0].0 < pair[1].0));
    }
}
