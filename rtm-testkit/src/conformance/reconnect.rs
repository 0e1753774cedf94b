//! Losing the connection and opening one: every way a session ends, every way an attempt
//! fails, and what the retries honour.

use std::time::{Duration, Instant};

use rtm_driver::{Error, Event, RtmError, SendError, StartOptions};
use serde_json::json;

use super::{
    CHANNEL, Ctx, Harness, WAIT, client_frames, event_named, fast_retry, sent_text, within,
};
use crate::model::{Fault, WebFault};

/// The reason of a `reconnecting` event.
fn reconnect_reason(e: &rtm_driver::SharedEvent) -> (u32, Duration, RtmError) {
    match e.event() {
        Event::Reconnecting {
            attempt,
            delay,
            reason,
        } => (*attempt, *delay, reason.clone()),
        other => panic!("expected reconnecting, got {other:?}"),
    }
}

/// A ready session loses its connection through `fault`; the client reconnects with a fresh
/// web call and a new socket, and sends work again. Returns the reconnect reason.
async fn reconnects_after<H: Harness>(t: &Ctx<H>, fault: Fault) -> RtmError {
    let client = t.started().await;
    let mut lifecycle = client.subscribe_filtered(["reconnecting", "ready"]);
    within("send_message", WAIT, client.send_message("before", CHANNEL))
        .await
        .unwrap();
    t.slack.inject(fault);
    let (e, skipped) = event_named(&mut lifecycle, "reconnecting").await;
    assert!(skipped.is_empty(), "{skipped:?}");
    let (attempt, _, reason) = reconnect_reason(&e);
    assert_eq!(attempt, 1);
    event_named(&mut lifecycle, "ready").await;
    assert!(client.status().ready());
    let ack = within("send_message", WAIT, client.send_message("after", CHANNEL))
        .await
        .unwrap();
    t.wire("the first connection closed", |r| {
        r.connections.first().is_some_and(|c| !c.is_open())
    })
    .await;
    let record = t.slack.record();
    assert_eq!(record.web_calls.len(), 2, "a fresh rtm.connect");
    assert_eq!(record.connections.len(), 2);
    assert_eq!(record.active_connections(), 1);
    let second = &record.connections[1];
    assert!(sent_text(second, "after") && !sent_text(&record.connections[0], "after"));
    assert!(second.reply_to(ack.id).is_some());
    reason
}

/// The server closes the socket: reconnect.
pub async fn reconnect_after_close<H: Harness>(t: Ctx<H>) {
    let reason = reconnects_after(
        &t,
        Fault::Close {
            code: 4000,
            reason: "bye".into(),
        },
    )
    .await;
    assert_eq!(
        reason,
        RtmError::Closed {
            code: 4000,
            reason: "bye".into()
        }
    );
    assert_eq!(t.conn(1).server_close, Some((4000, "bye".into())));
}

/// The TCP connection drops without a close frame: reconnect.
pub async fn reconnect_after_tcp_drop<H: Harness>(t: Ctx<H>) {
    let reason = reconnects_after(&t, Fault::DropTcp).await;
    assert!(
        matches!(
            reason,
            RtmError::Closed { code: 1006, .. } | RtmError::Websocket { .. }
        ),
        "{reason:?}"
    );
    assert!(t.conn(1).dropped);
}

/// `goodbye`: the client leaves at once (the server keeps the socket open) and reconnects.
pub async fn reconnect_after_goodbye<H: Harness>(t: Ctx<H>) {
    let reason = reconnects_after(&t, Fault::goodbye()).await;
    assert_eq!(reason, RtmError::Goodbye);
    let first = t.conn(1);
    assert_eq!(first.server_close, None, "the client closed it");
    assert!(!first.dropped);
}

/// `team_migration_started`: reconnect with a fresh rtm.connect.
pub async fn reconnect_after_team_migration<H: Harness>(t: Ctx<H>) {
    let reason = reconnects_after(&t, Fault::TeamMigrationStarted).await;
    assert_eq!(reason, RtmError::TeamMigration);
    assert_eq!(t.conn(1).server_close, None, "the client closed it");
}

/// A ping without a pong within `server_pong_timeout` means a dead connection: reconnect.
pub async fn reconnect_after_missed_pong<H: Harness>(t: Ctx<H>) {
    let ping = Duration::from_millis(300);
    let pong = Duration::from_millis(200);
    let client = t.build(
        t.builder()
            .client_ping_timeout(ping)
            .server_pong_timeout(pong),
    );
    let client = t.start(client).await;
    let mut lifecycle = client.subscribe_filtered(["reconnecting", "ready"]);
    t.slack.inject(Fault::StopPongs);
    let started = Instant::now();
    let (e, _) = event_named(&mut lifecycle, "reconnecting").await;
    // Before the new connection's first ping.
    t.slack.inject(Fault::ResumePongs);
    let (_, _, reason) = reconnect_reason(&e);
    assert_eq!(reason, RtmError::PongTimeout);
    assert!(
        started.elapsed() >= pong,
        "gave up after {:?}",
        started.elapsed()
    );
    event_named(&mut lifecycle, "ready").await;

    let first = t.conn(1);
    let pings = client_frames(&first, "ping");
    assert!(!pings.is_empty(), "a ping was sent");
    let unanswered = pings.last().unwrap()["id"].as_u64().unwrap();
    assert_eq!(first.reply_to(unanswered), None);
    // The ping came once the connection had been quiet for client_ping_timeout.
    let ping_at = first
        .from_client
        .iter()
        .find(|r| r.frame.json().is_some_and(|v| v["type"] == "ping"))
        .unwrap()
        .at;
    assert!(ping_at - first.opened_at >= ping - Duration::from_millis(50));
    t.wire("a second connection", |r| r.connections.len() == 2)
        .await;
    within("send_message", WAIT, client.send_message("alive", CHANNEL))
        .await
        .unwrap();
}

/// A quiet connection is kept alive by pings (answered: no reconnect); pongs echo `time`.
pub async fn keepalive_pings_when_quiet<H: Harness>(t: Ctx<H>) {
    let ping = Duration::from_millis(300);
    let client = t.build(
        t.builder()
            .client_ping_timeout(ping)
            .server_pong_timeout(Duration::from_millis(200)),
    );
    let client = t.start(client).await;
    t.wire("two answered pings", |r| {
        r.connections.first().is_some_and(|c| {
            client_frames(c, "ping")
                .iter()
                .filter(|p| c.reply_to(p["id"].as_u64().unwrap_or(0)).is_some())
                .count()
                >= 2
        })
    })
    .await;
    assert!(client.status().ready());
    let record = t.slack.record();
    assert_eq!(record.connections.len(), 1, "no reconnect");
    assert_eq!(record.web_calls.len(), 1);
    let conn = &record.connections[0];
    let pings: Vec<_> = conn
        .from_client
        .iter()
        .filter(|r| r.frame.json().is_some_and(|v| v["type"] == "ping"))
        .collect();
    let gap = pings[1].at - pings[0].at;
    assert!(
        gap >= ping - Duration::from_millis(50),
        "pings only when quiet: {gap:?}"
    );
    let first = pings[0].frame.json().unwrap();
    let reply = conn.reply_to(first["id"].as_u64().unwrap()).unwrap();
    assert_eq!(reply["type"], "pong");
    assert_eq!(reply["time"], first["time"]);
}

/// No `hello` within `hello_timeout`: the attempt fails and the next one succeeds; `start()`
/// settles with the success.
pub async fn no_hello_times_out_and_retries<H: Harness>(t: Ctx<H>) {
    let hello = Duration::from_millis(400);
    let client = t.build(t.builder().hello_timeout(hello));
    let mut lifecycle = client.subscribe_filtered(["reconnecting"]);
    t.slack.inject(Fault::NoHello);
    let started = Instant::now();
    let client = t.start(client).await;
    assert!(started.elapsed() >= hello, "{:?}", started.elapsed());
    let (e, _) = event_named(&mut lifecycle, "reconnecting").await;
    assert_eq!(reconnect_reason(&e).2, RtmError::HelloTimeout);
    t.wire("the silent connection closed", |r| {
        r.connections.first().is_some_and(|c| !c.is_open())
    })
    .await;
    let record = t.slack.record();
    assert_eq!(record.web_calls.len(), 2);
    assert_eq!(record.connections.len(), 2);
    assert!(record.connections[0].to_client.is_empty(), "no hello");
    assert!(record.connections[1].is_open());
    drop(client);
}

/// The socket URL expired (`error` frame instead of `hello`): the client reports the error and
/// tries again with a fresh rtm.connect.
pub async fn expired_socket_url_retries<H: Harness>(t: Ctx<H>) {
    let client = t.client();
    let mut events = client.subscribe_filtered(["error", "reconnecting"]);
    t.slack.inject(Fault::ExpiredUrl);
    let client = t.start(client).await;
    // The frame itself comes first (as a Slack `error` event), then the client's report.
    let (frame, _) = event_named(&mut events, "error").await;
    assert!(matches!(frame.event(), Event::Slack(_)), "{frame:?}");
    let (e, _) = event_named(&mut events, "error").await;
    assert!(
        matches!(e.event(), Event::Error(RtmError::Server { code: 1, .. })),
        "{e:?}"
    );
    let (e, _) = event_named(&mut events, "reconnecting").await;
    assert!(matches!(
        reconnect_reason(&e).2,
        RtmError::Server { code: 1, .. }
    ));
    let record = t.slack.record();
    assert_eq!(record.web_calls.len(), 2);
    assert_eq!(record.connections.len(), 2);
    assert!(record.connections[0].server_close.is_some());
    assert!(client.status().ready());
}

/// HTTP 429 with `Retry-After: 1`: the next attempt waits at least that long.
pub async fn retry_after_429_honours_retry_after<H: Harness>(t: Ctx<H>) {
    t.slack.arm_web_fault(
        WebFault::RateLimited {
            retry_after_secs: 1,
        },
        1,
    );
    let client = t.client();
    let mut lifecycle = client.subscribe_filtered(["reconnecting"]);
    let started = Instant::now();
    let client = t.start(client).await;
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_secs(1), "{elapsed:?}");
    let (e, _) = event_named(&mut lifecycle, "reconnecting").await;
    let (attempt, delay, reason) = reconnect_reason(&e);
    assert_eq!(attempt, 1);
    assert_eq!(
        reason,
        RtmError::RateLimited {
            retry_after: Some(Duration::from_secs(1))
        }
    );
    assert!(delay >= Duration::from_secs(1), "{delay:?}");
    let calls = t.slack.record().web_calls;
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].status, 429);
    let gap = calls[1].at - calls[0].at;
    assert!(gap >= Duration::from_secs(1), "retried after {gap:?}");
    assert!(gap < Duration::from_secs(5), "retried only after {gap:?}");
    assert!(client.status().ready());
}

/// HTTP 5xx, a non-JSON answer and a retryable platform error are all retried with backoff.
pub async fn retry_after_5xx_and_bad_answers<H: Harness>(t: Ctx<H>) {
    t.slack.arm_web_fault(WebFault::Status { status: 503 }, 1);
    t.slack.arm_web_fault(WebFault::NotJson, 1);
    t.slack.arm_web_fault(
        WebFault::Error {
            error: "internal_error".into(),
        },
        1,
    );
    let client = t.client();
    let mut lifecycle = client.subscribe_filtered(["reconnecting"]);
    let client = t.start(client).await;
    let mut reasons = Vec::new();
    for n in 1..=3 {
        let (e, _) = event_named(&mut lifecycle, "reconnecting").await;
        let (attempt, delay, reason) = reconnect_reason(&e);
        assert_eq!(attempt, n);
        assert!(delay > Duration::ZERO, "backoff before attempt {n}");
        reasons.push(reason);
    }
    assert_eq!(reasons[0], RtmError::Http { status: 503 });
    assert!(
        matches!(reasons[1], RtmError::BadResponse { .. }),
        "{:?}",
        reasons[1]
    );
    assert_eq!(
        reasons[2],
        RtmError::Platform {
            error: "internal_error".into()
        }
    );
    let calls = t.slack.record().web_calls;
    assert_eq!(calls.len(), 4);
    assert_eq!(calls[3].status, 200);
    assert_eq!(t.slack.record().connections.len(), 1);
    assert!(client.status().ready());
}

/// A web call slower than `web_call_timeout` is abandoned and retried.
pub async fn web_call_timeout_retries<H: Harness>(t: Ctx<H>) {
    let limit = Duration::from_millis(300);
    t.slack.arm_web_fault(
        WebFault::Slow {
            delay: Duration::from_secs(3),
        },
        1,
    );
    let client = t.build(t.builder().web_call_timeout(limit));
    let mut lifecycle = client.subscribe_filtered(["reconnecting"]);
    let started = Instant::now();
    let client = t.start(client).await;
    let elapsed = started.elapsed();
    assert!(elapsed >= limit, "{elapsed:?}");
    assert!(
        elapsed < Duration::from_secs(3),
        "waited for the slow answer"
    );
    let (e, _) = event_named(&mut lifecycle, "reconnecting").await;
    assert_eq!(reconnect_reason(&e).2, RtmError::WebCallTimeout);
    assert_eq!(t.slack.record().web_calls.len(), 2);
    assert!(client.status().ready());
}

/// `invalid_auth` cannot be fixed by retrying: `start()` fails at once, with the reference's
/// error code, and the token stays out of the error.
pub async fn invalid_auth_fails_start<H: Harness>(t: Ctx<H>) {
    t.slack.arm_web_fault(WebFault::invalid_auth(), 1);
    let client = t.client();
    let mut events = client.events();
    let err = within("start()", WAIT, client.start()).await.unwrap_err();
    let invalid = Error::Rtm(RtmError::Platform {
        error: "invalid_auth".into(),
    });
    assert_eq!(err, invalid);
    assert_eq!(err.code(), "slack_webapi_platform_error");
    let (e, skipped) = event_named(&mut events, "unable_to_rtm_start").await;
    assert!(!skipped.contains(&"reconnecting".to_owned()), "{skipped:?}");
    assert!(matches!(
        e.event(),
        Event::UnableToRtmStart(RtmError::Platform { .. })
    ));
    let (e, _) = event_named(&mut events, "disconnected").await;
    assert!(matches!(e.event(), Event::Disconnected { error: Some(_) }));
    assert_eq!(client.state(), rtm_driver::State::Disconnected);
    assert!(!client.authenticated());

    // A wrong token, without a fault: the same, and the token is not in the error.
    let err = within(
        "start_with(wrong token)",
        WAIT,
        client.start_with(StartOptions::new("xoxb-wrong-secret")),
    )
    .await
    .unwrap_err();
    assert_eq!(err, invalid);
    assert!(!format!("{err} {err:?}").contains("wrong-secret"));
    let record = t.slack.record();
    assert_eq!(record.web_calls.len(), 2, "no retries");
    assert_eq!(
        record.web_calls[1].token.as_deref(),
        Some("xoxb-wrong-secret")
    );
    assert!(record.connections.is_empty());
}

/// When every attempt of the retry budget fails, `start()` fails with the last error; the
/// client can be started again later.
pub async fn retries_exhausted_fails_start<H: Harness>(t: Ctx<H>) {
    t.slack.arm_web_fault(WebFault::Status { status: 500 }, 10);
    let client = t.build(t.builder().retry(fast_retry(2)));
    let err = within("start()", WAIT, client.start()).await.unwrap_err();
    match &err {
        Error::Rtm(RtmError::RetriesExhausted { attempts, last }) => {
            assert_eq!(*attempts, 3);
            assert_eq!(**last, RtmError::Http { status: 500 });
        }
        other => panic!("expected RetriesExhausted, got {other:?}"),
    }
    assert_eq!(err.code(), "slack_webapi_http_error");
    assert_eq!(t.slack.record().web_calls.len(), 3);
    assert_eq!(client.state(), rtm_driver::State::Disconnected);
    t.slack.inject(Fault::Clear);
    let client = t.start(client).await;
    assert_eq!(t.slack.record().web_calls.len(), 4);
    drop(client);
}

/// Sends queued while the connection is down go out on the new connection once it is ready;
/// an immediate `send` meanwhile is refused.
pub async fn queued_sends_flushed_after_reconnect<H: Harness>(t: Ctx<H>) {
    let client = t.started().await;
    let mut lifecycle = client.subscribe_filtered(["reconnecting"]);
    t.slack.inject(Fault::LateHello {
        delay: Duration::from_millis(300),
    });
    t.slack.inject(Fault::DropTcp);
    event_named(&mut lifecycle, "reconnecting").await;
    assert!(!client.status().ready());
    let immediate = within(
        "send",
        WAIT,
        client.send("message", json!({"channel": CHANNEL, "text": "now"})),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            immediate,
            Error::Send(SendError::NotConnected | SendError::NotReady)
        ),
        "{immediate:?}"
    );
    let (ack, typed) = within(
        "queued sends",
        WAIT,
        futures::future::join(
            client.send_message("queued while away", CHANNEL),
            client.send_typing(CHANNEL),
        ),
    )
    .await;
    let ack = ack.unwrap();
    typed.unwrap();
    t.wire("typing on the second connection", |r| {
        r.connections
            .get(1)
            .is_some_and(|c| !client_frames(c, "typing").is_empty())
    })
    .await;
    let record = t.slack.record();
    assert_eq!(record.connections.len(), 2);
    let (first, second) = (&record.connections[0], &record.connections[1]);
    assert!(!sent_text(first, "queued while away") && !sent_text(first, "now"));
    assert!(sent_text(second, "queued while away") && !sent_text(second, "now"));
    assert_eq!(client_frames(second, "typing").len(), 1);
    let hello_at = second.to_client[0].at;
    assert_eq!(second.to_client_json()[0]["type"], "hello");
    assert!(
        second.from_client.iter().all(|r| r.at >= hello_at),
        "nothing written before hello"
    );
    assert!(second.reply_to(ack.id).is_some());
}

/// Sends queued after `disconnect()` stay queued and go out after the next `start()`.
pub async fn queued_sends_wait_for_the_next_start<H: Harness>(t: Ctx<H>) {
    let client = t.started().await;
    within("disconnect()", WAIT, client.disconnect())
        .await
        .unwrap();
    let err = within(
        "send",
        WAIT,
        client.send("typing", json!({"channel": CHANNEL})),
    )
    .await
    .unwrap_err();
    assert_eq!(err, Error::Send(SendError::NotConnected));
    assert_eq!(err.code(), "slack_rtmapi_send_while_disconnected_error");
    let (sends, started) = within(
        "queued sends and start()",
        WAIT,
        futures::future::join(
            futures::future::join(
                client.send_message("queued", CHANNEL),
                client.add_outgoing_event(false, "typing", json!({"channel": CHANNEL})),
            ),
            async {
                // The sends are queued (they go first on the command channel) before start.
                client.start().await
            },
        ),
    )
    .await;
    started.unwrap();
    let ack = sends.0.unwrap();
    sends.1.unwrap();
    // Written is not yet received: wait for the frame to arrive.
    t.wire("typing on the second connection", |r| {
        r.connections
            .get(1)
            .is_some_and(|c| !client_frames(c, "typing").is_empty())
    })
    .await;
    let record = t.slack.record();
    assert_eq!(record.connections.len(), 2);
    assert!(!sent_text(&record.connections[0], "queued"));
    assert!(sent_text(&record.connections[1], "queued"));
    assert!(record.connections[1].reply_to(ack.id).is_some());
    assert_eq!(client_frames(&record.connections[1], "typing").len(), 1);
}
