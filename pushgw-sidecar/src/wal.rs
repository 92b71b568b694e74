//! The write-ahead log of `--persistence.sync` (our extension): every push and delete the
//! gateway acknowledges is on disk before its answer leaves, and survives `kill -9`.
//!
//! # What is logged
//!
//! The accepted request itself: receive time, method, URI, `Content-Type`, `Content-Encoding`
//! and the body as received. At start-up the records are replayed through the gateway with
//! their logged times, which reproduces every state change exactly (`push_time_seconds`,
//! `push_failure_time_seconds`, TTL deadlines, consistency-check verdicts) without a second
//! description of what a push does. Requests that changed nothing are not logged: only
//! `PUT`/`POST`/`DELETE` answered with a 2xx or a 400 (a rejected push still stamps the group's
//! failure time) are.
//!
//! A lock (`order`) is held from the gateway's handling of a write until its record is queued,
//! so the log's order is the order in which writes were applied, to each group and across groups
//! (wipes). Scrapes do not take it. Decoding the body happens under it: writes are serialised in
//! this mode.
//!
//! # Group commit
//!
//! Records are queued in memory with a sequence number; one flusher thread writes whatever is
//! queued and `fdatasync`s it, then publishes the highest durable sequence number. A request
//! waits for its number and only then answers. Requests that arrive during an fsync share the
//! next one.
//!
//! # Files and compaction
//!
//! The log is a series of segment files next to the persistence file, `<file>.wal.<number>`.
//! Each starts with a header naming its *base*: the snapshot bytes (length and CRC-32) it
//! applies on top of. A persist (the reference's schedule, SIGHUP, shutdown) does, with writes
//! held only while the snapshot is taken:
//!
//! 1. encode the snapshot S and flush everything queued into the current segment;
//! 2. create the next segment with base S (temp file, fsync, rename, fsync the directory);
//!    new writes go there;
//! 3. write S into the persistence file atomically (`PersistenceFile::write`);
//! 4. delete the older segments.
//!
//! At start-up the file is loaded, then replay starts at the *first* segment whose base is the
//! loaded file (all segments if none is) and runs through the last. Whatever step a crash
//! interrupts, that reproduces the state: before 3, the file is the old snapshot and the old
//! segments are replayed before the new one; after 3, the new segment matches the file. A base
//! that occurs twice means equal snapshot bytes, from which a deterministic replay of the same
//! records leads to the same state again. Start-up then compacts at once, so serving always
//! begins on a fresh segment after any torn tail.
//!
//! # Records
//!
//! ```text
//! segment header, 25 bytes: magic "PUSHGW\0W", u32 LE version 1,
//!                           u8 0|1 base present, u64 LE base length, u32 LE base CRC-32
//! record: u64 LE payload length, u32 LE CRC-32 of the payload, payload:
//!         i64 LE seconds and u32 LE nanoseconds since the Unix epoch (receive time),
//!         u8 method (0 PUT, 1 POST, 2 DELETE), bytes URI, opt Content-Type,
//!         opt Content-Encoding, bytes body
//! bytes = u64 LE length, the bytes; opt = u8 0 | u8 1 and bytes
//! ```
//!
//! A record that is cut short or fails its CRC ends its segment's replay: a crash during a
//! write leaves exactly that, and that record was never acknowledged. It is reported in the log
//! and never applied.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use bytes::Bytes;
use http::header::{CONTENT_ENCODING, CONTENT_TYPE, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use pushgw_core::gateway::QuitRequested;
use tokio::sync::watch;
use tracing::{error, info, warn};

use crate::persistence::{PersistRequests, PersistenceFile, Snapshotter};
use crate::server::Handler;

/// The first eight bytes of every segment.
const MAGIC: [u8; 8] = *b"PUSHGW\0W";
/// The segment format this build writes and reads.
const VERSION: u32 = 1;
const HEADER_LEN: usize = 8 + 4 + 1 + 8 + 4;
/// Payload length and CRC in front of every record.
const FRAME_LEN: usize = 8 + 4;
/// A segment this large asks for a persist, which starts a new one: replay time stays bounded.
const COMPACT_AFTER_BYTES: u64 = 64 << 20;

/// Identifies persistence-file content: its length and CRC-32. A segment names the snapshot it
/// applies on top of this way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotId {
    len: u64,
    crc: u32,
}

impl SnapshotId {
    /// The id of these file bytes.
    pub fn of(bytes: &[u8]) -> Self {
        SnapshotId {
            len: bytes.len() as u64,
            crc: crc32fast::hash(bytes),
        }
    }
}

/// One logged write request.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Record {
    time: SystemTime,
    method: Method,
    uri: String,
    content_type: Option<Vec<u8>>,
    content_encoding: Option<Vec<u8>>,
    body: Bytes,
}

impl Record {
    /// The record of a write request (`None` for other methods).
    fn of(request: &Request<Bytes>, time: SystemTime) -> Option<Record> {
        let method = request.method();
        if !matches!(*method, Method::PUT | Method::POST | Method::DELETE) {
            return None;
        }
        let header = |name| {
            request
                .headers()
                .get(name)
                .map(|value: &HeaderValue| value.as_bytes().to_vec())
        };
        Some(Record {
            time,
            method: method.clone(),
            uri: request.uri().to_string(),
            content_type: header(CONTENT_TYPE),
            content_encoding: header(CONTENT_ENCODING),
            body: request.body().clone(),
        })
    }

    /// The request again, for the gateway.
    fn request(&self) -> Result<Request<Bytes>, String> {
        let mut builder = Request::builder()
            .method(self.method.clone())
            .uri(self.uri.as_str());
        for (name, value) in [
            (CONTENT_TYPE, &self.content_type),
            (CONTENT_ENCODING, &self.content_encoding),
        ] {
            if let Some(value) = value {
                builder = builder.header(name, value.as_slice());
            }
        }
        builder
            .body(self.body.clone())
            .map_err(|err| format!("cannot rebuild the request {:?}: {err}", self.uri))
    }

    /// Appends the framed record to `out`.
    fn encode(&self, out: &mut Vec<u8>) {
        let start = out.len();
        out.extend_from_slice(&[0; FRAME_LEN]);
        let (secs, nanos) = match self.time.duration_since(UNIX_EPOCH) {
            Ok(after) => (
                i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
                after.subsec_nanos(),
            ),
            Err(before) => {
                // Before the epoch: whole seconds down, nanoseconds up.
                let before = before.duration();
                let secs = i64::try_from(before.as_secs()).unwrap_or(i64::MAX);
                match before.subsec_nanos() {
                    0 => (-secs, 0),
                    nanos => (-secs - 1, 1_000_000_000 - nanos),
                }
            }
        };
        out.extend_from_slice(&secs.to_le_bytes());
        out.extend_from_slice(&nanos.to_le_bytes());
        out.push(match self.method {
            Method::PUT => 0,
            Method::POST => 1,
            _ => 2,
        });
        put_bytes(out, self.uri.as_bytes());
        for value in [&self.content_type, &self.content_encoding] {
            match value {
                None => out.push(0),
                Some(value) => {
                    out.push(1);
                    put_bytes(out, value);
                }
            }
        }
        put_bytes(out, &self.body);
        let payload = &out[start + FRAME_LEN..];
        let len = (payload.len() as u64).to_le_bytes();
        let crc = crc32fast::hash(payload).to_le_bytes();
        out[start..start + 8].copy_from_slice(&len);
        out[start + 8..start + FRAME_LEN].copy_from_slice(&crc);
    }

    /// Decodes one payload (whose CRC has been checked).
    fn decode(payload: &[u8]) -> Result<Record, String> {
        let mut reader = Reader { bytes: payload };
        let secs = i64::from_le_bytes(reader.array()?);
        let nanos = u32::from_le_bytes(reader.array()?);
        if nanos >= 1_000_000_000 {
            return Err(format!("nanoseconds out of range: {nanos}"));
        }
        let time = if secs >= 0 {
            UNIX_EPOCH.checked_add(Duration::new(secs.unsigned_abs(), nanos))
        } else {
            UNIX_EPOCH
                .checked_sub(Duration::from_secs(secs.unsigned_abs()))
                .and_then(|t| t.checked_add(Duration::from_nanos(u64::from(nanos))))
        }
        .ok_or_else(|| format!("time out of range: {secs}s"))?;
        let method = match reader.array::<1>()?[0] {
            0 => Method::PUT,
            1 => Method::POST,
            2 => Method::DELETE,
            other => return Err(format!("unknown method code {other}")),
        };
        let uri = String::from_utf8(reader.bytes()?.to_vec())
            .map_err(|_| "the URI is not UTF-8".to_owned())?;
        let content_type = reader.optional()?;
        let content_encoding = reader.optional()?;
        let body = Bytes::copy_from_slice(reader.bytes()?);
        if !reader.bytes.is_empty() {
            return Err(format!("{} bytes after the body", reader.bytes.len()));
        }
        Ok(Record {
            time,
            method,
            uri,
            content_type,
            content_encoding,
            body,
        })
    }
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
    out.extend_from_slice(bytes);
}

/// Reads a record's payload; every length is checked against what is left.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, len: u64) -> Result<&'a [u8], String> {
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        if len > self.bytes.len() {
            return Err(format!("{len} bytes expected, {} left", self.bytes.len()));
        }
        let (taken, rest) = self.bytes.split_at(len);
        self.bytes = rest;
        Ok(taken)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let taken = self.take(N as u64)?;
        Ok(taken.try_into().expect("take returned N bytes"))
    }

    fn bytes(&mut self) -> Result<&'a [u8], String> {
        let len = u64::from_le_bytes(self.array()?);
        self.take(len)
    }

    fn optional(&mut self) -> Result<Option<Vec<u8>>, String> {
        match self.array::<1>()?[0] {
            0 => Ok(None),
            1 => Ok(Some(self.bytes()?.to_vec())),
            other => Err(format!("bad presence flag {other}")),
        }
    }
}

/// A segment as read back: its base, its complete records, and what ended it early.
#[derive(Debug)]
struct ReadSegment {
    base: Option<SnapshotId>,
    records: Vec<Record>,
    /// Offset and reason of a torn or corrupt record, after which nothing was read.
    torn: Option<(usize, String)>,
}

/// The segment header for `base`.
fn header(base: Option<SnapshotId>) -> [u8; HEADER_LEN] {
    let mut out = [0; HEADER_LEN];
    out[..8].copy_from_slice(&MAGIC);
    out[8..12].copy_from_slice(&VERSION.to_le_bytes());
    if let Some(base) = base {
        out[12] = 1;
        out[13..21].copy_from_slice(&base.len.to_le_bytes());
        out[21..25].copy_from_slice(&base.crc.to_le_bytes());
    }
    out
}

/// Parses a whole segment file. A bad header is an error (the file is not a segment of ours);
/// a bad record ends the segment.
fn read_segment(bytes: &[u8]) -> Result<ReadSegment, String> {
    let Some((head, mut rest)) = bytes.split_first_chunk::<HEADER_LEN>() else {
        return Err(format!(
            "{} bytes, shorter than a segment header",
            bytes.len()
        ));
    };
    if head[..8] != MAGIC {
        return Err("not a pushgw write-ahead log segment (bad magic)".to_owned());
    }
    let version = u32::from_le_bytes(head[8..12].try_into().expect("4 bytes"));
    if version != VERSION {
        return Err(format!(
            "unsupported segment version {version} (this build reads version {VERSION})"
        ));
    }
    let base = match head[12] {
        0 => None,
        1 => Some(SnapshotId {
            len: u64::from_le_bytes(head[13..21].try_into().expect("8 bytes")),
            crc: u32::from_le_bytes(head[21..25].try_into().expect("4 bytes")),
        }),
        other => return Err(format!("bad base flag {other} in the segment header")),
    };
    let mut records = Vec::new();
    let mut offset = HEADER_LEN;
    let torn = loop {
        if rest.is_empty() {
            break None;
        }
        let Some((frame, after)) = rest.split_first_chunk::<FRAME_LEN>() else {
            break Some((
                offset,
                format!("{} bytes, shorter than a record frame", rest.len()),
            ));
        };
        let len = u64::from_le_bytes(frame[..8].try_into().expect("8 bytes"));
        let crc = u32::from_le_bytes(frame[8..].try_into().expect("4 bytes"));
        let Some(payload) = usize::try_from(len).ok().and_then(|len| after.get(..len)) else {
            break Some((
                offset,
                format!("record of {len} bytes, only {} present", after.len()),
            ));
        };
        if crc32fast::hash(payload) != crc {
            break Some((offset, "record checksum mismatch".to_owned()));
        }
        match Record::decode(payload) {
            Ok(record) => records.push(record),
            Err(reason) => break Some((offset, format!("invalid record: {reason}"))),
        }
        rest = &after[payload.len()..];
        offset += FRAME_LEN + payload.len();
    };
    Ok(ReadSegment {
        base,
        records,
        torn,
    })
}

/// `<file>.wal.<number>`, zero-padded so that names sort by number.
fn segment_path(file: &PersistenceFile, number: u64) -> PathBuf {
    file.sibling(&format!("wal.{number:020}"))
}

/// The segments next to `file`, by number.
fn list_segments(file: &PersistenceFile) -> anyhow::Result<Vec<(u64, PathBuf)>> {
    let prefix = format!(
        "{}.wal.",
        file.path()
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
    );
    let dir = file.dir();
    let mut segments = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let entry = entry.with_context(|| format!("listing {}", dir.display()))?;
        let name = entry.file_name();
        let Some(number) = name
            .to_str()
            .and_then(|name| name.strip_prefix(&prefix))
            .filter(|digits| digits.len() == 20 && digits.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|digits| digits.parse::<u64>().ok())
        else {
            continue;
        };
        segments.push((number, entry.path()));
    }
    segments.sort();
    Ok(segments)
}

/// What start-up found in the write-ahead log.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Replayed {
    /// Segment files present.
    pub segments: usize,
    /// Records applied.
    pub records: usize,
}

/// Replays the segments next to `file` through `handler`, starting at the first segment based on
/// `loaded` (the file as restored; `None` if there was none), or at the first segment if none
/// is. Torn records end their segment and are reported in the log; unreadable segments too.
pub fn replay<H: Handler>(
    file: &PersistenceFile,
    loaded: Option<SnapshotId>,
    handler: &H,
) -> anyhow::Result<Replayed> {
    let segments = list_segments(file)?;
    let mut read = Vec::with_capacity(segments.len());
    for (_, path) in &segments {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        read.push((path, read_segment(&bytes)));
    }
    let based_on_loaded = read
        .iter()
        .position(|(_, segment)| loaded.is_some() && matches!(segment, Ok(s) if s.base == loaded));
    let start = based_on_loaded.unwrap_or(0);
    if based_on_loaded.is_none() && loaded.is_some() && !read.is_empty() {
        warn!(
            file = %file.path().display(),
            "no write-ahead log segment is based on the loaded persistence file; replaying them all"
        );
    }
    let mut replayed = Replayed {
        segments: segments.len(),
        records: 0,
    };
    for (path, segment) in &read[start..] {
        let segment = match segment {
            Ok(segment) => segment,
            Err(reason) => {
                error!(segment = %path.display(), err = reason, "skipping an unreadable write-ahead log segment");
                continue;
            }
        };
        for record in &segment.records {
            match record.request() {
                Ok(request) => {
                    handler.handle(request, record.time);
                    replayed.records += 1;
                }
                Err(reason) => {
                    error!(segment = %path.display(), err = reason, "skipping a write-ahead log record");
                }
            }
        }
        if let Some((offset, reason)) = &segment.torn {
            warn!(
                segment = %path.display(),
                offset,
                reason,
                "ignored a torn or corrupt record at the end of a write-ahead log segment (never acknowledged if torn by a crash)"
            );
        }
    }
    if replayed.segments > 0 {
        info!(
            segments = replayed.segments,
            records = replayed.records,
            "write-ahead log replayed"
        );
    }
    Ok(replayed)
}

/// Removes every segment next to `file` numbered below `before` (all of them for `None`).
pub fn remove_segments(file: &PersistenceFile, before: Option<u64>) -> anyhow::Result<()> {
    let mut removed = false;
    for (number, path) in list_segments(file)? {
        if before.is_none_or(|before| number < before) {
            std::fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
            removed = true;
        }
    }
    if removed {
        sync_dir(file)?;
    }
    Ok(())
}

fn sync_dir(file: &PersistenceFile) -> anyhow::Result<()> {
    File::open(file.dir())
        .and_then(|dir| dir.sync_all())
        .with_context(|| format!("syncing the directory {}", file.dir().display()))
}

/// Creates segment `number` with its header, durably: a temp file, fsync, rename, fsync of the
/// directory. A segment file therefore always has a whole header.
fn create_segment(
    file: &PersistenceFile,
    number: u64,
    base: Option<SnapshotId>,
) -> anyhow::Result<OpenSegment> {
    let path = segment_path(file, number);
    let temp = file.sibling(&format!("wal.{number:020}.in_progress"));
    let created = (|| {
        let mut handle = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&temp)?;
        handle.write_all(&header(base))?;
        handle.sync_all()?;
        std::fs::rename(&temp, &path)?;
        Ok::<_, std::io::Error>(handle)
    })();
    let handle = match created {
        Ok(handle) => handle,
        Err(err) => {
            let _ = std::fs::remove_file(&temp);
            return Err(err).with_context(|| format!("creating {}", path.display()));
        }
    };
    sync_dir(file)?;
    Ok(OpenSegment {
        number,
        file: handle,
        bytes: HEADER_LEN as u64,
    })
}

/// The segment new records go to.
#[derive(Debug)]
struct OpenSegment {
    number: u64,
    file: File,
    bytes: u64,
}

/// Records queued for the flusher.
#[derive(Debug, Default)]
struct Pending {
    buffer: Vec<u8>,
    /// Sequence number of the first record in `buffer`.
    first: u64,
    /// The next sequence number to hand out (numbers start at 1).
    next: u64,
    /// Why the current segment cannot take records any more; writes are refused until a persist
    /// starts a new one.
    broken: Option<Arc<str>>,
    stop: bool,
}

/// What the flusher has done, for waiting requests.
#[derive(Debug, Clone, Default)]
struct Durable {
    /// Every record up to here is on disk, except those in `failed`.
    synced: u64,
    /// Ranges of records that could not be written, with the error.
    failed: Vec<(u64, u64, Arc<str>)>,
}

/// State shared with the flusher thread.
#[derive(Debug)]
struct Shared {
    file: PersistenceFile,
    pending: Mutex<Pending>,
    wake: Condvar,
    segment: Mutex<Option<OpenSegment>>,
    durable: watch::Sender<Durable>,
    persist: Option<Arc<PersistRequests>>,
    /// How many batches were written and synced (group commit makes this fewer than records).
    syncs: AtomicU64,
}

/// The write-ahead log of a running server.
#[derive(Debug)]
pub struct Wal {
    shared: Arc<Shared>,
    /// Held from applying a write until its record is queued, and while a snapshot is taken.
    order: Arc<tokio::sync::Mutex<()>>,
}

/// What applying a write under the order lock gave.
enum Applied {
    /// Answered without logging (not a state change, or the log is broken).
    Answered(Response<Bytes>),
    /// Logged as this sequence number; answer once it is durable.
    Logged(Response<Bytes>, u64),
}

impl Wal {
    /// A log for `file` without a segment yet: call [`Wal::persist`] before serving, which
    /// starts one. `persist` is asked for a persist when a segment grows large.
    pub fn open(
        file: PersistenceFile,
        persist: Option<Arc<PersistRequests>>,
    ) -> anyhow::Result<Wal> {
        let shared = Arc::new(Shared {
            file,
            pending: Mutex::new(Pending {
                first: 1,
                next: 1,
                ..Pending::default()
            }),
            wake: Condvar::new(),
            segment: Mutex::new(None),
            durable: watch::Sender::new(Durable::default()),
            persist,
            syncs: AtomicU64::new(0),
        });
        let flusher = shared.clone();
        std::thread::Builder::new()
            .name("pushgw-wal".to_owned())
            .spawn(move || flusher.run())
            .context("starting the write-ahead log thread")?;
        Ok(Wal {
            shared,
            order: Arc::new(tokio::sync::Mutex::new(())),
        })
    }

    /// Applies a write request through `handler` and answers once its record is durable.
    /// `blocking`: handle it on the blocking pool (a large body).
    pub async fn apply<H: Handler>(
        &self,
        handler: Arc<H>,
        request: Request<Bytes>,
        now: SystemTime,
        blocking: bool,
    ) -> Response<Bytes> {
        let guard = self.order.clone().lock_owned().await;
        let shared = self.shared.clone();
        let run = move || {
            let applied = shared.apply_locked(handler.as_ref(), request, now);
            drop(guard);
            applied
        };
        let applied = if blocking {
            match tokio::task::spawn_blocking(run).await {
                Ok(applied) => applied,
                Err(err) => {
                    error!(err = %err, "request handler failed");
                    return error_response(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "Internal Server Error".to_owned(),
                    );
                }
            }
        } else {
            run()
        };
        match applied {
            Applied::Answered(response) => response,
            Applied::Logged(response, sequence) => match self.durable(sequence).await {
                Ok(()) => response,
                Err(err) => error_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!(
                        "the change was applied but could not be made durable: {err}; it is lost if the gateway stops before the next persist"
                    ),
                ),
            },
        }
    }

    /// Waits until record `sequence` is on disk, or its write failed.
    async fn durable(&self, sequence: u64) -> Result<(), Arc<str>> {
        let mut durable = self.shared.durable.subscribe();
        let state = durable
            .wait_for(|state| {
                state.synced >= sequence
                    || state
                        .failed
                        .iter()
                        .any(|(from, to, _)| (*from..=*to).contains(&sequence))
            })
            .await
            .map_err(|_| Arc::<str>::from("the write-ahead log thread stopped"))?;
        match state
            .failed
            .iter()
            .find(|(from, to, _)| (*from..=*to).contains(&sequence))
        {
            Some((_, _, err)) => Err(err.clone()),
            None => Ok(()),
        }
    }

    /// Persists: snapshot (writes held meanwhile), a new segment based on it, the file written
    /// atomically, older segments removed. See the module documentation for why any crash
    /// during this loses nothing acknowledged.
    pub async fn persist(&self, snapshotter: Arc<dyn Snapshotter>) -> anyhow::Result<()> {
        let guard = self.order.clone().lock_owned().await;
        let shared = self.shared.clone();
        tokio::task::spawn_blocking(move || shared.compact(snapshotter.as_ref(), guard))
            .await
            .context("the persist task failed")?
    }
}

impl Drop for Wal {
    fn drop(&mut self) {
        self.shared.lock_pending().stop = true;
        self.shared.wake.notify_all();
    }
}

impl Shared {
    fn lock_pending(&self) -> MutexGuard<'_, Pending> {
        // The critical sections only move bytes and numbers; a panic cannot leave them half done.
        self.pending
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn lock_segment(&self) -> MutexGuard<'_, Option<OpenSegment>> {
        self.segment
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Applies one request and queues its record; the caller holds the order lock.
    fn apply_locked<H: Handler + ?Sized>(
        &self,
        handler: &H,
        request: Request<Bytes>,
        now: SystemTime,
    ) -> Applied {
        if let Some(err) = self.lock_pending().broken.clone() {
            return Applied::Answered(error_response(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "writes are refused until the next persist: the write-ahead log failed: {err}"
                ),
            ));
        }
        let record = Record::of(&request, now);
        let response = handler.handle(request, now);
        let changed =
            response.status().is_success() || response.status() == StatusCode::BAD_REQUEST;
        match record {
            Some(record) if changed && response.extensions().get::<QuitRequested>().is_none() => {
                let mut pending = self.lock_pending();
                record.encode(&mut pending.buffer);
                let sequence = pending.next;
                pending.next += 1;
                drop(pending);
                self.wake.notify_one();
                Applied::Logged(response, sequence)
            }
            _ => Applied::Answered(response),
        }
    }

    /// The flusher thread: write and fsync whatever is queued, until the log is dropped.
    fn run(&self) {
        loop {
            {
                let mut pending = self.lock_pending();
                while pending.buffer.is_empty() && !pending.stop {
                    pending = self
                        .wake
                        .wait(pending)
                        .unwrap_or_else(|poisoned| poisoned.into_inner());
                }
                if pending.stop {
                    return;
                }
            }
            let mut segment = self.lock_segment();
            self.flush(&mut segment);
        }
    }

    /// Writes and syncs the queued records into `segment` (the caller holds its lock, so that a
    /// persist cannot switch segments in between) and publishes the outcome.
    fn flush(&self, segment: &mut Option<OpenSegment>) {
        let (buffer, first, last, broken) = {
            let mut pending = self.lock_pending();
            let first = pending.first;
            let last = pending.next - 1;
            pending.first = pending.next;
            (
                std::mem::take(&mut pending.buffer),
                first,
                last,
                pending.broken.clone(),
            )
        };
        if buffer.is_empty() {
            return;
        }
        let written = match (broken, segment.as_mut()) {
            (Some(err), _) => Err(err),
            (None, None) => Err(Arc::from("no segment is open")),
            (None, Some(segment)) => {
                let path = segment_path(&self.file, segment.number);
                segment
                    .file
                    .write_all(&buffer)
                    .and_then(|()| segment.file.sync_data())
                    .map(|()| {
                        segment.bytes += buffer.len() as u64;
                        segment.bytes
                    })
                    .map_err(|err| Arc::from(format!("writing {}: {err}", path.display())))
            }
        };
        match written {
            Ok(bytes) => {
                self.syncs.fetch_add(1, Ordering::Relaxed);
                self.durable.send_modify(|durable| durable.synced = last);
                if bytes > COMPACT_AFTER_BYTES
                    && let Some(persist) = &self.persist
                {
                    persist.persist_now();
                }
            }
            Err(err) => {
                error!(err = %err, "write-ahead log write failed; refusing writes until the next persist");
                self.lock_pending().broken = Some(err.clone());
                self.durable
                    .send_modify(|durable| durable.failed.push((first, last, err)));
            }
        }
    }

    /// Snapshot, new segment, file, removal of older segments; `order` is held until the new
    /// segment takes writes.
    fn compact(
        &self,
        snapshotter: &dyn Snapshotter,
        order: tokio::sync::OwnedMutexGuard<()>,
    ) -> anyhow::Result<()> {
        let bytes = snapshotter.snapshot();
        let number = {
            let mut segment = self.lock_segment();
            // Records queued so far are in the snapshot; they go to the segment they follow.
            self.flush(&mut segment);
            let number = match segment.as_ref() {
                Some(current) => current.number + 1,
                None => list_segments(&self.file)?
                    .last()
                    .map_or(1, |(number, _)| number + 1),
            };
            *segment = Some(create_segment(
                &self.file,
                number,
                Some(SnapshotId::of(&bytes)),
            )?);
            number
        };
        self.lock_pending().broken = None;
        drop(order);
        self.file.write(&bytes)?;
        remove_segments(&self.file, Some(number))
    }
}

fn error_response(status: StatusCode, message: String) -> Response<Bytes> {
    let mut response = Response::new(Bytes::from(format!("{message}\n")));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use pushgw_core::gateway::{Gateway, GatewayOptions};

    use super::*;

    struct Snapshots(Arc<Gateway>);

    impl Snapshotter for Snapshots {
        fn snapshot(&self) -> Vec<u8> {
            self.0.snapshot()
        }

        fn restore(&self, bytes: &[u8]) -> anyhow::Result<()> {
            Ok(self.0.restore(bytes)?)
        }
    }

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn request(method: &str, uri: &str, body: &'static str) -> Request<Bytes> {
        Request::builder()
            .method(method)
            .uri(uri)
            .body(Bytes::from_static(body.as_bytes()))
            .expect("valid request")
    }

    fn record(method: &str, uri: &str, body: &'static str, time: SystemTime) -> Record {
        Record::of(&request(method, uri, body), time).expect("a write request")
    }

    #[test]
    fn records_round_trip() {
        let gzip = Request::builder()
            .method("POST")
            .uri("/metrics/job/j/a@base64/YQ==?ttl=5m")
            .header(
                CONTENT_TYPE,
                "application/vnd.google.protobuf; encoding=delimited",
            )
            .header(CONTENT_ENCODING, "gzip")
            .body(Bytes::from_static(b"\x1f\x8b\x00binary\xff"))
            .expect("valid request");
        let cases = [
            Record::of(&gzip, at(1_700_000_000) + Duration::from_nanos(123)).expect("write"),
            record("PUT", "/metrics/job/j", "m 1\n", at(0)),
            record(
                "DELETE",
                "/metrics/job/j",
                "",
                UNIX_EPOCH - Duration::new(5, 1),
            ),
            record(
                "PUT",
                "/api/v1/admin/wipe",
                "",
                UNIX_EPOCH - Duration::from_secs(5),
            ),
        ];
        for case in cases {
            let mut framed = Vec::new();
            case.encode(&mut framed);
            let payload = &framed[FRAME_LEN..];
            assert_eq!(framed[..8], (payload.len() as u64).to_le_bytes());
            assert_eq!(Record::decode(payload), Ok(case.clone()));
            let rebuilt = case.request().expect("rebuilt");
            assert_eq!(Record::of(&rebuilt, case.time), Some(case));
        }
        assert_eq!(Record::of(&request("GET", "/metrics", ""), at(1)), None);
    }

    #[test]
    fn a_torn_or_corrupt_record_ends_the_segment() {
        let records: Vec<Record> = (1..=3)
            .map(|n| record("PUT", "/metrics/job/j", "m 1\n", at(n)))
            .collect();
        let mut segment = header(Some(SnapshotId::of(b"base"))).to_vec();
        for record in &records {
            record.encode(&mut segment);
        }
        let whole = read_segment(&segment).expect("readable");
        assert_eq!(whole.base, Some(SnapshotId::of(b"base")));
        assert_eq!(whole.records, records);
        assert_eq!(whole.torn, None);
        let mut last = Vec::new();
        records[2].encode(&mut last);
        let last_start = segment.len() - last.len();
        // A crash can cut the last record anywhere.
        for cut in last_start + 1..segment.len() {
            let read = read_segment(&segment[..cut]).expect("readable");
            assert_eq!(read.records, records[..2], "cut at {cut}");
            assert_eq!(read.torn.map(|(offset, _)| offset), Some(last_start));
        }
        // Zeros where the data never reached the disk, or a flipped bit.
        for damage in [segment.len() - 1, last_start + FRAME_LEN] {
            let mut damaged = segment.clone();
            damaged[damage] ^= 0x40;
            let read = read_segment(&damaged).expect("readable");
            assert_eq!(read.records, records[..2]);
            let (offset, reason) = read.torn.expect("reported");
            assert_eq!(
                (offset, reason.as_str()),
                (last_start, "record checksum mismatch")
            );
        }
        assert!(read_segment(b"PUSHGW\0S").is_err());
        assert!(read_segment(&[0; HEADER_LEN]).is_err());
    }

    /// Applies `requests` to `gateway` and returns their records.
    fn apply_all(gateway: &Gateway, requests: &[(&str, &str, &'static str, u64)]) -> Vec<Record> {
        requests
            .iter()
            .map(|&(method, uri, body, secs)| {
                let status = gateway
                    .handle(request(method, uri, body), at(secs))
                    .status();
                assert!(status.is_success(), "{method} {uri}: {status}");
                record(method, uri, body, at(secs))
            })
            .collect()
    }

    fn write_segment(file: &PersistenceFile, number: u64, base: &[u8], records: &[Record]) {
        let mut segment = create_segment(file, number, Some(SnapshotId::of(base))).expect("create");
        let mut bytes = Vec::new();
        for record in records {
            record.encode(&mut bytes);
        }
        segment.file.write_all(&bytes).expect("write records");
    }

    /// What a restart on `file` holds (as snapshot bytes).
    fn restart(file: &PersistenceFile) -> Vec<u8> {
        let gateway = Arc::new(Gateway::new(GatewayOptions::default()));
        let loaded = match file.load(&Snapshots(gateway.clone())).expect("load") {
            crate::persistence::Loaded::Restored { id, .. } => Some(id),
            crate::persistence::Loaded::Missing => None,
            moved @ crate::persistence::Loaded::MovedAside { .. } => panic!("{moved:?}"),
        };
        replay(file, loaded, gateway.as_ref()).expect("replay");
        gateway.snapshot()
    }

    /// Every moment a crash can interrupt a persist leads back to the same state.
    #[test]
    fn a_crash_at_any_step_of_a_persist_loses_nothing_and_applies_nothing_twice() {
        let gateway = Gateway::new(GatewayOptions::default());
        let empty = gateway.snapshot();
        // Segment 1 on the empty file; the persist then snapshots S1 and starts segment 2.
        let first = apply_all(
            &gateway,
            &[
                ("PUT", "/metrics/job/a", "m 1\n", 10),
                ("POST", "/metrics/job/b", "n 2\n", 11),
                ("POST", "/metrics/job/b", "o 3\n", 12),
            ],
        );
        let s1 = gateway.snapshot();
        let second = apply_all(
            &gateway,
            &[
                ("POST", "/metrics/job/b", "n 4\n", 13),
                ("DELETE", "/metrics/job/a", "", 14),
                ("PUT", "/metrics/job/a", "m 5\n", 15),
            ],
        );
        let expected = gateway.snapshot();

        let dir = tempfile::tempdir().expect("temp dir");
        let file = PersistenceFile::new(dir.path().join("p.data"));
        let reset = || {
            for entry in std::fs::read_dir(dir.path()).expect("list") {
                std::fs::remove_file(entry.expect("entry").path()).expect("remove");
            }
        };
        // Before the persist: the empty file and segment 1.
        file.write(&empty).expect("file");
        write_segment(&file, 1, &empty, &[first.clone(), second.clone()].concat());
        assert_eq!(restart(&file), expected, "before the persist");
        reset();
        // Segment 2 created, the file not yet replaced.
        file.write(&empty).expect("file");
        write_segment(&file, 1, &empty, &first);
        write_segment(&file, 2, &s1, &second);
        assert_eq!(restart(&file), expected, "segment 2 created");
        // The file replaced, segment 1 not yet removed.
        file.write(&s1).expect("file");
        assert_eq!(restart(&file), expected, "file replaced");
        // Segment 1 removed.
        remove_segments(&file, Some(2)).expect("remove");
        assert_eq!(restart(&file), expected, "segment 1 removed");
        // No file at all (e.g. moved aside): every segment is replayed.
        reset();
        write_segment(&file, 1, &empty, &first);
        write_segment(&file, 2, &s1, &second);
        assert_eq!(restart(&file), expected, "no file");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_writes_are_durable_when_answered_and_survive_a_restart() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = PersistenceFile::new(dir.path().join("p.data"));
        let gateway = Arc::new(Gateway::new(GatewayOptions::default()));
        let wal = Arc::new(Wal::open(file.clone(), None).expect("open"));
        wal.persist(Arc::new(Snapshots(gateway.clone())))
            .await
            .expect("first persist");
        let writes: Vec<_> = (0..64)
            .map(|n| {
                let (wal, gateway) = (wal.clone(), gateway.clone());
                tokio::spawn(async move {
                    let body = Bytes::from(format!("m {n}\n"));
                    let request = Request::put(format!("/metrics/job/j{n}"))
                        .body(body)
                        .expect("request");
                    wal.apply(gateway, request, at(100 + n), n % 2 == 0).await
                })
            })
            .collect();
        for write in writes {
            assert_eq!(write.await.expect("no panic").status(), StatusCode::OK);
        }
        let syncs = wal.shared.syncs.load(Ordering::Relaxed);
        assert!((1..=64).contains(&syncs), "{syncs} fsyncs");
        // A scrape or a rejected route is not logged; a rejected push is (its failure time).
        let scrape = Request::get("/metrics")
            .body(Bytes::new())
            .expect("request");
        let not_found = Request::put("/nope").body(Bytes::new()).expect("request");
        let bad = Request::put("/metrics/job/bad")
            .body(Bytes::from("m{"))
            .expect("request");
        wal.apply(gateway.clone(), scrape, at(200), false).await;
        assert_eq!(
            wal.apply(gateway.clone(), not_found, at(200), false)
                .await
                .status(),
            404
        );
        assert_eq!(
            wal.apply(gateway.clone(), bad, at(201), false)
                .await
                .status(),
            400
        );
        let expected = gateway.snapshot();
        let sequence = wal.shared.lock_pending().next;
        assert_eq!(sequence, 66, "64 pushes and the rejected one were logged");
        drop(wal);
        assert_eq!(restart(&file), expected);
    }
}
