//! The Socket Mode fuzz harness on seeded random scripts (what the fuzz target explores
//! without end, a fixed sample of on every test run).

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

#[test]
fn random_scripts_keep_the_socket_mode_invariants() {
    let config = Config {
        cases: 1000,
        failure_persistence: None,
        ..Config::default()
    };
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[3; 32]);
    let mut runner = TestRunner::new_with_rng(config, rng);
    runner
        .run(&prop::collection::vec(any::<u8>(), 0..400), |script| {
            rtm_proto::fuzzing::socket_mode_inputs(&script);
            Ok(())
        })
        .unwrap();
}

#[test]
fn a_script_that_connects_refreshes_and_acks() {
    // start, web ok (conn 1), open, hello, envelope e0, warning, ... ack e0, tick.
    let script = [0, 0, 2, 1, 4, 0, 5, 0, 5, 6, 5, 1, 12, 0, 15, 2];
    rtm_proto::fuzzing::socket_mode_inputs(&script);
}
