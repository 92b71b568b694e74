//! Arbitrary bytes as a sequence of requests to one gateway: see `pushgw_fuzz::gateway_handle`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pushgw_fuzz::gateway_handle(data));
