//! Properties of grouping keys: `to_path` round-trips through percent-decoding and `from_path`,
//! parsing never panics, the order is the identity strings' order, and base64 decoding agrees with
//! the `base64` crate wherever Go's leniency does not come into play.

use base64::Engine as _;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use percent_encoding::percent_decode_str;
use proptest::prelude::*;
use pushgw_core::grouping::{GroupingKey, GroupingKeyError};
use pushgw_core::model::LabelPair;

/// Values that stress the path encoding: arbitrary text, and short runs of the characters that
/// matter to URLs and to path cleaning.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[./+% =@a]{0,4}",
        Just(String::new()),
        Just(".".to_owned()),
        Just("..".to_owned()),
    ]
}

fn label_name() -> impl Strategy<Value = String> {
    "[a-zA-Z_][a-zA-Z0-9_]{0,6}".prop_filter("reserved prefix", |name| !name.starts_with("__"))
}

fn key() -> impl Strategy<Value = GroupingKey> {
    let job = value().prop_filter("the job is required", |job| !job.is_empty());
    let labels = prop::collection::vec((label_name(), value()), 0..5);
    (job, labels).prop_map(|(job, labels)| {
        let labels = labels
            .into_iter()
            .map(|(name, value)| LabelPair::new(name, value));
        GroupingKey::new(job, labels).expect("the strategy only makes valid keys")
    })
}

/// Paths made of the pieces the grammar cares about, to get past the first checks more often
/// than arbitrary bytes do.
fn path_like() -> impl Strategy<Value = Vec<u8>> {
    let prefix = prop_oneof![
        Just(&b"job/"[..]),
        Just(&b"job@base64/"[..]),
        Just(&b""[..])
    ];
    let piece = prop_oneof![
        Just(&b"/"[..]),
        Just(&b"@base64"[..]),
        Just(&b"="[..]),
        Just(&b"\n"[..]),
        Just(&b"job"[..]),
        Just(&b"__"[..]),
        Just(&b"YQ"[..]),
        Just(&b"a"[..]),
        Just(&b"\xff"[..]),
        Just(&b"+"[..]),
    ];
    (prefix, prop::collection::vec(piece, 0..12))
        .prop_map(|(prefix, pieces)| [prefix, &pieces.concat()].concat())
}

/// The `base64` crate configured as leniently as Go's `RawURLEncoding` is, on input without `\r`,
/// `\n` and trailing `=` (which the gateway strips).
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone),
);

proptest! {
    #[test]
    fn to_path_round_trips(key in key()) {
        let path = key.to_path();
        let decoded: Vec<u8> = percent_decode_str(&path).collect();
        prop_assert_eq!(GroupingKey::from_path_bytes(&decoded), Ok(key));
    }

    #[test]
    fn to_path_is_clean(key in key()) {
        // Nothing for a server to redirect: no empty, `.` or `..` segments after decoding, and
        // the decoded path has exactly the segments of the encoded one.
        let path = key.to_path();
        let decoded = String::from_utf8(percent_decode_str(&path).collect()).expect("keys are UTF-8");
        prop_assert_eq!(decoded.split('/').count(), path.split('/').count());
        prop_assert!(
            decoded.split('/').all(|segment| !segment.is_empty() && segment != "." && segment != ".."),
            "unclean path {decoded:?}"
        );
    }

    #[test]
    fn from_path_never_panics(path in any::<String>()) {
        let _ = GroupingKey::from_path(&path);
    }

    #[test]
    fn from_path_bytes_never_panics(path in prop::collection::vec(any::<u8>(), 0..64)) {
        let _ = GroupingKey::from_path_bytes(&path);
    }

    #[test]
    fn parsed_keys_round_trip(path in path_like()) {
        // Whatever parses is a valid key, and so encodes to a path that parses back to it.
        if let Ok(key) = GroupingKey::from_path_bytes(&path) {
            let again: Vec<u8> = percent_decode_str(&key.to_path()).collect();
            prop_assert_eq!(GroupingKey::from_path_bytes(&again), Ok(key));
        }
    }

    #[test]
    fn order_is_identity_order(a in key(), b in key()) {
        prop_assert_eq!(a.cmp(&b), a.identity().cmp(&b.identity()));
        prop_assert_eq!(a == b, a.identity() == b.identity());
    }

    #[test]
    fn new_and_from_path_agree(key in key()) {
        let others = key.labels().iter().filter(|pair| pair.name != "job").cloned();
        prop_assert_eq!(GroupingKey::new(key.job(), others), Ok(key.clone()));
    }

    #[test]
    fn base64_agrees_with_the_base64_crate(value in "[A-Za-z0-9_-]{0,24}") {
        let path = format!("job/j/v@base64/{value}");
        let ours = match GroupingKey::from_path(&path) {
            Ok(key) => Ok(key.get("v").expect("the label was in the path").as_bytes().to_vec()),
            Err(GroupingKeyError::NotUtf8 { value, .. }) => Ok(value),
            Err(err) => Err(err),
        };
        match LENIENT.decode(&value) {
            Ok(decoded) => prop_assert_eq!(ours, Ok(decoded)),
            Err(_) => prop_assert!(ours.is_err(), "{ours:?}"),
        }
    }
}
