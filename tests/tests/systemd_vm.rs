//! pushgw-install and the unit it writes under a real systemd (issue 9): a Debian bookworm VM
//! with Debian's Prometheus, booted with qemu, where the installer, `Restart=always`, the
//! hardening options at run time and the persistence file across a reboot are exercised for
//! real, which no test on a host without systemd as PID 1 can do.
//!
//! The pieces are shell scripts under `scripts/vm/` (usable by hand too):
//! - `build-image.sh` debootstraps the image once and caches it under `target/vm/`, keyed by a
//!   hash of its inputs: a cold run takes minutes, a warm one finds it at once.
//! - `boot.sh` puts `driver.sh` and our freshly built `pushgw-install` and `pushgw-sidecar` on a
//!   small second disk and boots the image with qemu (KVM when usable, else TCG; user networking
//!   with `restrict=on`: nothing leaves the machine).
//! - `driver.sh` runs inside the VM at every boot and reports `STEP <name> ok|fail <detail>`
//!   lines on the second serial port, which qemu writes to `steps.log`.
//!
//! This test waits for the driver's steps in order, each with its own deadline, and fails on the
//! first `fail` with the driver's lines and the end of the serial console. qemu is killed when
//! the test ends in any way (the harness's [`Process`]).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use pushgw_tests::{Process, find_program, wait_for, workspace_binary};

/// The driver's steps, in order, with how long each may take after the previous one. The
/// budgets are for the slow case, TCG (no KVM) on a loaded 2-core machine, where a boot alone
/// takes one to two minutes; under KVM everything is several times faster. `install` includes the
/// installer's own wait for the target to be scraped (Debian's prometheus.yml scrapes every
/// 15 s); `reboot` is reported just before the reboot and `boot2` after it.
const STEPS: &[(&str, u64)] = &[
    ("boot", 420),
    ("prometheus-ready", 200),
    ("prometheus-lifecycle", 60),
    ("install", 420),
    ("is-active", 60),
    ("hardening", 90),
    ("listen", 60),
    ("target-up", 150),
    ("restart", 90),
    ("target-back", 150),
    ("push", 60),
    ("journal", 60),
    ("reboot", 60),
    ("boot2", 420),
    ("came-back", 150),
    ("persisted", 120),
    ("journal2", 60),
    ("uninstall", 420),
    ("no-unit", 60),
    ("no-binary", 60),
    ("config-restored", 60),
    ("done", 60),
];

/// How long the guest may take to power off after its last step.
const POWEROFF_TIMEOUT: Duration = Duration::from_secs(120);

/// How long a cold image build (debootstrap over the network) may take.
const IMAGE_BUILD_TIMEOUT: Duration = Duration::from_secs(1800);

/// One line of the driver: `STEP <name> ok|fail <detail>`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Step {
    name: String,
    ok: bool,
    detail: String,
}

impl Step {
    fn parse(line: &str) -> Option<Step> {
        let rest = line.trim_end_matches('\r').strip_prefix("STEP ")?;
        let (name, rest) = rest.split_once(' ')?;
        let (result, detail) = rest.split_once(' ').unwrap_or((rest, ""));
        let ok = match result {
            "ok" => true,
            "fail" => false,
            _ => return None,
        };
        Some(Step {
            name: name.to_owned(),
            ok,
            detail: detail.trim().to_owned(),
        })
    }
}

/// The complete `STEP` lines written so far (a line still being written is left for later).
fn read_steps(path: &Path) -> Vec<Step> {
    let bytes = fs::read(path).unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes);
    let complete = text.rfind('\n').map_or("", |end| &text[..end]);
    complete.lines().filter_map(Step::parse).collect()
}

/// The repository root (this package lives in `tests/`).
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The cargo target directory this test was built in: `target/<profile>/deps/<test>`.
fn target_dir() -> PathBuf {
    let test_binary = std::env::current_exe().expect("the test binary's path");
    test_binary
        .ancestors()
        .nth(3)
        .expect("the test binary lives in target/<profile>/deps")
        .to_path_buf()
}

/// Builds the image, or finds it in the cache, and returns its directory.
fn image(scripts: &Path) -> PathBuf {
    let cache = target_dir().join("vm");
    let mut command = Command::new(scripts.join("build-image.sh"));
    command.arg(&cache);
    let build = Process::spawn("scripts/vm/build-image.sh", &command);
    let status = build.wait_exit(IMAGE_BUILD_TIMEOUT);
    assert!(
        status.success(),
        "scripts/vm/build-image.sh {} failed ({status}):\n{}",
        cache.display(),
        build.stderr()
    );
    let stdout = build.stdout();
    let image = stdout.lines().last().unwrap_or_else(|| {
        panic!(
            "build-image.sh printed no image directory:\n{}",
            build.log()
        )
    });
    PathBuf::from(image)
}

/// The end of the guest's serial console, for failure messages.
fn console_tail(work: &Path) -> String {
    let bytes = fs::read(work.join("console.log")).unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes);
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(120)..].join("\n")
}

#[test]
fn installer_and_hardened_unit_under_real_systemd() {
    // A missing tool fails here, naming its Debian package.
    for (program, package) in [
        ("debootstrap", "debootstrap"),
        ("mkfs.ext4", "e2fsprogs"),
        ("qemu-img", "qemu-utils"),
        ("qemu-system-x86_64", "qemu-system-x86"),
    ] {
        find_program(program, package);
    }
    let install = workspace_binary("pushgw-install", "pushgw-install");
    let sidecar = workspace_binary("pushgw-sidecar", "pushgw-sidecar");
    let scripts = workspace_root().join("scripts/vm");

    let started = Instant::now();
    let image = image(&scripts);
    let built = started.elapsed();

    let mut boot = Command::new(scripts.join("boot.sh"));
    let work = tempfile::Builder::new()
        .prefix("pushgw-vm-")
        .tempdir()
        .expect("a temporary directory for the VM run");
    let work_path = work.path().to_path_buf();
    boot.arg(&image).arg(&work_path).arg(&install).arg(&sidecar);
    // boot.sh replaces itself with qemu: dropping the process kills qemu.
    let qemu = Process::spawn_in(work, "qemu (scripts/vm/boot.sh)", &boot);
    let steps_log = work_path.join("steps.log");

    for (index, &(name, seconds)) in STEPS.iter().enumerate() {
        let seen = wait_for(
            Duration::from_secs(seconds),
            &format!("the VM's step `{name}`"),
            || {
                let steps = read_steps(&steps_log);
                if steps.len() > index || steps.iter().any(|step| !step.ok) {
                    return Ok(Some(steps));
                }
                match qemu.exit_status() {
                    Some(status) => Err(format!(
                        "qemu exited ({status}) before the step; its stderr: {}",
                        qemu.stderr()
                    )),
                    None => Ok(None),
                }
            },
        );
        let report = seen
            .iter()
            .map(|step| {
                let result = if step.ok { "ok" } else { "FAIL" };
                format!("  {} {result} {}", step.name, step.detail)
            })
            .collect::<Vec<_>>()
            .join("\n");
        assert!(
            seen.iter().all(|step| step.ok) && seen.len() > index && seen[index].name == name,
            "the VM's step `{name}` failed or came out of order; the driver's steps:\n{report}\n\
             --- end of the serial console ({}) ---\n{}",
            work_path.join("console.log").display(),
            console_tail(&work_path)
        );
        eprintln!(
            "[{:>5.1}s] {name} ok {}",
            started.elapsed().as_secs_f64(),
            seen[index].detail
        );
    }

    let status = qemu.wait_exit(POWEROFF_TIMEOUT);
    assert!(
        status.success(),
        "qemu exited with {status} after the guest powered off"
    );
    // boot.sh says which accelerator it chose: "boot: accel=kvm|tcg, ...".
    let stderr = qemu.stderr();
    let accel = stderr
        .lines()
        .find_map(|line| line.strip_prefix("boot: accel="))
        .and_then(|rest| rest.split(',').next())
        .unwrap_or("?");
    eprintln!(
        "image ready after {:.1}s, whole run {:.1}s (accel {accel})",
        built.as_secs_f64(),
        started.elapsed().as_secs_f64(),
    );
}

#[test]
fn step_lines_parse() {
    assert_eq!(
        Step::parse("STEP install ok pushgw-install exited 0\r"),
        Some(Step {
            name: "install".to_owned(),
            ok: true,
            detail: "pushgw-install exited 0".to_owned()
        })
    );
    assert_eq!(
        Step::parse("STEP done fail"),
        Some(Step {
            name: "done".to_owned(),
            ok: false,
            detail: String::new()
        })
    );
    assert_eq!(Step::parse("[  OK  ] Started prometheus.service"), None);
    assert_eq!(Step::parse("STEP boot maybe"), None);
}
