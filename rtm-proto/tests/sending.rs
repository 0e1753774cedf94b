//! Sends, ids, acks, timeouts, resume, limits, pacing, queue bound and keepalive.

mod common;

use common::*;
use rtm_proto::{
    Action, Config, Connected, Event, Input, NoReplyReason, Outgoing, Pacing, SendError,
    SendHandle, Sent, State,
};
use serde_json::json;

const READY: State = State::Connected(Connected::Ready);
const RESUMING: State = State::Connected(Connected::Resuming);

fn replied(r: Option<Result<Sent, SendError>>) -> rtm_proto::Reply {
    match r {
        Some(Ok(Sent::Replied(reply))) => reply,
        other => panic!("expected a reply, got {other:?}"),
    }
}

fn no_pacing() -> Config {
    Config::default().with_pacing(None)
}

#[test]
fn immediate_send_when_ready_writes_and_returns_the_id() {
    let (mut h, conn) = H::ready(Config::default());
    let a = h.input(immediate(
        7,
        "custom",
        json!({"a": 1, "id": 99, "type": "x"}),
    ));
    assert_eq!(
        a.iter().find(|a| matches!(a, Action::SendText { .. })),
        Some(&Action::SendText {
            conn,
            text: r#"{"id":1,"type":"custom","a":1}"#.into()
        })
    );
    assert_eq!(settle_of(&a, 7), Some(Ok(Sent::Written { id: 1 })));
    assert_eq!(Sent::Written { id: 1 }.id(), 1);
    // outgoing_message event, before the write.
    assert_eq!(
        events(&a),
        [&Event::OutgoingMessage {
            id: 1,
            frame: r#"{"id":1,"type":"custom","a":1}"#.into()
        }]
    );
    assert_eq!(h.client.next_message_id(), 2);
    // A null body is fine.
    let a = h.input(immediate(8, "custom", serde_json::Value::Null));
    assert_eq!(written(&a), [json!({"id": 2, "type": "custom"})]);
}

#[test]
fn outgoing_message_events_can_be_switched_off() {
    let (mut h, _) = H::ready(Config::default().with_emit_outgoing(false));
    let a = h.input(immediate(1, "custom", json!({})));
    assert!(events(&a).is_empty());
    assert_eq!(written_ids(&a), [1]);
}

#[test]
fn immediate_send_refused_when_not_connected_or_not_ready() {
    let check = |h: &mut H, expected: SendError| {
        let a = h.input(immediate(1, "custom", json!({})));
        assert_eq!(
            settle_of(&a, 1),
            Some(Err(expected.clone())),
            "{:?}",
            h.state()
        );
        assert!(written(&a).is_empty());
    };
    let mut h = H::default();
    check(&mut h, SendError::NotConnected);
    let conn = web_call(&h.start()).unwrap();
    check(&mut h, SendError::NotConnected);
    h.input(web_ok(conn));
    check(&mut h, SendError::NotConnected);
    h.input(Input::WsOpened { conn });
    check(&mut h, SendError::NotConnected);
    h.input(message(50, "C1", "hi"));
    h.input(hello(conn));
    h.advance(secs(10));
    let a = h.input(closed(conn, 1006));
    assert_eq!(
        h.state(),
        rtm_proto::State::Connecting(rtm_proto::Connecting::Authenticating)
    );
    check(&mut h, SendError::NotConnected);
    h.establish(web_call(&a).unwrap());
    assert_eq!(h.state(), RESUMING);
    check(&mut h, SendError::NotReady);
    h.input(Input::Disconnect);
    check(&mut h, SendError::NotConnected);
    assert_eq!(
        SendError::NotConnected.code(),
        "slack_rtmapi_send_while_disconnected_error"
    );
    assert_eq!(
        SendError::NotReady.code(),
        "slack_rtmapi_send_while_not_ready_error"
    );
}

#[test]
fn queued_sends_wait_until_ready_then_go_in_order() {
    let mut h = H::new(no_pacing());
    let mut a = h.input(Input::Send {
        handle: SendHandle(1),
        outgoing: Outgoing::message("Hello world", "C024BE91L"),
    });
    a.extend(h.input(Input::Send {
        handle: SendHandle(2),
        outgoing: Outgoing::typing("C024BE91L"),
    }));
    a.extend(h.input(Input::Send {
        handle: SendHandle(3),
        outgoing: Outgoing::presence_sub(&["U1", "U2"]),
    }));
    a.extend(h.input(queued(4, "custom", json!({"x": true}), false)));
    assert!(
        a.is_empty(),
        "nothing settles or is written before ready: {a:?}"
    );
    assert_eq!(h.client.queued(), 4);
    let (conn, a) = h.connect();
    assert_eq!(
        written(&a),
        [
            json!({"id": 1, "type": "message", "channel": "C024BE91L", "text": "Hello world"}),
            json!({"id": 2, "type": "typing", "channel": "C024BE91L"}),
            json!({"id": 3, "type": "presence_sub", "ids": ["U1", "U2"]}),
            json!({"id": 4, "type": "custom", "x": true}),
        ]
    );
    // Written after ready, and the exact bytes of the documented message.
    let ready_at = a
        .iter()
        .position(|a| *a == Action::Emit(Event::Ready))
        .unwrap();
    let first_write = a
        .iter()
        .position(|a| matches!(a, Action::SendText { .. }))
        .unwrap();
    assert!(first_write > ready_at);
    assert!(a.contains(&Action::SendText {
        conn,
        text: r#"{"id":1,"type":"message","channel":"C024BE91L","text":"Hello world"}"#.into()
    }));
    // typing, presence_sub and the custom frame settle when written; the message awaits its ack.
    assert_eq!(settle_of(&a, 1), None);
    assert_eq!(settle_of(&a, 2), Some(Ok(Sent::Written { id: 2 })));
    assert_eq!(settle_of(&a, 3), Some(Ok(Sent::Written { id: 3 })));
    assert_eq!(settle_of(&a, 4), Some(Ok(Sent::Written { id: 4 })));
    assert_eq!(h.client.queued(), 0);
    assert_eq!(h.client.awaiting_reply(), 1);
    let a = h.input(text(conn, &ack(1)));
    let reply = replied(settle_of(&a, 1));
    assert_eq!(reply.id, 1);
    assert_eq!(reply.ts.as_deref(), Some("1355517523.000001"));
    assert_eq!(reply.text.as_deref(), Some("Hello world"));
    assert_eq!(h.client.awaiting_reply(), 0);
}

#[test]
fn queued_sends_stay_queued_across_disconnect() {
    let mut h = H::new(no_pacing());
    h.input(queued(1, "custom", json!({}), false));
    let conn = web_call(&h.start()).unwrap();
    h.input(Input::Disconnect);
    assert_eq!(h.client.queued(), 1);
    assert!(is_ignored(&h.input(web_ok(conn))));
    let (_, a) = h.connect();
    assert_eq!(settle_of(&a, 1), Some(Ok(Sent::Written { id: 1 })));
}

#[test]
fn acks_are_matched_by_reply_to_without_head_of_line_blocking() {
    let (mut h, conn) = H::ready(no_pacing());
    for i in 1..=4 {
        h.input(message(i, "C1", &format!("m{i}")));
    }
    assert_eq!(h.client.awaiting_reply(), 4);
    // Replies out of order; each settles its own send, at once.
    let a = h.input(text(conn, &ack(3)));
    assert_eq!(replied(settle_of(&a, 3)).id, 3);
    assert_eq!(settles(&a).len(), 1);
    let a = h.input(text(
        conn,
        r#"{"ok":false,"reply_to":1,"error":{"code":2,"msg":"message text is missing"}}"#,
    ));
    let Some(Err(e)) = settle_of(&a, 1) else {
        panic!()
    };
    assert_eq!(
        e,
        SendError::Platform {
            id: 1,
            code: 2,
            msg: "message text is missing".into(),
            raw: r#"{"ok":false,"reply_to":1,"error":{"code":2,"msg":"message text is missing"}}"#
                .into()
        }
    );
    assert_eq!(e.code(), "slack_rtmapi_send_message_platform_error");
    let a = h.input(text(
        conn,
        r#"{"ok":false,"reply_to":4,"error":{"code":-1,"msg":"slow down, too many messages..."}}"#,
    ));
    assert!(matches!(
        settle_of(&a, 4),
        Some(Err(SendError::Platform { code: -1, .. }))
    ));
    // A rewritten text is reported as the server stored it.
    let a = h.input(text(
        conn,
        r#"{"ok":true,"reply_to":2,"ts":"1.2","text":"m2 &lt;rewritten&gt;"}"#,
    ));
    assert_eq!(
        replied(settle_of(&a, 2)).text.as_deref(),
        Some("m2 &lt;rewritten&gt;")
    );
    // Duplicate and unknown replies settle nothing, and are passed on as events.
    for r in [ack(3), ack(2), ack(77)] {
        let a = h.input(text(conn, &r));
        assert!(settles(&a).is_empty(), "{a:?}");
        assert_eq!(events(&a).len(), 1);
    }
    assert_eq!(h.client.awaiting_reply(), 0);
}

#[test]
fn reply_timeout_settles_with_no_reply() {
    let (mut h, conn) = H::ready(
        no_pacing()
            .with_reply_timeout(Some(secs(5)))
            .with_client_ping_timeout(secs(60))
            .with_server_pong_timeout(secs(10)),
    );
    h.input(message(1, "C1", "a"));
    h.advance(secs(1));
    h.input(message(2, "C1", "b"));
    assert_eq!(h.client.next_deadline(), Some(h.now + secs(4)));
    h.advance(ms(3999));
    assert!(settles(&h.input(Input::Tick)).is_empty());
    let a = h.tick_after(ms(1));
    assert_eq!(
        settle_of(&a, 1),
        Some(Err(SendError::NoReply {
            id: 1,
            reason: NoReplyReason::Timeout
        }))
    );
    assert_eq!(settle_of(&a, 2), None);
    assert_eq!(
        SendError::NoReply {
            id: 1,
            reason: NoReplyReason::Timeout
        }
        .code(),
        "slack_rtmapi_no_reply_received_error"
    );
    // A late ack settles nothing more.
    assert!(settles(&h.input(text(conn, &ack(1)))).is_empty());
    let a = h.tick_deadline();
    assert!(matches!(
        settle_of(&a, 2),
        Some(Err(SendError::NoReply { id: 2, .. }))
    ));
}

#[test]
fn no_reply_timeout_waits_as_long_as_the_session() {
    let (mut h, conn) = H::ready(no_pacing().with_reply_timeout(None));
    h.input(message(1, "C1", "a"));
    // Only keepalive deadlines remain; pongs keep the session alive for an hour.
    let mut fake = FakeSlack::default();
    for _ in 0..600 {
        let a = h.tick_deadline();
        assert!(settles(&a).is_empty());
        fake.perform(&a);
        fake.settle(&mut h);
    }
    assert!(h.elapsed() >= secs(3600));
    let a = h.input(text(conn, &ack(1)));
    replied(settle_of(&a, 1));
}

#[test]
fn after_a_reconnect_pending_replies_wait_out_the_configured_resume_window() {
    let (mut h, conn) = H::ready(
        no_pacing()
            .with_reply_ack_on_reconnect_timeout(ms(7500))
            .with_client_ping_timeout(secs(20))
            .with_server_pong_timeout(secs(10)),
    );
    h.input(message(1, "C1", "a"));
    h.input(message(2, "C1", "b"));
    h.advance(secs(5));
    let c2 = web_call(&h.input(closed(conn, 1006))).unwrap();
    h.input(message(3, "C1", "queued meanwhile"));
    let a = h.establish(c2);
    assert_eq!(lifecycle(&a), ["authenticated", "connected"]);
    assert_eq!(h.state(), RESUMING);
    assert!(written(&a).is_empty(), "queued sends wait for ready");
    // The replay of the ack of 1 settles it; 2 is still awaited.
    let a = h.input(text(c2, &ack(1)));
    replied(settle_of(&a, 1));
    assert_eq!(h.state(), RESUMING);
    assert_eq!(h.client.next_deadline(), Some(h.now + ms(7500)));
    h.advance(ms(7499));
    assert!(settles(&h.input(Input::Tick)).is_empty());
    assert_eq!(h.state(), RESUMING);
    let a = h.tick_after(ms(1));
    assert_eq!(
        settle_of(&a, 2),
        Some(Err(SendError::NoReply {
            id: 2,
            reason: NoReplyReason::ConnectionLost
        }))
    );
    assert_eq!(lifecycle(&a), ["ready"]);
    assert_eq!(h.state(), READY);
    assert_eq!(written_ids(&a), [3]);
}

#[test]
fn every_send_settles_exactly_once_through_a_busy_session() {
    let (mut h, conn) = H::ready(no_pacing());
    let mut fake = FakeSlack::default();
    let mut handle = 0;
    for round in 0..50u64 {
        handle += 1;
        let a = h.input(message(handle, "C1", "m"));
        if round % 3 != 0 {
            fake.perform(&a);
        }
        handle += 1;
        h.input(immediate(handle, "custom", json!({})));
        if round == 25 {
            h.advance(secs(2));
            let a = h.input(closed(conn, 1006));
            fake.perform(&a);
        }
        fake.settle(&mut h);
        h.advance(ms(300));
        let a = h.input(Input::Tick);
        fake.perform(&a);
        fake.settle(&mut h);
    }
    h.input(Input::Shutdown);
    let mut counts = std::collections::HashMap::new();
    for (handle, _) in settles(&h.log) {
        *counts.entry(handle.0).or_insert(0) += 1;
    }
    for i in 1..=handle {
        assert_eq!(counts.get(&i), Some(&1), "handle {i}");
    }
}

#[test]
fn frames_over_the_limit_are_refused_before_the_wire() {
    let (mut h, _) = H::ready(no_pacing());
    let big = "x".repeat(16 * 1024);
    for input in [
        immediate(1, "custom", json!({ "blob": big })),
        queued(1, "custom", json!({ "blob": big }), true),
    ] {
        let a = h.input(input);
        let Some(Err(e @ SendError::TooLarge { size, limit })) = settle_of(&a, 1) else {
            panic!("{a:?}")
        };
        assert!(size > limit && limit == 16 * 1024);
        assert_eq!(e.code(), "slack_rtmapi_invalid_message_error");
        assert!(written(&a).is_empty());
    }
    // Just under the limit goes.
    let fits = "x".repeat(16 * 1024 - 100);
    let a = h.input(immediate(2, "custom", json!({ "blob": fits })));
    let frame = &written(&a)[0];
    assert!(serde_json::to_string(frame).unwrap().len() <= 16 * 1024);
    // A text over 4,000 characters is refused too.
    let a = h.input(message(3, "C1", &"é".repeat(4001)));
    assert_eq!(
        settle_of(&a, 3),
        Some(Err(SendError::TextTooLong {
            chars: 4001,
            limit: 4000
        }))
    );
    // Bad frames.
    let a = h.input(immediate(4, "", json!({})));
    assert!(matches!(
        settle_of(&a, 4),
        Some(Err(SendError::InvalidFrame { .. }))
    ));
    let a = h.input(immediate(5, "custom", json!("text")));
    assert!(matches!(
        settle_of(&a, 5),
        Some(Err(SendError::InvalidFrame { .. }))
    ));
    // The ids of refused frames are not used up.
    let a = h.input(immediate(6, "custom", json!({})));
    assert_eq!(written_ids(&a), [2]);
}

#[test]
fn custom_frame_limit_is_honoured() {
    let (mut h, _) = H::ready(no_pacing().with_max_frame_bytes(200));
    let a = h.input(immediate(1, "custom", json!({ "blob": "y".repeat(200) })));
    assert!(matches!(
        settle_of(&a, 1),
        Some(Err(SendError::TooLarge { limit: 200, .. }))
    ));
}

#[test]
fn messages_are_paced_per_channel_with_a_burst() {
    let (mut h, _) = H::ready(Config::default());
    assert_eq!(
        Config::default().pacing,
        Some(Pacing::default().with_per_second(1.0).with_burst(3))
    );
    let mut a = Vec::new();
    for i in 1..=6 {
        a.extend(h.input(message(i, "C1", "m")));
    }
    a.extend(h.input(message(7, "C2", "other channel")));
    let ch = |a: &[Action]| -> Vec<String> {
        written(a)
            .iter()
            .map(|v| format!("{}{}", v["channel"].as_str().unwrap(), v["id"]))
            .collect()
    };
    // The burst goes at once; another channel is not held up.
    assert_eq!(ch(&a), ["C11", "C12", "C13", "C24"]);
    assert_eq!(h.client.queued(), 3);
    // Then one per second, in order.
    assert_eq!(h.client.next_deadline(), Some(h.now + secs(1)));
    h.advance(ms(999));
    assert!(written(&h.input(Input::Tick)).is_empty());
    assert_eq!(ch(&h.tick_after(ms(1))), ["C15"]);
    assert_eq!(ch(&h.tick_deadline()), ["C16"]);
    assert_eq!(ch(&h.tick_deadline()), ["C17"]);
    assert_eq!(h.client.queued(), 0);
    // An immediate message to a paced channel is refused with the wait.
    let a = h.input(immediate(
        8,
        "message",
        json!({"channel": "C1", "text": "now"}),
    ));
    assert_eq!(
        settle_of(&a, 8),
        Some(Err(SendError::Paced {
            retry_after: secs(1)
        }))
    );
    assert_eq!(
        SendError::Paced {
            retry_after: secs(1)
        }
        .code(),
        "slack_rtmapi_rate_limited_error"
    );
    // Other frame types are never paced.
    let a = h.input(immediate(9, "typing", json!({"channel": "C1"})));
    assert_eq!(written(&a).len(), 1);
}

#[test]
fn pacing_is_configurable_and_can_be_switched_off() {
    let (mut h, _) = H::ready(
        Config::default().with_pacing(Some(Pacing::default().with_per_second(4.0).with_burst(1))),
    );
    let mut a = Vec::new();
    for i in 1..=3 {
        a.extend(h.input(message(i, "C1", "m")));
    }
    assert_eq!(written(&a).len(), 1);
    assert_eq!(h.client.next_deadline(), Some(h.now + ms(250)));
    assert_eq!(written(&h.tick_deadline()).len(), 1);

    let (mut h, _) = H::ready(no_pacing());
    let mut a = Vec::new();
    for i in 1..=50 {
        a.extend(h.input(message(i, "C1", "m")));
    }
    assert_eq!(written(&a).len(), 50);
}

#[test]
fn the_queue_is_bounded() {
    let mut h = H::new(Config::default().with_queue_limit(2));
    h.input(message(1, "C1", "a"));
    h.input(queued(2, "custom", json!({}), false));
    let a = h.input(message(3, "C1", "c"));
    assert_eq!(
        settle_of(&a, 3),
        Some(Err(SendError::QueueFull { limit: 2 }))
    );
    assert_eq!(
        SendError::QueueFull { limit: 2 }.code(),
        "slack_rtmapi_queue_full_error"
    );
    assert_eq!(h.client.queued(), 2);
}

#[test]
fn ids_start_at_one_and_never_repeat_across_pings_and_reconnects() {
    let (mut h, conn) = H::ready(no_pacing());
    let mut ids = Vec::new();
    ids.extend(written_ids(&h.input(immediate(1, "custom", json!({})))));
    // Keepalive pings take ids too.
    let a = h.tick_after(secs(6));
    ids.extend(written_ids(&a));
    let ping = written(&a)[0].clone();
    h.input(text(
        conn,
        &format!(r#"{{"type":"pong","reply_to":{}}}"#, ping["id"]),
    ));
    h.advance(secs(1));
    let c2 = web_call(&h.input(closed(conn, 1006))).unwrap();
    h.establish(c2);
    ids.extend(written_ids(&h.input(immediate(2, "custom", json!({})))));
    let c3 = web_call(&h.input(text(c2, r#"{"type":"goodbye"}"#)))
        .unwrap_or_else(|| web_call(&h.tick_deadline()).unwrap());
    h.establish(c3);
    ids.extend(written_ids(&h.input(message(3, "C1", "x"))));
    assert_eq!(ids, [1, 2, 3, 4]);
    // A second client has its own counter.
    let (mut other, _) = H::ready(no_pacing());
    assert_eq!(
        written_ids(&other.input(immediate(1, "custom", json!({})))),
        [1]
    );
}

#[test]
fn keepalive_pings_when_quiet_and_reconnects_on_a_missing_pong() {
    let (mut h, conn) = H::ready(Config::default());
    // Writing resets the quiet timer.
    h.advance(secs(4));
    h.input(immediate(1, "custom", json!({})));
    assert_eq!(h.client.next_deadline(), Some(h.now + secs(6)));
    h.advance(ms(5999));
    assert!(written(&h.input(Input::Tick)).is_empty());
    let a = h.tick_after(ms(1));
    let ping = &written(&a)[0];
    assert_eq!(ping["type"], "ping");
    assert_eq!(ping["id"], 2);
    assert!(ping["time"].is_u64());
    // Incoming frames are not pongs.
    h.input(text(
        conn,
        r#"{"type":"user_typing","channel":"C1","user":"U1"}"#,
    ));
    // A pong within server_pong_timeout keeps the session.
    h.advance(secs(3));
    let a = h.input(text(conn, r#"{"type":"pong","reply_to":2,"time":1}"#));
    assert_eq!(events(&a).len(), 1);
    assert_eq!(
        h.client.next_deadline(),
        Some(h.now + secs(3)),
        "6 s after the ping"
    );
    let a = h.tick_deadline();
    assert_eq!(written(&a)[0]["id"], 3);
    // No pong: the connection is dead; reconnect.
    h.advance(ms(3999));
    assert_eq!(h.input(Input::Tick), []);
    let a = h.tick_after(ms(1));
    assert!(a.contains(&Action::DropWebSocket { conn }));
    let (_, _, reason) = reconnecting(&a).unwrap();
    assert_eq!(reason, rtm_proto::RtmError::PongTimeout);
    assert!(web_call(&a).is_some());
}

#[test]
fn any_reply_at_or_after_the_ping_counts_as_the_pong() {
    let (mut h, conn) = H::ready(no_pacing());
    let a = h.tick_after(secs(6));
    let id = written_ids(&a)[0];
    h.input(message(10, "C1", "after the ping"));
    // A reply to an older id does not.
    h.input(text(conn, &ack(id - 1)));
    h.input(text(conn, &ack(id + 1)));
    h.advance(secs(4));
    let a = h.input(Input::Tick);
    assert!(reconnecting(&a).is_none(), "{a:?}");
}

#[test]
fn the_resume_phase_ends_on_the_reply_and_queued_sends_follow() {
    let (mut h, conn) = H::ready(no_pacing());
    h.input(message(1, "C1", "a"));
    h.advance(secs(1));
    let c2 = web_call(&h.input(closed(conn, 1006))).unwrap();
    h.input(message(2, "C1", "b"));
    h.establish(c2);
    assert_eq!(h.state(), RESUMING);
    let a = h.input(text(c2, &ack(1)));
    replied(settle_of(&a, 1));
    assert!(lifecycle(&a).contains(&"ready"));
    assert_eq!(written_ids(&a), [2]);
    assert_eq!(h.state(), READY);
}

#[test]
fn a_reply_during_disconnecting_still_settles_its_send() {
    let (mut h, conn) = H::ready(no_pacing());
    h.input(message(1, "C1", "a"));
    h.input(message(2, "C1", "b"));
    h.input(Input::Disconnect);
    let a = h.input(text(conn, &ack(1)));
    replied(settle_of(&a, 1));
    let a = h.input(closed(conn, 1000));
    assert_eq!(
        settle_of(&a, 2),
        Some(Err(SendError::NoReply {
            id: 2,
            reason: NoReplyReason::SessionEnded
        }))
    );
}

#[test]
fn the_frame_limit_is_exact_with_the_real_id() {
    let (mut h, _) = H::ready(no_pacing());
    // `{"id":1,"type":"custom","blob":"…"}` is 34 bytes plus the blob.
    let a = h.input(immediate(
        1,
        "custom",
        json!({ "blob": "x".repeat(16 * 1024 - 34) }),
    ));
    let frames: Vec<_> = a
        .iter()
        .filter_map(|a| match a {
            Action::SendText { text, .. } => Some(text.len()),
            _ => None,
        })
        .collect();
    assert_eq!(frames, [16 * 1024], "exactly the limit goes");
    let a = h.input(immediate(
        2,
        "custom",
        json!({ "blob": "x".repeat(16 * 1024 - 33) }),
    ));
    assert_eq!(
        settle_of(&a, 2),
        Some(Err(SendError::TooLarge {
            size: 16 * 1024 + 1,
            limit: 16 * 1024
        }))
    );

    // A frame that fits with a one-digit id but not with a two-digit one.
    let (mut h, _) = H::ready(no_pacing().with_max_frame_bytes(64));
    let body = json!({ "blob": "x".repeat(64 - 34) });
    for i in 1..=9 {
        assert_eq!(written_ids(&h.input(immediate(i, "t", json!({})))), [i]);
    }
    let a = h.input(immediate(10, "custom", body.clone()));
    assert_eq!(
        settle_of(&a, 10),
        Some(Err(SendError::TooLarge {
            size: 65,
            limit: 64
        }))
    );
    assert!(written(&a).is_empty());
    assert_eq!(h.client.next_message_id(), 10, "no id used up");
}
