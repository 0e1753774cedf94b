//! Long outages, reading paused for a slow subscriber, and sends waiting through an outage, on
//! virtual time.

mod common;

use std::time::Duration;

use common::*;
use rtm_proto::{
    Action, Config, Connected, Event, Input, RetryLimit, RetryPolicy, RtmError, SendError, State,
};
use serde_json::json;

const READY: State = State::Connected(Connected::Ready);

const AUTHENTICATING: State = State::Connecting(rtm_proto::Connecting::Authenticating);

fn last_web_call(actions: &[Action]) -> Option<rtm_proto::ConnId> {
    actions.iter().rev().find_map(|a| match a {
        Action::CallWebApi { conn, .. } => Some(*conn),
        _ => None,
    })
}

/// Answers every web call with 503 for `outage` of virtual time, from the actions so far
/// (`all`); returns them with what followed.
fn ride_503s(h: &mut H, outage: Duration, mut all: Vec<Action>) -> Vec<Action> {
    let began = h.elapsed();
    while h.elapsed() < began + outage && h.state() != State::Disconnected {
        match (h.state(), last_web_call(&all)) {
            (AUTHENTICATING, Some(conn)) => all.extend(h.input(web_status(conn, 503, None, ""))),
            _ => all.extend(h.tick_deadline()),
        }
    }
    all
}

#[test]
fn a_twenty_minute_outage_after_a_ready_session_is_ridden_out() {
    let (mut h, conn) = H::ready(Config::default());
    h.advance(secs(60));
    let lost = h.input(closed(conn, 1006));
    let mut all = ride_503s(&mut h, Duration::from_secs(20 * 60), lost);
    assert_ne!(h.state(), State::Disconnected, "gave up within 20 minutes");
    let attempts = all
        .iter()
        .filter(|a| matches!(a, Action::CallWebApi { .. }))
        .count();
    assert!(
        attempts > 11,
        "more than a first start's 10 retries: {attempts}"
    );
    // Every wait is capped at a minute.
    for a in &all {
        if let Action::Emit(Event::Reconnecting { delay, .. }) = a {
            assert!(*delay <= secs(60), "{delay:?}");
        }
    }
    // Slack is back: the next attempt succeeds, with no user action.
    while h.state() != AUTHENTICATING {
        all.extend(h.tick_deadline());
    }
    h.establish(last_web_call(&all).expect("a web call"));
    assert_eq!(h.state(), READY);
}

#[test]
fn a_bounded_reconnect_policy_gives_up_when_the_bound_says() {
    let config = Config::default()
        .with_retry(RetryPolicy::default().with_reconnect(RetryLimit::Elapsed(secs(5 * 60))));
    let (mut h, conn) = H::ready(config);
    h.advance(secs(60));
    let lost_at = h.elapsed();
    let lost = h.input(closed(conn, 1006));
    let all = ride_503s(&mut h, secs(30 * 60), lost);
    assert_eq!(h.state(), State::Disconnected);
    let gave_up = h.elapsed() - lost_at;
    assert!(
        gave_up >= secs(5 * 60) && gave_up <= secs(6 * 60 + 1),
        "gave up after {gave_up:?}"
    );
    assert!(matches!(
        disconnected(&all),
        Some(Some(RtmError::RetriesExhausted { .. }))
    ));

    // A first start keeps the short budget: 10 retries, then the start fails.
    let mut h = H::default();
    let began = h.elapsed();
    let started = h.start();
    let all = ride_503s(&mut h, secs(30 * 60), started);
    assert_eq!(h.state(), State::Disconnected);
    assert!(
        h.elapsed() - began < secs(5 * 60),
        "{:?}",
        h.elapsed() - began
    );
    assert!(matches!(
        start_settled(&all),
        Some(Err(RtmError::RetriesExhausted { attempts: 11, .. }))
    ));
}

#[test]
fn reading_paused_for_a_subscriber_does_not_count_against_the_pong() {
    let (mut h, conn) = H::ready(Config::default());
    assert!(h.input(Input::ReadPaused { conn }).is_empty());
    // Quiet: the ping goes out (writing goes on) ...
    let a = h.tick_deadline();
    assert_eq!(written(&a)[0]["type"], "ping");
    // ... and nothing times out while the socket is not read, however long.
    assert_eq!(h.client.next_deadline(), None);
    h.advance(secs(3600));
    assert!(h.input(Input::Tick).is_empty());
    assert_eq!(h.state(), READY);
    // Reading again: the pong has its 4 s, and a dead server is still detected.
    assert!(h.input(Input::ReadResumed { conn }).is_empty());
    assert_eq!(h.client.next_deadline(), Some(h.now + secs(4)));
    let a = h.tick_deadline();
    assert!(matches!(
        reconnecting(&a),
        Some((_, _, RtmError::PongTimeout))
    ));
    // For a socket that is not the live one, the input is ignored.
    assert!(is_ignored(&h.input(Input::ReadPaused { conn })));
}

#[test]
fn queued_sends_wait_through_an_outage_within_send_timeout_and_fail_when_it_ends() {
    let config = Config::default()
        .with_send_timeout(Some(secs(120)))
        .with_retry(RetryPolicy::forever());
    let (mut h, conn) = H::ready(config);
    h.advance(secs(60));
    let mut lost = h.input(closed(conn, 1006));
    let a = h.input(queued(1, "custom", json!({}), false));
    assert!(settle_of(&a, 1).is_none(), "it waits for the session");
    lost.extend(a);
    let all = ride_503s(&mut h, secs(130), lost);
    assert_eq!(
        settle_of(&all, 1),
        Some(Err(SendError::QueueTimeout { waited: secs(120) }))
    );

    // Without a send_timeout, a queued send settles when the session ends for good.
    let config = Config::default().with_retry(RetryPolicy::attempts(2));
    let (mut h, conn) = H::ready(config);
    h.advance(secs(60));
    let mut lost = h.input(closed(conn, 1006));
    lost.extend(h.input(queued(2, "custom", json!({}), false)));
    let all = ride_503s(&mut h, secs(3600), lost);
    assert_eq!(h.state(), State::Disconnected);
    assert!(matches!(
        settle_of(&all, 2),
        Some(Err(SendError::SessionFailed { .. }))
    ));
}
