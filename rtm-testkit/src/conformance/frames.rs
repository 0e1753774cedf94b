//! Frames RTM never sends on purpose: the session survives them.

use rtm_driver::{Event, RtmError};
use serde_json::json;

use super::{CHANNEL, Ctx, Harness, WAIT, event_named, within};
use crate::model::{Fault, Target};

/// Invalid JSON, JSON that is not an object, and a binary frame are each reported as an
/// `error` event; the session stays up on the same connection and later frames still arrive.
pub async fn malformed_and_binary_frames_survive<H: Harness>(t: Ctx<H>) {
    let client = t.started().await;
    let mut events = client.subscribe_filtered(["error", "after_the_garbage", "reconnecting"]);
    t.slack.inject(Fault::RawText {
        text: "{not json".into(),
    });
    t.slack.inject(Fault::RawText {
        text: "[1,2,3]".into(),
    });
    t.slack.inject(Fault::RawBinary {
        data: vec![1, 2, 3],
    });
    t.slack
        .push_event(Target::All, &json!({"type": "after_the_garbage"}));

    let mut errors = Vec::new();
    let (_, skipped) = loop {
        let (e, skipped) = event_named(&mut events, "error").await;
        assert!(skipped.is_empty(), "{skipped:?}");
        match e.event() {
            Event::Error(err) => errors.push(err.clone()),
            other => panic!("{other:?}"),
        }
        if errors.len() == 3 {
            break event_named(&mut events, "after_the_garbage").await;
        }
    };
    assert!(skipped.is_empty(), "no reconnect: {skipped:?}");
    assert!(
        matches!(errors[0], RtmError::MalformedFrame { .. }),
        "{errors:?}"
    );
    assert!(
        matches!(errors[1], RtmError::MalformedFrame { .. }),
        "{errors:?}"
    );
    assert_eq!(errors[2], RtmError::UnexpectedBinary { len: 3 });
    assert_eq!(errors[0].code(), "slack_rtmapi_malformed_frame_error");

    assert!(client.status().ready());
    within(
        "send_message",
        WAIT,
        client.send_message("still fine", CHANNEL),
    )
    .await
    .unwrap();
    let record = t.slack.record();
    assert_eq!(record.connections.len(), 1);
    assert!(record.connections[0].is_open());
}
