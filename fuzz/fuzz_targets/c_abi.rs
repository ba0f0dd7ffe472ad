#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| pushmetrics_fuzz_bodies::c_abi(data));
