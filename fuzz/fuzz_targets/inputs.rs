//! Arbitrary bytes decoded into a configuration and a sequence of inputs for the core.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| rtm_proto::fuzzing::inputs(data));
