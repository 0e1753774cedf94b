//! Opening a session: rtm.connect and rtm.start, the properties, options on the wire, TLS,
//! and incoming events.

use futures::StreamExt;
use rtm_driver::{ClientBuilder, Connected, Error, Event, RtmError, SendError, State};
use serde_json::json;

use super::{
    BOT, CHANNEL, Ctx, Harness, TEAM, TOKEN, WAIT, client_frames, event_named, fast_retry,
    next_event, within,
};
use crate::model::{Fault, Target, UserAction, WebFault};
use crate::server::{MockSlack, ServerOptions};

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
/// make the web call, and the failure ends the session at once (a certificate that fails
/// verification is not a flaky network: no retries), naming the host and the reason.
/// In plain mode, loopback `http`/`ws` is accepted without opting in.
pub async fn tls_is_verified<H: Harness>(t: Ctx<H>) {
    let client = if t.tls {
        assert!(t.slack.api_url().starts_with("https://"));
        let untrusting = rtm_driver::ClientBuilder::new(TOKEN)
            .api_url(t.slack.api_url())
            .retry(fast_retry(5));
        let client = t.build(untrusting);
        let mut events = client.events();
        let err = within("start() without the root", WAIT, client.start())
            .await
            .unwrap_err();
        assert_untrusted(&err, "127.0.0.1");
        let (_, before) = event_named(&mut events, "disconnected").await;
        assert!(
            !before.iter().any(|e| e == "reconnecting"),
            "no retry after a certificate failure: {before:?}"
        );
        assert_eq!(
            before.iter().filter(|e| *e == "connecting").count(),
            1,
            "{before:?}"
        );
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

/// A certificate failure as the session reports it: for good (`RtmError::Transport`, not
/// a retried request error), naming the host and why.
pub fn assert_untrusted(err: &Error, host: &str) {
    match err {
        Error::Rtm(RtmError::Transport { error }) => {
            let message = error.message();
            assert!(message.contains(host), "names the host: {message}");
            let lower = message.to_lowercase();
            let (_, why) = lower
                .split_once("certificate verification failed for")
                .unwrap_or_else(|| panic!("says it is the certificate: {message}"));
            assert!(
                ["issuer", "self-signed", "self signed", "signature"]
                    .iter()
                    .any(|r| why.contains(r)),
                "says why: {message}"
            );
        }
        other => panic!("expected a certificate failure, got {other:?}"),
    }
    assert_eq!(err.code(), "slack_rtmapi_transport_error");
}

/// A `wss://` socket URL whose certificate is not trusted (here: `rtm.connect` over plain
/// loopback HTTP hands back the URL of a TLS mock the client does not trust) ends the
/// attempt at once: one web call, no retry.
pub async fn untrusted_socket_certificate_fails_at_once<H: Harness>(t: Ctx<H>) {
    let tls_slack = MockSlack::start(ServerOptions::default().tls(true)).expect("a TLS mock");
    let base = format!("wss://127.0.0.1:{}/websocket", tls_slack.addr().port());
    t.slack.with_model(|m, _| {
        m.set_ws_base_url(base);
        ((), Vec::new())
    });
    // The suite's builder trusts `t.slack`'s certificate (TLS run), not `tls_slack`'s.
    let client = t.build(t.builder().retry(fast_retry(5)));
    let mut events = client.events();
    let err = within("start()", WAIT, client.start()).await.unwrap_err();
    assert_untrusted(&err, "127.0.0.1");
    let (_, before) = event_named(&mut events, "disconnected").await;
    assert!(!before.iter().any(|e| e == "reconnecting"), "{before:?}");
    assert_eq!(t.slack.record().web_calls.len(), 1, "no retry");
    assert!(
        tls_slack.record().connections.is_empty(),
        "no WebSocket passed the handshake"
    );
}

/// Slack's API never redirects: a 3xx from `rtm.connect` ends the session with an error
/// naming the status and the location, and the redirect target receives nothing (the token
/// is never sent a second time, anywhere).
pub async fn web_call_redirect_is_an_error_not_followed<H: Harness>(t: Ctx<H>) {
    let target = MockSlack::start(ServerOptions::default().tls(t.tls)).expect("a second mock");
    let location = format!("{}rtm.connect", target.api_url());
    for status in [302u16, 307] {
        t.slack.arm_web_fault(
            WebFault::Redirect {
                status,
                location: location.clone(),
            },
            1,
        );
        let client = t.build(t.builder().retry(fast_retry(5)));
        let err = within("start()", WAIT, client.start()).await.unwrap_err();
        match &err {
            Error::Rtm(
                e @ RtmError::Redirect {
                    status: s,
                    location: l,
                },
            ) => {
                assert_eq!(*s, status);
                assert_eq!(l.as_deref(), Some(location.as_str()));
                let message = e.to_string();
                assert!(message.contains(&status.to_string()), "{message}");
                assert!(message.contains(&location), "{message}");
                assert!(!message.contains(TOKEN), "{message}");
            }
            other => panic!("expected the redirect error, got {other:?}"),
        }
    }
    assert_eq!(
        t.slack.record().web_calls.len(),
        2,
        "one call per session, no retry"
    );
    let followed = target.record();
    assert!(
        followed.web_calls.is_empty() && followed.connections.is_empty(),
        "the redirect target received nothing"
    );
}

/// The URL policy applied to the WebSocket URL the server hands back (one parser for policy
/// and transport): plain `ws://` URLs whose parsed host is not loopback are refused for
/// good, naming the host the parser (and so the transport) sees; loopback spellings connect.
pub async fn socket_url_table_from_the_server<H: Harness>(t: Ctx<H>) {
    let port = t.slack.addr().port();
    let path = "/websocket/";
    let refused = [
        ("ws://attacker.invalid\\@127.0.0.1/x/", "attacker.invalid"),
        ("ws://127.0.0.1@attacker.invalid/x/", "attacker.invalid"),
        (
            "ws://127.0.0.1.attacker.invalid/x/",
            "127.0.0.1.attacker.invalid",
        ),
        (
            "ws://localhost.attacker.invalid/x/",
            "localhost.attacker.invalid",
        ),
        ("ws://[::ffff:203.0.113.5]/x/", "[::ffff:cb00:7105]"),
        ("WS://ATTACKER.INVALID/x/", "attacker.invalid"),
    ];
    for (n, (base, host)) in refused.iter().enumerate() {
        t.slack.with_model(|m, _| {
            m.set_ws_base_url(*base);
            ((), Vec::new())
        });
        let client = t.build(t.builder());
        let err = within("start()", WAIT, client.start()).await.unwrap_err();
        match &err {
            Error::Rtm(RtmError::Refused { reason }) => {
                assert!(reason.contains(host), "{base}: names {host}: {reason}");
                assert!(
                    reason.contains("allow_insecure"),
                    "{base}: says how: {reason}"
                );
            }
            other => panic!("{base}: expected a refusal, got {other:?}"),
        }
        assert_eq!(t.slack.record().web_calls.len(), n + 1, "{base}: no retry");
        assert!(
            t.slack.record().connections.is_empty(),
            "{base}: nothing dialled"
        );
    }
    let scheme = if t.tls { "WSS" } else { "WS" };
    for host in ["127.0.0.1", "localhost", "0x7f000001"] {
        let base = format!("{scheme}://{host}:{port}{path}");
        t.slack.with_model(|m, _| {
            m.set_ws_base_url(base.clone());
            ((), Vec::new())
        });
        let client = t.build(t.builder());
        within("start()", WAIT, client.start())
            .await
            .unwrap_or_else(|e| panic!("{base}: {e}"));
        client.disconnect().await.unwrap();
    }
}

/// The API URL table, end to end: each refused URL is refused at build time (before any
/// connection) naming the host the parser sees; `0x7f000001` is loopback to the parser, and
/// so to the transport, and connects.
pub async fn api_url_table<H: Harness>(t: Ctx<H>) {
    for (url, host) in [
        (
            "http://attacker.invalid\\@127.0.0.1/api/",
            "attacker.invalid",
        ),
        ("http://127.0.0.1@attacker.invalid/api/", "attacker.invalid"),
        (
            "http://127.0.0.1.attacker.invalid/api/",
            "127.0.0.1.attacker.invalid",
        ),
        (
            "http://localhost.attacker.invalid/api/",
            "localhost.attacker.invalid",
        ),
        ("http://[::ffff:203.0.113.5]/api/", "[::ffff:cb00:7105]"),
        ("HTTP://ATTACKER.INVALID/api/", "attacker.invalid"),
    ] {
        match t.try_build(ClientBuilder::new(TOKEN).api_url(url)) {
            Err(Error::InsecureUrl { host: seen, .. }) => assert_eq!(seen, host, "{url}"),
            other => panic!("{url}: {other:?}"),
        }
    }
    let port = t.slack.addr().port();
    let scheme = if t.tls { "HTTPS" } else { "HTTP" };
    for host in ["127.0.0.1", "localhost", "0x7f000001"] {
        let url = format!("{scheme}://{host}:{port}/api/");
        let client = t.build(t.builder().api_url(&url));
        within("start()", WAIT, client.start())
            .await
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        client.disconnect().await.unwrap();
    }
    assert_eq!(t.slack.record().web_calls.len(), 3);
}
