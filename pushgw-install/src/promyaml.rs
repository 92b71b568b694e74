//! The `pushgateway` scrape job in `prometheus.yml`: added and removed as a text splice.
//!
//! The file belongs to the trainee (or the hands-on text), so it is never re-serialised: every
//! comment, quote, indentation and line ending stays. A YAML parser decides *what* to do (is there
//! a `scrape_configs`, a `pushgateway` job, is it equivalent?), a line scan decides *where*
//! (spec/installer.md §2.2), and a second parse checks the result: exactly one job added (or the
//! one conflicting job replaced), everything else equal. What cannot be spliced safely is refused
//! with a message saying what to change by hand.
//!
//! The inserted lines sit between two marker comments, so that [`remove_job`] takes out exactly
//! what [`add_job`] put in. A job replaced with `--force` is kept inside the block as `#|`
//! comment lines and comes back on removal.
//!
//! This module knows nothing of files, promtool or Prometheus: text in, text out.

use std::net::Ipv4Addr;

use yaml_serde::{Mapping, Value};

/// The scrape job's name, as in the hands-on text.
pub const JOB_NAME: &str = "pushgateway";

const BEGIN: &str =
    "# BEGIN pushgw-install: the Pushgateway job ('pushgw-install uninstall' removes this block)";
const END: &str = "# END pushgw-install";
/// The prefix of a line of a job that `--force` replaced, kept for [`remove_job`].
const SAVED: &str = "#|";

/// The job to add.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobSpec {
    /// The gateway's port; the target is `localhost:<port>` as in the hands-on text.
    pub port: u16,
    /// The VM's private address: a target `<ip>:<port>` counts as equivalent too.
    pub private_ip: Ipv4Addr,
}

/// What to do with a `pushgateway` job that differs from the one we would add.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnConflict {
    /// Refuse, showing both ([`SpliceError::Conflict`]).
    Refuse,
    /// Replace that job's lines only (`--force`).
    Replace,
}

/// The result of [`add_job`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Added {
    /// An equivalent `pushgateway` job is there already: nothing to change.
    AlreadyConfigured,
    /// The new text of the file.
    Patched(String),
}

/// Why the job cannot be added or removed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpliceError {
    /// The file is not YAML that Prometheus could read.
    #[error("not valid YAML: {0}")]
    Yaml(String),
    /// The top level is a list or a scalar.
    #[error("the top level is not a mapping of keys such as `global:` and `scrape_configs:`")]
    NotAMapping,
    /// `scrape_configs` holds a scalar or a mapping.
    #[error("`scrape_configs` is not a list of scrape jobs")]
    NotAList,
    /// Jobs written as a flow sequence on the key's line (`scrape_configs: [{job_name: a}]`):
    /// the job cannot be spliced in without rewriting the trainee's line. (An empty `[]` or a
    /// null is fine: that line is replaced and kept in the block.)
    #[error(
        "line {line}: `scrape_configs` has its value on the same line ({value}); write \
         `scrape_configs:` alone on its line with the jobs below it, then re-run"
    )]
    InlineValue {
        /// 1-based line number.
        line: usize,
        /// The value as written.
        value: String,
    },
    /// Two jobs named `pushgateway`: Prometheus rejects such a file anyway.
    #[error(
        "there are {0} jobs named `pushgateway`; Prometheus accepts only one, remove the others"
    )]
    DuplicateJob(usize),
    /// A `pushgateway` job exists and differs from ours.
    #[error(
        "a `pushgateway` job exists already and differs from the one the hands-on text needs \
         (honor_labels: true, target localhost:{port}); re-run with --force to replace it"
    )]
    Conflict {
        /// The port we would scrape.
        port: u16,
        /// The file as `--force` would write it, for a diff.
        forced: String,
    },
    /// The line scan and the parser disagree (an unusual layout, e.g. a flow mapping at the top
    /// level or a job list indented unevenly).
    #[error("the file's layout is too unusual to edit safely ({0}); add the job by hand")]
    Layout(String),
    /// The markers of [`remove_job`] are incomplete.
    #[error("line {0}: the pushgw-install block has a BEGIN marker but no END marker")]
    UnterminatedBlock(usize),
}

/// Adds the `pushgateway` job to the text of a `prometheus.yml`.
pub fn add_job(text: &str, job: JobSpec, on_conflict: OnConflict) -> Result<Added, SpliceError> {
    let doc = Document::parse(text)?;
    let jobs = doc.jobs()?;
    let existing: Vec<usize> = jobs
        .iter()
        .enumerate()
        .filter(|(_, item)| job_name(item) == Some(JOB_NAME))
        .map(|(index, _)| index)
        .collect();
    let lines = Lines::new(text);
    let quote = quote_style(&lines);
    let replace = match existing.as_slice() {
        [] => None,
        [index] if is_equivalent(&jobs[*index], job) => return Ok(Added::AlreadyConfigured),
        [index] => Some(*index),
        many => return Err(SpliceError::DuplicateJob(many.len())),
    };
    let place = locate(&lines, &doc, replace)?;
    let patched = splice(&lines, &place, job, quote);
    check_added(&doc, &patched, job, replace)?;
    match (replace, on_conflict) {
        (Some(_), OnConflict::Refuse) => Err(SpliceError::Conflict {
            port: job.port,
            forced: patched,
        }),
        _ => Ok(Added::Patched(patched)),
    }
}

/// Takes out the block [`add_job`] inserted, restoring a job it replaced; `None` when there is
/// no such block (the installer added nothing, e.g. because an equivalent job was there before).
pub fn remove_job(text: &str) -> Result<Option<String>, SpliceError> {
    let lines = Lines::new(text);
    let Some(begin) = lines
        .iter()
        .position(|line| line.text.trim_start() == BEGIN)
    else {
        return Ok(None);
    };
    let end = (begin + 1..lines.len())
        .find(|&index| lines.get(index).text.trim_start() == END)
        .ok_or(SpliceError::UnterminatedBlock(begin + 1))?;
    let saved: Vec<&str> = (begin + 1..end)
        .filter_map(|index| lines.get(index).text.strip_prefix(SAVED))
        .map(|rest| rest.strip_prefix(' ').unwrap_or(rest))
        .collect();
    let end_line = lines.get(end);
    let mut start = lines.get(begin).start;
    let mut replacement = String::new();
    for (index, line) in saved.iter().enumerate() {
        replacement.push_str(line);
        if index + 1 < saved.len() || end_line.has_eol() {
            replacement.push_str(lines.eol);
        }
    }
    // A block appended to a file without a final newline was preceded by the newline it needed
    // and ends without one: take that newline out again.
    if saved.is_empty() && !end_line.has_eol() && begin > 0 {
        start = lines.get(begin - 1).start + lines.get(begin - 1).text.len();
    }
    let restored = format!("{}{replacement}{}", &text[..start], &text[end_line.end..]);
    Document::parse(&restored)?;
    Ok(Some(restored))
}

/// The names of jobs other than `pushgateway` that scrape the gateway's port on this machine:
/// with `honor_labels` both would write the same series (spec/installer.md §2.2), so the
/// installer warns about them. Empty for text that does not parse.
pub fn other_jobs_scraping(text: &str, job: JobSpec) -> Vec<String> {
    let Ok(doc) = Document::parse(text) else {
        return Vec::new();
    };
    doc.jobs()
        .unwrap_or_default()
        .iter()
        .filter(|item| job_name(item) != Some(JOB_NAME) && scrapes(item, job))
        .filter_map(|item| job_name(item).map(str::to_owned))
        .collect()
}

/// The lines of the job block, without markers, indented by `indent`.
fn job_lines(job: JobSpec, indent: &str, quote: char) -> [String; 4] {
    [
        format!("{indent}- job_name: {quote}{JOB_NAME}{quote}"),
        format!("{indent}  honor_labels: true"),
        format!("{indent}  static_configs:"),
        format!(
            "{indent}    - targets: [{quote}localhost:{}{quote}]",
            job.port
        ),
    ]
}

/// The job as the parser sees it, for the semantic check.
fn job_value(job: JobSpec) -> Value {
    let text = job_lines(job, "", '\'').join("\n");
    let mut items: Vec<Value> =
        yaml_serde::from_str(&text).expect("the job block is valid YAML by construction");
    items.pop().expect("the block is one list item")
}

fn job_name(item: &Value) -> Option<&str> {
    item.get("job_name").and_then(Value::as_str)
}

/// Whether an existing `pushgateway` job does what ours would: `honor_labels: true` and a static
/// target on this machine's gateway port.
fn is_equivalent(item: &Value, job: JobSpec) -> bool {
    item.get("honor_labels").and_then(Value::as_bool) == Some(true) && scrapes(item, job)
}

/// Whether a job has a static target on this machine's gateway port.
fn scrapes(item: &Value, job: JobSpec) -> bool {
    let accepted = [
        format!("localhost:{}", job.port),
        format!("127.0.0.1:{}", job.port),
        format!("[::1]:{}", job.port),
        format!("{}:{}", job.private_ip, job.port),
    ];
    let mut targets = item
        .get("static_configs")
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
        .filter_map(|config| config.get("targets").and_then(Value::as_sequence))
        .flatten()
        .filter_map(Value::as_str);
    targets.any(|t| accepted.iter().any(|a| a == t))
}

/// The parsed file: its top-level mapping (empty for an empty file).
struct Document {
    top: Mapping,
}

impl Document {
    fn parse(text: &str) -> Result<Document, SpliceError> {
        match yaml_serde::from_str::<Value>(text) {
            Ok(Value::Mapping(top)) => Ok(Document { top }),
            Ok(Value::Null) => Ok(Document {
                top: Mapping::new(),
            }),
            Ok(_) => Err(SpliceError::NotAMapping),
            Err(error) => Err(SpliceError::Yaml(error.to_string())),
        }
    }

    fn scrape_configs(&self) -> Option<&Value> {
        self.top.get("scrape_configs")
    }

    fn jobs(&self) -> Result<Vec<Value>, SpliceError> {
        match self.scrape_configs() {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Sequence(items)) => Ok(items.clone()),
            Some(_) => Err(SpliceError::NotAList),
        }
    }
}

/// One line of the file: byte offsets and text without its line ending.
#[derive(Debug, Clone, Copy)]
struct Line<'a> {
    start: usize,
    /// Just after the line ending (or the end of the file).
    end: usize,
    text: &'a str,
}

impl Line<'_> {
    fn has_eol(&self) -> bool {
        self.end > self.start + self.text.len()
    }

    fn indent(&self) -> usize {
        self.text.len() - self.text.trim_start_matches(' ').len()
    }

    fn is_blank_or_comment(&self) -> bool {
        let content = self.text.trim_start();
        content.is_empty() || content.starts_with('#')
    }

    /// The start of a list item at exactly `indent` spaces.
    fn is_item_at(&self, indent: usize) -> bool {
        self.indent() == indent && is_item_start(&self.text[indent..])
    }
}

fn is_item_start(content: &str) -> bool {
    content == "-" || content.starts_with("- ") || content.starts_with("-\t")
}

/// The file cut into lines, with the line ending it uses.
struct Lines<'a> {
    lines: Vec<Line<'a>>,
    eol: &'static str,
    source: &'a str,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Lines<'a> {
        let mut lines = Vec::new();
        let mut start = 0;
        while start < text.len() {
            let end = text[start..]
                .find('\n')
                .map_or(text.len(), |offset| start + offset + 1);
            let raw = &text[start..end];
            let content = raw.strip_suffix('\n').unwrap_or(raw);
            let content = content.strip_suffix('\r').unwrap_or(content);
            lines.push(Line {
                start,
                end,
                text: content,
            });
            start = end;
        }
        let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
        Lines {
            lines,
            eol,
            source: text,
        }
    }

    fn len(&self) -> usize {
        self.lines.len()
    }

    fn get(&self, index: usize) -> Line<'a> {
        self.lines[index]
    }

    fn iter(&self) -> impl Iterator<Item = &Line<'a>> {
        self.lines.iter()
    }

    /// Where line `index` starts, or the end of the file.
    fn offset(&self, index: usize) -> usize {
        self.lines
            .get(index)
            .map_or(self.source.len(), |line| line.start)
    }
}

/// The key of a top-level mapping entry on this line, unquoted: `scrape_configs` for
/// `scrape_configs:` or `"scrape_configs": # jobs`.
fn top_level_key(line: &str) -> Option<&str> {
    let first = line.chars().next()?;
    if first.is_whitespace() || "#-[{?&*!|>%@`".contains(first) {
        return None;
    }
    let (key, rest) = if first == '"' || first == '\'' {
        let close = line[1..].find(first)? + 1;
        (&line[1..close], line[close + 1..].trim_start_matches(' '))
    } else {
        let colon = line
            .match_indices(':')
            .map(|(at, _)| at)
            .find(|&at| matches!(line.as_bytes().get(at + 1), None | Some(b' ' | b'\t')))?;
        (line[..colon].trim_end(), &line[colon..])
    };
    rest.starts_with(':').then_some(key)
}

/// Whether a line ends the block of the top-level key above it: any non-comment line at
/// column 0 other than an item of an indentless list.
fn is_top_level_boundary(line: &Line<'_>) -> bool {
    !line.text.is_empty()
        && line.indent() == 0
        && !line.text.starts_with(['#', '\t'])
        && !is_item_start(line.text)
}

/// Where the job block goes.
#[derive(Debug)]
struct Place {
    /// The byte range of the file the block replaces (empty for an insertion).
    start: usize,
    end: usize,
    /// The indentation of list items.
    indent: String,
    /// Whether the block has to bring its own `scrape_configs:` line.
    with_key: bool,
}

fn locate(lines: &Lines<'_>, doc: &Document, replace: Option<usize>) -> Result<Place, SpliceError> {
    let layout = |what: &str| SpliceError::Layout(what.to_owned());
    let key_lines: Vec<usize> = (0..lines.len())
        .filter(|&index| top_level_key(lines.get(index).text) == Some("scrape_configs"))
        .collect();
    let Some(&key) = key_lines.first() else {
        if doc.scrape_configs().is_some() {
            return Err(layout("`scrape_configs` is not at the start of a line"));
        }
        return Ok(Place {
            start: lines.source.len(),
            end: lines.source.len(),
            indent: "  ".to_owned(),
            with_key: true,
        });
    };
    let key_line = lines.get(key);
    let after_colon = key_line.text[key_line.text.find(':').map_or(0, |at| at + 1)..].trim();
    let inline_value = match after_colon.split_once(" #") {
        Some((value, _comment)) => value.trim_end(),
        None if after_colon.starts_with('#') => "",
        None => after_colon,
    };
    match inline_value {
        "" => {}
        // An empty list or null on the key's line: the whole line is replaced by the block
        // (and kept in it, for remove_job).
        "[]" | "~" | "null" | "Null" | "NULL" => {
            return Ok(Place {
                start: key_line.start,
                end: key_line.end,
                indent: "  ".to_owned(),
                with_key: true,
            });
        }
        value => {
            return Err(SpliceError::InlineValue {
                line: key + 1,
                value: value.to_owned(),
            });
        }
    }
    let next_key = (key + 1..lines.len())
        .find(|&index| is_top_level_boundary(&lines.get(index)))
        .unwrap_or(lines.len());
    let body: Vec<usize> = (key + 1..next_key)
        .filter(|&index| !lines.get(index).is_blank_or_comment())
        .collect();
    let Some(&first) = body.first() else {
        // `scrape_configs:` with a null value: the items go right below the key.
        return Ok(Place {
            start: lines.offset(key + 1),
            end: lines.offset(key + 1),
            indent: "  ".to_owned(),
            with_key: false,
        });
    };
    let indent = lines.get(first).indent();
    let items: Vec<usize> = body
        .iter()
        .copied()
        .filter(|&index| lines.get(index).is_item_at(indent))
        .collect();
    let expected = doc.jobs()?.len();
    if items.first() != Some(&first) || items.len() != expected {
        return Err(layout(&format!(
            "found {} list items at {indent} spaces below `scrape_configs`, the parser found \
             {expected} jobs",
            items.len()
        )));
    }
    let last = *body.last().expect("body has a first line");
    let (start, end) = match replace {
        None => (lines.offset(last + 1), lines.offset(last + 1)),
        Some(index) => {
            let from = items[index];
            let until = items.get(index + 1).copied().unwrap_or(last + 1);
            // Comments and blank lines before the next item belong to that item.
            let until = (from + 1..until)
                .rev()
                .find(|&index| !lines.get(index).is_blank_or_comment())
                .map_or(from + 1, |index| index + 1);
            (lines.offset(from), lines.offset(until))
        }
    };
    Ok(Place {
        start,
        end,
        indent: " ".repeat(indent),
        with_key: false,
    })
}

/// The quote the file uses for job names: upstream's example uses `"`, Debian's and the
/// hands-on text `'`.
fn quote_style(lines: &Lines<'_>) -> char {
    lines
        .iter()
        .filter_map(|line| line.text.split_once("job_name:"))
        .find_map(|(_, value)| value.trim_start().chars().next())
        .filter(|&c| c == '"')
        .unwrap_or('\'')
}

fn splice(lines: &Lines<'_>, place: &Place, job: JobSpec, quote: char) -> String {
    let text_before = &lines.source[..place.start];
    let replaced = &lines.source[place.start..place.end];
    let text_after = &lines.source[place.end..];
    let marker_indent = if place.with_key { "" } else { &place.indent };
    let mut block = vec![format!("{marker_indent}{BEGIN}")];
    for line in Lines::new(replaced).iter() {
        if line.text.is_empty() {
            block.push(SAVED.to_owned());
        } else {
            block.push(format!("{SAVED} {}", line.text));
        }
    }
    if place.with_key {
        block.push("scrape_configs:".to_owned());
    }
    block.extend(job_lines(job, &place.indent, quote));
    block.push(format!("{marker_indent}{END}"));
    let eol = lines.eol;
    let mut block = block.join(eol);
    // The block ends with a line ending unless it replaces or follows the last line of a file
    // that has none: the file keeps its style, and remove_job can undo it exactly.
    let at_unterminated_end =
        place.end == lines.source.len() && !text_before.is_empty() && !lines.source.ends_with('\n');
    if at_unterminated_end {
        if place.start == place.end {
            block.insert_str(0, eol);
        }
    } else {
        block.push_str(eol);
    }
    format!("{text_before}{block}{text_after}")
}

/// Checks by parsing that `patched` is the original plus the job (or with the job replaced).
fn check_added(
    before: &Document,
    patched: &str,
    job: JobSpec,
    replace: Option<usize>,
) -> Result<(), SpliceError> {
    let after = Document::parse(patched)
        .map_err(|error| SpliceError::Layout(format!("the edited file does not parse: {error}")))?;
    let mut expected_jobs = before.jobs()?;
    match replace {
        Some(index) => expected_jobs[index] = job_value(job),
        None => expected_jobs.push(job_value(job)),
    }
    let mut expected = before.top.clone();
    expected.insert(
        Value::from("scrape_configs"),
        Value::Sequence(expected_jobs),
    );
    if after.top == expected {
        Ok(())
    } else {
        Err(SpliceError::Layout(
            "after the edit, the parsed file is not the original plus one job".to_owned(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::path::{Path, PathBuf};

    use super::*;

    const JOB: JobSpec = JobSpec {
        port: 9091,
        private_ip: Ipv4Addr::new(10, 0, 0, 5),
    };

    fn data_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("test_data/promyaml")
    }

    /// Every `before/NN_name.yml` against its expectations in `after/`: `NN_name.yml` (the file
    /// after the splice), or `NN_name.txt` (why nothing was written) plus `NN_name.force.yml`
    /// when `--force` would write. `UPDATE_EXPECT=1` rewrites the expectations.
    #[test]
    fn splice_before_after_files() {
        let update = std::env::var_os("UPDATE_EXPECT").is_some();
        let mut inputs: Vec<PathBuf> = fs::read_dir(data_dir().join("before"))
            .expect("test_data/promyaml/before")
            .map(|entry| entry.expect("a directory entry").path())
            .collect();
        inputs.sort();
        assert!(
            inputs.len() >= 20,
            "at least 20 cases, found {}",
            inputs.len()
        );
        let mut mismatches = Vec::new();
        for input in &inputs {
            let before = fs::read_to_string(input).expect("a UTF-8 test file");
            let stem = input
                .file_stem()
                .and_then(|s| s.to_str())
                .expect("a file name");
            let mut outputs: Vec<(String, String)> = Vec::new();
            match add_job(&before, JOB, OnConflict::Refuse) {
                Ok(Added::Patched(after)) => {
                    check_round_trip(stem, &before, &after);
                    outputs.push((format!("{stem}.yml"), after));
                }
                Ok(Added::AlreadyConfigured) => {
                    outputs.push((format!("{stem}.txt"), "already configured\n".to_owned()));
                }
                Err(error) => {
                    outputs.push((format!("{stem}.txt"), format!("error: {error}\n")));
                    if let SpliceError::Conflict { forced, .. } = &error {
                        let again = add_job(&before, JOB, OnConflict::Replace);
                        assert_eq!(again, Ok(Added::Patched(forced.clone())), "{stem}");
                        check_round_trip(stem, &before, forced);
                        outputs.push((format!("{stem}.force.yml"), forced.clone()));
                    }
                }
            }
            for (name, actual) in outputs {
                let path = data_dir().join("after").join(&name);
                if update {
                    fs::write(&path, &actual).expect("writing an expectation");
                } else if fs::read_to_string(&path).ok().as_deref() != Some(actual.as_str()) {
                    mismatches.push(format!("--- {name} (run with UPDATE_EXPECT=1)\n{actual}"));
                }
            }
        }
        assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    }

    /// The splice is undone byte for byte, and a second run changes nothing.
    #[track_caller]
    fn check_round_trip(stem: &str, before: &str, after: &str) {
        assert_eq!(
            add_job(after, JOB, OnConflict::Refuse),
            Ok(Added::AlreadyConfigured),
            "{stem}: a second run must find the job"
        );
        assert_eq!(
            remove_job(after),
            Ok(Some(before.to_owned())),
            "{stem}: remove_job must restore the original bytes"
        );
    }

    #[test]
    fn remove_job_without_block_changes_nothing() {
        assert_eq!(remove_job("scrape_configs:\n"), Ok(None));
        assert_eq!(
            remove_job(&format!("scrape_configs:\n  {BEGIN}\n")),
            Err(SpliceError::UnterminatedBlock(2))
        );
    }

    #[test]
    fn other_jobs_on_the_gateway_port_are_found() {
        let text = "scrape_configs:\n  - job_name: pushgateway\n    static_configs: [{targets: ['localhost:9091']}]\n  - job_name: old\n    static_configs: [{targets: ['127.0.0.1:9091']}]\n  - job_name: node\n    static_configs: [{targets: ['localhost:9100']}]\n";
        assert_eq!(other_jobs_scraping(text, JOB), ["old"]);
        assert!(other_jobs_scraping("not: [valid", JOB).is_empty());
    }

    #[test]
    fn top_level_keys() {
        assert_eq!(top_level_key("scrape_configs:"), Some("scrape_configs"));
        assert_eq!(top_level_key("scrape_configs: # c"), Some("scrape_configs"));
        assert_eq!(
            top_level_key("\"scrape_configs\" :"),
            Some("scrape_configs")
        );
        assert_eq!(top_level_key("'a:b': 1"), Some("a:b"));
        assert_eq!(top_level_key("url:http://x"), None);
        assert_eq!(top_level_key("  nested: 1"), None);
        assert_eq!(top_level_key("- item: 1"), None);
        assert_eq!(top_level_key("# key: 1"), None);
    }
}
