//! The Socket Mode client against the model's Socket Mode on virtual time: scripted
//! scenarios and seeded-random schedules of refreshes, closes, TCP drops, half-open
//! sockets, slow acks and redeliveries.

use std::collections::BTreeSet;
use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::{Config as PtConfig, RngAlgorithm, TestRng, TestRunner};
use rtm_proto::{Action, SocketModeConfig, SocketModeError, SocketModeEvent};
use rtm_testkit::model::SocketModeConfig as ModelConfig;
use rtm_testkit::sim::socket_mode::SocketModeSim;
use rtm_testkit::{Fault, Target, Workspace};
use serde_json::json;

const MS: fn(u64) -> Duration = Duration::from_millis;
const S: fn(u64) -> Duration = Duration::from_secs;

fn sim() -> SocketModeSim {
    sim_with(3)
}

/// `max_retries` of the model: Slack's 3, or more where faults could eat every attempt of
/// an envelope (three half-open sockets in a row lose it at Slack too; the invariants are
/// about the client).
fn sim_with(max_retries: u32) -> SocketModeSim {
    let config = SocketModeConfig::default()
        .with_ping_interval(S(2))
        .with_pong_timeout(S(2))
        .with_idle_timeout(S(5))
        .with_refresh_lead(S(15));
    let mut sim = SocketModeSim::new(config, Workspace::default()).unwrap();
    sim.set_model_config(ModelConfig {
        ack_timeout: S(3),
        max_retries,
        connection_lifetime: S(60),
        warning_lead: S(10),
        close_grace: S(1),
        ..ModelConfig::default()
    });
    sim
}

fn post(sim: &mut SocketModeSim, n: u64) -> String {
    let payload = json!({"type":"event_callback","team_id":"T1","event_id":format!("Ev{n}"),
        "event":{"type":"message","text":format!("m{n}")}});
    sim.post_envelope("events_api", &payload, false).unwrap()
}

/// The invariants of a run that ended quietly.
fn check(sim: &SocketModeSim, no_gap: bool) {
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
    assert!(sim.max_sockets() <= 2, "at most two sockets");
    let rec = sim.model().socket_mode_record();
    let sent: BTreeSet<&str> = rec
        .envelopes_sent
        .iter()
        .map(|e| e.envelope_id.as_str())
        .collect();
    let mut delivered = BTreeSet::new();
    for id in sim.delivered() {
        assert!(delivered.insert(id.as_str()), "delivered twice: {id}");
    }
    assert_eq!(delivered, sent, "every envelope sent is delivered, once");
    for id in &sent {
        assert!(
            rec.acks.iter().any(|a| a.envelope_id == *id && a.known),
            "{id} never acked"
        );
    }
    if no_gap {
        for app in &rec.apps {
            assert!(!app.had_gap(), "a gap: {:?}", app.offline);
        }
    }
}

fn connected(sim: &mut SocketModeSim) {
    sim.start();
    sim.run_for(S(1));
    assert!(sim.client().is_connected(), "{:?}", sim.state());
}

#[test]
fn a_refresh_overlaps_and_nothing_is_lost_or_doubled() {
    let mut sim = sim();
    connected(&mut sim);
    let first = sim.client().live_conn();
    for n in 0..60 {
        if n == 10 {
            sim.inject(Target::All, Fault::Refresh);
        }
        post(&mut sim, n);
        sim.run_for(MS(500));
    }
    sim.run_for(S(20));
    assert_ne!(sim.client().live_conn(), first, "refreshed");
    assert_eq!(sim.delivered().len(), 60);
    check(&sim, true);
    assert_eq!(sim.max_sockets(), 2, "the refresh overlapped");
}

#[test]
fn the_lifetime_refresh_has_no_gap() {
    let mut sim = sim();
    connected(&mut sim);
    for n in 0..300 {
        post(&mut sim, n);
        sim.run_for(MS(700));
    }
    sim.run_for(S(10));
    let refreshes = sim
        .log()
        .iter()
        .flat_map(|(_, _, a)| a)
        .filter(|a| matches!(a, Action::SocketMode(SocketModeEvent::Refreshed { .. })))
        .count();
    assert!(
        refreshes >= 3,
        "{refreshes} refreshes in 3.5 minutes of 60 s links"
    );
    check(&sim, true);
}

#[test]
fn a_half_open_socket_is_left_and_its_envelopes_arrive_anyway() {
    let mut sim = sim();
    connected(&mut sim);
    let first = sim.client().live_conn();
    sim.inject(Target::All, Fault::HalfOpen);
    for n in 0..10 {
        post(&mut sim, n);
        sim.run_for(MS(300));
    }
    sim.run_for(S(30));
    assert!(sim.client().is_connected());
    assert_ne!(sim.client().live_conn(), first);
    check(&sim, false);
}

#[test]
fn slow_acks_cause_redeliveries_that_reach_the_user_once() {
    let mut sim = sim();
    sim.set_ack_delay(MS(4_500));
    connected(&mut sim);
    for n in 0..5 {
        post(&mut sim, n);
    }
    sim.run_for(S(30));
    let rec = sim.model().socket_mode_record();
    assert!(
        rec.envelopes_sent.iter().any(|e| e.retry_attempt > 0),
        "the model redelivered"
    );
    check(&sim, true);
}

#[test]
fn link_disabled_is_not_reconnected() {
    let mut sim = sim();
    connected(&mut sim);
    sim.inject(Target::All, Fault::LinkDisabled);
    sim.run_for(S(600));
    assert_eq!(sim.state(), rtm_proto::State::Disconnected);
    let calls = sim.model().record().web_calls.len();
    assert_eq!(calls, 1, "one apps.connections.open, no reconnect loop");
    assert!(sim.log().iter().flat_map(|(_, _, a)| a).any(|a| matches!(
        a,
        Action::SocketMode(SocketModeEvent::Disconnected {
            error: Some(SocketModeError::LinkDisabled)
        })
    )));
}

#[derive(Debug, Clone)]
enum Op {
    Envelope,
    Slash,
    Refresh,
    RefreshRequested,
    Close,
    Drop,
    HalfOpen,
    AckDelay(u64),
    Wait(u64),
}

fn op(faults: bool) -> BoxedStrategy<Op> {
    let calm = prop_oneof![
        4 => Just(Op::Envelope),
        1 => Just(Op::Slash),
        1 => Just(Op::Refresh),
        1 => Just(Op::RefreshRequested),
        1 => (0u64..5_000).prop_map(Op::AckDelay),
        2 => (0u64..8_000).prop_map(Op::Wait),
    ];
    if !faults {
        return calm.boxed();
    }
    prop_oneof![
        8 => calm,
        1 => Just(Op::Close),
        1 => Just(Op::Drop),
        1 => Just(Op::HalfOpen),
    ]
    .boxed()
}

fn run(ops: &[(u64, Op)]) -> SocketModeSim {
    run_with(ops, 3)
}

fn run_with(ops: &[(u64, Op)], max_retries: u32) -> SocketModeSim {
    let mut sim = sim_with(max_retries);
    sim.start();
    for (n, (gap, op)) in ops.iter().enumerate() {
        sim.run_for(MS(*gap));
        match op {
            Op::Envelope => {
                post(&mut sim, n as u64);
            }
            Op::Slash => {
                sim.post_envelope("slash_commands", &json!({"command":"/x","text":"y"}), true);
            }
            Op::Refresh => sim.inject(Target::All, Fault::Refresh),
            Op::RefreshRequested => {
                sim.push(r#"{"type":"disconnect","reason":"refresh_requested"}"#)
            }
            Op::Close => sim.inject(
                Target::All,
                Fault::Close {
                    code: 1001,
                    reason: "going away".into(),
                },
            ),
            Op::Drop => sim.inject(Target::All, Fault::DropTcp),
            Op::HalfOpen => sim.inject(Target::All, Fault::HalfOpen),
            Op::AckDelay(ms) => sim.set_ack_delay(MS(*ms)),
            Op::Wait(ms) => sim.run_for(MS(*ms)),
        }
    }
    // Quiet: every redelivery and reconnect runs its course.
    sim.set_ack_delay(MS(50));
    sim.run_for(S(60));
    sim
}

fn schedules(cases: u32, faults: bool, seed: u8, check_run: impl Fn(SocketModeSim)) {
    let config = PtConfig {
        cases,
        failure_persistence: None,
        ..PtConfig::default()
    };
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]);
    let mut runner = TestRunner::new_with_rng(config, rng);
    runner
        .run(
            &prop::collection::vec((0u64..3_000, op(faults)), 1..30),
            |ops| {
                let sim = run_with(&ops, if faults { 20 } else { 3 });
                check_run(sim);
                Ok(())
            },
        )
        .unwrap();
}

#[test]
fn random_refresh_schedules_deliver_exactly_once_with_no_gap() {
    schedules(300, false, 7, |sim| check(&sim, true));
}

#[test]
fn random_fault_schedules_deliver_exactly_once_and_ack_everything() {
    schedules(300, true, 11, |sim| {
        assert!(sim.client().is_connected(), "reconnected after the faults");
        check(&sim, false);
    });
}

#[test]
fn the_same_schedule_gives_the_same_run() {
    let ops = vec![
        (100, Op::Envelope),
        (200, Op::Refresh),
        (300, Op::Drop),
        (50, Op::Envelope),
        (1_000, Op::HalfOpen),
        (10, Op::Envelope),
    ];
    let a = run(&ops);
    let b = run(&ops);
    assert_eq!(a.log(), b.log());
    assert_eq!(a.delivered(), b.delivered());
}

#[test]
fn debug_reconnects_reaches_slack_and_shortens_the_connection() {
    let config = SocketModeConfig::default().with_debug_reconnects(true);
    let mut sim = SocketModeSim::new(config, Workspace::default()).unwrap();
    connected(&mut sim);
    let hello = sim.client().hello().unwrap();
    assert_eq!(
        hello.approximate_connection_time,
        Some(ModelConfig::default().debug_reconnects_lifetime)
    );
    assert_eq!(
        hello.app_id.as_deref(),
        Some(rtm_testkit::model::DEFAULT_APP_ID)
    );
}

#[test]
fn server_errors_of_apps_connections_open_are_retried_until_it_works() {
    let mut sim = sim();
    sim.arm_web_fault(rtm_testkit::WebFault::Status { status: 503 }, 2);
    sim.start();
    sim.run_for(S(30));
    assert!(sim.client().is_connected(), "{:?}", sim.state());
    assert_eq!(sim.model().record().web_calls.len(), 3);
    check(&sim, true);
}
