//! Go's duration syntax (`time.ParseDuration` and `Duration.String`), as the reference's flags use it.
//!
//! `--persistence.interval=1h30m` must parse as in kingpin, and `/api/v1/status` must report the
//! value as Go prints it (`"1h30m0s"`). The push URL's `ttl` parameter (our extension) takes the
//! same syntax, which is why this lives in the core and not in the sidecar. Negative durations parse in Go but mean nothing for any of
//! our flags, so they are rejected here.

use std::fmt::Write as _;
use std::time::Duration;

/// Why a string is not a Go duration. Displays like Go's error (`time: invalid duration "abc"`).
///
/// ```
/// use pushgw_core::duration::{parse, DurationError};
/// assert_eq!(parse("5"), Err(DurationError::MissingUnit("5".into())));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Not of the form `[0-9]*(\.[0-9]*)?unit` repeated, or an unknown unit.
    #[error("time: invalid duration {0:?}")]
    Invalid(String),
    /// A unit is missing after a number (Go: `missing unit in duration`).
    #[error("time: missing unit in duration {0:?}")]
    MissingUnit(String),
    /// A unit Go does not know.
    #[error("time: unknown unit {unit:?} in duration {input:?}")]
    UnknownUnit {
        /// The unknown unit.
        unit: String,
        /// The whole input.
        input: String,
    },
    /// The value is negative or larger than Go's `time.Duration` (about 292 years).
    #[error("time: invalid duration {0:?} (must be between 0 and 292 years)")]
    OutOfRange(String),
}

const NANOS_PER_UNIT: [(&str, u128); 8] = [
    ("ns", 1),
    ("us", 1_000),
    ("µs", 1_000),
    ("μs", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
];

/// Parses a Go duration such as `5m`, `1h30m`, `100ms`, `1.5s` or `0`.
///
/// ```
/// use std::time::Duration;
/// use pushgw_core::duration::parse;
/// assert_eq!(parse("1h30m"), Ok(Duration::from_secs(5400)));
/// assert_eq!(parse("0"), Ok(Duration::ZERO));
/// assert!(parse("abc").is_err());
/// ```
pub fn parse(input: &str) -> Result<Duration, DurationError> {
    let invalid = || DurationError::Invalid(input.to_owned());
    let mut rest = input;
    let negative = match rest.as_bytes().first() {
        Some(b'-') => {
            rest = &rest[1..];
            true
        }
        Some(b'+') => {
            rest = &rest[1..];
            false
        }
        _ => false,
    };
    if rest == "0" {
        return Ok(Duration::ZERO);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (int_part, after_int) = rest.split_at(int_len);
        let (frac_part, after_number) = match after_int.strip_prefix('.') {
            Some(after_dot) => {
                let frac_len = after_dot.bytes().take_while(u8::is_ascii_digit).count();
                after_dot.split_at(frac_len)
            }
            None => ("", after_int),
        };
        if int_part.is_empty() && frac_part.is_empty() {
            return Err(invalid());
        }
        let unit_len = after_number
            .find(|c: char| c == '.' || c.is_ascii_digit())
            .unwrap_or(after_number.len());
        let (unit, after_unit) = after_number.split_at(unit_len);
        if unit.is_empty() {
            return Err(DurationError::MissingUnit(input.to_owned()));
        }
        let scale = NANOS_PER_UNIT
            .iter()
            .find(|(name, _)| *name == unit)
            .map(|(_, scale)| *scale)
            .ok_or_else(|| DurationError::UnknownUnit {
                unit: unit.to_owned(),
                input: input.to_owned(),
            })?;
        let whole: u128 = if int_part.is_empty() {
            0
        } else {
            int_part
                .parse()
                .map_err(|_| DurationError::OutOfRange(input.to_owned()))?
        };
        // Go keeps the fraction's digits as far as they matter at nanosecond precision.
        let mut fraction: u128 = 0;
        let mut fraction_scale: u128 = 1;
        for digit in frac_part.bytes().take(30) {
            fraction = fraction * 10 + u128::from(digit - b'0');
            fraction_scale *= 10;
        }
        total = whole
            .checked_mul(scale)
            .and_then(|nanos| nanos.checked_add(fraction * scale / fraction_scale))
            .and_then(|nanos| total.checked_add(nanos))
            .ok_or_else(|| DurationError::OutOfRange(input.to_owned()))?;
        rest = after_unit;
    }
    if total > i64::MAX as u128 {
        return Err(DurationError::OutOfRange(input.to_owned()));
    }
    if negative && total > 0 {
        return Err(DurationError::OutOfRange(input.to_owned()));
    }
    let nanos = u64::try_from(total).map_err(|_| DurationError::OutOfRange(input.to_owned()))?;
    Ok(Duration::from_nanos(nanos))
}

/// Formats like Go's `Duration.String`: `5m0s`, `1h30m0s`, `1.5s`, `100ms`, `0s`.
///
/// ```
/// use std::time::Duration;
/// use pushgw_core::duration::format;
/// assert_eq!(format(Duration::from_secs(300)), "5m0s");
/// assert_eq!(format(Duration::from_millis(100)), "100ms");
/// assert_eq!(format(Duration::ZERO), "0s");
/// ```
pub fn format(duration: Duration) -> String {
    let nanos = duration.as_nanos();
    let mut out = String::new();
    if nanos == 0 {
        return "0s".to_owned();
    }
    if nanos < 1_000_000_000 {
        let (scale, unit) = match nanos {
            n if n < 1_000 => (1, "ns"),
            n if n < 1_000_000 => (1_000, "µs"),
            _ => (1_000_000, "ms"),
        };
        write_fraction(&mut out, nanos, scale);
        out.push_str(unit);
        return out;
    }
    let seconds_part = nanos % 60_000_000_000;
    let minutes = nanos / 60_000_000_000;
    if minutes >= 60 {
        let _ = write!(out, "{}h", minutes / 60);
    }
    if minutes > 0 {
        let _ = write!(out, "{}m", minutes % 60);
    }
    write_fraction(&mut out, seconds_part, 1_000_000_000);
    out.push('s');
    out
}

/// Writes `value / scale` with the fraction's trailing zeros (and a bare dot) removed.
fn write_fraction(out: &mut String, value: u128, scale: u128) {
    let _ = write!(out, "{}", value / scale);
    let fraction = value % scale;
    if fraction != 0 {
        let width = scale.ilog10() as usize;
        let digits = format!("{fraction:0width$}");
        out.push('.');
        out.push_str(digits.trim_end_matches('0'));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_go_parses() {
        let cases = [
            ("0", Duration::ZERO),
            ("+0", Duration::ZERO),
            ("-0", Duration::ZERO),
            ("0s", Duration::ZERO),
            ("5m", Duration::from_secs(300)),
            ("1h30m", Duration::from_secs(5400)),
            ("100ms", Duration::from_millis(100)),
            ("1.5s", Duration::from_millis(1500)),
            (".5s", Duration::from_millis(500)),
            ("1.s", Duration::from_secs(1)),
            ("2h45m30.5s", Duration::from_millis(9_930_500)),
            ("10us", Duration::from_micros(10)),
            ("10µs", Duration::from_micros(10)),
            ("7ns", Duration::from_nanos(7)),
            ("1m1m", Duration::from_secs(120)),
        ];
        for (input, expected) in cases {
            assert_eq!(parse(input), Ok(expected), "{input}");
        }
    }

    #[test]
    fn rejects_what_go_rejects() {
        for input in [
            "", "abc", "5", "1.5", ".s", "-", "5x", "s", "1h-5m", "-5m", "9999999h",
        ] {
            assert!(parse(input).is_err(), "{input} parsed");
        }
        assert_eq!(
            parse("abc").unwrap_err().to_string(),
            r#"time: invalid duration "abc""#
        );
        assert_eq!(
            parse("5x").unwrap_err().to_string(),
            r#"time: unknown unit "x" in duration "5x""#
        );
    }

    #[test]
    fn formats_like_go() {
        let cases = [
            (Duration::ZERO, "0s"),
            (Duration::from_nanos(5), "5ns"),
            (Duration::from_nanos(1_500), "1.5µs"),
            (Duration::from_millis(100), "100ms"),
            (Duration::from_millis(1500), "1.5s"),
            (Duration::from_secs(1), "1s"),
            (Duration::from_secs(61), "1m1s"),
            (Duration::from_secs(300), "5m0s"),
            (Duration::from_secs(3600), "1h0m0s"),
            (Duration::from_secs(5400), "1h30m0s"),
            (Duration::from_secs(90_000), "25h0m0s"),
        ];
        for (duration, expected) in cases {
            assert_eq!(format(duration), expected);
        }
    }

    #[test]
    fn format_then_parse_is_identity() {
        for nanos in [1, 999, 1_000_001, 2_000_000_000, 7_322_000_000_123] {
            let duration = Duration::from_nanos(nanos);
            assert_eq!(parse(&format(duration)), Ok(duration));
        }
    }
}
