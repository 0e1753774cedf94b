//! The loopback server, driven by clients that are not ours (raw HTTP, raw tokio-tungstenite).

mod common;

use std::time::{Duration, Instant};

use common::*;
use futures::SinkExt;
use rtm_testkit::model::{Script, SocketId, codes};
use rtm_testkit::{Fault, MockSlack, ServerOptions, Target, UserAction, WebFault, WireFrame};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

fn start() -> MockSlack {
    MockSlack::start(ServerOptions::default()).expect("start")
}

#[tokio::test]
async fn session_end_to_end() {
    let slack = start();
    assert!(slack.api_url().starts_with("http://127.0.0.1:"));
    assert!(slack.api_url().ends_with("/api/"));
    let r = post(
        &slack.api_url(),
        "rtm.connect",
        &[],
        &format!("token={TOKEN}&batch_presence_aware=1"),
    )
    .await;
    let v = r.json();
    assert_eq!(v["ok"], true);
    assert_eq!(v["self"]["id"], "U0BOT");
    assert_eq!(v["team"]["id"], "T0TESTTEAM");
    let url = v["url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("ws://{}/websocket/", slack.addr())),
        "{url}"
    );

    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    assert_eq!(next_json(&mut ws).await, json!({"type": "hello"}));
    send_json(
        &mut ws,
        json!({"id": 1, "type": "message", "channel": "C0GENERAL", "text": "Hello world"}),
    )
    .await;
    let ack = next_json(&mut ws).await;
    assert_eq!(ack["ok"], true);
    assert_eq!(ack["reply_to"], 1);
    assert_eq!(ack["text"], "Hello world");
    assert!(ack["ts"].as_str().unwrap().contains('.'));
    send_json(
        &mut ws,
        json!({"id": 2, "type": "ping", "time": 1403299273342u64}),
    )
    .await;
    assert_eq!(
        next_json(&mut ws).await,
        json!({"type": "pong", "reply_to": 2, "time": 1403299273342u64})
    );
    send_json(&mut ws, json!({"type": "presence_sub", "ids": ["U0ALICE"]})).await;

    let conn = slack
        .wait_for(WAIT, |r| {
            let c = r.last_conn()?;
            c.presence_sub.as_ref()?;
            Some(c.conn)
        })
        .await
        .unwrap();
    assert_eq!(
        slack.presence_subscription(conn).unwrap(),
        vec!["U0ALICE".to_string()]
    );
    assert_eq!(slack.active_connections(), 1);
    let rec = slack.record();
    assert_eq!(rec.web_calls.len(), 1);
    assert_eq!(
        rec.web_calls[0].params,
        vec![("batch_presence_aware".to_string(), "1".to_string())]
    );
    let c = rec.conn(conn).unwrap();
    assert_eq!(c.from_client.len(), 3);
    assert_eq!(c.to_client_of_type("hello").len(), 1);
    assert_eq!(c.reply_to(1).unwrap()["ts"], ack["ts"]);
    assert_eq!(slack.history("C0GENERAL")[0].text, "Hello world");

    ws.close(None).await.unwrap();
    slack
        .wait_until(WAIT, |r| r.active_connections() == 0)
        .await
        .unwrap();
}

#[tokio::test]
async fn web_call_answers_and_faults() {
    let slack = start();
    let api = slack.api_url();
    assert_eq!(
        post(&api, "rtm.connect", &[], "").await.body,
        r#"{"ok":false,"error":"not_authed"}"#
    );
    assert_eq!(
        post(&api, "rtm.connect", &[], "token=xoxb-wrong")
            .await
            .body,
        r#"{"ok":false,"error":"invalid_auth"}"#
    );
    // GET with the token in the query, legacy rtm.start.
    let (host, path) = host_and_path(&api);
    let tcp = tokio::net::TcpStream::connect(&host).await.unwrap();
    let r = raw_http(
        tcp,
        "GET",
        &host,
        &format!("{path}rtm.start?token={TOKEN}"),
        &[],
        "",
    )
    .await;
    assert_eq!(r.json()["channels"][0]["id"], "C0GENERAL");

    slack.arm_web_fault(
        WebFault::RateLimited {
            retry_after_secs: 3,
        },
        1,
    );
    slack.arm_web_fault(WebFault::Status { status: 503 }, 1);
    slack.arm_web_fault(WebFault::NotJson, 1);
    slack.arm_web_fault(WebFault::invalid_auth(), 1);
    slack.arm_web_fault(
        WebFault::Slow {
            delay: Duration::from_millis(300),
        },
        1,
    );
    let auth = format!("token={TOKEN}");
    let r = post(&api, "rtm.connect", &[], &auth).await;
    assert_eq!(
        (r.status, r.header("retry-after"), r.body.as_str()),
        (429, Some("3"), r#"{"ok":false,"error":"ratelimited"}"#)
    );
    assert_eq!(post(&api, "rtm.connect", &[], &auth).await.status, 503);
    let r = post(&api, "rtm.connect", &[], &auth).await;
    assert_eq!(r.status, 200);
    assert!(
        serde_json::from_str::<serde_json::Value>(&r.body).is_err(),
        "not JSON: {}",
        r.body
    );
    assert_eq!(
        post(&api, "rtm.connect", &[], &auth).await.json()["error"],
        "invalid_auth"
    );
    let t0 = Instant::now();
    let r = post(&api, "rtm.connect", &[], &auth).await;
    assert!(t0.elapsed() >= Duration::from_millis(300));
    assert_eq!(r.json()["ok"], true);
    assert_eq!(slack.record().web_calls.len(), 8);
}

#[tokio::test]
async fn socket_url_is_single_use() {
    let slack = start();
    let url = rtm_connect(&slack.api_url()).await;
    let (_ws, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    match tokio_tungstenite::connect_async(&url).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => assert_eq!(resp.status(), 409),
        other => panic!("reuse must fail: {other:?}"),
    }
    let bogus = url.rsplit_once('/').unwrap().0.to_string() + "/nope";
    assert!(tokio_tungstenite::connect_async(bogus).await.is_err());
}

#[tokio::test]
async fn message_errors_and_limits() {
    let slack = start();
    let mut ws = open_ready(&slack.api_url()).await;
    send_json(
        &mut ws,
        json!({"id": 1, "type": "message", "channel": "C0NOPE", "text": "x"}),
    )
    .await;
    assert_eq!(
        next_json(&mut ws).await["error"],
        json!({"code": codes::CHANNEL_NOT_FOUND, "msg": "channel not found"})
    );
    send_json(
        &mut ws,
        json!({"id": 2, "type": "message", "channel": "C0GENERAL"}),
    )
    .await;
    assert_eq!(
        next_json(&mut ws).await["error"],
        json!({"code": 2, "msg": "message text is missing"})
    );
    send_json(
        &mut ws,
        json!({"id": 3, "type": "message", "channel": "C0GENERAL", "text": "x".repeat(4001)}),
    )
    .await;
    assert_eq!(next_json(&mut ws).await["error"]["msg"], "msg too long");
    ws.send(Message::text("{not json")).await.unwrap();
    assert_eq!(next_json(&mut ws).await["type"], "error");
    send_json(
        &mut ws,
        json!({"type": "message", "channel": "C0GENERAL", "text": "no id"}),
    )
    .await;
    assert_eq!(next_json(&mut ws).await["error"]["code"], codes::NO_ID);
    send_json(
        &mut ws,
        json!({"id": 4, "type": "message", "channel": "C0GENERAL", "text": "y".repeat(17000)}),
    )
    .await;
    assert_eq!(close_code(&mut ws).await, Some(1009));
}

#[tokio::test]
async fn other_sessions_see_messages_and_typing() {
    let slack = start();
    let mut a = open_ready(&slack.api_url()).await;
    let mut b = open_ready(&slack.api_url()).await;
    send_json(
        &mut a,
        json!({"id": 1, "type": "typing", "channel": "C0GENERAL"}),
    )
    .await;
    assert_eq!(
        next_json(&mut b).await,
        json!({"type": "user_typing", "channel": "C0GENERAL", "user": "U0BOT"})
    );
    send_json(
        &mut a,
        json!({"id": 2, "type": "message", "channel": "C0GENERAL", "text": "hi"}),
    )
    .await;
    let ev = next_json(&mut b).await;
    assert_eq!(
        (
            ev["type"].as_str(),
            ev["user"].as_str(),
            ev["text"].as_str()
        ),
        (Some("message"), Some("U0BOT"), Some("hi"))
    );
    assert_eq!(
        next_json(&mut a).await["reply_to"],
        2,
        "no typing echo to the sender"
    );
}

#[tokio::test]
async fn scripted_users_and_pushed_events() {
    let slack = start();
    let mut ws = open_ready(&slack.api_url()).await;
    send_json(&mut ws, json!({"type": "presence_sub", "ids": ["U0BOB"]})).await;
    slack
        .wait_until(WAIT, |r| {
            r.last_conn().is_some_and(|c| c.presence_sub.is_some())
        })
        .await
        .unwrap();
    slack
        .act(UserAction::Message {
            user: "U0ALICE".into(),
            channel: "C0GENERAL".into(),
            text: "hello bot".into(),
        })
        .unwrap();
    let msg = next_json(&mut ws).await;
    assert_eq!(
        (msg["type"].as_str(), msg["user"].as_str()),
        (Some("message"), Some("U0ALICE"))
    );
    assert!(
        msg["client_msg_id"].is_string()
            && msg["blocks"].is_array()
            && msg["event_ts"] == msg["ts"]
    );
    slack.run_script(
        &Script::new()
            .then(
                Duration::from_millis(20),
                UserAction::React {
                    user: "U0BOB".into(),
                    channel: "C0GENERAL".into(),
                    ts: None,
                    reaction: "wave".into(),
                },
            )
            .then(
                Duration::from_millis(40),
                UserAction::Join {
                    user: "U0BOB".into(),
                    channel: "C0RANDOM".into(),
                },
            )
            .then(
                Duration::from_millis(60),
                UserAction::Presence {
                    user: "U0BOB".into(),
                    presence: "away".into(),
                },
            ),
    );
    let react = next_json(&mut ws).await;
    assert_eq!(
        (react["type"].as_str(), &react["item"]["ts"]),
        (Some("reaction_added"), &msg["ts"])
    );
    assert_eq!(next_json(&mut ws).await["type"], "member_joined_channel");
    assert_eq!(
        next_json(&mut ws).await,
        json!({"type": "presence_change", "user": "U0BOB", "presence": "away"})
    );
    assert!(
        slack
            .act(UserAction::Typing {
                user: "U0NOBODY".into(),
                channel: "C0GENERAL".into()
            })
            .is_err()
    );

    slack.push_event(
        Target::All,
        &json!({"type": "reconnect_url", "url": "wss://x"}),
    );
    assert_eq!(next_json(&mut ws).await["type"], "reconnect_url");
    slack.push(Target::All, WireFrame::Text("{garbage".into()));
    assert_eq!(
        next_msg(&mut ws).await.unwrap().unwrap(),
        Message::text("{garbage")
    );
    slack.push(Target::All, WireFrame::Binary(vec![0, 1, 2]));
    assert_eq!(
        next_msg(&mut ws).await.unwrap().unwrap(),
        Message::binary(vec![0, 1, 2])
    );
}

#[tokio::test]
async fn faults_close_drop_goodbye_migration() {
    let slack = start();
    let api = slack.api_url();
    let mut ws = open_ready(&api).await;
    slack.inject(Fault::goodbye());
    assert_eq!(next_json(&mut ws).await, json!({"type": "goodbye"}));
    slack.inject(Fault::TeamMigrationStarted);
    assert_eq!(
        next_json(&mut ws).await,
        json!({"type": "team_migration_started"})
    );
    slack.inject(Fault::Close {
        code: 4001,
        reason: "test".into(),
    });
    assert_eq!(close_code(&mut ws).await, Some(4001));

    let mut ws = open_ready(&api).await;
    slack.inject(Fault::DropTcp);
    match next_msg(&mut ws).await {
        Some(Err(_)) | None => {}
        other => panic!("expected the connection to end without a close frame, got {other:?}"),
    }
    slack
        .wait_until(WAIT, |r| r.active_connections() == 0)
        .await
        .unwrap();
    assert!(slack.record().connections[1].dropped);
}

#[tokio::test]
async fn faults_on_opening() {
    let slack = start();
    let api = slack.api_url();
    // No hello: the first frame is whatever comes next.
    slack.inject(Fault::NoHello);
    let mut ws = open(&api).await;
    slack
        .wait_until(WAIT, |r| r.active_connections() == 1)
        .await
        .unwrap();
    slack.push_event(Target::All, &json!({"type": "marker"}));
    assert_eq!(next_json(&mut ws).await, json!({"type": "marker"}));

    slack.inject(Fault::LateHello {
        delay: Duration::from_millis(200),
    });
    let t0 = Instant::now();
    let mut ws = open(&api).await;
    assert_eq!(next_json(&mut ws).await["type"], "hello");
    assert!(t0.elapsed() >= Duration::from_millis(200));

    slack.inject(Fault::ExpiredUrl);
    let mut ws = open(&api).await;
    assert_eq!(
        next_json(&mut ws).await,
        json!({"type": "error", "error": {"code": 1, "msg": "Socket URL has expired"}})
    );
    assert!(close_code(&mut ws).await.is_some());
}

#[tokio::test]
async fn replay_last_ack_after_reconnect() {
    let slack = start();
    let api = slack.api_url();
    let mut ws = open_ready(&api).await;
    send_json(
        &mut ws,
        json!({"id": 41, "type": "message", "channel": "C0GENERAL", "text": "last"}),
    )
    .await;
    let ack = next_json(&mut ws).await;
    slack.inject(Fault::ReplayLastAck);
    slack.inject(Fault::DropTcp);
    let mut ws = open_ready(&api).await;
    assert_eq!(next_json(&mut ws).await, ack);
}

#[tokio::test]
async fn pongs_rate_limit_and_out_of_order_acks() {
    let slack = start();
    let mut ws = open_ready(&slack.api_url()).await;
    slack.inject(Fault::StopPongs);
    send_json(&mut ws, json!({"id": 1, "type": "ping"})).await;
    send_json(
        &mut ws,
        json!({"id": 2, "type": "message", "channel": "C0GENERAL", "text": "a"}),
    )
    .await;
    assert_eq!(
        next_json(&mut ws).await["reply_to"],
        2,
        "the ping went unanswered"
    );
    slack.inject(Fault::ResumePongs);

    slack.inject(Fault::RateLimit { count: 1 });
    send_json(
        &mut ws,
        json!({"id": 3, "type": "message", "channel": "C0GENERAL", "text": "a"}),
    )
    .await;
    assert_eq!(
        next_json(&mut ws).await,
        json!({"ok": false, "reply_to": 3, "error": {"code": -1, "msg": "slow down, too many messages..."}})
    );

    slack.inject(Fault::HoldAcks { count: 3 });
    for id in 4..=6 {
        send_json(
            &mut ws,
            json!({"id": id, "type": "message", "channel": "C0GENERAL", "text": "p"}),
        )
        .await;
    }
    let mut order = Vec::new();
    for _ in 0..3 {
        order.push(next_json(&mut ws).await["reply_to"].as_u64().unwrap());
    }
    assert_eq!(order, vec![6, 5, 4]);

    slack.inject(Fault::SlowReplies {
        delay: Duration::from_millis(150),
    });
    let t0 = Instant::now();
    send_json(&mut ws, json!({"id": 7, "type": "ping"})).await;
    assert_eq!(next_json(&mut ws).await["type"], "pong");
    assert!(t0.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn flood_delivers_every_event_and_still_answers() {
    let slack = start();
    let mut ws = open_ready(&slack.api_url()).await;
    const N: u64 = 20_000;
    assert_eq!(slack.flood(N), 1);
    send_json(&mut ws, json!({"id": 1, "type": "ping"})).await;
    let (mut events, mut pong) = (0u64, false);
    while events < N || !pong {
        let v = next_json(&mut ws).await;
        match v["type"].as_str() {
            Some("message") => events += 1,
            Some("pong") => pong = true,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(events, N);
    assert_eq!(slack.record().connections[0].flooded, N);
}

#[tokio::test]
async fn shutdown_closes_sockets_with_1001() {
    let slack = start();
    let mut ws = open_ready(&slack.api_url()).await;
    let closer = tokio::task::spawn_blocking(move || slack.shutdown());
    assert_eq!(close_code(&mut ws).await, Some(1001));
    drop(ws);
    tokio::time::timeout(WAIT, closer).await.unwrap().unwrap();
}

#[test]
fn usable_without_any_runtime() {
    let slack = start();
    let (host, path) = host_and_path(&slack.api_url());
    let mut tcp = std::net::TcpStream::connect(&host).unwrap();
    use std::io::{Read, Write};
    let body = format!("token={TOKEN}");
    write!(tcp, "POST {path}rtm.connect HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}", body.len()).unwrap();
    let mut raw = Vec::new();
    tcp.read_to_end(&mut raw).unwrap();
    let url = parse_response(&raw).json()["url"]
        .as_str()
        .unwrap()
        .to_string();
    let (mut ws, _) = tungstenite::connect(url).unwrap();
    assert_eq!(
        ws.read().unwrap(),
        tungstenite::Message::text(r#"{"type":"hello"}"#)
    );
    ws.send(tungstenite::Message::text(r#"{"id":1,"type":"ping"}"#))
        .unwrap();
    assert_eq!(
        ws.read().unwrap(),
        tungstenite::Message::text(r#"{"type":"pong","reply_to":1}"#)
    );
    slack
        .wait_until_blocking(WAIT, |r| {
            r.conn(SocketId(1))
                .is_some_and(|c| c.from_client.len() == 1)
        })
        .unwrap();
    let err = slack.wait_until_blocking(Duration::from_millis(50), |r| r.connections.len() == 2);
    assert!(matches!(err, Err(rtm_testkit::Error::Timeout(_))));
    // And from a foreign executor.
    futures::executor::block_on(slack.wait_until(WAIT, |r| r.active_connections() == 1)).unwrap();
    drop(ws);
    drop(slack);
}

#[tokio::test]
async fn the_admin_api_answers_wrong_methods_big_bodies_and_unknown_connections_clearly() {
    let slack = MockSlack::start(ServerOptions::default()).unwrap();
    let url = slack.admin_url();
    // A known endpoint with the wrong method: 405, naming the right one.
    let (status, v) = admin_status(&url, "GET", "fault", "").await;
    assert_eq!(status, 405, "{v}");
    assert!(v["error"].as_str().unwrap().contains("POST"), "{v}");
    // An unknown endpoint: 404.
    let (status, _) = admin_status(&url, "POST", "no_such_thing", "{}").await;
    assert_eq!(status, 404);
    // A body over the 4 MiB limit: 413.
    let big = format!(
        r#"{{"fault":"raw_text","text":"{}"}}"#,
        "x".repeat(4 * 1024 * 1024 + 1)
    );
    let (status, _) = admin_status(&url, "POST", "fault", &big).await;
    assert_eq!(status, 413);
    // A fault, a push or a flood aimed at a connection that is not open: 404, and nothing done.
    for (endpoint, body) in [
        ("fault", r#"{"fault":"goodbye","target":{"conn":99}}"#),
        ("push", r#"{"text":"x","target":{"conn":99}}"#),
        ("flood", r#"{"count":10,"target":{"conn":99}}"#),
    ] {
        let (status, v) = admin_status(&url, "POST", endpoint, body).await;
        assert_eq!(status, 404, "{endpoint}: {v}");
        assert!(v["error"].as_str().unwrap().contains("99"), "{v}");
    }
    // Aimed at every connection (none open), a fault is still fine.
    let (status, _) = admin_status(&url, "POST", "fault", r#"{"fault":"goodbye"}"#).await;
    assert_eq!(status, 200);
}
