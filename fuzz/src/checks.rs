//! What the fuzz targets check, one function per target.
//!
//! The file is compiled twice: as the library of the fuzz crate, used by `fuzz_targets/*.rs`, and
//! as a module of `pushgw-core/tests/fuzz_corpus.rs`, which replays the seed corpora on stable.
//! Each function panics when a property fails; any other input, valid or not, must pass.

use pushgw_core::{proto, text};

/// `text::parse` never panics; what it accepts renders to text that it accepts again, and that
/// second parse renders to the same bytes (the gateway's exposition is stable once parsed).
pub fn text_parse(data: &[u8]) {
    let Ok(families) = text::parse(data) else {
        return;
    };
    let mut rendered = Vec::new();
    text::render(&families, &mut rendered);
    let again = text::parse(&rendered).unwrap_or_else(|err| {
        panic!(
            "rendered text does not parse: {err}\n{}",
            String::from_utf8_lossy(&rendered)
        )
    });
    let mut rendered_again = Vec::new();
    text::render(&again, &mut rendered_again);
    assert_eq!(
        String::from_utf8_lossy(&rendered_again),
        String::from_utf8_lossy(&rendered),
        "rendering is not stable"
    );
}

/// `proto::decode` never panics; what it accepts encodes to bytes that decode to the same
/// families (compared through `Debug`, which prints every NaN alike) and encode to the same bytes
/// again (which keeps NaN payloads honest).
pub fn proto_decode(data: &[u8]) {
    let Ok(families) = proto::decode(data) else {
        return;
    };
    let mut encoded = Vec::new();
    proto::encode(&families, &mut encoded);
    let again = proto::decode(&encoded)
        .unwrap_or_else(|err| panic!("our own encoding does not decode: {err}"));
    assert_eq!(
        format!("{again:?}"),
        format!("{families:?}"),
        "decode(encode(x)) != x"
    );
    let mut encoded_again = Vec::new();
    proto::encode(&again, &mut encoded_again);
    assert!(encoded_again == encoded, "encoding is not stable");
}
