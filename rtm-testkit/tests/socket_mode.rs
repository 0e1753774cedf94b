//! Socket Mode on the loopback server, driven by a raw tokio-tungstenite client: connect via
//! `apps.connections.open` over HTTP, `hello`, envelopes from scripted users and the admin
//! interface, acks, redelivery, refresh, link_disabled and the half-open fault.

mod common;

use std::time::Duration;

use common::*;
use futures::SinkExt;
use rtm_testkit::model::{DEFAULT_APP_ID, DEFAULT_APP_TOKEN};
use rtm_testkit::{
    BlockAction, Fault, MockSlack, ServerOptions, SlashCommand, SocketModeConfig, Target,
    UserAction,
};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

/// Short timings so that redelivery and refresh happen within the tests' bounded waits.
fn start() -> MockSlack {
    let config = SocketModeConfig {
        ack_timeout: Duration::from_millis(500),
        warning_lead: Duration::from_millis(200),
        close_grace: Duration::from_millis(100),
        ..SocketModeConfig::default()
    };
    MockSlack::start(ServerOptions::default().socket_mode(config)).expect("start")
}

async fn connections_open(api_url: &str, token: &str) -> HttpResponse {
    post(
        api_url,
        "apps.connections.open",
        &[("Authorization", &format!("Bearer {token}"))],
        "",
    )
    .await
}

/// apps.connections.open + WebSocket connect + `hello`; returns the socket and the hello.
async fn open_link(slack: &MockSlack) -> (Ws, Value) {
    let r = connections_open(&slack.api_url(), &slack.app_token().unwrap()).await;
    let url = r.json()["url"].as_str().expect("url").to_string();
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.expect("ws");
    let hello = next_json(&mut ws).await;
    assert_eq!(hello["type"], "hello", "{hello}");
    (ws, hello)
}

fn alice_says(text: &str) -> UserAction {
    UserAction::Message {
        user: "U0ALICE".into(),
        channel: "C0GENERAL".into(),
        text: text.into(),
    }
}

/// The next envelope with this id, skipping redeliveries of others (a loaded machine may
/// let an ack cross a retry; those tests are about something else).
async fn next_with_id(ws: &mut Ws, id: &str) -> Value {
    loop {
        let v = next_json(ws).await;
        if v["envelope_id"] == id {
            return v;
        }
        assert!(
            v["retry_attempt"].as_u64() > Some(0),
            "unexpected frame {v}"
        );
    }
}

/// Any admin call, with its HTTP status.
async fn admin_call(slack: &MockSlack, method: &str, endpoint: &str, body: &str) -> (u16, Value) {
    let (host, path) = host_and_path(&slack.admin_url());
    let tcp = TcpStream::connect(&host).await.unwrap();
    let r = raw_http(
        tcp,
        method,
        &host,
        &format!("{path}{endpoint}"),
        &[("Content-Type", "application/json")],
        body,
    )
    .await;
    (r.status, r.json())
}

#[tokio::test]
async fn envelope_from_a_scripted_message_is_acked_and_an_unacked_one_redelivered() {
    let slack = start();
    let r = connections_open(&slack.api_url(), DEFAULT_APP_TOKEN).await;
    assert_eq!(r.status, 200);
    let url = r.json()["url"].as_str().unwrap().to_string();
    assert!(
        url.starts_with(&format!("ws://{}/link/?ticket=", slack.addr())),
        "{url}"
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    let hello = next_json(&mut ws).await;
    assert_eq!(hello["type"], "hello");
    assert_eq!(hello["num_connections"], 1);
    assert_eq!(hello["connection_info"]["app_id"], DEFAULT_APP_ID);
    assert!(hello["debug_info"]["host"].is_string());
    // Single use: the same URL again is refused at the upgrade.
    assert!(tokio_tungstenite::connect_async(&url).await.is_err());

    // An RTM session sees the same workspace action as an event.
    let mut rtm = open_ready(&slack.api_url()).await;
    slack.act(alice_says("hello app")).unwrap();
    let env = next_json(&mut ws).await;
    assert_eq!(env["type"], "events_api");
    assert_eq!(env["payload"]["type"], "event_callback");
    assert_eq!(env["payload"]["event"]["text"], "hello app");
    assert_eq!(env["retry_attempt"], 0);
    let event = next_json(&mut rtm).await;
    assert_eq!(event["type"], "message");
    assert_eq!(event, env["payload"]["event"]);
    let id = env["envelope_id"].as_str().unwrap().to_string();
    send_json(&mut ws, json!({"envelope_id": id})).await;
    let ack = slack
        .wait_for(WAIT, |r| r.socket_mode.ack_of(&id).cloned())
        .await
        .unwrap();
    assert!(ack.known && ack.payload.is_none());

    // Not acked: the same envelope again, retry_attempt 1, reason timeout.
    slack.act(alice_says("ignore me")).unwrap();
    let first = loop {
        // Skip a retry of the first envelope that may have crossed its ack.
        let v = next_json(&mut ws).await;
        if v["envelope_id"] != id.as_str() {
            break v;
        }
    };
    let again = next_with_id(&mut ws, first["envelope_id"].as_str().unwrap()).await;
    assert_eq!(again["envelope_id"], first["envelope_id"]);
    assert_eq!(again["retry_attempt"], 1);
    assert_eq!(again["retry_reason"], "timeout");
    assert_eq!(again["payload"]["event_id"], first["payload"]["event_id"]);
    let rec = slack.socket_mode_record();
    let sent = rec.deliveries(first["envelope_id"].as_str().unwrap());
    assert_eq!(sent.len(), 2);
    assert!(sent[1].at - sent[0].at >= Duration::from_millis(500));
}

#[tokio::test]
async fn connections_open_refuses_tokens_as_slack_does() {
    let slack = start();
    let api = slack.api_url();
    let in_body = post(
        &api,
        "apps.connections.open",
        &[],
        &format!("token={DEFAULT_APP_TOKEN}"),
    )
    .await;
    assert_eq!(in_body.json(), json!({"ok": false, "error": "not_authed"}));
    let bot = connections_open(&api, TOKEN).await;
    assert_eq!(
        bot.json(),
        json!({"ok": false, "error": "not_allowed_token_type"})
    );
    let bad = connections_open(&api, "xapp-1-unknown").await;
    assert_eq!(bad.json(), json!({"ok": false, "error": "invalid_auth"}));
    // And the record keeps every call, tokens out of the params.
    let rec = slack.record();
    assert_eq!(rec.web_calls.len(), 3);
    assert!(rec.web_calls.iter().all(|c| c.params.is_empty()));
}

#[tokio::test]
async fn slash_commands_and_block_actions_from_admin_with_response_payloads() {
    let slack = start();
    let (mut ws, _) = open_link(&slack).await;
    let (status, v) = admin_call(
        &slack,
        "POST",
        "slash_command",
        r#"{"command":"/deploy","text":"prod","user":"U0ALICE","channel":"C0GENERAL"}"#,
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let id = v["envelope_id"].as_str().unwrap().to_string();
    let env = next_json(&mut ws).await;
    assert_eq!(env["envelope_id"], id.as_str());
    assert_eq!(env["type"], "slash_commands");
    assert_eq!(env["accepts_response_payload"], true);
    assert_eq!(env["payload"]["command"], "/deploy");
    send_json(
        &mut ws,
        json!({"envelope_id": id, "payload": {"text": "deploying"}}),
    )
    .await;
    slack
        .wait_until(WAIT, |r| r.socket_mode.ack_of(&id).is_some())
        .await
        .unwrap();
    let (_, rec) = admin_call(&slack, "GET", "socket_mode", "").await;
    assert_eq!(rec["acks"][0]["envelope_id"], id.as_str());
    assert_eq!(rec["acks"][0]["payload"], json!({"text": "deploying"}));
    assert_eq!(rec["envelopes_sent"][0]["conn"], 1);
    assert_eq!(rec["had_gap"], false);

    slack.act(alice_says("approve?")).unwrap();
    let ev = next_json(&mut ws).await;
    send_json(&mut ws, json!({"envelope_id": ev["envelope_id"]})).await;
    let id = slack
        .post_block_action(&BlockAction::button("approve", "yes", "U0BOB", "C0GENERAL"))
        .unwrap();
    let env = next_with_id(&mut ws, &id).await;
    assert_eq!(env["type"], "interactive");
    assert_eq!(env["payload"]["type"], "block_actions");
    let id = slack
        .post_slash_command(&SlashCommand::new("/x", "", "U0ALICE", "C0RANDOM"))
        .unwrap();
    assert_eq!(next_with_id(&mut ws, &id).await["retry_attempt"], 0);
}

#[tokio::test]
async fn bad_socket_mode_admin_input_is_a_clear_400() {
    let slack = start();
    for (endpoint, body) in [
        ("slash_command", r#"{"text":"no command"}"#),
        (
            "slash_command",
            r#"{"command":"/x","user":"U0NOBODY","channel":"C0GENERAL"}"#,
        ),
        (
            "slash_command",
            r#"{"command":"/x","user":"U0ALICE","channel":"C0GENERAL","app_id":"A0NOPE"}"#,
        ),
        (
            "block_action",
            r#"{"action_id":"a","user":"U0ALICE","channel":"C0NOPE"}"#,
        ),
        ("envelope", r#"{"payload":{}}"#),
        ("socket_mode/config", r#"{"ack_timeout":3}"#),
        ("socket_mode/config", "not json"),
        ("fault", r#"{"fault":"half_open","target":{"conn":"x"}}"#),
    ] {
        let (status, v) = admin_call(&slack, "POST", endpoint, body).await;
        assert_eq!(status, 400, "{endpoint} {body}: {v}");
        assert_eq!(v["ok"], false);
        assert!(!v["error"].as_str().unwrap().is_empty());
    }
    let (status, v) =
        admin_call(&slack, "POST", "socket_mode/config", r#"{"max_retries":1}"#).await;
    assert_eq!(status, 200);
    assert_eq!(v["config"]["max_retries"], 1);
    assert_eq!(v["config"]["ack_timeout_ms"], 500);
}

#[tokio::test]
async fn redelivery_goes_round_robin_to_the_other_connection_and_stops_after_three() {
    let slack = start();
    let (mut a, _) = open_link(&slack).await;
    let (mut b, hello_b) = open_link(&slack).await;
    assert_eq!(hello_b["num_connections"], 2);
    assert_eq!(
        slack.live_app_connections(DEFAULT_APP_ID),
        vec![rtm_testkit::SocketId(1), rtm_testkit::SocketId(2)]
    );
    let id = slack
        .post_slash_command(&SlashCommand::new("/x", "", "U0ALICE", "C0GENERAL"))
        .unwrap();
    for attempt in 0..4 {
        let ws = if attempt % 2 == 0 { &mut a } else { &mut b };
        let env = next_json(ws).await;
        assert_eq!(env["envelope_id"], id.as_str());
        assert_eq!(env["retry_attempt"], attempt);
    }
    slack
        .wait_until(WAIT, |r| r.socket_mode.abandoned.contains(&id))
        .await
        .unwrap();
    assert_eq!(slack.socket_mode_record().deliveries(&id).len(), 4);
}

#[tokio::test]
async fn refresh_on_demand_sends_warning_then_refresh_requested_then_closes() {
    let slack = start();
    let (mut ws, _) = open_link(&slack).await;
    let (status, _) = admin_call(&slack, "POST", "fault", r#"{"fault":"refresh"}"#).await;
    assert_eq!(status, 200);
    let w = next_json(&mut ws).await;
    assert_eq!(
        (w["type"].as_str(), w["reason"].as_str()),
        (Some("disconnect"), Some("warning"))
    );
    let r = next_json(&mut ws).await;
    assert_eq!(r["reason"], "refresh_requested");
    assert_eq!(close_code(&mut ws).await, Some(1000));
    slack
        .wait_until(WAIT, |r| r.active_connections() == 0)
        .await
        .unwrap();
    let app = slack.socket_mode_record().apps[0].clone();
    assert_eq!(app.offline.len(), 1, "offline after the close");
}

#[tokio::test]
async fn connection_lifetime_refresh_and_link_disabled() {
    let slack = start();
    slack.set_socket_mode_config(SocketModeConfig {
        connection_lifetime: Duration::from_millis(400),
        warning_lead: Duration::from_millis(200),
        close_grace: Duration::from_millis(50),
        ..SocketModeConfig::default()
    });
    let (mut ws, hello) = open_link(&slack).await;
    assert_eq!(hello["debug_info"]["approximate_connection_time"], 0);
    assert_eq!(next_json(&mut ws).await["reason"], "warning");
    assert_eq!(next_json(&mut ws).await["reason"], "refresh_requested");
    assert_eq!(close_code(&mut ws).await, Some(1000));

    slack.set_socket_mode_config(SocketModeConfig::default());
    let (mut ws, _) = open_link(&slack).await;
    slack.inject(Fault::LinkDisabled);
    assert_eq!(next_json(&mut ws).await["reason"], "link_disabled");
    assert_eq!(close_code(&mut ws).await, Some(1000));
    // A client that reconnects anyway gets link_disabled again, no hello.
    let r = connections_open(&slack.api_url(), DEFAULT_APP_TOKEN).await;
    let (mut ws, _) = tokio_tungstenite::connect_async(r.json()["url"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(next_json(&mut ws).await["reason"], "link_disabled");
}

#[tokio::test]
async fn half_open_connection_stops_answering_pings_and_loses_envelopes_to_another() {
    let slack = start();
    let (mut a, _) = open_link(&slack).await;
    // tungstenite answers WebSocket pings while the connection is healthy.
    a.send(Message::Ping(b"p1".to_vec().into())).await.unwrap();
    match next_msg(&mut a).await {
        Some(Ok(Message::Pong(p))) => assert_eq!(&p[..], b"p1"),
        other => panic!("expected a pong, got {other:?}"),
    }
    slack.inject_on(Target::Conn(rtm_testkit::SocketId(1)), Fault::HalfOpen);
    let (mut b, _) = open_link(&slack).await;
    a.send(Message::Ping(b"p2".to_vec().into())).await.unwrap();
    // The first envelope goes to the half-open connection (Slack cannot know), the
    // redelivery to the healthy one.
    let id = slack
        .post_slash_command(&SlashCommand::new("/x", "", "U0ALICE", "C0GENERAL"))
        .unwrap();
    let env = next_json(&mut b).await;
    assert_eq!(env["envelope_id"], id.as_str());
    assert_eq!(env["retry_attempt"], 1);
    // By now (one ack timeout later) the half-open side has neither answered the ping
    // nor delivered anything.
    assert!(
        tokio::time::timeout(Duration::from_millis(50), futures::StreamExt::next(&mut a))
            .await
            .is_err(),
        "nothing may arrive on a half-open connection"
    );
    let sent = slack
        .socket_mode_record()
        .deliveries(&id)
        .iter()
        .map(|d| d.conn.0)
        .collect::<Vec<_>>();
    assert_eq!(sent, vec![1, 2]);
}

#[tokio::test]
async fn an_envelope_due_while_offline_is_queued_and_counted_as_a_gap() {
    let slack = start();
    let (mut ws, _) = open_link(&slack).await;
    slack.inject(Fault::DropTcp);
    slack
        .wait_until(WAIT, |r| r.active_connections() == 0)
        .await
        .unwrap();
    drop(ws);
    let id = slack
        .post_slash_command(&SlashCommand::new("/x", "", "U0ALICE", "C0GENERAL"))
        .unwrap();
    assert!(slack.socket_mode_record().deliveries(&id).is_empty());
    (ws, _) = open_link(&slack).await;
    let env = next_json(&mut ws).await;
    assert_eq!(env["envelope_id"], id.as_str());
    let rec = slack.socket_mode_record();
    assert!(rec.had_gap());
    assert!(rec.deliveries(&id)[0].after_gap);
    let o = &rec.app(DEFAULT_APP_ID).unwrap().offline[0];
    assert!(o.until.is_some());
    assert_eq!(o.envelopes_due, vec![(id.clone(), 0)]);
}
