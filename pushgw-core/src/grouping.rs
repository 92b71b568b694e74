//! Grouping keys: the label set in a push URL that names a group (spec §3.1).
//!
//! This module owns the grammar of the path after `<prefix>/metrics/`,
//!
//! ```text
//! job[@base64]/<JOB>{/<LABEL_NAME>[@base64]/<LABEL_VALUE>}
//! ```
//!
//! its validation with the reference's exact error texts, the canonical form of a key (labels
//! sorted by name, `job` always present) and the way back to a URL ([`GroupingKey::to_path`]).
//! It deliberately does not route, percent-decode or clean paths: the gateway does that first, as
//! Go's HTTP server does (spec §1), and passes the decoded bytes to [`GroupingKey::from_path_bytes`].
//!
//! Differences from the reference Pushgateway 1.5.1 (spec §17):
//!
//! * Q2: a job that is not valid base64 is named as it was sent, not as the empty partial result
//!   of decoding it (`invalid base64 encoding in job name "foo.bar": …` instead of `… name "": …`).
//! * Q7: a label value (or job) that is not valid UTF-8 is rejected here with
//!   [`GroupingKeyError::NotUtf8`]; the reference accepts it and then fails every scrape.
//!
//! ```
//! use pushgw_core::grouping::GroupingKey;
//!
//! let key = GroupingKey::from_path("job/batch/instance@base64/aG9zdC8x")?;
//! assert_eq!(key.job(), "batch");
//! assert_eq!(key.get("instance"), Some("host/1"));
//! assert_eq!(key.to_string(), r#"{job="batch",instance="host/1"}"#);
//! assert_eq!(key.to_path(), "job/batch/instance@base64/aG9zdC8x");
//! # Ok::<(), pushgw_core::grouping::GroupingKeyError>(())
//! ```

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt::{self, Write as _};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::model::LabelPair;
// Grouping labels follow the legacy label-name rules, `__` reserved, as body labels do.
use crate::store::is_valid_label_name;
// Go's `%q`, which the reference uses for names and values in its messages.
use crate::text::GoQuote as GoQuoted;

/// The label every grouping key has.
const JOB: &str = "job";

/// The suffix of a path label name whose value is base64url-encoded.
const BASE64_SUFFIX: &[u8] = b"@base64";

/// The separator of the reference's identity string; it never occurs in UTF-8 text.
const IDENTITY_SEPARATOR: u8 = 0xFF;

/// What [`GroupingKey::to_path`] percent-encodes in a plain segment: everything but RFC 3986's
/// unreserved characters, so that a segment survives any URL handling unchanged. In particular `+`
/// is encoded, although the reference keeps a literal `+` as it is (spec §3.1).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The grouping key of a group: `job` plus any other labels from the push URL.
///
/// Invariants: the labels are sorted by name (byte order), names are unique and valid legacy
/// label names without the reserved `__` prefix, and `job` is present with a non-empty value.
///
/// Keys are ordered as the reference orders their identity strings (see
/// [`identity`](Self::identity)), which is how its web UI sorts groups. That differs from comparing
/// the label lists: `{job="a",x="1"}` sorts after `{job="a",xy="1"}`, because the separator byte
/// after `x` is greater than `y`.
///
/// ```
/// use pushgw_core::grouping::GroupingKey;
/// use pushgw_core::model::LabelPair;
///
/// let key = GroupingKey::new("batch", [LabelPair::new("instance", "x")])?;
/// assert_eq!(key, GroupingKey::from_path("job/batch/instance/x")?);
/// # Ok::<(), pushgw_core::grouping::GroupingKeyError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GroupingKey {
    labels: Vec<LabelPair>,
}

/// Why a push URL, or the labels given to [`GroupingKey::new`], do not name a valid group.
///
/// Each variant displays as the reference's `400 Bad Request` body without its trailing newline,
/// except where this crate deliberately differs (see the [module docs](self)). Names and values
/// are kept as the raw bytes from the path, which need not be UTF-8, and are shown quoted and
/// escaped as Go's `%q` shows them.
///
/// ```
/// use pushgw_core::grouping::{GroupingKey, GroupingKeyError};
///
/// let err = GroupingKey::from_path("job/j1/__a/b").unwrap_err();
/// assert_eq!(err, GroupingKeyError::ImproperLabelName { name: b"__a".to_vec() });
/// assert_eq!(err.to_string(), r#"improper label name "__a""#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GroupingKeyError {
    /// The path does not start with `job/` or `job@base64/`, so it is not a push path at all (the
    /// reference's router answers `404`).
    #[error(r#"path {} does not start with "job/" or "job@base64/""#, GoQuoted(.path))]
    NoJobSegment {
        /// The whole path.
        path: Vec<u8>,
    },
    /// The job name is empty (reachable through `job@base64/=`).
    #[error("job name is required")]
    JobRequired,
    /// The job was marked `@base64` but is not valid base64url.
    #[error(
        "invalid base64 encoding in job name {}: illegal base64 data at input byte {offset}",
        GoQuoted(.job)
    )]
    JobBase64 {
        /// The job segment as sent (the reference shows the partial decoding instead, spec Q2).
        job: Vec<u8>,
        /// Where decoding failed, counted as Go counts it.
        offset: usize,
    },
    /// The label part of the path has an odd number of `/`-separated components: a name without a
    /// value, or a trailing `/` after a value.
    #[error("odd number of components in label string {}", GoQuoted(.labels))]
    OddComponents {
        /// The label part of the path, with its leading `/`.
        labels: Vec<u8>,
    },
    /// A label name is not a valid legacy label name (`[a-zA-Z_][a-zA-Z0-9_]*`) or starts with the
    /// reserved `__`.
    #[error("improper label name {}", GoQuoted(.name))]
    ImproperLabelName {
        /// The name, without its `@base64` suffix.
        name: Vec<u8>,
    },
    /// A label marked `@base64` has a value that is not valid base64url.
    #[error(
        "invalid base64 encoding for label {name}={}: illegal base64 data at input byte {offset}",
        GoQuoted(.value)
    )]
    LabelBase64 {
        /// The label name, without its `@base64` suffix.
        name: String,
        /// The value as sent.
        value: Vec<u8>,
        /// Where decoding failed, counted as Go counts it.
        offset: usize,
    },
    /// A label value (or the job, with `name` `job`) is not valid UTF-8 after percent- or
    /// base64-decoding. The reference accepts such a key and then fails every scrape (spec Q7).
    #[error("value of label {name} is not valid utf-8: {}", GoQuoted(.value))]
    NotUtf8 {
        /// The label name.
        name: String,
        /// The decoded value.
        value: Vec<u8>,
    },
}

impl GroupingKey {
    /// A grouping key from a job and other labels, validated by the same rules as
    /// [`from_path`](Self::from_path): label names must be legacy label names without the `__`
    /// prefix, and the job must not be empty. As in a path, a later label replaces an earlier one
    /// of the same name, and a `job` label among `labels` is replaced by `job`.
    ///
    /// ```
    /// use pushgw_core::grouping::{GroupingKey, GroupingKeyError};
    /// use pushgw_core::model::LabelPair;
    ///
    /// let key = GroupingKey::new("batch", [])?;
    /// assert_eq!(key.to_string(), r#"{job="batch"}"#);
    /// assert_eq!(GroupingKey::new("", []), Err(GroupingKeyError::JobRequired));
    /// assert!(GroupingKey::new("batch", [LabelPair::new("a-b", "1")]).is_err());
    /// # Ok::<(), GroupingKeyError>(())
    /// ```
    pub fn new(
        job: impl Into<String>,
        labels: impl IntoIterator<Item = LabelPair>,
    ) -> Result<Self, GroupingKeyError> {
        let mut labels: Vec<LabelPair> = labels.into_iter().collect();
        if let Some(pair) = labels.iter().find(|pair| !is_valid_label_name(&pair.name)) {
            return Err(GroupingKeyError::ImproperLabelName {
                name: pair.name.clone().into_bytes(),
            });
        }
        let job = job.into();
        if job.is_empty() {
            return Err(GroupingKeyError::JobRequired);
        }
        labels.push(LabelPair::new(JOB, job));
        sort_last_wins(&mut labels, |pair| &pair.name);
        Ok(GroupingKey { labels })
    }

    /// Parses the percent-decoded path after `<prefix>/metrics/`, e.g. `job/some_job/instance/x`.
    ///
    /// See [`from_path_bytes`](Self::from_path_bytes) for the rules; this is the same for a path
    /// that is already known to be UTF-8.
    ///
    /// ```
    /// use pushgw_core::grouping::GroupingKey;
    ///
    /// let key = GroupingKey::from_path("job@base64/dGVzdC9qb2I=/instance/x")?;
    /// assert_eq!(key.to_string(), r#"{job="test/job",instance="x"}"#);
    /// # Ok::<(), pushgw_core::grouping::GroupingKeyError>(())
    /// ```
    pub fn from_path(path: &str) -> Result<Self, GroupingKeyError> {
        Self::from_path_bytes(path.as_bytes())
    }

    /// Parses the percent-decoded path after `<prefix>/metrics/` as raw bytes, which is what
    /// percent-decoding a URL yields (`%FF` is a valid escape but not UTF-8).
    ///
    /// The rules are the reference's (spec §3.1), checked in its order, so that the first problem
    /// found is the one it reports:
    ///
    /// 1. The path starts with `job/<job>` or `job@base64/<job>`; a base64 job is decoded.
    /// 2. The rest, if longer than a lone `/`, is `/name/value` pairs; an odd number of components
    ///    is an error (so `/a/b/` is one, but `/a/` means `a=""`). For each pair, left to right,
    ///    the name (without an `@base64` suffix) must be a legacy label name not starting with
    ///    `__`, and an `@base64` value must decode. A later pair replaces an earlier one with the
    ///    same name; a `job` pair is replaced by the job.
    /// 3. The job must not be empty.
    /// 4. Every value must be valid UTF-8 (this crate's addition, spec Q7).
    ///
    /// Base64 values use the URL-safe alphabet with Go's leniency: any trailing `=` are ignored,
    /// so `=` is the empty string; `\r` and `\n` are skipped; unused trailing bits may be set.
    ///
    /// ```
    /// use pushgw_core::grouping::GroupingKey;
    ///
    /// let key = GroupingKey::from_path_bytes(b"job/x/a/")?;
    /// assert_eq!(key.get("a"), Some(""));
    ///
    /// let err = GroupingKey::from_path_bytes(b"job/x/a/\xff").unwrap_err();
    /// assert_eq!(err.to_string(), r#"value of label a is not valid utf-8: "\xff""#);
    /// # Ok::<(), pushgw_core::grouping::GroupingKeyError>(())
    /// ```
    pub fn from_path_bytes(path: &[u8]) -> Result<Self, GroupingKeyError> {
        let (rest, job_is_base64) = if let Some(rest) = path.strip_prefix(b"job@base64/") {
            (rest, true)
        } else if let Some(rest) = path.strip_prefix(b"job/") {
            (rest, false)
        } else {
            return Err(GroupingKeyError::NoJobSegment {
                path: path.to_vec(),
            });
        };
        let (raw_job, label_string) =
            rest.split_at(memchr::memchr(b'/', rest).unwrap_or(rest.len()));

        let job = if job_is_base64 {
            Cow::Owned(
                decode_base64(raw_job).map_err(|offset| GroupingKeyError::JobBase64 {
                    job: raw_job.to_vec(),
                    offset,
                })?,
            )
        } else {
            Cow::Borrowed(raw_job)
        };
        let mut pairs = parse_label_string(label_string)?;
        if job.is_empty() {
            return Err(GroupingKeyError::JobRequired);
        }
        // Appended last, the job replaces a `job` pair from the label part, as in the reference,
        // which sets it after filling its map (spec §3.1 step 4).
        pairs.push((JOB, job));
        sort_last_wins(&mut pairs, |(name, _)| *name);

        let labels = pairs
            .into_iter()
            .map(|(name, value)| match into_string(value) {
                Ok(value) => Ok(LabelPair::new(name, value)),
                Err(value) => Err(GroupingKeyError::NotUtf8 {
                    name: name.to_owned(),
                    value,
                }),
            })
            .collect::<Result<_, _>>()?;
        Ok(GroupingKey { labels })
    }

    /// The job name.
    ///
    /// ```
    /// use pushgw_core::grouping::GroupingKey;
    /// assert_eq!(GroupingKey::from_path("job/batch")?.job(), "batch");
    /// # Ok::<(), pushgw_core::grouping::GroupingKeyError>(())
    /// ```
    pub fn job(&self) -> &str {
        self.get(JOB).expect("every constructor adds the job label")
    }

    /// The labels, sorted by name; `job` is always among them.
    ///
    /// ```
    /// use pushgw_core::grouping::GroupingKey;
    /// use pushgw_core::model::LabelPair;
    ///
    /// let key = GroupingKey::from_path("job/batch/zone/eu/instance/x")?;
    /// assert_eq!(
    ///     key.labels(),
    ///     [LabelPair::new("instance", "x"), LabelPair::new("job", "batch"), LabelPair::new("zone", "eu")]
    /// );
    /// # Ok::<(), pushgw_core::grouping::GroupingKeyError>(())
    /// ```
    pub fn labels(&self) -> &[LabelPair] {
        &self.labels
    }

    /// The value of the label `name`, if the key has it.
    ///
    /// ```
    /// use pushgw_core::grouping::GroupingKey;
    ///
    /// let key = GroupingKey::from_path("job/batch/instance/x")?;
    /// assert_eq!(key.get("instance"), Some("x"));
    /// assert_eq!(key.get("zone"), None);
    /// # Ok::<(), pushgw_core::grouping::GroupingKeyError>(())
    /// ```
    pub fn get(&self, name: &str) -> Option<&str> {
        self.labels
            .binary_search_by(|pair| pair.name.as_str().cmp(name))
            .ok()
            .map(|index| self.labels[index].value.as_str())
    }

    /// The reference's identity string of the key: `name 0xFF value` for each label in order,
    /// joined by `0xFF` (spec §3.1). It is not UTF-8, and it orders keys as [`Ord`] does.
    ///
    /// ```
    /// use pushgw_core::grouping::GroupingKey;
    ///
    /// let key = GroupingKey::from_path("job/batch/instance/x")?;
    /// assert_eq!(key.identity(), b"instance\xffx\xffjob\xffbatch");
    /// # Ok::<(), pushgw_core::grouping::GroupingKeyError>(())
    /// ```
    pub fn identity(&self) -> Vec<u8> {
        let len = self
            .labels
            .iter()
            .map(|pair| pair.name.len() + pair.value.len() + 2);
        let mut identity = Vec::with_capacity(len.sum());
        for (index, pair) in self.labels.iter().enumerate() {
            if index > 0 {
                identity.push(IDENTITY_SEPARATOR);
            }
            identity.extend_from_slice(pair.name.as_bytes());
            identity.push(IDENTITY_SEPARATOR);
            identity.extend_from_slice(pair.value.as_bytes());
        }
        identity
    }

    /// A percent-encoded path suffix that names this group, to put after `<prefix>/metrics/` in a
    /// URL: `job/<job>/<name>/<value>…`, job first, then the other labels by name.
    ///
    /// A value is percent-encoded where it can be, and written as `<name>@base64/<base64url>`
    /// (unpadded; `=` for the empty string) where a plain segment would not survive the trip
    /// through a server: when it is empty, `.` or `..` (removed by path cleaning) or contains `/`
    /// (which splits segments even when escaped as `%2F`). Percent-decoding the result and parsing
    /// it with [`from_path`](Self::from_path) gives back the same key.
    ///
    /// ```
    /// use pushgw_core::grouping::GroupingKey;
    /// use pushgw_core::model::LabelPair;
    ///
    /// let key = GroupingKey::new(
    ///     "a b",
    ///     [LabelPair::new("path", "/tmp"), LabelPair::new("empty", ""), LabelPair::new("plus", "c+d")],
    /// )?;
    /// assert_eq!(key.to_path(), "job/a%20b/empty@base64/=/path@base64/L3RtcA/plus/c%2Bd");
    /// # Ok::<(), pushgw_core::grouping::GroupingKeyError>(())
    /// ```
    pub fn to_path(&self) -> String {
        let mut path = String::with_capacity(self.labels.iter().fold(0, |len, pair| {
            // Room for the name, a possible `@base64`, two slashes and the value, encoded.
            len + pair.name.len() + 9 + pair.value.len() * 3
        }));
        push_path_pair(&mut path, JOB, self.job());
        for pair in self.labels.iter().filter(|pair| pair.name != JOB) {
            path.push('/');
            push_path_pair(&mut path, &pair.name, &pair.value);
        }
        path
    }
}

/// Orders keys as the reference's identity strings compare, without building them: component by
/// component (name, value, name, value, …), where the byte that follows a component is the
/// `0xFF` separator if another component follows and nothing if it is the last.
impl Ord for GroupingKey {
    fn cmp(&self, other: &Self) -> Ordering {
        let (ours, theirs) = (2 * self.labels.len(), 2 * other.labels.len());
        for index in 0..ours.min(theirs) {
            let (x, y) = (self.component(index), other.component(index));
            let common = x.len().min(y.len());
            match x[..common].cmp(&y[..common]) {
                Ordering::Equal if x.len() == y.len() => continue,
                Ordering::Equal => {}
                unequal => return unequal,
            }
            // One component is a strict prefix of the other. After the shorter one comes either
            // the separator, which is greater than any byte of UTF-8 text, or the end.
            let shorter_components = if x.len() < y.len() { ours } else { theirs };
            let shorter_vs_longer = if index + 1 < shorter_components {
                Ordering::Greater
            } else {
                Ordering::Less
            };
            return if x.len() < y.len() {
                shorter_vs_longer
            } else {
                shorter_vs_longer.reverse()
            };
        }
        // Equal so far: the identity string that ends first is a prefix of the other.
        ours.cmp(&theirs)
    }
}

impl PartialOrd for GroupingKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl GroupingKey {
    /// Component `index` of the identity string: the names and values in order.
    fn component(&self, index: usize) -> &[u8] {
        let pair = &self.labels[index / 2];
        if index.is_multiple_of(2) {
            pair.name.as_bytes()
        } else {
            pair.value.as_bytes()
        }
    }
}

/// Shows the key as `{job="batch",instance="x"}`: job first, then the other labels by name,
/// values quoted and escaped as Go's `%q` does.
///
/// ```
/// use pushgw_core::grouping::GroupingKey;
///
/// let key = GroupingKey::from_path("job/Björn/instance/inst'a\"n\\ce1")?;
/// assert_eq!(key.to_string(), r#"{job="Björn",instance="inst'a\"n\\ce1"}"#);
/// # Ok::<(), pushgw_core::grouping::GroupingKeyError>(())
/// ```
impl fmt::Display for GroupingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{{JOB}={}", GoQuoted(self.job().as_bytes()))?;
        for pair in self.labels.iter().filter(|pair| pair.name != JOB) {
            write!(f, ",{}={}", pair.name, GoQuoted(pair.value.as_bytes()))?;
        }
        f.write_char('}')
    }
}

/// A label from a path: a validated name and its decoded value, not yet known to be UTF-8.
type PathPair<'a> = (&'a str, Cow<'a, [u8]>);

/// Splits the label part of a path (`/name/value…`, spec §3.1 step 2) into validated names and
/// decoded values, in path order. The result has room for one more pair, the job.
fn parse_label_string(labels: &[u8]) -> Result<Vec<PathPair<'_>>, GroupingKeyError> {
    // Nothing or a lone trailing slash: no labels. The reference checks this before counting.
    if labels.len() <= 1 {
        return Ok(Vec::with_capacity(1));
    }
    let slashes = memchr::memchr_iter(b'/', labels).count();
    if slashes % 2 == 1 {
        return Err(GroupingKeyError::OddComponents {
            labels: labels.to_vec(),
        });
    }
    let mut pairs = Vec::with_capacity(slashes / 2 + 1);
    // The label part starts with `/`, so the first split component is empty.
    let mut components = labels.split(|&byte| byte == b'/').skip(1);
    while let (Some(name), Some(value)) = (components.next(), components.next()) {
        let (name, is_base64) = match name.strip_suffix(BASE64_SUFFIX) {
            Some(name) => (name, true),
            None => (name, false),
        };
        let Some(name) = std::str::from_utf8(name)
            .ok()
            .filter(|name| is_valid_label_name(name))
        else {
            return Err(GroupingKeyError::ImproperLabelName {
                name: name.to_vec(),
            });
        };
        let value = if is_base64 {
            Cow::Owned(
                decode_base64(value).map_err(|offset| GroupingKeyError::LabelBase64 {
                    name: name.to_owned(),
                    value: value.to_vec(),
                    offset,
                })?,
            )
        } else {
            Cow::Borrowed(value)
        };
        pairs.push((name, value));
    }
    Ok(pairs)
}

/// Sorts by name, stably, and keeps only the last of several items with the same name, so that a
/// later label replaces an earlier one as in the reference's map.
fn sort_last_wins<T>(items: &mut Vec<T>, name: impl Fn(&T) -> &str) {
    items.sort_by(|a, b| name(a).cmp(name(b)));
    // `dedup_by` keeps the first of a run; moving each later item into its place keeps the last.
    items.dedup_by(|later, kept| {
        let same = name(later) == name(kept);
        if same {
            std::mem::swap(later, kept);
        }
        same
    });
}

/// A decoded value as a `String`, or its bytes back if they are not UTF-8.
fn into_string(value: Cow<'_, [u8]>) -> Result<String, Vec<u8>> {
    match value {
        Cow::Borrowed(bytes) => std::str::from_utf8(bytes)
            .map(str::to_owned)
            .map_err(|_| bytes.to_vec()),
        Cow::Owned(bytes) => String::from_utf8(bytes).map_err(|err| err.into_bytes()),
    }
}

/// Decodes base64url as the reference does, `base64.RawURLEncoding.DecodeString` after stripping
/// all trailing `=` (spec §3.1, D6): `\r` and `\n` are skipped, unused trailing bits may be set,
/// and any other byte outside the URL-safe alphabet (`+`, `/`, an inner `=`) is an error. The
/// error is the offset Go reports: the offending byte's, or for a lone last character the input
/// length minus one.
fn decode_base64(input: &[u8]) -> Result<Vec<u8>, usize> {
    let input = &input[..input
        .iter()
        .rposition(|&byte| byte != b'=')
        .map_or(0, |last| last + 1)];
    let mut decoded = Vec::with_capacity(input.len() * 3 / 4);
    let mut quantum = 0u32;
    let mut filled = 0;
    for (offset, &byte) in input.iter().enumerate() {
        let sextet = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            b'\r' | b'\n' => continue,
            _ => return Err(offset),
        };
        quantum = quantum << 6 | u32::from(sextet);
        filled += 1;
        if filled == 4 {
            decoded.extend_from_slice(&quantum.to_be_bytes()[1..]);
            (quantum, filled) = (0, 0);
        }
    }
    // A partial quantum of two or three characters holds one or two bytes; the bits left over
    // are ignored. A single character cannot hold a byte.
    match filled {
        0 => {}
        1 => return Err(input.len() - 1),
        2 => decoded.push((quantum >> 4) as u8),
        _ => decoded.extend_from_slice(&(quantum >> 2).to_be_bytes()[2..]),
    }
    Ok(decoded)
}

/// Appends `name/value`, or `name@base64/value` where a plain value would not survive, to a path.
fn push_path_pair(path: &mut String, name: &str, value: &str) {
    path.push_str(name);
    if value.is_empty() || value == "." || value == ".." || value.contains('/') {
        path.push_str("@base64/");
        if value.is_empty() {
            // The reference strips trailing `=`, so `=` is a non-empty segment for "".
            path.push('=');
        } else {
            URL_SAFE_NO_PAD.encode_string(value, path);
        }
    } else {
        path.push('/');
        path.extend(utf8_percent_encode(value, SEGMENT));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_quoting_matches_strconv_quote() {
        // Each expectation was observed in the 1.5.1 reference's error messages.
        let cases: &[(&[u8], &str)] = &[
            (b"x\"y", r#""x\"y""#),
            ("\u{200b}".as_bytes(), r#""\u200b""#),
            (b"\xff", r#""\xff""#),
            ("é".as_bytes(), r#""é""#),
            (b"\t\x7f\\\x00", r#""\t\x7f\\\x00""#),
            (b"\x07\x08\x0c\n\r\x0b", r#""\a\b\f\n\r\v""#),
            ("\u{301}".as_bytes(), "\"\u{301}\""),
            ("\u{a0}".as_bytes(), r#""\u00a0""#),
            ("😀".as_bytes(), r#""😀""#),
            ("\u{e000}".as_bytes(), r#""\ue000""#),
            ("\u{10ffff}".as_bytes(), r#""\U0010ffff""#),
            ("\u{fffd}".as_bytes(), "\"\u{fffd}\""),
            (b"\xed\xa0\x80", r#""\xed\xa0\x80""#),
            (b"\xc0\x80", r#""\xc0\x80""#),
            (b"\xf0\x9f\x98", r#""\xf0\x9f\x98""#),
        ];
        for &(input, expected) in cases {
            assert_eq!(GoQuoted(input).to_string(), expected, "input {input:?}");
        }
    }

    #[test]
    fn base64_follows_go() {
        // Results and offsets observed on the 1.5.1 reference (spec §12.6, tests/grouping.rs).
        let decoded: &[(&[u8], &[u8])] = &[
            (b"", b""),
            (b"=", b""),
            (b"\n", b""),
            (b"YWJjZA", b"abcd"),
            (b"YWJjZB", b"abcd"),
            (b"YQ==", b"a"),
            (b"YW\r\nJj", b"abc"),
            (b"_-8", b"\xff\xef"),
        ];
        for &(input, expected) in decoded {
            assert_eq!(decode_base64(input).as_deref(), Ok(expected), "{input:?}");
        }
        let failed: &[(&[u8], usize)] = &[
            (b"YWJjZ", 4),
            (b"YWJjZ\n", 5),
            (b"YWJ\n\n\njj\n", 8),
            (b"YWJj+A", 4),
            (b"YW=Jj", 2),
            (b"YQ=\n", 2),
            (b"foo.bar", 3),
            (b"\n\nY", 2),
        ];
        for &(input, offset) in failed {
            assert_eq!(decode_base64(input), Err(offset), "{input:?}");
        }
    }
}
