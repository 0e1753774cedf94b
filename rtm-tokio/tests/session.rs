//! The session against the mock Slack: connect, send, errors, wire frames, reconnect.

mod common;

use common::*;
use futures::StreamExt;
use rtm_tokio::{BuilderExt, Connected, Error, SendError, State};

#[tokio::test]
async fn connects_and_becomes_ready() {
    let slack = server();
    let client = builder(&slack).build().unwrap();
    let mut events = client.events();
    assert_eq!(client.state(), State::Disconnected);
    let info = within(client.start()).await.unwrap();
    assert_eq!(info.self_id, "U0BOT");
    assert_eq!(info.team_id, "T0TESTTEAM");
    // start() completes when ready, and the properties already say so.
    assert_eq!(client.state(), State::Connected(Connected::Ready));
    assert!(client.connected());
    assert!(client.authenticated());
    assert_eq!(client.active_user_id().as_deref(), Some("U0BOT"));
    assert_eq!(client.active_team_id().as_deref(), Some("T0TESTTEAM"));
    let mut names = Vec::new();
    while names.last().map(String::as_str) != Some("ready") {
        let e = within(events.next()).await.unwrap().unwrap();
        names.push(e.name().to_owned());
    }
    assert_eq!(
        names,
        ["connecting", "authenticated", "hello", "connected", "ready"]
    );
    // The token went as a bearer header.
    let call = slack.record().web_calls[0].clone();
    assert_eq!(call.api_method, "rtm.connect");
    assert_eq!(call.token.as_deref(), Some(TOKEN));
}

#[tokio::test]
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

#[tokio::test]
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
