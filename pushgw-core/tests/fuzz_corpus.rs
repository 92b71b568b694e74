//! Replays the fuzz seed corpora (`fuzz/corpus/<target>/`) through the fuzz targets' own checks,
//! on stable, as ordinary tests: libFuzzer needs nightly, the properties do not.

use std::path::{Path, PathBuf};

#[path = "../../fuzz/src/checks.rs"]
mod checks;

fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let mut files: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
        .map(|entry| {
            let path = entry.expect("corpus entry").path();
            let bytes = std::fs::read(&path).expect("read corpus file");
            (path, bytes)
        })
        .collect();
    files.sort();
    assert!(
        files.len() >= 10,
        "{target}: the corpus has only {} files",
        files.len()
    );
    files
}

/// Runs `check` on every file, naming the file that fails.
fn replay(target: &str, check: fn(&[u8])) {
    for (path, bytes) in corpus(target) {
        let outcome = std::panic::catch_unwind(|| check(&bytes));
        assert!(
            outcome.is_ok(),
            "{target}: {} fails its check",
            path.display()
        );
    }
}

#[test]
fn proto_decode_corpus() {
    replay("proto_decode", checks::proto_decode);
}

/// The protobuf test vectors seed the fuzzer; a new vector has to be copied into the corpus.
#[test]
fn proto_corpus_holds_every_test_vector() {
    let corpus: Vec<Vec<u8>> = corpus("proto_decode")
        .into_iter()
        .map(|(_, bytes)| bytes)
        .collect();
    let vectors = Path::new(env!("CARGO_MANIFEST_DIR")).join("test_data/proto");
    for entry in std::fs::read_dir(&vectors).expect("read test_data/proto") {
        let path = entry.expect("dir entry").path();
        if path.extension().is_some_and(|ext| ext == "bin") {
            let bytes = std::fs::read(&path).expect("read vector");
            assert!(
                corpus.contains(&bytes),
                "copy {} into fuzz/corpus/proto_decode",
                path.display()
            );
        }
    }
}

#[test]
fn text_parse_corpus() {
    replay("text_parse", checks::text_parse);
}

#[test]
fn grouping_key_corpus() {
    replay("grouping_key", checks::grouping_key);
}

#[test]
fn gateway_handle_corpus() {
    replay("gateway_handle", checks::gateway_handle);
}
