//! The `pushgw-sidecar` binary: parse flags, set up the log, run the server. See the library
//! documentation for what it does and how it differs from the Go Pushgateway.

use std::process::ExitCode;

use pushgw_sidecar::flags::{Flags, Outcome};

/// mimalloc instead of glibc's malloc: a push allocates and frees a few small objects per
/// series, and a restore frees its decoded copy while building the store. Measured with
/// `bench/run.sh` (issue 7): see bench/README.md.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let flags = match Flags::parse_args(std::env::args_os()) {
        Outcome::Run(flags) => flags,
        Outcome::Print(text) => {
            print!("{text}");
            return ExitCode::SUCCESS;
        }
        Outcome::Error(message) => {
            eprintln!("pushgw-sidecar: error: {message}, try --help");
            return ExitCode::FAILURE;
        }
    };
    pushgw_sidecar::logging::init(flags.log_level, flags.log_format);
    let outcome = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(anyhow::Error::from)
        .and_then(|runtime| runtime.block_on(pushgw_sidecar::run(*flags)));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // One line, every cause included (spec §17 Q15).
            eprintln!("pushgw-sidecar: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
