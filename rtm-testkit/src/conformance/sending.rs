//! Sending: acks, platform errors, out-of-order acks, typing and presence, local guards,
//! pacing, ids and reply timeouts.

use std::time::{Duration, Instant};

use futures::future::join_all;
use rtm_driver::{Error, Event, NoReplyReason, Pacing, SendError, Sent};
use serde_json::json;

use super::{
    CHANNEL, Ctx, Harness, OTHER_CHANNEL, WAIT, client_frames, event_named, sent_text, within,
};
use crate::model::Fault;

/// A message is written with a fresh id and settles with the server's ack (`ts`, the text as
/// stored); `outgoing_message` reports the frame.
pub async fn send_message_is_acked<H: Harness>(t: Ctx<H>) {
    let client = t.started().await;
    let mut outgoing = client.subscribe_filtered(["outgoing_message"]);
    let ack = within(
        "send_message",
        WAIT,
        client.send_message("hello & welcome", CHANNEL),
    )
    .await
    .unwrap();
    assert!(ack.id >= 1);
    assert!(ack.ts.as_deref().is_some_and(|ts| ts.contains('.')));
    assert_eq!(
        ack.text.as_deref(),
        Some("hello &amp; welcome"),
        "as stored"
    );

    let conn = t.conn(1);
    let frames = client_frames(&conn, "message");
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0]["id"], ack.id);
    assert_eq!(frames[0]["channel"], CHANNEL);
    assert_eq!(frames[0]["text"], "hello & welcome");
    let reply = conn.reply_to(ack.id).expect("the ack is on the wire");
    assert_eq!(reply["ok"], true);
    assert_eq!(reply["ts"].as_str(), ack.ts.as_deref());
    let history = t.slack.history(CHANNEL);
    assert_eq!(history.len(), 1);
    assert_eq!(Some(&history[0].ts), ack.ts.as_ref());

    let (e, _) = event_named(&mut outgoing, "outgoing_message").await;
    match e.event() {
        Event::OutgoingMessage { id, frame } => {
            assert_eq!(*id, ack.id);
            assert!(frame.contains("hello & welcome"));
        }
        other => panic!("{other:?}"),
    }

    // A reply in the thread of that message.
    let parent = ack.ts.clone().expect("ts");
    let reply = within(
        "send_message_in_thread",
        WAIT,
        client.send_message_in_thread("in thread", CHANNEL, &parent),
    )
    .await
    .unwrap();
    let frames = client_frames(&t.conn(1), "message");
    assert_eq!(frames[1]["thread_ts"], parent.as_str());
    let history = t.slack.history(CHANNEL);
    assert_eq!(history[1].ts, reply.ts.unwrap());
    assert_eq!(history[1].thread_ts.as_deref(), Some(parent.as_str()));
}

/// An error reply settles its send with a typed platform error; the session goes on.
pub async fn platform_error_settles_the_send<H: Harness>(t: Ctx<H>) {
    let client = t.started().await;
    let err = within("send_message", WAIT, client.send_message("hi", "C0NOWHERE"))
        .await
        .unwrap_err();
    match &err {
        Error::Send(SendError::Platform { id, code, msg, raw }) => {
            assert_eq!(*code, 4);
            assert_eq!(msg, "channel not found");
            assert!(raw.contains(&format!("\"reply_to\":{id}")));
        }
        other => panic!("expected a platform error, got {other:?}"),
    }
    assert_eq!(err.code(), "slack_rtmapi_send_message_platform_error");
    let no_text = within(
        "add_outgoing_event",
        WAIT,
        client.add_outgoing_event(true, "message", json!({"channel": CHANNEL})),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(no_text, Error::Send(SendError::Platform { code: 2, .. })),
        "{no_text:?}"
    );
    within(
        "send_message",
        WAIT,
        client.send_message("still here", CHANNEL),
    )
    .await
    .unwrap();
    assert_eq!(t.slack.record().connections.len(), 1, "no reconnect");
}

/// Slack's "slow down" reply is a platform error of that one send, not a session failure.
pub async fn slow_down_reply_is_a_platform_error<H: Harness>(t: Ctx<H>) {
    let client = t.started().await;
    t.slack.inject(Fault::RateLimit { count: 1 });
    let err = within(
        "send_message",
        WAIT,
        client.send_message("too fast", CHANNEL),
    )
    .await
    .unwrap_err();
    match &err {
        Error::Send(SendError::Platform { code, msg, .. }) => {
            assert_eq!(*code, -1);
            assert!(msg.starts_with("slow down"), "{msg}");
        }
        other => panic!("expected the slow-down error, got {other:?}"),
    }
    let ack = within("send_message", WAIT, client.send_message("calmer", CHANNEL))
        .await
        .unwrap();
    assert_eq!(ack.text.as_deref(), Some("calmer"));
    assert_eq!(t.slack.history(CHANNEL).len(), 1);
    assert_eq!(t.slack.record().connections.len(), 1);
}

/// Several messages go out before any ack; acks that come back in reverse order settle the
/// right sends (matched by id, no head-of-line blocking).
pub async fn pipelined_sends_acked_out_of_order<H: Harness>(t: Ctx<H>) {
    let client = t.started().await;
    t.slack.inject(Fault::HoldAcks { count: 3 });
    let texts = ["one", "two", "three"];
    let sends = texts.map(|text| client.send_message(text, CHANNEL));
    let acks = within("three acks", WAIT, join_all(sends)).await;
    let acks: Vec<_> = acks.into_iter().map(Result::unwrap).collect();
    for (ack, text) in acks.iter().zip(texts) {
        assert_eq!(ack.text.as_deref(), Some(text), "ack matched by id");
    }
    assert!(acks[0].id < acks[1].id && acks[1].id < acks[2].id);

    let conn = t.conn(1);
    let replies: Vec<u64> = conn
        .to_client_json()
        .iter()
        .filter_map(|f| f["reply_to"].as_u64())
        .filter(|id| acks.iter().any(|a| a.id == *id))
        .collect();
    assert_eq!(
        replies,
        [acks[2].id, acks[1].id, acks[0].id],
        "reversed on the wire"
    );
    let last_message_at = conn
        .from_client
        .iter()
        .filter(|r| r.frame.text().is_some_and(|t| t.contains("\"three\"")))
        .map(|r| r.at)
        .next()
        .unwrap();
    let first_ack_at = conn
        .to_client
        .iter()
        .find(|r| r.frame.json().is_some_and(|v| v["reply_to"] == acks[2].id))
        .unwrap()
        .at;
    assert!(
        last_message_at <= first_ack_at,
        "all three were written before any ack"
    );
}

/// `send_typing` and `subscribe_presence` write their frames and settle once written;
/// `send` writes at once and its reply comes as an event.
pub async fn typing_and_presence_sub_on_the_wire<H: Harness>(t: Ctx<H>) {
    let client = t.started().await;
    let mut pongs = client.subscribe_filtered(["pong"]);
    within("send_typing", WAIT, client.send_typing(CHANNEL))
        .await
        .unwrap();
    within(
        "subscribe_presence",
        WAIT,
        client.subscribe_presence(&["U0ALICE", "U0BOB"]),
    )
    .await
    .unwrap();
    let id = within("send", WAIT, client.send("ping", json!({"extra": 5})))
        .await
        .unwrap();
    let (pong, _) = event_named(&mut pongs, "pong").await;
    match pong.event() {
        Event::Slack(e) => {
            assert_eq!(e.reply_to(), Some(id));
            assert_eq!(e.json().unwrap()["extra"], 5, "ping fields echoed");
        }
        other => panic!("{other:?}"),
    }

    let conn = t.conn(1);
    let typing = client_frames(&conn, "typing");
    assert_eq!(typing.len(), 1);
    assert_eq!(typing[0]["channel"], CHANNEL);
    let typing_id = typing[0]["id"].as_u64().expect("typing has an id");
    assert!(typing_id < id);
    // Replies come in order, so the pong proves that typing got none.
    assert_eq!(conn.reply_to(typing_id), None);
    let presence = client_frames(&conn, "presence_sub");
    assert_eq!(presence.len(), 1);
    assert_eq!(presence[0]["ids"], json!(["U0ALICE", "U0BOB"]));
    assert_eq!(
        t.slack.presence_subscription(conn.conn),
        Some(vec!["U0ALICE".to_owned(), "U0BOB".to_owned()])
    );
}

/// A frame over 16 KB or a text over 4,000 characters is refused before the wire (Slack
/// would drop the connection); the session goes on.
pub async fn oversized_frames_are_refused_locally<H: Harness>(t: Ctx<H>) {
    let client = t.started().await;
    let filler = "x".repeat(20_000);
    let err = within(
        "send",
        WAIT,
        client.send("typing", json!({"channel": CHANNEL, "filler": filler})),
    )
    .await
    .unwrap_err();
    match &err {
        Error::Send(SendError::TooLarge { size, limit }) => {
            assert_eq!(*limit, 16 * 1024);
            assert!(*size > 20_000);
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
    assert_eq!(err.code(), "slack_rtmapi_invalid_message_error");
    let queued = within(
        "add_outgoing_event",
        WAIT,
        client.add_outgoing_event(
            true,
            "message",
            json!({"channel": CHANNEL, "text": "a", "blob": filler}),
        ),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(queued, Error::Send(SendError::TooLarge { .. })),
        "{queued:?}"
    );
    let long = within(
        "send_message",
        WAIT,
        client.send_message("y".repeat(4001), CHANNEL),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            long,
            Error::Send(SendError::TextTooLong {
                chars: 4001,
                limit: 4000
            })
        ),
        "{long:?}"
    );
    within("send_message", WAIT, client.send_message("small", CHANNEL))
        .await
        .unwrap();

    let record = t.slack.record();
    assert_eq!(record.connections.len(), 1, "the session survived");
    let conn = &record.connections[0];
    assert!(conn.is_open() && conn.server_close.is_none());
    assert!(conn.from_client.iter().all(|r| r.frame.len() <= 16 * 1024));
    assert_eq!(client_frames(conn, "message").len(), 1);
}

/// Queued messages to one channel go out at the configured rate after a burst; another
/// channel is not held up; an immediate `send` of a message is refused while paced.
pub async fn pacing_spaces_messages_per_channel<H: Harness>(t: Ctx<H>) {
    let client = t.build(
        t.builder()
            // Slow enough that a loaded machine cannot refill a token between the test's steps.
            .pacing(Some(Pacing::default().with_per_second(4.0).with_burst(2))),
    );
    let client = t.start(client).await;
    let mut queued: Vec<_> = (0..6)
        .map(|i| client.send_message(format!("paced {i}"), CHANNEL.to_owned()))
        .collect();
    queued.push(client.send_message("elsewhere".to_owned(), OTHER_CHANNEL.to_owned()));
    let immediate = client.send("message", json!({"channel": CHANNEL, "text": "now"}));
    let started = Instant::now();
    let (acks, immediate) = within(
        "paced sends",
        WAIT,
        futures::future::join(join_all(queued), immediate),
    )
    .await;
    let elapsed = started.elapsed();
    for ack in acks {
        ack.unwrap();
    }
    match immediate {
        Err(Error::Send(SendError::Paced { retry_after })) => {
            assert!(retry_after > Duration::ZERO && retry_after <= Duration::from_millis(250))
        }
        other => panic!("expected Paced, got {other:?}"),
    }

    let conn = t.conn(1);
    let at = |text: &str| {
        conn.from_client
            .iter()
            .find(|r| r.frame.json().is_some_and(|v| v["text"] == text))
            .unwrap_or_else(|| panic!("{text:?} on the wire"))
            .at
    };
    let first = at("paced 0");
    let last = at("paced 5");
    // Two at once, then four at 4/s: about 1 s.
    let span = last - first;
    assert!(
        span >= Duration::from_millis(900),
        "6 messages at 4/s with a burst of 2 took only {span:?}"
    );
    assert!(span < Duration::from_secs(5), "pacing too slow: {span:?}");
    assert!(
        at("paced 1") - first < Duration::from_millis(200),
        "the burst"
    );
    assert!(
        at("elsewhere") < at("paced 3"),
        "another channel is not held up"
    );
    assert!(elapsed >= span);
    assert!(!sent_text(&conn, "now"));
}

/// Message ids start fresh per client, grow, and never repeat, across reconnects too
/// (pings included).
pub async fn ids_never_repeat_across_reconnects<H: Harness>(t: Ctx<H>) {
    let client = t.started().await;
    let mut lifecycle = client.subscribe_filtered(["ready"]);
    let a = within("send_message", WAIT, client.send_message("before", CHANNEL))
        .await
        .unwrap();
    t.slack.inject(Fault::DropTcp);
    event_named(&mut lifecycle, "ready").await;
    let b = within("send_message", WAIT, client.send_message("after", CHANNEL))
        .await
        .unwrap();
    assert!(b.id > a.id);
    let record = t.slack.record();
    assert_eq!(record.connections.len(), 2);
    let mut ids: Vec<(Instant, u64)> = record
        .connections
        .iter()
        .flat_map(|c| c.from_client.iter())
        .filter_map(|r| Some((r.at, r.frame.json()?["id"].as_u64()?)))
        .collect();
    ids.sort();
    assert!(ids.len() >= 2);
    assert!(
        ids.windows(2).all(|w| w[0].1 < w[1].1),
        "ids grow and never repeat: {ids:?}"
    );
}

/// An awaited reply that never comes settles the send with `no_reply` after `reply_timeout`;
/// its late ack is harmless.
pub async fn reply_timeout_settles_the_send<H: Harness>(t: Ctx<H>) {
    let timeout = Duration::from_millis(300);
    let client = t.build(t.builder().reply_timeout(Some(timeout)));
    let client = t.start(client).await;
    t.slack.inject(Fault::HoldAcks { count: 2 });
    let started = Instant::now();
    let err = within("send_message", WAIT, client.send_message("lost", CHANNEL))
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    match &err {
        Error::Send(SendError::NoReply { reason, .. }) => {
            assert_eq!(*reason, NoReplyReason::Timeout)
        }
        other => panic!("expected no_reply, got {other:?}"),
    }
    assert_eq!(err.code(), "slack_rtmapi_no_reply_received_error");
    assert!(elapsed >= timeout, "settled after {elapsed:?}");
    t.slack.inject(Fault::ReleaseAcks);
    let sent = within(
        "add_outgoing_event",
        WAIT,
        client.add_outgoing_event(true, "message", json!({"channel": CHANNEL, "text": "next"})),
    )
    .await
    .unwrap();
    assert!(matches!(sent, Sent::Replied(_)));
    assert!(client.status().ready());
    assert_eq!(t.slack.record().connections.len(), 1);
}
