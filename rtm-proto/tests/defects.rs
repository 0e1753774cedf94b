//! One test per defect of the reference client (Node's `RTMClient`; the workspace README's
//! "Design" section lists them), each showing that we behave correctly where it does not.

mod common;

use common::*;
use rtm_proto::{
    Action, Config, Connected, Connecting, Event, Input, NoReplyReason, RetryLimit, RetryPolicy,
    RtmError, SendError, Sent, State,
};
use serde_json::json;

const READY: State = State::Connected(Connected::Ready);

/// §5.1: a retryable rtm.connect failure with auto-reconnect on left it stuck in `connecting`
/// forever: no retry, no backoff, `start()` never settled.
#[test]
fn defect_01_retryable_connect_failure_retries_with_backoff_and_start_settles() {
    let mut h = H::default();
    let conn = web_call(&h.start()).unwrap();
    let a = h.input(web_error(conn, "internal_error"));
    let (attempt, delay, _) = reconnecting(&a).expect("a retry is scheduled");
    assert_eq!(attempt, 1);
    assert!(delay > ms(0));
    assert_eq!(h.state(), State::Reconnecting);
    let conn = web_call(&h.tick_deadline()).expect("the retry happens");
    let a = h.establish(conn);
    assert!(start_settled(&a).expect("start settles").is_ok());
    assert_eq!(h.state(), READY);

    // And when every retry fails, start() settles with the failure.
    let mut h = H::new(
        Config::default().with_retry(
            RetryPolicy::default()
                .with_first_start(RetryLimit::Attempts(2))
                .with_reconnect(RetryLimit::Attempts(2)),
        ),
    );
    let mut conn = web_call(&h.start()).unwrap();
    let mut settled = None;
    for _ in 0..3 {
        let a = h.input(web_error(conn, "internal_error"));
        settled = start_settled(&a);
        if settled.is_some() {
            break;
        }
        conn = web_call(&h.tick_deadline()).unwrap();
    }
    assert!(matches!(
        settled,
        Some(Err(RtmError::RetriesExhausted { attempts: 3, .. }))
    ));
    assert_eq!(h.state(), State::Disconnected);
}

/// §5.2: no timeout in `handshaking` (the server never says hello) nor in `disconnecting`
/// (a disconnect during `authenticating` hung forever).
#[test]
fn defect_02_handshake_and_disconnect_cannot_hang() {
    let mut h = H::default();
    let conn = web_call(&h.start()).unwrap();
    h.input(web_ok(conn));
    h.input(Input::WsOpened { conn });
    assert_eq!(h.state(), State::Connecting(Connecting::Handshaking));
    let a = h.tick_deadline();
    assert_eq!(h.elapsed(), secs(10), "hello_timeout");
    assert_eq!(reconnecting(&a).unwrap().2, RtmError::HelloTimeout);

    // Disconnect during authenticating: done at once, start settled.
    let mut h = H::default();
    h.start();
    let a = h.input(Input::Disconnect);
    assert_eq!(h.state(), State::Disconnected);
    assert_eq!(start_settled(&a), Some(Err(RtmError::Disconnected)));
    assert_eq!(disconnected(&a), Some(None));

    // A close handshake that never completes: the close timeout ends it.
    let (mut h, conn) = H::ready(Config::default());
    h.input(Input::Disconnect);
    assert_eq!(h.state(), State::Disconnecting);
    let a = h.tick_deadline();
    assert_eq!(h.elapsed(), secs(2), "close_timeout");
    assert!(a.contains(&Action::DropWebSocket { conn }));
    assert_eq!(h.state(), State::Disconnected);
}

/// §5.3: `replyAckOnReconnectTimeout` was ignored (always 2 s), and `ready` after a reconnect
/// was delayed 2 s even with nothing to wait for.
#[test]
fn defect_03_reply_ack_on_reconnect_timeout_is_honoured() {
    for window in [ms(300), ms(5000)] {
        let (mut h, conn) = H::ready(
            Config::default()
                .with_reply_ack_on_reconnect_timeout(window)
                .with_client_ping_timeout(secs(20))
                .with_server_pong_timeout(secs(10)),
        );
        h.input(message(1, "C1", "unacked"));
        h.advance(secs(5));
        let c2 = web_call(&h.input(closed(conn, 1006))).unwrap();
        h.establish(c2);
        let resumed_at = h.now;
        let a = h.tick_deadline();
        assert_eq!(h.now - resumed_at, window);
        assert_eq!(
            settle_of(&a, 1),
            Some(Err(SendError::NoReply {
                id: 1,
                reason: NoReplyReason::ConnectionLost
            }))
        );
        assert_eq!(h.state(), READY);
    }
    // Nothing pending: ready right at hello.
    let (mut h, conn) = H::ready(Config::default());
    h.advance(secs(5));
    let c2 = web_call(&h.input(closed(conn, 1006))).unwrap();
    let a = h.establish(c2);
    assert!(lifecycle(&a).contains(&"ready"));
    assert_eq!(h.state(), READY);
}

/// §5.4: the "not connected" and "not ready" errors carried the wrong error code.
#[test]
fn defect_04_send_errors_carry_their_own_codes() {
    let mut h = H::default();
    let a = h.input(immediate(1, "custom", json!({})));
    let Some(Err(e)) = settle_of(&a, 1) else {
        panic!()
    };
    assert_eq!(e, SendError::NotConnected);
    assert_eq!(e.code(), "slack_rtmapi_send_while_disconnected_error");

    let (mut h, conn) = H::ready(Config::default());
    h.input(message(2, "C1", "x"));
    h.advance(secs(5));
    let c2 = web_call(&h.input(closed(conn, 1006))).unwrap();
    h.establish(c2);
    assert_eq!(h.state(), State::Connected(Connected::Resuming));
    let a = h.input(immediate(3, "custom", json!({})));
    let Some(Err(e)) = settle_of(&a, 3) else {
        panic!()
    };
    assert_eq!(e, SendError::NotReady);
    assert_eq!(e.code(), "slack_rtmapi_send_while_not_ready_error");
}

/// §5.5: the reply that ended the resume phase cancelled its own waiter.
#[test]
fn defect_05_the_reply_ending_the_resume_phase_settles_its_own_send() {
    let (mut h, conn) = H::ready(Config::default());
    h.input(message(1, "C1", "last before the drop"));
    h.advance(secs(5));
    let c2 = web_call(&h.input(closed(conn, 1006))).unwrap();
    h.establish(c2);
    let a = h.input(text(c2, &ack(1)));
    let Some(Ok(Sent::Replied(reply))) = settle_of(&a, 1) else {
        panic!("{a:?}")
    };
    assert_eq!(reply.id, 1);
    assert_eq!(reply.ts.as_deref(), Some("1355517523.000001"));
    assert_eq!(h.state(), READY);
}

/// §5.6: 7.0.2–7.0.4 crashed on disconnect after any awaited send (a loop over a sparse
/// array of waiters).
#[test]
fn defect_06_disconnect_after_awaited_sends_settles_each_once() {
    let (mut h, conn) = H::ready(Config::default().with_pacing(None));
    for i in 1..=10 {
        h.input(message(i, "C1", "m"));
    }
    // Sparse: every other one acked.
    for id in (1..=10).step_by(2) {
        h.input(text(conn, &ack(id)));
    }
    h.input(Input::Disconnect);
    let a = h.input(closed(conn, 1000));
    for i in (2..=10).step_by(2) {
        assert!(matches!(
            settle_of(&a, i),
            Some(Err(SendError::NoReply {
                reason: NoReplyReason::SessionEnded,
                ..
            }))
        ));
    }
    let mut seen = std::collections::HashMap::new();
    for (handle, _) in settles(&h.log) {
        *seen.entry(handle.0).or_insert(0) += 1;
    }
    assert_eq!(seen.len(), 10);
    assert!(seen.values().all(|n| *n == 1));
}

/// §5.7: one unanswered awaited message blocked every later queued send.
#[test]
fn defect_07_an_unanswered_message_blocks_nothing() {
    let (mut h, conn) = H::ready(Config::default().with_pacing(None));
    let a = h.input(message(1, "C1", "never answered"));
    assert_eq!(written_ids(&a), [1]);
    let a = h.input(message(2, "C1", "next"));
    assert_eq!(
        written_ids(&a),
        [2],
        "written without waiting for the ack of 1"
    );
    let a = h.input(Input::Send {
        handle: rtm_proto::SendHandle(3),
        outgoing: rtm_proto::Outgoing::typing("C1"),
    });
    assert_eq!(settle_of(&a, 3), Some(Ok(Sent::Written { id: 3 })));
    let a = h.input(text(conn, &ack(2)));
    assert!(matches!(settle_of(&a, 2), Some(Ok(_))));
    assert_eq!(h.client.awaiting_reply(), 1);
}

/// §5.8: `start()` resolved before the session was ready (sending right after it failed),
/// and leaked a listener.
#[test]
fn defect_08_start_settles_once_and_only_when_ready() {
    let mut h = H::default();
    let mut all = h.start();
    let conn = web_call(&all).unwrap();
    all.extend(h.input(web_ok(conn)));
    all.extend(h.input(Input::WsOpened { conn }));
    assert!(start_settled(&all).is_none(), "not before hello");
    let a = h.input(hello(conn));
    assert!(start_settled(&a).unwrap().is_ok());
    // Sending right after start() settled works.
    let a = h.input(immediate(1, "custom", json!({})));
    assert_eq!(settle_of(&a, 1), Some(Ok(Sent::Written { id: 1 })));
    // Reconnects do not settle it again.
    h.advance(secs(5));
    let c2 = web_call(&h.input(closed(conn, 1006))).unwrap();
    h.establish(c2);
    let n = h
        .log
        .iter()
        .filter(|a| matches!(a, Action::StartSettled(_)))
        .count();
    assert_eq!(n, 1);
}

/// §5.9: an input in an unexpected state threw ("Unhandled event 'start' in state
/// 'connecting'") instead of being ignored or answered.
#[test]
fn defect_09_unexpected_inputs_are_ignored_or_answered_never_thrown() {
    let mut h = H::default();
    let conn = web_call(&h.start()).unwrap();
    // start in connecting: answered with the session under way.
    let a = h.start();
    assert!(a.is_empty());
    let a = h.input(Input::WsOpened { conn });
    assert_eq!(
        a,
        [Action::Ignored {
            input: "ws_opened",
            state: State::Connecting(Connecting::Authenticating)
        }]
    );
    let a = h.establish(conn);
    assert!(start_settled(&a).unwrap().is_ok());
    // Every input in every state: no panic, and each is either handled or `Ignored`.
    let all_inputs = |c: rtm_proto::ConnId| {
        vec![
            Input::Start(rtm_proto::StartOptions::new(TOKEN)),
            web_ok(c),
            Input::WsOpened { conn: c },
            hello(c),
            text(c, "garbage"),
            Input::WsBinary { conn: c, len: 1 },
            closed(c, 1000),
            Input::WsError {
                conn: c,
                error: "e".into(),
            },
            Input::Tick,
            Input::Disconnect,
            Input::Shutdown,
        ]
    };
    for first in 0..11 {
        for second in 0..11 {
            let mut h = H::default();
            let (c, _) = h.connect();
            for i in [first, second, first] {
                let input = all_inputs(c)[i].clone();
                let a = h.input(input);
                assert!(
                    matches!(h.state(), State::Disconnected | READY)
                        || h.client.next_deadline().is_some(),
                    "{first} {second}: stuck in {:?} after {a:?}",
                    h.state()
                );
            }
        }
    }
}

/// §5.10: reconnects had no backoff at all, `goodbye` was ignored, and ping failures were
/// only logged.
#[test]
fn defect_10_reconnects_back_off_and_goodbye_and_missing_pongs_reconnect() {
    // goodbye reconnects.
    let (mut h, conn) = H::ready(Config::default());
    h.advance(secs(60));
    let a = h.input(text(conn, r#"{"type":"goodbye"}"#));
    assert_eq!(reconnecting(&a).unwrap().2, RtmError::Goodbye);
    assert!(web_call(&a).is_some());
    // A missing pong reconnects.
    let (mut h, conn) = H::ready(Config::default());
    h.tick_deadline();
    let a = h.tick_deadline();
    assert!(a.contains(&Action::DropWebSocket { conn }));
    assert_eq!(reconnecting(&a).unwrap().2, RtmError::PongTimeout);
    // A server that accepts and drops at once is not hammered: the waits grow.
    let mut h = H::new(Config::default().with_retry(RetryPolicy::forever()));
    let (mut conn, _) = h.connect();
    let mut delays = Vec::new();
    for _ in 0..8 {
        let a = h.input(closed(conn, 1006));
        delays.push(reconnecting(&a).unwrap().1);
        conn = web_call(&h.tick_deadline()).unwrap();
        h.establish(conn);
    }
    assert!(delays[0] > ms(0));
    assert!(delays[7] >= secs(16), "{delays:?}");
    let _ = Event::Ready;
}
