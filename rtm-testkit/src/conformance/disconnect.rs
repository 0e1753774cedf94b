//! `disconnect()` in every state: it always completes promptly, ends the session, settles
//! what was waiting, and leaves a client that can start again.

use std::time::{Duration, Instant};

use rtm_driver::{Connected, Connecting, Error, Event, NoReplyReason, RtmError, SendError, State};
use serde_json::json;

use super::{CHANNEL, Ctx, Harness, WAIT, event_named, status, within};
use crate::model::{Fault, WebFault};

/// How long a disconnect may take: well under every deadline it must not wait for.
const PROMPT: Duration = Duration::from_millis(900);

/// Disconnects, checking that it completes promptly and that the client ends disconnected.
async fn disconnect_now(client: &rtm_driver::RtmClient) {
    let t0 = Instant::now();
    within("disconnect()", WAIT, client.disconnect())
        .await
        .unwrap();
    assert!(t0.elapsed() < PROMPT, "disconnect took {:?}", t0.elapsed());
    assert_eq!(client.state(), State::Disconnected);
    assert!(!client.connected());
}

/// During the web call (a slow answer): `start()` fails with `Disconnected`, no socket opens.
pub async fn disconnect_while_authenticating<H: Harness>(t: Ctx<H>) {
    t.slack.arm_web_fault(
        WebFault::Slow {
            delay: Duration::from_secs(2),
        },
        1,
    );
    let client = t.client();
    let mut events = client.events();
    let (started, ()) = within(
        "start() and disconnect()",
        WAIT,
        futures::future::join(client.start(), async {
            status(&client, "authenticating", |s| {
                s.state == State::Connecting(Connecting::Authenticating)
            })
            .await;
            t.wire("the web call reached the mock", |r| r.web_calls.len() == 1)
                .await;
            disconnect_now(&client).await;
        }),
    )
    .await;
    assert_eq!(started.unwrap_err(), Error::Rtm(RtmError::Disconnected));
    let (e, _) = event_named(&mut events, "disconnected").await;
    assert!(
        matches!(e.event(), Event::Disconnected { error: None }),
        "{e:?}"
    );
    assert!(t.slack.record().connections.is_empty());
    // Usable again.
    t.start(client).await;
}

/// Waiting for `hello`: the socket is closed, `start()` fails, a new start works.
pub async fn disconnect_while_handshaking<H: Harness>(t: Ctx<H>) {
    t.slack.inject(Fault::NoHello);
    let client = t.client();
    let (started, ()) = within(
        "start() and disconnect()",
        WAIT,
        futures::future::join(client.start(), async {
            t.wire("the socket opened", |r| r.connections.len() == 1)
                .await;
            status(&client, "handshaking", |s| {
                s.state == State::Connecting(Connecting::Handshaking)
            })
            .await;
            disconnect_now(&client).await;
        }),
    )
    .await;
    assert_eq!(started.unwrap_err(), Error::Rtm(RtmError::Disconnected));
    t.wire("the socket closed", |r| r.active_connections() == 0)
        .await;
    let first = t.conn(1);
    assert_eq!(first.server_close, None, "closed by the client");
    assert!(first.from_client.is_empty());
    t.start(client).await;
    assert_eq!(t.slack.record().connections.len(), 2);
}

/// Ready, with an awaited reply outstanding: the socket is closed, the send fails with
/// `no_reply` (session ended), sends are refused, and the events say so.
pub async fn disconnect_while_ready<H: Harness>(t: Ctx<H>) {
    let client = t.started().await;
    let mut lifecycle = client.subscribe_filtered(["disconnecting", "disconnected"]);
    t.slack.inject(Fault::HoldAcks { count: 2 });
    let (sent, ()) = within(
        "send_message and disconnect()",
        WAIT,
        futures::future::join(client.send_message("unanswered", CHANNEL), async {
            t.wire("the message reached the mock", |r| {
                r.connections
                    .first()
                    .is_some_and(|c| super::sent_text(c, "unanswered"))
            })
            .await;
            disconnect_now(&client).await;
        }),
    )
    .await;
    match sent {
        Err(Error::Send(SendError::NoReply { reason, .. })) => {
            assert_eq!(reason, NoReplyReason::SessionEnded)
        }
        other => panic!("expected no_reply, got {other:?}"),
    }
    let (_, skipped) = event_named(&mut lifecycle, "disconnecting").await;
    assert!(skipped.is_empty());
    let (e, _) = event_named(&mut lifecycle, "disconnected").await;
    assert!(matches!(e.event(), Event::Disconnected { error: None }));
    t.wire("the socket closed", |r| r.active_connections() == 0)
        .await;
    let first = t.conn(1);
    assert_eq!(first.server_close, None, "closed by the client");
    assert!(!first.dropped);
    let err = within(
        "send",
        WAIT,
        client.send("message", json!({"channel": CHANNEL, "text": "x"})),
    )
    .await
    .unwrap_err();
    assert_eq!(err, Error::Send(SendError::NotConnected));
    assert_eq!(t.slack.record().web_calls.len(), 1, "no reconnect");
}

/// Waiting to retry (backoff after a 5xx): the retry is cancelled and `start()` fails.
pub async fn disconnect_while_reconnecting<H: Harness>(t: Ctx<H>) {
    t.slack.arm_web_fault(WebFault::Status { status: 503 }, 1);
    let slow_retry = rtm_driver::RetryPolicy::default()
        .with_first_start(rtm_driver::RetryLimit::Attempts(3))
        .with_reconnect(rtm_driver::RetryLimit::Attempts(3))
        .with_initial_delay(Duration::from_secs(3))
        .with_factor(1.0)
        .with_max_delay(Duration::from_secs(3));
    let client = t.build(t.builder().retry(slow_retry));
    let (started, ()) = within(
        "start() and disconnect()",
        WAIT,
        futures::future::join(client.start(), async {
            status(&client, "reconnecting", |s| s.state == State::Reconnecting).await;
            disconnect_now(&client).await;
        }),
    )
    .await;
    assert_eq!(started.unwrap_err(), Error::Rtm(RtmError::Disconnected));
    let record = t.slack.record();
    assert_eq!(record.web_calls.len(), 1);
    assert_eq!(record.web_calls[0].status, 503);
    assert!(record.connections.is_empty());
    // A new start does not wait for the cancelled backoff.
    let t0 = Instant::now();
    t.start(client).await;
    assert!(t0.elapsed() < Duration::from_secs(2), "{:?}", t0.elapsed());
}

/// In the resume window after a reconnect: the outstanding send fails with `no_reply`
/// (session ended) at once, not when the window passes.
pub async fn disconnect_while_resuming<H: Harness>(t: Ctx<H>) {
    let client = t.build(
        t.builder()
            .reply_ack_on_reconnect_timeout(Duration::from_secs(5)),
    );
    let client = t.start(client).await;
    t.slack.inject(Fault::HoldAcks { count: 2 });
    let (sent, ()) = within(
        "send_message and disconnect()",
        WAIT,
        futures::future::join(client.send_message("in flight", CHANNEL), async {
            t.wire("the message reached the mock", |r| {
                r.connections
                    .first()
                    .is_some_and(|c| super::sent_text(c, "in flight"))
            })
            .await;
            t.slack.inject(Fault::DropTcp);
            status(&client, "resuming", |s| {
                s.state == State::Connected(Connected::Resuming)
            })
            .await;
            disconnect_now(&client).await;
        }),
    )
    .await;
    match sent {
        Err(Error::Send(SendError::NoReply { reason, .. })) => {
            assert_eq!(reason, NoReplyReason::SessionEnded)
        }
        other => panic!("expected no_reply, got {other:?}"),
    }
    t.wire("every socket closed", |r| {
        r.connections.len() == 2 && r.active_connections() == 0
    })
    .await;
}

/// Before any start, and twice at once on a ready client: every call completes.
pub async fn disconnect_twice_and_before_start<H: Harness>(t: Ctx<H>) {
    let client = t.client();
    disconnect_now(&client).await;
    let client = t.start(client).await;
    let (a, b) = within(
        "two disconnect()s",
        WAIT,
        futures::future::join(client.disconnect(), client.disconnect()),
    )
    .await;
    a.unwrap();
    b.unwrap();
    assert_eq!(client.state(), State::Disconnected);
    t.wire("the socket closed", |r| r.active_connections() == 0)
        .await;
    assert_eq!(t.slack.record().web_calls.len(), 1);
}
