//! Seeded-random stalls in reading (what a slow lossless subscriber causes), between frames,
//! time and a server that may stop answering pings, on virtual time.
//!
//! Properties:
//! - nothing the server sent is lost: every message event reaches the client, in order;
//! - a stall alone never causes a reconnect (the pong deadline does not run while the
//!   socket is not read), however long it lasts;
//! - a server that stops answering is still detected once the stall ends, within
//!   `client_ping_timeout + server_pong_timeout` plus the link's round trip.

use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use rtm_proto::{Config, Connected, Event, RtmError, State};
use rtm_testkit::sim::Sim;
use rtm_testkit::{Fault, UserAction, Workspace};

const READY: State = State::Connected(Connected::Ready);

#[derive(Debug, Clone)]
enum Op {
    /// Stop reading for this many ms.
    Stall(u64),
    /// Let this many ms pass.
    Advance(u64),
    /// A person posts a message (an event to the client).
    Message,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (1u64..180_000).prop_map(Op::Stall),
        3 => (1u64..20_000).prop_map(Op::Advance),
        4 => Just(Op::Message),
    ]
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        rng_seed: RngSeed::Fixed(0x57a1),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn ready_sim(latency_ms: u64) -> Sim {
    let mut s = Sim::new(Config::default(), Workspace::default())
        .with_latency(Duration::from_millis(latency_ms));
    s.start();
    assert!(s.run_until(|s| s.state() == READY, Duration::from_secs(10)));
    s
}

fn post(s: &mut Sim, n: usize) {
    s.act(UserAction::Message {
        user: "U0ALICE".into(),
        channel: "C0GENERAL".into(),
        text: format!("m{n}"),
    })
    .expect("the workspace has them");
}

/// The texts of the message events the client reported, in order.
fn received(s: &Sim) -> Vec<String> {
    s.events()
        .filter_map(|(_, e)| match e {
            Event::Slack(e) if e.event_type() == Some("message") => {
                e.json().ok()?["text"].as_str().map(str::to_owned)
            }
            _ => None,
        })
        .collect()
}

fn reconnects(s: &Sim) -> Vec<(Duration, RtmError)> {
    s.events()
        .filter_map(|(at, e)| match e {
            Event::Reconnecting { reason, .. } => Some((at, reason.clone())),
            _ => None,
        })
        .collect()
}

proptest! {
    #![proptest_config(config(300))]

    #[test]
    fn stalls_alone_lose_nothing_and_never_reconnect(
        ops in prop::collection::vec(op(), 1..30),
        latency_ms in 0u64..300,
    ) {
        let mut s = ready_sim(latency_ms);
        let mut posted = Vec::new();
        for op in &ops {
            match op {
                Op::Stall(ms) => {
                    s.stall_reading(true);
                    s.run_for(Duration::from_millis(*ms));
                    s.stall_reading(false);
                }
                Op::Advance(ms) => s.run_for(Duration::from_millis(*ms)),
                Op::Message => {
                    post(&mut s, posted.len());
                    posted.push(format!("m{}", posted.len()));
                }
            }
        }
        s.run_for(Duration::from_secs(5));
        prop_assert_eq!(reconnects(&s), vec![]);
        prop_assert_eq!(s.record().connections.len(), 1);
        prop_assert_eq!(s.state(), READY);
        prop_assert_eq!(received(&s), posted);
    }

    #[test]
    fn a_server_that_stops_answering_is_detected_once_the_stall_ends(
        before_ms in 0u64..10_000,
        stall_ms in 0u64..600_000,
        latency_ms in 0u64..300,
    ) {
        let mut s = ready_sim(latency_ms);
        let c = s.client().config().clone();
        s.run_for(Duration::from_millis(before_ms));
        s.inject(Fault::StopPongs);
        s.stall_reading(true);
        s.run_for(Duration::from_millis(stall_ms));
        s.stall_reading(false);
        let resumed = s.elapsed();
        let bound = c.client_ping_timeout + c.server_pong_timeout
            + Duration::from_millis(2 * latency_ms);
        prop_assert!(s.run_until(|s| !reconnects(s).is_empty(), bound + Duration::from_secs(1)));
        let (at, reason) = reconnects(&s).remove(0);
        prop_assert_eq!(reason, RtmError::PongTimeout);
        // Not during the stall (a pong could not be seen), and within the bound after it.
        prop_assert!(at >= resumed, "reconnected at {:?}, during the stall", at);
        prop_assert!(at <= resumed + bound, "detected {:?} after the stall", at - resumed);
    }
}
