//! Dropping every handle shuts the driver down and settles everything.

mod common;

use common::*;
use futures::StreamExt;
use rtm_tokio::{Error, SendError};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_client_settles_pending_sends_with_client_closed() {
    let slack = server();
    let client = started(&slack).await;
    let mut events = client.events();
    // The server holds these acks, so the sends stay pending.
    slack.inject(rtm_testkit::Fault::HoldAcks { count: 100 });
    let sends: Vec<_> = (0..3)
        .map(|i| tokio::spawn(client.send_message(format!("held {i}"), CHANNEL)))
        .collect();
    within(slack.wait_until(WAIT, |r| {
        r.last_conn().is_some_and(|c| {
            c.from_client_json()
                .iter()
                .filter(|f| f["type"] == "message")
                .count()
                == 3
        })
    }))
    .await
    .unwrap();
    drop(client);
    for send in sends {
        let err = within(send).await.unwrap().unwrap_err();
        assert_eq!(err, Error::Send(SendError::ClientClosed));
        assert!(err.is_client_closed());
    }
    // The driver task ended: the event stream ends, the socket is gone.
    while let Some(item) = within(events.next()).await {
        let _ = item;
    }
    within(slack.wait_until(WAIT, |r| r.active_connections() == 0))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clone_keeps_the_session_alive() {
    let slack = server();
    let client = started(&slack).await;
    let clone = client.clone();
    drop(client);
    within(clone.send_message("still alive", CHANNEL))
        .await
        .unwrap();
}
