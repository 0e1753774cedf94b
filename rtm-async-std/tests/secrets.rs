//! The token and proxy credentials never reach the logs, even with every target at TRACE: isahc turns curl's
//! verbose output (outgoing headers included) into trace events when a subscriber listens.
//! Its own test binary: it installs a global subscriber (and a `log` bridge).

use std::time::Duration;

use rtm_async_std::{BuilderExt, ClientBuilder};
use rtm_testkit::logs::Captured;
use rtm_testkit::proxy::ConnectProxy;
use rtm_testkit::{MockSlack, ServerOptions};

const TOKEN: &str = "xoxb-test-token";
const PROXY_PASSWORD: &str = "pr0xy-s3cret";

#[async_std::test]
async fn the_token_stays_out_of_trace_logs() {
    let capture = Captured::new();
    let writer = capture.clone();
    // `init` also bridges the `log` crate, which isahc checks before asking curl for output.
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();
    let slack = MockSlack::start(ServerOptions::default()).unwrap();
    let proxy = ConnectProxy::with_credentials("alice", PROXY_PASSWORD).unwrap();
    let client = ClientBuilder::new(TOKEN)
        .api_url(slack.api_url())
        .proxy(proxy.url_with(&format!("alice:{PROXY_PASSWORD}")))
        .build()
        .unwrap();
    async_std::future::timeout(Duration::from_secs(10), client.start())
        .await
        .expect("in time")
        .unwrap();
    // The token did go over the wire, and the log is not empty.
    assert_eq!(slack.record().web_calls[0].token.as_deref(), Some(TOKEN));
    let logs = capture.text();
    assert!(
        logs.contains("rtm.connect") || logs.contains("hello"),
        "{logs}"
    );
    assert!(!logs.contains(TOKEN), "the token is in the logs:\n{logs}");
    // Both connections went through the proxy with the credentials, which no log shows.
    let record = proxy.record();
    assert!(
        record.len() >= 2 && record.iter().all(|p| p.allowed),
        "{record:?}"
    );
    assert!(record.iter().all(|p| p.authorization.is_some()));
    assert!(
        !logs.contains(PROXY_PASSWORD),
        "the proxy password is in the logs:\n{logs}"
    );
    let header = record[0].authorization.clone().unwrap();
    assert!(
        !logs.contains(header.trim_start_matches("Basic ")),
        "{logs}"
    );
}
