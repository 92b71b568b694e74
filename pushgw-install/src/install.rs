//! The three commands: `install` (preflight, plan, apply, start, reload, verify), `verify` and
//! `uninstall`. This is where the pure parts meet the machine; every check that can fail runs
//! before the first write, so a refused run leaves the target system as it was.

use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use crate::clock;
use crate::error::{Class, Error, Result};
use crate::files::{self, Existing, Root};
use crate::gateway::Gateway;
use crate::ip::PrivateIp;
use crate::plan::{Action, Change, Content, Plan};
use crate::prom::{Flags, PromError, Prometheus};
use crate::promyaml::{self, Added, JobSpec, OnConflict, SpliceError};
use crate::systemd::{self, Verified};
use crate::ui::Ui;
use crate::unit::{self, Existing as ExistingUnit, UnitSpec};
use crate::verify;

/// Where the hands-on text puts the gateway binary.
pub const DEFAULT_INSTALL_PATH: &str = "/usr/local/src/prometheus/pushgateway-server/pushgateway";
/// Where the hands-on text writes the unit.
pub const DEFAULT_UNIT_PATH: &str = "/usr/lib/systemd/system/pushgateway.service";
/// Where the config is looked for after `--prometheus-config` and the running server's flags:
/// the hands-on text's tarball layout, then Debian's package.
pub const CONFIG_CANDIDATES: [&str; 2] = [
    "/usr/local/src/prometheus/prometheus-server/prometheus.yml",
    "/etc/prometheus/prometheus.yml",
];
/// The name of the binary to install (pushgw-sidecar's release layout).
pub const SIDECAR: &str = "pushgw-sidecar";
/// How long a (re)started gateway or a reloading Prometheus may take.
const SERVICE_TIMEOUT: Duration = Duration::from_secs(30);

/// Who starts the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ServiceManager {
    /// systemctl daemon-reload, enable, start; then verify.
    Systemd,
    /// Write and check the files and reload Prometheus only (containers, image builds, tests).
    None,
}

/// Everything the commands need, from the command line.
#[derive(Debug, Clone)]
pub struct Options {
    /// The target system's `/`.
    pub root: PathBuf,
    /// The gateway's port.
    pub listen_port: u16,
    /// prometheus.yml on the target system, when given.
    pub prometheus_config: Option<PathBuf>,
    /// Prometheus' base URL.
    pub prometheus_url: String,
    /// Who starts the gateway.
    pub service_manager: ServiceManager,
    /// Show the changes, write nothing.
    pub dry_run: bool,
    /// Replace a differing `pushgateway` job.
    pub force: bool,
    /// How long verification waits.
    pub timeout: Option<Duration>,
    /// The VM's private address (install, verify).
    pub private_ip: Option<PrivateIp>,
    /// The binary to install, on this machine (a file or a directory holding `pushgw-sidecar`).
    pub binary: Option<PathBuf>,
    /// Where the binary goes on the target system.
    pub install_path: PathBuf,
    /// Where the unit goes on the target system.
    pub unit_path: PathBuf,
}

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Files were written (or removed).
    Changed,
    /// Everything was right already.
    NothingChanged,
    /// `--dry-run`: the changes were shown, nothing was written.
    DryRun,
}

/// The prometheus.yml being edited.
#[derive(Debug)]
struct ConfigFile {
    /// The target-system path, symlinks resolved.
    target: PathBuf,
    host: PathBuf,
    existing: Existing,
    text: String,
}

/// `pushgw-install install`.
pub fn install(options: &Options, ui: &Ui) -> Result<Outcome> {
    let private_ip = require_ip(options)?;
    let root = Root::new(&options.root);
    let external_url = unit::external_url(private_ip.addr);

    let step = ui.step("Preflight checks", "事前チェック");
    let preflight = (|| {
        if !private_ip.rfc1918 {
            step.note(&format!(
                "{} {}",
                private_ip.addr,
                ui.pick(
                    "is not in a private (RFC 1918) range; continuing",
                    "はプライベート (RFC 1918) アドレスではありませんが、続行します"
                )
            ));
        }
        check_privileges(options, &root)?;
        check_service_manager(options, &root)?;
        let source = find_binary(options.binary.as_deref())?;
        step.note(&format!(
            "{}: {}",
            ui.pick("binary", "バイナリ"),
            source.display()
        ));
        let unit_spec = UnitSpec {
            binary: &options.install_path,
            port: options.listen_port,
            private_ip: private_ip.addr,
        };
        let unit_text = unit::render(&unit_spec).map_err(usage)?;
        let prometheus = Prometheus::new(&options.prometheus_url);
        let flags = prometheus_flags(&prometheus, options, ui, &step)?;
        let config = find_config(options, &root, &prometheus, flags.as_ref())?;
        step.note(&format!("prometheus.yml: {}", config.target.display()));
        let job = JobSpec {
            port: options.listen_port,
            private_ip: private_ip.addr,
        };
        let on_conflict = if options.force {
            OnConflict::Replace
        } else {
            OnConflict::Refuse
        };
        for other in promyaml::other_jobs_scraping(&config.text, job) {
            step.note(&format!(
                "{}: `{other}` {}",
                ui.pick("warning", "警告"),
                ui.pick(
                    "scrapes the gateway too; with the new job its series would be scraped twice, consider removing it",
                    "も Pushgateway をスクレイプしています。新しいジョブと二重になるので削除を検討してください"
                )
            ));
        }
        let new_config = match promyaml::add_job(&config.text, job, on_conflict) {
            Ok(Added::AlreadyConfigured) => None,
            Ok(Added::Patched(text)) => Some(text),
            Err(error) => return Err(splice_error(&config, error, ui)),
        };
        if let Some(text) = &new_config {
            promtool_check(&config, text, options.dry_run, &step, ui)?;
            if !options.dry_run {
                check_reload_possible(&prometheus, flags.as_ref(), options)?;
            }
        }
        if options.service_manager == ServiceManager::Systemd {
            check_debian_gateway(&step, ui)?;
        }
        check_port(options.listen_port, &step, ui)?;
        // Checked with the source binary in ExecStart: the installed one does not exist yet.
        let check_text = unit::render(&UnitSpec {
            binary: &source,
            ..unit_spec
        })
        .map_err(usage)?;
        if systemd::analyze_verify(&check_text)? == Verified::ToolMissing {
            step.note(ui.pick(
                "systemd-analyze is not installed: the unit was not verified (apt-get install systemd)",
                "systemd-analyze がないためユニットを検査できませんでした (apt-get install systemd)",
            ));
        }
        Ok((source, unit_text, prometheus, flags, config, new_config))
    })();
    let (source, unit_text, prometheus, flags, config, new_config) = match preflight {
        Ok(checked) => {
            step.done("OK");
            checked
        }
        Err(error) => {
            step.fail("");
            return Err(error);
        }
    };

    let owner = files::effective_uid()
        .filter(|&uid| uid == 0)
        .map(|_| (0, 0));
    let binary_bytes = std::fs::read(&source).map_err(|error| read_error(&source, &error))?;
    let unit_host = root.host(&options.unit_path);
    let old_unit = read_host(&unit_host)?;
    if let Some(old) = &old_unit
        && old.bytes != unit_text.as_bytes()
    {
        let why = match unit::classify(&String::from_utf8_lossy(&old.bytes)) {
            ExistingUnit::DanglingBackslash { line } => format!(
                "{} {line}: {}",
                options.unit_path.display(),
                ui.pick(
                    "ends with a dangling `\\` (the hands-on text's trap); it is backed up and replaced",
                    "行末に余分な `\\` があります (手順書の落とし穴)。バックアップして置き換えます"
                )
            ),
            ExistingUnit::Generated | ExistingUnit::Other => format!(
                "{}: {}",
                options.unit_path.display(),
                ui.pick(
                    "differs from the generated unit; it is backed up and replaced",
                    "生成するユニットと異なるため、バックアップして置き換えます"
                )
            ),
        };
        ui.line(&format!("    {why}"));
    }
    let mut changes = vec![
        Change {
            host: root.host(&options.install_path),
            old: read_host(&root.host(&options.install_path))?,
            target: options.install_path.clone(),
            new: Some(Content {
                bytes: binary_bytes,
                mode: 0o755,
                owner,
            }),
            backup: false,
        },
        Change {
            target: options.unit_path.clone(),
            host: unit_host,
            old: old_unit,
            new: Some(Content {
                bytes: unit_text.into_bytes(),
                mode: 0o644,
                owner,
            }),
            backup: true,
        },
    ];
    if let Some(text) = new_config {
        changes.push(config_change(&config, text.into_bytes()));
    }
    let plan = Plan { changes };
    if options.dry_run {
        return Ok(show_dry_run(&plan, ui));
    }

    let step = ui.step("Write files", "ファイルの書き込み");
    let applied = apply(&plan).inspect_err(|_| step.fail(""))?;
    for file in &applied {
        step.note(&describe_applied(file, ui));
    }
    if applied.is_empty() {
        step.skip(ui.pick("all files are up to date", "すべて最新です"));
    } else {
        step.done(&applied.len().to_string());
    }
    let changed = |path: &Path| plan.changed(path).is_some();
    let gateway = Gateway::on_port(options.listen_port);

    if options.service_manager == ServiceManager::Systemd {
        start_service(
            changed(&options.unit_path),
            changed(&options.install_path),
            &gateway,
            &external_url,
            ui,
        )?;
    }
    if let Some(flags) = &flags
        && changed(&config.target)
    {
        let backup = applied
            .iter()
            .find(|file| file.target == config.target)
            .and_then(|file| file.backup.clone());
        reload_prometheus(&prometheus, flags, options, &config, backup.as_deref(), ui)?;
    }

    match options.service_manager {
        ServiceManager::Systemd => verify::run(
            &verify::Checks {
                prometheus: &prometheus,
                gateway: &gateway,
                external_url: Some(&external_url),
                timeout: options.timeout,
            },
            ui,
        )?,
        ServiceManager::None => ui.line(&format!(
            "{}\n    ExecStart={}",
            ui.pick(
                "--service-manager=none: nothing was started. Start the gateway as the unit does, then run `pushgw-install verify`:",
                "--service-manager=none のため何も起動していません。ユニットと同じコマンドで Pushgateway を起動してから `pushgw-install verify` を実行してください:"
            ),
            unit::exec_start(&UnitSpec {
                binary: &options.install_path,
                port: options.listen_port,
                private_ip: private_ip.addr,
            })
            .map_err(usage)?
            .join(" ")
        )),
    }
    print_next_steps(&prometheus, private_ip.addr, options.listen_port, ui);
    Ok(finish(plan.is_noop(), ui))
}

/// `pushgw-install verify`.
pub fn verify(options: &Options, ui: &Ui) -> Result<Outcome> {
    let prometheus = Prometheus::new(&options.prometheus_url);
    let gateway = Gateway::on_port(options.listen_port);
    let external_url = options.private_ip.map(|ip| unit::external_url(ip.addr));
    verify::run(
        &verify::Checks {
            prometheus: &prometheus,
            gateway: &gateway,
            external_url: external_url.as_deref(),
            timeout: options.timeout,
        },
        ui,
    )?;
    if let Some(ip) = options.private_ip {
        print_next_steps(&prometheus, ip.addr, options.listen_port, ui);
    }
    Ok(Outcome::NothingChanged)
}

/// `pushgw-install uninstall`.
pub fn uninstall(options: &Options, ui: &Ui) -> Result<Outcome> {
    let root = Root::new(&options.root);
    let step = ui.step("Preflight checks", "事前チェック");
    let preflight = (|| {
        check_privileges(options, &root)?;
        check_service_manager(options, &root)?;
        let prometheus = Prometheus::new(&options.prometheus_url);
        let flags = prometheus_flags(&prometheus, options, ui, &step)?;
        let config = find_config(options, &root, &prometheus, flags.as_ref())?;
        let restored =
            promyaml::remove_job(&config.text).map_err(|error| splice_error(&config, error, ui))?;
        if restored.is_some() && !options.dry_run {
            check_reload_possible(&prometheus, flags.as_ref(), options)?;
        }
        Ok((prometheus, flags, config, restored))
    })();
    let (prometheus, flags, config, restored) = match preflight {
        Ok(checked) => {
            step.done("OK");
            checked
        }
        Err(error) => {
            step.fail("");
            return Err(error);
        }
    };
    let unit_host = root.host(&options.unit_path);
    let old_unit = read_host(&unit_host)?;
    let unit_is_ours = old_unit.as_ref().is_some_and(|old| {
        unit::classify(&String::from_utf8_lossy(&old.bytes)) == ExistingUnit::Generated
    });
    let mut changes = Vec::new();
    if unit_is_ours {
        changes.push(Change {
            target: options.unit_path.clone(),
            host: unit_host,
            old: old_unit,
            new: None,
            backup: false,
        });
        let binary_host = root.host(&options.install_path);
        changes.push(Change {
            target: options.install_path.clone(),
            old: read_host(&binary_host)?,
            host: binary_host,
            new: None,
            backup: false,
        });
    } else if old_unit.is_some() {
        ui.line(&format!(
            "    {}: {}",
            options.unit_path.display(),
            ui.pick(
                "not written by pushgw-install; left in place with its binary",
                "pushgw-install が書いたものではないため、バイナリとともにそのまま残します"
            )
        ));
    }
    if let Some(text) = restored {
        changes.push(config_change(&config, text.into_bytes()));
    }
    let plan = Plan { changes };
    if options.dry_run {
        return Ok(show_dry_run(&plan, ui));
    }
    if options.service_manager == ServiceManager::Systemd && unit_is_ours {
        let step = ui.step("Stop and disable the service", "サービスの停止と無効化");
        systemd::systemctl(&["disable", "--now", unit::UNIT_NAME])
            .inspect_err(|_| step.fail(""))?;
        step.done(unit::UNIT_NAME);
    }
    let step = ui.step("Remove files", "ファイルの削除");
    let applied = apply(&plan).inspect_err(|_| step.fail(""))?;
    for file in &applied {
        step.note(&describe_applied(file, ui));
    }
    step.done(&applied.len().to_string());
    if options.service_manager == ServiceManager::Systemd && unit_is_ours {
        systemd::systemctl(&["daemon-reload"])?;
    }
    if let Some(flags) = &flags
        && plan.changed(&config.target).is_some()
    {
        let backup = applied
            .iter()
            .find(|file| file.target == config.target)
            .and_then(|file| file.backup.clone());
        reload_prometheus(&prometheus, flags, options, &config, backup.as_deref(), ui)?;
    }
    Ok(finish(plan.is_noop(), ui))
}

fn finish(noop: bool, ui: &Ui) -> Outcome {
    if noop {
        ui.line(ui.pick(
            "Nothing changed: everything was already in place.",
            "変更はありません: すべて設定済みです。",
        ));
        Outcome::NothingChanged
    } else {
        ui.line(ui.pick("Done.", "完了しました。"));
        Outcome::Changed
    }
}

fn show_dry_run(plan: &Plan, ui: &Ui) -> Outcome {
    let diff = plan.diff();
    if diff.is_empty() {
        ui.line(ui.pick(
            "Dry run: nothing would change.",
            "ドライラン: 変更はありません。",
        ));
    } else {
        ui.line(&diff);
        ui.line(ui.pick(
            "Dry run: nothing was written.",
            "ドライラン: 何も書き込んでいません。",
        ));
    }
    Outcome::DryRun
}

fn describe_applied(file: &crate::plan::Applied, ui: &Ui) -> String {
    let verb = match file.action {
        Action::Create => ui.pick("created", "作成"),
        Action::Replace => ui.pick("replaced", "置換"),
        Action::Remove => ui.pick("removed", "削除"),
        Action::Keep => ui.pick("kept", "維持"),
    };
    match &file.backup {
        Some(backup) => format!(
            "{verb} {} ({}: {})",
            file.target.display(),
            ui.pick("backup", "バックアップ"),
            backup.display()
        ),
        None => format!("{verb} {}", file.target.display()),
    }
}

fn print_next_steps(prometheus: &Prometheus, ip: Ipv4Addr, port: u16, ui: &Ui) {
    ui.line(ui.pick("Next, as in the hands-on text:", "次は手順書のとおりに:"));
    ui.line(&format!(
        "    {}: http://<spring_board_fqdn>/{ip}/pushgateway/",
        ui.pick("Pushgateway web UI", "Pushgateway の Web UI")
    ));
    ui.line(&format!(
        "    {}: echo \"some_metric 3.14\" | curl --data-binary @- http://127.0.0.1:{port}/metrics/job/some_job",
        ui.pick("push", "push")
    ));
    ui.line(&format!(
        "    {}: {}",
        ui.pick("graph of some_metric", "some_metric のグラフ"),
        prometheus.url("/graph?g0.expr=some_metric&g0.tab=0")
    ));
}

fn require_ip(options: &Options) -> Result<PrivateIp> {
    options.private_ip.ok_or_else(|| {
        Error::new(
            Class::Usage,
            "--private-ip is required: pass the VM's private IPv4 address, e.g. --private-ip 10.0.0.5",
            "--private-ip が必要です。VM のプライベート IPv4 アドレスを指定してください (例: --private-ip 10.0.0.5)",
        )
    })
}

fn usage(error: impl std::fmt::Display) -> Error {
    Error::new(
        Class::Usage,
        error.to_string(),
        format!("引数が正しくありません: {error}"),
    )
}

/// Root is needed to write the real system or to talk to systemd; a dry run, or files written
/// into another `--root` without systemd (image builds, tests), can do without.
fn check_privileges(options: &Options, root: &Root) -> Result<()> {
    let needs_root = !options.dry_run
        && (root.is_system_root() || options.service_manager == ServiceManager::Systemd);
    if needs_root && files::effective_uid() != Some(0) {
        return Err(Error::new(
            Class::Permission,
            "pushgw-install must run as root to change the system: try `sudo pushgw-install ...` \
             (or --dry-run to only see the changes)",
            "システムを変更するには root 権限が必要です。`sudo pushgw-install ...` で実行してください \
             (変更内容の確認だけなら --dry-run)",
        ));
    }
    Ok(())
}

fn check_service_manager(options: &Options, root: &Root) -> Result<()> {
    if options.service_manager == ServiceManager::None {
        return Ok(());
    }
    if !root.is_system_root() {
        return Err(Error::new(
            Class::Usage,
            format!(
                "--root {} needs --service-manager=none: systemd manages only this machine's own /",
                options.root.display()
            ),
            format!(
                "--root {} には --service-manager=none が必要です (systemd が管理するのはこのマシンの / だけです)",
                options.root.display()
            ),
        ));
    }
    if !systemd::is_running() && !options.dry_run {
        return Err(Error::new(
            Class::Environment,
            "systemd is not running here (no /run/systemd/system, e.g. a container): pass \
             --service-manager=none to only write and check the files, then start the gateway \
             yourself and run `pushgw-install verify`",
            "このマシンでは systemd が動いていません (/run/systemd/system がありません。コンテナなど)。\
             --service-manager=none を付けるとファイルの書き込みと検査だけを行います。その後 Pushgateway を\
             自分で起動して `pushgw-install verify` を実行してください",
        ));
    }
    Ok(())
}

/// The binary to install: `--binary` (a file, or a directory such as an unpacked release holding
/// `pushgw-sidecar`), else `pushgw-sidecar` next to this installer, else on `PATH`.
fn find_binary(flag: Option<&Path>) -> Result<PathBuf> {
    let not_found = |looked: String| {
        Error::new(
            Class::Environment,
            format!(
                "the gateway binary `{SIDECAR}` was not found ({looked}): unpack the pushgw release \
                 next to pushgw-install or pass --binary PATH"
            ),
            format!(
                "Pushgateway のバイナリ `{SIDECAR}` が見つかりません ({looked})。pushgw のリリースを \
                 pushgw-install と同じ場所に展開するか、--binary でパスを指定してください"
            ),
        )
    };
    if let Some(path) = flag {
        let candidate = if path.is_dir() {
            path.join(SIDECAR)
        } else {
            path.to_owned()
        };
        return if files::is_executable(&candidate) {
            Ok(candidate)
        } else {
            Err(not_found(format!("--binary {}", candidate.display())))
        };
    }
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.join(SIDECAR)));
    if let Some(beside) = beside.as_ref().filter(|path| files::is_executable(path)) {
        return Ok(beside.clone());
    }
    files::which(SIDECAR).ok_or_else(|| {
        let beside = beside.map_or_else(String::new, |path| format!("{}, ", path.display()));
        not_found(format!("{beside}PATH"))
    })
}

fn prometheus_unreachable(prometheus: &Prometheus, error: &PromError) -> Error {
    Error::new(
        Class::Prometheus,
        format!(
            "Prometheus does not answer at {} ({error}): start it (`systemctl start prometheus`) \
             or pass --prometheus-url",
            prometheus.url("/api/v1/status/flags")
        ),
        format!(
            "{} の Prometheus が応答しません ({error})。Prometheus を起動するか \
             (`systemctl start prometheus`)、--prometheus-url で URL を指定してください",
            prometheus.url("/api/v1/status/flags")
        ),
    )
}

/// The running Prometheus' flags; a dry run goes on without them.
fn prometheus_flags(
    prometheus: &Prometheus,
    options: &Options,
    ui: &Ui,
    step: &crate::ui::Step,
) -> Result<Option<Flags>> {
    match prometheus.flags() {
        Ok(flags) => Ok(Some(flags)),
        Err(error) if options.dry_run => {
            step.note(&format!(
                "{}: {}",
                ui.pick("warning", "警告"),
                prometheus_unreachable(prometheus, &error).message(ui.lang)
            ));
            Ok(None)
        }
        Err(error) => Err(prometheus_unreachable(prometheus, &error)),
    }
}

/// prometheus.yml: `--prometheus-config`, else the running server's `config.file`, else the
/// hands-on text's path, else Debian's (spec/installer.md §2.3). Paths are on the target system.
fn find_config(
    options: &Options,
    root: &Root,
    prometheus: &Prometheus,
    flags: Option<&Flags>,
) -> Result<ConfigFile> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    match &options.prometheus_config {
        Some(path) => candidates.push(path.clone()),
        None => {
            if let Some(flags) = flags.filter(|flags| !flags.config_file.is_empty()) {
                let path = PathBuf::from(&flags.config_file);
                if path.is_absolute() {
                    candidates.push(path);
                } else if let Ok(Some(cwd)) = prometheus.cwd() {
                    candidates.push(cwd.join(path));
                }
            }
            candidates.extend(CONFIG_CANDIDATES.iter().map(PathBuf::from));
        }
    }
    // Symbolic links are followed inside the root: an absolute link target means the target
    // system's path, not this machine's.
    let found = candidates.iter().find_map(|candidate| {
        let resolved = root.resolve(candidate).ok()?;
        root.host(&resolved).is_file().then_some(resolved)
    });
    let Some(target) = found else {
        let looked = candidates
            .iter()
            .map(|path| root.host(path).display().to_string())
            .collect::<Vec<_>>()
            .join(", ");
        return Err(Error::new(
            Class::Config,
            format!("prometheus.yml not found (looked at {looked}): pass --prometheus-config PATH"),
            format!(
                "prometheus.yml が見つかりません (探した場所: {looked})。--prometheus-config で指定してください"
            ),
        ));
    };
    let host = root.host(&target);
    let existing =
        read_host(&host)?.ok_or_else(|| read_error(&host, &io::ErrorKind::NotFound.into()))?;
    let text = String::from_utf8(existing.bytes.clone()).map_err(|_| {
        Error::new(
            Class::Config,
            format!("{} is not UTF-8 text: Prometheus cannot read it either; fix its encoding", host.display()),
            format!("{} が UTF-8 テキストではありません (Prometheus も読めません)。文字コードを直してください", host.display()),
        )
    })?;
    Ok(ConfigFile {
        target,
        host,
        existing,
        text,
    })
}

fn splice_error(config: &ConfigFile, error: SpliceError, ui: &Ui) -> Error {
    let path = config.host.display();
    if let SpliceError::Conflict { forced, .. } = &error {
        let change = config_change(config, forced.clone().into_bytes());
        ui.line(&change.diff());
    }
    Error::new(
        Class::Config,
        format!("{path}: {error}"),
        format!(
            "{path}: {} ({error})",
            match &error {
                SpliceError::Yaml(_) =>
                    "YAML として読めません。Prometheus も読めないので、エラー位置を直してください",
                SpliceError::NotAMapping =>
                    "トップレベルが `global:` や `scrape_configs:` のようなキーの並びになっていません",
                SpliceError::NotAList => "`scrape_configs` がジョブのリストになっていません",
                SpliceError::InlineValue { .. } =>
                    "`scrape_configs` の値が同じ行に書かれています。`scrape_configs:` だけの行にしてジョブをその下に書いてから再実行してください",
                SpliceError::DuplicateJob(_) =>
                    "`pushgateway` ジョブが複数あります。Prometheus は 1 つしか受け付けないので、余分なものを消してください",
                SpliceError::Conflict { .. } =>
                    "手順書と異なる `pushgateway` ジョブがすでにあります (honor_labels: true が必要)。置き換えるには --force を付けて再実行してください (上の差分が変更内容です)",
                SpliceError::Layout(_) =>
                    "ファイルの書き方が特殊なため安全に編集できません。手順書のとおりにジョブを手で追加してください",
                SpliceError::UnterminatedBlock(_) =>
                    "pushgw-install のブロックの BEGIN はありますが END がありません。手で直してください",
            }
        ),
    )
}

/// The new prometheus.yml, same owner and mode as the old one, backed up first.
fn config_change(config: &ConfigFile, bytes: Vec<u8>) -> Change {
    Change {
        target: config.target.clone(),
        host: config.host.clone(),
        old: Some(config.existing.clone()),
        new: Some(Content {
            bytes,
            mode: config.existing.mode,
            owner: Some((config.existing.uid, config.existing.gid))
                .filter(|_| files::effective_uid() == Some(0)),
        }),
        backup: true,
    }
}

/// `promtool check config` on the candidate, written next to the real file because promtool
/// resolves relative `rule_files` against the file's directory (spec/installer.md §0.2). A dry
/// run writes nothing, so it checks a copy elsewhere with `--syntax-only`.
fn promtool_check(
    config: &ConfigFile,
    text: &str,
    dry_run: bool,
    step: &crate::ui::Step,
    ui: &Ui,
) -> Result<()> {
    let Some(promtool) = files::which("promtool") else {
        step.note(ui.pick(
            "promtool is not installed: the new prometheus.yml was checked by parsing only (apt-get install prometheus)",
            "promtool がないため、新しい prometheus.yml は構文解析だけで検査しました (apt-get install prometheus)",
        ));
        return Ok(());
    };
    let dir = config.host.parent().unwrap_or(Path::new("/"));
    let candidate = if dry_run {
        tempfile::Builder::new().suffix(".yml").tempfile()
    } else {
        tempfile::Builder::new()
            .prefix(".prometheus.yml.pushgw-install-check.")
            .suffix(".yml")
            .tempfile_in(dir)
    };
    let io_error = |error: io::Error| {
        Error::new(
            Class::Write,
            format!(
                "cannot write a temporary copy of prometheus.yml in {} to check it: {error}",
                dir.display()
            ),
            format!(
                "検査用の prometheus.yml の一時ファイルを {} に書けません: {error}",
                dir.display()
            ),
        )
    };
    let candidate = candidate.map_err(io_error)?;
    std::fs::write(candidate.path(), text).map_err(io_error)?;
    let mut command = Command::new(&promtool);
    command.args(["check", "config"]);
    if dry_run {
        command.arg("--syntax-only");
    }
    let output = command.arg(candidate.path()).output().map_err(io_error)?;
    if output.status.success() {
        return Ok(());
    }
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
    .replace(
        &candidate.path().display().to_string(),
        &config.host.display().to_string(),
    );
    Err(Error::new(
        Class::Config,
        format!(
            "promtool rejects {} with the pushgateway job added:\n{}\nfix the file (it is unchanged) and re-run",
            config.host.display(),
            said.trim()
        ),
        format!(
            "pushgateway ジョブを追加した {} を promtool が拒否しました:\n{}\nファイルは変更していません。直してから再実行してください",
            config.host.display(),
            said.trim()
        ),
    ))
}

fn check_reload_possible(
    prometheus: &Prometheus,
    flags: Option<&Flags>,
    options: &Options,
) -> Result<()> {
    let lifecycle = flags.is_some_and(|flags| flags.lifecycle);
    if lifecycle || options.service_manager == ServiceManager::Systemd {
        return Ok(());
    }
    Err(Error::new(
        Class::Prometheus,
        format!(
            "Prometheus at {} runs without --web.enable-lifecycle, and with --service-manager=none \
             pushgw-install cannot reload it: add that flag to Prometheus, or use \
             --service-manager=systemd",
            prometheus.url("")
        ),
        format!(
            "{} の Prometheus は --web.enable-lifecycle なしで動いており、--service-manager=none では\
             リロードできません。Prometheus にこのフラグを付けるか、--service-manager=systemd を使ってください",
            prometheus.url("")
        ),
    ))
}

/// Debian's `prometheus-pushgateway.service` must not run next to ours (it takes port 9091 and
/// has its own persistence); enabled but stopped, it would come back at the next boot.
fn check_debian_gateway(step: &crate::ui::Step, ui: &Ui) -> Result<()> {
    const DEBIAN_UNIT: &str = "prometheus-pushgateway.service";
    if systemd::systemctl(&["is-active", "--quiet", DEBIAN_UNIT]).is_ok() {
        return Err(Error::new(
            Class::Port,
            format!(
                "Debian's {DEBIAN_UNIT} is running: stop and disable it first \
                 (`systemctl disable --now prometheus-pushgateway`), then re-run"
            ),
            format!(
                "Debian の {DEBIAN_UNIT} が動いています。先に停止・無効化してから \
                 (`systemctl disable --now prometheus-pushgateway`) 再実行してください"
            ),
        ));
    }
    if systemd::systemctl(&["is-enabled", "--quiet", DEBIAN_UNIT]).is_ok() {
        step.note(&format!(
            "{}: {DEBIAN_UNIT} {}",
            ui.pick("warning", "警告"),
            ui.pick(
                "is enabled and would start at the next boot: `systemctl disable prometheus-pushgateway`",
                "が有効になっており次回起動時に動き出します: `systemctl disable prometheus-pushgateway`"
            )
        ));
    }
    Ok(())
}

/// The port must be free or held by a gateway set up the hands-on way (ours, maybe for another
/// address): a second gateway on a busy port exits 0 without a word (spec/installer.md §0.5).
fn check_port(port: u16, step: &crate::ui::Step, ui: &Ui) -> Result<()> {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    if TcpStream::connect_timeout(&address, Duration::from_secs(2)).is_err() {
        return Ok(());
    }
    let gateway = Gateway::on_port(port);
    let identity = gateway.identity().ok().flatten();
    let ours = identity.as_ref().is_some_and(|identity| {
        identity.external_url.starts_with("http://127.0.0.1/")
            && identity.external_url.ends_with("/pushgateway/")
    });
    if ours {
        step.note(&format!(
            "{} {port}",
            ui.pick(
                "a gateway set up by pushgw-install already listens on port",
                "pushgw-install で設定した Pushgateway がすでに待ち受けています: ポート"
            )
        ));
        return Ok(());
    }
    let who = match identity {
        Some(identity) => format!(
            "a Pushgateway with --web.external-url={:?}",
            identity.external_url
        ),
        None => "a program that is not a Pushgateway".to_owned(),
    };
    Err(Error::new(
        Class::Port,
        format!(
            "port {port} is held by {who} ({}): stop it (Debian's package: `systemctl disable --now \
             prometheus-pushgateway`; others: `ss -ltnp 'sport = :{port}'` shows which) or choose \
             another --listen-port",
            gateway.url("/api/v1/status")
        ),
        format!(
            "ポート {port} は別のプログラムが使っています ({who}, {})。停止するか (Debian のパッケージなら \
             `systemctl disable --now prometheus-pushgateway`、それ以外は `ss -ltnp 'sport = :{port}'` で確認)、\
             別の --listen-port を指定してください",
            gateway.url("/api/v1/status")
        ),
    ))
}

fn read_host(path: &Path) -> Result<Option<Existing>> {
    files::read(path).map_err(|error| read_error(path, &error))
}

/// The failure class of a file error: permissions (exit 3) or I/O (exit 8).
fn io_class(error: &io::Error) -> Class {
    if error.kind() == io::ErrorKind::PermissionDenied {
        Class::Permission
    } else {
        Class::Write
    }
}

fn read_error(path: &Path, error: &io::Error) -> Error {
    Error::new(
        io_class(error),
        format!(
            "cannot read {}: {error}; check the path and its permissions",
            path.display()
        ),
        format!(
            "{} を読めません: {error}。パスと権限を確認してください",
            path.display()
        ),
    )
}

fn apply(plan: &Plan) -> Result<Vec<crate::plan::Applied>> {
    let stamp = clock::compact_utc(clock::now_unix() as i64);
    plan.apply(&stamp).map_err(|(path, error)| {
        Error::new(
            io_class(&error),
            format!(
                "writing {} failed: {error}; files written before it stay (re-running is safe)",
                path.display()
            ),
            format!(
                "{} の書き込みに失敗しました: {error}。それまでに書いたファイルは残ります (再実行しても安全です)",
                path.display()
            ),
        )
    })
}

/// daemon-reload, enable, (re)start when something changed or it is not running, then wait
/// until the gateway answers with our external URL.
fn start_service(
    unit_changed: bool,
    binary_changed: bool,
    gateway: &Gateway,
    external_url: &str,
    ui: &Ui,
) -> Result<()> {
    let step = ui.step("Start pushgateway.service", "pushgateway.service の起動");
    let result = (|| {
        if unit_changed {
            systemd::systemctl(&["daemon-reload"])?;
        }
        systemd::systemctl(&["enable", "--quiet", unit::UNIT_NAME])?;
        let active = systemd::systemctl(&["is-active", "--quiet", unit::UNIT_NAME]).is_ok();
        if unit_changed || binary_changed || !active {
            systemd::systemctl(&["restart", unit::UNIT_NAME])?;
        }
        let deadline = Instant::now() + SERVICE_TIMEOUT;
        loop {
            let identity = gateway.identity().ok().flatten();
            if identity.is_some_and(|identity| identity.external_url == external_url) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(Error::new(
                    Class::Service,
                    format!(
                        "pushgateway.service did not answer at {} with --web.external-url={external_url} \
                         within {}s: see `systemctl status pushgateway` and `journalctl -u pushgateway`",
                        gateway.url("/api/v1/status"),
                        SERVICE_TIMEOUT.as_secs()
                    ),
                    format!(
                        "pushgateway.service が {}s 以内に {} で応答しませんでした (--web.external-url={external_url})。\
                         `systemctl status pushgateway` と `journalctl -u pushgateway` を確認してください",
                        SERVICE_TIMEOUT.as_secs(),
                        gateway.url("/api/v1/status"),
                    ),
                ));
            }
            thread::sleep(Duration::from_millis(250));
        }
    })();
    match result {
        Ok(()) => {
            step.done(&gateway.url("/"));
            Ok(())
        }
        Err(error) => {
            step.fail("");
            Err(error)
        }
    }
}

/// Reloads Prometheus (`POST /-/reload` with the lifecycle API, else `systemctl reload`, else
/// restart) and confirms it through `/api/v1/status/runtimeinfo`; on failure the old file comes
/// back and Prometheus reloads it again (spec/installer.md §2.4).
fn reload_prometheus(
    prometheus: &Prometheus,
    flags: &Flags,
    options: &Options,
    config: &ConfigFile,
    backup: Option<&Path>,
    ui: &Ui,
) -> Result<()> {
    let step = ui.step("Reload Prometheus", "Prometheus のリロード");
    let attempt = |step: &crate::ui::Step| -> std::result::Result<(), String> {
        let started = clock::now_unix().floor();
        if flags.lifecycle {
            step.progress(&prometheus.url("/-/reload"));
            prometheus.reload().map_err(|error| error.to_string())?;
        } else if options.service_manager == ServiceManager::Systemd {
            let exec_reload =
                systemd::systemctl(&["show", "-p", "ExecReload", "--value", "prometheus.service"])
                    .map_err(|error| error.to_string())?;
            let verb = if exec_reload.trim().is_empty() {
                "restart"
            } else {
                "reload"
            };
            systemd::systemctl(&[verb, "prometheus.service"]).map_err(|error| error.to_string())?;
        }
        // systemctl reload is asynchronous: wait for a config load that started after ours.
        let deadline = Instant::now() + SERVICE_TIMEOUT;
        loop {
            match prometheus.reload_status() {
                Ok((success, Some(time))) if time >= started - 1.0 => {
                    return if success {
                        Ok(())
                    } else {
                        Err(format!(
                            "{} reports reloadConfigSuccess=false",
                            prometheus.url("/api/v1/status/runtimeinfo")
                        ))
                    };
                }
                Ok((false, _)) if flags.lifecycle => {
                    return Err(format!(
                        "{} reports reloadConfigSuccess=false",
                        prometheus.url("/api/v1/status/runtimeinfo")
                    ));
                }
                _ if Instant::now() >= deadline => {
                    return Err(format!(
                        "{} shows no new config load",
                        prometheus.url("/api/v1/status/runtimeinfo")
                    ));
                }
                _ => thread::sleep(Duration::from_millis(250)),
            }
        }
    };
    let Err(reason) = attempt(&step) else {
        step.done(&config.target.display().to_string());
        return Ok(());
    };
    step.fail("");
    let restored = files::write_atomic(
        &config.host,
        &config.existing.bytes,
        config.existing.mode,
        Some((config.existing.uid, config.existing.gid))
            .filter(|_| files::effective_uid() == Some(0)),
    );
    let step = ui.step(
        "Restore the previous prometheus.yml",
        "元の prometheus.yml に戻す",
    );
    let _ = attempt(&step);
    step.done(&config.target.display().to_string());
    let backup = backup.map_or_else(String::new, |path| path.display().to_string());
    let restored = match restored {
        Ok(()) => format!("{} restored (backup: {backup})", config.host.display()),
        Err(error) => format!(
            "restoring {} failed ({error}); copy {backup} back by hand",
            config.host.display()
        ),
    };
    Err(Error::new(
        Class::Prometheus,
        format!(
            "Prometheus did not accept the new config: {reason}; {restored}; check Prometheus' log (`journalctl -u prometheus`)"
        ),
        format!(
            "Prometheus が新しい設定を受け付けませんでした: {reason}。{restored}。Prometheus のログを確認してください (`journalctl -u prometheus`)"
        ),
    ))
}
