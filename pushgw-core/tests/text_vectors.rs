//! Data-driven tests of the text-format parser against the vectors in `test_data/text/`.
//!
//! * `ok/NNNN_name.prom`: bodies the Go Pushgateway 1.5.1 accepts (200 on `PUT`); the
//!   `.expected` sibling is the dump of the parsed families (format below).
//! * `err/NNNN_name.prom`: bodies it refuses as unparsable (400); the `.expected` sibling is the
//!   response body, i.e. our error's `Display` and a newline.
//! * `reject/NNNN_name.prom`: bodies that parse but that it still refuses (400) at push time
//!   (timestamps, duplicate series, name collisions, invalid label names); dumped as `ok/`.
//! * `deviation/NNNN_name.prom`: bodies where pushgw deliberately differs from the reference;
//!   `deviation/README.md` says what the reference does. Dumped or displayed, whichever we do.
//!
//! `UPDATE_EXPECT=1 cargo test -p pushgw-core --test text_vectors` rewrites the expectations.
//!
//! The dump: one line per family, `name type [help="..."]`, then one indented line per metric,
//! `{labels} value [@timestamp]`, where the value is the float for counters, gauges and untyped
//! metrics, `count=.. sum=.. quantiles=[q: v, ..]` for summaries and
//! `count=.. sum=.. buckets=[le: count, ..]` for histograms; `(no families)` if there are none. Floats print as Rust's `{:?}`
//! (always with a `.`, `e`, `inf` or `NaN`), integer counts without a `.`, so float histogram
//! counts stand out.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use expect_test::{Expect, expect, expect_file};
use pushgw_core::model::{Count, MetricFamily, Value};
use pushgw_core::text;

#[test]
fn ok_vectors_parse() {
    for path in vectors("ok") {
        let input = fs::read(&path).expect("readable vector");
        let families = text::parse(&input)
            .unwrap_or_else(|err| panic!("{} should parse: {err}", path.display()));
        expect_file![expected(&path)].assert_eq(&dump(&families));
    }
}

#[test]
fn err_vectors_fail_with_the_reference_message() {
    for path in vectors("err") {
        let input = fs::read(&path).expect("readable vector");
        let err = text::parse(&input)
            .err()
            .unwrap_or_else(|| panic!("{} should not parse", path.display()));
        expect_file![expected(&path)].assert_eq(&format!("{err}\n"));
    }
}

#[test]
fn reject_vectors_parse() {
    for path in vectors("reject") {
        let input = fs::read(&path).expect("readable vector");
        let families = text::parse(&input)
            .unwrap_or_else(|err| panic!("{} should parse: {err}", path.display()));
        expect_file![expected(&path)].assert_eq(&dump(&families));
    }
}

#[test]
fn deviation_vectors() {
    for path in vectors("deviation") {
        let input = fs::read(&path).expect("readable vector");
        expect_file![expected(&path)].assert_eq(&outcome(&input));
    }
}

#[test]
fn vectors_are_named_and_paired() {
    let root = data_dir();
    for dir in ["ok", "err", "reject", "deviation"] {
        for entry in fs::read_dir(root.join(dir)).expect("vector directory") {
            let path = entry.expect("directory entry").path();
            let name = path
                .file_name()
                .and_then(|name| name.to_str())
                .unwrap_or("");
            if name == "README.md" {
                continue;
            }
            let (stem, extension) = name.split_once('.').unwrap_or((name, ""));
            let numbered = stem.len() > 5
                && stem[..4].bytes().all(|b| b.is_ascii_digit())
                && stem.as_bytes()[4] == b'_';
            assert!(numbered, "{} is not NNNN_name", path.display());
            assert!(
                matches!(extension, "prom" | "expected"),
                "{} is neither .prom nor .expected",
                path.display()
            );
            // While expectations are being written, a new vector's may not exist yet.
            if std::env::var_os("UPDATE_EXPECT").is_some() {
                continue;
            }
            let sibling = path.with_extension(if extension == "prom" {
                "expected"
            } else {
                "prom"
            });
            assert!(sibling.exists(), "{} has no sibling", path.display());
        }
    }
}

/// One-liners: the input's dump, or its error.
#[track_caller]
fn check(input: &str, expect: Expect) {
    expect.assert_eq(&outcome(input.as_bytes()));
}

#[test]
fn inline_cases() {
    check(
        "",
        expect![[r#"
        (no families)
    "#]],
    );
    check(
        "a 1\n",
        expect![[r#"
            a untyped
              {} 1.0
        "#]],
    );
    check(
        "a{b=\"\\\\\\\"\\n\"} -Inf 5\n",
        expect![[r#"
            a untyped
              {b="\\\"\n"} -inf @5
        "#]],
    );
    check(
        "a 1",
        expect!["text format parsing error in line 1: unexpected end of input stream"],
    );
    check(
        "# TYPE h histogram\nh_bucket{le=\"1\"} 2.5\nh_count 3\n",
        expect![[r#"
            h histogram
              {} count=3.0 sum=0.0 buckets=[1.0: 2.5]
        "#]],
    );
    check(
        "# TYPE s summary\ns_count -1\n",
        expect![[r#"
            s summary
              {} count=18446744073709551615 sum=0.0 quantiles=[]
        "#]],
    );
    check(
        "a{b=\"1\",b=\"2\"} 1\n",
        expect![[r#"text format parsing error in line 1: duplicate label names for metric "a""#]],
    );
}

fn outcome(input: &[u8]) -> String {
    match text::parse(input) {
        Ok(families) => dump(&families),
        Err(err) => err.to_string(),
    }
}

/// The dump described in the module docs.
fn dump(families: &[MetricFamily]) -> String {
    if families.is_empty() {
        return "(no families)\n".to_owned();
    }
    let mut out = String::new();
    for family in families {
        let kind = family.metric_type.proto_name().to_lowercase();
        write!(out, "{} {kind}", family.name).expect("writing to a String");
        if let Some(help) = &family.help {
            write!(out, " help={help:?}").expect("writing to a String");
        }
        out.push('\n');
        for metric in &family.metrics {
            let labels: Vec<String> = metric
                .labels
                .iter()
                .map(|pair| format!("{}={:?}", pair.name, pair.value))
                .collect();
            write!(out, "  {{{}}} ", labels.join(",")).expect("writing to a String");
            match &metric.value {
                Value::Counter(counter) => write!(out, "{:?}", counter.value),
                Value::Gauge(value) | Value::Untyped(value) => write!(out, "{value:?}"),
                Value::Summary(summary) => {
                    let quantiles: Vec<String> = summary
                        .quantiles
                        .iter()
                        .map(|q| format!("{:?}: {:?}", q.quantile, q.value))
                        .collect();
                    write!(
                        out,
                        "count={} sum={:?} quantiles=[{}]",
                        summary.count,
                        summary.sum,
                        quantiles.join(", ")
                    )
                }
                Value::Histogram(histogram) => {
                    let buckets: Vec<String> = histogram
                        .buckets
                        .iter()
                        .map(|b| format!("{:?}: {}", b.upper_bound, count(b.cumulative_count)))
                        .collect();
                    write!(
                        out,
                        "count={} sum={:?} buckets=[{}]",
                        count(histogram.count),
                        histogram.sum,
                        buckets.join(", ")
                    )
                }
            }
            .expect("writing to a String");
            if let Some(timestamp) = metric.timestamp_ms {
                write!(out, " @{timestamp}").expect("writing to a String");
            }
            out.push('\n');
        }
    }
    out
}

fn count(count: Count) -> String {
    match count {
        Count::Int(n) => n.to_string(),
        Count::Float(f) => format!("{f:?}"),
    }
}

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("test_data/text")
}

/// The `.prom` files of one directory, sorted.
fn vectors(dir: &str) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = fs::read_dir(data_dir().join(dir))
        .expect("vector directory")
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "prom"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no vectors in {dir}");
    paths
}

fn expected(path: &Path) -> PathBuf {
    path.with_extension("expected")
}
