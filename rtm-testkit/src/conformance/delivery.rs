//! Delivery to subscribers: lossless by default, lossy by name.

use std::time::Duration;

use futures::StreamExt;
use rtm_driver::{Event, Lagged};

use super::{CHANNEL, Ctx, Harness, WAIT, sleep, within};

/// A flood to a lossless subscriber that reads slower than the socket, stalling once past the
/// keepalive's ping and pong deadlines: every event arrives, in order, on the one connection
/// (reading was paused, not the session), and a lossy subscriber beside it accounts for what
/// it dropped.
pub async fn a_slow_lossless_subscriber_gets_every_event<H: Harness>(t: Ctx<H>) {
    const FLOOD: u64 = 20_000;
    let client = t.build(t.builder().event_buffer(2));
    let client = t.start(client).await;
    let mut slow = client.subscribe_filtered(["message", "reconnecting"]);
    let mut lossy = client.subscribe_filtered(["message"]).lossy();
    assert_eq!(t.slack.flood(FLOOD), 1);
    let mut seen = 0u64;
    let mut last_seq = None;
    while seen < FLOOD {
        let e = within("a flood event", WAIT, slow.next())
            .await
            .expect("the stream goes on")
            .expect("a lossless subscription never lags");
        assert!(!matches!(e.event(), Event::Reconnecting { .. }), "{e:?}");
        assert!(last_seq < Some(e.seq()), "in order");
        last_seq = Some(e.seq());
        seen += 1;
        if seen == FLOOD / 2 {
            // Longer than the ping interval and the pong deadline together (1.5 s + 1 s).
            sleep(Duration::from_millis(3_000)).await;
        } else if seen.is_multiple_of(2_000) {
            sleep(Duration::from_millis(5)).await;
        }
    }
    let record = t.slack.record();
    assert_eq!(record.connections.len(), 1, "no reconnect");
    assert_eq!(record.connections[0].flooded, FLOOD);
    // The lossy one: what it shows and what it was told it missed add up to the flood.
    let (mut shown, mut missed) = (0u64, 0u64);
    while shown + missed < FLOOD {
        match within("a lossy item", WAIT, lossy.next())
            .await
            .expect("open")
        {
            Ok(_) => shown += 1,
            Err(Lagged(n)) => missed += n,
        }
    }
    assert_eq!(shown + missed, FLOOD);
    // A lossless subscription that is no longer read would hold the session back: done with
    // it, drop it.
    drop(slow);
    within("send_message", WAIT, client.send_message("after", CHANNEL))
        .await
        .unwrap();
}
