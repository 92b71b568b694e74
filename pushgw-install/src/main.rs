//! The `pushgw-install` command line: flags to [`Options`], one of three commands, and the exit
//! code of the failure class (see `--help`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use pushgw_install::error::EXIT_CODES;
use pushgw_install::install::{
    self, DEFAULT_INSTALL_PATH, DEFAULT_UNIT_PATH, Options, ServiceManager,
};
use pushgw_install::msg::Lang;
use pushgw_install::ui::Ui;
use pushgw_install::{Class, Error, ip};

/// Sets a training VM up with a Pushgateway (pushgw-sidecar) as the hands-on text does: binary,
/// systemd unit, `pushgateway` job in prometheus.yml, Prometheus reload, and a check through the
/// Prometheus API that the target is up and pushes arrive with honor_labels.
#[derive(Debug, Parser)]
#[command(
    name = "pushgw-install",
    version,
    after_help = EXIT_CODES,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    args_override_self = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    install: InstallArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Install (the default command): preflight, write, start, reload Prometheus, verify.
    Install(InstallArgs),
    /// Only check: the gateway answers, the target is up, a pushed probe is scraped.
    Verify(VerifyArgs),
    /// Stop and remove the unit and binary, and take the job out of prometheus.yml.
    Uninstall(UninstallArgs),
}

#[derive(Debug, Args)]
struct InstallArgs {
    /// The VM's private IPv4 address (part of the gateway's external URL).
    #[arg(long, value_name = "IP")]
    private_ip: Option<String>,
    /// The gateway binary to install: a file, or a directory holding pushgw-sidecar (default:
    /// next to pushgw-install, then PATH). A path on this machine, not under --root.
    #[arg(long, value_name = "PATH")]
    binary: Option<PathBuf>,
    /// Show the changes as unified diffs and write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Replace a `pushgateway` job that differs from the hands-on text's.
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    common: Common,
}

#[derive(Debug, Args)]
struct VerifyArgs {
    /// The VM's private IPv4 address: when given, the gateway's external URL is checked too.
    #[arg(long, value_name = "IP")]
    private_ip: Option<String>,
    #[command(flatten)]
    common: Common,
}

#[derive(Debug, Args)]
struct UninstallArgs {
    /// Show the changes as unified diffs and write nothing.
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    common: Common,
}

#[derive(Debug, Args)]
struct Common {
    /// The port the gateway listens on (all interfaces; the scrape target is localhost:PORT).
    #[arg(long, value_name = "PORT", default_value_t = 9091)]
    listen_port: u16,
    /// The target system's root: every file path read or written on it is under DIR.
    #[arg(long, value_name = "DIR", default_value = "/")]
    root: PathBuf,
    /// prometheus.yml (default: from the running Prometheus, the hands-on path, Debian's path).
    #[arg(long, value_name = "PATH")]
    prometheus_config: Option<PathBuf>,
    /// Prometheus' base URL.
    #[arg(long, value_name = "URL", default_value = "http://localhost:9090")]
    prometheus_url: String,
    /// Who starts the gateway; `none` only writes and checks files and reloads Prometheus.
    #[arg(long, value_enum, default_value = "systemd")]
    service_manager: ServiceManager,
    /// How long to wait for the target and the probe (default: 3 scrape intervals + 10 s).
    #[arg(long, value_name = "SECS")]
    timeout: Option<u64>,
    /// Message language (default: Japanese when LANG starts with `ja`, else English).
    #[arg(long, value_enum)]
    lang: Option<Lang>,
    /// Where the binary is installed on the target system.
    #[arg(long, value_name = "PATH", default_value = DEFAULT_INSTALL_PATH)]
    install_path: PathBuf,
    /// Where the unit is written on the target system.
    #[arg(long, value_name = "PATH", default_value = DEFAULT_UNIT_PATH)]
    unit_path: PathBuf,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Install(cli.install));
    let common = match &command {
        Command::Install(args) => &args.common,
        Command::Verify(args) => &args.common,
        Command::Uninstall(args) => &args.common,
    };
    let lang = common.lang.unwrap_or_else(Lang::from_env);
    let ui = Ui::new(lang);
    match run(command, &ui) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => match error.downcast_ref::<Error>() {
            Some(failure) => {
                eprintln!(
                    "{}: {}",
                    lang.pick("error", "エラー"),
                    failure.message(lang)
                );
                ExitCode::from(failure.class.exit_code())
            }
            None => {
                eprintln!("{}: {error:#}", lang.pick("error", "エラー"));
                ExitCode::FAILURE
            }
        },
    }
}

fn run(command: Command, ui: &Ui) -> anyhow::Result<()> {
    match command {
        Command::Install(args) => {
            let mut options = options(args.common, args.private_ip.as_deref())?;
            options.binary = args.binary;
            options.dry_run = args.dry_run;
            options.force = args.force;
            install::install(&options, ui).context("install")?;
        }
        Command::Verify(args) => {
            let options = options(args.common, args.private_ip.as_deref())?;
            install::verify(&options, ui).context("verify")?;
        }
        Command::Uninstall(args) => {
            let mut options = options(args.common, None)?;
            options.dry_run = args.dry_run;
            install::uninstall(&options, ui).context("uninstall")?;
        }
    }
    Ok(())
}

fn options(common: Common, private_ip: Option<&str>) -> Result<Options, Error> {
    let private_ip = private_ip
        .map(|text| {
            ip::parse(text).map_err(|error| {
                Error::new(
                    Class::Usage,
                    format!("--private-ip: {error}; pass the VM's private IPv4 address, e.g. 10.0.0.5"),
                    format!(
                        "--private-ip: {error}。VM のプライベート IPv4 アドレスを指定してください (例: 10.0.0.5)"
                    ),
                )
            })
        })
        .transpose()?;
    Ok(Options {
        root: common.root,
        listen_port: common.listen_port,
        prometheus_config: common.prometheus_config,
        prometheus_url: common.prometheus_url,
        service_manager: common.service_manager,
        dry_run: false,
        force: false,
        timeout: common.timeout.map(Duration::from_secs),
        private_ip,
        binary: None,
        install_path: common.install_path,
        unit_path: common.unit_path,
    })
}
