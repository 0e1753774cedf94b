//! The Socket Mode fuzz harness on seeded random scripts (what the fuzz target explores
//! without end, a fixed sample of on every test run).
// Needs the `fuzzing` feature (on through the dev-dependency on this crate; not in the packaged crate).
#![cfg(feature = "fuzzing")]

use std::cell::RefCell;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use rtm_proto::fuzzing::{Reached, socket_mode_inputs};

#[test]
fn random_scripts_keep_the_socket_mode_invariants() {
    let config = Config {
        cases: 1000,
        failure_persistence: None,
        ..Config::default()
    };
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[3; 32]);
    let mut runner = TestRunner::new_with_rng(config, rng);
    let total = RefCell::new((0usize, 0usize, 0usize, 0usize, 0usize));
    runner
        .run(&prop::collection::vec(any::<u8>(), 0..400), |script| {
            let r = socket_mode_inputs(&script);
            let mut t = total.borrow_mut();
            t.0 += usize::from(r.connected);
            t.1 += usize::from(r.refreshed);
            t.2 += r.envelopes;
            t.3 += r.acks;
            t.4 += usize::from(r.refreshing);
            Ok(())
        })
        .unwrap();
    // The sample reaches the deep states, or it would prove little.
    let (connected, refreshed, envelopes, acks, refreshing) = total.into_inner();
    assert!(refreshing > 10, "{refreshing} scripts began a refresh");
    assert!(connected > 100, "{connected} scripts connected");
    assert!(refreshed > 10, "{refreshed} scripts refreshed");
    assert!(
        envelopes > 100 && acks > 100,
        "{envelopes} envelopes, {acks} acks"
    );
}

#[test]
fn a_script_that_connects_and_delivers() {
    // start; web ok; open; hello; envelope e0; its ack (no payload).
    let script = [0, 0, 2, 1, 4, 0, 5, 0, 5, 6, 12, 4];
    let r = socket_mode_inputs(&script);
    assert_eq!(
        r,
        Reached {
            connected: true,
            refreshing: false,
            refreshed: false,
            envelopes: 1,
            acks: 1
        }
    );
}

#[test]
fn a_script_that_refreshes() {
    // start; web ok; hello; warning; the replacement's web ok; its hello.
    let script = [0, 0, 2, 1, 5, 0, 5, 1, 2, 1, 0x15, 0];
    let r = socket_mode_inputs(&script);
    assert!(r.connected && r.refreshed, "{r:?}");
}
