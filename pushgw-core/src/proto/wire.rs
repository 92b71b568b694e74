//! A pre-pass over one message's wire format that makes prost see what Go's decoder sees.
//!
//! The reference gateway decodes with golang/protobuf, which is more lenient than prost and fails
//! with different texts (spec §3.3, observed on 1.5.1):
//! - a known field that arrives with the wrong wire type is treated as an unknown field and
//!   skipped, where prost fails with "invalid wire type";
//! - unknown fields, including groups (even with a mismatched end-group number), are skipped;
//! - a truncated or overlong varint, and a length or fixed-width value running past the end, fail
//!   with `unexpected EOF`; field number 0 fails with
//!   `proto: io_prometheus_client.<Message>: illegal tag 0 (wire type <n>)`; wire types 4, 6 and 7
//!   fail with `proto: can't skip unknown wire type <n>`.
//!
//! [`sanitize`] walks a message against its [`MessageSchema`], reports the first error Go would
//! report, and returns the message without the fields Go would skip (borrowed when nothing had to
//! go, which is the normal case). What is left is exactly what prost decodes without complaint.

use std::borrow::Cow;

use super::DecodeError;
use super::schema::{Kind, MessageSchema};

const WIRE_VARINT: u8 = 0;
const WIRE_FIXED64: u8 = 1;
const WIRE_LEN: u8 = 2;
const WIRE_START_GROUP: u8 = 3;
const WIRE_END_GROUP: u8 = 4;
const WIRE_FIXED32: u8 = 5;

/// Checks `input` as a `schema` message the way Go's decoder would and drops what Go would skip.
pub(super) fn sanitize<'a>(
    schema: &'static MessageSchema,
    input: &'a [u8],
) -> Result<Cow<'a, [u8]>, DecodeError> {
    let mut reader = Reader { buf: input, pos: 0 };
    // Copy-on-write: stays `None` until a field has to be dropped or rewritten.
    let mut out: Option<Vec<u8>> = None;
    while !reader.at_end() {
        let start = reader.pos;
        let key = reader.varint()?;
        let wire_type = (key & 7) as u8;
        let number = key >> 3;
        if number == 0 {
            return Err(DecodeError::IllegalTag {
                message: schema.go_name,
                wire_type,
            });
        }
        let field = u32::try_from(number)
            .ok()
            .and_then(|number| schema.field(number));
        let action = match wire_type {
            WIRE_VARINT => {
                reader.varint()?;
                keep_if(field.is_some_and(|f| matches!(f.kind, Kind::Varint)))
            }
            WIRE_FIXED64 => {
                reader.take(8)?;
                keep_if(field.is_some_and(|f| matches!(f.kind, Kind::Fixed64)))
            }
            WIRE_FIXED32 => {
                reader.take(4)?;
                // metrics.proto has no 32-bit fixed-width fields.
                Action::Drop
            }
            WIRE_LEN => {
                let len = reader.varint()?;
                let payload = reader.take(len)?;
                match field {
                    None => Action::Drop,
                    Some(f) => match f.kind {
                        Kind::Bytes => Action::Keep,
                        Kind::Message(inner) => match sanitize(inner, payload)? {
                            Cow::Borrowed(_) => Action::Keep,
                            Cow::Owned(cleaned) => Action::Replace(cleaned),
                        },
                        Kind::Varint if f.repeated => {
                            check_packed_varints(payload)?;
                            Action::Keep
                        }
                        Kind::Fixed64 if f.repeated => {
                            if payload.len() % 8 != 0 {
                                return Err(DecodeError::UnexpectedEof);
                            }
                            Action::Keep
                        }
                        Kind::Varint | Kind::Fixed64 => Action::Drop,
                    },
                }
            }
            WIRE_START_GROUP => {
                reader.skip_group()?;
                Action::Drop
            }
            other => return Err(DecodeError::UnknownWireType(other)),
        };
        match action {
            Action::Keep => {
                if let Some(out) = out.as_mut() {
                    out.extend_from_slice(&input[start..reader.pos]);
                }
            }
            Action::Drop => {
                out.get_or_insert_with(|| input[..start].to_vec());
            }
            Action::Replace(payload) => {
                let out = out.get_or_insert_with(|| input[..start].to_vec());
                prost::encoding::encode_varint(key, out);
                prost::encoding::encode_varint(payload.len() as u64, out);
                out.extend_from_slice(&payload);
            }
        }
    }
    Ok(match out {
        Some(out) => Cow::Owned(out),
        None => Cow::Borrowed(input),
    })
}

enum Action {
    Keep,
    Drop,
    Replace(Vec<u8>),
}

fn keep_if(known: bool) -> Action {
    if known { Action::Keep } else { Action::Drop }
}

fn check_packed_varints(payload: &[u8]) -> Result<(), DecodeError> {
    let mut reader = Reader {
        buf: payload,
        pos: 0,
    };
    while !reader.at_end() {
        reader.varint()?;
    }
    Ok(())
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn at_end(&self) -> bool {
        self.pos >= self.buf.len()
    }

    /// A base-128 varint of at most 10 bytes, the tenth holding only the 64th bit, as
    /// protobuf-go's `ConsumeVarint` reads it. Go reports truncation and overflow alike as
    /// `unexpected EOF`.
    fn varint(&mut self) -> Result<u64, DecodeError> {
        let mut value = 0u64;
        for index in 0..10 {
            let byte = *self.buf.get(self.pos).ok_or(DecodeError::UnexpectedEof)?;
            self.pos += 1;
            if index == 9 && byte > 1 {
                return Err(DecodeError::UnexpectedEof);
            }
            value |= u64::from(byte & 0x7f) << (7 * index);
            if byte < 0x80 {
                return Ok(value);
            }
        }
        Err(DecodeError::UnexpectedEof)
    }

    fn take(&mut self, len: u64) -> Result<&'a [u8], DecodeError> {
        let remaining = self.buf.len() - self.pos;
        let len = usize::try_from(len)
            .ok()
            .filter(|&len| len <= remaining)
            .ok_or(DecodeError::UnexpectedEof)?;
        let bytes = &self.buf[self.pos..self.pos + len];
        self.pos += len;
        Ok(bytes)
    }

    /// Skips a group whose start tag has just been read, nested groups included. The depth is
    /// counted rather than recursed into, so a long run of start tags cannot overflow the stack.
    /// Go 1.5.1 does not insist that an end tag's field number matches its start tag's.
    fn skip_group(&mut self) -> Result<(), DecodeError> {
        let mut depth = 1usize;
        while depth > 0 {
            let key = self.varint()?;
            match (key & 7) as u8 {
                WIRE_VARINT => {
                    self.varint()?;
                }
                WIRE_FIXED64 => {
                    self.take(8)?;
                }
                WIRE_LEN => {
                    let len = self.varint()?;
                    self.take(len)?;
                }
                WIRE_START_GROUP => depth += 1,
                WIRE_END_GROUP => depth -= 1,
                WIRE_FIXED32 => {
                    self.take(4)?;
                }
                other => return Err(DecodeError::UnknownWireType(other)),
            }
        }
        Ok(())
    }
}
