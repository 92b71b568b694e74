//! The installer's one error type: a failure class (which decides the exit code) and a message
//! in both languages, written where the failure is detected so that it can name the file or URL
//! and say what to do next.

use std::fmt;

use crate::msg::Lang;

/// A class of failure, each with its own exit code (listed in `pushgw-install --help`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Invalid arguments (clap uses 2 for its own usage errors too).
    Usage,
    /// Not root, or a file that cannot be read or written for lack of permission.
    Permission,
    /// The machine lacks something: systemd, the gateway binary, a tool.
    Environment,
    /// prometheus.yml is missing, invalid, or has a conflicting job.
    Config,
    /// The gateway port is held by something else.
    Port,
    /// Prometheus is unreachable, cannot reload, or rejected the new config (rolled back).
    Prometheus,
    /// Reading or writing a file failed (other than for lack of permission).
    Write,
    /// systemctl failed or the service did not become ready.
    Service,
    /// The checks of `verify` failed: target not up, probe not seen.
    Verify,
}

impl Class {
    /// The process exit code for this class.
    pub fn exit_code(self) -> u8 {
        match self {
            Class::Usage => 2,
            Class::Permission => 3,
            Class::Environment => 4,
            Class::Config => 5,
            Class::Port => 6,
            Class::Prometheus => 7,
            Class::Write => 8,
            Class::Service => 9,
            Class::Verify => 10,
        }
    }
}

/// The exit codes as `--help` shows them.
pub const EXIT_CODES: &str = "Exit codes: 0 success (also when nothing had to change), \
1 unexpected internal error, 2 invalid arguments, 3 not root / permission denied, \
4 missing systemd, binary or tool, 5 prometheus.yml missing, invalid or conflicting, \
6 gateway port held by another program, 7 Prometheus unreachable or config reload failed \
(rolled back), 8 reading or writing a file failed, 9 systemctl or service start failed, \
10 verification failed (target not up, probe not scraped).";

/// A failure, with its message in English and Japanese.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Error {
    /// Which kind of failure this is.
    pub class: Class,
    en: String,
    ja: String,
}

impl Error {
    /// A failure of `class`, described in both languages.
    pub fn new(class: Class, en: impl Into<String>, ja: impl Into<String>) -> Error {
        Error {
            class,
            en: en.into(),
            ja: ja.into(),
        }
    }

    /// The message in `lang`.
    pub fn message(&self, lang: Lang) -> &str {
        lang.pick(&self.en, &self.ja)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.en)
    }
}

/// The installer's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
