//! Arbitrary bytes as a protobuf push body: see `pushgw_fuzz::proto_decode`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pushgw_fuzz::proto_decode(data));
