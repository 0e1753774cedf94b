//! Handles and the driver's life (dropping every handle is the conformance suite's
//! `dropping_the_client_settles_everything`).

mod common;

use common::*;

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
