//! The text exposition of the store: pre-rendered sample lines, per-name blocks and the
//! [`Exposition`] snapshot handed out to scrapes.
//!
//! Every byte of sample text comes from [`text::render_family`](crate::text::render_family),
//! called once per stored metric when it is pushed ([`render_lines`]) and once per family header
//! when a block is rebuilt ([`render_header`]). A scrape then only concatenates cached bytes.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;

use crate::gzip::{Deflated, Member};
use crate::model::{LabelPair, Metric, MetricFamily, MetricType, Value};
use crate::text;

use super::index::series_order;

/// Renders the sample line(s) of metrics of one family, without HELP and TYPE lines.
///
/// Each metric is moved through a one-metric scratch family and handed back, so nothing is cloned
/// and the scratch is allocated once per family.
pub(super) struct LineRenderer {
    scratch: MetricFamily,
    out: Vec<u8>,
}

impl LineRenderer {
    /// A renderer for metrics of family `name`.
    pub(super) fn new(name: &str) -> LineRenderer {
        LineRenderer {
            scratch: MetricFamily {
                name: name.to_owned(),
                help: None,
                metric_type: MetricType::Untyped,
                unit: None,
                metrics: Vec::with_capacity(1),
            },
            out: Vec::new(),
        }
    }

    /// The lines of `metric`, and the metric back.
    pub(super) fn render(&mut self, metric: Metric) -> (Arc<[u8]>, Metric) {
        // Render with the type of the value, not of the family it came in: a protobuf push may
        // declare a type its values do not have, and the line text depends only on the value.
        self.scratch.metric_type = metric.value.kind();
        self.scratch.metrics.push(metric);
        self.out.clear();
        text::render_family(&self.scratch, &mut self.out);
        let metric = self
            .scratch
            .metrics
            .pop()
            .expect("the scratch family holds the metric");
        let start = line_end(&self.out, 1);
        (Arc::from(&self.out[start..]), metric)
    }
}

/// Renders the `# HELP` (if any) and `# TYPE` lines of a family.
pub(super) fn render_header(name: &str, help: Option<&str>, metric_type: MetricType) -> Vec<u8> {
    let placeholder = match metric_type {
        MetricType::Counter => Value::Counter(Default::default()),
        MetricType::Gauge => Value::Gauge(0.0),
        MetricType::Summary => Value::Summary(Default::default()),
        MetricType::Untyped => Value::Untyped(0.0),
        MetricType::Histogram | MetricType::GaugeHistogram => Value::Histogram(Default::default()),
    };
    let scratch = MetricFamily {
        name: name.to_owned(),
        help: help.map(str::to_owned),
        metric_type,
        unit: None,
        metrics: vec![Metric {
            labels: Vec::new(),
            value: placeholder,
            timestamp_ms: None,
        }],
    };
    let mut out = Vec::new();
    text::render_family(&scratch, &mut out);
    // HELP text is escaped, so the header is exactly one line per header item.
    let header_lines = if help.is_some() { 2 } else { 1 };
    let end = line_end(&out, header_lines);
    out.truncate(end);
    out
}

/// The offset just after the `n`-th newline of `bytes` (or its length).
fn line_end(bytes: &[u8], n: usize) -> usize {
    memchr::memchr_iter(b'\n', bytes)
        .nth(n - 1)
        .map_or(bytes.len(), |at| at + 1)
}

/// A piece of rendered text and, once a gzip scrape asked for it, its compressed form. Chunks
/// are shared by every snapshot until a write changes them, so each is compressed at most once.
#[derive(Debug)]
pub(super) struct Chunk {
    text: Bytes,
    deflated: OnceLock<Deflated>,
}

impl Chunk {
    pub(super) fn new(text: Bytes) -> Arc<Chunk> {
        Arc::new(Chunk {
            text,
            deflated: OnceLock::new(),
        })
    }

    #[cfg(test)]
    pub(super) fn text(&self) -> &Bytes {
        &self.text
    }

    /// The compressed text, computed on first use (outside the store's lock: by a scrape).
    fn deflated(&self) -> &Deflated {
        self.deflated.get_or_init(|| Deflated::new(&self.text))
    }
}

/// One merged family of the store, rendered: header plus every series' lines in exposition order.
#[derive(Debug)]
pub(super) struct Block {
    pub(super) name: String,
    /// The header, then the lines of each segment of the series (see `SeriesIndex`).
    pub(super) chunks: Vec<Arc<Chunk>>,
    /// Each series' labels and lines, for merging with the gateway's own series of the same
    /// name; kept only for the names of declared own families, so that building other blocks
    /// costs nothing per series.
    pub(super) series: Vec<(Arc<[LabelPair]>, Bytes)>,
}

impl Block {
    /// The length of the rendered family.
    fn len(&self) -> usize {
        self.chunks.iter().map(|chunk| chunk.text.len()).sum()
    }
}

/// A snapshot of the store's text exposition (format 0.0.4), cheap to clone and to send to
/// another thread: a scrape renders from it without holding the store.
///
/// [`Store::exposition`](super::Store::exposition) returns the cached snapshot if nothing changed
/// (an `Arc` clone); otherwise it re-renders the families written since (O(series of each)) and
/// shares the rest (O(number of names)). The whole text is concatenated once per snapshot, on
/// first use, so a server that takes snapshots under its lock does that copy outside it.
///
/// ```
/// use pushgw_core::grouping::GroupingKey;
/// use pushgw_core::store::{PushMode, Store};
/// use std::time::{Duration, SystemTime};
///
/// let mut store = Store::default();
/// let families = pushgw_core::text::parse(b"some_metric 3.14\n").unwrap();
/// let key = GroupingKey::from_path("job/some_job").unwrap();
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// store.push(key, families, PushMode::Replace, now).unwrap();
///
/// let exposition = store.exposition().unwrap();
/// let text = std::str::from_utf8(exposition.text()).unwrap();
/// assert!(text.contains("some_metric{instance=\"\",job=\"some_job\"} 3.14\n"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Exposition {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// The blocks sorted by name, only families with at least one series.
    blocks: Vec<Arc<Block>>,
    /// All blocks concatenated, and where each block starts (and, last, the total length).
    /// Built on first use, by whoever reads the snapshot first, outside the store's lock.
    concatenated: OnceLock<(Bytes, Vec<usize>)>,
}

impl Exposition {
    /// A snapshot of blocks sorted by name.
    pub(super) fn from_blocks(blocks: Vec<Arc<Block>>) -> Exposition {
        Exposition {
            inner: Arc::new(Inner {
                blocks,
                concatenated: OnceLock::new(),
            }),
        }
    }

    /// The concatenated text and block offsets, built once per snapshot.
    fn concatenated(&self) -> &(Bytes, Vec<usize>) {
        self.inner.concatenated.get_or_init(|| {
            let blocks = &self.inner.blocks;
            let total = blocks.iter().map(|b| b.len()).sum();
            let mut text = Vec::with_capacity(total);
            let mut offsets = Vec::with_capacity(blocks.len() + 1);
            for block in blocks {
                offsets.push(text.len());
                for chunk in &block.chunks {
                    text.extend_from_slice(&chunk.text);
                }
            }
            offsets.push(text.len());
            (Bytes::from(text), offsets)
        })
    }

    /// The store's families in the text format, sorted by name (spec §4.2). `Bytes` clones share
    /// the buffer, so this can be sent as a response body as is.
    ///
    /// ```
    /// let exposition = pushgw_core::store::Store::default().exposition().unwrap();
    /// assert!(exposition.text().is_empty());
    /// ```
    pub fn text(&self) -> &Bytes {
        &self.concatenated().0
    }

    /// The exposition merged with the gateway's own families (spec §4.1, §4.2), as chunks to send
    /// in order: families sorted by name, a name present in both rendered once with the own
    /// family's HELP and TYPE and all samples in sample order. Runs of store families are slices
    /// of [`Exposition::text`], not copies.
    ///
    /// The own families should be the ones declared in [`StoreOptions::own_families`](super::StoreOptions),
    /// so that pushes were checked against them. Own families without metrics are left out, as
    /// the reference's gathering does.
    ///
    /// ```
    /// use pushgw_core::store::Store;
    ///
    /// let own = pushgw_core::text::parse(b"# TYPE up gauge\nup 1\n").unwrap();
    /// let chunks = Store::default().exposition().unwrap().chunks_with(&own);
    /// assert_eq!(chunks.concat(), b"# TYPE up gauge\nup 1\n");
    /// ```
    pub fn chunks_with(&self, own: &[MetricFamily]) -> Vec<Bytes> {
        self.pieces_with(own)
            .into_iter()
            .map(|piece| match piece {
                Piece::Blocks(from, to) => {
                    let (text, offsets) = self.concatenated();
                    text.slice(offsets[from]..offsets[to])
                }
                Piece::Rendered(text) => Bytes::from(text),
            })
            .collect()
    }

    /// The exposition merged with the gateway's own families, as [`Exposition::chunks_with`]
    /// sends it, compressed as one gzip member. Only the text that changed since the previous
    /// gzip scrape of any snapshot is compressed again: each stored chunk keeps its compressed
    /// form until a write replaces it, and the own families (a few lines) are compressed per call.
    ///
    /// ```
    /// use std::io::Read;
    ///
    /// let own = pushgw_core::text::parse(b"# TYPE up gauge\nup 1\n").unwrap();
    /// let gzipped = pushgw_core::store::Store::default().exposition().unwrap().gzip_with(&own);
    /// let mut text = String::new();
    /// flate2::read::GzDecoder::new(&gzipped[..]).read_to_string(&mut text).unwrap();
    /// assert_eq!(text, "# TYPE up gauge\nup 1\n");
    /// ```
    pub fn gzip_with(&self, own: &[MetricFamily]) -> Vec<u8> {
        let mut parts: Vec<Cow<'_, Deflated>> = Vec::new();
        for piece in self.pieces_with(own) {
            match piece {
                Piece::Blocks(from, to) => parts.extend(
                    self.inner.blocks[from..to]
                        .iter()
                        .flat_map(|block| &block.chunks)
                        .map(|chunk| Cow::Borrowed(chunk.deflated())),
                ),
                Piece::Rendered(text) => parts.push(Cow::Owned(Deflated::new(&text))),
            }
        }
        let mut member = Member::with_capacity(parts.iter().map(|p| p.compressed_len()).sum());
        for part in &parts {
            member.push(part);
        }
        member.finish()
    }

    /// The exposition merged with the own families as a sequence of runs of stored blocks and
    /// freshly rendered own (or merged) families.
    fn pieces_with(&self, own: &[MetricFamily]) -> Vec<Piece> {
        let mut own: Vec<&MetricFamily> = own.iter().filter(|f| !f.metrics.is_empty()).collect();
        own.sort_by(|a, b| a.name.cmp(&b.name));
        let blocks = &self.inner.blocks;
        let mut pieces = Vec::new();
        let mut run_start = 0;
        let mut i = 0;
        let run = |pieces: &mut Vec<Piece>, from: usize, to: usize| {
            if from < to {
                pieces.push(Piece::Blocks(from, to));
            }
        };
        for family in own {
            while i < blocks.len() && blocks[i].name < family.name {
                i += 1;
            }
            run(&mut pieces, run_start, i);
            if i < blocks.len() && blocks[i].name == family.name {
                pieces.push(Piece::Rendered(merge_with_own(family, &blocks[i])));
                i += 1;
            } else {
                pieces.push(Piece::Rendered(render_own(family)));
            }
            run_start = i;
        }
        run(&mut pieces, run_start, blocks.len());
        pieces
    }

    /// Like [`Exposition::chunks_with`], appended to `out`.
    ///
    /// ```
    /// let mut out = Vec::new();
    /// pushgw_core::store::Store::default().exposition().unwrap().render_with(&[], &mut out);
    /// assert!(out.is_empty());
    /// ```
    pub fn render_with(&self, own: &[MetricFamily], out: &mut Vec<u8>) {
        for chunk in self.chunks_with(own) {
            out.extend_from_slice(&chunk);
        }
    }
}

/// A part of a merged exposition.
enum Piece {
    /// Stored blocks `from..to`, as they are.
    Blocks(usize, usize),
    /// An own family, alone or merged with the stored block of the same name.
    Rendered(Vec<u8>),
}

/// Renders one of the gateway's own families with its samples in sample order.
fn render_own(family: &MetricFamily) -> Vec<u8> {
    let mut sorted = family.clone();
    for metric in &mut sorted.metrics {
        metric.labels.sort_by(|a, b| a.name.cmp(&b.name));
    }
    sorted
        .metrics
        .sort_by(|a, b| series_order(&a.labels, &b.labels));
    let mut out = Vec::new();
    text::render_family(&sorted, &mut out);
    out
}

/// Renders an own family and the store's family of the same name as one family: the own HELP and
/// TYPE (pushes were checked against them), all samples in sample order.
fn merge_with_own(family: &MetricFamily, block: &Block) -> Vec<u8> {
    let mut renderer = LineRenderer::new(&family.name);
    let own_lines: Vec<(Vec<LabelPair>, Arc<[u8]>)> = family
        .metrics
        .iter()
        .map(|metric| {
            let mut metric = metric.clone();
            metric.labels.sort_by(|a, b| a.name.cmp(&b.name));
            let (lines, metric) = renderer.render(metric);
            (metric.labels, lines)
        })
        .collect();
    let mut out = render_header(&family.name, family.help.as_deref(), family.metric_type);
    if block.series.is_empty() {
        // A family that was not declared as own: its store samples cannot be interleaved, so
        // they follow the own samples.
        for (_, lines) in &own_lines {
            out.extend_from_slice(lines);
        }
        for chunk in block.chunks.iter().skip(1) {
            out.extend_from_slice(&chunk.text);
        }
        return out;
    }
    let mut all: Vec<(&[LabelPair], &[u8])> = own_lines
        .iter()
        .map(|(labels, lines)| (labels.as_slice(), &lines[..]))
        .chain(
            block
                .series
                .iter()
                .map(|(labels, lines)| (&labels[..], &lines[..])),
        )
        .collect();
    // Stable, so that own samples come before store samples with the same label set.
    all.sort_by(|a, b| -> Ordering { series_order(a.0, b.0) });
    for (_, lines) in all {
        out.extend_from_slice(lines);
    }
    out
}
