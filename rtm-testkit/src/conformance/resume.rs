//! The resume window: after a reconnect with replies outstanding, the client waits (up to
//! `reply_ack_on_reconnect_timeout`) for them on the new connection before it is ready.

use std::time::{Duration, Instant};

use rtm_driver::{Connected, Error, NoReplyReason, SendError, State};
use serde_json::json;

use super::{CHANNEL, Ctx, Harness, WAIT, event_named, sent_text, status, within};
use crate::model::{Fault, Target};

/// The id of the client's message with this text, once the mock has seen it.
async fn message_id<H: Harness>(t: &Ctx<H>, text: &str) -> u64 {
    let text = text.to_owned();
    t.slack
        .wait_for(WAIT, move |r| {
            r.connections
                .iter()
                .flat_map(|c| c.from_client_json())
                .find(|f| f["type"] == "message" && f["text"] == text.as_str())
                .and_then(|f| f["id"].as_u64())
        })
        .await
        .expect("the message reached the mock")
}

/// The ack of a message sent on the lost connection arrives on the new one: it settles the
/// send, and the session is ready at once (not after the resume window).
pub async fn resume_ends_with_the_ack_on_the_new_connection<H: Harness>(t: Ctx<H>) {
    let window = Duration::from_secs(5);
    let client = t.build(t.builder().reply_ack_on_reconnect_timeout(window));
    let client = t.start(client).await;
    let mut lifecycle = client.subscribe_filtered(["connected", "ready"]);
    t.slack.inject(Fault::HoldAcks { count: 2 });
    let ts = "1700000099.000001";
    let send = client.send_message("in flight", CHANNEL);
    let network = async {
        let id = message_id(&t, "in flight").await;
        t.slack.inject(Fault::DropTcp);
        event_named(&mut lifecycle, "connected").await;
        status(&client, "resuming", |s| {
            s.state == State::Connected(Connected::Resuming)
        })
        .await;
        let resuming_at = Instant::now();
        let conn = t.slack.record().last_conn().unwrap().conn;
        t.slack.push_event(
            Target::Conn(conn),
            &json!({"ok": true, "reply_to": id, "ts": ts, "text": "in flight"}),
        );
        event_named(&mut lifecycle, "ready").await;
        (id, resuming_at.elapsed())
    };
    let (ack, (id, resumed_in)) = within(
        "the resumed ack",
        WAIT,
        futures::future::join(send, network),
    )
    .await;
    let ack = ack.unwrap();
    assert_eq!(ack.id, id);
    assert_eq!(ack.ts.as_deref(), Some(ts));
    assert!(
        resumed_in < Duration::from_secs(2),
        "ready after {resumed_in:?}"
    );
    assert!(client.status().ready());
    t.slack.inject(Fault::Clear);
    within("send_message", WAIT, client.send_message("next", CHANNEL))
        .await
        .unwrap();
    assert_eq!(t.slack.record().connections.len(), 2);
}

/// A replayed ack of a message that already settled does not end the resume window nor settle
/// anything twice; the unanswered send fails with `no_reply` when the window passes, and the
/// session is then ready.
pub async fn resume_ignores_a_replayed_ack_and_times_out<H: Harness>(t: Ctx<H>) {
    let window = Duration::from_millis(400);
    let client = t.build(t.builder().reply_ack_on_reconnect_timeout(window));
    let client = t.start(client).await;
    let mut lifecycle = client.subscribe_filtered(["ready"]);
    let first = within("send_message", WAIT, client.send_message("first", CHANNEL))
        .await
        .unwrap();
    t.slack.inject(Fault::HoldAcks { count: 2 });
    t.slack.inject(Fault::ReplayLastAck);
    let send = client.send_message("second", CHANNEL);
    let network = async {
        message_id(&t, "second").await;
        t.slack.inject(Fault::DropTcp);
        event_named(&mut lifecycle, "ready").await;
        Instant::now()
    };
    let (second, ready_at) = within(
        "the resume window",
        WAIT,
        futures::future::join(send, network),
    )
    .await;
    match second {
        Err(Error::Send(SendError::NoReply { reason, .. })) => {
            assert_eq!(reason, NoReplyReason::ConnectionLost)
        }
        other => panic!("expected no_reply, got {other:?}"),
    }
    let record = t.slack.record();
    assert_eq!(record.connections.len(), 2);
    let new = &record.connections[1];
    let frames = new.to_client_json();
    assert_eq!(frames[0]["type"], "hello");
    assert_eq!(frames[1]["reply_to"], first.id, "the last ack was replayed");
    let hello_at = new.to_client[0].at;
    assert!(
        ready_at - hello_at >= window,
        "ready {:?} after hello, before the window passed",
        ready_at - hello_at
    );
    t.slack.inject(Fault::Clear);
    let third = within("send_message", WAIT, client.send_message("third", CHANNEL))
        .await
        .unwrap();
    assert!(third.id > first.id);
    assert!(sent_text(&t.conn(2), "third"));
}
