//! A deterministic generator of a realistic exposition: what a busy Pushgateway holds.
//!
//! Families cycle through counters, gauges, histograms (11 bounds plus `+Inf`) and summaries
//! (three quantiles), every one with HELP and TYPE, every series with 3 to 6 labels drawn from
//! the vocabulary of real exporters (HTTP handlers, pods, instances, regions). About one series
//! in fifty carries a label value that needs escaping (quotes, backslashes, newlines). Values
//! look like real ones: integer counters and bucket counts, fractional gauges and sums, byte
//! sizes and Unix times that print in exponent form. The same seed gives the same bytes.

use pushgw_core::model::{
    Bucket, Count, Counter, Histogram, LabelPair, Metric, MetricFamily, MetricType, Quantile,
    Summary, Value,
};

/// SplitMix64: tiny, fast, and good enough to make data look irregular.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// A float in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// Owners of the metrics; with subsystems and subjects they make unique, plausible names.
const PREFIXES: &[&str] = &[
    "shop", "billing", "search", "edge", "ledger", "media", "identity",
];
const SUBSYSTEMS: &[&str] = &[
    "http",
    "grpc",
    "db",
    "cache",
    "queue",
    "batch",
    "storage",
    "auth",
    "scheduler",
    "ingest",
];
const SUBJECTS: &[&str] = &[
    "requests",
    "errors",
    "bytes",
    "jobs",
    "connections",
    "retries",
    "rows",
    "messages",
    "tasks",
    "lookups",
];
const METHODS: &[&str] = &["GET", "POST", "PUT", "DELETE", "PATCH"];
const HANDLERS: &[&str] = &[
    "/api/v1/query",
    "/api/v1/query_range",
    "/api/v1/series",
    "/metrics",
    "/healthz",
    "/api/v2/orders/{id}",
    "/api/v2/users/{id}/sessions",
    "/static/*filepath",
];
const CODES: &[&str] = &[
    "200", "201", "204", "301", "400", "401", "404", "429", "500", "503",
];
const REGIONS: &[&str] = &[
    "eu-west-1",
    "eu-central-1",
    "us-east-1",
    "us-west-2",
    "ap-southeast-1",
];
const NAMESPACES: &[&str] = &[
    "default",
    "monitoring",
    "payments",
    "checkout",
    "search",
    "kube-system",
];
const JOBS: &[&str] = &[
    "node",
    "api-server",
    "billing-batch",
    "etl-nightly",
    "backup",
    "mailer",
];
/// Label values a careless client pushes: quotes, backslashes, newlines.
const AWKWARD: &[&str] = &[
    "SELECT \"id\" FROM orders WHERE state = 'open'",
    "C:\\Program Files\\agent\\agent.exe",
    "line one\nline two",
    "say \"hi\"\\n",
];
/// 11 bounds; the generator adds `+Inf` as the twelfth bucket, as a parsed exposition has it.
const BOUNDS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Families until their rendering reaches `target_bytes`, plus that rendering.
pub fn exposition(target_bytes: usize) -> (Vec<MetricFamily>, Vec<u8>) {
    let mut rng = Rng::new(0x5EED_CAFE);
    let mut families = Vec::new();
    let mut text = Vec::with_capacity(target_bytes + target_bytes / 8);
    let mut index = 0;
    while text.len() < target_bytes {
        let family = family(&mut rng, index);
        pushgw_core::text::render_family(&family, &mut text);
        families.push(family);
        index += 1;
    }
    (families, text)
}

/// The number of sample lines (everything that is not a comment) in a text exposition.
pub fn sample_count(text: &[u8]) -> u64 {
    text.split(|&b| b == b'\n')
        .filter(|line| !line.is_empty() && !line.starts_with(b"#"))
        .count() as u64
}

fn family(rng: &mut Rng, index: usize) -> MetricFamily {
    let subsystem = SUBSYSTEMS[index % SUBSYSTEMS.len()];
    let subject = SUBJECTS[(index / SUBSYSTEMS.len()) % SUBJECTS.len()];
    let prefix = PREFIXES[(index / (SUBSYSTEMS.len() * SUBJECTS.len())) % PREFIXES.len()];
    let (metric_type, name, help) = match index % 4 {
        0 => (
            MetricType::Counter,
            format!("{prefix}_{subsystem}_{subject}_total"),
            format!("Total number of {subject} handled by the {subsystem} layer."),
        ),
        1 => (
            MetricType::Gauge,
            format!("{prefix}_{subsystem}_{subject}_in_flight"),
            format!("Current number of {subject} in flight in the {subsystem} layer."),
        ),
        2 => (
            MetricType::Histogram,
            format!("{prefix}_{subsystem}_{subject}_duration_seconds"),
            format!("Time spent on {subject} by the {subsystem} layer, in seconds."),
        ),
        _ => (
            MetricType::Summary,
            format!("{prefix}_{subsystem}_{subject}_size_bytes"),
            format!("Size of {subject} seen by the {subsystem} layer.\nSampled over 10m."),
        ),
    };
    let series = 20 + rng.below(120);
    let metrics = (0..series)
        .map(|_| Metric {
            labels: labels(rng),
            value: value(rng, metric_type),
            timestamp_ms: None,
        })
        .collect();
    MetricFamily {
        name,
        help: Some(help),
        metric_type,
        unit: None,
        metrics,
    }
}

fn labels(rng: &mut Rng) -> Vec<LabelPair> {
    let mut labels = vec![
        LabelPair::new(
            "instance",
            format!(
                "10.{}.{}.{}:9100",
                rng.below(4),
                rng.below(256),
                rng.below(256)
            ),
        ),
        LabelPair::new("job", rng.pick(JOBS)),
    ];
    let extra = 1 + rng.below(4);
    let optional: [(&str, &[&str]); 5] = [
        ("code", CODES),
        ("handler", HANDLERS),
        ("method", METHODS),
        ("namespace", NAMESPACES),
        ("region", REGIONS),
    ];
    let skip = rng.below(optional.len());
    for (name, values) in optional.iter().cycle().skip(skip).take(extra) {
        labels.push(LabelPair::new(*name, rng.pick(values)));
    }
    if rng.below(50) == 0 {
        labels.push(LabelPair::new("query", rng.pick(AWKWARD)));
    }
    // Stored labels are sorted by name, as the gateway keeps them.
    labels.sort_by(|a, b| a.name.cmp(&b.name));
    labels
}

fn value(rng: &mut Rng, metric_type: MetricType) -> Value {
    match metric_type {
        MetricType::Counter => Value::Counter(Counter {
            value: rng.below(50_000_000) as f64,
            ..Counter::default()
        }),
        MetricType::Gauge => Value::Gauge(match rng.below(3) {
            0 => rng.below(500) as f64,
            1 => (rng.unit() * 1000.0 * 1000.0).round() / 1000.0,
            _ => 1.7e9 + rng.unit() * 1e7,
        }),
        MetricType::Histogram => {
            let count = rng.below(2_000_000) as u64;
            let mut cumulative = 0;
            let mut buckets: Vec<Bucket> = BOUNDS
                .iter()
                .map(|&upper_bound| {
                    cumulative += (count - cumulative) * rng.below(60) as u64 / 100;
                    Bucket {
                        upper_bound,
                        cumulative_count: Count::Int(cumulative),
                        exemplar: None,
                    }
                })
                .collect();
            buckets.push(Bucket {
                upper_bound: f64::INFINITY,
                cumulative_count: Count::Int(count),
                exemplar: None,
            });
            Value::Histogram(Box::new(Histogram {
                count: Count::Int(count),
                sum: count as f64 * rng.unit() * 0.8,
                buckets,
                ..Histogram::default()
            }))
        }
        _ => {
            let median = rng.unit() * 4096.0;
            Value::Summary(Summary {
                count: rng.below(10_000_000) as u64,
                sum: median * rng.below(10_000_000) as f64,
                quantiles: [(0.5, 1.0), (0.9, 1.7), (0.99, 3.2)]
                    .iter()
                    .map(|&(quantile, factor)| Quantile {
                        quantile,
                        value: median * factor,
                    })
                    .collect(),
                created: None,
            })
        }
    }
}
