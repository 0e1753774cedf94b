//! Socket Mode through the adapter: connecting, envelopes of each type, acks (with payloads,
//! automatic), redelivery filtered, refreshes with envelopes flowing and none lost,
//! `link_disabled`, reconnecting after every way a socket dies, and disconnect in every state.

use std::collections::HashMap;
use std::time::Duration;

use futures::StreamExt;
use rtm_driver::{
    AckError, EnvelopeType, Envelopes, Error, Events, SharedEnvelope, SocketModeBuilder,
    SocketModeClient, SocketModeError, SocketModeEvent, SocketModeStatus,
};
use serde_json::json;

use super::{CHANNEL, Ctx, Harness, WAIT, fast_retry, within};
use crate::model::{
    BlockAction, DEFAULT_APP_ID, DEFAULT_APP_TOKEN, Fault, SlashCommand, SocketModeConfig, Target,
    UserAction, WebFault,
};

/// A user of the mock workspace.
const ALICE: &str = "U0ALICE";

impl<H: Harness> Ctx<H> {
    /// The suite's Socket Mode options: pointed at the mock (trusting its certificate), fast
    /// retries, keepalive deadlines short enough for a fast suite.
    pub fn socket_mode_builder(&self) -> SocketModeBuilder {
        // The mock redelivers and refreshes fast, so that scenarios see it within their waits.
        self.slack.set_socket_mode_config(SocketModeConfig {
            ack_timeout: Duration::from_millis(600),
            warning_lead: Duration::from_millis(300),
            close_grace: Duration::from_millis(200),
            ..SocketModeConfig::default()
        });
        let mut b = SocketModeBuilder::new(DEFAULT_APP_TOKEN)
            .api_url(self.slack.api_url())
            .seed(7)
            .ping_interval(Duration::from_millis(1000))
            .pong_timeout(Duration::from_millis(1000))
            .idle_timeout(Duration::from_millis(2500))
            .hello_timeout(Duration::from_millis(1500))
            .web_call_timeout(Duration::from_secs(3))
            .drain_timeout(Duration::from_millis(500))
            .retry(fast_retry(5));
        if let Some(cert) = self.slack.tls_cert() {
            b = b.add_root_certificate(cert.der().to_vec());
        }
        b
    }

    /// Builds a Socket Mode client on the adapter.
    pub fn build_socket_mode(&self, builder: SocketModeBuilder) -> SocketModeClient {
        self.harness
            .build_socket_mode(builder)
            .unwrap_or_else(|e| panic!("the adapter builds a Socket Mode client: {e}"))
    }

    /// A Socket Mode client with the suite's options, started (its first `hello` came).
    pub async fn socket_mode_started(&self) -> SocketModeClient {
        let client = self.build_socket_mode(self.socket_mode_builder());
        let hello = within("start()", WAIT, client.start())
            .await
            .unwrap_or_else(|e| panic!("start() fails: {e}"));
        assert_eq!(hello.app_id.as_deref(), Some(DEFAULT_APP_ID));
        assert!(client.connected());
        client
    }
}

/// A user posts in the general channel: an `events_api` envelope with a `message` event.
fn alice_says<H: Harness>(t: &Ctx<H>, text: &str) {
    t.slack
        .act(UserAction::Message {
            user: ALICE.into(),
            channel: CHANNEL.into(),
            text: text.into(),
        })
        .expect("the mock takes the message");
}

/// The next envelope.
async fn next_envelope(envelopes: &mut Envelopes, what: &str) -> SharedEnvelope {
    match within(what, WAIT, envelopes.next()).await {
        Some(Ok(e)) => e,
        Some(Err(lagged)) => panic!("{what}: {lagged}"),
        None => panic!("{what}: the envelope stream ended"),
    }
}

/// Skips events until one named `name`; returns it.
async fn sm_event(events: &mut Events<SocketModeEvent>, name: &str) -> SocketModeEvent {
    loop {
        match within(name, WAIT, events.next()).await {
            Some(Ok(e)) if e.name() == name => return e.to_event(),
            Some(Ok(_)) => {}
            Some(Err(lagged)) => panic!("{name}: {lagged}"),
            None => panic!("{name}: the event stream ended"),
        }
    }
}

async fn sm_status(
    client: &SocketModeClient,
    what: &str,
    pred: impl FnMut(&SocketModeStatus) -> bool + Send + 'static,
) -> SocketModeStatus {
    within(what, WAIT, client.wait_for(pred))
        .await
        .unwrap_or_else(|e| panic!("{what}: {e}"))
}

/// The message text of an events API envelope.
fn text_of(e: &SharedEnvelope) -> String {
    let inner = e.events_api().expect("events_api").expect("readable");
    let event: serde_json::Value = serde_json::from_str(&inner.event).expect("JSON");
    event["text"].as_str().unwrap_or_default().to_owned()
}

/// Acks in the mock's record, first acks only.
async fn acked<H: Harness>(t: &Ctx<H>, envelope_id: &str) -> Option<serde_json::Value> {
    let id = envelope_id.to_owned();
    if let Err(e) = t
        .slack
        .wait_until(WAIT, move |r| r.socket_mode.ack_of(&id).is_some())
        .await
    {
        panic!("the ack of {envelope_id} reaches the mock: {e}");
    }
    t.slack
        .socket_mode_record()
        .ack_of(envelope_id)
        .and_then(|a| a.payload.clone())
}

/// `start()` completes at `hello` with its info; the status shows it.
pub async fn socket_mode_connects<H: Harness>(t: Ctx<H>) {
    let client = t.socket_mode_started().await;
    let status = client.status();
    assert!(status.connected() && !status.refreshing);
    assert_eq!(status.app_id(), Some(DEFAULT_APP_ID));
    assert_eq!(client.num_connections(), Some(1));
    assert_eq!(t.slack.live_app_connections(DEFAULT_APP_ID).len(), 1);
    let record = t.slack.record();
    assert_eq!(record.web_calls.len(), 1);
    assert_eq!(record.web_calls[0].api_method, "apps.connections.open");
    // A second start() on a live session completes at once with the same hello.
    let again = within("start() again", WAIT, client.start()).await.unwrap();
    assert_eq!(again.app_id.as_deref(), Some(DEFAULT_APP_ID));
    assert_eq!(t.slack.record().web_calls.len(), 1, "no second connection");
}

/// An events API envelope, a slash command and a button press arrive typed, and each ack
/// reaches the mock; a slash command's ack carries its answer.
pub async fn socket_mode_envelopes_of_each_type_and_acks<H: Harness>(t: Ctx<H>) {
    let client = t.socket_mode_started().await;
    let mut envelopes = client.envelopes();

    alice_says(&t, "hello bot");
    let e = next_envelope(&mut envelopes, "the events_api envelope").await;
    assert_eq!(e.envelope_type(), &EnvelopeType::EventsApi);
    assert_eq!(e.inner_event_type(), Some("message"));
    assert_eq!(text_of(&e), "hello bot");
    let typed = e.events_api().unwrap().unwrap().typed().unwrap();
    assert!(
        matches!(typed, rtm_driver::TypedEvent::Message(m) if m.user.as_deref() == Some(ALICE))
    );
    within("ack", WAIT, client.ack(&e)).await.unwrap();
    assert_eq!(acked(&t, e.envelope_id()).await, None);

    let id = t
        .slack
        .post_slash_command(&SlashCommand::new("/deploy", "prod", ALICE, CHANNEL))
        .unwrap();
    let e = next_envelope(&mut envelopes, "the slash_commands envelope").await;
    assert_eq!(e.envelope_id(), id);
    assert!(e.accepts_response_payload());
    let command = e.slash_command().unwrap().unwrap();
    assert_eq!(
        (command.command.as_str(), command.text.as_str()),
        ("/deploy", "prod")
    );
    assert_eq!(command.user_id.as_deref(), Some(ALICE));
    let answer = json!({"text": "deploying prod"});
    within("ack_with", WAIT, client.ack_with(&e, &answer))
        .await
        .unwrap();
    assert_eq!(acked(&t, &id).await, Some(answer));

    let id = t
        .slack
        .post_block_action(&BlockAction {
            action_id: "approve".into(),
            value: "yes".into(),
            block_id: "b1".into(),
            user: ALICE.into(),
            channel: CHANNEL.into(),
            message_ts: None,
            app_id: None,
        })
        .unwrap();
    let e = next_envelope(&mut envelopes, "the interactive envelope").await;
    assert_eq!(e.envelope_id(), id);
    let interactive = e.interactive().unwrap().unwrap();
    assert_eq!(interactive.kind, "block_actions");
    assert_eq!(interactive.action_ids, ["approve"]);
    assert_eq!(interactive.user_id.as_deref(), Some(ALICE));
    within("ack", WAIT, client.ack(&e)).await.unwrap();
    acked(&t, &id).await;

    // Refusals are typed: twice, and an envelope never delivered.
    let err = within("ack twice", WAIT, client.ack(&e)).await.unwrap_err();
    assert_eq!(err, Error::Ack(AckError::AlreadyAcked));
    assert_eq!(client.status().pending_acks, 0);
}

/// Filters by envelope type and inner event type.
pub async fn socket_mode_filters_envelopes<H: Harness>(t: Ctx<H>) {
    let client = t.socket_mode_started().await;
    let mut commands = client.envelopes().only(["slash_commands"]);
    let mut messages = client.envelopes().only(["message"]);
    alice_says(&t, "first");
    let id = t
        .slack
        .post_slash_command(&SlashCommand::new("/x", "", ALICE, CHANNEL))
        .unwrap();
    let m = next_envelope(&mut messages, "message").await;
    assert_eq!(text_of(&m), "first");
    let c = next_envelope(&mut commands, "slash command").await;
    assert_eq!(c.envelope_id(), id);
    client.ack(&m).await.unwrap();
    client.ack(&c).await.unwrap();
}

/// With `auto_ack`, every envelope is acked on arrival; acking it again is refused.
pub async fn socket_mode_auto_ack<H: Harness>(t: Ctx<H>) {
    let client = t.build_socket_mode(t.socket_mode_builder().auto_ack(true));
    within("start()", WAIT, client.start()).await.unwrap();
    let mut envelopes = client.envelopes();
    alice_says(&t, "one");
    alice_says(&t, "two");
    let a = next_envelope(&mut envelopes, "first").await;
    let b = next_envelope(&mut envelopes, "second").await;
    assert_eq!((text_of(&a), text_of(&b)), ("one".into(), "two".into()));
    acked(&t, a.envelope_id()).await;
    acked(&t, b.envelope_id()).await;
    let err = within("ack", WAIT, client.ack(&a)).await.unwrap_err();
    assert_eq!(err, Error::Ack(AckError::AlreadyAcked));
}

/// An envelope acked late is redelivered by Slack; the user sees it once.
pub async fn socket_mode_redelivery_is_filtered<H: Harness>(t: Ctx<H>) {
    let client = t.socket_mode_started().await;
    let mut envelopes = client.envelopes();
    let mut events = client.subscribe_filtered(["redelivered"]);
    alice_says(&t, "slow");
    let e = next_envelope(&mut envelopes, "the envelope").await;
    // Not acked: the mock redelivers after its ack timeout.
    match sm_event(&mut events, "redelivered").await {
        SocketModeEvent::Redelivered {
            envelope_id,
            retry_attempt,
        } => {
            assert_eq!(envelope_id, e.envelope_id());
            assert!(retry_attempt >= 1);
        }
        other => panic!("{other:?}"),
    }
    alice_says(&t, "next");
    let next = next_envelope(&mut envelopes, "the next envelope").await;
    assert_eq!(
        text_of(&next),
        "next",
        "the redelivery was not delivered again"
    );
    client.ack(&next).await.unwrap();
    let deliveries = t
        .slack
        .socket_mode_record()
        .deliveries(e.envelope_id())
        .len();
    assert!(deliveries >= 2, "the mock redelivered ({deliveries})");
}

/// Envelopes flow while Slack refreshes the connection; none is lost or duplicated, and the
/// app is never without a connection able to receive.
async fn refresh_with_flow<H: Harness>(t: &Ctx<H>, fault: Fault, reason: &str) {
    let client = t.socket_mode_started().await;
    let mut envelopes = client.envelopes();
    let mut events = client.subscribe_filtered(["refreshing", "refreshed"]);
    let first = t.slack.live_app_connections(DEFAULT_APP_ID)[0];
    let mut seen: HashMap<String, usize> = HashMap::new();
    let total = 60;
    for i in 0..total {
        alice_says(t, &format!("m{i}"));
        if i == 20 {
            t.slack.inject_on(Target::Conn(first), fault.clone());
        }
        let e = next_envelope(&mut envelopes, &format!("envelope m{i}")).await;
        *seen.entry(text_of(&e)).or_default() += 1;
        client.ack(&e).await.unwrap();
        // Spread over the refresh (warning lead 300 ms, close grace 200 ms).
        if (20..40).contains(&i) {
            super::sleep(Duration::from_millis(25)).await;
        }
    }
    match sm_event(&mut events, "refreshing").await {
        SocketModeEvent::Refreshing { reason: r } => {
            assert_eq!(format!("{r:?}"), reason)
        }
        other => panic!("{other:?}"),
    }
    sm_event(&mut events, "refreshed").await;
    assert_eq!(seen.len(), total, "every envelope delivered: {seen:?}");
    assert!(seen.values().all(|n| *n == 1), "each once: {seen:?}");
    let record = t.slack.socket_mode_record();
    assert!(
        !record.had_gap(),
        "no envelope waited for a connection: {record:?}"
    );
    t.wire("every envelope acked once", move |r| {
        r.socket_mode.acks.iter().filter(|a| a.first).count() == total
    })
    .await;
    t.wire("the old connection closed", move |r| {
        r.connections.iter().filter(|c| c.is_open()).count() == 1
    })
    .await;
    assert_ne!(t.slack.live_app_connections(DEFAULT_APP_ID), [first]);
}

/// `disconnect` `warning`, then `refresh_requested`, then a close.
pub async fn socket_mode_refresh_on_warning_loses_nothing<H: Harness>(t: Ctx<H>) {
    refresh_with_flow(&t, Fault::Refresh, "Warning").await;
}

/// `disconnect` `refresh_requested` alone.
pub async fn socket_mode_refresh_requested_loses_nothing<H: Harness>(t: Ctx<H>) {
    let frame = json!({"type": "disconnect", "reason": "refresh_requested"}).to_string();
    refresh_with_flow(&t, Fault::RawText { text: frame }, "RefreshRequested").await;
}

/// `link_disabled`: the session ends for good, no reconnect.
pub async fn socket_mode_link_disabled_ends_the_session<H: Harness>(t: Ctx<H>) {
    let client = t.socket_mode_started().await;
    let mut events = client.subscribe_filtered(["disconnected", "reconnecting"]);
    t.slack.inject(Fault::LinkDisabled);
    match sm_event(&mut events, "disconnected").await {
        SocketModeEvent::Disconnected { error } => {
            assert_eq!(error, Some(SocketModeError::LinkDisabled))
        }
        other => panic!("{other:?}"),
    }
    assert!(!client.connected());
    assert_eq!(t.slack.record().web_calls.len(), 1, "no reconnect");
}

/// The socket dies through `fault`; the client reconnects and envelopes flow again.
async fn sm_reconnects_after<H: Harness>(t: &Ctx<H>, fault: Fault) -> SocketModeError {
    let client = t.socket_mode_started().await;
    let mut envelopes = client.envelopes();
    let mut events = client.subscribe_filtered(["reconnecting", "connected"]);
    t.slack.inject(fault);
    let reason = match sm_event(&mut events, "reconnecting").await {
        SocketModeEvent::Reconnecting {
            attempt, reason, ..
        } => {
            assert_eq!(attempt, 1);
            reason
        }
        other => panic!("{other:?}"),
    };
    sm_event(&mut events, "connected").await;
    t.slack.inject(Fault::Clear);
    alice_says(t, "after");
    let e = next_envelope(&mut envelopes, "an envelope after the reconnect").await;
    assert_eq!(text_of(&e), "after");
    client.ack(&e).await.unwrap();
    assert_eq!(
        t.slack.record().web_calls.len(),
        2,
        "a fresh apps.connections.open"
    );
    reason
}

/// The server closes the socket.
pub async fn socket_mode_reconnects_after_close<H: Harness>(t: Ctx<H>) {
    let reason = sm_reconnects_after(
        &t,
        Fault::Close {
            code: 4000,
            reason: "bye".into(),
        },
    )
    .await;
    assert_eq!(
        reason,
        SocketModeError::Closed {
            code: 4000,
            reason: "bye".into()
        }
    );
}

/// The TCP connection drops without a close frame.
pub async fn socket_mode_reconnects_after_tcp_drop<H: Harness>(t: Ctx<H>) {
    let reason = sm_reconnects_after(&t, Fault::DropTcp).await;
    assert!(
        matches!(
            reason,
            SocketModeError::Closed { code: 1006, .. } | SocketModeError::Websocket { .. }
        ),
        "{reason:?}"
    );
}

/// The socket goes silent both ways (a NAT dropped the flow): found dead by the pong or
/// idle deadline.
pub async fn socket_mode_reconnects_after_half_open<H: Harness>(t: Ctx<H>) {
    let reason = sm_reconnects_after(&t, Fault::HalfOpen).await;
    assert!(
        matches!(
            reason,
            SocketModeError::PongTimeout | SocketModeError::IdleTimeout
        ),
        "{reason:?}"
    );
}

/// `disconnect()` from every state settles, and the client stays disconnected.
pub async fn socket_mode_disconnect_in_every_state<H: Harness>(t: Ctx<H>) {
    // Before start, and twice.
    let client = t.build_socket_mode(t.socket_mode_builder());
    within("disconnect before start", WAIT, client.disconnect())
        .await
        .unwrap();
    // While authenticating: the web call hangs.
    t.slack.arm_web_fault(
        WebFault::Slow {
            delay: Duration::from_secs(5),
        },
        1,
    );
    let start = client.start();
    let started = tokio_spawn_like(start);
    sm_status(&client, "authenticating", |s| s.state.is_connecting()).await;
    within("disconnect while authenticating", WAIT, client.disconnect())
        .await
        .unwrap();
    let result = within("start() ends", WAIT, started).await;
    assert_eq!(
        result.unwrap_err(),
        Error::SocketMode(SocketModeError::Disconnected)
    );
    // While handshaking: no hello.
    t.slack.inject(Fault::Clear);
    t.slack.inject(Fault::NoHello);
    let started = tokio_spawn_like(client.start());
    t.wire("a socket is open", |r| !r.connections.is_empty())
        .await;
    within("disconnect while handshaking", WAIT, client.disconnect())
        .await
        .unwrap();
    assert!(within("start() ends", WAIT, started).await.is_err());
    t.slack.inject(Fault::Clear);
    // While live.
    within("start()", WAIT, client.start()).await.unwrap();
    within("disconnect while live", WAIT, client.disconnect())
        .await
        .unwrap();
    assert!(!client.connected());
    // While reconnecting: every attempt fails.
    within("start()", WAIT, client.start()).await.unwrap();
    t.slack.arm_web_fault(WebFault::Status { status: 503 }, 100);
    t.slack.inject(Fault::DropTcp);
    sm_status(&client, "reconnecting", |s| {
        s.state == rtm_driver::State::Reconnecting
    })
    .await;
    within("disconnect while reconnecting", WAIT, client.disconnect())
        .await
        .unwrap();
    within("disconnect twice", WAIT, client.disconnect())
        .await
        .unwrap();
    assert_eq!(client.state(), rtm_driver::State::Disconnected);
    t.wire("every socket closed", |r| r.active_connections() == 0)
        .await;
}

/// A future that runs on its own: polled by a helper task of the scenario's runtime would
/// need the runtime; a shared future polled alongside is enough here.
fn tokio_spawn_like<F>(
    f: F,
) -> futures::future::Shared<futures::future::BoxFuture<'static, F::Output>>
where
    F: std::future::Future + Send + 'static,
    F::Output: Clone + Send + Sync,
{
    use futures::FutureExt;
    let shared = f.boxed().shared();
    // Polled once now, so that its command reaches the driver before the next step.
    let _ = shared.clone().now_or_never();
    shared
}
