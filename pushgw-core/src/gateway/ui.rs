//! The web UI (spec §7): one server-rendered HTML page at `<P>/` and `<P>/status`, and its few
//! assets at `<P>/static/…`, all embedded in the library so that embedders serve it too.
//!
//! The page carries the reference's content (groups sorted by grouping key, families by name,
//! values in Go's `'f'` format, the status tab) but not its jQuery and Bootstrap: a small
//! stylesheet and a small script of our own replace them. Everything from the store or the
//! options is HTML-escaped as Go's `html/template` escapes text.

use std::fmt::{self, Write};
use std::time::SystemTime;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use http::Response;
use http::header::{self, HeaderValue};

use super::{GatewayOptions, json, not_found, route_prefix};
use crate::float::{F, G};
use crate::model::{Count, LabelPair, Value};
use crate::store::{Group, Store, StoredFamily};

/// The embedded assets: name under `static/`, content type (what the reference sends for the
/// extension), bytes.
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "functions.js",
        "application/javascript",
        include_bytes!("ui/functions.js"),
    ),
    ("pushgw.css", "text/css", include_bytes!("ui/pushgw.css")),
    (
        "favicon.ico",
        "image/x-icon",
        include_bytes!("ui/favicon.ico"),
    ),
];

/// `GET <P>/static/<path>`: an embedded asset, or 404. The router has already dropped the
/// query, so `?v=` cache busters are ignored.
pub(super) fn asset(path: &[u8]) -> Response<Bytes> {
    let Some((_, content_type, bytes)) = ASSETS.iter().find(|(name, ..)| name.as_bytes() == path)
    else {
        return not_found();
    };
    let mut response = Response::new(Bytes::from_static(bytes));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// `GET <P>/` and `GET <P>/status`: the page, rendered from the store as it is now.
pub(super) fn page(store: &Store, options: &GatewayOptions) -> Response<Bytes> {
    let mut html = String::with_capacity(16 * 1024);
    render(&mut html, store, options).expect("writing into a String cannot fail");
    let mut response = Response::new(Bytes::from(html));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

fn render(out: &mut String, store: &Store, options: &GatewayOptions) -> fmt::Result {
    // Spec §9.2: assets live under the external URL's path even when the route prefix differs
    // (a reverse proxy strips it); without an external path, relative to the page.
    let prefix = match route_prefix("", &options.external_url) {
        prefix if prefix.is_empty() => ".".to_owned(),
        prefix => prefix,
    };
    let prefix = Escaped(&prefix);
    let version = options
        .build_information
        .iter()
        .find(|(key, _)| key == "revision")
        .map_or(env!("CARGO_PKG_VERSION"), |(_, revision)| revision.as_str());
    let version = Escaped(version);
    write!(
        out,
        r##"<!DOCTYPE html>
<html lang="en">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<meta name="robots" content="noindex,nofollow">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Prometheus Pushgateway</title>
<link rel="shortcut icon" href="{prefix}/static/favicon.ico?v={version}">
<link rel="stylesheet" href="{prefix}/static/pushgw.css?v={version}">
<script src="{prefix}/static/functions.js?v={version}" defer></script>
</head>
<body>
<nav>
<a class="brand" href="#">Pushgateway</a>
<ul>
<li class="active" id="metrics-li"><a href="#" data-tab="metrics">Metrics</a></li>
<li id="status-li"><a href="#" data-tab="status">Status</a></li>
<li><a href="https://github.com/prometheus/pushgateway/blob/master/README.md" target="_blank" rel="noopener">Help</a></li>
</ul>
</nav>
<main id="metrics-div">
"##
    )?;
    let groups: Vec<&Group> = store.groups().collect();
    if options.enable_admin_api {
        let disabled = if groups.is_empty() { " disabled" } else { "" };
        writeln!(
            out,
            r##"<div class="toolbar"><button class="btn btn-danger" id="del-all"{disabled}>Delete All <span class="badge badge-warning" id="del-all-counter">{}</span> Groups</button></div>"##,
            groups.len()
        )?;
    }
    for (index, group) in groups.iter().enumerate() {
        render_group(out, index + 1, group)?;
    }
    if groups.is_empty() {
        writeln!(out, r##"<p class="empty">No metric groups.</p>"##)?;
    }
    out.push_str("</main>\n");
    render_status(out, options)?;
    out.push_str("</body>\n</html>\n");
    Ok(())
}

/// One group: a collapsible card whose header shows the grouping labels, `job` first.
fn render_group(out: &mut String, index: usize, group: &Group) -> fmt::Result {
    let key = group.key();
    let job = LabelPair::new("job", key.job());
    let labels: Vec<&LabelPair> = std::iter::once(&job)
        .chain(key.labels().iter().filter(|pair| pair.name != "job"))
        .collect();
    // What the script needs to delete the group: `name=<base64url value>` joined by `/` (label
    // names are legacy names and base64url has neither `=` nor `/`, so this splits safely), and
    // the group as the confirmation dialog names it.
    let mut data_key = String::new();
    let mut data_group = String::from("{");
    for (i, pair) in labels.iter().enumerate() {
        let separator = if i == 0 { "" } else { "/" };
        let value = URL_SAFE_NO_PAD.encode(pair.value.as_bytes());
        write!(data_key, "{separator}{}={value}", pair.name)?;
        let separator = if i == 0 { "" } else { ", " };
        write!(data_group, "{separator}{}=\"{}\"", pair.name, pair.value)?;
    }
    data_group.push('}');
    write!(
        out,
        r##"<details class="card group" id="group-{index}">
<summary>"##
    )?;
    for pair in &labels {
        render_badge(out, pair)?;
    }
    if !group.last_push_successful() {
        out.push_str(r##"<span class="badge badge-pill badge-danger" role="alert">Last push failed!</span>"##);
    }
    writeln!(
        out,
        r##"<button class="btn btn-danger delete-group" data-key="{}" data-group="{}">Delete Group</button></summary>
<div class="card-body">"##,
        Escaped(&data_key),
        Escaped(&data_group)
    )?;
    let mut families: Vec<&StoredFamily> = group.families().collect();
    families.sort_by(|a, b| a.name().cmp(b.name()));
    for family in families {
        render_family(out, family)?;
    }
    out.push_str("</div>\n</details>\n");
    Ok(())
}

/// A label as a badge coloured by its name, as the reference colours them.
fn render_badge(out: &mut String, pair: &LabelPair) -> fmt::Result {
    let class = match pair.name.as_str() {
        "job" => "badge-warning",
        "instance" => "badge-primary",
        _ => "badge-info",
    };
    write!(
        out,
        r##"<span class="badge {class}">{}="{}"</span>"##,
        Escaped(&pair.name),
        Escaped(&pair.value)
    )
}

/// One family: a collapsible card with name, HELP, TYPE and push time, and a table of its metrics.
fn render_family(out: &mut String, family: &StoredFamily) -> fmt::Result {
    write!(
        out,
        r##"<details class="card">
<summary><span class="family-name">{}</span> <span class="badge badge-light">{}</span> <span class="badge badge-success">{}</span> <span class="pushed">last pushed: {}</span></summary>
<div class="card-body">
<table>
<thead><tr><th>Labels</th><th>Value</th></tr></thead>
<tbody>
"##,
        Escaped(family.name()),
        Escaped(family.help().unwrap_or_default()),
        family.metric_type().proto_name(),
        Rfc3339Seconds(family.last_push()),
    )?;
    for metric in family.metrics() {
        out.push_str("<tr><td>");
        for pair in metric.labels() {
            render_badge(out, pair)?;
        }
        out.push_str("</td><td class=\"value\">");
        render_value(out, metric.value())?;
        out.push_str("</td></tr>\n");
    }
    out.push_str("</tbody>\n</table>\n</div>\n</details>\n");
    Ok(())
}

/// The value cell: a number for the simple types, a small table for summaries and histograms
/// (spec §7, the reference's row titles).
fn render_value(out: &mut String, value: &Value) -> fmt::Result {
    match value {
        Value::Counter(counter) => write!(out, "{}", Escaped(&F(counter.value).to_string())),
        Value::Gauge(v) | Value::Untyped(v) => write!(out, "{}", Escaped(&F(*v).to_string())),
        Value::Summary(summary) => {
            out.push_str("<table>");
            for quantile in &summary.quantiles {
                // The reference prints the quantile with Go's `%v` (shortest `%g`).
                row(
                    out,
                    &format!("Quantile {}", G(quantile.quantile)),
                    &F(quantile.value).to_string(),
                )?;
            }
            row(out, "Sample Count", &summary.count.to_string())?;
            row(out, "Sample Sum", &F(summary.sum).to_string())?;
            out.push_str("</table>");
            Ok(())
        }
        Value::Histogram(histogram) => {
            out.push_str("<table>");
            for bucket in &histogram.buckets {
                row(
                    out,
                    &format!("Sample values \u{2264} {}", F(bucket.upper_bound)),
                    &count(bucket.cumulative_count),
                )?;
            }
            row(out, "Total sample Count", &count(histogram.count))?;
            row(out, "Sample Sum", &F(histogram.sum).to_string())?;
            out.push_str("</table>");
            Ok(())
        }
    }
}

fn row(out: &mut String, title: &str, value: &str) -> fmt::Result {
    write!(
        out,
        r##"<tr><th scope="row">{}</th><td>{}</td></tr>"##,
        Escaped(title),
        Escaped(value)
    )
}

fn count(count: Count) -> String {
    match count {
        Count::Int(n) => n.to_string(),
        Count::Float(f) => F(f).to_string(),
    }
}

/// The status tab: start time, build information, startup flags (both sorted by name).
fn render_status(out: &mut String, options: &GatewayOptions) -> fmt::Result {
    write!(
        out,
        r##"<main id="status-div" hidden>
<h2>Runtime Information</h2>
<table><tbody><tr><th>Started</th><td>{}</td></tr></tbody></table>
"##,
        Escaped(&GoTime(options.start_time).to_string())
    )?;
    for (title, entries) in [
        ("Build Information", &options.build_information),
        ("Startup Flags", &options.flags),
    ] {
        let mut sorted: Vec<&(String, String)> = entries.iter().collect();
        sorted.sort();
        writeln!(out, "<h2>{title}</h2>\n<table><tbody>")?;
        for (key, value) in sorted {
            writeln!(
                out,
                r##"<tr><th scope="row">{}</th><td>{}</td></tr>"##,
                Escaped(key),
                Escaped(value)
            )?;
        }
        out.push_str("</tbody></table>\n");
    }
    out.push_str("</main>\n");
    Ok(())
}

/// Text escaped as Go's `html/template` escapes it in text and attribute values (it also
/// escapes `+`, which is why the reference shows `&#43;Inf`).
struct Escaped<'a>(&'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(at) = rest.find(['&', '<', '>', '"', '\'', '+', '\0']) {
            f.write_str(&rest[..at])?;
            f.write_str(match rest.as_bytes()[at] {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&#34;",
                b'\'' => "&#39;",
                b'+' => "&#43;",
                _ => "\u{FFFD}",
            })?;
            rest = &rest[at + 1..];
        }
        f.write_str(rest)
    }
}

/// A time as `2006-01-02T15:04:05Z` (the reference's `timeFormat`, in UTC).
struct Rfc3339Seconds(SystemTime);

impl fmt::Display for Rfc3339Seconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let full = utc_nanos(self.0);
        // `YYYY-MM-DDThh:mm:ss`, then the zone; years beyond 9999 have more digits.
        let seconds_end = full.find(['.', 'Z']).unwrap_or(full.len());
        write!(f, "{}Z", &full[..seconds_end])
    }
}

/// A time as Go's `time.Time.String()` shows it in UTC, without the monotonic clock reading:
/// `2006-01-02 15:04:05.999999999 +0000 UTC`.
struct GoTime(SystemTime);

impl fmt::Display for GoTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let full = utc_nanos(self.0);
        let without_zone = full.strip_suffix('Z').unwrap_or(&full);
        write!(f, "{} +0000 UTC", without_zone.replacen('T', " ", 1))
    }
}

/// RFC 3339 in UTC with trimmed nanoseconds, as the JSON API writes times.
fn utc_nanos(time: SystemTime) -> String {
    let mut quoted = Vec::with_capacity(40);
    json::write_time(&mut quoted, time);
    String::from_utf8_lossy(&quoted)
        .trim_matches('"')
        .to_owned()
}

#[cfg(test)]
mod tests;
