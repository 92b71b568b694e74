//! A state-machine property (issue 8): random sequences of PUT, POST, DELETE, bad pushes, wipes
//! and scrapes against `Gateway` and against a reference model kept in this test (a `BTreeMap`
//! of groups to families); after every step the pushed part of `/metrics` must be what the model
//! renders, byte for byte.
//!
//! The generated pushes are always consistent (a metric name has one type everywhere, groups
//! differ in `job` or `instance`), so every good push is a `200` and the model needs no
//! consistency rules; bad pushes (a parse error, a timestamp) must change nothing pushed.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use proptest::prelude::*;
use pushgw_core::gateway::{Gateway, GatewayOptions};

/// Metric names with their one type.
const NAMES: [(&str, &str); 4] = [
    ("c_total", "counter"),
    ("g", "gauge"),
    ("temperature", "gauge"),
    ("u", "untyped"),
];
const JOBS: [&str; 3] = ["a", "b", "job with space"];
const INSTANCES: [&str; 2] = ["", "x"];
const LABEL_VALUES: [&str; 4] = ["", "1", "2", "é\\\"\n"];

/// A group: indexes into `JOBS` and `INSTANCES`.
type Key = (usize, usize);
/// A pushed family: label value index → sample value, per name index.
type Families = BTreeMap<usize, BTreeMap<usize, u32>>;

#[derive(Debug, Clone)]
enum Op {
    Put(Key, Families),
    Post(Key, Families),
    Delete(Key),
    /// A push that must be refused: (key, PUT?, body).
    Bad(Key, bool, &'static str),
    Wipe,
    Scrape,
}

fn key() -> impl Strategy<Value = Key> {
    (0..JOBS.len(), 0..INSTANCES.len())
}

fn families() -> impl Strategy<Value = Families> {
    prop::collection::btree_map(
        0..NAMES.len(),
        prop::collection::btree_map(0..LABEL_VALUES.len(), 0..1000u32, 1..4),
        0..4,
    )
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (key(), families()).prop_map(|(k, f)| Op::Put(k, f)),
        4 => (key(), families()).prop_map(|(k, f)| Op::Post(k, f)),
        2 => key().prop_map(Op::Delete),
        2 => (key(), any::<bool>(), prop::sample::select(vec![
            "g{\n",
            "g 1 2 3\n",
            "# TYPE g counter\ng 1\n# TYPE g gauge\n",
            "g{i=\"1\"} 1 1700000000000\n",
        ])).prop_map(|(k, put, body)| Op::Bad(k, put, body)),
        1 => Just(Op::Wipe),
        1 => Just(Op::Scrape),
    ]
}

/// The reference model: groups → name → label value → value.
#[derive(Debug, Default)]
struct Model {
    groups: BTreeMap<Key, Families>,
}

impl Model {
    fn apply(&mut self, op: &Op) {
        match op {
            Op::Put(key, families) => {
                self.groups.insert(*key, families.clone());
            }
            Op::Post(key, families) => {
                let group = self.groups.entry(*key).or_default();
                for (name, series) in families {
                    group.insert(*name, series.clone());
                }
            }
            Op::Delete(key) => {
                self.groups.remove(key);
            }
            Op::Wipe => self.groups.clear(),
            Op::Bad(..) | Op::Scrape => {}
        }
    }

    /// The pushed families as the gateway renders them: by name; each with its TYPE line and
    /// samples sorted by label values (`i`, `instance`, `job`, the sorted label names).
    fn render(&self) -> String {
        let mut out = String::new();
        for (index, (name, metric_type)) in NAMES.iter().enumerate() {
            let mut samples: Vec<((&str, &str, &str), u32)> = Vec::new();
            for ((job, instance), families) in &self.groups {
                for (value, sample) in families.get(&index).into_iter().flatten() {
                    samples.push((
                        (LABEL_VALUES[*value], INSTANCES[*instance], JOBS[*job]),
                        *sample,
                    ));
                }
            }
            if samples.is_empty() {
                continue;
            }
            samples.sort();
            out.push_str(&format!("# TYPE {name} {metric_type}\n"));
            for ((i, instance, job), sample) in samples {
                out.push_str(&format!(
                    "{name}{{i=\"{}\",instance=\"{instance}\",job=\"{}\"}} {sample}\n",
                    escape(i),
                    escape(job)
                ));
            }
        }
        out
    }
}

fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn path((job, instance): Key) -> String {
    let job = JOBS[job].replace(' ', "%20");
    match INSTANCES[instance] {
        "" => format!("/metrics/job/{job}"),
        instance => format!("/metrics/job/{job}/instance/{instance}"),
    }
}

fn body(families: &Families) -> String {
    let mut out = String::new();
    for (name, series) in families {
        let (name, metric_type) = NAMES[*name];
        out.push_str(&format!("# TYPE {name} {metric_type}\n"));
        for (value, sample) in series {
            out.push_str(&format!(
                "{name}{{i=\"{}\"}} {sample}\n",
                escape(LABEL_VALUES[*value])
            ));
        }
    }
    out
}

fn send(gateway: &Gateway, method: &str, path: &str, body: String, now: SystemTime) -> u16 {
    let request = http::Request::builder()
        .method(method)
        .uri(path)
        .body(Bytes::from(body))
        .expect("valid request");
    gateway.handle(request, now).status().as_u16()
}

/// The pushed part of `/metrics`: without the gateway's own families and the timestamps.
fn pushed(gateway: &Gateway, now: SystemTime) -> String {
    let request = http::Request::get("/metrics")
        .body(Bytes::new())
        .expect("valid request");
    let response = gateway.handle(request, now);
    assert_eq!(response.status(), 200);
    let text = String::from_utf8(response.into_body().to_vec()).expect("UTF-8 exposition");
    let mut out = String::new();
    let mut keep = false;
    for line in text.split_inclusive('\n') {
        if let Some(rest) = line
            .strip_prefix("# TYPE ")
            .or_else(|| line.strip_prefix("# HELP "))
        {
            keep = NAMES
                .iter()
                .any(|(name, _)| rest.starts_with(&format!("{name} ")));
            if line.starts_with("# HELP ") {
                continue;
            }
        }
        if keep {
            out.push_str(line);
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn gateway_matches_the_model_after_every_step(ops in prop::collection::vec(op(), 1..40)) {
        let gateway = Gateway::new(GatewayOptions {
            enable_admin_api: true,
            ..GatewayOptions::default()
        });
        let mut model = Model::default();
        let mut now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        for (step, op) in ops.iter().enumerate() {
            now += Duration::from_millis(1500);
            let status = match op {
                Op::Put(key, families) => send(&gateway, "PUT", &path(*key), body(families), now),
                Op::Post(key, families) => send(&gateway, "POST", &path(*key), body(families), now),
                Op::Delete(key) => send(&gateway, "DELETE", &path(*key), String::new(), now),
                Op::Bad(key, put, bad) => {
                    let method = if *put { "PUT" } else { "POST" };
                    send(&gateway, method, &path(*key), (*bad).to_owned(), now)
                }
                Op::Wipe => send(&gateway, "PUT", "/api/v1/admin/wipe", String::new(), now),
                Op::Scrape => 200,
            };
            let expected_status = match op {
                Op::Put(..) | Op::Post(..) | Op::Scrape => 200,
                Op::Delete(_) | Op::Wipe => 202,
                Op::Bad(..) => 400,
            };
            prop_assert_eq!(status, expected_status, "step {}: {:?}", step, op);
            model.apply(op);
            prop_assert_eq!(pushed(&gateway, now), model.render(), "after step {}: {:?}", step, op);
        }
    }
}
