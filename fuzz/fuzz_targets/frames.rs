//! Arbitrary bytes as an incoming frame (and as the answer of rtm.connect).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| rtm_proto::fuzzing::frames(data));
