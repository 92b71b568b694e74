//! Float formatting against outputs of the Go toolchain the reference binary was built with.
//!
//! `render_data/go_floats.tsv` has one value per line: the IEEE-754 bits in hex, then Go 1.19's
//! `strconv.FormatFloat(v, 'g', -1, 64)`, `strconv.FormatFloat(v, 'f', -1, 64)` and
//! `fmt.Sprint(v)`. The values are hand-picked edge cases (layout thresholds, 2^53, extremes,
//! subnormals, common bucket bounds) plus seeded random bit patterns, integers and decimals.

use proptest::prelude::*;
use pushgw_core::float;

const GO_FLOATS: &str = include_str!("render_data/go_floats.tsv");

fn render(write: fn(&mut Vec<u8>, f64), value: f64) -> String {
    let mut out = Vec::new();
    write(&mut out, value);
    String::from_utf8(out).expect("float output is ASCII")
}

/// What `expfmt`'s writeFloat and writeOpenMetricsFloat make of FormatFloat's 'g' output.
fn go_text(value: f64, g: &str) -> String {
    if value == 0.0 {
        "0".to_owned()
    } else {
        g.to_owned()
    }
}

fn go_openmetrics(value: f64, g: &str) -> String {
    if value == 0.0 {
        "0.0".to_owned()
    } else if value.is_finite() && !g.contains(['.', 'e']) {
        format!("{g}.0")
    } else {
        g.to_owned()
    }
}

#[test]
fn matches_go_for_every_vector() {
    let mut checked = 0;
    for line in GO_FLOATS.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        let [bits, g, f, v] = fields[..] else {
            panic!("malformed vector line {line:?}");
        };
        let value = f64::from_bits(u64::from_str_radix(bits, 16).expect("hex bits"));
        assert_eq!(render(float::write_g, value), g, "'g' of {bits}");
        assert_eq!(render(float::write_f, value), f, "'f' of {bits}");
        assert_eq!(float::G(value).to_string(), v, "%v of {bits}");
        assert_eq!(float::F(value).to_string(), f, "'f' Display of {bits}");
        assert_eq!(
            render(float::write_text, value),
            go_text(value, g),
            "text of {bits}"
        );
        assert_eq!(
            render(float::write_openmetrics, value),
            go_openmetrics(value, g),
            "OpenMetrics of {bits}"
        );
        checked += 1;
    }
    assert!(checked > 2000, "only {checked} vectors");
}

/// Parses Go-layout output back as Rust does (`+Inf` needs its sign dropped).
fn parse_back(text: &str) -> f64 {
    match text {
        "+Inf" => f64::INFINITY,
        other => other.parse().expect("output parses as f64"),
    }
}

proptest! {
    #[test]
    fn every_layout_round_trips(bits in any::<u64>()) {
        let value = f64::from_bits(bits);
        prop_assume!(!value.is_nan());
        for write in [float::write_g, float::write_f, float::write_openmetrics] {
            let text = render(write, value);
            prop_assert_eq!(parse_back(&text).to_bits(), value.to_bits(), "{}", text);
        }
        let text = render(float::write_text, value);
        prop_assert_eq!(parse_back(&text), value);
    }

    #[test]
    fn decimal_looking_values_round_trip(mantissa in 0u64..100_000_000, scale in -20i32..20) {
        let value = mantissa as f64 * 10f64.powi(scale);
        let text = render(float::write_g, value);
        prop_assert_eq!(parse_back(&text), value);
    }
}
