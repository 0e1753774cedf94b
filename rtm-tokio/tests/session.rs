//! The session against the mock Slack, beyond the conformance suite: acks, errors, 500
//! pipelined sends, frames on the wire, disconnect when ready and twice, fatal web errors.

mod common;

use common::*;
use rtm_tokio::{BuilderExt, Error, SendError, State};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_message_is_acked_with_ts() {
    let slack = server();
    let client = started(&slack).await;
    let ack = within(client.send_message("hello & welcome", CHANNEL))
        .await
        .unwrap();
    assert_eq!(ack.id, 1);
    assert!(ack.ts.as_deref().is_some_and(|ts| ts.contains('.')));
    assert_eq!(ack.text.as_deref(), Some("hello &amp; welcome"));
    assert_eq!(slack.history(CHANNEL).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn platform_error_is_a_typed_send_error() {
    let slack = server();
    let client = started(&slack).await;
    let err = within(client.send_message("hi", "C0NOWHERE"))
        .await
        .unwrap_err();
    match &err {
        Error::Send(SendError::Platform { code, msg, .. }) => {
            assert_eq!(*code, 4);
            assert_eq!(msg, "channel not found");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(err.code(), "slack_rtmapi_send_message_platform_error");
    // The session goes on.
    within(client.send_message("still here", CHANNEL))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_pipelined_sends_all_settle_with_distinct_ids() {
    let slack = server();
    let client = started(&slack).await;
    let sends: Vec<_> = (0..500)
        .map(|i| tokio::spawn(client.send_message(format!("message {i}"), CHANNEL)))
        .collect();
    let mut ids = std::collections::BTreeSet::new();
    let mut stamps = std::collections::BTreeSet::new();
    for send in sends {
        let ack = within(send).await.unwrap().unwrap();
        assert!(ids.insert(ack.id), "id {} twice", ack.id);
        assert!(stamps.insert(ack.ts.unwrap()));
    }
    assert_eq!(ids.len(), 500);
    assert_eq!(slack.history(CHANNEL).len(), 500);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_and_presence_sub_go_on_the_wire() {
    let slack = server();
    let client = started(&slack).await;
    within(client.send_typing(CHANNEL)).await.unwrap();
    within(client.subscribe_presence(&["U0ALICE", "U0BOB"]))
        .await
        .unwrap();
    let id = within(client.send("ping", serde_json::json!({"extra": 5})))
        .await
        .unwrap();
    // `send` is immediate; its reply (the pong) comes back as an event.
    within(slack.wait_until(WAIT, |r| {
        r.last_conn().is_some_and(|c| c.reply_to(id).is_some())
    }))
    .await
    .unwrap();
    let conn = slack.record().last_conn().unwrap().clone();
    let frames = conn.from_client_json();
    let typing = frames.iter().find(|f| f["type"] == "typing").unwrap();
    assert_eq!(typing["channel"], CHANNEL);
    assert!(typing["id"].as_u64().is_some());
    let presence = frames.iter().find(|f| f["type"] == "presence_sub").unwrap();
    assert_eq!(presence["ids"], serde_json::json!(["U0ALICE", "U0BOB"]));
    assert_eq!(
        slack.presence_subscription(conn.conn),
        Some(vec!["U0ALICE".to_owned(), "U0BOB".to_owned()])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnect_when_ready_and_when_already_disconnected() {
    let slack = server();
    let client = started(&slack).await;
    within(client.disconnect()).await.unwrap();
    assert_eq!(client.state(), State::Disconnected);
    assert!(!client.connected());
    within(client.disconnect()).await.unwrap();
    let err = within(client.send(
        "message",
        serde_json::json!({"channel": CHANNEL, "text": "x"}),
    ))
    .await
    .unwrap_err();
    assert_eq!(err, Error::Send(SendError::NotConnected));
    assert_eq!(err.code(), "slack_rtmapi_send_while_disconnected_error");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fatal_web_error_fails_start() {
    let slack = server();
    let client = builder(&slack).build().unwrap();
    let err = within(client.start_with(rtm_tokio::StartOptions::new("xoxb-wrong")))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        Error::Rtm(rtm_tokio::RtmError::Platform {
            error: "invalid_auth".into()
        })
    );
    assert_eq!(err.code(), "slack_webapi_platform_error");
    assert!(!err.to_string().contains("xoxb-wrong"));
}
