//! The persistence file (`--persistence.file`): loading it before serving, writing it atomically,
//! and the reference's write schedule (spec §8).
//!
//! What goes into the file is not decided here: a [`Snapshotter`] turns the store into bytes and
//! back (the gateway's snapshot format). This module owns the file side only:
//!
//! * **Writing** is atomic and durable: a sibling temp file `<file>.in_progress.<random>` (mode
//!   0600), fsync, rename over the target, fsync of the directory. The reference does not fsync.
//! * **Schedule** ([`run_schedule`]): at most one write per interval; the first change after a
//!   quiet period longer than the interval is written at once; nothing is written while idle;
//!   the caller persists unconditionally on shutdown.
//! * **Loading**: a missing file starts empty; a file that cannot be read or restored is moved
//!   aside to `<file>.corrupt.<unix-time>` and never overwritten (spec §17 Q8; the reference
//!   discards and later overwrites it).

use std::fs::{File, OpenOptions};
use std::future::Future;
use std::hash::{BuildHasher as _, Hasher as _};
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use tokio::sync::{Notify, watch};
use tokio::time::Instant;

use crate::wal::SnapshotId;

/// Turns the store into persistence bytes and back; implemented over the gateway.
pub trait Snapshotter: Send + Sync + 'static {
    /// The whole store as bytes.
    fn snapshot(&self) -> Vec<u8>;
    /// Replaces the store's content with what `bytes` holds; an error leaves the store empty.
    fn restore(&self, bytes: &[u8]) -> anyhow::Result<()>;
}

/// The persistence file at a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersistenceFile {
    path: PathBuf,
}

/// What [`PersistenceFile::load`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Loaded {
    /// No file: start empty.
    Missing,
    /// The file was restored.
    Restored {
        /// Its size in bytes.
        bytes: usize,
        /// Its content's id, which write-ahead log segments refer to.
        id: SnapshotId,
    },
    /// The file could not be read or restored; it was moved to `moved_to`, the store is empty.
    MovedAside {
        /// Why it was unusable.
        error: String,
        /// Where it is now.
        moved_to: PathBuf,
    },
}

impl PersistenceFile {
    /// The file at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        PersistenceFile { path: path.into() }
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the file and restores it into `snapshotter`. A file that cannot be read or restored
    /// is moved aside; failing to move it aside is an error (serving would later overwrite it).
    pub fn load(&self, snapshotter: &dyn Snapshotter) -> anyhow::Result<Loaded> {
        let outcome = match std::fs::read(&self.path) {
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Loaded::Missing),
            Err(err) => Err(anyhow::Error::new(err).context("cannot read the file")),
            Ok(bytes) => snapshotter
                .restore(&bytes)
                .map(|()| (bytes.len(), SnapshotId::of(&bytes))),
        };
        match outcome {
            Ok((bytes, id)) => Ok(Loaded::Restored { bytes, id }),
            Err(error) => {
                let moved_to = self.move_aside(SystemTime::now()).with_context(|| {
                    format!(
                        "persistence file {} is unusable ({error:#}) and cannot be moved aside",
                        self.path.display()
                    )
                })?;
                Ok(Loaded::MovedAside {
                    error: format!("{error:#}"),
                    moved_to,
                })
            }
        }
    }

    /// Checks that the file's directory takes new files (a temp file is created and removed), so
    /// that a typo in the path fails at start-up rather than at the first write.
    pub fn check_writable(&self) -> anyhow::Result<()> {
        let (temp_path, file) = self.create_temp()?;
        drop(file);
        std::fs::remove_file(&temp_path)
            .with_context(|| format!("removing {}", temp_path.display()))
    }

    /// Removes temp files that a write interrupted by a crash left next to the file
    /// (`<file>.in_progress.*`, and the write-ahead log's `<file>.wal.*.in_progress`); returns
    /// how many. Only call it before this process writes (one process owns the file).
    pub fn remove_stale_temp_files(&self) -> anyhow::Result<usize> {
        let name = self.path.file_name().unwrap_or_default().to_string_lossy();
        let temp = format!("{name}.in_progress.");
        let wal = format!("{name}.wal.");
        let dir = self.dir();
        let mut removed = 0;
        for entry in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
            let entry = entry.with_context(|| format!("listing {}", dir.display()))?;
            let file_name = entry.file_name();
            let Some(file_name) = file_name.to_str() else {
                continue;
            };
            let stale = file_name.starts_with(&temp)
                || (file_name.starts_with(&wal) && file_name.ends_with(".in_progress"));
            if stale {
                std::fs::remove_file(entry.path())
                    .with_context(|| format!("removing {}", entry.path().display()))?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Renames the file to `<file>.corrupt.<unix-time>` (with `.1`, `.2`, … if that exists).
    pub fn move_aside(&self, now: SystemTime) -> std::io::Result<PathBuf> {
        let seconds = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        let base = self.sibling(&format!("corrupt.{seconds}"));
        let mut target = base.clone();
        let mut attempt = 0;
        while target.try_exists()? {
            attempt += 1;
            target = PathBuf::from(format!("{}.{attempt}", base.display()));
        }
        std::fs::rename(&self.path, &target)?;
        sync_dir(self.dir())?;
        Ok(target)
    }

    /// Replaces the file's content atomically and durably.
    pub fn write(&self, bytes: &[u8]) -> anyhow::Result<()> {
        let (temp_path, mut file) = self.create_temp()?;
        let written = file
            .write_all(bytes)
            .and_then(|()| file.sync_all())
            .and_then(|()| std::fs::rename(&temp_path, &self.path))
            .and_then(|()| sync_dir(self.dir()));
        if let Err(err) = written {
            drop(file);
            let _ = std::fs::remove_file(&temp_path);
            return Err(err).with_context(|| format!("writing {}", self.path.display()));
        }
        Ok(())
    }

    fn create_temp(&self) -> anyhow::Result<(PathBuf, File)> {
        loop {
            let random = std::hash::RandomState::new().build_hasher().finish();
            let temp_path = self.sibling(&format!("in_progress.{random}"));
            match OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&temp_path)
            {
                Ok(file) => return Ok((temp_path, file)),
                Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(err) => {
                    return Err(err).with_context(|| format!("creating {}", temp_path.display()));
                }
            }
        }
    }

    /// `<file>.<suffix>` in the same directory.
    pub(crate) fn sibling(&self, suffix: &str) -> PathBuf {
        let mut name = self.path.file_name().unwrap_or_default().to_os_string();
        name.push(".");
        name.push(suffix);
        self.path.with_file_name(name)
    }

    pub(crate) fn dir(&self) -> &Path {
        match self.path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        }
    }
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// How the server tells the schedule that the store may have changed, or that it wants a
/// write right away (SIGHUP).
#[derive(Debug, Default)]
pub struct PersistRequests {
    /// Set by a change, cleared when a write starts (the write includes the change).
    dirty: AtomicBool,
    changed: Notify,
    now: Notify,
}

impl PersistRequests {
    /// A write request was processed (call after it is applied): schedule a write.
    pub fn mark_changed(&self) {
        self.dirty.store(true, Ordering::SeqCst);
        self.changed.notify_one();
    }

    /// Write as soon as possible, regardless of the interval.
    pub fn persist_now(&self) {
        self.now.notify_one();
    }
}

/// The reference's write schedule (spec §8): after a change, write at `last write + interval`
/// (at once if that is past); changes during a write schedule the next one the same way;
/// nothing happens while idle. Returns when `shutdown` becomes true (the caller then persists
/// unconditionally). `persist` does one write; it is awaited, never run twice at once.
pub async fn run_schedule<F, Fut>(
    interval: Duration,
    requests: Arc<PersistRequests>,
    mut shutdown: watch::Receiver<bool>,
    mut persist: F,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    let mut last_persist = Instant::now();
    loop {
        if *shutdown.borrow() {
            return;
        }
        // Wait for a change (scheduled write) or an explicit request (immediate write).
        let immediate = tokio::select! {
            () = requests.changed.notified() => false,
            () = requests.now.notified() => true,
            _ = shutdown.changed() => return,
        };
        // A wake-up left by a change that the previous write already included.
        if !immediate && !requests.dirty.load(Ordering::SeqCst) {
            continue;
        }
        if !immediate {
            tokio::select! {
                () = tokio::time::sleep_until(last_persist + interval) => {}
                () = requests.now.notified() => {}
                _ = shutdown.changed() => return,
            }
        }
        let started = Instant::now();
        requests.dirty.store(false, Ordering::SeqCst);
        persist().await;
        last_persist = started;
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;
    use std::sync::Mutex;

    use super::*;

    /// Snapshots are whatever bytes were last set; restore accepts only `good:` prefixes.
    #[derive(Default)]
    struct Fake {
        restored: Mutex<Option<Vec<u8>>>,
    }

    impl Snapshotter for Fake {
        fn snapshot(&self) -> Vec<u8> {
            b"good:snapshot".to_vec()
        }

        fn restore(&self, bytes: &[u8]) -> anyhow::Result<()> {
            anyhow::ensure!(bytes.starts_with(b"good:"), "bad magic");
            *self.restored.lock().expect("not poisoned") = Some(bytes.to_vec());
            Ok(())
        }
    }

    fn names_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("readable dir")
            .map(|entry| {
                entry
                    .expect("entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        names.sort();
        names
    }

    #[test]
    fn write_replaces_atomically_with_mode_0600_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = PersistenceFile::new(dir.path().join("pushgw.data"));
        file.write(b"one").expect("first write");
        file.write(b"two").expect("second write");
        assert_eq!(std::fs::read(file.path()).expect("read back"), b"two");
        assert_eq!(names_in(dir.path()), ["pushgw.data"]);
        let mode = std::fs::metadata(file.path())
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn a_failed_write_leaves_the_old_file_and_no_temp_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = PersistenceFile::new(dir.path().join("pushgw.data"));
        file.write(b"old").expect("first write");
        // A directory where the file should go makes the rename fail.
        let blocked = PersistenceFile::new(dir.path().join("sub"));
        std::fs::create_dir(blocked.path()).expect("dir");
        std::fs::write(blocked.path().join("x"), b"").expect("make it non-empty");
        assert!(blocked.write(b"new").is_err());
        assert_eq!(std::fs::read(file.path()).expect("read back"), b"old");
        assert_eq!(names_in(dir.path()), ["pushgw.data", "sub"]);
    }

    #[test]
    fn writability_is_checked_without_leaving_files() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = PersistenceFile::new(dir.path().join("pushgw.data"));
        file.check_writable().expect("writable");
        assert!(names_in(dir.path()).is_empty());
        let missing = PersistenceFile::new(dir.path().join("no/such/dir/pushgw.data"));
        let err = missing.check_writable().expect_err("missing directory");
        assert!(format!("{err:#}").contains("no/such/dir"), "{err:#}");
    }

    #[test]
    fn stale_temp_files_are_removed_and_nothing_else() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = PersistenceFile::new(dir.path().join("pushgw.data"));
        for name in [
            "pushgw.data",
            "pushgw.data.in_progress.123",
            "pushgw.data.wal.00000000000000000002.in_progress",
            "pushgw.data.wal.00000000000000000001",
            "pushgw.data.corrupt.1700000000",
            "other.in_progress.1",
        ] {
            std::fs::write(dir.path().join(name), b"x").expect("write");
        }
        assert_eq!(file.remove_stale_temp_files().expect("removed"), 2);
        assert_eq!(
            names_in(dir.path()),
            [
                "other.in_progress.1",
                "pushgw.data",
                "pushgw.data.corrupt.1700000000",
                "pushgw.data.wal.00000000000000000001"
            ]
        );
    }

    #[test]
    fn load_restores_a_good_file_and_ignores_a_missing_one() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = PersistenceFile::new(dir.path().join("pushgw.data"));
        let fake = Fake::default();
        assert_eq!(file.load(&fake).expect("load"), Loaded::Missing);
        std::fs::write(file.path(), b"good:data").expect("write");
        assert_eq!(
            file.load(&fake).expect("load"),
            Loaded::Restored {
                bytes: 9,
                id: SnapshotId::of(b"good:data")
            }
        );
        assert_eq!(
            fake.restored.lock().expect("not poisoned").as_deref(),
            Some(&b"good:data"[..])
        );
    }

    #[test]
    fn a_corrupt_file_is_moved_aside_and_never_overwritten() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = PersistenceFile::new(dir.path().join("pushgw.data"));
        std::fs::write(file.path(), b"garbage").expect("write");
        let Loaded::MovedAside { error, moved_to } = file.load(&Fake::default()).expect("load")
        else {
            panic!("corrupt file not moved aside");
        };
        assert_eq!(error, "bad magic");
        let name = moved_to
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        assert!(name.starts_with("pushgw.data.corrupt."), "{name}");
        assert_eq!(std::fs::read(&moved_to).expect("kept"), b"garbage");
        // The next write creates a new file and keeps the corrupt one.
        file.write(b"good:new").expect("write");
        assert_eq!(std::fs::read(&moved_to).expect("still kept"), b"garbage");
        // A second corrupt file in the same second gets its own name.
        std::fs::write(file.path(), b"garbage 2").expect("write");
        let second = file.move_aside(SystemTime::now()).expect("moved");
        assert_ne!(second, moved_to);
        assert_eq!(std::fs::read(&second).expect("kept"), b"garbage 2");
    }

    /// Runs the schedule with paused time through `events` (seconds after start, what happens)
    /// and returns when it wrote (seconds after start).
    async fn writes_at(interval_secs: u64, events: &[(u64, &str)]) -> Vec<u64> {
        let start = Instant::now();
        let requests = Arc::new(PersistRequests::default());
        let (stop, shutdown) = watch::channel(false);
        let writes = Arc::new(Mutex::new(Vec::new()));
        let recorded = writes.clone();
        let schedule = tokio::spawn(run_schedule(
            Duration::from_secs(interval_secs),
            requests.clone(),
            shutdown,
            move || {
                let recorded = recorded.clone();
                async move {
                    recorded
                        .lock()
                        .expect("not poisoned")
                        .push(start.elapsed().as_secs());
                }
            },
        ));
        for (at, event) in events {
            tokio::time::sleep_until(start + Duration::from_secs(*at)).await;
            match *event {
                "change" => requests.mark_changed(),
                "now" => requests.persist_now(),
                "stop" => stop.send(true).expect("schedule alive"),
                other => panic!("unknown event {other}"),
            }
            // Let the schedule observe the event before time moves on.
            tokio::task::yield_now().await;
        }
        schedule.await.expect("schedule finished");
        writes.lock().expect("not poisoned").clone()
    }

    #[tokio::test(start_paused = true)]
    async fn schedule_matches_the_reference() {
        // First change after start waits for start + interval (lastPersist starts at start).
        assert_eq!(
            writes_at(300, &[(10, "change"), (1000, "stop")]).await,
            [300]
        );
        // Idle: nothing is written.
        assert_eq!(writes_at(300, &[(1000, "stop")]).await, Vec::<u64>::new());
        // After a quiet period longer than the interval, the first change is written at once;
        // changes right after it wait for the interval; many changes make one write.
        assert_eq!(
            writes_at(
                300,
                &[
                    (400, "change"),
                    (401, "change"),
                    (402, "change"),
                    (500, "change"),
                    (2000, "stop")
                ]
            )
            .await,
            [400, 700]
        );
        // At most one write per interval under a steady stream of changes.
        let stream: Vec<(u64, &str)> = (1..=100)
            .map(|second| (second * 10, "change"))
            .chain([(1100, "stop")])
            .collect();
        assert_eq!(writes_at(300, &stream).await, [300, 600, 900]);
        // SIGHUP writes at once; the interval counts from that write.
        assert_eq!(
            writes_at(300, &[(50, "now"), (60, "change"), (1000, "stop")]).await,
            [50, 350]
        );
        // Interval 0: every change is written at once.
        assert_eq!(
            writes_at(0, &[(1, "change"), (2, "change"), (3, "stop")]).await,
            [1, 2]
        );
    }
}
