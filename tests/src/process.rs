//! Child processes that cannot outlive their test.

use std::fs;
use std::io::ErrorKind;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::thread;
use std::time::Duration;

use tempfile::TempDir;

use crate::wait_for;

/// How much of each log [`Process`] prints when it is dropped during a panic.
const LOG_TAIL_LINES: usize = 40;

/// The supervisor that runs every program. Rust cannot ask the kernel to kill a child when the
/// parent dies without `unsafe` (`PR_SET_PDEATHSIG` in `pre_exec`), and a server kept in a
/// `static` is never dropped, so the guarantee comes from a pipe instead: the supervisor's stdin
/// is a pipe whose only writer is the test process. When the [`Process`] is dropped, or the test
/// binary exits in any way, the pipe reaches end of file, and the watcher kills the program and
/// removes the temporary directory. The supervisor itself waits for the program and exits with its
/// status, so that [`Process::exit_status`] sees the program's own exit; it leaves a file `exited`
/// behind so that the watcher does not kill a recycled pid.
///
/// Arguments: `$1` the temporary directory, then the program and its arguments.
const SUPERVISOR: &str = r#"
dir=$1
shift
exec 3<&0 </dev/null
"$@" 3<&- &
child=$!
echo "$child" > "$dir/.pid.tmp" && mv "$dir/.pid.tmp" "$dir/pid"
{ read -r line <&3; [ -e "$dir/exited" ] || kill -KILL "$child" 2>/dev/null; rm -rf "$dir"; } &
exec 3<&-
wait "$child"
status=$?
: > "$dir/exited"
exit "$status"
"#;

/// A running program with its stdout and stderr in log files of its own temporary directory.
///
/// Dropping it kills the program (SIGKILL), reaps it and removes the directory; if the drop
/// happens while the thread panics (a failed assertion), the tail of both logs is printed first,
/// so that the test's failure output shows what the server said.
#[derive(Debug)]
pub struct Process {
    name: String,
    pid: u32,
    supervisor: Mutex<Child>,
    /// The write end of the supervisor's stdin; closing it ends the program.
    lifeline: Option<ChildStdin>,
    dir: TempDir,
}

impl Process {
    /// Starts `command` in a fresh temporary directory. `name` is used in messages.
    ///
    /// The program, arguments, environment changes and working directory of `command` are used;
    /// its stdio settings are replaced by the log files.
    ///
    /// # Panics
    ///
    /// If the temporary directory cannot be created or the program cannot be started.
    pub fn spawn(name: &str, command: &Command) -> Process {
        let dir = tempfile::Builder::new()
            .prefix("pushgw-tests-")
            .tempdir()
            .expect("creating a temporary directory for a child process");
        Process::spawn_in(dir, name, command)
    }

    /// Starts `command` with `dir` as its temporary directory, for programs whose arguments name
    /// files in it (a Prometheus config, a persistence file). The directory is removed with the
    /// process.
    ///
    /// # Panics
    ///
    /// If the program cannot be started.
    pub fn spawn_in(dir: TempDir, name: &str, command: &Command) -> Process {
        let stdout = log_file(dir.path(), "stdout.log");
        let stderr = log_file(dir.path(), "stderr.log");
        let mut supervisor = Command::new("/bin/sh");
        supervisor
            .arg("-c")
            .arg(SUPERVISOR)
            .arg("pushgw-tests-supervisor")
            .arg(dir.path())
            .arg(command.get_program())
            .args(command.get_args())
            .stdin(Stdio::piped())
            .stdout(stdout)
            .stderr(stderr);
        for (key, value) in command.get_envs() {
            match value {
                Some(value) => supervisor.env(key, value),
                None => supervisor.env_remove(key),
            };
        }
        if let Some(cwd) = command.get_current_dir() {
            supervisor.current_dir(cwd);
        }
        let mut child = supervisor
            .spawn()
            .unwrap_or_else(|e| panic!("starting {name} ({command:?}) under /bin/sh: {e}"));
        let lifeline = child.stdin.take();
        let pid_file = dir.path().join("pid");
        // The supervisor writes the pid right after forking, so this takes microseconds.
        let pid = wait_for(
            Duration::from_secs(10),
            &format!("the pid of {name}"),
            || match fs::read_to_string(&pid_file) {
                Ok(text) => text
                    .trim()
                    .parse::<u32>()
                    .map(Some)
                    .map_err(|e| format!("{}: {e}", pid_file.display())),
                Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
                Err(e) => Err(format!("{}: {e}", pid_file.display())),
            },
        );
        Process {
            name: name.to_owned(),
            pid,
            supervisor: Mutex::new(child),
            lifeline,
            dir,
        }
    }

    /// The name given at spawn.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The program's process id (not the supervisor's), e.g. to send it signals.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The process's temporary directory (logs, and whatever the caller put there).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The program's exit status if it has exited, `None` while it runs. A program killed by a
    /// signal shows as exit code 128 + signal number (the supervisor's `wait` reports it so).
    pub fn exit_status(&self) -> Option<ExitStatus> {
        let mut supervisor = self.supervisor.lock().unwrap_or_else(|e| e.into_inner());
        supervisor
            .try_wait()
            .unwrap_or_else(|e| panic!("checking whether {} exited: {e}", self.name))
    }

    /// Waits up to `timeout` for the program to exit, e.g. after [`Process::signal`].
    ///
    /// # Panics
    ///
    /// If it is still running after `timeout`; the message includes its log.
    #[track_caller]
    pub fn wait_exit(&self, timeout: Duration) -> ExitStatus {
        wait_for(timeout, &format!("{} to exit", self.name), || {
            Ok::<_, String>(self.exit_status())
        })
    }

    /// Sends the signal `signal` (a name such as `TERM` or `HUP`) to the program.
    ///
    /// # Panics
    ///
    /// If `kill` fails, e.g. because the program has already exited.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("/bin/sh")
            .args(["-c", r#"kill -s "$0" "$1""#, signal, &self.pid.to_string()])
            .status()
            .expect("running /bin/sh to send a signal");
        assert!(
            status.success(),
            "sending SIG{signal} to {} (pid {}) failed: {status}",
            self.name,
            self.pid
        );
    }

    /// The program's stdout so far.
    pub fn stdout(&self) -> String {
        self.read_log("stdout.log")
    }

    /// The program's stderr so far.
    pub fn stderr(&self) -> String {
        self.read_log("stderr.log")
    }

    /// Both logs, labelled, for failure messages.
    pub fn log(&self) -> String {
        format!(
            "--- {name} stdout ---\n{}--- {name} stderr ---\n{}--- end of {name} logs ---",
            self.stdout(),
            self.stderr(),
            name = self.name
        )
    }

    fn read_log(&self, file: &str) -> String {
        let path = self.dir.path().join(file);
        match fs::read(&path) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) => format!("(cannot read {}: {e})\n", path.display()),
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if thread::panicking() {
            eprintln!(
                "--- last lines of {name} stdout ---\n{}--- last lines of {name} stderr ---\n{}",
                tail(&self.stdout(), LOG_TAIL_LINES),
                tail(&self.stderr(), LOG_TAIL_LINES),
                name = self.name
            );
        }
        // End of file on the supervisor's stdin makes it kill the program; then reap both.
        drop(self.lifeline.take());
        let supervisor = self.supervisor.get_mut().unwrap_or_else(|e| e.into_inner());
        if let Err(e) = supervisor.wait() {
            eprintln!("reaping {} failed: {e}", self.name);
        }
    }
}

fn log_file(dir: &Path, name: &str) -> fs::File {
    let path = dir.join(name);
    fs::File::create(&path).unwrap_or_else(|e| panic!("creating {}: {e}", path.display()))
}

fn tail(text: &str, lines: usize) -> String {
    let start = text.lines().count().saturating_sub(lines);
    text.lines()
        .skip(start)
        .map(|line| format!("{line}\n"))
        .collect()
}
