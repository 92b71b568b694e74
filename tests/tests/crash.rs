//! Crash tests: `pushgw-sidecar` killed with SIGKILL in the middle of a push load, then
//! restarted on the same persistence file (issue 4 and issue 8).
//!
//! Writers push over real HTTP, each to its own group (`PUT`) and to one shared group (`POST`,
//! a family per writer), with a value that grows by one per request; they record the highest
//! value acknowledged with 200. The gateway is killed at a random moment (after a random number
//! of acknowledged pushes, so the moment is polled for, never slept for), restarted, and then:
//!
//! * the persistence file always loads: the log says so, nothing is moved aside as corrupt;
//! * without `--persistence.sync`, every push acknowledged before the last completed persist is
//!   there (the file is the last complete snapshot, never a torn one);
//! * with `--persistence.sync`, every acknowledged push is there.
//!
//! A stored value is never above what was sent. The seed of the random moments is printed;
//! `PUSHGW_CRASH_SEED=<n>` repeats a run.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use pushgw_tests::{PushgwSidecar, http, wait_until};

const WRITERS: usize = 3;
const TIMEOUT: Duration = Duration::from_secs(30);

/// A small xorshift generator: enough randomness for kill moments, reproducible from a seed.
struct Random(u64);

impl Random {
    fn from_env_or_clock() -> Random {
        let seed = std::env::var("PUSHGW_CRASH_SEED")
            .ok()
            .and_then(|seed| seed.parse().ok())
            .unwrap_or_else(|| {
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(1, |elapsed| elapsed.as_nanos() as u64)
            });
        println!("crash test seed: PUSHGW_CRASH_SEED={seed}");
        Random(seed | 1)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound
    }
}

/// Per writer: the highest value sent, and the highest acknowledged of each kind of push (odd
/// values are `PUT`s to the writer's own group, even ones `POST`s to the shared group).
#[derive(Debug, Default)]
struct Progress {
    sent: AtomicU64,
    put: AtomicU64,
    post: AtomicU64,
}

/// A snapshot of [`Progress`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Counts {
    sent: u64,
    put: u64,
    post: u64,
}

impl Counts {
    /// The highest `PUT` and `POST` values sent.
    fn sent_put_post(self) -> (u64, u64) {
        if self.sent % 2 == 1 {
            (self.sent, self.sent.saturating_sub(1))
        } else {
            (self.sent.saturating_sub(1), self.sent)
        }
    }
}

/// The push load against one gateway, until it dies.
struct Load {
    progress: Arc<Vec<Progress>>,
    stop: Arc<AtomicBool>,
    threads: Vec<thread::JoinHandle<()>>,
}

impl Load {
    /// Writers continue from the previous cycle's values.
    fn start(base_url: &str, before: &[Counts]) -> Load {
        let progress: Arc<Vec<Progress>> = Arc::new(
            before
                .iter()
                .map(|counts| Progress {
                    sent: AtomicU64::new(counts.sent),
                    put: AtomicU64::new(counts.put),
                    post: AtomicU64::new(counts.post),
                })
                .collect(),
        );
        let stop = Arc::new(AtomicBool::new(false));
        let threads = (0..WRITERS)
            .map(|writer| {
                let progress = progress.clone();
                let stop = stop.clone();
                let own = format!("{base_url}/metrics/job/crash/writer/w{writer}");
                let shared = format!("{base_url}/metrics/job/crash_shared");
                thread::spawn(move || {
                    let mine = &progress[writer];
                    while !stop.load(Ordering::SeqCst) {
                        let value = mine.sent.load(Ordering::SeqCst) + 1;
                        mine.sent.store(value, Ordering::SeqCst);
                        let acked = if value % 2 == 1 { &mine.put } else { &mine.post };
                        let pushed = if value % 2 == 1 {
                            let body = format!("crash_put{{series=\"a\"}} {value}\ncrash_put{{series=\"b\"}} {value}\n");
                            http::put(&own, body.as_bytes())
                        } else {
                            let body = format!("crash_post_w{writer} {value}\n");
                            http::post(&shared, body.as_bytes())
                        };
                        match pushed {
                            Ok(response) if response.status == 200 => {
                                acked.store(value, Ordering::SeqCst);
                            }
                            Ok(response) => panic!(
                                "push of {value} by writer {writer}: HTTP {}: {}",
                                response.status,
                                response.text()
                            ),
                            // The gateway was killed.
                            Err(_) => return,
                        }
                    }
                })
            })
            .collect();
        Load {
            progress,
            stop,
            threads,
        }
    }

    /// The sum of the highest acknowledged values: it grows with every acknowledged push.
    fn acked_total(&self) -> u64 {
        total(&self.counts())
    }

    fn counts(&self) -> Vec<Counts> {
        self.progress
            .iter()
            .map(|p| Counts {
                sent: p.sent.load(Ordering::SeqCst),
                put: p.put.load(Ordering::SeqCst),
                post: p.post.load(Ordering::SeqCst),
            })
            .collect()
    }

    /// Waits for the writers (they end when the gateway is gone) and returns their counts.
    fn finish(mut self) -> Vec<Counts> {
        self.stop.store(true, Ordering::SeqCst);
        for thread in std::mem::take(&mut self.threads) {
            thread.join().expect("a writer panicked");
        }
        self.counts()
    }
}

fn total(counts: &[Counts]) -> u64 {
    counts.iter().map(|c| c.put + c.post).sum()
}

/// Asserts what a restarted gateway holds for each writer: at least `promised`, at most what
/// was sent.
#[track_caller]
fn assert_stored(gateway: &PushgwSidecar, promised: &[Counts], after: &[Counts], cycle: usize) {
    let (own, shared) = stored(gateway);
    for writer in 0..WRITERS {
        let (sent_put, sent_post) = after[writer].sent_put_post();
        let Counts { put, post, .. } = promised[writer];
        assert!(
            (put..=sent_put).contains(&own[writer]) && (post..=sent_post).contains(&shared[writer]),
            "cycle {cycle}, writer {writer}: stored PUT {} POST {}, expected at least {put} and {post}, sent up to {sent_put} and {sent_post}\n{}",
            own[writer],
            shared[writer],
            gateway.process().log()
        );
    }
}

/// What a restarted gateway holds: per writer, the value of its own group and of its family in
/// the shared group (0 if absent).
fn stored(gateway: &PushgwSidecar) -> (Vec<u64>, Vec<u64>) {
    let scrape = http::get(&gateway.url("/metrics"))
        .and_then(http::Response::success)
        .expect("scrape after restart")
        .text();
    let mut own = vec![0; WRITERS];
    let mut shared = vec![0; WRITERS];
    for line in scrape.lines().filter(|line| line.starts_with("crash_")) {
        let (series, value) = line.rsplit_once(' ').expect("a sample line");
        let value: u64 = value.parse().expect("an integer value");
        for writer in 0..WRITERS {
            if series.starts_with("crash_put{") && series.contains(&format!("writer=\"w{writer}\""))
            {
                // Both series of a push carry the same value: a push is applied whole.
                assert!(
                    own[writer] == 0 || own[writer] == value,
                    "half-applied push in {scrape}"
                );
                own[writer] = value;
            }
            if series.starts_with(&format!("crash_post_w{writer}{{")) {
                shared[writer] = value;
            }
        }
    }
    (own, shared)
}

/// How many times the log says the file was written.
fn persists(gateway: &PushgwSidecar) -> usize {
    gateway
        .process()
        .stderr()
        .matches("msg=\"metrics persisted\"")
        .count()
}

fn start(file: &Path, sync: bool) -> PushgwSidecar {
    let file_flag = format!("--persistence.file={}", file.display());
    let mut args = vec![file_flag.as_str(), "--persistence.interval=100ms"];
    if sync {
        args.push("--persistence.sync");
    }
    PushgwSidecar::start(&args)
}

/// The restarted gateway loaded the file (if there was one) and moved nothing aside.
#[track_caller]
fn assert_loaded_cleanly(gateway: &PushgwSidecar, file: &Path, cycle: usize) {
    let log = gateway.process().stderr();
    assert!(
        !log.contains("moved aside"),
        "cycle {cycle}: the persistence file did not load:\n{log}"
    );
    if file.exists() {
        assert!(
            log.contains("msg=\"persisted metrics loaded\""),
            "cycle {cycle}: no load reported:\n{log}"
        );
    }
    let dir = file.parent().expect("the file is in a directory");
    let corrupt: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("list the directory")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.to_string_lossy().contains(".corrupt."))
        .collect();
    assert!(
        corrupt.is_empty(),
        "cycle {cycle}: corrupt files {corrupt:?}"
    );
}

/// Kills `gateway` with SIGKILL and waits for it to be gone.
fn kill(gateway: &PushgwSidecar) {
    gateway.process().signal("KILL");
    gateway.process().wait_exit(TIMEOUT);
}

/// Issue 4: without `--persistence.sync`, a kill -9 during a push load leaves the last complete
/// snapshot, which holds everything acknowledged before that persist started.
#[test]
fn kill_during_load_keeps_the_last_complete_snapshot() {
    let started = Instant::now();
    let mut random = Random::from_env_or_clock();
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("pushgw.data");
    let mut before = vec![Counts::default(); WRITERS];
    for cycle in 0..10 {
        let gateway = start(&file, false);
        assert_loaded_cleanly(&gateway, &file, cycle);
        let load = Load::start(&gateway.base_url(), &before);
        // Acknowledged before a persist that started afterwards and completed: `promised` must
        // survive. Two more completed persists guarantee that one started after this moment.
        let acked_before = total(&before);
        wait_until(TIMEOUT, "a first acknowledged push", || {
            Ok::<_, String>(load.acked_total() > acked_before)
        });
        let promised = load.counts();
        let persisted = persists(&gateway);
        wait_until(TIMEOUT, "two more persists", || {
            Ok::<_, String>(persists(&gateway) >= persisted + 2)
        });
        // Then a random moment: up to 150 more acknowledged pushes.
        let target = load.acked_total() + random.below(150);
        wait_until(TIMEOUT, "the random kill moment", || {
            Ok::<_, String>(load.acked_total() >= target)
        });
        kill(&gateway);
        let after = load.finish();

        let restarted = start(&file, false);
        assert_loaded_cleanly(&restarted, &file, cycle);
        assert_stored(&restarted, &promised, &after, cycle);
        // The next cycle continues above everything sent, so old values cannot pass for new.
        before = after;
        drop(restarted);
    }
    println!(
        "10 kill -9 cycles without --persistence.sync: {:.1?}",
        started.elapsed()
    );
}

/// Issue 8: with `--persistence.sync`, 50 cycles of push load, kill -9 at a random moment and
/// restart: the file always loads and every acknowledged push is there.
#[test]
fn with_sync_every_acknowledged_push_survives_kill_9() {
    let started = Instant::now();
    let mut random = Random::from_env_or_clock();
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("pushgw.data");
    let mut before = vec![Counts::default(); WRITERS];
    let mut gateway = start(&file, true);
    let mut acknowledged = 0;
    for cycle in 0..50 {
        let load = Load::start(&gateway.base_url(), &before);
        // A random moment: after 1 to 120 acknowledged pushes (the 100 ms persists fall at
        // random points in between).
        let acked_before = total(&before);
        let target = acked_before + 1 + random.below(120);
        wait_until(TIMEOUT, "the random kill moment", || {
            Ok::<_, String>(load.acked_total() >= target)
        });
        kill(&gateway);
        let after = load.finish();

        gateway = start(&file, true);
        assert_loaded_cleanly(&gateway, &file, cycle);
        assert_stored(&gateway, &after, &after, cycle);
        // Each acknowledged push raises its writer's PUT or POST value by 2.
        acknowledged += (total(&after) - acked_before) / 2;
        before = after;
    }
    println!(
        "50 kill -9 cycles with --persistence.sync: {:.1?}, about {acknowledged} acknowledged pushes checked",
        started.elapsed()
    );
}

/// The persistence file's guarantees hold with the write-ahead log in place: a corrupt file is
/// moved aside and kept, SIGHUP persists (compacting the log) and never terminates, and the
/// file plus log survive a kill -9.
#[test]
fn with_sync_corrupt_files_are_kept_and_sighup_persists() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("pushgw.data");
    std::fs::write(&file, b"definitely not a snapshot").expect("write");
    let gateway = start(&file, true);
    let log = gateway.process().stderr();
    assert!(log.contains("moved aside"), "{log}");
    let names = || -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .expect("list")
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
    };
    let corrupt: Vec<String> = names()
        .into_iter()
        .filter(|name| name.starts_with("pushgw.data.corrupt."))
        .collect();
    assert_eq!(corrupt.len(), 1, "{:?}", names());
    assert_eq!(
        std::fs::read(dir.path().join(&corrupt[0])).expect("kept"),
        b"definitely not a snapshot"
    );

    let pushed = http::put(&gateway.url("/metrics/job/hup"), b"hup_value 1\n").expect("push");
    assert_eq!(pushed.status, 200);
    let segment_before = names().into_iter().find(|name| name.contains(".wal."));
    let persisted = persists(&gateway);
    gateway.process().signal("HUP");
    wait_until(TIMEOUT, "the persist SIGHUP asks for", || {
        Ok::<_, String>(persists(&gateway) > persisted)
    });
    assert!(
        gateway.process().exit_status().is_none(),
        "SIGHUP terminated it"
    );
    // A scheduled persist may finish just before the SIGHUP's one, which then still has the old
    // segment on disk for a moment: wait for the state after the SIGHUP's persist.
    let wal_segments = || -> Vec<String> {
        names()
            .into_iter()
            .filter(|name| name.contains(".wal."))
            .collect()
    };
    wait_until(
        TIMEOUT,
        "one new log segment after the SIGHUP persist",
        || {
            let segments = wal_segments();
            Ok::<_, String>(segments.len() == 1 && Some(&segments[0]) != segment_before.as_ref())
        },
    );
    let pushed = http::put(&gateway.url("/metrics/job/after"), b"after_value 2\n").expect("push");
    assert_eq!(pushed.status, 200);
    kill(&gateway);

    let restarted = start(&file, true);
    let log = restarted.process().stderr();
    assert!(!log.contains("moved aside"), "{log}");
    assert!(log.contains("msg=\"persisted metrics loaded\""), "{log}");
    let scrape = http::get(&restarted.url("/metrics"))
        .expect("scrape")
        .text();
    assert!(
        scrape.contains("hup_value{instance=\"\",job=\"hup\"} 1"),
        "{scrape}"
    );
    assert!(
        scrape.contains("after_value{instance=\"\",job=\"after\"} 2"),
        "{scrape}"
    );
}
