//! Request bodies: undoing `Content-Encoding` within a size cap, and choosing the body format.
//!
//! Spec §3.2 and §3.3. The reference wraps the body in a gzip (or, from v1.6, framed snappy)
//! reader and lets read errors surface as parse errors; we decompress up front so that the
//! decompressed size can be capped (a gzip bomb is a `413`, not an out-of-memory kill) and an
//! empty body with `Content-Encoding: gzip` is simply empty (§17 Q10).

use std::io::Read;

use bytes::Bytes;
use http::HeaderValue;

/// Why a request body could not be turned into exposition bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum BodyError {
    /// The gzip stream is malformed; the message is worded like Go's `compress/gzip`.
    #[error("{0}")]
    Gzip(String),
    /// The framed snappy stream is malformed.
    #[error("snappy: {0}")]
    Snappy(String),
    /// The decompressed body is larger than the configured cap.
    #[error("decompressed request body exceeds the decompressed_bytes limit of {limit} bytes")]
    TooLarge {
        /// The cap in bytes.
        limit: u64,
    },
}

/// The body with its `Content-Encoding` undone. `limit` caps the decompressed size of a gzip or
/// snappy body (`None`: unlimited); a body without either is left as it is, as in the reference,
/// and its size is the server's to cap (it arrived that big).
pub(crate) fn decode(
    content_encoding: Option<&HeaderValue>,
    body: Bytes,
    limit: Option<u64>,
) -> Result<Bytes, BodyError> {
    let encoding = content_encoding
        .map(HeaderValue::as_bytes)
        .unwrap_or_default();
    if body.is_empty() {
        return Ok(body);
    }
    let decoded = if encoding.eq_ignore_ascii_case(b"gzip") {
        let reader = flate2::read::GzDecoder::new(&body[..]);
        read_capped(reader, limit).map_err(|err| BodyError::Gzip(go_gzip_message(&err, &body)))
    } else if encoding.eq_ignore_ascii_case(b"snappy") {
        let reader = snap::read::FrameDecoder::new(&body[..]);
        read_capped(reader, limit).map_err(|err| BodyError::Snappy(err.to_string()))
    } else {
        return Ok(body);
    };
    decoded.and_then(|decoded| match limit {
        Some(limit) if decoded.len() as u64 > limit => Err(BodyError::TooLarge { limit }),
        _ => Ok(decoded),
    })
}

/// Reads everything, but never more than `limit + 1` bytes, so that an oversized stream is
/// detected without being held in memory.
fn read_capped(reader: impl Read, limit: Option<u64>) -> std::io::Result<Bytes> {
    let mut out = Vec::new();
    match limit {
        Some(limit) => reader.take(limit.saturating_add(1)).read_to_end(&mut out)?,
        None => { reader }.read_to_end(&mut out)?,
    };
    Ok(Bytes::from(out))
}

/// The text Go's `gzip.NewReader` and reader would have produced for the same input, as far as
/// clients can tell: a short header is `unexpected EOF`, a wrong magic `gzip: invalid header`.
fn go_gzip_message(err: &std::io::Error, body: &[u8]) -> String {
    if body.len() < 10 {
        "unexpected EOF".to_owned()
    } else if body[..2] != [0x1f, 0x8b] {
        "gzip: invalid header".to_owned()
    } else if err.kind() == std::io::ErrorKind::UnexpectedEof {
        "unexpected EOF".to_owned()
    } else {
        format!("gzip: {err}")
    }
}

/// Whether a `Content-Type` selects delimited protobuf (spec §3.3): the media type
/// `application/vnd.google.protobuf` with `encoding=delimited` and
/// `proto=io.prometheus.client.MetricFamily`, in any order, other parameters ignored. Anything
/// else, including an unparsable header, means the text format.
pub(crate) fn is_delimited_protobuf(content_type: Option<&HeaderValue>) -> bool {
    let Some(params) = content_type
        .and_then(|value| value.to_str().ok())
        .and_then(parse_media_type)
        .filter(|(media_type, _)| media_type == "application/vnd.google.protobuf")
        .map(|(_, params)| params)
    else {
        return false;
    };
    let get = |key: &str| {
        params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    get("encoding") == Some("delimited")
        && get("proto") == Some("io.prometheus.client.MetricFamily")
}

/// A media type and its parameters, as Go's `mime.ParseMediaType` reads them: the type and
/// parameter names lower-cased, values unquoted, `None` on a syntax error or a duplicate
/// parameter.
fn parse_media_type(value: &str) -> Option<(String, Vec<(String, String)>)> {
    let (media_type, mut rest) = value.split_once(';').unwrap_or((value, ""));
    let media_type = media_type.trim().to_ascii_lowercase();
    let (kind, subtype) = media_type.split_once('/')?;
    if !is_token(kind) || !is_token(subtype) {
        return None;
    }
    let mut params: Vec<(String, String)> = Vec::new();
    loop {
        rest = rest.trim_start_matches([' ', '\t', ';']);
        if rest.is_empty() {
            break;
        }
        let (key, after) = rest.split_once('=')?;
        let key = key.trim().to_ascii_lowercase();
        if !is_token(&key) {
            return None;
        }
        let after = after.trim_start();
        let (value, remaining) = if let Some(quoted) = after.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let end = loop {
                match chars.next()? {
                    (i, '"') => break i + 1,
                    (_, '\\') => value.push(chars.next()?.1),
                    (_, c) => value.push(c),
                }
            };
            (value, &quoted[end..])
        } else {
            let end = after.find([';', ' ', '\t']).unwrap_or(after.len());
            let token = &after[..end];
            if !is_token(token) {
                return None;
            }
            (token.to_owned(), &after[end..])
        };
        let remaining = remaining.trim_start();
        if !(remaining.is_empty() || remaining.starts_with(';')) {
            return None;
        }
        if params.iter().any(|(k, _)| *k == key) {
            return None;
        }
        params.push((key, value));
        rest = remaining;
    }
    Some((media_type, params))
}

/// An RFC 2045 token: non-empty, printable ASCII without spaces or `tspecials`.
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?=".contains(&b))
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn header(value: &str) -> HeaderValue {
        HeaderValue::from_str(value).expect("test header")
    }

    fn gzip(data: &[u8]) -> Bytes {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(data).expect("in-memory write");
        Bytes::from(encoder.finish().expect("in-memory write"))
    }

    #[test]
    fn protobuf_needs_the_exact_media_type_and_both_parameters() {
        for (content_type, expected) in [
            (
                "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited",
                true,
            ),
            (
                "application/vnd.google.protobuf;encoding=delimited;proto=io.prometheus.client.MetricFamily",
                true,
            ),
            (
                "Application/Vnd.Google.Protobuf; Encoding=delimited; PROTO=\"io.prometheus.client.MetricFamily\"; escaping=values",
                true,
            ),
            ("application/vnd.google.protobuf", false),
            (
                "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=text",
                false,
            ),
            (
                "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited; encoding=delimited",
                false,
            ),
            ("text/plain; version=0.0.4", false),
            ("", false),
            ("garbage", false),
        ] {
            assert_eq!(
                is_delimited_protobuf(Some(&header(content_type))),
                expected,
                "{content_type}"
            );
        }
        assert!(!is_delimited_protobuf(None));
    }

    #[test]
    fn gzip_bodies_are_inflated() {
        let body = decode(Some(&header("gzip")), gzip(b"some_metric 1\n"), None);
        assert_eq!(body.as_deref(), Ok(&b"some_metric 1\n"[..]));
        let body = decode(Some(&header("GZip")), gzip(b"x 1\n"), None);
        assert_eq!(body.as_deref(), Ok(&b"x 1\n"[..]));
    }

    #[test]
    fn broken_gzip_reads_like_go() {
        let short = decode(
            Some(&header("gzip")),
            Bytes::from_static(b"not gzip\n"),
            None,
        );
        assert_eq!(short, Err(BodyError::Gzip("unexpected EOF".to_owned())));
        let wrong = decode(
            Some(&header("gzip")),
            Bytes::from_static(b"definitely not gzip\n"),
            None,
        );
        assert_eq!(
            wrong,
            Err(BodyError::Gzip("gzip: invalid header".to_owned()))
        );
        let mut truncated = gzip(b"some_metric 1\n").to_vec();
        truncated.truncate(truncated.len() - 4);
        let truncated = decode(Some(&header("gzip")), Bytes::from(truncated), None);
        assert_eq!(truncated, Err(BodyError::Gzip("unexpected EOF".to_owned())));
    }

    // Spec §17 Q10: the reference answers `400 EOF` here.
    #[test]
    fn an_empty_gzip_body_is_empty() {
        assert_eq!(
            decode(Some(&header("gzip")), Bytes::new(), None),
            Ok(Bytes::new())
        );
    }

    #[test]
    fn snappy_frames_are_decoded() {
        let mut encoder = snap::write::FrameEncoder::new(Vec::new());
        encoder.write_all(b"x 1\n").expect("in-memory write");
        let framed = Bytes::from(encoder.into_inner().expect("in-memory write"));
        assert_eq!(
            decode(Some(&header("snappy")), framed, None).as_deref(),
            Ok(&b"x 1\n"[..])
        );
        let raw = decode(Some(&header("snappy")), Bytes::from_static(b"x 1\n"), None);
        assert!(matches!(raw, Err(BodyError::Snappy(_))), "{raw:?}");
    }

    #[test]
    fn a_gzip_bomb_is_stopped_at_the_cap() {
        let bomb = gzip(&vec![b'#'; 10 << 20]);
        assert!(bomb.len() < 100 << 10);
        assert_eq!(
            decode(Some(&header("gzip")), bomb, Some(1 << 20)),
            Err(BodyError::TooLarge { limit: 1 << 20 })
        );
    }

    #[test]
    fn the_cap_is_on_decompressed_bodies_only() {
        let plain = Bytes::from(vec![b'#'; 100]);
        assert_eq!(decode(None, plain.clone(), Some(10)), Ok(plain));
        assert_eq!(
            decode(Some(&header("gzip")), gzip(&[b'#'; 11]), Some(10)),
            Err(BodyError::TooLarge { limit: 10 })
        );
        assert!(decode(Some(&header("gzip")), gzip(&[b'#'; 10]), Some(10)).is_ok());
    }

    #[test]
    fn other_encodings_pass_through() {
        for encoding in ["identity", "gzip, identity", "br"] {
            let body = decode(Some(&header(encoding)), Bytes::from_static(b"x 1\n"), None);
            assert_eq!(body.as_deref(), Ok(&b"x 1\n"[..]), "{encoding}");
        }
    }
}
