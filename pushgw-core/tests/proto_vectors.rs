//! Protobuf test vectors: `test_data/proto/<name>.bin`, each a whole push body, with a readable
//! `<name>.expected` dump of what `proto::decode` makes of it.
//!
//! The vectors are generated here, from models through `proto::encode` or from hand-written
//! bytes for what our encoder never produces (malformed or merely unusual input). Run
//! `UPDATE_EXPECT=1 cargo test -p pushgw-core --test proto_vectors` to rewrite the `.bin` files
//! and the dumps after changing a case.
//!
//! `test_data/proto/go-1.5.1.txt` records how the reference gateway answered each vector (written
//! by `test_data/proto/check-go.sh` against `prometheus-pushgateway` 1.5.1: a `PUT` to
//! `/metrics/job/x`, then the families it exposes, as compact protobuf text). The last test here
//! holds our decoder to those answers.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use expect_test::expect_file;
use pushgw_core::model::{
    Bucket, BucketSpan, Count, Counter, Exemplar, Histogram, LabelPair, Metric, MetricFamily,
    MetricType, NativeBuckets, NativeHistogram, Quantile, Summary, Timestamp, Value,
};
use pushgw_core::proto;

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("test_data/proto")
}

fn update() -> bool {
    std::env::var_os("UPDATE_EXPECT").is_some()
}

fn family(name: &str, metric_type: MetricType, metrics: Vec<Metric>) -> MetricFamily {
    MetricFamily {
        name: name.into(),
        help: None,
        metric_type,
        unit: None,
        metrics,
    }
}

fn metric(labels: &[(&str, &str)], value: Value) -> Metric {
    Metric {
        labels: labels
            .iter()
            .map(|(name, value)| LabelPair::new(*name, *value))
            .collect(),
        value,
        timestamp_ms: None,
    }
}

fn spans() -> Vec<BucketSpan> {
    vec![
        BucketSpan {
            offset: 0,
            length: 2,
        },
        BucketSpan {
            offset: 0,
            length: 2,
        },
    ]
}

/// The float native histogram of the reference's `TestPush` case 9 and `TestMetricsAPI`
/// (spec §12.1, §12.4): count 20 (float), sum 99.23, schema 1, spans {0,2},{0,2} on both sides,
/// counts [2,2,-2,0] on both sides.
fn float_native_histogram() -> Value {
    Value::Histogram(Box::new(Histogram {
        count: Count::Float(20.0),
        sum: 99.23,
        buckets: vec![],
        created: None,
        native: Some(NativeHistogram {
            schema: 1,
            negative_spans: spans(),
            negative: NativeBuckets::Counts(vec![2.0, 2.0, -2.0, 0.0]),
            positive_spans: spans(),
            positive: NativeBuckets::Counts(vec![2.0, 2.0, -2.0, 0.0]),
            ..NativeHistogram::default()
        }),
    }))
}

fn classic_buckets(count: fn(u64) -> Count) -> Vec<Bucket> {
    [(250000.0, 3), (500000.0, 17)]
        .map(|(upper_bound, n)| Bucket {
            upper_bound,
            cumulative_count: count(n),
            exemplar: None,
        })
        .to_vec()
}

fn exemplar(trace_id: &str, value: f64, seconds: i64) -> Exemplar {
    Exemplar {
        labels: vec![LabelPair::new("trace_id", trace_id)],
        value,
        timestamp: Some(Timestamp {
            seconds,
            nanos: 500_000_000,
        }),
    }
}

/// `TestPush` case 9 (spec §12.1): two untyped families and a float native histogram.
#[expect(
    clippy::approx_constant,
    reason = "the reference's test pushes 3.14, not pi"
)]
fn push_case_9() -> Vec<MetricFamily> {
    vec![
        family(
            "some_metric",
            MetricType::Untyped,
            vec![metric(&[], Value::Untyped(1.234))],
        ),
        family(
            "another_metric",
            MetricType::Untyped,
            vec![metric(&[], Value::Untyped(3.14))],
        ),
        family(
            "histogram_metric",
            MetricType::Histogram,
            vec![metric(&[], float_native_histogram())],
        ),
    ]
}

/// `TestMetricsAPI` (spec §12.4): an empty summary and four histograms (int and float, classic
/// and native) in a group with awkward label values.
fn metrics_api() -> Vec<MetricFamily> {
    let group = [("instance", "inst'a\"n\\ce1"), ("job", "Björn")];
    let testing = |what: &'static str| [group[0], group[1], ("testing", what)];
    let int_native = Value::Histogram(Box::new(Histogram {
        count: Count::Int(20),
        sum: 99.23,
        buckets: vec![],
        created: None,
        native: Some(NativeHistogram {
            schema: 1,
            negative_spans: spans(),
            negative: NativeBuckets::Deltas(vec![0, 2, -2, 0]),
            positive_spans: spans(),
            positive: NativeBuckets::Deltas(vec![0, 2, -2, 0]),
            ..NativeHistogram::default()
        }),
    }));
    let Value::Histogram(mut float_native) = float_native_histogram() else {
        unreachable!("float_native_histogram is a histogram")
    };
    float_native.sum = 99.23;
    vec![
        family(
            "mf1",
            MetricType::Summary,
            vec![metric(&group, Value::Summary(Summary::default()))],
        ),
        family(
            "mfh",
            MetricType::Histogram,
            vec![
                metric(
                    &testing("int classic histogram"),
                    Value::Histogram(Box::new(Histogram {
                        count: Count::Int(20),
                        sum: 99.23,
                        buckets: classic_buckets(Count::Int),
                        ..Histogram::default()
                    })),
                ),
                metric(
                    &testing("float classic histogram"),
                    Value::Histogram(Box::new(Histogram {
                        count: Count::Float(20.0),
                        sum: 99.23,
                        buckets: classic_buckets(|n| Count::Float(n as f64)),
                        ..Histogram::default()
                    })),
                ),
                metric(&testing("int native histogram"), int_native),
                metric(
                    &testing("float native histogram"),
                    Value::Histogram(float_native),
                ),
            ],
        ),
    ]
}

/// Every other corner of the model: HELP present but empty, a unit, exemplars and created
/// timestamps, a zero bucket, a gauge histogram, quantiles, special floats.
fn everything() -> Vec<MetricFamily> {
    let created = Some(Timestamp {
        seconds: 1_700_000_000,
        nanos: 0,
    });
    vec![
        MetricFamily {
            help: Some(String::new()),
            unit: Some("seconds".into()),
            ..family(
                "requests_total",
                MetricType::Counter,
                vec![metric(
                    &[("path", "/")],
                    Value::Counter(Counter {
                        value: 42.0,
                        exemplar: Some(Box::new(exemplar("abc", 1.0, 1_700_000_001))),
                        created,
                    }),
                )],
            )
        },
        MetricFamily {
            help: Some("Latency with \"quotes\" and \\ and\nnewline.".into()),
            ..family(
                "latency_seconds",
                MetricType::Summary,
                vec![metric(
                    &[],
                    Value::Summary(Summary {
                        count: 7,
                        sum: 1.5,
                        quantiles: vec![
                            Quantile {
                                quantile: 0.5,
                                value: 0.25,
                            },
                            Quantile {
                                quantile: 0.99,
                                value: f64::NAN,
                            },
                        ],
                        created,
                    }),
                )],
            )
        },
        family(
            "native_seconds",
            MetricType::Histogram,
            vec![metric(
                &[("le_like", "+Inf")],
                Value::Histogram(Box::new(Histogram {
                    count: Count::Int(12),
                    sum: -3.5,
                    buckets: vec![Bucket {
                        upper_bound: f64::INFINITY,
                        cumulative_count: Count::Int(12),
                        exemplar: Some(exemplar("def", 0.5, 1_700_000_002)),
                    }],
                    created,
                    native: Some(NativeHistogram {
                        schema: -4,
                        zero_threshold: 2f64.powi(-128),
                        zero_count: Count::Int(2),
                        negative_spans: vec![BucketSpan {
                            offset: -3,
                            length: 1,
                        }],
                        negative: NativeBuckets::Deltas(vec![4]),
                        positive_spans: vec![
                            BucketSpan {
                                offset: 1,
                                length: 2,
                            },
                            BucketSpan {
                                offset: 5,
                                length: 1,
                            },
                        ],
                        positive: NativeBuckets::Deltas(vec![1, 2, -3]),
                        exemplars: vec![exemplar("ghi", 7.0, 1_700_000_003)],
                    }),
                })),
            )],
        ),
        family(
            "queue_size",
            MetricType::GaugeHistogram,
            vec![metric(
                &[],
                Value::Histogram(Box::new(Histogram {
                    count: Count::Float(2.5),
                    sum: 4.0,
                    buckets: vec![Bucket {
                        upper_bound: 1.0,
                        cumulative_count: Count::Float(2.5),
                        exemplar: None,
                    }],
                    ..Histogram::default()
                })),
            )],
        ),
        family(
            "special_values",
            MetricType::Gauge,
            vec![
                metric(&[("v", "-0")], Value::Gauge(-0.0)),
                metric(&[("v", "-Inf")], Value::Gauge(f64::NEG_INFINITY)),
                metric(&[("v", "")], Value::Gauge(5e-324)),
            ],
        ),
        family("empty_family", MetricType::Untyped, vec![]),
    ]
}

fn encoded(families: &[MetricFamily]) -> Vec<u8> {
    let mut out = Vec::new();
    proto::encode(families, &mut out);
    out
}

/// One untyped family `a` with the value 1: `0a 01 61  18 03  22 0b (2a 09 (09 <1.0>))`.
const FAMILY_A: &[u8] =
    b"\x12\x0a\x01a\x18\x03\x22\x0b\x2a\x09\x09\x00\x00\x00\x00\x00\x00\xf0\x3f";

fn concat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// Every vector by name, in the order the files sort in.
fn vectors() -> BTreeMap<&'static str, Vec<u8>> {
    let mut vectors = BTreeMap::new();
    let mut add = |name: &'static str, bytes: Vec<u8>| {
        assert!(
            vectors.insert(name, bytes).is_none(),
            "duplicate vector {name}"
        );
    };
    // What our encoder writes.
    add("ok_push_case_9", encoded(&push_case_9()));
    add("ok_metrics_api", encoded(&metrics_api()));
    add("ok_everything", encoded(&everything()));
    add("ok_empty_body", Vec::new());
    add("ok_same_name_twice", concat(&[FAMILY_A, FAMILY_A]));
    let mut mismatch = family(
        "gauge_with_counter_value",
        MetricType::Gauge,
        vec![metric(&[], Value::Counter(Counter::default()))],
    );
    add(
        "ok_type_mismatch_survives",
        encoded(std::slice::from_ref(&mismatch)),
    );
    mismatch.metrics[0].timestamp_ms = Some(1000);
    mismatch.metrics[0].value = Value::Gauge(1.0);
    add("ok_timestamp_survives", encoded(&[mismatch]));
    // Unusual but valid input that other encoders may write, or that Go's reader tolerates.
    add("ok_empty_message", b"\x00".to_vec());
    add("ok_trailing_partial_prefix", concat(&[FAMILY_A, b"\x80"]));
    add(
        "ok_trailing_prefix_without_body",
        concat(&[FAMILY_A, b"\x05"]),
    );
    // Field 1 as a varint first: a known field with the wrong wire type is skipped.
    add(
        "ok_wrong_wire_type_skipped",
        concat(&[b"\x14\x08\x01", &FAMILY_A[1..]]),
    );
    // Unknown field 9 (varint), unknown field 10 as a group with a nested group, unknown fixed32.
    add(
        "ok_unknown_fields_skipped",
        concat(&[
            b"\x1f\x48\x07\x53\x5b\x08\x01\x5c\x54\x6d\x01\x02\x03\x04",
            &FAMILY_A[1..],
        ]),
    );
    // Family without `type`: reads as COUNTER. Metric: counter (3) with value 2.
    add(
        "ok_absent_type_is_counter",
        b"\x10\x0a\x01c\x22\x0b\x1a\x09\x09\x00\x00\x00\x00\x00\x00\x00\x40".to_vec(),
    );
    // Native histogram with packed deltas (field 13, wire type 2) and packed counts (field 11),
    // as a proto3 encoder writes them: schema 0, positive span {0,2}, deltas [1,1],
    // negative span {0,1}, counts [1.5].
    add(
        "ok_packed_native_buckets",
        concat(&[
            b"\x30\x0a\x01h\x18\x04\x22\x29\x3a\x27",
            b"\x28\x00",
            b"\x4a\x04\x08\x00\x10\x01",
            b"\x5a\x08\x00\x00\x00\x00\x00\x00\xf8\x3f",
            b"\x62\x04\x08\x00\x10\x02",
            b"\x6a\x02\x02\x02",
            b"\x11\x00\x00\x00\x00\x00\x00\x04\x40",
            b"\x08\x03",
        ]),
    );
    // Malformed input, with the reference's error text.
    add("err_truncated_message", b"\x0a\x0a\x01a".to_vec());
    add(
        "err_truncated_nested_message",
        b"\x04\x0a\x05ab\x00".to_vec(),
    );
    add(
        "err_prefix_2_pow_63",
        b"\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01".to_vec(),
    );
    add("err_bad_varint_in_message", b"\x03\x18\xff\xff".to_vec());
    add(
        "err_overlong_varint_in_message",
        b"\x0c\x18\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01".to_vec(),
    );
    add(
        "err_truncated_after_family",
        concat(&[FAMILY_A, b"\x05\x0a"]),
    );
    add("err_illegal_tag_zero", b"\x02\x00\x01".to_vec());
    add(
        "err_illegal_tag_zero_in_metric",
        b"\x04\x22\x02\x00\x00".to_vec(),
    );
    add("err_wire_type_7", b"\x01\x0f".to_vec());
    add(
        "err_stray_end_group_in_metric",
        b"\x03\x22\x01\x0c".to_vec(),
    );
    add("err_unterminated_group", b"\x01\x0b".to_vec());
    add(
        "err_packed_doubles_misaligned",
        b"\x07\x22\x05\x3a\x03\x5a\x01\x00".to_vec(),
    );
    // Where we are stricter than the reference (see GO_ACCEPTS_WE_REJECT).
    add("err_unknown_metric_type", b"\x05\x0a\x01a\x18\x09".to_vec());
    add("err_length_over_limit", b"\xff\xff\xff\xff\x0f".to_vec());
    // Rejected by the reference's store rather than its decoder; we reject them at decode time.
    add(
        "err_label_value_not_utf8",
        concat(&[
            b"\x1a\x0a\x01a\x18\x03\x22\x13\x0a\x06\x0a\x01l\x12\x01\xff",
            b"\x2a\x09\x09\x00\x00\x00\x00\x00\x00\xf0\x3f",
        ]),
    );
    add(
        "err_metric_without_value",
        b"\x07\x0a\x01a\x18\x01\x22\x00".to_vec(),
    );
    vectors
}

#[test]
fn vector_files_are_generated() {
    let dir = data_dir();
    let vectors = vectors();
    for (name, bytes) in &vectors {
        let path = dir.join(format!("{name}.bin"));
        if update() {
            std::fs::write(&path, bytes).expect("write vector");
        } else {
            let committed = std::fs::read(&path).unwrap_or_else(|err| {
                panic!("{}: {err}; run with UPDATE_EXPECT=1", path.display())
            });
            assert_eq!(
                &committed, bytes,
                "{name}.bin is stale; run with UPDATE_EXPECT=1"
            );
        }
    }
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .expect("read test_data/proto")
        .filter_map(|entry| {
            let name = entry.expect("dir entry").file_name().into_string().ok()?;
            Some(name.strip_suffix(".bin")?.to_owned())
        })
        .collect();
    on_disk.sort();
    let generated: Vec<&str> = vectors.keys().copied().collect();
    assert_eq!(
        on_disk, generated,
        "every .bin file comes from the generator"
    );
}

#[test]
fn vectors_decode_as_dumped() {
    for (name, bytes) in vectors() {
        let dump = match proto::decode(&bytes) {
            Ok(families) => {
                assert!(name.starts_with("ok_"), "{name} decoded");
                // What decodes must encode back to what decodes to the same.
                let again = proto::decode(&encoded(&families)).expect("re-encoded bytes decode");
                assert_eq!(format!("{again:?}"), format!("{families:?}"), "{name}");
                format!("{families:#?}\n")
            }
            Err(err) => {
                assert!(name.starts_with("err_"), "{name} failed: {err}");
                format!("error: {err}\n")
            }
        };
        expect_file![data_dir().join(format!("{name}.expected"))].assert_eq(&dump);
    }
}

/// Vectors the reference accepts and we reject, each for a reason.
const GO_ACCEPTS_WE_REJECT: &[(&str, &str)] = &[
    (
        "err_unknown_metric_type",
        "Go keeps the unknown enum number and later fails to expose the family",
    ),
    (
        "err_length_over_limit",
        "Go allocates 4 GiB for the prefix, then finds no body and calls it a clean end",
    ),
];

/// The reference's answers to a `PUT` of each vector, from `go-1.5.1.txt`.
fn go_answers() -> BTreeMap<String, (u16, String)> {
    let text = std::fs::read_to_string(data_dir().join("go-1.5.1.txt")).expect("go-1.5.1.txt");
    text.lines()
        .filter_map(|line| line.strip_prefix("== "))
        .map(|line| {
            let (name, answer) = line.split_once(": ").expect("`== name: status body`");
            let (status, body) = answer.split_once(' ').unwrap_or((answer, ""));
            let status = status.parse().expect("status code");
            (name.to_owned(), (status, body.to_owned()))
        })
        .collect()
}

#[test]
fn decoder_agrees_with_the_reference() {
    let answers = go_answers();
    let vectors = vectors();
    assert_eq!(
        answers.keys().collect::<Vec<_>>(),
        vectors.keys().collect::<Vec<_>>(),
        "go-1.5.1.txt covers every vector; rerun check-go.sh"
    );
    for (name, bytes) in &vectors {
        let (status, body) = &answers[*name];
        let ours = proto::decode(bytes);
        let store_rejects = body.starts_with("pushed metrics are invalid or inconsistent");
        match (status, ours) {
            (200, Ok(_)) => {}
            (200, Err(err)) => assert!(
                GO_ACCEPTS_WE_REJECT
                    .iter()
                    .any(|(listed, _)| listed == name),
                "{name}: the reference accepts it, we fail with {err}"
            ),
            // The store, not the decoder, rejected it: either we decode it and our store rejects
            // it, or (invalid UTF-8, no value) we already refuse to decode it.
            (400, _) if store_rejects => {}
            (400, Ok(_)) => panic!("{name}: the reference rejects it with {body:?}, we decode it"),
            (400, Err(err)) => assert_eq!(&err.to_string(), body, "{name}"),
            (status, _) => panic!("{name}: unexpected status {status}"),
        }
    }
}

/// Scrapes of the reference whose bytes the model cannot reproduce, and why.
const SCRAPES_WE_DO_NOT_REPRODUCE: &[(&str, &str)] = &[
    (
        "ok_absent_type_is_counter",
        "the family has no `type` field; the model always has a type, and we always write it",
    ),
    (
        "ok_packed_native_buckets",
        "no zero_threshold/zero_count fields; we write them for every native histogram, as \
         client_golang sets them",
    ),
];

/// The reference's protobuf scrape after each accepted push (`go-1.5.1/<name>.bin`, its own
/// `proto.Marshal` output, its self-metrics included) is what our encoder writes for the same
/// families, byte for byte.
#[test]
fn encoder_reproduces_the_references_scrapes() {
    let dir = data_dir().join("go-1.5.1");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).expect("read go-1.5.1") {
        let path = entry.expect("dir entry").path();
        let name = path
            .file_stem()
            .and_then(|stem| stem.to_str())
            .expect("file name");
        let scrape = std::fs::read(&path).expect("read scrape");
        if SCRAPES_WE_DO_NOT_REPRODUCE
            .iter()
            .any(|(listed, _)| *listed == name)
        {
            let reproduced =
                proto::decode(&scrape).is_ok_and(|families| encoded(&families) == scrape);
            assert!(
                !reproduced,
                "{name} is reproduced now: take it off the list"
            );
            continue;
        }
        let families = proto::decode(&scrape).unwrap_or_else(|err| panic!("{name}: {err}"));
        assert!(families.len() > 10, "{name}: a whole scrape");
        assert!(
            encoded(&families) == scrape,
            "{name}: our bytes differ from the reference's"
        );
        checked += 1;
    }
    assert!(checked >= 8, "only {checked} scrapes checked");
}
