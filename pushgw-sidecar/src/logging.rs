//! The log: `tracing` events written to stderr as logfmt lines like the Go gateway's
//! (`ts=2026-11-25T15:28:44.002Z caller=server.rs:120 level=info msg="Listening on" address=…`)
//! or as JSON objects (`--log.format=json`), filtered by `--log.level` (spec §9.4).
//!
//! The exact format is not part of the compatibility contract; the key names are kept so that
//! log pipelines written for the reference keep finding `level` and `msg`.

use std::fmt::{self, Write as _};
use std::io::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::{Context, SubscriberExt as _};
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{Layer, Registry};

use crate::flags::{LogFormat, LogLevel};

/// Installs the global logger. Only events of this crate are shown.
pub fn init(level: LogLevel, format: LogFormat) {
    let filter = match level {
        LogLevel::Debug => LevelFilter::DEBUG,
        LogLevel::Info => LevelFilter::INFO,
        LogLevel::Warn => LevelFilter::WARN,
        LogLevel::Error => LevelFilter::ERROR,
    };
    let layer = LineLayer { format }.with_filter(filter).with_filter(
        tracing_subscriber::filter::filter_fn(|metadata| metadata.target().starts_with("pushgw")),
    );
    // A second initialisation (tests) keeps the first logger; nothing to report.
    let _ = Registry::default().with(layer).try_init();
}

struct LineLayer {
    format: LogFormat,
}

impl<S: Subscriber> Layer<S> for LineLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let metadata = event.metadata();
        let caller = format!(
            "{}:{}",
            metadata
                .file()
                .and_then(|file| file.rsplit('/').next())
                .unwrap_or("?"),
            metadata.line().unwrap_or(0)
        );
        let level = match *metadata.level() {
            Level::TRACE | Level::DEBUG => "debug",
            Level::INFO => "info",
            Level::WARN => "warn",
            Level::ERROR => "error",
        };
        let ts = rfc3339_millis(SystemTime::now());
        let line = match self.format {
            LogFormat::Logfmt => logfmt_line(&ts, &caller, level, &fields),
            LogFormat::Json => json_line(&ts, &caller, level, &fields),
        };
        // One write per line so that concurrent events never interleave.
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }
}

/// The message and the other fields of one event, in the order they were given.
#[derive(Default)]
struct Fields {
    message: String,
    pairs: Vec<(&'static str, String)>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.push(field, value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.push(field, format!("{value:?}"));
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        // Errors read best with their causes, as anyhow's `{:#}` prints them.
        let mut text = value.to_string();
        let mut source = value.source();
        while let Some(cause) = source {
            let _ = write!(text, ": {cause}");
            source = cause.source();
        }
        self.push(field, text);
    }
}

impl Fields {
    fn push(&mut self, field: &Field, value: String) {
        if field.name() == "message" {
            self.message = value;
        } else {
            self.pairs.push((field.name(), value));
        }
    }
}

fn logfmt_line(ts: &str, caller: &str, level: &str, fields: &Fields) -> String {
    let mut line = format!("ts={ts} caller={caller} level={level}");
    if !fields.message.is_empty() {
        line.push_str(" msg=");
        push_logfmt_value(&mut line, &fields.message);
    }
    for (key, value) in &fields.pairs {
        let _ = write!(line, " {key}=");
        push_logfmt_value(&mut line, value);
    }
    line.push('\n');
    line
}

/// Quotes a value when logfmt needs it (spaces, `=`, quotes, control characters, empty).
fn push_logfmt_value(line: &mut String, value: &str) {
    let needs_quotes = value.is_empty()
        || value
            .chars()
            .any(|c| c <= ' ' || c == '=' || c == '"' || c == '\u{7f}');
    if needs_quotes {
        let _ = write!(line, "{value:?}");
    } else {
        line.push_str(value);
    }
}

fn json_line(ts: &str, caller: &str, level: &str, fields: &Fields) -> String {
    let mut object = serde_json::Map::new();
    object.insert("ts".to_owned(), ts.into());
    object.insert("caller".to_owned(), caller.into());
    object.insert("level".to_owned(), level.into());
    object.insert("msg".to_owned(), fields.message.clone().into());
    for (key, value) in &fields.pairs {
        object.insert((*key).to_owned(), value.clone().into());
    }
    let mut line = serde_json::Value::Object(object).to_string();
    line.push('\n');
    line
}

/// `2026-11-25T15:28:44.002Z`: UTC with milliseconds, as the Go gateway logs.
fn rfc3339_millis(time: SystemTime) -> String {
    let since_epoch = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let seconds = since_epoch.as_secs();
    let (year, month, day) = civil_from_days((seconds / 86_400) as i64);
    let second_of_day = seconds % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60,
        since_epoch.subsec_millis()
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn timestamps_are_utc_with_milliseconds() {
        let cases = [
            (0, "1970-01-01T00:00:00.000Z"),
            (951_782_400_123, "2000-02-29T00:00:00.123Z"),
            (1_795_620_524_002, "2026-11-25T15:28:44.002Z"),
        ];
        for (millis, expected) in cases {
            let time = UNIX_EPOCH + Duration::from_millis(millis);
            assert_eq!(rfc3339_millis(time), expected);
        }
    }

    #[test]
    fn logfmt_quotes_only_when_needed() {
        let fields = Fields {
            message: "metrics persisted".to_owned(),
            pairs: vec![
                ("file", "/var/lib/x.data".to_owned()),
                ("err", "say \"no\"".to_owned()),
                ("empty", String::new()),
            ],
        };
        assert_eq!(
            logfmt_line("T", "x.rs:1", "info", &fields),
            "ts=T caller=x.rs:1 level=info msg=\"metrics persisted\" file=/var/lib/x.data \
             err=\"say \\\"no\\\"\" empty=\"\"\n"
        );
    }

    #[test]
    fn json_lines_are_objects() {
        let fields = Fields {
            message: "Listening on".to_owned(),
            pairs: vec![("address", "127.0.0.1:9091".to_owned())],
        };
        let line = json_line("T", "x.rs:1", "info", &fields);
        let value: serde_json::Value = serde_json::from_str(&line).expect("valid JSON");
        assert_eq!(value["msg"], "Listening on");
        assert_eq!(value["address"], "127.0.0.1:9091");
        assert_eq!(value["level"], "info");
    }
}
