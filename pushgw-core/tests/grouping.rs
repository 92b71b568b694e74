//! Grouping keys at their boundary: percent-decoded URL paths in, keys or the exact `400` bodies
//! out, and keys back to URL paths.
//!
//! Unless marked otherwise, every expectation below was observed on the reference, Debian's
//! `prometheus-pushgateway` 1.5.1, with `curl --path-as-is -X PUT http://…/metrics/<path>` (the
//! path percent-encoded where it shows `\n`, `\xff` and the like), reading the `400` body or the
//! group's labels from `/api/v1/metrics`. A key shows as `{job="…",…}`, an error as `error: …`.

use expect_test::{Expect, expect};
use pushgw_core::grouping::{GroupingKey, GroupingKeyError};
use pushgw_core::model::LabelPair;

#[track_caller]
fn check(path: &[u8], expect: Expect) {
    let actual = match GroupingKey::from_path_bytes(path) {
        Ok(key) => key.to_string(),
        Err(err) => format!("error: {err}"),
    };
    expect.assert_eq(&actual);
}

#[test]
fn reference_test_suite() {
    // handler_test.go: TestPush, TestDelete and TestMetricsAPI (spec §12.1, §12.4).
    check(b"job@base64/=", expect!["error: job name is required"]);
    check(b"job/testjob", expect![[r#"{job="testjob"}"#]]);
    check(
        b"job/testjob/instance/testinstance",
        expect![[r#"{job="testjob",instance="testinstance"}"#]],
    );
    check(
        b"job@base64/dGVzdC9qb2I=/instance@base64/dGVzdGluc3RhbmNl",
        expect![[r#"{job="test/job",instance="testinstance"}"#]],
    );
    check(
        "job/Björn/instance/inst'a\"n\\ce1".as_bytes(),
        expect![[r#"{job="Björn",instance="inst'a\"n\\ce1"}"#]],
    );
}

#[test]
fn reference_split_labels() {
    // handler_test.go: TestSplitLabels, after a job `j` (spec §12.1).
    check(
        b"job/j/label_name1/label_value1/label_name2/label_value2",
        expect![[r#"{job="j",label_name1="label_value1",label_name2="label_value2"}"#]],
    );
    check(
        b"job/j/label_name1/label_value1/a=b/label_value2",
        expect![[r#"error: improper label name "a=b""#]],
    );
    check(
        b"job/j/label_name1/label_value1/__label_name2/label_value2",
        expect![[r#"error: improper label name "__label_name2""#]],
    );
    check(
        b"job/j/label_name1/label_value1/label_name2/label/value2",
        expect![[
            r#"error: odd number of components in label string "/label_name1/label_value1/label_name2/label/value2""#
        ]],
    );
    check(
        b"job/j/label_name1@base64/bGFiZWwvdmFsdWUx/label_name2/label_value2",
        expect![[r#"{job="j",label_name1="label/value1",label_name2="label_value2"}"#]],
    );
    check(
        b"job/j/label_name1/label_value1/label_name2@base64/bGFiZWwvdmFsdWUy",
        expect![[r#"{job="j",label_name1="label_value1",label_name2="label/value2"}"#]],
    );
    check(
        b"job/j/label_name1/label_value1/label_name2@base64/bGFiZWwvdmFsdWUy==",
        expect![[r#"{job="j",label_name1="label_value1",label_name2="label/value2"}"#]],
    );
    check(
        b"job/j/label_name1@base64/foo.bar/label_name2/label_value2",
        expect![[
            r#"error: invalid base64 encoding for label label_name1="foo.bar": illegal base64 data at input byte 3"#
        ]],
    );
    // Without `--push.enable-utf8-names` (which pushgw does not offer), `U__` names stay escaped.
    check(
        b"job/j/label_name1/label_value1/U__label_2e_name2/label_value2",
        expect![[r#"{job="j",U__label_2e_name2="label_value2",label_name1="label_value1"}"#]],
    );
}

#[test]
fn conformance_cases() {
    // Spec §12.6.
    check(
        b"job/j1/a",
        expect![[r#"error: odd number of components in label string "/a""#]],
    );
    check(
        b"job/j1/__a/b",
        expect![[r#"error: improper label name "__a""#]],
    );
    check(
        b"job/j1/a@base64/foo.bar",
        expect![[
            r#"error: invalid base64 encoding for label a="foo.bar": illegal base64 data at input byte 3"#
        ]],
    );
    check(
        b"job/a/y@base64/YW=Jj",
        expect![[
            r#"error: invalid base64 encoding for label y="YW=Jj": illegal base64 data at input byte 2"#
        ]],
    );
    check(b"job/a/y@base64/YWJjZB", expect![[r#"{job="a",y="abcd"}"#]]);
    check(b"job/a/y@base64/YWJjZA", expect![[r#"{job="a",y="abcd"}"#]]);
    check(b"job/a/y@base64/YQ==", expect![[r#"{job="a",y="a"}"#]]);
    // Spec Q4: a trailing slash after a name gives it the empty value, after a value it is an error.
    check(b"job/x/instance/", expect![[r#"{job="x",instance=""}"#]]);
    check(b"job/x/foo/", expect![[r#"{job="x",foo=""}"#]]);
    check(b"job/x/foo@base64/", expect![[r#"{job="x",foo=""}"#]]);
    check(
        b"job/j/a/b/",
        expect![[r#"error: odd number of components in label string "/a/b/""#]],
    );
    check(
        b"job/a/b/c/",
        expect![[r#"error: odd number of components in label string "/b/c/""#]],
    );
    check(b"job/a/", expect![[r#"{job="a"}"#]]);
    check(b"job@base64/YQ/", expect![[r#"{job="a"}"#]]);
    // `+` is not a space in a path.
    check(b"job/x y/b/c+d", expect![[r#"{job="x y",b="c+d"}"#]]);
    check(b"job/+/x/+", expect![[r#"{job="+",x="+"}"#]]);
}

#[test]
fn duplicates_and_the_job_label() {
    // A later pair replaces an earlier one; the path's job replaces any `job` pair.
    check(b"job/a/job/b/x/1/x/2", expect![[r#"{job="a",x="2"}"#]]);
    check(b"job/a/job/b", expect![[r#"{job="a"}"#]]);
    check(b"job/a/job@base64/Yg", expect![[r#"{job="a"}"#]]);
    check(
        b"job@base64/YWJj/job@base64/Yg",
        expect![[r#"{job="abc"}"#]],
    );
    check(b"job/a/a/b/a/c", expect![[r#"{job="a",a="c"}"#]]);
    // `%40` decodes to `@` before the path is split, so it marks base64 like a literal `@`.
    check(
        b"job/a/a/b/A@base64/Yw",
        expect![[r#"{job="a",A="c",a="b"}"#]],
    );
    check(
        b"job/a/A/b/a/c/B/d",
        expect![[r#"{job="a",A="b",B="d",a="c"}"#]],
    );
}

#[test]
fn error_precedence() {
    // Job base64, then the label part (count, then each pair in order), then the empty job.
    check(
        b"job@base64/foo.bar/__a/b",
        expect![[
            r#"error: invalid base64 encoding in job name "foo.bar": illegal base64 data at input byte 3"#
        ]],
    );
    check(
        b"job@base64/foo.bar/a",
        expect![[
            r#"error: invalid base64 encoding in job name "foo.bar": illegal base64 data at input byte 3"#
        ]],
    );
    check(
        b"job@base64/=/__a/b",
        expect![[r#"error: improper label name "__a""#]],
    );
    check(
        b"job@base64/=/a",
        expect![[r#"error: odd number of components in label string "/a""#]],
    );
    check(
        b"job@base64/=/a@base64/foo.bar",
        expect![[
            r#"error: invalid base64 encoding for label a="foo.bar": illegal base64 data at input byte 3"#
        ]],
    );
    check(
        b"job/a/__a/b/a@base64/foo.bar",
        expect![[r#"error: improper label name "__a""#]],
    );
    check(
        b"job/a/a@base64/foo.bar/__a/b",
        expect![[
            r#"error: invalid base64 encoding for label a="foo.bar": illegal base64 data at input byte 3"#
        ]],
    );
    // Not checked against the reference, which has no UTF-8 error here (spec Q7): it comes last,
    // so every input the reference rejects gets the reference's message.
    check(
        b"job@base64/=/a/\xff",
        expect!["error: job name is required"],
    );
    check(
        b"job/a/a/\xff/__b/c",
        expect![[r#"error: improper label name "__b""#]],
    );
}

#[test]
fn job_base64() {
    // Spec Q2: pushgw names the job as sent; the reference shows `""` (the partial decoding).
    check(
        b"job@base64/foo.bar",
        expect![[
            r#"error: invalid base64 encoding in job name "foo.bar": illegal base64 data at input byte 3"#
        ]],
    );
    check(
        b"job@base64/YQ=\n",
        expect![[
            r#"error: invalid base64 encoding in job name "YQ=\n": illegal base64 data at input byte 2"#
        ]],
    );
    check(b"job@base64/\n", expect!["error: job name is required"]);
    check(b"job@base64/==", expect!["error: job name is required"]);
}

#[test]
fn label_base64_leniency_and_offsets() {
    #[track_caller]
    fn check_value(value: &[u8], expect: Expect) {
        let mut path = b"job/a/y@base64/".to_vec();
        path.extend_from_slice(value);
        check(&path, expect);
    }
    // Padded or not, any number of trailing `=`; `=` alone is the empty string.
    check_value(
        b"YWJjZGVmZ2hpamtsbW5v",
        expect![[r#"{job="a",y="abcdefghijklmno"}"#]],
    );
    check_value(
        b"YWJjZGVmZ2hpamtsbW5v=",
        expect![[r#"{job="a",y="abcdefghijklmno"}"#]],
    );
    check_value(
        b"YWJjZGVmZ2hpamtsbW5v=====",
        expect![[r#"{job="a",y="abcdefghijklmno"}"#]],
    );
    check_value(b"==", expect![[r#"{job="a",y=""}"#]]);
    // `\r` and `\n` are skipped anywhere.
    check_value(b"Y\nWJj", expect![[r#"{job="a",y="abc"}"#]]);
    check_value(b"YW\r\nJj", expect![[r#"{job="a",y="abc"}"#]]);
    check_value(b"YWJjZA\n\n", expect![[r#"{job="a",y="abcd"}"#]]);
    check_value(b"\n", expect![[r#"{job="a",y=""}"#]]);
    check_value(b"YWJjZGVmZ2g", expect![[r#"{job="a",y="abcdefgh"}"#]]);
    check_value(
        b"YWJjZGVmZ2hpamtsbW5vcA",
        expect![[r#"{job="a",y="abcdefghijklmnop"}"#]],
    );
    // A lone last character: Go reports the input length minus one, counting skipped newlines.
    check_value(
        b"YWJjZ",
        expect![[
            r#"error: invalid base64 encoding for label y="YWJjZ": illegal base64 data at input byte 4"#
        ]],
    );
    check_value(
        b"YWJjZ\n",
        expect![[
            r#"error: invalid base64 encoding for label y="YWJjZ\n": illegal base64 data at input byte 5"#
        ]],
    );
    check_value(
        b"a",
        expect![[
            r#"error: invalid base64 encoding for label y="a": illegal base64 data at input byte 0"#
        ]],
    );
    check_value(
        b"\na",
        expect![[
            r#"error: invalid base64 encoding for label y="\na": illegal base64 data at input byte 1"#
        ]],
    );
    check_value(
        b"\n\nY",
        expect![[
            r#"error: invalid base64 encoding for label y="\n\nY": illegal base64 data at input byte 2"#
        ]],
    );
    check_value(
        b"Y\n",
        expect![[
            r#"error: invalid base64 encoding for label y="Y\n": illegal base64 data at input byte 1"#
        ]],
    );
    check_value(
        b"YWJj\r\r\rZ",
        expect![[
            r#"error: invalid base64 encoding for label y="YWJj\r\r\rZ": illegal base64 data at input byte 7"#
        ]],
    );
    check_value(
        b"YWJ\n\n\njj\n",
        expect![[
            r#"error: invalid base64 encoding for label y="YWJ\n\n\njj\n": illegal base64 data at input byte 8"#
        ]],
    );
    check_value(
        b"YWJjZGVm\nZ2hpamtsbW5vc",
        expect![[
            r#"error: invalid base64 encoding for label y="YWJjZGVm\nZ2hpamtsbW5vc": illegal base64 data at input byte 21"#
        ]],
    );
    check_value(
        b"YWJjZGVmZ2hpa\ntsbw",
        expect![[
            r#"error: invalid base64 encoding for label y="YWJjZGVmZ2hpa\ntsbw": illegal base64 data at input byte 17"#
        ]],
    );
    // Bytes outside the URL-safe alphabet, including `+` and an inner `=`: their own offset.
    check_value(
        b"YWJj+A",
        expect![[
            r#"error: invalid base64 encoding for label y="YWJj+A": illegal base64 data at input byte 4"#
        ]],
    );
    check_value(
        b"=a=",
        expect![[
            r#"error: invalid base64 encoding for label y="=a=": illegal base64 data at input byte 0"#
        ]],
    );
    check_value(
        b"YQ=a",
        expect![[
            r#"error: invalid base64 encoding for label y="YQ=a": illegal base64 data at input byte 2"#
        ]],
    );
    check_value(
        b"YQ=\n",
        expect![[
            r#"error: invalid base64 encoding for label y="YQ=\n": illegal base64 data at input byte 2"#
        ]],
    );
    check_value(
        b"YWJjZGVm!2g",
        expect![[
            r#"error: invalid base64 encoding for label y="YWJjZGVm!2g": illegal base64 data at input byte 8"#
        ]],
    );
    check_value(
        b"YWJjZGVmZ2hp.",
        expect![[
            r#"error: invalid base64 encoding for label y="YWJjZGVmZ2hp.": illegal base64 data at input byte 12"#
        ]],
    );
    check_value(
        b"YWJjZGVmZ2hpamtsbW5vc.A",
        expect![[
            r#"error: invalid base64 encoding for label y="YWJjZGVmZ2hpamtsbW5vc.A": illegal base64 data at input byte 21"#
        ]],
    );
    check_value(
        b"YWJjZGVmZ2hpamtsbW5vcA=x",
        expect![[
            r#"error: invalid base64 encoding for label y="YWJjZGVmZ2hpamtsbW5vcA=x": illegal base64 data at input byte 22"#
        ]],
    );
    check_value(
        "é".as_bytes(),
        expect![[
            r#"error: invalid base64 encoding for label y="é": illegal base64 data at input byte 0"#
        ]],
    );
    check_value(
        b" ",
        expect![[
            r#"error: invalid base64 encoding for label y=" ": illegal base64 data at input byte 0"#
        ]],
    );
}

#[test]
fn label_names() {
    check(
        b"job/a/a=b/v",
        expect![[r#"error: improper label name "a=b""#]],
    );
    check(
        b"job/a/0a/v",
        expect![[r#"error: improper label name "0a""#]],
    );
    check(
        b"job/a/a-b/v",
        expect![[r#"error: improper label name "a-b""#]],
    );
    check(
        "job/a/é/v".as_bytes(),
        expect![[r#"error: improper label name "é""#]],
    );
    check(
        "job/é/é/é".as_bytes(),
        expect![[r#"error: improper label name "é""#]],
    );
    check(
        b"job/a/\xff/v",
        expect![[r#"error: improper label name "\xff""#]],
    );
    // Only one `@base64` suffix is removed, and the message shows the name without it.
    check(
        b"job/a/a@base64@base64/v",
        expect![[r#"error: improper label name "a@base64""#]],
    );
    check(
        b"job/a/@base64/v",
        expect![[r#"error: improper label name """#]],
    );
    check(
        b"job/a/__a@base64/dg",
        expect![[r#"error: improper label name "__a""#]],
    );
    check(
        b"job/a/__/v",
        expect![[r#"error: improper label name "__""#]],
    );
    check(b"job/a/_a/v", expect![[r#"{job="a",_a="v"}"#]]);
    check(b"job/a/_/v", expect![[r#"{job="a",_="v"}"#]]);
}

#[test]
fn messages_quote_as_go_does() {
    #[track_caller]
    fn check_labels(labels: &[u8], expect: Expect) {
        let mut path = b"job/a".to_vec();
        path.extend_from_slice(labels);
        check(&path, expect);
    }
    check_labels(
        b"/a/b/c/d/e",
        expect![[r#"error: odd number of components in label string "/a/b/c/d/e""#]],
    );
    check_labels(
        b"/x\"y",
        expect![[r#"error: odd number of components in label string "/x\"y""#]],
    );
    check_labels(
        "/\u{200b}".as_bytes(),
        expect![[r#"error: odd number of components in label string "/\u200b""#]],
    );
    check_labels(
        b"/\xff",
        expect![[r#"error: odd number of components in label string "/\xff""#]],
    );
    check_labels(
        "/é".as_bytes(),
        expect![[r#"error: odd number of components in label string "/é""#]],
    );
    check_labels(
        b"/\t",
        expect![[r#"error: odd number of components in label string "/\t""#]],
    );
    check_labels(
        b"/\x7f",
        expect![[r#"error: odd number of components in label string "/\x7f""#]],
    );
    check_labels(
        "/\u{301}".as_bytes(),
        expect!["error: odd number of components in label string \"/\u{301}\""],
    );
    check_labels(
        "/\u{a0}".as_bytes(),
        expect![[r#"error: odd number of components in label string "/\u00a0""#]],
    );
    check_labels(
        "/😀".as_bytes(),
        expect![[r#"error: odd number of components in label string "/😀""#]],
    );
    check_labels(
        "/\u{e000}".as_bytes(),
        expect![[r#"error: odd number of components in label string "/\ue000""#]],
    );
    check_labels(
        "/\u{10ffff}".as_bytes(),
        expect![[r#"error: odd number of components in label string "/\U0010ffff""#]],
    );
    check_labels(
        b"/\\",
        expect![[r#"error: odd number of components in label string "/\\""#]],
    );
    check_labels(
        b"/\x00",
        expect![[r#"error: odd number of components in label string "/\x00""#]],
    );
    check_labels(
        b"/\x07\x08\x0c\n\r\x0b",
        expect![[r#"error: odd number of components in label string "/\a\b\f\n\r\v""#]],
    );
    check_labels(
        "/\u{fffd}".as_bytes(),
        expect!["error: odd number of components in label string \"/\u{fffd}\""],
    );
    check_labels(
        b"/\xed\xa0\x80",
        expect![[r#"error: odd number of components in label string "/\xed\xa0\x80""#]],
    );
    check_labels(
        b"/\xc0\x80",
        expect![[r#"error: odd number of components in label string "/\xc0\x80""#]],
    );
    check_labels(
        b"/\xf0\x9f\x98",
        expect![[r#"error: odd number of components in label string "/\xf0\x9f\x98""#]],
    );
    // Keys display their values the same way.
    check("job/\u{200b}".as_bytes(), expect![[r#"{job="\u200b"}"#]]);
}

#[test]
fn values_that_are_not_utf8() {
    // Spec Q7: the reference accepts these and then fails every scrape; pushgw rejects them.
    check(
        b"job/x/a/\xff",
        expect![[r#"error: value of label a is not valid utf-8: "\xff""#]],
    );
    check(
        b"job/\xc3/a/b",
        expect![[r#"error: value of label job is not valid utf-8: "\xc3""#]],
    );
    check(
        b"job@base64/_w",
        expect![[r#"error: value of label job is not valid utf-8: "\xff""#]],
    );
    check(
        b"job/a/y@base64/_-8",
        expect![[r#"error: value of label y is not valid utf-8: "\xff\xef""#]],
    );
    // Only the values that end up in the key count: a replaced value or job pair does not.
    check(b"job/a/a/\xff/a/ok", expect![[r#"{job="a",a="ok"}"#]]);
    check(b"job/a/job/\xff", expect![[r#"{job="a"}"#]]);
}

#[test]
fn paths_the_router_never_passes() {
    // The gateway routes only `job/<non-empty>` and `job@base64/<non-empty>` here; anything else
    // still gets an error rather than a panic.
    check(
        b"",
        expect![[r#"error: path "" does not start with "job/" or "job@base64/""#]],
    );
    check(
        b"job",
        expect![[r#"error: path "job" does not start with "job/" or "job@base64/""#]],
    );
    check(
        b"jobs/x",
        expect![[r#"error: path "jobs/x" does not start with "job/" or "job@base64/""#]],
    );
    check(b"job/", expect!["error: job name is required"]);
    check(b"job@base64/", expect!["error: job name is required"]);
    // An unclean path (the gateway redirects those first) just gives empty components.
    check(
        b"job/a//b/c",
        expect![[r#"error: odd number of components in label string "//b/c""#]],
    );
    check(b"job/a//b", expect![[r#"error: improper label name """#]]);
}

#[test]
fn errors_carry_the_offending_values() {
    assert_eq!(
        GroupingKey::from_path("job/a/y@base64/YW=Jj"),
        Err(GroupingKeyError::LabelBase64 {
            name: "y".to_owned(),
            value: b"YW=Jj".to_vec(),
            offset: 2,
        })
    );
    assert_eq!(
        GroupingKey::from_path("job@base64/foo.bar"),
        Err(GroupingKeyError::JobBase64 {
            job: b"foo.bar".to_vec(),
            offset: 3,
        })
    );
    assert_eq!(
        GroupingKey::from_path("job/j/a/b/"),
        Err(GroupingKeyError::OddComponents {
            labels: b"/a/b/".to_vec(),
        })
    );
}

#[test]
fn new_validates_as_paths_do() {
    #[track_caller]
    fn check_new(job: &str, labels: &[(&str, &str)], expect: Expect) {
        let labels = labels
            .iter()
            .map(|&(name, value)| LabelPair::new(name, value));
        let actual = match GroupingKey::new(job, labels) {
            Ok(key) => key.to_string(),
            Err(err) => format!("error: {err}"),
        };
        expect.assert_eq(&actual);
    }
    check_new("batch", &[], expect![[r#"{job="batch"}"#]]);
    check_new(
        "batch",
        &[("zone", "eu"), ("instance", "")],
        expect![[r#"{job="batch",instance="",zone="eu"}"#]],
    );
    check_new("", &[], expect!["error: job name is required"]);
    check_new(
        "",
        &[("a-b", "1")],
        expect![[r#"error: improper label name "a-b""#]],
    );
    check_new(
        "batch",
        &[("__x", "1")],
        expect![[r#"error: improper label name "__x""#]],
    );
    check_new(
        "batch",
        &[("", "1")],
        expect![[r#"error: improper label name """#]],
    );
    check_new(
        "batch",
        &[("job", "other"), ("x", "1"), ("x", "2")],
        expect![[r#"{job="batch",x="2"}"#]],
    );
}

#[test]
fn accessors() {
    let key = GroupingKey::from_path("job/batch/zone/eu/instance/x").expect("valid key");
    assert_eq!(key.job(), "batch");
    assert_eq!(key.get("zone"), Some("eu"));
    assert_eq!(key.get("instance"), Some("x"));
    assert_eq!(key.get("missing"), None);
    let names: Vec<&str> = key.labels().iter().map(|pair| pair.name.as_str()).collect();
    assert_eq!(names, ["instance", "job", "zone"]);
    assert_eq!(
        key.identity(),
        b"instance\xffx\xffjob\xffbatch\xffzone\xffeu"
    );
}

#[test]
fn order_is_the_identity_strings_order() {
    // As the reference's TestGroupingKeyForLabels spells identities (spec §12.5), and as its web UI
    // sorts groups: a shorter name or value sorts after a longer one it is a prefix of, because
    // the 0xFF separator follows it, unless it is the last value.
    let key = |path: &str| GroupingKey::from_path(path).expect("valid key");
    let mut keys = [
        key("job/a/x/1"),
        key("job/a/xy/1"),
        key("job/a"),
        key("job/ab"),
        key("job/a/x/12"),
        key("job/a/instance/i"),
    ];
    keys.sort();
    let sorted: Vec<String> = keys.iter().map(ToString::to_string).collect();
    expect![[r#"
        [
            "{job=\"a\",instance=\"i\"}",
            "{job=\"a\"}",
            "{job=\"ab\"}",
            "{job=\"a\",xy=\"1\"}",
            "{job=\"a\",x=\"1\"}",
            "{job=\"a\",x=\"12\"}",
        ]
    "#]]
    .assert_debug_eq(&sorted);
}

#[test]
fn to_path() {
    #[track_caller]
    fn check_path(job: &str, labels: &[(&str, &str)], expect: Expect) {
        let labels = labels
            .iter()
            .map(|&(name, value)| LabelPair::new(name, value));
        let key = GroupingKey::new(job, labels).expect("valid key");
        expect.assert_eq(&key.to_path());
    }
    check_path("batch", &[], expect!["job/batch"]);
    check_path(
        "batch",
        &[("zone", "eu"), ("instance", "host:9100")],
        expect!["job/batch/instance/host%3A9100/zone/eu"],
    );
    // Base64 where a plain segment would be removed, split or empty.
    check_path(
        "a/b",
        &[("e", ""), ("d", "."), ("dd", ".."), ("s", "/")],
        expect!["job@base64/YS9i/d@base64/Lg/dd@base64/Li4/e@base64/=/s@base64/Lw"],
    );
    // Percent-encoding everywhere else, `+` included.
    check_path(
        "x y",
        &[
            ("p", "c+d"),
            ("q", "100%"),
            ("u", "Björn"),
            ("n", "a\nb"),
            ("t", "...-_~"),
        ],
        expect!["job/x%20y/n/a%0Ab/p/c%2Bd/q/100%25/t/...-_~/u/Bj%C3%B6rn"],
    );
}
