//! A gzip member assembled from independently compressed pieces, so that a scrape recompresses
//! only what changed since the last one.
//!
//! Each piece is a raw DEFLATE stream ended with a sync flush (an empty stored block), which
//! leaves it byte-aligned and without a final block: pieces compressed separately can be
//! concatenated in any order into one valid stream, which a final empty block closes (the same
//! construction as `pigz`, without sharing the dictionary across pieces so that a piece depends
//! on its text alone). The CRC-32 of the whole is combined from the pieces' CRCs. The result is
//! one ordinary gzip member (RFC 1952), readable by every client, not a multi-member file.

use flate2::{Compress, Compression, FlushCompress};

/// One piece of text, compressed on its own and ready to be concatenated.
#[derive(Debug, Clone)]
pub(crate) struct Deflated {
    /// Raw DEFLATE data ending in a sync flush: byte-aligned, no final block.
    data: Vec<u8>,
    /// CRC-32 state of the uncompressed text.
    crc: crc32fast::Hasher,
    /// Length of the uncompressed text.
    len: u64,
}

impl Deflated {
    /// Compresses `text` with the fastest level: a scrape pays for compression of whatever
    /// changed, and the body is discarded after it has been sent.
    pub(crate) fn new(text: &[u8]) -> Deflated {
        let mut compress = Compress::new(Compression::fast(), false);
        let mut data = Vec::with_capacity(text.len() / 4 + 64);
        loop {
            let consumed = usize::try_from(compress.total_in()).unwrap_or(text.len());
            compress
                .compress_vec(&text[consumed..], &mut data, FlushCompress::Sync)
                .expect("raw deflate into a Vec with spare room cannot fail");
            // The flush is complete once the compressor stops short of filling the output.
            if compress.total_in() == text.len() as u64 && data.len() < data.capacity() {
                break;
            }
            data.reserve(data.capacity().max(64));
        }
        let mut crc = crc32fast::Hasher::new();
        crc.update(text);
        Deflated {
            data,
            crc,
            len: text.len() as u64,
        }
    }

    /// The size of the compressed data.
    pub(crate) fn compressed_len(&self) -> usize {
        self.data.len()
    }
}

/// Builds one gzip member from [`Deflated`] pieces in order.
#[derive(Debug)]
pub(crate) struct Member {
    out: Vec<u8>,
    crc: crc32fast::Hasher,
    len: u64,
}

impl Member {
    /// A member with room for `capacity` bytes of compressed data.
    pub(crate) fn with_capacity(capacity: usize) -> Member {
        let mut out = Vec::with_capacity(capacity + 18);
        // ID1 ID2, CM = deflate, no flags, no mtime, no extra flags, OS = unknown (as Go writes).
        out.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
        Member {
            out,
            crc: crc32fast::Hasher::new(),
            len: 0,
        }
    }

    /// Appends a piece.
    pub(crate) fn push(&mut self, piece: &Deflated) {
        self.out.extend_from_slice(&piece.data);
        self.crc.combine(&piece.crc);
        self.len += piece.len;
    }

    /// Closes the stream with an empty final block (fixed Huffman: BFINAL, BTYPE 01, end of
    /// block) and writes the trailer: CRC-32 and length modulo 2^32, little-endian.
    pub(crate) fn finish(mut self) -> Vec<u8> {
        self.out.extend_from_slice(&[0x03, 0x00]);
        self.out
            .extend_from_slice(&self.crc.finalize().to_le_bytes());
        // ISIZE is the length modulo 2^32 by definition (RFC 1952 §2.3.1).
        self.out.extend_from_slice(&(self.len as u32).to_le_bytes());
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::io::Read;

    fn gunzip(bytes: &[u8]) -> Vec<u8> {
        let mut decoder = flate2::read::GzDecoder::new(bytes);
        let mut out = Vec::new();
        decoder.read_to_end(&mut out).expect("a valid gzip member");
        // Nothing after the member: it is a single one.
        assert_eq!(decoder.into_inner().len(), 0);
        out
    }

    fn member(pieces: &[&[u8]]) -> Vec<u8> {
        let mut member = Member::with_capacity(0);
        for piece in pieces {
            member.push(&Deflated::new(piece));
        }
        member.finish()
    }

    #[test]
    fn no_pieces_is_the_empty_text() {
        assert_eq!(gunzip(&member(&[])), b"");
    }

    #[test]
    fn empty_pieces_are_harmless() {
        assert_eq!(gunzip(&member(&[b"", b"a 1\n", b""])), b"a 1\n");
    }

    #[test]
    fn large_incompressible_piece_needs_several_rounds() {
        // An LCG's bytes do not compress, so the output outgrows the first guess.
        let mut state = 1u32;
        let noise: Vec<u8> = (0..300_000)
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (state >> 24) as u8
            })
            .collect();
        let piece = Deflated::new(&noise);
        assert!(piece.compressed_len() > noise.len() / 2);
        assert_eq!(
            gunzip(&member(&[&noise, b"tail\n"])),
            [&noise[..], b"tail\n"].concat()
        );
    }

    proptest! {
        #[test]
        fn pieces_concatenate_to_the_whole(pieces in proptest::collection::vec(
            proptest::collection::vec(any::<u8>(), 0..2_000), 0..8)
        ) {
            let slices: Vec<&[u8]> = pieces.iter().map(Vec::as_slice).collect();
            prop_assert_eq!(gunzip(&member(&slices)), pieces.concat());
        }
    }
}
