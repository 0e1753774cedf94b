//! Helpers shared by the integration tests (included with `mod common;`).
#![allow(dead_code)]

use std::future::Future;
use std::time::Duration;

use rtm_testkit::{MockSlack, ServerOptions};
use rtm_tokio::{BuilderExt, ClientBuilder, RtmClient};

pub const TOKEN: &str = "xoxb-test-token";
pub const CHANNEL: &str = "C0GENERAL";
/// Generous: only reached when something is broken.
pub const WAIT: Duration = Duration::from_secs(10);

pub fn server() -> MockSlack {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    MockSlack::start(ServerOptions::default()).expect("mock slack starts")
}

/// Options for tests: pacing off, fast retries.
pub fn builder(slack: &MockSlack) -> ClientBuilder {
    ClientBuilder::new(TOKEN)
        .api_url(slack.api_url())
        .pacing(None)
        .seed(7)
        .retry(
            rtm_tokio::RetryPolicy::default()
                .with_first_start(rtm_tokio::RetryLimit::Attempts(5))
                .with_reconnect(rtm_tokio::RetryLimit::Attempts(5))
                .with_initial_delay(Duration::from_millis(20))
                .with_factor(2.0)
                .with_max_delay(Duration::from_millis(200)),
        )
}

pub async fn started(slack: &MockSlack) -> RtmClient {
    let client = builder(slack).build().expect("client builds");
    within(client.start()).await.expect("session starts");
    client
}

/// Awaits `f`, failing the test if it takes longer than [`WAIT`].
pub async fn within<F: Future>(f: F) -> F::Output {
    tokio::time::timeout(WAIT, f)
        .await
        .expect("timed out waiting")
}
