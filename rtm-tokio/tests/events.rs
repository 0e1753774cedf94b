//! Event streams: filtering, several subscribers, lossless delivery to slow subscribers, and
//! the lossy view by name.

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
async fn a_lagging_lossy_subscriber_is_told_and_the_session_stays_healthy() {
    const FLOOD: u64 = 20_000;
    let slack = server();
    let client = builder(&slack)
        .event_buffer(2)
        .client_ping_timeout(Duration::from_millis(300))
        .server_pong_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    // Lossy by name: subscribed, and never read until the end.
    let mut sleepy = client.events().lossy();
    within(client.start()).await.unwrap();
    let mut reader = client.subscribe_filtered(["message"]).lossy();
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

/// Reads `sub` to the flood's end, sleeping `pause` every `every` events (slower than the
/// socket), and once for `stall` halfway; returns the sequence numbers seen.
async fn read_slowly(
    mut sub: rtm_tokio::Events,
    count: u64,
    every: u64,
    pause: Duration,
    stall: Duration,
) -> Vec<u64> {
    let mut seqs = Vec::with_capacity(count as usize);
    while (seqs.len() as u64) < count {
        let item = tokio::time::timeout(FLOOD_WAIT, sub.next())
            .await
            .expect("the flood keeps coming")
            .expect("the stream goes on");
        let event = item.expect("a lossless subscription never lags");
        seqs.push(event.seq());
        if (seqs.len() as u64).is_multiple_of(every) {
            tokio::time::sleep(pause).await;
        }
        if seqs.len() as u64 == count / 2 {
            tokio::time::sleep(stall).await;
        }
    }
    seqs
}

/// Longest wait for the next event of a flood held back by slow subscribers.
const FLOOD_WAIT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_lossless_subscribers_get_every_event_of_a_flood_and_pace_the_session() {
    const FLOOD: u64 = 200_000;
    let slack = server();
    // A tight keepalive: a stall (the server's pong stuck behind unread frames) must not be
    // mistaken for a dead server.
    let client = builder(&slack)
        .event_buffer(4)
        .client_ping_timeout(Duration::from_millis(300))
        .server_pong_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let mut lifecycle = client.subscribe_filtered(["reconnecting", "disconnected", "error"]);
    within(client.start()).await.unwrap();
    let watcher = tokio::spawn(async move {
        let mut seen = Vec::new();
        while let Some(e) = lifecycle.next().await {
            seen.push(e.expect("lossless").name().to_owned());
        }
        seen
    });
    // Two subscribers of different speeds: the slower one paces the session, both see all.
    let slow = client.subscribe_filtered(["message"]);
    let slower = client.subscribe_filtered(["message"]);
    assert_eq!(slack.flood(FLOOD), 1);
    let ms = Duration::from_millis;
    let slow = tokio::spawn(read_slowly(slow, FLOOD, 5_000, ms(5), ms(0)));
    // A stall far longer than ping interval and pong deadline together.
    let slower = tokio::spawn(read_slowly(slower, FLOOD, 2_000, ms(10), ms(1500)));
    for seqs in [slow.await.unwrap(), slower.await.unwrap()] {
        // Every message of the flood (the only messages), in the order they happened (other
        // events, such as pongs, fall between them in the sequence).
        assert_eq!(seqs.len() as u64, FLOOD);
        assert!(seqs.windows(2).all(|w| w[1] > w[0]), "in order");
    }
    // The server wrote every event of the flood on the one connection: no reconnect.
    let record = slack.record();
    assert_eq!(record.connections.len(), 1, "no reconnect");
    assert_eq!(record.connections[0].flooded, FLOOD);
    assert!(client.status().ready());
    within(client.send_message("still here", CHANNEL))
        .await
        .unwrap();
    drop(client);
    let seen = within(watcher).await.unwrap();
    assert_eq!(
        seen,
        ["disconnected"],
        "no reconnect, missed pong or error: {seen:?}"
    );
}
