//! Event streams: filtering, several subscribers, and the slow-subscriber policy.

mod common;

use std::time::Duration;

use common::*;
use futures::StreamExt;
use rtm_tokio::{BuilderExt, Event, Lagged};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_by_type_and_subtype() {
    let slack = server();
    let client = started(&slack).await;
    let mut messages = client.subscribe_filtered(["message"]);
    let mut bots = client.events().only(["message::bot_message"]);
    slack.push_event(
        rtm_testkit::Target::All,
        &serde_json::json!({"type":"user_typing","channel":CHANNEL,"user":"U0ALICE"}),
    );
    slack.push_event(
        rtm_testkit::Target::All,
        &serde_json::json!({"type":"message","subtype":"bot_message","channel":CHANNEL,"text":"beep","bot_id":"B1"}),
    );
    slack.push_event(
        rtm_testkit::Target::All,
        &serde_json::json!({"type":"message","channel":CHANNEL,"text":"hi","user":"U0ALICE"}),
    );
    let bot = within(bots.next()).await.unwrap().unwrap();
    let Event::Slack(e) = bot.event() else {
        panic!("{bot:?}")
    };
    assert_eq!(e.subtype(), Some("bot_message"));
    match e.typed().unwrap() {
        rtm_tokio::TypedEvent::Message(m) => assert_eq!(m.text.as_deref(), Some("beep")),
        other => panic!("{other:?}"),
    }
    let first = within(messages.next()).await.unwrap().unwrap();
    let second = within(messages.next()).await.unwrap().unwrap();
    assert_eq!(first.name(), "message");
    assert_eq!(second.name(), "message");
    assert!(second.seq() > first.seq());
    let Event::Slack(e) = second.event() else {
        panic!()
    };
    assert_eq!(e.json().unwrap()["user"], "U0ALICE");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lagging_subscriber_is_told_and_the_session_stays_healthy() {
    const FLOOD: u64 = 20_000;
    let slack = server();
    let client = builder(&slack)
        .event_buffer(2)
        .client_ping_timeout(Duration::from_millis(300))
        .server_pong_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    // Subscribed, and never read until the end.
    let mut sleepy = client.events();
    within(client.start()).await.unwrap();
    let mut reader = client.subscribe_filtered(["message"]);
    assert_eq!(slack.flood(FLOOD), 1);
    // A reader that keeps up (as well as it can) sees the flood end.
    let mut seen = 0u64;
    let mut missed = 0u64;
    while seen + missed < FLOOD {
        match within(reader.next()).await.unwrap() {
            Ok(_) => seen += 1,
            Err(Lagged(n)) => missed += n,
        }
    }
    assert!(seen > 0);
    // Keepalive goes on: the client pings (and gets pongs) after the flood, same connection.
    let flood_done = std::time::Instant::now();
    within(slack.wait_until(WAIT, |r| {
        r.connections.len() == 1
            && r.connections[0]
                .from_client
                .iter()
                .filter(|f| f.at > flood_done)
                .filter_map(|f| f.frame.json())
                .filter(|f| f["type"] == "ping")
                .count()
                >= 2
    }))
    .await
    .unwrap();
    assert!(client.status().ready());
    within(client.send_message("still healthy", CHANNEL))
        .await
        .unwrap();
    // The sleepy subscriber first learns how much it missed, then gets the newest events.
    let first = within(sleepy.next()).await.unwrap();
    let Err(Lagged(n)) = first else {
        panic!("expected Lagged, got {first:?}")
    };
    assert!(n > 0 && n <= FLOOD + 100, "missed {n}");
    let next = within(sleepy.next()).await.unwrap().unwrap();
    assert!(next.seq() >= n);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_subscriber_gets_every_event_when_keeping_up() {
    let slack = server();
    let client = started(&slack).await;
    let mut a = client.subscribe_filtered(["message"]);
    let mut b = client.subscribe_filtered(["message"]);
    slack.flood(500);
    for sub in [&mut a, &mut b] {
        for _ in 0..500 {
            within(sub.next()).await.unwrap().unwrap();
        }
    }
}
