//! Arbitrary bytes as the percent-decoded path after `/metrics/`: see `pushgw_fuzz::grouping_key`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pushgw_fuzz::grouping_key(data));
