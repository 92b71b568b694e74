//! `pushgw-sidecar`: the drop-in replacement for the Prometheus Pushgateway server binary.
//!
//! A thin adapter around [`pushgw_core::gateway::Gateway`]: the reference's flags
//! ([`flags`]), the log ([`logging`]), the exporter-toolkit web config ([`web_config`],
//! [`auth`]), a hyper server ([`server`]), the persistence file ([`persistence`]) and signals.
//! It holds no metric logic; every HTTP answer comes from `Gateway::handle`.
//!
//! Start-up order follows the reference: flags, web config, persistence file loaded, then the
//! listeners open. A graceful shutdown (SIGINT, SIGTERM, `/-/quit`) stops accepting, drains
//! in-flight requests, persists unconditionally and exits 0.
//!
//! # Deviations from the Go Pushgateway 1.5.1
//!
//! Deliberate, from spec §17 (the reference's quirk numbers in parentheses). Everything else a
//! client can observe is meant to be the reference's; a difference not listed here is a bug.
//!
//! * Any start-up failure (bad flag, port taken, bad web config, unusable persistence file)
//!   exits non-zero with one line on stderr; the reference exits 0 on listener and web-config
//!   errors (Q15).
//! * SIGHUP persists at once and re-reads `--web.config.file`; it never terminates. The
//!   reference dies on SIGHUP without persisting, and Debian's `systemctl reload` sends it (Q9).
//! * A persistence file that cannot be read or restored is moved aside to
//!   `<file>.corrupt.<unix-time>` and never overwritten; the reference discards it and later
//!   overwrites it (Q8).
//! * The persistence file is our own format, not Go's gob (D4); writes are fsynced (file and
//!   directory), the reference's are not.
//! * Request bodies are capped (`--web.max-body-bytes`, default 32 MiB, 0 = unlimited) with
//!   `413` before being read, and again after `Content-Encoding` is undone
//!   (`--web.max-decompressed-bytes`, default 32 MiB); header and body reads have deadlines
//!   (`--web.read-header-timeout`, `--web.read-timeout`, `408`); at most
//!   `--web.max-connections` (default 512, as Prometheus) are open at once, the next one gets a
//!   `429` naming the limit and is closed. The reference has none of these (Q12).
//! * `/-/healthy` and `/-/ready` answer `500` with the errors while a scrape would fail (only
//!   possible with `--push.disable-consistency-check`); the reference answers `200` (its issue
//!   #544).
//! * A request with both `Content-Length` and `Transfer-Encoding` is read by
//!   `Transfer-Encoding` and its connection closed after the answer (RFC 9112 §6.1, hyper).
//! * `--web.config.file` is read at start-up and on SIGHUP; the reference re-reads it on every
//!   request and the certificate on every TLS handshake. TLS 1.0/1.1 are not offered (rustls),
//!   `CurveP521` is unsupported.
//!   Keys of newer exporter-toolkit versions are accepted too (`rate_limit`, inline `cert`,
//!   `key` and `client_ca`), which the 1.5.1 binary rejects.
//! * Boolean flags also accept `--flag=true|false`; the 1.5.1 binary only accepts `--flag` and
//!   `--no-flag`. `--web.local-assets` (Debian) is accepted and ignored: the UI is built in.
//! * `--help` is clap's layout (same flags and help texts); `--version` reports the Rust
//!   compiler where the reference reports its Go version. Bad flags exit 1 as in the reference,
//!   with clap's wording.
//! * Listen addresses: `vsock://` is not supported.
//! * A graceful shutdown waits at most 30 s for in-flight requests before the final persist;
//!   the reference waits indefinitely.
//! * The log keeps the reference's keys (`ts`, `caller`, `level`, `msg`) but `caller` names our
//!   source files and the messages are ours where the reference's make no sense for us.
//! * pprof (`/debug/pprof/`) does not exist.
//!
//! Pushes, parsing and the HTTP API (implemented in `pushgw-core`):
//!
//! * `/api/v1/metrics` lists groups in grouping-key order, and when several groups push one name
//!   with different HELP texts the first group in that order wins; the reference's order and
//!   winner are random (Q1).
//! * An invalid base64 job name is quoted as sent in the `400`, not as partially decoded (Q2).
//! * Pushed `push_time_seconds` and `push_failure_time_seconds` families are ignored: the gateway
//!   owns both (Q3).
//! * Protobuf pushes are validated like text pushes: metric and label names, UTF-8 strings, a
//!   value in every metric, known type numbers, at most 64 MiB per message; each is a `400` (Q5,
//!   Q6; the reference stores some of these and then fails or empties every scrape).
//! * A grouping-label value that is not UTF-8 (`%FF`) is a `400` that creates no group, and so is
//!   a rejected push whose group's timestamp series would collide with another group's (Q7; the
//!   reference creates the group and then fails every scrape and push).
//! * A gauge-histogram family must hold histogram values.
//! * `Content-Encoding: gzip` with an empty body is an empty body (Q10); a truncated gzip body is a
//!   `400` (1.5.1 stores it as an empty push); `gzip` is matched case-insensitively and framed
//!   `snappy` is accepted, as in reference v1.6+; the decompressed size is capped (`413`).
//! * Text bodies: invalid UTF-8 in a HELP text is a `400`; `# TYPE x gauge_histogram` is a `400`
//!   (1.5.1 accepts it, drops the values and then fails every scrape); histogram counts that are
//!   not whole numbers make a float histogram (1.5.1 truncates them, `-1` becomes 2^64-1).
//! * No `go_*` self-metrics; `process_*` are read from `/proc` with client_golang's names (D1).
//! * `pushgateway_http_push_size_bytes` and `pushgateway_http_push_duration_seconds` have the
//!   reference's series, counts, sums (the same approximate request size) and 10-minute window,
//!   but their quantiles come from a uniform sample of each 2-minute age bucket (nearest rank over
//!   observed values) rather than client_golang's CKMS stream: both are estimates, and they may
//!   pick a neighbouring observation.
//! * `/metrics` shows float-histogram counts and buckets as floats (1.5.1 prints `0`; its JSON API
//!   does too, and ours follows it there).
//! * `/api/v1/status` also lists our extra flags (`web.max-body-bytes`, `web.read-header-timeout`,
//!   `web.read-timeout`).
//!
//! Extensions (off by default, so a default start behaves as the reference):
//!
//! * The persistence file is versioned and checksummed (`pushgw_core::snapshot`): a torn or
//!   corrupt file is detected at start-up and moved aside, never half-restored. It also keeps
//!   each group's TTL deadline.
//! * `--persistence.sync` (needs `--persistence.file`): every push and delete is in a
//!   write-ahead log, fsynced, before it is answered; the log is replayed at start-up and
//!   compacted into the file on each persist ([`wal`]). `/api/v1/status` lists
//!   `persistence.sync` only when set.
//! * Group expiry: `--push.group-ttl=<duration>` deletes a group whose last successful push is
//!   older than that; a push URL's `ttl` query parameter (`PUT /metrics/job/x?ttl=10m`) sets the
//!   group's own TTL (`ttl=0`: never expires; an invalid value is a `400` naming the parameter).
//!   The reference ignores query parameters, so clients that send `ttl` stay portable. While
//!   expiry is in use, `/metrics` has `pushgw_expired_groups_total`, `/api/v1/metrics` an
//!   `expires_at` key for each group with a deadline, and `/api/v1/status` the flag
//!   `push.group-ttl` (only when set).
//! * Capacity limits: `--push.max-series-per-push` (`413`), `--push.max-groups` and
//!   `--push.max-series` (`429`; `push_time_seconds` and `push_failure_time_seconds` not
//!   counted), all 0 = unlimited by default. A refusal names the limit and leaves no trace in the
//!   store (not even `push_failure_time_seconds`). Once any limit flag is changed from its
//!   default, `/metrics` has `pushgw_limit_headroom{limit}` (connections, groups, series) and
//!   `pushgw_limit_rejections_total{limit}`, and `/api/v1/status` lists the changed flags.

pub mod auth;
pub mod build_info;
pub use pushgw_core::duration;
pub mod flags;
pub mod logging;
pub mod persistence;
pub mod process;
pub mod san;
pub mod server;
pub mod wal;
pub mod web_config;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use anyhow::{Context as _, bail};
use pushgw_core::gateway::{Gateway, GatewayOptions};
use tokio::signal::unix::{Signal, SignalKind, signal};
use tracing::{error, info};

use crate::build_info::BuildInfo;
use crate::flags::Flags;
use crate::persistence::{Loaded, PersistRequests, PersistenceFile, Snapshotter};
use crate::server::{App, Limits};
use crate::wal::{SnapshotId, Wal};
use crate::web_config::WebConfig;

/// The gateway's persistence bytes: the core's snapshot format (`pushgw_core::snapshot`). A file
/// it refuses (a Go gob file, a torn or corrupt one) is moved aside by [`PersistenceFile::load`].
struct GatewaySnapshots(Arc<Gateway>);

impl Snapshotter for GatewaySnapshots {
    fn snapshot(&self) -> Vec<u8> {
        self.0.snapshot()
    }

    /// Decodes on a second thread while this one builds the store: decoding is about 40 % of a
    /// restore's CPU time (perf, 1,000,000 series), and start-up waits for the whole restore.
    fn restore(&self, bytes: &[u8]) -> anyhow::Result<()> {
        let groups = pushgw_core::snapshot::groups(bytes)?;
        std::thread::scope(|scope| {
            // A few groups of slack keep both threads busy without holding many decoded.
            let (sender, receiver) = std::sync::mpsc::sync_channel(16);
            scope.spawn(move || {
                for group in groups {
                    // The receiver is gone when the restore stopped at an error.
                    if sender.send(group).is_err() {
                        break;
                    }
                }
            });
            self.0.restore_groups(receiver)
        })?;
        Ok(())
    }
}

/// Runs the server with these flags until a graceful shutdown; an error is a start-up failure.
pub async fn run(flags: Flags) -> anyhow::Result<()> {
    let build = BuildInfo::current();
    info!(
        version = format!(
            "(version={}, branch={}, revision={})",
            build.version, build.branch, build.revision
        ),
        "starting pushgw-sidecar"
    );
    info!(
        build_context = format!(
            "(rustc={}, platform={}/{})",
            build.rustc_version, build.os, build.arch
        ),
        "build context"
    );

    if flags.persistence_sync && flags.persistence_file.is_empty() {
        bail!(
            "--persistence.sync needs --persistence.file: the write-ahead log is kept next to the persistence file; set --persistence.file or drop --persistence.sync"
        );
    }

    // Signal handlers first: a SIGHUP that arrives once we listen must not kill us.
    let mut signals = Signals::install()?;

    let web_config_file =
        (!flags.web_config_file.is_empty()).then(|| PathBuf::from(&flags.web_config_file));
    let web_config = match &web_config_file {
        Some(path) => WebConfig::load(path)?,
        None => WebConfig::plain(),
    };

    let mut options = gateway_options(&flags, &build);
    // The server enforces the connection limit; the gateway reports it (with the others) only
    // when a limit flag was changed, so that a default start's own metrics are the reference's.
    let connections = options.limits.connections.clone();
    if !flags.limits_changed() {
        options.limits.connections = None;
    }
    let gateway = Arc::new(Gateway::new(options));
    let snapshots = Arc::new(GatewaySnapshots(gateway.clone()));
    let persistence =
        (!flags.persistence_file.is_empty()).then(|| PersistenceFile::new(&flags.persistence_file));
    let requests = persistence
        .as_ref()
        .map(|_| Arc::new(PersistRequests::default()));
    let wal = match &persistence {
        Some(file) => {
            let loaded = load_persistence(file, snapshots.as_ref())?;
            let sync = flags.persistence_sync;
            recover_wal(file, loaded, &snapshots, sync, requests.clone()).await?
        }
        None => None,
    };

    if let Some(ttl) = flags.group_ttl() {
        tokio::spawn(expire_groups(gateway.clone(), ttl));
    }

    let mut app = App::new(
        gateway,
        web_config.clone(),
        web_config_file,
        requests.clone(),
        Limits {
            max_body_bytes: flags.max_body_bytes(),
            read_header_timeout: non_zero(flags.web_read_header_timeout),
            read_timeout: non_zero(flags.web_read_timeout),
            connections,
        },
    );
    if let Some(wal) = &wal {
        app = app.with_wal(wal.clone());
    }
    let app = Arc::new(app);

    let listeners = server::bind(&flags.web_listen_address, flags.web_systemd_socket)?;
    let mut serving = tokio::task::JoinSet::new();
    for listener in listeners {
        log_listener(&listener, &web_config);
        serving.spawn(server::accept_loop(app.clone(), listener));
    }

    let schedule = persistence
        .clone()
        .zip(requests.clone())
        .map(|(file, requests)| {
            let snapshots = snapshots.clone();
            let wal = wal.clone();
            tokio::spawn(persistence::run_schedule(
                flags.persistence_interval,
                requests,
                app.shutdown_signal(),
                move || persist(file.clone(), snapshots.clone(), wal.clone()),
            ))
        });

    signals.wait_for_shutdown(&app, requests.as_deref()).await;

    while serving.join_next().await.is_some() {}
    info!("HTTP server stopped");
    if let Some(schedule) = schedule {
        // The schedule returns at shutdown, after finishing a write it had started.
        let _ = schedule.await;
    }
    if let Some(file) = persistence {
        persist(file, snapshots, wal).await;
    }
    Ok(())
}

/// The gateway's options from the flags.
fn gateway_options(flags: &Flags, build: &BuildInfo) -> GatewayOptions {
    GatewayOptions {
        route_prefix: flags.web_route_prefix.clone(),
        external_url: flags.web_external_url.clone(),
        telemetry_path: flags.web_telemetry_path.clone(),
        enable_admin_api: flags.web_enable_admin_api,
        enable_lifecycle: flags.web_enable_lifecycle,
        consistency_check: !flags.push_disable_consistency_check,
        enable_openmetrics: false,
        max_body_bytes: flags.max_decompressed_bytes(),
        flags: flags.status(),
        build_information: build.status_entries(),
        start_time: SystemTime::now(),
        process_metrics: Some(process::collect),
        group_ttl: flags.group_ttl(),
        limits: flags.limits(),
    }
}

/// Expires groups while no request does it (requests expire lazily too): every tenth of the TTL,
/// at least every second and at most every minute, so a group outlives its TTL by little.
async fn expire_groups(gateway: Arc<Gateway>, ttl: std::time::Duration) {
    let period = (ttl / 10).clamp(
        std::time::Duration::from_secs(1),
        std::time::Duration::from_secs(60),
    );
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let expired = gateway.expire(SystemTime::now());
        if expired > 0 {
            info!(groups = expired, "expired groups deleted");
        }
    }
}

/// Restores the persistence file before serving (spec §8, §17 Q8); returns the id of what was
/// restored.
fn load_persistence(
    file: &PersistenceFile,
    snapshots: &dyn Snapshotter,
) -> anyhow::Result<Option<SnapshotId>> {
    file.check_writable()
        .context("the persistence file's directory does not take new files")?;
    let stale = file.remove_stale_temp_files()?;
    if stale > 0 {
        info!(
            files = stale,
            "removed temp files of writes interrupted by a crash"
        );
    }
    Ok(match file.load(snapshots)? {
        Loaded::Missing => None,
        Loaded::Restored { bytes, id } => {
            info!(file = %file.path().display(), bytes, "persisted metrics loaded");
            Some(id)
        }
        Loaded::MovedAside { error, moved_to } => {
            error!(
                err = error,
                moved_to = %moved_to.display(),
                "could not load persisted metrics; the file was moved aside and the store starts empty"
            );
            None
        }
    })
}

/// Replays what a `--persistence.sync` run left in the write-ahead log on top of the loaded file,
/// and compacts it into the file at once. With `sync`, returns the log that serving writes
/// through; without, removes the log (a later start must not replay it again).
async fn recover_wal(
    file: &PersistenceFile,
    loaded: Option<SnapshotId>,
    snapshots: &Arc<GatewaySnapshots>,
    sync: bool,
    requests: Option<Arc<PersistRequests>>,
) -> anyhow::Result<Option<Arc<Wal>>> {
    let replayed = wal::replay(file, loaded, snapshots.0.as_ref()).with_context(|| {
        format!(
            "cannot replay the write-ahead log next to {}",
            file.path().display()
        )
    })?;
    if !sync && replayed.segments == 0 {
        return Ok(None);
    }
    let log = Wal::open(file.clone(), requests)?;
    log.persist(snapshots.clone()).await.with_context(|| {
        format!(
            "cannot compact the write-ahead log into {}; check the directory's space and permissions",
            file.path().display()
        )
    })?;
    if sync {
        return Ok(Some(Arc::new(log)));
    }
    drop(log);
    wal::remove_segments(file, None)?;
    info!(
        "write-ahead log compacted into the persistence file and removed (--persistence.sync is off)"
    );
    Ok(None)
}

/// The reference's start-up lines for one listener.
fn log_listener(listener: &tokio::net::TcpListener, web_config: &WebConfig) {
    let address = listener
        .local_addr()
        .map_or_else(|_| "?".to_owned(), |address| address.to_string());
    info!(address, "Listening on");
    match &web_config.tls {
        Some(tls) => {
            let http2 = tls
                .alpn_protocols
                .iter()
                .any(|protocol| protocol.as_slice() == b"h2");
            info!(http2, address, "TLS is enabled.");
        }
        None => info!(http2 = false, address, "TLS is disabled."),
    }
}

/// The signals the process handles (spec §6, §17 Q9).
struct Signals {
    terminate: Signal,
    interrupt: Signal,
    hangup: Signal,
}

impl Signals {
    fn install() -> anyhow::Result<Self> {
        Ok(Signals {
            terminate: signal(SignalKind::terminate()).context("installing the SIGTERM handler")?,
            interrupt: signal(SignalKind::interrupt()).context("installing the SIGINT handler")?,
            hangup: signal(SignalKind::hangup()).context("installing the SIGHUP handler")?,
        })
    }

    /// Handles SIGHUP (persist now, reload the web config) until SIGINT, SIGTERM or `/-/quit`
    /// asks for a graceful shutdown, which it then triggers.
    async fn wait_for_shutdown(&mut self, app: &App, requests: Option<&PersistRequests>) {
        let mut shutdown = app.shutdown_signal();
        loop {
            tokio::select! {
                _ = self.terminate.recv() => break,
                _ = self.interrupt.recv() => break,
                _ = self.hangup.recv() => {
                    info!("received SIGHUP; persisting and reloading the web config");
                    if let Some(requests) = requests {
                        requests.persist_now();
                    }
                    app.reload_web_config().await;
                }
                // `/-/quit`: the server has logged it and triggered the shutdown.
                () = server::stopped(&mut shutdown) => return,
            }
        }
        info!("received SIGINT/SIGTERM; exiting gracefully...");
        app.trigger_shutdown();
    }
}

/// One write of the persistence file (through the write-ahead log's compaction with
/// `--persistence.sync`), off the async threads; failures are logged.
async fn persist(file: PersistenceFile, snapshots: Arc<GatewaySnapshots>, wal: Option<Arc<Wal>>) {
    let path = file.path().display().to_string();
    let written = match wal {
        Some(wal) => wal.persist(snapshots).await,
        None => tokio::task::spawn_blocking(move || file.write(&snapshots.snapshot()))
            .await
            .unwrap_or_else(|err| Err(anyhow::Error::new(err))),
    };
    match written {
        Ok(()) => info!(file = path, "metrics persisted"),
        Err(err) => error!(err = format!("{err:#}"), "error persisting metrics"),
    }
}

fn non_zero(duration: std::time::Duration) -> Option<std::time::Duration> {
    (!duration.is_zero()).then_some(duration)
}
