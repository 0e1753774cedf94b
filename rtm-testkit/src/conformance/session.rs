//! Opening a session: rtm.connect and rtm.start, the properties, options on the wire, TLS,
//! and incoming events.

use futures::StreamExt;
use rtm_driver::{ClientBuilder, Connected, Error, Event, RtmError, SendError, State};
use serde_json::json;

use super::{
    BOT, CHANNEL, Ctx, Harness, TEAM, TOKEN, WAIT, client_frames, event_named, fast_retry,
    next_event, within,
};
use crate::model::{Fault, Target, UserAction};

/// `start()` completes when ready, with the connect info; the properties and the lifecycle
/// events follow the reference; the token goes as a bearer header.
pub async fn connect_and_ready<H: Harness>(t: Ctx<H>) {
    let client = t.client();
    let mut events = client.events();
    assert_eq!(client.state(), State::Disconnected);
    assert!(!client.connected() && !client.authenticated());
    assert_eq!(client.active_user_id(), None);

    let info = within("start()", WAIT, client.start()).await.unwrap();
    assert_eq!(info.self_id, BOT);
    assert_eq!(info.team_id, TEAM);
    let scheme = if t.tls { "wss://" } else { "ws://" };
    assert!(
        info.url.starts_with(scheme),
        "socket URL scheme: {}",
        info.url
    );
    assert_eq!(client.state(), State::Connected(Connected::Ready));
    assert!(client.connected() && client.authenticated());
    assert_eq!(client.active_user_id().as_deref(), Some(BOT));
    assert_eq!(client.active_team_id().as_deref(), Some(TEAM));

    let (_, before) = event_named(&mut events, "ready").await;
    assert_eq!(
        before,
        ["connecting", "authenticated", "hello", "connected"]
    );

    let record = t.slack.record();
    assert_eq!(record.web_calls.len(), 1);
    let call = &record.web_calls[0];
    assert_eq!(call.api_method, "rtm.connect");
    assert_eq!(call.token.as_deref(), Some(TOKEN));
    assert_eq!(call.status, 200);
    assert_eq!(record.connections.len(), 1);
    assert!(record.connections[0].is_open());
    assert_eq!(record.connections[0].to_client_json()[0]["type"], "hello");
}

/// `use_rtm_connect(false)` calls the legacy `rtm.start` and keeps its whole answer.
pub async fn start_via_rtm_start<H: Harness>(t: Ctx<H>) {
    let client = t.build(t.builder().use_rtm_connect(false));
    let info = within("start()", WAIT, client.start()).await.unwrap();
    assert_eq!(info.self_id, BOT);
    assert!(info.body.contains("\"channels\""), "rtm.start body kept");
    assert!(info.body.contains(CHANNEL));
    let record = t.slack.record();
    assert_eq!(record.web_calls.len(), 1);
    assert_eq!(record.web_calls[0].api_method, "rtm.start");
    let ack = within(
        "send_message",
        WAIT,
        client.send_message("via rtm.start", CHANNEL),
    )
    .await
    .unwrap();
    assert!(ack.ts.is_some());
}

/// `batch_presence_aware` and `presence_sub` reach `rtm.connect`, and every reconnect keeps
/// the options of `start()`; the token never travels as a form field.
pub async fn start_options_reach_the_web_call<H: Harness>(t: Ctx<H>) {
    let client = t.build(t.builder().batch_presence_aware(true).presence_sub(true));
    let client = t.start(client).await;
    t.slack.inject(crate::model::Fault::Close {
        code: 4000,
        reason: "again".into(),
    });
    t.wire("a second rtm.connect", |r| r.web_calls.len() == 2)
        .await;
    super::status(&client, "ready again", |s| s.ready()).await;
    for call in t.slack.record().web_calls {
        let param = |k: &str| {
            call.params
                .iter()
                .find(|(name, _)| name == k)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(param("batch_presence_aware").as_deref(), Some("true"));
        assert_eq!(param("presence_sub").as_deref(), Some("true"));
        assert_eq!(param("token"), None, "the token is a header");
        assert_eq!(call.token.as_deref(), Some(TOKEN));
    }
}

/// Over TLS, the server's certificate is verified: without its root the client cannot even
/// make the web call. In plain mode, loopback `http`/`ws` is accepted without opting in.
pub async fn tls_is_verified<H: Harness>(t: Ctx<H>) {
    let client = if t.tls {
        assert!(t.slack.api_url().starts_with("https://"));
        let untrusting = rtm_driver::ClientBuilder::new(TOKEN)
            .api_url(t.slack.api_url())
            .retry(fast_retry(1));
        let client = t.build(untrusting);
        let err = within("start() without the root", WAIT, client.start())
            .await
            .unwrap_err();
        match &err {
            Error::Rtm(RtmError::RetriesExhausted { last, .. }) => {
                assert!(matches!(**last, RtmError::Request { .. }), "{last:?}")
            }
            other => panic!("expected a request failure, got {other:?}"),
        }
        assert!(
            t.slack.record().web_calls.is_empty(),
            "no HTTP request may pass an untrusted TLS handshake"
        );
        // The same mock with its root trusted works.
        t.started().await
    } else {
        assert!(t.slack.api_url().starts_with("http://"));
        let client = t.started().await;
        let url = client.status().info.unwrap().url.clone();
        assert!(url.starts_with("ws://127.0.0.1:"), "{url}");
        client
    };
    assert_eq!(t.slack.record().web_calls.len(), 1);
    // The client is alive (dropping it would close its socket), so its connection is open.
    assert_eq!(t.slack.active_connections(), 1);
    drop(client);
}

/// Slack's events reach every subscriber as they came: typed fields, subtypes and unknown
/// types included; a filtered subscription gets only what it asked for.
pub async fn incoming_events_pass_through<H: Harness>(t: Ctx<H>) {
    let client = t.started().await;
    let mut all = client.events();
    let mut odd = client.subscribe_filtered(["custom_event::odd"]);
    t.slack
        .act(UserAction::Message {
            user: "U0ALICE".into(),
            channel: CHANNEL.into(),
            text: "hello bot".into(),
        })
        .unwrap();
    t.slack.push_event(
        Target::All,
        &json!({"type": "custom_event", "subtype": "plain", "n": 1}),
    );
    t.slack.push_event(
        Target::All,
        &json!({"type": "custom_event", "subtype": "odd", "n": 2}),
    );

    let (message, _) = event_named(&mut all, "message").await;
    let v = match message.event() {
        Event::Slack(e) => e.json().unwrap(),
        other => panic!("{other:?}"),
    };
    assert_eq!(v["user"], "U0ALICE");
    assert_eq!(v["text"], "hello bot");
    assert_eq!(v["channel"], CHANNEL);
    let (first, _) = event_named(&mut all, "custom_event").await;
    let (second, _) = event_named(&mut all, "custom_event").await;
    let subtype = |e: &rtm_driver::SharedEvent| match e.event() {
        Event::Slack(s) => s.subtype().map(str::to_owned),
        _ => None,
    };
    assert_eq!(subtype(&first).as_deref(), Some("plain"));
    assert_eq!(subtype(&second).as_deref(), Some("odd"));

    let only = next_event(&mut odd, "the filtered event").await;
    assert_eq!(subtype(&only).as_deref(), Some("odd"));
    assert!(second.seq() > first.seq());
    assert_eq!(
        only.seq(),
        second.seq(),
        "the same event for both subscribers"
    );
    assert!(client_frames(&t.conn(1), "message").is_empty());
}

/// A plain `http://` API URL is refused at build time unless its host is loopback or the
/// builder opted in (`allow_insecure`), with a typed error and the reference-style code.
pub async fn insecure_api_url_is_refused_unless_loopback_or_opted_in<H: Harness>(t: Ctx<H>) {
    let remote = || ClientBuilder::new(TOKEN).api_url("http://slack.example.com/api/");
    let err = t.try_build(remote()).unwrap_err();
    assert_eq!(
        err,
        Error::InsecureUrl {
            scheme: "http".into(),
            host: "slack.example.com".into()
        }
    );
    assert_eq!(err.code(), "slack_rtmapi_insecure_url_error");
    assert!(t.try_build(remote().allow_insecure(true)).is_ok());
    let loopback = ClientBuilder::new(TOKEN).api_url("http://127.0.0.1:9/api/");
    assert!(t.try_build(loopback).is_ok());
}

/// A WebSocket URL that the URL policy refuses (plain `ws://` to a remote host) ends the
/// attempt for good: `start()` fails with the refusal, nothing is retried or dialled.
pub async fn insecure_socket_url_is_refused<H: Harness>(t: Ctx<H>) {
    t.slack.with_model(|m, _| {
        m.set_ws_base_url("ws://slack.example.com/websocket".to_owned());
        ((), Vec::new())
    });
    let client = t.client();
    let mut refusals = client.subscribe_filtered(["unable_to_rtm_start"]);
    let err = within("start()", WAIT, client.start()).await.unwrap_err();
    assert!(err.to_string().contains("insecure"), "{err}");
    let (refused, _) = event_named(&mut refusals, "unable_to_rtm_start").await;
    match refused.event() {
        Event::UnableToRtmStart(RtmError::Refused { reason }) => {
            assert!(reason.contains("slack.example.com"), "{reason}")
        }
        other => panic!("unexpected {other:?}"),
    }
    let record = t.slack.record();
    assert_eq!(record.web_calls.len(), 1, "no retry");
    assert!(record.connections.is_empty(), "nothing dialled");
}

/// Dropping every handle shuts the driver down: sends still waiting for their reply settle
/// with `ClientClosed`, event streams end, and the socket is closed.
pub async fn dropping_the_client_settles_everything<H: Harness>(t: Ctx<H>) {
    let client = t.started().await;
    let mut events = client.events();
    // The server holds these acks, so the sends stay pending.
    t.slack.inject(Fault::HoldAcks { count: 100 });
    let sends = futures::future::join_all(
        (0..3).map(|i| client.send_message(format!("held {i}"), CHANNEL)),
    );
    let (results, ()) = within(
        "held sends, then the drop",
        WAIT,
        futures::future::join(sends, async {
            t.wire("three messages written", |r| {
                r.last_conn()
                    .is_some_and(|c| client_frames(c, "message").len() == 3)
            })
            .await;
            drop(client);
        }),
    )
    .await;
    for result in results {
        let err = result.unwrap_err();
        assert_eq!(err, Error::Send(SendError::ClientClosed));
        assert!(err.is_client_closed());
    }
    // The driver ended: the event stream ends, and the socket is gone.
    while within("the event stream to end", WAIT, events.next())
        .await
        .is_some()
    {}
    t.wire("the socket closed", |r| r.active_connections() == 0)
        .await;
}
