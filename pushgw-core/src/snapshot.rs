//! The snapshot format: the whole store as bytes for the persistence file, and back.
//!
//! This module owns the byte layout only. It does not read or write files (the sidecar does,
//! atomically), and it does not lock anything: [`Gateway::snapshot`] and [`Gateway::restore`]
//! copy the store out and put it back. The format is ours, not the reference's gob file
//! (spec §17 D4).
//!
//! # Layout (version 1)
//!
//! ```text
//! header, 24 bytes:
//!   magic     8 bytes  "PUSHGW\0S"
//!   version   u32 LE   1
//!   length    u64 LE   length of the payload in bytes
//!   checksum  u32 LE   CRC-32 (IEEE) of the payload
//! payload:
//!   varint group count, then per group, in grouping-key order:
//!     varint label count, then per label: str name, str value   (the grouping key, `job` included)
//!     u8 0 | 1, then if 1: time                                   (the TTL deadline, if any)
//!     varint family count n
//!     n times: time                                               (each family's last push)
//!     varint length, then n length-delimited MetricFamily messages (`proto::encode_family`),
//!       each series without the grouping key's labels (every series of a group has them)
//! str  = varint byte length, UTF-8 bytes
//! time = varint zigzag(seconds since the Unix epoch), varint nanoseconds (< 10^9)
//! ```
//!
//! Why this shape: the families are stored as the protobuf exposition format because the crate
//! already has an exact, tested codec for every metric type (native histograms included) and it
//! is compact (varints, packed spans and deltas, no repeated field names as in gob). Each group's
//! families sit in one blob after their times, so decoding a group is one call of the protobuf
//! decoder. Leaving out the grouping labels, which the store copies into every series, makes the
//! file about a third smaller than the reference's gob file for typical series. The length in the header tells a torn write (too few bytes) from corruption (a
//! checksum mismatch); the checksum covers the payload, and the header's fields are each checked
//! on their own. Restoring never trusts the content beyond the checksum: every count and length
//! is checked against what is left, and nothing panics on any input.
//!
//! [`Gateway::snapshot`]: crate::gateway::Gateway::snapshot
//! [`Gateway::restore`]: crate::gateway::Gateway::restore

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::grouping::GroupingKey;
use crate::model::{LabelPair, MetricFamily};
use crate::proto;
use crate::store::Group;

/// The first eight bytes of every snapshot.
///
/// ```
/// assert_eq!(&pushgw_core::snapshot::MAGIC, b"PUSHGW\0S");
/// ```
pub const MAGIC: [u8; 8] = *b"PUSHGW\0S";

/// The format version this build writes, and the only one it reads.
///
/// ```
/// assert_eq!(pushgw_core::snapshot::VERSION, 1);
/// ```
pub const VERSION: u32 = 1;

/// Magic, version, payload length, checksum.
const HEADER_LEN: usize = 8 + 4 + 8 + 4;

/// Why bytes could not be restored as a snapshot.
///
/// ```
/// use pushgw_core::snapshot::{decode, SnapshotError};
///
/// let err = decode(b"\x1f\x8b\x08 not ours").unwrap_err();
/// assert!(matches!(err, SnapshotError::BadMagic { .. }));
/// assert_eq!(err.to_string(), r#"not a pushgw snapshot: the file starts with "\x1f\x8b\x08 not ", expected "PUSHGW\x00S""#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    /// The bytes do not start with [`MAGIC`] (e.g. a Go gob file).
    #[error("not a pushgw snapshot: the file starts with \"{found}\", expected \"PUSHGW\\x00S\"")]
    BadMagic {
        /// The first bytes, escaped.
        found: String,
    },
    /// A snapshot of a format version this build does not read.
    #[error("unsupported snapshot format version {found} (this build reads version {VERSION})")]
    UnsupportedVersion {
        /// The version in the header.
        found: u32,
    },
    /// The payload is not what was written (bit rot, a partial overwrite).
    #[error(
        "snapshot checksum mismatch: the header says {stored:#010x}, the payload has {computed:#010x}"
    )]
    ChecksumMismatch {
        /// The checksum in the header.
        stored: u32,
        /// The checksum of the payload as read.
        computed: u32,
    },
    /// Fewer bytes than the header (or the header's length) promises: a torn write.
    #[error("snapshot truncated: {expected} bytes expected, only {actual} present")]
    Truncated {
        /// How many bytes there should be at least.
        expected: u64,
        /// How many there are.
        actual: u64,
    },
    /// The checksum matches but the content does not make sense (a bug, or a crafted file).
    #[error("invalid snapshot content at byte {offset}: {reason}")]
    InvalidContent {
        /// Where in the snapshot the problem was found.
        offset: usize,
        /// What is wrong.
        reason: String,
    },
}

/// One group as restored from a snapshot.
///
/// ```
/// use pushgw_core::grouping::GroupingKey;
/// use pushgw_core::snapshot::{decode, encode, SnapshotGroup};
///
/// let groups = decode(&encode(std::iter::empty())).unwrap();
/// assert_eq!(groups, Vec::<SnapshotGroup>::new());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotGroup {
    /// The grouping key.
    pub key: GroupingKey,
    /// When the group expires (its TTL deadline), if it does.
    pub expires_at: Option<SystemTime>,
    /// The families with the time of the push that stored each, timestamp families included.
    pub families: Vec<(MetricFamily, SystemTime)>,
}

/// Encodes groups, each with its TTL deadline if it has one, as a snapshot.
///
/// Cost: one pass over the groups; the output is about the size of a protobuf scrape of them.
///
/// ```
/// use pushgw_core::grouping::GroupingKey;
/// use pushgw_core::snapshot;
/// use pushgw_core::store::{PushMode, Store};
/// use std::time::{Duration, SystemTime};
///
/// let mut store = Store::default();
/// let key = GroupingKey::from_path("job/batch")?;
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// let families = pushgw_core::text::parse(b"done 1\n")?;
/// store.push(key.clone(), families, PushMode::Replace, now)?;
///
/// let bytes = snapshot::encode(store.groups().map(|group| (group, None)));
/// let groups = snapshot::decode(&bytes)?;
/// assert_eq!(groups[0].key, key);
/// let names: Vec<&str> = groups[0].families.iter().map(|(f, _)| f.name.as_str()).collect();
/// assert_eq!(names, ["done", "push_failure_time_seconds", "push_time_seconds"]);
/// assert!(groups[0].families.iter().all(|&(_, pushed_at)| pushed_at == now));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn encode<'a>(groups: impl IntoIterator<Item = (&'a Group, Option<SystemTime>)>) -> Vec<u8> {
    let groups: Vec<(&Group, Option<SystemTime>)> = groups.into_iter().collect();
    let mut payload = Vec::with_capacity(4096);
    put_varint(&mut payload, groups.len() as u64);
    let mut blob = Vec::new();
    for (group, expires_at) in groups {
        let labels = group.key().labels();
        put_varint(&mut payload, labels.len() as u64);
        for pair in labels {
            put_str(&mut payload, &pair.name);
            put_str(&mut payload, &pair.value);
        }
        match expires_at {
            Some(deadline) => {
                payload.push(1);
                put_time(&mut payload, deadline);
            }
            None => payload.push(0),
        }
        put_varint(&mut payload, group.families().count() as u64);
        blob.clear();
        for family in group.families() {
            put_time(&mut payload, family.last_push());
            let mut family = family.to_metric_family();
            for metric in &mut family.metrics {
                metric
                    .labels
                    .retain(|pair| group.key().get(&pair.name) != Some(pair.value.as_str()));
            }
            proto::encode_family(&family, &mut blob);
        }
        put_varint(&mut payload, blob.len() as u64);
        payload.extend_from_slice(&blob);
    }

    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    out.extend_from_slice(&payload);
    out
}

/// Decodes a snapshot, checking the header, the length and the checksum before anything else.
///
/// ```
/// use pushgw_core::snapshot::{decode, encode, SnapshotError};
///
/// let bytes = encode(std::iter::empty());
/// assert_eq!(decode(&bytes), Ok(Vec::new()));
/// assert_eq!(
///     decode(&bytes[..bytes.len() - 1]).unwrap_err().to_string(),
///     "snapshot truncated: 25 bytes expected, only 24 present",
/// );
/// ```
pub fn decode(bytes: &[u8]) -> Result<Vec<SnapshotGroup>, SnapshotError> {
    groups(bytes)?.collect()
}

/// Checks a snapshot's header, length and checksum, then decodes its groups one at a time.
///
/// A restore that consumes the groups as they come never holds the whole decoded snapshot in
/// memory besides the store it builds, and can decode on one thread while another restores (the
/// sidecar does). The iterator ends after the first error.
///
/// ```
/// use pushgw_core::grouping::GroupingKey;
/// use pushgw_core::snapshot;
/// use pushgw_core::store::{PushMode, Store};
/// use std::time::SystemTime;
///
/// let mut store = Store::default();
/// for job in ["a", "b"] {
///     let key = GroupingKey::from_path(&format!("job/{job}"))?;
///     store.push(key, pushgw_core::text::parse(b"done 1\n")?, PushMode::Replace, SystemTime::UNIX_EPOCH)?;
/// }
/// let bytes = snapshot::encode(store.groups().map(|group| (group, None)));
///
/// let jobs: Vec<String> = snapshot::groups(&bytes)?
///     .map(|group| group.map(|group| group.key.job().to_owned()))
///     .collect::<Result<_, _>>()?;
/// assert_eq!(jobs, ["a", "b"]);
///
/// // The header is checked before the first group is decoded.
/// assert!(snapshot::groups(&bytes[..bytes.len() - 1]).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn groups(bytes: &[u8]) -> Result<Groups<'_>, SnapshotError> {
    let payload = check_header(bytes)?;
    let mut reader = Reader {
        bytes: payload,
        pos: 0,
    };
    let left = reader.varint()?;
    Ok(Groups {
        reader,
        left,
        done: false,
    })
}

/// The groups of a snapshot, decoded as they are asked for: see [`groups`].
///
/// ```
/// let bytes = pushgw_core::snapshot::encode(std::iter::empty());
/// assert_eq!(pushgw_core::snapshot::groups(&bytes).unwrap().count(), 0);
/// ```
#[derive(Debug)]
pub struct Groups<'a> {
    reader: Reader<'a>,
    /// Groups announced and not decoded yet.
    left: u64,
    /// An error was returned, or the payload was checked to end after the last group.
    done: bool,
}

impl Iterator for Groups<'_> {
    type Item = Result<SnapshotGroup, SnapshotError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        if self.left == 0 {
            self.done = true;
            return (self.reader.pos != self.reader.bytes.len())
                .then(|| Err(self.reader.invalid("unexpected bytes after the last group")));
        }
        self.left -= 1;
        let group = self.reader.group();
        self.done = group.is_err();
        Some(group)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        // A crafted count cannot promise more groups than bytes are left.
        let at_most = self.reader.capacity(self.left);
        (0, Some(if self.done { 0 } else { at_most + 1 }))
    }
}

/// Checks magic, version, length and checksum; returns the payload.
fn check_header(bytes: &[u8]) -> Result<&[u8], SnapshotError> {
    let truncated = |expected: usize| SnapshotError::Truncated {
        expected: expected as u64,
        actual: bytes.len() as u64,
    };
    let magic_len = bytes.len().min(MAGIC.len());
    if bytes[..magic_len] != MAGIC[..magic_len] {
        return Err(SnapshotError::BadMagic {
            found: bytes[..magic_len].escape_ascii().to_string(),
        });
    }
    let Some(header) = bytes.get(..HEADER_LEN) else {
        return Err(truncated(HEADER_LEN));
    };
    let field = |at: usize, len: usize| &header[at..at + len];
    let version = u32::from_le_bytes(field(8, 4).try_into().expect("a 4-byte slice"));
    if version != VERSION {
        return Err(SnapshotError::UnsupportedVersion { found: version });
    }
    let length = u64::from_le_bytes(field(12, 8).try_into().expect("an 8-byte slice"));
    let stored = u32::from_le_bytes(field(20, 4).try_into().expect("a 4-byte slice"));
    let rest = &bytes[HEADER_LEN..];
    let payload = match usize::try_from(length) {
        Ok(length) if length <= rest.len() => &rest[..length],
        _ => {
            return Err(SnapshotError::Truncated {
                expected: (HEADER_LEN as u64).saturating_add(length),
                actual: bytes.len() as u64,
            });
        }
    };
    if rest.len() > payload.len() {
        return Err(SnapshotError::InvalidContent {
            offset: HEADER_LEN + payload.len(),
            reason: format!(
                "{} bytes after the payload of {} bytes",
                rest.len() - payload.len(),
                payload.len()
            ),
        });
    }
    let computed = crc32fast::hash(payload);
    if computed != stored {
        return Err(SnapshotError::ChecksumMismatch { stored, computed });
    }
    Ok(payload)
}

/// A cursor over the payload; every read is bounds-checked.
#[derive(Debug)]
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn invalid(&self, reason: impl Into<String>) -> SnapshotError {
        SnapshotError::InvalidContent {
            offset: HEADER_LEN + self.pos,
            reason: reason.into(),
        }
    }

    /// A capacity for `count` items that a crafted count cannot turn into a huge allocation:
    /// every item takes at least one byte.
    fn capacity(&self, count: u64) -> usize {
        usize::try_from(count).map_or(0, |count| count.min(self.bytes.len() - self.pos))
    }

    fn varint(&mut self) -> Result<u64, SnapshotError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let Some(&byte) = self.bytes.get(self.pos) else {
                return Err(self.invalid("a number runs past the end of the payload"));
            };
            self.pos += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte < 0x80 {
                return Ok(value);
            }
        }
        Err(self.invalid("a number is longer than ten bytes"))
    }

    fn take(&mut self, len: u64) -> Result<&'a [u8], SnapshotError> {
        let left = self.bytes.len() - self.pos;
        match usize::try_from(len) {
            Ok(len) if len <= left => {
                let taken = &self.bytes[self.pos..self.pos + len];
                self.pos += len;
                Ok(taken)
            }
            _ => Err(self.invalid(format!(
                "a length of {len} bytes runs past the end of the payload ({left} bytes left)"
            ))),
        }
    }

    fn str(&mut self) -> Result<String, SnapshotError> {
        let len = self.varint()?;
        let at = self.pos;
        let bytes = self.take(len)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| SnapshotError::InvalidContent {
            offset: HEADER_LEN + at,
            reason: format!("a string is not UTF-8: \"{}\"", bytes.escape_ascii()),
        })
    }

    fn time(&mut self) -> Result<SystemTime, SnapshotError> {
        let zigzag = self.varint()?;
        let secs = (zigzag >> 1) as i64 ^ -((zigzag & 1) as i64);
        let nanos = self.varint()?;
        join_time(secs, nanos).ok_or_else(|| {
            self.invalid(format!(
                "time {secs} s {nanos} ns is not representable on this system"
            ))
        })
    }

    fn group(&mut self) -> Result<SnapshotGroup, SnapshotError> {
        let key_at = self.pos;
        let label_count = self.varint()?;
        let mut job = None;
        let mut labels = Vec::with_capacity(self.capacity(label_count));
        for _ in 0..label_count {
            let name = self.str()?;
            let value = self.str()?;
            if name == "job" {
                job = Some(value);
            } else {
                labels.push(LabelPair::new(name, value));
            }
        }
        let key = GroupingKey::new(job.unwrap_or_default(), labels).map_err(|err| {
            SnapshotError::InvalidContent {
                offset: HEADER_LEN + key_at,
                reason: format!("invalid grouping key: {err}"),
            }
        })?;
        let expires_at = match self.take(1)?.first() {
            Some(0) => None,
            Some(1) => Some(self.time()?),
            other => return Err(self.invalid(format!("unknown deadline marker {other:?}"))),
        };
        let family_count = self.varint()?;
        let mut times = Vec::with_capacity(self.capacity(family_count));
        for _ in 0..family_count {
            times.push(self.time()?);
        }
        let blob_len = self.varint()?;
        let blob_at = self.pos;
        let blob = self.take(blob_len)?;
        // No per-message cap beyond the blob itself: the checksum vouches for the lengths, and a
        // family of a million series is legitimately larger than the push path's default cap.
        let mut families = proto::decode_with_limit(blob, blob.len()).map_err(|err| {
            SnapshotError::InvalidContent {
                offset: HEADER_LEN + blob_at,
                reason: format!("families of group {key}: {err}"),
            }
        })?;
        if families.len() != times.len() {
            return Err(SnapshotError::InvalidContent {
                offset: HEADER_LEN + blob_at,
                reason: format!(
                    "group {key} announces {} families but holds {}",
                    times.len(),
                    families.len()
                ),
            });
        }
        for metric in families.iter_mut().flat_map(|family| &mut family.metrics) {
            for pair in key.labels() {
                if !metric.labels.iter().any(|have| have.name == pair.name) {
                    metric.labels.push(pair.clone());
                }
            }
            metric.labels.sort_by(|a, b| a.name.cmp(&b.name));
        }
        Ok(SnapshotGroup {
            key,
            expires_at,
            families: families.into_iter().zip(times).collect(),
        })
    }
}

fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push(value as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

fn put_time(out: &mut Vec<u8>, time: SystemTime) {
    let (secs, nanos) = split_time(time);
    put_varint(out, ((secs << 1) ^ (secs >> 63)) as u64);
    put_varint(out, u64::from(nanos));
}

/// Seconds (floored) and nanoseconds since the Unix epoch; times before it are negative.
fn split_time(time: SystemTime) -> (i64, u32) {
    let clamp = |secs: u64| i64::try_from(secs).unwrap_or(i64::MAX);
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => (clamp(after.as_secs()), after.subsec_nanos()),
        Err(before) => {
            let before = before.duration();
            match before.subsec_nanos() {
                0 => (-clamp(before.as_secs()), 0),
                nanos => (-clamp(before.as_secs()) - 1, 1_000_000_000 - nanos),
            }
        }
    }
}

fn join_time(secs: i64, nanos: u64) -> Option<SystemTime> {
    let nanos = u32::try_from(nanos).ok().filter(|&n| n < 1_000_000_000)?;
    let whole = if secs >= 0 {
        UNIX_EPOCH.checked_add(Duration::from_secs(secs.unsigned_abs()))
    } else {
        UNIX_EPOCH.checked_sub(Duration::from_secs(secs.unsigned_abs()))
    };
    whole?.checked_add(Duration::from_nanos(u64::from(nanos)))
}

#[cfg(test)]
mod tests;
