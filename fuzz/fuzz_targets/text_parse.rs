//! Arbitrary bytes as a text-format push body: see `pushgw_fuzz::text_parse`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pushgw_fuzz::text_parse(data));
