//! Float formatting exactly as Go's `strconv` and `fmt` print floats in Prometheus formats.
//!
//! The reference Pushgateway prints every float through one of four Go routines, and clients see
//! the differences (`1e+06` in the text format, `1000000` in the web UI, `1.0` in OpenMetrics):
//!
//! | function              | Go equivalent                                   | used by                    |
//! |-----------------------|-------------------------------------------------|----------------------------|
//! | [`write_text`]        | `expfmt`'s `writeFloat` (text format 0.0.4)     | `text::render`             |
//! | [`write_openmetrics`] | `expfmt`'s `writeOpenMetricsFloat`              | `openmetrics::render`      |
//! | [`write_g`]           | `strconv.FormatFloat(v, 'g', -1, 64)`, `fmt.Sprint(v)` | the JSON API        |
//! | [`write_f`]           | `strconv.FormatFloat(v, 'f', -1, 64)`           | the web UI                 |
//!
//! All of them print the *shortest* decimal digits that parse back to the same `f64` (Rust and Go
//! agree on those digits); they differ only in layout and in special cases (spec §4.6). They append
//! to a `Vec<u8>` without allocating beyond the vector's own growth; [`G`] and [`F`] adapt the
//! two Go layouts to [`fmt::Display`]. This module knows nothing about metrics.
//!
//! ```
//! use pushgw_core::float;
//!
//! let mut out = Vec::new();
//! float::write_text(&mut out, 1e6);
//! out.push(b' ');
//! float::write_f(&mut out, 1e6);
//! assert_eq!(out, b"1e+06 1000000");
//! assert_eq!(float::G(-0.0).to_string(), "-0");
//! ```

use std::fmt;

/// Appends `value` as the text format 0.0.4 prints it (Go `expfmt`'s `writeFloat`).
///
/// `+Inf`, `-Inf` and `NaN` are spelled out, both zeros print `0`, and everything else is
/// [`write_g`]: shortest digits, scientific notation iff the decimal exponent is below −4 or at
/// least 6 (spec §4.6).
///
/// ```
/// let render = |v: f64| {
///     let mut out = Vec::new();
///     pushgw_core::float::write_text(&mut out, v);
///     String::from_utf8(out).unwrap()
/// };
/// assert_eq!(render(100000.0), "100000");
/// assert_eq!(render(1e6), "1e+06");
/// assert_eq!(render(123456789.0), "1.23456789e+08");
/// assert_eq!(render(0.0001), "0.0001");
/// assert_eq!(render(0.00001), "1e-05");
/// assert_eq!(render(-0.0), "0");
/// assert_eq!(render(f64::INFINITY), "+Inf");
/// ```
#[inline]
pub fn write_text(out: &mut Vec<u8>, value: f64) {
    if value == 0.0 {
        // Go's writeFloat tests `f == 0` first, which is also true for negative zero.
        out.push(b'0');
    } else {
        write_g(out, value);
    }
}

/// Appends `value` as the OpenMetrics encoder prints it (Go `expfmt`'s `writeOpenMetricsFloat`).
///
/// Like [`write_text`], but a result that has neither a `.` nor an `e` gets `.0` appended, so
/// that integers read as floats (`1.0`, `0.0`, `1000.0`).
///
/// ```
/// let render = |v: f64| {
///     let mut out = Vec::new();
///     pushgw_core::float::write_openmetrics(&mut out, v);
///     String::from_utf8(out).unwrap()
/// };
/// assert_eq!(render(1.0), "1.0");
/// assert_eq!(render(-0.0), "0.0");
/// assert_eq!(render(1e6), "1e+06");
/// assert_eq!(render(0.25), "0.25");
/// assert_eq!(render(f64::NAN), "NaN");
/// ```
#[inline]
pub fn write_openmetrics(out: &mut Vec<u8>, value: f64) {
    if value == 0.0 {
        out.extend_from_slice(b"0.0");
        return;
    }
    let start = out.len();
    write_g(out, value);
    let written = &out[start..];
    // Non-finite values are words, not numbers: they never get the suffix.
    if value.is_finite() && !written.iter().any(|&b| b == b'.' || b == b'e') {
        out.extend_from_slice(b".0");
    }
}

/// Appends `value` as Go's `strconv.FormatFloat(value, 'g', -1, 64)` does, which is also what
/// `fmt.Sprint(value)` (`%v`) prints for a `float64`.
///
/// Shortest round-trip digits; scientific notation (`d.ddde±XX`, exponent with sign and at least
/// two digits) iff the decimal exponent is below −4 or at least 6; `+Inf`, `-Inf`, `NaN`; negative
/// zero stays `-0`.
///
/// ```
/// let render = |v: f64| {
///     let mut out = Vec::new();
///     pushgw_core::float::write_g(&mut out, v);
///     String::from_utf8(out).unwrap()
/// };
/// assert_eq!(render(1.795620455253358e9), "1.795620455253358e+09");
/// assert_eq!(render(1.23456789012e11), "1.23456789012e+11");
/// assert_eq!(render(-0.0), "-0");
/// assert_eq!(render(1e-300), "1e-300");
/// ```
pub fn write_g(out: &mut Vec<u8>, value: f64) {
    g_into(out, value);
}

fn g_into(out: &mut impl Sink, value: f64) {
    if !value.is_finite() {
        write_non_finite(out, value);
        return;
    }
    if value.is_sign_negative() {
        out.push(b'-');
    }
    let magnitude = value.abs();
    if let Some(integer) = small_integer(magnitude) {
        if integer < 1_000_000 {
            write_u64_into(out, integer);
        } else {
            write_integer_exponential(out, integer);
        }
        return;
    }
    let mut buffer = zmij::Buffer::new();
    let text = buffer.format_finite(magnitude).as_bytes();
    if (1e-4..1e6).contains(&magnitude) {
        // Go's fixed layout (decimal exponent −4 to 5) lies within zmij's (−5 to 15), and for
        // non-integers (integers took the branch above) the two layouts are the same.
        out.extend_from_slice(text);
    } else if (1e6..SMALL_INTEGER_LIMIT).contains(&magnitude) {
        // zmij writes these in fixed notation, Go in exponent notation.
        write_fixed_as_exponential(out, text, magnitude);
    } else {
        Digits::from_zmij(text).write_g(out);
    }
}

/// Go's exponent layout of an integer in [10^6, 2^53): `d[.ddd]e+XX`, the integer's digits
/// without trailing zeros. Counters and counts usually take this path.
#[inline]
fn write_integer_exponential(out: &mut impl Sink, integer: u64) {
    let mut digits = [0u8; 24];
    let len = write_digits(&mut digits, integer);
    let mut significant = len;
    while significant > 1 && digits[significant - 1] == b'0' {
        significant -= 1;
    }
    // Below 2^53 there are at most 16 digits; copying a fixed 15 after the first (some of them
    // past the end, overwritten or cut off below) saves a variable-length copy.
    let mut buffer = [0u8; 24];
    buffer[0] = digits[0];
    buffer[1] = b'.';
    buffer[2..17].copy_from_slice(&digits[1..16]);
    let end = if significant > 1 { significant + 1 } else { 1 };
    write_exponent_suffix(&mut buffer[end..end + 4], len - 1);
    out.extend_from_array(&buffer, end + 4);
}

/// Turns zmij's fixed layout `IIIIIII.FFF` of a non-integer in [10^6, 2^53) into Go's
/// `I.IIIIIIFFFe+XX`. zmij writes no trailing zeros after the point, and the integer part is
/// that of the value itself (an integer between the value and its shortest digits would round
/// to itself, being exact), so the point is after as many digits as `magnitude as u64` has.
#[inline]
fn write_fixed_as_exponential(out: &mut impl Sink, text: &[u8], magnitude: f64) {
    let point = decimal_len(magnitude as u64);
    let (Some(b'.'), Some(&first)) = (text.get(point), text.first()) else {
        // Not zmij's fixed layout after all: take the general way.
        Digits::from_zmij(text).write_g(out);
        return;
    };
    let fraction = &text[point + 1..];
    let mut buffer = [0u8; 32];
    buffer[0] = first;
    buffer[1] = b'.';
    buffer[2..point + 1].copy_from_slice(&text[1..point]);
    buffer[point + 1..text.len()].copy_from_slice(fraction);
    write_exponent_suffix(&mut buffer[text.len()..text.len() + 4], point - 1);
    out.extend_from_array(&buffer, text.len() + 4);
}

/// `e+XX` for a decimal exponent from 0 to 99, into exactly four bytes.
#[inline]
fn write_exponent_suffix(suffix: &mut [u8], exponent: usize) {
    let pair = exponent % 100 * 2;
    suffix.copy_from_slice(&[b'e', b'+', DIGIT_PAIRS[pair], DIGIT_PAIRS[pair + 1]]);
}

/// Appends `value` as Go's `strconv.FormatFloat(value, 'f', -1, 64)` does, as the web UI shows
/// values: shortest round-trip digits, never an exponent; `+Inf`, `-Inf`, `NaN`; `-0`.
///
/// ```
/// let render = |v: f64| {
///     let mut out = Vec::new();
///     pushgw_core::float::write_f(&mut out, v);
///     String::from_utf8(out).unwrap()
/// };
/// assert_eq!(render(1e21), "1000000000000000000000");
/// assert_eq!(render(1.5e-7), "0.00000015");
/// assert_eq!(render(1.795620455253358e9), "1795620455.253358");
/// ```
pub fn write_f(out: &mut Vec<u8>, value: f64) {
    f_into(out, value);
}

fn f_into(out: &mut impl Sink, value: f64) {
    if !value.is_finite() {
        write_non_finite(out, value);
        return;
    }
    if value.is_sign_negative() {
        out.push(b'-');
    }
    let magnitude = value.abs();
    if let Some(integer) = small_integer(magnitude) {
        Digits::from_integer(integer).write_integer(out);
        return;
    }
    Digits::short_decimal(magnitude)
        .unwrap_or_else(|| Digits::shortest(magnitude))
        .write_fixed(out);
}

/// [`write_g`] as a [`fmt::Display`]: Go's `%v` / `FormatFloat(v, 'g', -1, 64)`. It formats on
/// the stack, without allocating.
///
/// ```
/// assert_eq!(pushgw_core::float::G(1e21).to_string(), "1e+21");
/// assert_eq!(format!("{}", pushgw_core::float::G(f64::NEG_INFINITY)), "-Inf");
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct G(pub f64);

impl fmt::Display for G {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buffer = StackBuffer::default();
        g_into(&mut buffer, self.0);
        f.pad(buffer.as_str())
    }
}

/// [`write_f`] as a [`fmt::Display`]: Go's `FormatFloat(v, 'f', -1, 64)`. It formats on the
/// stack, without allocating.
///
/// ```
/// assert_eq!(pushgw_core::float::F(1e6).to_string(), "1000000");
/// assert_eq!(pushgw_core::float::F(0.1).to_string(), "0.1");
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct F(pub f64);

impl fmt::Display for F {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buffer = StackBuffer::default();
        f_into(&mut buffer, self.0);
        f.pad(buffer.as_str())
    }
}

/// Where the layouts write: a `Vec` for the renderers, a [`StackBuffer`] for `Display`.
trait Sink {
    fn push(&mut self, byte: u8);
    fn extend_from_slice(&mut self, bytes: &[u8]);
    fn push_zeros(&mut self, count: usize);

    /// Appends `bytes[..len]`. Implementations may copy the whole array and cut it back, which
    /// compiles to a few fixed-size moves instead of a call to `memcpy`.
    fn extend_from_array<const N: usize>(&mut self, bytes: &[u8; N], len: usize) {
        self.extend_from_slice(&bytes[..len.min(N)]);
    }
}

impl Sink for Vec<u8> {
    #[inline]
    fn push(&mut self, byte: u8) {
        Vec::push(self, byte);
    }

    #[inline]
    fn extend_from_slice(&mut self, bytes: &[u8]) {
        Vec::extend_from_slice(self, bytes);
    }

    #[inline]
    fn push_zeros(&mut self, count: usize) {
        self.resize(self.len() + count, b'0');
    }

    #[inline]
    fn extend_from_array<const N: usize>(&mut self, bytes: &[u8; N], len: usize) {
        extend_from_array(self, bytes, len);
    }
}

/// Appends `bytes[..len]` (all of `bytes` if `len` is larger) by copying the whole array and
/// cutting `out` back: a few fixed-size moves instead of a call to `memcpy` for a short copy.
#[inline]
pub(crate) fn extend_from_array<const N: usize>(out: &mut Vec<u8>, bytes: &[u8; N], len: usize) {
    let end = out.len() + len.min(N);
    out.extend_from_slice(bytes);
    out.truncate(end);
}

/// A buffer on the stack large enough for any output: the longest is `write_f` of the smallest
/// subnormal, `0.` followed by 323 digits.
struct StackBuffer {
    bytes: [u8; 352],
    len: usize,
}

impl Default for StackBuffer {
    fn default() -> Self {
        StackBuffer {
            bytes: [0; 352],
            len: 0,
        }
    }
}

impl StackBuffer {
    fn as_str(&self) -> &str {
        // Every layout writes ASCII only.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }
}

impl Sink for StackBuffer {
    fn push(&mut self, byte: u8) {
        self.extend_from_slice(&[byte]);
    }

    fn extend_from_slice(&mut self, bytes: &[u8]) {
        // The buffer is sized for the longest output; should that ever be wrong, truncate
        // rather than panic.
        let end = (self.len + bytes.len()).min(self.bytes.len());
        let count = end - self.len;
        self.bytes[self.len..end].copy_from_slice(&bytes[..count]);
        self.len = end;
    }

    fn push_zeros(&mut self, count: usize) {
        let end = (self.len + count).min(self.bytes.len());
        self.bytes[self.len..end].fill(b'0');
        self.len = end;
    }
}

fn write_non_finite(out: &mut impl Sink, value: f64) {
    out.extend_from_slice(if value.is_nan() {
        b"NaN".as_slice()
    } else if value > 0.0 {
        b"+Inf"
    } else {
        b"-Inf"
    });
}

/// 2^53: below it, every integer is a float and [`small_integer`] applies.
const SMALL_INTEGER_LIMIT: f64 = 9_007_199_254_740_992.0;

/// The value as an integer if it is one below 2^53. For those, the integer's decimal digits are
/// exactly the shortest round-trip digits (neighbouring floats are at most 1 apart and any
/// shorter digit string differs by at least 1), so the general algorithm can be skipped: this is
/// the fast path for counters, bucket counts and bucket bounds.
#[inline]
fn small_integer(magnitude: f64) -> Option<u64> {
    if magnitude < SMALL_INTEGER_LIMIT {
        // The cast truncates (and, unlike `f64::trunc`, needs no libm call on baseline x86-64);
        // the value is an integer iff truncation changed nothing.
        let integer = magnitude as u64;
        (integer as f64 == magnitude).then_some(integer)
    } else {
        None
    }
}

/// Appends the integer `n` as [`write_text`] prints `n as f64`, which is how Go's text encoder
/// prints counts (converted to `float64`): plain digits below 10^6, `1.234567e+06` above.
#[inline]
pub(crate) fn write_text_u64(out: &mut Vec<u8>, n: u64) {
    if n < 1_000_000 {
        write_u64_into(out, n);
    } else if n < 1 << 53 {
        write_integer_exponential(out, n);
    } else {
        write_text(out, n as f64);
    }
}

/// Appends the decimal digits of `n` (Go's `strconv.AppendUint(.., 10)`).
#[inline]
pub(crate) fn write_u64(out: &mut Vec<u8>, n: u64) {
    write_u64_into(out, n);
}

#[inline]
fn write_u64_into(out: &mut impl Sink, n: u64) {
    let mut buf = [0u8; 24];
    let len = write_digits(&mut buf, n);
    out.extend_from_array(&buf, len);
}

/// The number of decimal digits of `n`: 1 to 20.
#[inline]
fn decimal_len(n: u64) -> usize {
    n.checked_ilog10().map_or(1, |log| log as usize + 1)
}

/// Writes the decimal digits of `n` to the start of `buf` and returns how many there are (at
/// most 20). Below 10^16 (every integer a float holds exactly) eight digits at a time.
#[inline(always)]
fn write_digits(buf: &mut [u8; 24], n: u64) -> usize {
    const TEN_TO_THE_8: u64 = 100_000_000;
    if n < TEN_TO_THE_8 {
        write_up_to_eight_digits(buf, n)
    } else if n < TEN_TO_THE_8 * TEN_TO_THE_8 {
        let high_len = write_up_to_eight_digits(buf, n / TEN_TO_THE_8);
        let low = eight_digits(n % TEN_TO_THE_8) | ASCII_ZEROS;
        buf[high_len..high_len + 8].copy_from_slice(&low.to_le_bytes());
        high_len + 8
    } else {
        write_digits_by_pairs(buf, n)
    }
}

/// `b'0'` in every byte of a word.
const ASCII_ZEROS: u64 = 0x3030_3030_3030_3030;

/// The digits of `n < 10^8` without leading zeros ("0" for zero) at the start of `buf`.
#[inline]
fn write_up_to_eight_digits(buf: &mut [u8; 24], n: u64) -> usize {
    let digits = eight_digits(n);
    // The leading zero digits are the low zero bytes; zero itself keeps one digit.
    let leading_zeros = (digits.trailing_zeros() / 8).min(7);
    let text = (digits | ASCII_ZEROS) >> (8 * leading_zeros);
    buf[..8].copy_from_slice(&text.to_le_bytes());
    8 - leading_zeros as usize
}

/// The eight decimal digits of `n < 10^8` as byte values 0 to 9, the most significant in the
/// lowest byte (so that `to_le_bytes` gives them in reading order).
///
/// Each step splits every lane of the word in two at once, with division by a constant done as
/// multiplication and shift (exact in the lane's range): 8 digits into two halves of 4 in 32-bit
/// lanes (`/ 10_000`), each into two pairs in 16-bit lanes (`x / 100 = x * 10486 >> 20` for
/// `x < 10^4`), each into two digits in bytes (`x / 10 = x * 103 >> 10` for `x < 100`). No
/// product reaches into the next lane.
#[inline]
fn eight_digits(n: u64) -> u64 {
    let halves = (n / 10_000) | ((n % 10_000) << 32);
    let hundreds = ((halves * 10_486) >> 20) & 0x0000_007F_0000_007F;
    let pairs = hundreds | ((halves - hundreds * 100) << 16);
    let tens = ((pairs * 103) >> 10) & 0x000F_000F_000F_000F;
    tens | ((pairs - tens * 10) << 8)
}

/// [`write_digits`] for any `u64`, two digits at a time from the last.
fn write_digits_by_pairs(buf: &mut [u8; 24], mut n: u64) -> usize {
    let len = decimal_len(n);
    let mut pos = len;
    while n >= 100 {
        let pair = (n % 100) as usize * 2;
        n /= 100;
        pos -= 2;
        buf[pos..pos + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    }
    if n >= 10 {
        let pair = n as usize * 2;
        buf[0..2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    } else {
        buf[0] = b'0' + n as u8;
    }
    len
}

/// Appends the decimal digits of `n`, with a `-` if negative (Go's `strconv.AppendInt(.., 10)`).
#[inline]
pub(crate) fn write_i64(out: &mut Vec<u8>, n: i64) {
    if n < 0 {
        out.push(b'-');
    }
    write_u64(out, n.unsigned_abs());
}

const DIGIT_PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Shortest round-trip decimal digits of a positive finite float, in Go's `decimalSlice` terms:
/// the value is `0.d1 d2 … dn × 10^point`.
struct Digits {
    digits: [u8; 24],
    len: usize,
    point: i32,
}

impl Digits {
    fn from_integer(n: u64) -> Self {
        let mut digits = [0u8; 24];
        let len = write_digits(&mut digits, n);
        Digits {
            digits,
            len,
            point: len as i32,
        }
    }

    /// The digits of a value below 10^6 with at most nine decimals (`0.005`, `17.25`, `1.5e-7`),
    /// found without the general algorithm: bucket bounds, quantiles and many gauges look so.
    ///
    /// If `m / 10^9` (one correctly rounded IEEE division, hence exactly what parsing the decimal
    /// `m`e-9 gives) equals the value, the decimal round-trips. With `m` below 10^15 it has at
    /// most 15 significant digits, and distinct decimals of at most 15 digits never parse to the
    /// same `f64` (`DBL_DIG`), so no other decimal that short exists: these are the shortest
    /// digits. A wrong guess for `m` (the multiplication rounds) only means the check fails and
    /// the general algorithm runs.
    #[inline]
    fn short_decimal(magnitude: f64) -> Option<Self> {
        const SCALE: f64 = 1e9;
        if magnitude >= 1e6 {
            return None;
        }
        // Round to nearest by adding a half and truncating; a wrong neighbour fails the check.
        let scaled = (magnitude * SCALE + 0.5) as u64;
        if scaled == 0 || scaled as f64 / SCALE != magnitude {
            return None;
        }
        let mut digits = Digits::from_integer(scaled);
        digits.point -= 9;
        digits.trim_trailing_zeros();
        Some(digits)
    }

    /// The shortest round-trip digits, from `zmij` (Schubfach). It picks the same digits as Go's
    /// Ryū-based shortest mode, including round-half-even on exact ties, where the standard
    /// library's `{:e}` rounds half up (`1.5339791363072592e+15`: Go and zmij end in 2, std in 3).
    /// Its layout (`0.00123`, `1234.5`, `1e+300`) is parsed back into digits and a point.
    fn shortest(magnitude: f64) -> Self {
        let mut buffer = zmij::Buffer::new();
        Digits::from_zmij(buffer.format_finite(magnitude).as_bytes())
    }

    /// The digits and point of zmij's output for a positive finite float.
    fn from_zmij(text: &[u8]) -> Self {
        let (mantissa, exponent) = match text.iter().position(|&b| b == b'e') {
            Some(e) => (&text[..e], parse_exponent(&text[e + 1..])),
            None => (text, 0),
        };
        let (integer, fraction) = match mantissa.iter().position(|&b| b == b'.') {
            Some(dot) => (&mantissa[..dot], &mantissa[dot + 1..]),
            None => (mantissa, &[][..]),
        };
        // zmij's whole output fits in 24 bytes, so its digits do too.
        let mut digits = [0u8; 24];
        let (len, point) = if integer == b"0" {
            // `0.00123`: the zeros after the point shift it; they are not digits.
            let zeros = fraction.iter().take_while(|&&b| b == b'0').count();
            let significant = &fraction[zeros..];
            digits[..significant.len()].copy_from_slice(significant);
            (significant.len(), exponent - zeros as i32)
        } else {
            let len = integer.len() + fraction.len();
            digits[..integer.len()].copy_from_slice(integer);
            digits[integer.len()..len].copy_from_slice(fraction);
            (len, exponent + integer.len() as i32)
        };
        let mut result = Digits { digits, len, point };
        result.trim_trailing_zeros();
        result
    }

    /// Go's `%g` layout (`FormatFloat(.., 'g', -1, 64)`): exponent notation iff the decimal
    /// exponent is below −4 or at least 6.
    fn write_g(&self, out: &mut impl Sink) {
        let exponent = self.point - 1;
        if (-4..6).contains(&exponent) {
            self.write_fixed(out);
        } else {
            self.write_exponential(out);
        }
    }

    fn trim_trailing_zeros(&mut self) {
        while self.len > 1 && self.digits[self.len - 1] == b'0' {
            self.len -= 1;
        }
    }

    /// Go's `fmtE` with precision `len - 1`: `d[.ddd]e±XX`.
    fn write_exponential(&self, out: &mut impl Sink) {
        out.push(self.digits[0]);
        if self.len > 1 {
            out.push(b'.');
            out.extend_from_slice(&self.digits[1..self.len]);
        }
        let exponent = self.point - 1;
        out.push(b'e');
        out.push(if exponent < 0 { b'-' } else { b'+' });
        let exponent = exponent.unsigned_abs();
        if exponent < 10 {
            out.push(b'0');
        }
        Digits::from_integer(u64::from(exponent)).write_integer(out);
    }

    /// Go's `fmtF` with precision `max(len - point, 0)`: integer part (at least `0`), then the
    /// fraction if any digit lies right of the point.
    /// The digits as they are: for integers, whose `point` equals `len`.
    fn write_integer(&self, out: &mut impl Sink) {
        out.extend_from_slice(&self.digits[..self.len]);
    }

    fn write_fixed(&self, out: &mut impl Sink) {
        let digits = &self.digits[..self.len];
        if self.point > 0 {
            let point = self.point as usize;
            if point >= digits.len() {
                out.extend_from_slice(digits);
                out.push_zeros(point - digits.len());
            } else {
                out.extend_from_slice(&digits[..point]);
                out.push(b'.');
                out.extend_from_slice(&digits[point..]);
            }
        } else {
            out.extend_from_slice(b"0.");
            out.push_zeros(self.point.unsigned_abs() as usize);
            out.extend_from_slice(digits);
        }
    }
}

/// The exponent after zmij's `e`: an optional sign, then decimal digits.
fn parse_exponent(text: &[u8]) -> i32 {
    let (negative, digits) = match text {
        [b'-', digits @ ..] => (true, digits),
        [b'+', digits @ ..] => (false, digits),
        digits => (false, digits),
    };
    let magnitude = digits
        .iter()
        .fold(0i32, |acc, &d| acc * 10 + i32::from(d.wrapping_sub(b'0')));
    if negative { -magnitude } else { magnitude }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[track_caller]
    fn check(write: fn(&mut Vec<u8>, f64), value: f64, expected: &str) {
        let mut out = Vec::new();
        write(&mut out, value);
        assert_eq!(String::from_utf8(out).unwrap(), expected, "value {value:e}");
    }

    #[test]
    fn g_layout_switches_at_exponent_minus_five_and_six() {
        check(write_g, 999999.0, "999999");
        check(write_g, 999999.5, "999999.5");
        check(write_g, 1e6, "1e+06");
        check(write_g, 1234567.0, "1.234567e+06");
        check(write_g, 0.0001, "0.0001");
        check(write_g, 0.00012345, "0.00012345");
        check(write_g, 0.00001, "1e-05");
        check(write_g, 1e100, "1e+100");
        check(write_g, 5e-324, "5e-324");
        check(write_g, f64::MAX, "1.7976931348623157e+308");
    }

    #[test]
    fn integers_beyond_two_to_the_53_take_the_general_path() {
        check(write_g, 9007199254740992.0, "9.007199254740992e+15");
        check(write_g, 9007199254740994.0, "9.007199254740994e+15");
        check(write_g, u64::MAX as f64, "1.8446744073709552e+19");
        check(write_f, u64::MAX as f64, "18446744073709552000");
        check(write_f, 9007199254740991.0, "9007199254740991");
    }

    #[test]
    fn f_pads_with_zeros_on_both_sides() {
        check(write_f, 1e22, "10000000000000000000000");
        check(write_f, 1.5e-7, "0.00000015");
        check(write_f, 123.456, "123.456");
        check(write_f, -0.0, "-0");
        check(write_f, f64::NAN, "NaN");
    }

    #[test]
    fn integers_print_all_digits() {
        for (n, expected) in [
            (0, "0"),
            (7, "7"),
            (42, "42"),
            (100, "100"),
            (u64::MAX, "18446744073709551615"),
        ] {
            let mut out = Vec::new();
            write_u64(&mut out, n);
            assert_eq!(out, expected.as_bytes());
        }
        let mut out = Vec::new();
        write_i64(&mut out, i64::MIN);
        assert_eq!(out, b"-9223372036854775808");
    }

    /// `write_g` by the general algorithm alone (zmij's digits, parsed, laid out), without the
    /// fast paths for integers, Go's fixed range and [10^6, 2^53): what they must agree with.
    fn g_reference(value: f64) -> String {
        let mut out = Vec::new();
        if !value.is_finite() {
            write_non_finite(&mut out, value);
        } else {
            if value.is_sign_negative() {
                out.push(b'-');
            }
            let digits = if value == 0.0 {
                Digits::from_integer(0)
            } else {
                Digits::shortest(value.abs())
            };
            digits.write_g(&mut out);
        }
        String::from_utf8(out).expect("ASCII")
    }

    fn g(value: f64) -> String {
        let mut out = Vec::new();
        write_g(&mut out, value);
        String::from_utf8(out).expect("ASCII")
    }

    /// Floats around every layout threshold and fast-path boundary: powers of ten (and their
    /// neighbours) from 10^-6 to 10^22, 2^52 and 2^53, integers and non-integers on both sides.
    fn edge_values() -> Vec<f64> {
        let mut values = vec![0.0, -0.0, 1e21, 1e22, 2f64.powi(52), 2f64.powi(53)];
        for exponent in -6..=22 {
            values.push(10f64.powi(exponent));
        }
        for value in values.clone() {
            values.push(f64::from_bits(value.to_bits() + 1));
            values.push(f64::from_bits(value.to_bits().saturating_sub(1)));
        }
        values.extend([
            999_999.5,
            999_999.999_999_9,
            1_000_000.5,
            4_503_599_627_370_495.5,
        ]);
        values.extend(values.clone().iter().map(|v| -v));
        values
    }

    #[test]
    fn fast_paths_agree_with_the_general_algorithm_at_the_edges() {
        for value in edge_values() {
            assert_eq!(g(value), g_reference(value), "value {value:e}");
        }
        check(write_g, 1e21, "1e+21");
        check(write_g, 1_000_000.5, "1.0000005e+06");
        check(write_g, 4_503_599_627_370_495.5, "4.5035996273704955e+15");
        check(write_g, 9_007_199_254_740_991.0, "9.007199254740991e+15");
        check(write_g, 123_000_000.0, "1.23e+08");
    }

    /// Floats that exercise every path: any bit pattern, integers of any size (most near 2^53),
    /// decimals with few digits, and values just off them.
    fn interesting_float() -> impl Strategy<Value = f64> {
        prop_oneof![
            any::<u64>().prop_map(f64::from_bits),
            (0u64..1 << 54).prop_map(|n| n as f64),
            (0u64..1 << 12).prop_map(|n| ((1u64 << 53) - (1 << 11) + n) as f64),
            (0u64..1 << 53, 0u32..64).prop_map(|(n, shift)| (n >> shift) as f64),
            (0u64..10_000_000_000, -12i32..23).prop_map(|(n, e)| n as f64 * 10f64.powi(e)),
            (1.0..10.0f64, -8i32..20).prop_map(|(m, e)| m * 10f64.powi(e)),
            (-1e17..1e17f64),
            (-1e6..1e6f64),
            (-1.0..1.0f64),
        ]
        .prop_flat_map(|value| {
            prop_oneof![
                Just(value),
                Just(-value),
                Just(f64::from_bits(value.to_bits().wrapping_add(1))),
            ]
        })
    }

    proptest::proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        #[test]
        fn fast_paths_agree_with_the_general_algorithm(value in interesting_float()) {
            proptest::prop_assert_eq!(g(value), g_reference(value), "value {:e}", value);
        }
    }

    proptest::proptest! {
        #[test]
        fn integers_print_as_their_float(n in prop_oneof![
            any::<u64>(),
            0u64..10_000_000,
            (1u64 << 53) - 1000..(1u64 << 53) + 1000,
        ]) {
            let mut direct = Vec::new();
            write_text_u64(&mut direct, n);
            let mut converted = Vec::new();
            write_text(&mut converted, n as f64);
            proptest::prop_assert_eq!(direct, converted, "n {}", n);
        }
    }

    proptest::proptest! {
        #[test]
        fn integers_print_as_std_prints_them(n in prop_oneof![
            any::<u64>(),
            (0u64..64).prop_flat_map(|bits| 0..=u64::MAX >> bits),
            (0u32..20).prop_map(|power| 10u64.pow(power)),
            (1u32..20).prop_map(|power| 10u64.pow(power) - 1),
        ]) {
            let expected = n.to_string();
            let mut out = Vec::new();
            write_u64(&mut out, n);
            proptest::prop_assert_eq!(&out, expected.as_bytes());
            let mut buf = [0u8; 24];
            let len = write_digits_by_pairs(&mut buf, n);
            proptest::prop_assert_eq!(&buf[..len], expected.as_bytes());
        }
    }

    #[test]
    fn openmetrics_suffix_only_for_integral_layouts() {
        check(write_openmetrics, -1.0, "-1.0");
        check(write_openmetrics, 100000.0, "100000.0");
        check(write_openmetrics, 1e-5, "1e-05");
        check(write_openmetrics, f64::NEG_INFINITY, "-Inf");
    }
}
