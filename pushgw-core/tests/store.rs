//! Scenario tests of the store: pushes, deletes and scrapes with time passed in, rendered output
//! compared exactly. The cases of the reference's `storage/diskmetricstore_test.go` (spec §12.5)
//! come first, then one scenario per rule of spec §3.4–§3.6 and §4.2–§4.3.

use std::time::{Duration, SystemTime};

use expect_test::{Expect, expect};
use pushgw_core::grouping::GroupingKey;
use pushgw_core::model::{LabelPair, Metric, MetricFamily, MetricType, Summary, Value};
use pushgw_core::store::{HelpPolicy, OwnFamily, PushMode, Store, StoreOptions};
use pushgw_core::text;

/// A store plus helpers that speak in text bodies, URL paths and whole seconds.
struct Scenario {
    store: Store,
}

impl Scenario {
    fn new() -> Self {
        Scenario {
            store: Store::default(),
        }
    }

    fn unchecked() -> Self {
        Scenario {
            store: Store::new(StoreOptions {
                consistency_check: false,
                ..StoreOptions::default()
            }),
        }
    }

    /// A store that knows the reference's `go_goroutines` and a summary and a counter of its own.
    fn with_own_families() -> Self {
        let own = |name: &str, metric_type, help: &str, help_policy| OwnFamily {
            name: name.into(),
            metric_type,
            help: help.into(),
            help_policy,
        };
        Scenario {
            store: Store::new(StoreOptions {
                consistency_check: true,
                own_families: vec![
                    own(
                        "go_goroutines",
                        MetricType::Gauge,
                        "Number of goroutines that currently exist.",
                        HelpPolicy::Override,
                    ),
                    own(
                        "pushgateway_http_push_duration_seconds",
                        MetricType::Summary,
                        "HTTP request duration for pushes to the Pushgateway.",
                        HelpPolicy::Require,
                    ),
                    own(
                        "own_sum",
                        MetricType::Counter,
                        "A counter whose name looks like a summary's sum.",
                        HelpPolicy::Override,
                    ),
                ],
            }),
        }
    }

    fn put(&mut self, path: &str, body: &str, seconds: u64) -> String {
        self.push(path, parse(body), PushMode::Replace, seconds)
    }

    fn post(&mut self, path: &str, body: &str, seconds: u64) -> String {
        self.push(path, parse(body), PushMode::Merge, seconds)
    }

    fn push(
        &mut self,
        path: &str,
        families: Vec<MetricFamily>,
        mode: PushMode,
        seconds: u64,
    ) -> String {
        match self.store.push(key(path), families, mode, at(seconds)) {
            Ok(()) => "ok".to_owned(),
            Err(error) => error.to_string(),
        }
    }

    fn delete(&mut self, path: &str) {
        self.store.delete(&key(path));
    }

    /// The exposition, or the error a scrape would report.
    fn scrape(&mut self) -> String {
        match self.store.exposition() {
            Ok(exposition) => String::from_utf8(exposition.text().to_vec()).expect("UTF-8"),
            Err(errors) => format!("scrape error: {errors}\n"),
        }
    }

    /// The groups as the JSON API and web UI see them.
    fn groups(&self) -> String {
        let mut out = String::new();
        for group in self.store.groups() {
            out.push_str(&format!(
                "{} successful={}\n",
                labels(group.key().labels()),
                group.last_push_successful()
            ));
            for family in group.families() {
                let pushed = family
                    .last_push()
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .expect("after the epoch")
                    .as_secs();
                out.push_str(&format!(
                    "  {} {:?} pushed_at={pushed} metrics={}\n",
                    family.name(),
                    family.metric_type(),
                    family.metrics().len()
                ));
            }
        }
        out
    }
}

fn parse(body: &str) -> Vec<MetricFamily> {
    text::parse(body.as_bytes()).expect("test bodies parse")
}

fn key(path: &str) -> GroupingKey {
    GroupingKey::from_path(path).expect("test paths are valid")
}

fn at(seconds: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(seconds)
}

fn labels(pairs: &[LabelPair]) -> String {
    let inner: Vec<String> = pairs
        .iter()
        .map(|p| format!("{}={:?}", p.name, p.value))
        .collect();
    format!("{{{}}}", inner.join(","))
}

/// A family built by hand, for what the text format cannot express.
fn family(
    name: &str,
    metric_type: MetricType,
    metrics: Vec<(&[(&str, &str)], Value)>,
) -> MetricFamily {
    MetricFamily {
        name: name.into(),
        help: None,
        metric_type,
        unit: None,
        metrics: metrics
            .into_iter()
            .map(|(pairs, value)| Metric {
                labels: pairs.iter().map(|(n, v)| LabelPair::new(*n, *v)).collect(),
                value,
                timestamp_ms: None,
            })
            .collect(),
    }
}

#[track_caller]
fn check(actual: String, expected: Expect) {
    expected.assert_eq(&actual);
}

// Fixtures of diskmetricstore_test.go, as text bodies (labels as the fixtures carry them).
const MF1A: &str = "mf1{instance=\"instance2\",job=\"job1\"} -3000\n";
const MF1B: &str = "mf1{instance=\"instance2\",job=\"job1\"} 42\n";
const MF1C: &str = "mf1{instance=\"instance1\",job=\"job2\"} 42\n";
const MF1D: &str = "mf1{instance=\"instance2\",job=\"job3\"} 42\n";
const MF1E: &str = "mf1{job=\"job1\"} 42\n";
const MF1TS: &str = "mf1{instance=\"instance2\",job=\"job1\"} -3000 103948\n";
const MF2: &str = "# HELP mf2 doc string 2\n# TYPE mf2 gauge\n\
    mf2{basename=\"basevalue2\",instance=\"instance1\",job=\"job1\",labelname=\"val2\"} +Inf\n\
    mf2{basename=\"basevalue\",instance=\"instance1\",job=\"job1\",labelname=\"val1\"} -Inf\n";
const MF3: &str = "mf3{instance=\"instance1\",job=\"job1\"} 42\n";
const MF4: &str = "mf4{instance=\"instance2\",job=\"job3\"} 3.4345\n";
const MF5: &str = "# TYPE mf5 summary\nmf5_sum{instance=\"instance5\",job=\"job5\"} 0\n\
    mf5_count{instance=\"instance5\",job=\"job5\"} 0\n";
const MFGC: &str = "# TYPE go_goroutines counter\ngo_goroutines 5\n";
const MFGG: &str = "# HELP go_goroutines Inconsistent doc string, fixed version in spec.\n\
    # TYPE go_goroutines gauge\ngo_goroutines 5\n";
const MFH1: &str = "# HELP mf_help Help string for mfh1.\n# TYPE mf_help gauge\nmf_help 3\n";
const MFH2: &str = "# HELP mf_help Help string for mfh2.\n# TYPE mf_help gauge\nmf_help 4\n";
const MF_UNLABELLED: &str = "# TYPE mf_unlabelled gauge\nmf_unlabelled 42\n";

/// TestGetMetricFamilies: same-named families of several groups are merged into one; groups with
/// only timestamps contribute only those.
#[test]
fn get_metric_families_merges_groups() {
    let mut s = Scenario::new();
    for (path, body) in [
        ("job/job1/instance/instance1", MF2),
        ("job/job1/instance/instance2", &format!("{MF1A}{MF3}")),
        ("job/job2/instance/instance1", MF1C),
        ("job/job3/instance/instance1", ""),
        ("job/job3/instance/instance2", &format!("{MF4}{MF1D}")),
        ("job/job4", ""),
    ] {
        assert_eq!(s.put(path, body, 1), "ok");
    }
    let scrape = s.scrape();
    let families: Vec<&str> = scrape
        .lines()
        .filter_map(|line| line.strip_prefix("# TYPE "))
        .collect();
    assert_eq!(
        families,
        [
            "mf1 untyped",
            "mf2 gauge",
            "mf3 untyped",
            "mf4 untyped",
            "push_failure_time_seconds gauge",
            "push_time_seconds gauge"
        ]
    );
    check(
        scrape
            .lines()
            .filter(|l| l.starts_with("mf1"))
            .map(|l| format!("{l}\n"))
            .collect(),
        expect![[r#"
            mf1{instance="instance1",job="job2"} 42
            mf1{instance="instance2",job="job1"} -3000
            mf1{instance="instance2",job="job3"} 42
        "#]],
    );
}

/// TestAddDeletePersistRestore, without the persistence steps (which belong to the sidecar).
#[test]
fn add_delete() {
    let mut s = Scenario::new();
    assert_eq!(s.post("job/job1/instance/instance1", MF3, 1), "ok");
    check(
        s.scrape(),
        expect![[r#"
            # TYPE mf3 untyped
            mf3{instance="instance1",job="job1"} 42
            # HELP push_failure_time_seconds Last Unix time when changing this group in the Pushgateway failed.
            # TYPE push_failure_time_seconds gauge
            push_failure_time_seconds{instance="instance1",job="job1"} 0
            # HELP push_time_seconds Last Unix time when changing this group in the Pushgateway succeeded.
            # TYPE push_time_seconds gauge
            push_time_seconds{instance="instance1",job="job1"} 1
        "#]],
    );
    assert_eq!(
        s.post("job/job1/instance/instance2", &format!("{MF1B}{MF2}"), 2),
        "ok"
    );
    // A histogram POSTed next to mf3 keeps mf3.
    let histogram =
        "# TYPE mf_hist histogram\nmf_hist_bucket{le=\"1\"} 2\nmf_hist_sum 1.5\nmf_hist_count 3\n";
    assert_eq!(s.post("job/job1/instance/instance1", histogram, 3), "ok");
    assert_eq!(s.post("job/job1/instance/instance2", MF1A, 4), "ok");
    assert_eq!(s.post("job/job5", MF5, 5), "ok");
    check(
        s.scrape(),
        expect![[r##"
            # TYPE mf1 untyped
            mf1{instance="instance2",job="job1"} -3000
            # HELP mf2 doc string 2
            # TYPE mf2 gauge
            mf2{basename="basevalue",instance="instance2",job="job1",labelname="val1"} -Inf
            mf2{basename="basevalue2",instance="instance2",job="job1",labelname="val2"} +Inf
            # TYPE mf3 untyped
            mf3{instance="instance1",job="job1"} 42
            # TYPE mf5 summary
            mf5_sum{instance="instance5",job="job5"} 0
            mf5_count{instance="instance5",job="job5"} 0
            # TYPE mf_hist histogram
            mf_hist_bucket{instance="instance1",job="job1",le="1"} 2
            mf_hist_bucket{instance="instance1",job="job1",le="+Inf"} 3
            mf_hist_sum{instance="instance1",job="job1"} 1.5
            mf_hist_count{instance="instance1",job="job1"} 3
            # HELP push_failure_time_seconds Last Unix time when changing this group in the Pushgateway failed.
            # TYPE push_failure_time_seconds gauge
            push_failure_time_seconds{instance="",job="job5"} 0
            push_failure_time_seconds{instance="instance1",job="job1"} 0
            push_failure_time_seconds{instance="instance2",job="job1"} 0
            # HELP push_time_seconds Last Unix time when changing this group in the Pushgateway succeeded.
            # TYPE push_time_seconds gauge
            push_time_seconds{instance="",job="job5"} 5
            push_time_seconds{instance="instance1",job="job1"} 3
            push_time_seconds{instance="instance2",job="job1"} 4
        "##]],
    );
    check(
        s.groups(),
        expect![[r#"
            {instance="instance1",job="job1"} successful=true
              mf3 Untyped pushed_at=1 metrics=1
              mf_hist Histogram pushed_at=3 metrics=1
              push_failure_time_seconds Gauge pushed_at=1 metrics=1
              push_time_seconds Gauge pushed_at=3 metrics=1
            {instance="instance2",job="job1"} successful=true
              mf1 Untyped pushed_at=4 metrics=1
              mf2 Gauge pushed_at=2 metrics=2
              push_failure_time_seconds Gauge pushed_at=2 metrics=1
              push_time_seconds Gauge pushed_at=4 metrics=1
            {job="job5"} successful=true
              mf5 Summary pushed_at=5 metrics=1
              push_failure_time_seconds Gauge pushed_at=5 metrics=1
              push_time_seconds Gauge pushed_at=5 metrics=1
        "#]],
    );

    s.delete("job/job1/instance/instance1");
    s.delete("job/job5");
    assert_eq!(s.post("job/job3/instance/instance2", MF4, 6), "ok");
    let before = s.scrape();
    s.delete("job/job1"); // No such group: nothing changes.
    assert_eq!(s.scrape(), before);
    s.delete("job/job3/instance/instance2");
    check(
        s.scrape(),
        expect![[r#"
            # TYPE mf1 untyped
            mf1{instance="instance2",job="job1"} -3000
            # HELP mf2 doc string 2
            # TYPE mf2 gauge
            mf2{basename="basevalue",instance="instance2",job="job1",labelname="val1"} -Inf
            mf2{basename="basevalue2",instance="instance2",job="job1",labelname="val2"} +Inf
            # HELP push_failure_time_seconds Last Unix time when changing this group in the Pushgateway failed.
            # TYPE push_failure_time_seconds gauge
            push_failure_time_seconds{instance="instance2",job="job1"} 0
            # HELP push_time_seconds Last Unix time when changing this group in the Pushgateway succeeded.
            # TYPE push_time_seconds gauge
            push_time_seconds{instance="instance2",job="job1"} 4
        "#]],
    );

    // Unchecked pushes are sanitised too (the #404 fix).
    let mut unchecked = Scenario::unchecked();
    for t in 0..10 {
        assert_eq!(
            unchecked.post("job/job3/instance/instance2", MF4, 7 + t),
            "ok"
        );
    }
    assert_eq!(
        unchecked.post("job/job4/instance/instance1", MF_UNLABELLED, 20),
        "ok"
    );
    check(
        unchecked.scrape(),
        expect![[r#"
            # TYPE mf4 untyped
            mf4{instance="instance2",job="job3"} 3.4345
            # TYPE mf_unlabelled gauge
            mf_unlabelled{instance="instance1",job="job4"} 42
            # HELP push_failure_time_seconds Last Unix time when changing this group in the Pushgateway failed.
            # TYPE push_failure_time_seconds gauge
            push_failure_time_seconds{instance="instance1",job="job4"} 0
            push_failure_time_seconds{instance="instance2",job="job3"} 0
            # HELP push_time_seconds Last Unix time when changing this group in the Pushgateway succeeded.
            # TYPE push_time_seconds gauge
            push_time_seconds{instance="instance1",job="job4"} 20
            push_time_seconds{instance="instance2",job="job3"} 16
        "#]],
    );
}

/// TestRejectTimestamps: the push is refused, the group is created with push time 0 and the
/// failure time set.
#[test]
fn reject_timestamps() {
    let mut s = Scenario::new();
    check(
        s.post("job/job1/instance/instance2", MF1TS, 1),
        expect![
            "pushed metrics are invalid or inconsistent with existing metrics: pushed metrics must not have timestamps"
        ],
    );
    check(
        s.scrape(),
        expect![[r#"
            # HELP push_failure_time_seconds Last Unix time when changing this group in the Pushgateway failed.
            # TYPE push_failure_time_seconds gauge
            push_failure_time_seconds{instance="instance2",job="job1"} 1
            # HELP push_time_seconds Last Unix time when changing this group in the Pushgateway succeeded.
            # TYPE push_time_seconds gauge
            push_time_seconds{instance="instance2",job="job1"} 0
        "#]],
    );
    check(
        s.groups(),
        expect![[r#"
            {instance="instance2",job="job1"} successful=false
              push_failure_time_seconds Gauge pushed_at=1 metrics=1
              push_time_seconds Gauge pushed_at=1 metrics=1
        "#]],
    );

    // With the consistency check off, timestamps are still refused.
    let mut unchecked = Scenario::unchecked();
    check(
        unchecked.post("job/job1", MF1TS, 1),
        expect![
            "pushed metrics are invalid or inconsistent with existing metrics: pushed metrics must not have timestamps"
        ],
    );
    assert!(!unchecked.scrape().contains("mf1"));
}

/// TestRejectInconsistentPush.
#[test]
fn reject_inconsistent_push() {
    let mut s = Scenario::with_own_families();
    check(
        s.post("job/job1", MFGC, 1),
        expect![
            "pushed metrics are invalid or inconsistent with existing metrics: gathered metric family go_goroutines has type COUNTER but should have GAUGE"
        ],
    );
    assert_eq!(s.post("job/job1", MF1A, 2), "ok");
    check(
        s.post("job/job1/instance/instance2", MF1B, 3),
        expect![[
            r#"pushed metrics are invalid or inconsistent with existing metrics: collected metric "mf1" { label:<name:"instance" value:"instance2" > label:<name:"job" value:"job1" > untyped:<value:-3000 > } was collected before with the same name and label values"#
        ]],
    );
    check(
        s.scrape(),
        expect![[r#"
            # TYPE mf1 untyped
            mf1{instance="instance2",job="job1"} -3000
            # HELP push_failure_time_seconds Last Unix time when changing this group in the Pushgateway failed.
            # TYPE push_failure_time_seconds gauge
            push_failure_time_seconds{instance="",job="job1"} 1
            push_failure_time_seconds{instance="instance2",job="job1"} 3
            # HELP push_time_seconds Last Unix time when changing this group in the Pushgateway succeeded.
            # TYPE push_time_seconds gauge
            push_time_seconds{instance="",job="job1"} 2
            push_time_seconds{instance="instance2",job="job1"} 0
        "#]],
    );
}

/// TestSanitizeLabels: grouping labels override body labels, `instance=""` is added when absent.
#[test]
fn sanitize_labels() {
    let mut s = Scenario::new();
    assert_eq!(s.post("job/job1/instance/instance2", MF1C, 1), "ok");
    check(
        s.scrape()
            .lines()
            .filter(|l| l.starts_with("mf1"))
            .collect::<Vec<_>>()
            .join("\n"),
        expect![[r#"mf1{instance="instance2",job="job1"} 42"#]],
    );
    assert_eq!(s.post("job/job1/instance/instance2", MF1E, 2), "ok");
    check(
        s.scrape()
            .lines()
            .filter(|l| l.starts_with("mf1"))
            .collect::<Vec<_>>()
            .join("\n"),
        expect![[r#"mf1{instance="instance2",job="job1"} 42"#]],
    );
    assert_eq!(s.post("job/job1", MF1E, 3), "ok");
    check(
        s.scrape()
            .lines()
            .filter(|l| l.starts_with("mf1"))
            .collect::<Vec<_>>()
            .join("\n"),
        expect![[r#"
            mf1{instance="",job="job1"} 42
            mf1{instance="instance2",job="job1"} 42"#]],
    );
}

/// Spec §3.4: a body `instance` is kept unless it is a grouping label; other body labels stay;
/// labels end up sorted by name. [obs 1.5.1]
#[test]
fn body_instance_kept_job_overridden() {
    let mut s = Scenario::new();
    let body = "m1{job=\"bodyjob\",instance=\"bodyinst\",x=\"1\"} 1\nm2{zz=\"z\",a=\"a\"} 2\n";
    assert_eq!(s.put("job/g1/b/c", body, 1), "ok");
    check(
        s.scrape()
            .lines()
            .filter(|l| l.starts_with("m"))
            .collect::<Vec<_>>()
            .join("\n"),
        expect![[r#"
            m1{b="c",instance="bodyinst",job="g1",x="1"} 1
            m2{a="a",b="c",instance="",job="g1",zz="z"} 2"#]],
    );
}

/// TestReplace: PUT replaces all families but keeps the failure timestamp.
#[test]
fn replace() {
    let mut s = Scenario::new();
    let timestamps = |s: &mut Scenario| -> String {
        s.scrape()
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| format!("{l}\n"))
            .collect()
    };
    assert!(
        s.put("job/job1", MF1TS, 1)
            .ends_with("must not have timestamps")
    );
    check(
        timestamps(&mut s),
        expect![[r#"
            push_failure_time_seconds{instance="",job="job1"} 1
            push_time_seconds{instance="",job="job1"} 0
        "#]],
    );
    assert_eq!(s.put("job/job1", MF1A, 2), "ok");
    check(
        timestamps(&mut s),
        expect![[r#"
            mf1{instance="instance2",job="job1"} -3000
            push_failure_time_seconds{instance="",job="job1"} 1
            push_time_seconds{instance="",job="job1"} 2
        "#]],
    );
    assert_eq!(s.put("job/job1", MF2, 3), "ok");
    check(
        timestamps(&mut s),
        expect![[r#"
            mf2{basename="basevalue",instance="instance1",job="job1",labelname="val1"} -Inf
            mf2{basename="basevalue2",instance="instance1",job="job1",labelname="val2"} +Inf
            push_failure_time_seconds{instance="",job="job1"} 1
            push_time_seconds{instance="",job="job1"} 3
        "#]],
    );
    assert!(
        s.put("job/job1", MF1TS, 4)
            .ends_with("must not have timestamps")
    );
    check(
        timestamps(&mut s),
        expect![[r#"
            mf2{basename="basevalue",instance="instance1",job="job1",labelname="val1"} -Inf
            mf2{basename="basevalue2",instance="instance1",job="job1",labelname="val2"} +Inf
            push_failure_time_seconds{instance="",job="job1"} 4
            push_time_seconds{instance="",job="job1"} 3
        "#]],
    );
    assert_eq!(s.put("job/job1", "", 5), "ok");
    check(
        timestamps(&mut s),
        expect![[r#"
            push_failure_time_seconds{instance="",job="job1"} 4
            push_time_seconds{instance="",job="job1"} 5
        "#]],
    );
}

/// TestGetMetricFamiliesMap: the groups as the API sees them.
#[test]
fn get_metric_families_map() {
    let mut s = Scenario::new();
    assert_eq!(s.post("job/job1/instance/instance1", MF3, 1), "ok");
    assert_eq!(
        s.post("job/job1/instance/instance2", &format!("{MF1B}{MF2}"), 2),
        "ok"
    );
    check(
        s.groups(),
        expect![[r#"
            {instance="instance1",job="job1"} successful=true
              mf3 Untyped pushed_at=1 metrics=1
              push_failure_time_seconds Gauge pushed_at=1 metrics=1
              push_time_seconds Gauge pushed_at=1 metrics=1
            {instance="instance2",job="job1"} successful=true
              mf1 Untyped pushed_at=2 metrics=1
              mf2 Gauge pushed_at=2 metrics=2
              push_failure_time_seconds Gauge pushed_at=2 metrics=1
              push_time_seconds Gauge pushed_at=2 metrics=1
        "#]],
    );
}

/// TestHelpStringFix: an own family's HELP wins; of two groups' HELPs the first group's (in
/// grouping-key order) wins (spec §17, Q1).
#[test]
fn help_string_fix() {
    let mut s = Scenario::with_own_families();
    assert_eq!(s.post("job/job1", &format!("{MFGG}{MFH1}"), 1), "ok");
    assert_eq!(s.post("job/job2", MFH2, 2), "ok");
    check(
        s.scrape()
            .lines()
            .filter(|l| !l.contains("push_"))
            .map(|l| format!("{l}\n"))
            .collect(),
        expect![[r#"
            # HELP go_goroutines Number of goroutines that currently exist.
            # TYPE go_goroutines gauge
            go_goroutines{instance="",job="job1"} 5
            # HELP mf_help Help string for mfh1.
            # TYPE mf_help gauge
            mf_help{instance="",job="job1"} 3
            mf_help{instance="",job="job2"} 4
        "#]],
    );
    // The stored family keeps the pushed HELP (the API shows it).
    let group = s.store.group(&key("job/job1")).expect("group exists");
    assert_eq!(
        group.family("go_goroutines").and_then(|f| f.help()),
        Some("Inconsistent doc string, fixed version in spec.")
    );
}

/// Spec §3.5: POST replaces same-named families wholesale, never sample by sample; other
/// families stay.
#[test]
fn post_replaces_same_named_families() {
    let mut s = Scenario::new();
    assert_eq!(s.post("job/j", "m{a=\"2\"} 2\nother 1\n", 1), "ok");
    assert_eq!(s.post("job/j", "m{a=\"1\"} 1\n", 2), "ok");
    check(
        s.scrape()
            .lines()
            .filter(|l| !l.starts_with('#') && !l.starts_with("push_"))
            .collect::<Vec<_>>()
            .join("\n"),
        expect![[r#"
            m{a="1",instance="",job="j"} 1
            other{instance="",job="j"} 1"#]],
    );
}

/// Spec §3.5: an empty POST creates the group with its timestamps.
#[test]
fn empty_post_creates_group() {
    let mut s = Scenario::new();
    assert_eq!(s.post("job/j/instance/i", "", 7), "ok");
    check(
        s.groups(),
        expect![[r#"
            {instance="i",job="j"} successful=true
              push_failure_time_seconds Gauge pushed_at=7 metrics=1
              push_time_seconds Gauge pushed_at=7 metrics=1
        "#]],
    );
}

/// Spec §17, Q3: pushed timestamp families are ignored, whether the group exists or not.
#[test]
fn pushed_timestamp_families_are_ignored() {
    let mut s = Scenario::new();
    assert_eq!(s.post("job/j", "x 1\n", 1), "ok");
    let body = "# TYPE push_failure_time_seconds gauge\npush_failure_time_seconds 12345\n\
                push_time_seconds{foo=\"bar\"} 777\n";
    assert_eq!(s.post("job/j", body, 2), "ok");
    check(
        s.scrape()
            .lines()
            .filter(|l| !l.starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n"),
        expect![[r#"
            push_failure_time_seconds{instance="",job="j"} 0
            push_time_seconds{instance="",job="j"} 2
            x{instance="",job="j"} 1"#]],
    );
}

/// The push time has nanosecond resolution and is formatted like Go's `float64(UnixNano)/1e9`.
#[test]
fn push_time_value() {
    let mut s = Scenario::new();
    let now = SystemTime::UNIX_EPOCH + Duration::new(1_700_000_000, 500_000_001);
    s.store
        .push(key("job/g1"), Vec::new(), PushMode::Replace, now)
        .expect("empty push succeeds");
    assert!(
        s.scrape()
            .contains("push_time_seconds{instance=\"\",job=\"g1\"} 1.7000000005e+09\n")
    );
}

/// Spec §3.6: a family of one name has one type across groups; the first group's type is the
/// merged family's, the other group's samples are "not a" that type.
#[test]
fn type_mismatch_across_groups() {
    let mut s = Scenario::new();
    assert_eq!(s.post("job/b", "some_metric 1\n", 1), "ok");
    check(
        s.post("job/a", "# TYPE some_metric gauge\nsome_metric 2\n", 2),
        expect![[
            r#"pushed metrics are invalid or inconsistent with existing metrics: collected metric "some_metric" { label:<name:"instance" value:"" > label:<name:"job" value:"b" > untyped:<value:1 > } is not a GAUGE"#
        ]],
    );
    check(
        s.post("job/c", "# TYPE some_metric gauge\nsome_metric 2\n", 3),
        expect![[
            r#"pushed metrics are invalid or inconsistent with existing metrics: collected metric "some_metric" { label:<name:"instance" value:"" > label:<name:"job" value:"c" > gauge:<value:2 > } is not a UNTYPED"#
        ]],
    );
    // All errors are reported, as client_golang's MultiError does, names in byte order.
    assert_eq!(s.post("job/c", "some_metric 3\n", 4), "ok");
    check(
        s.put(
            "job/b",
            "# TYPE some_metric summary\nsome_metric_sum 1\nsome_metric_count 1\nm2 1\nm2 2\n",
            5,
        ),
        expect![[r#"
            pushed metrics are invalid or inconsistent with existing metrics: 2 error(s) occurred:
            * collected metric "m2" { label:<name:"instance" value:"" > label:<name:"job" value:"b" > untyped:<value:2 > } was collected before with the same name and label values
            * collected metric "some_metric" { label:<name:"instance" value:"" > label:<name:"job" value:"c" > untyped:<value:3 > } is not a SUMMARY"#]],
    );
}

/// Spec §3.6: duplicates within one push and across groups.
#[test]
fn duplicate_series() {
    let mut s = Scenario::new();
    check(
        s.put("job/j1", "dup 1\ndup 2\n", 1),
        expect![[
            r#"pushed metrics are invalid or inconsistent with existing metrics: collected metric "dup" { label:<name:"instance" value:"" > label:<name:"job" value:"j1" > untyped:<value:2 > } was collected before with the same name and label values"#
        ]],
    );
    assert_eq!(s.put("job/a", "m{instance=\"x\"} 1\n", 2), "ok");
    // Gathering goes by grouping key, and {instance="x",job="a"} sorts before {job="a"}: the
    // series of {job="a"} is the duplicate, whichever of the two was pushed first.
    check(
        s.put("job/a/instance/x", "m 2\n", 3),
        expect![[
            r#"pushed metrics are invalid or inconsistent with existing metrics: collected metric "m" { label:<name:"instance" value:"x" > label:<name:"job" value:"a" > untyped:<value:1 > } was collected before with the same name and label values"#
        ]],
    );
    assert_eq!(s.put("job/a", "", 4), "ok");
    assert_eq!(s.put("job/a/instance/x", "m 2\n", 5), "ok");
    check(
        s.put("job/a", "m{instance=\"x\"} 1\n", 6),
        expect![[
            r#"pushed metrics are invalid or inconsistent with existing metrics: collected metric "m" { label:<name:"instance" value:"x" > label:<name:"job" value:"a" > untyped:<value:1 > } was collected before with the same name and label values"#
        ]],
    );
}

/// Spec §3.6: label problems only protobuf can carry.
#[test]
fn label_problems() {
    let mut s = Scenario::new();
    let push = |s: &mut Scenario, family| s.push("job/j", vec![family], PushMode::Merge, 1);
    check(
        push(
            &mut s,
            family(
                "m",
                MetricType::Gauge,
                vec![(&[("__x", "1")], Value::Gauge(1.0))],
            ),
        ),
        expect![[
            r#"pushed metrics are invalid or inconsistent with existing metrics: collected metric "m" { label:<name:"__x" value:"1" > label:<name:"instance" value:"" > label:<name:"job" value:"j" > gauge:<value:1 > } has a label with an invalid name: __x"#
        ]],
    );
    check(
        push(
            &mut s,
            family(
                "m",
                MetricType::Gauge,
                vec![(&[("a.b", "1")], Value::Gauge(1.0))],
            ),
        ),
        expect![[
            r#"pushed metrics are invalid or inconsistent with existing metrics: collected metric "m" { label:<name:"a.b" value:"1" > label:<name:"instance" value:"" > label:<name:"job" value:"j" > gauge:<value:1 > } has a label with an invalid name: a.b"#
        ]],
    );
    check(
        push(
            &mut s,
            family(
                "m",
                MetricType::Gauge,
                vec![(&[("a", "1"), ("a", "2")], Value::Gauge(1.0))],
            ),
        ),
        expect![[
            r#"pushed metrics are invalid or inconsistent with existing metrics: collected metric "m" { label:<name:"a" value:"1" > label:<name:"a" value:"2" > label:<name:"instance" value:"" > label:<name:"job" value:"j" > gauge:<value:1 > } has two or more labels with the same name: a"#
        ]],
    );
    let summary = Value::Summary(Summary {
        count: 1,
        sum: 2.0,
        ..Summary::default()
    });
    check(
        push(
            &mut s,
            family(
                "s",
                MetricType::Summary,
                vec![(&[("quantile", "0.5")], summary)],
            ),
        ),
        expect![[
            r#"pushed metrics are invalid or inconsistent with existing metrics: collected metric "s" { label:<name:"instance" value:"" > label:<name:"job" value:"j" > label:<name:"quantile" value:"0.5" > summary:<sample_count:1 sample_sum:2 > } must not have an explicit "quantile" label"#
        ]],
    );
    check(
        push(
            &mut s,
            family("g", MetricType::Gauge, vec![(&[], Value::Untyped(1.0))]),
        ),
        expect![[
            r#"pushed metrics are invalid or inconsistent with existing metrics: collected metric "g" { label:<name:"instance" value:"" > label:<name:"job" value:"j" > untyped:<value:1 > } is not a GAUGE"#
        ]],
    );
    // Five rejections: the group exists with its timestamps only.
    check(
        s.groups(),
        expect![[r#"
            {job="j"} successful=false
              push_failure_time_seconds Gauge pushed_at=1 metrics=1
              push_time_seconds Gauge pushed_at=1 metrics=1
        "#]],
    );
}

/// Spec §17, Q5/Q6: metric names are validated, also with the check off.
#[test]
fn invalid_metric_names() {
    let mut s = Scenario::unchecked();
    for name in ["", "foo.bar", "0x"] {
        let result = s.push(
            "job/j",
            vec![family(
                name,
                MetricType::Gauge,
                vec![(&[], Value::Gauge(1.0))],
            )],
            PushMode::Merge,
            1,
        );
        assert_eq!(
            result,
            format!(
                "pushed metrics are invalid or inconsistent with existing metrics: invalid metric name {name:?}"
            )
        );
    }
    assert!(
        !s.store
            .group(&key("job/j"))
            .expect("failure stamped")
            .last_push_successful()
    );
}

/// Spec §3.6: suffix collisions with summaries and histograms, in byte order of names.
#[test]
fn suffix_collisions() {
    let mut s = Scenario::new();
    assert_eq!(
        s.post(
            "job/a",
            "# TYPE s summary\ns_sum 1\ns_count 1\n# TYPE h histogram\nh_sum 1\nh_count 1\n",
            1
        ),
        "ok"
    );
    check(
        s.post("job/b", "s_count 1\n", 2),
        expect![[
            r#"pushed metrics are invalid or inconsistent with existing metrics: collected metric named "s_count" collides with previously collected summary named "s""#
        ]],
    );
    assert_eq!(s.post("job/b", "s_bucket 1\n", 3), "ok");
    check(
        s.post("job/b", "h_bucket 1\nh_sum 2\n", 4),
        expect![[r#"
            pushed metrics are invalid or inconsistent with existing metrics: 2 error(s) occurred:
            * collected metric named "h_bucket" collides with previously collected histogram named "h"
            * collected metric named "h_sum" collides with previously collected histogram named "h""#]],
    );
    // The other way round: the base family sorts first, so the suffixed one is blamed.
    assert_eq!(s.post("job/c", "x_count 1\n", 5), "ok");
    check(
        s.post("job/d", "# TYPE x summary\nx_sum 1\nx_count 1\n", 6),
        expect![[
            r#"pushed metrics are invalid or inconsistent with existing metrics: collected metric named "x_count" collides with previously collected summary named "x""#
        ]],
    );
    // Deleting the summary clears the collision it caused (checked with the check off).
    let mut unchecked = Scenario::unchecked();
    assert_eq!(unchecked.post("job/c", "x_count 1\n", 1), "ok");
    assert_eq!(
        unchecked.post("job/d", "# TYPE x summary\nx_sum 1\nx_count 1\n", 2),
        "ok"
    );
    check(
        unchecked.scrape(),
        expect![[r#"
            scrape error: collected metric named "x_count" collides with previously collected summary named "x"
        "#]],
    );
    unchecked.delete("job/d");
    assert!(
        unchecked
            .scrape()
            .contains("x_count{instance=\"\",job=\"c\"} 1\n")
    );
}

/// Spec §3.6, §4.3: the gateway's own families: type and HELP checks, suffix collisions.
#[test]
fn own_families() {
    let mut s = Scenario::with_own_families();
    check(
        s.post("job/j", "# HELP pushgateway_http_push_duration_seconds Mine.\n# TYPE pushgateway_http_push_duration_seconds summary\npushgateway_http_push_duration_seconds_sum 1\npushgateway_http_push_duration_seconds_count 1\n", 1),
        expect![[r#"pushed metrics are invalid or inconsistent with existing metrics: gathered metric family pushgateway_http_push_duration_seconds has help "Mine." but should have "HTTP request duration for pushes to the Pushgateway.""#]],
    );
    check(
        s.post(
            "job/j",
            "pushgateway_http_push_duration_seconds_count 1\n",
            2,
        ),
        expect![[
            r#"pushed metrics are invalid or inconsistent with existing metrics: collected metric named "pushgateway_http_push_duration_seconds_count" collides with previously collected summary named "pushgateway_http_push_duration_seconds""#
        ]],
    );
    check(
        s.post("job/j", "# TYPE own summary\nown_sum 1\nown_count 1\n", 3),
        expect![[
            r#"pushed metrics are invalid or inconsistent with existing metrics: collected histogram or summary named "own" collides with previously collected metric named "own_sum""#
        ]],
    );
    assert_eq!(
        s.post("job/j", "# TYPE go_goroutines gauge\ngo_goroutines 3\n", 4),
        "ok"
    );
}

/// Spec §3.6, §4.4: with the check off, inconsistent pushes are stored and make scrapes fail
/// until the culprit is deleted.
#[test]
fn unchecked_inconsistency_breaks_scrapes_until_deleted() {
    let mut s = Scenario::unchecked();
    assert_eq!(s.post("job/a", "m 1\n", 1), "ok");
    assert_eq!(s.post("job/b", "# TYPE m gauge\nm 2\n", 2), "ok");
    assert_eq!(s.post("job/c", "# TYPE m counter\nm 3\n", 3), "ok");
    check(
        s.scrape(),
        expect![[r#"
            scrape error: 2 error(s) occurred:
            * collected metric "m" { label:<name:"instance" value:"" > label:<name:"job" value:"b" > gauge:<value:2 > } is not a UNTYPED
            * collected metric "m" { label:<name:"instance" value:"" > label:<name:"job" value:"c" > counter:<value:3 > } is not a UNTYPED
        "#]],
    );
    s.delete("job/a");
    check(
        s.scrape(),
        expect![[r#"
            scrape error: collected metric "m" { label:<name:"instance" value:"" > label:<name:"job" value:"c" > counter:<value:3 > } is not a GAUGE
        "#]],
    );
    s.delete("job/c");
    assert!(
        s.scrape()
            .contains("# TYPE m gauge\nm{instance=\"\",job=\"b\"} 2\n")
    );
}

/// A delete can make the store inconsistent: the next group's declared type becomes the merged
/// type, and its values may not fit (protobuf lets a family declare any type).
#[test]
fn delete_changes_merged_type() {
    let mut s = Scenario::new();
    assert_eq!(s.post("job/a", "# TYPE m gauge\nm 1\n", 1), "ok");
    let declared_counter = family("m", MetricType::Counter, vec![(&[], Value::Gauge(2.0))]);
    assert_eq!(
        s.push("job/b", vec![declared_counter], PushMode::Merge, 2),
        "ok"
    );
    assert!(
        s.scrape().contains(
            "# TYPE m gauge\nm{instance=\"\",job=\"a\"} 1\nm{instance=\"\",job=\"b\"} 2\n"
        )
    );
    s.delete("job/a");
    check(
        s.scrape(),
        expect![[r#"
            scrape error: collected metric "m" { label:<name:"instance" value:"" > label:<name:"job" value:"b" > gauge:<value:2 > } is not a COUNTER
        "#]],
    );
    // Every push is now rejected, as in the reference, until the culprit is gone.
    assert!(s.post("job/z", "z 1\n", 3).ends_with("is not a COUNTER"));
    s.delete("job/b");
    assert_eq!(s.post("job/z", "z 1\n", 4), "ok");
}

/// Spec §17 (our deviation from the reference's Q7-like wedge): a rejected push whose new group's
/// timestamp series would collide creates no group.
#[test]
fn aliasing_group_is_not_created() {
    let mut s = Scenario::new();
    assert_eq!(s.put("job/x", "a 1\n", 1), "ok");
    check(
        s.put("job/x/instance/", "b 1\n", 2),
        expect![[r#"
            pushed metrics are invalid or inconsistent with existing metrics: 2 error(s) occurred:
            * collected metric "push_failure_time_seconds" { label:<name:"instance" value:"" > label:<name:"job" value:"x" > gauge:<value:0 > } was collected before with the same name and label values
            * collected metric "push_time_seconds" { label:<name:"instance" value:"" > label:<name:"job" value:"x" > gauge:<value:1 > } was collected before with the same name and label values"#]],
    );
    assert_eq!(s.store.groups().count(), 1);
    assert!(s.store.check().is_ok());
}

/// Spec §4.2: families by name, samples by number of labels, then label values.
#[test]
fn exposition_order() {
    let mut s = Scenario::new();
    assert_eq!(
        s.post(
            "job/b",
            "zz 1\nm{a=\"2\"} 1\nm{instance=\"some_instance\"} 1\n",
            1
        ),
        "ok"
    );
    assert_eq!(
        s.post("job/a", "m{a=\"10\"} 1\nm 2\nm{a=\"2\",b=\"\"} 3\n", 2),
        "ok"
    );
    check(
        s.scrape()
            .lines()
            .filter(|l| !l.starts_with("push_"))
            .map(|l| format!("{l}\n"))
            .collect(),
        expect![[r##"
            # TYPE m untyped
            m{instance="",job="a"} 2
            m{instance="some_instance",job="b"} 1
            m{a="10",instance="",job="a"} 1
            m{a="2",instance="",job="b"} 1
            m{a="2",b="",instance="",job="a"} 3
            # HELP push_failure_time_seconds Last Unix time when changing this group in the Pushgateway failed.
            # TYPE push_failure_time_seconds gauge
            # HELP push_time_seconds Last Unix time when changing this group in the Pushgateway succeeded.
            # TYPE push_time_seconds gauge
            # TYPE zz untyped
            zz{instance="",job="b"} 1
        "##]],
    );
}

/// Spec §4.1, §4.2: the gateway's own families are merged in by name and sample order.
#[test]
fn exposition_with_own_families() {
    let mut s = Scenario::with_own_families();
    assert_eq!(
        s.post(
            "job/gg",
            "# TYPE go_goroutines gauge\ngo_goroutines 1\na 1\n",
            1
        ),
        "ok"
    );
    let own = parse(
        "# HELP go_goroutines Number of goroutines that currently exist.\n# TYPE go_goroutines gauge\ngo_goroutines 9\n# TYPE b gauge\nb 1\n# TYPE zzz counter\nzzz{x=\"1\"} 1\nzzz 2\n",
    );
    let mut out = Vec::new();
    s.store
        .exposition()
        .expect("consistent")
        .render_with(&own, &mut out);
    check(
        String::from_utf8(out)
            .expect("UTF-8")
            .lines()
            .filter(|l| !l.contains("push_"))
            .map(|l| format!("{l}\n"))
            .collect(),
        expect![[r#"
            # TYPE a untyped
            a{instance="",job="gg"} 1
            # TYPE b gauge
            b 1
            # HELP go_goroutines Number of goroutines that currently exist.
            # TYPE go_goroutines gauge
            go_goroutines 9
            go_goroutines{instance="",job="gg"} 1
            # TYPE zzz counter
            zzz 2
            zzz{x="1"} 1
        "#]],
    );
}

/// The exposition is cached per generation: no write, same buffer.
#[test]
fn exposition_is_cached() {
    let mut s = Scenario::new();
    assert_eq!(s.post("job/j", "m 1\n", 1), "ok");
    let first = s.store.exposition().expect("consistent");
    let second = s.store.exposition().expect("consistent");
    assert_eq!(first.text().as_ptr(), second.text().as_ptr());
    // A rejected push changes only the failure time: a new generation.
    assert!(s.post("job/j", "m 1 5\n", 2).ends_with("timestamps"));
    let third = s.store.exposition().expect("consistent");
    assert_ne!(first.text(), third.text());
}

/// The store can be wiped.
#[test]
fn wipe() {
    let mut s = Scenario::new();
    assert_eq!(s.post("job/j", "m 1\n", 1), "ok");
    s.store.wipe();
    assert_eq!(s.scrape(), "");
    assert_eq!(s.post("job/j", "m 1\n", 2), "ok");
}

/// Persistence round trip: groups restored from their families and push times are identical,
/// inconsistent ones included (they make scrapes fail as before).
#[test]
fn restore_round_trip() {
    let restore_all = |from: &Scenario, into: &mut Scenario| {
        for group in from.store.groups() {
            let families = group
                .families()
                .map(|f| (f.to_metric_family(), f.last_push()))
                .collect();
            into.store.restore(group.key().clone(), families);
        }
    };
    let mut s = Scenario::new();
    assert_eq!(s.put("job/a/instance/i", &format!("{MF2}{MF5}"), 1), "ok");
    assert!(s.post("job/b", MF1TS, 2).ends_with("timestamps"));
    assert_eq!(s.post("job/b", MF3, 3), "ok");
    let mut restored = Scenario::new();
    restore_all(&s, &mut restored);
    assert_eq!(restored.scrape(), s.scrape());
    assert_eq!(restored.groups(), s.groups());

    let mut unchecked = Scenario::unchecked();
    assert_eq!(unchecked.post("job/a", "m 1\n", 1), "ok");
    assert_eq!(unchecked.post("job/b", "# TYPE m gauge\nm 2\n", 2), "ok");
    let mut restored = Scenario::new();
    restore_all(&unchecked, &mut restored);
    assert_eq!(restored.scrape(), unchecked.scrape());
    assert!(
        restored
            .post("job/c", "x 1\n", 3)
            .ends_with("is not a UNTYPED")
    );
}

/// A protobuf push may carry a family without metrics: it replaces the group's family of that
/// name, shows in the API, is left out of the exposition and still takes part in the type check,
/// as in the reference (where `GetMetricFamilies` keeps empty families).
#[test]
fn empty_family_replaces_and_types() {
    let mut s = Scenario::new();
    assert_eq!(s.post("job/a", "# TYPE m counter\nm 1\n", 1), "ok");
    let empty = family("m", MetricType::Counter, Vec::new());
    assert_eq!(s.push("job/a", vec![empty], PushMode::Merge, 2), "ok");
    assert!(!s.scrape().contains("# TYPE m "));
    let group = s.store.group(&key("job/a")).expect("group exists");
    assert_eq!(group.family("m").map(|f| f.metrics().len()), Some(0));
    check(
        s.post("job/b", "# TYPE m gauge\nm 2\n", 3),
        expect![[
            r#"pushed metrics are invalid or inconsistent with existing metrics: collected metric "m" { label:<name:"instance" value:"" > label:<name:"job" value:"b" > gauge:<value:2 > } is not a COUNTER"#
        ]],
    );
}

/// TestAddDeletePersistRestore pushes a float native histogram (protobuf only): it is stored and
/// exposed in the text format as its `+Inf` bucket, sum and count.
#[test]
fn native_histogram() {
    use pushgw_core::model::{BucketSpan, Count, Histogram, NativeBuckets, NativeHistogram};
    let mut s = Scenario::new();
    let histogram = Value::Histogram(Box::new(Histogram {
        count: Count::Float(20.0),
        sum: 99.23,
        buckets: Vec::new(),
        created: None,
        native: Some(NativeHistogram {
            schema: 1,
            zero_threshold: 0.001,
            zero_count: Count::Float(4.0),
            negative_spans: vec![BucketSpan {
                offset: -2,
                length: 1,
            }],
            negative: NativeBuckets::Counts(vec![1.0]),
            positive_spans: vec![BucketSpan {
                offset: -1,
                length: 2,
            }],
            positive: NativeBuckets::Counts(vec![2.0, 13.0]),
            exemplars: Vec::new(),
        }),
    }));
    let pushed = family("mf_hist", MetricType::Histogram, vec![(&[], histogram)]);
    assert_eq!(
        s.push(
            "job/job1/instance/instance1",
            vec![pushed],
            PushMode::Merge,
            1
        ),
        "ok"
    );
    check(
        s.scrape()
            .lines()
            .filter(|l| l.contains("mf_hist"))
            .map(|l| format!("{l}\n"))
            .collect(),
        expect![[r#"
            # TYPE mf_hist histogram
            mf_hist_bucket{instance="instance1",job="job1",le="+Inf"} 20
            mf_hist_sum{instance="instance1",job="job1"} 99.23
            mf_hist_count{instance="instance1",job="job1"} 20
        "#]],
    );
}
