//! rtm-async-std against the mock Slack over real loopback sockets, beyond the conformance
//! suite: acks, TLS for both connections (curl and rustls), a caller's surf client, bad tokens
//! and roots.

use std::future::Future;
use std::time::Duration;

use rtm_async_std::{
    BuilderExt, ClientBuilder, Error, RetryLimit, RetryPolicy, RtmClient, RtmError, StartOptions,
};
use rtm_testkit::{Fault, MockSlack, ServerOptions};

const TOKEN: &str = "xoxb-test-token";
const CHANNEL: &str = "C0GENERAL";
/// Generous: only reached when something is broken.
const WAIT: Duration = Duration::from_secs(10);

fn server_with(options: ServerOptions) -> MockSlack {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    MockSlack::start(options).expect("mock slack starts")
}

fn server() -> MockSlack {
    server_with(ServerOptions::default())
}

fn retries(max: u32) -> RetryPolicy {
    RetryPolicy::default()
        .with_first_start(RetryLimit::Attempts(max))
        .with_reconnect(RetryLimit::Attempts(max))
        .with_initial_delay(Duration::from_millis(20))
        .with_factor(2.0)
        .with_max_delay(Duration::from_millis(200))
}

/// Options for tests: pacing off, fast retries.
fn builder(slack: &MockSlack) -> ClientBuilder {
    ClientBuilder::new(TOKEN)
        .api_url(slack.api_url())
        .pacing(None)
        .seed(7)
        .retry(retries(5))
}

async fn started(slack: &MockSlack) -> RtmClient {
    let client = builder(slack).build().expect("client builds");
    within(client.start()).await.expect("session starts");
    client
}

/// Awaits `f`, failing the test if it takes longer than [`WAIT`].
async fn within<F: Future>(f: F) -> F::Output {
    async_std::future::timeout(WAIT, f)
        .await
        .expect("timed out waiting")
}

#[async_std::test]
async fn send_message_is_acked_with_ts() {
    let slack = server();
    let client = started(&slack).await;
    let ack = within(client.send_message("hello & welcome", CHANNEL))
        .await
        .unwrap();
    assert_eq!(ack.id, 1);
    assert!(ack.ts.as_deref().is_some_and(|ts| ts.contains('.')));
    assert_eq!(ack.text.as_deref(), Some("hello &amp; welcome"));
    // Acks are matched by id whatever their order: the server answers these in reverse.
    slack.inject(Fault::HoldAcks { count: 3 });
    let sends: Vec<_> = (0..3)
        .map(|i| async_std::task::spawn(client.send_message(format!("m{i}"), CHANNEL)))
        .collect();
    let mut ids = Vec::new();
    for (i, send) in sends.into_iter().enumerate() {
        let ack = within(send).await.unwrap();
        // Each send gets its own ack (the text it sent), whatever order the acks came in.
        assert_eq!(ack.text.as_deref(), Some(format!("m{i}").as_str()));
        ids.push(ack.id);
    }
    // The spawned sends reach the driver in any order; their ids are the next three.
    ids.sort_unstable();
    assert_eq!(ids, [2, 3, 4]);
    assert_eq!(slack.history(CHANNEL).len(), 4);
}

#[async_std::test]
async fn tls_for_the_web_call_and_the_socket_with_the_test_certificate_trusted() {
    let slack = server_with(ServerOptions::default().tls(true));
    assert!(slack.api_url().starts_with("https://"));
    let der = slack.tls_cert().unwrap().der().to_vec();
    let client = builder(&slack).add_root_certificate(der).build().unwrap();
    let info = within(client.start()).await.unwrap();
    assert_eq!(info.self_id, "U0BOT");
    assert!(info.url.starts_with("wss://"), "{}", info.url);
    let ack = within(client.send_message("over TLS", CHANNEL))
        .await
        .unwrap();
    assert!(ack.ts.is_some());
}

#[async_std::test]
async fn tls_without_the_certificate_fails_the_web_call() {
    let slack = server_with(ServerOptions::default().tls(true));
    let client = builder(&slack).retry(retries(0)).build().unwrap();
    let err = within(client.start()).await.unwrap_err();
    // curl's (OpenSSL's) verdict, carried to the caller.
    assert!(
        err.to_string().to_lowercase().contains("certificate"),
        "{err}"
    );
    assert_eq!(slack.record().connections.len(), 0);
}

#[async_std::test]
async fn tls_socket_verifies_the_certificate_on_its_own() {
    // The web call goes over a caller-supplied client to a plain-text server, which hands out
    // a wss:// URL to a TLS server whose certificate is not trusted: rustls must refuse it.
    let tls_slack = server_with(ServerOptions::default().tls(true));
    let plain = server();
    let wss = format!("wss://{}/websocket", tls_slack.addr());
    plain.with_model(|m, _| {
        m.set_ws_base_url(wss);
        ((), Vec::new())
    });
    let client = builder(&plain)
        .retry(retries(0))
        .build_with_http_client(surf::Client::new())
        .unwrap();
    // A certificate failure ends the attempt for good (no retry, no `error` event first).
    match within(client.start()).await.unwrap_err() {
        Error::Rtm(RtmError::Transport { error }) => {
            assert!(
                error.message().contains("certificate verification failed"),
                "{error}"
            );
            assert_eq!(error.kind(), rtm_async_std::TransportErrorKind::Tls);
            assert!(
                std::error::Error::source(&error).is_some(),
                "keeps curl's error"
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(plain.record().web_calls.len(), 1);
}

#[async_std::test]
async fn a_caller_supplied_surf_client_makes_the_web_call() {
    let slack = server_with(ServerOptions::default().tls(true));
    let der = slack.tls_cert().unwrap().der().to_vec();
    // The builder trusts the certificate, but the supplied client does not: the web call
    // fails, so it went through the supplied client.
    let client = builder(&slack)
        .retry(retries(0))
        .add_root_certificate(der)
        .build_with_http_client(surf::Client::new())
        .unwrap();
    let err = within(client.start()).await.unwrap_err();
    assert!(
        err.to_string().to_lowercase().contains("certificate"),
        "{err}"
    );
}

#[async_std::test]
async fn a_token_unfit_for_a_header_fails_the_call_without_a_panic() {
    let slack = server();
    let client = builder(&slack).retry(retries(0)).build().unwrap();
    for bad in ["xoxb-caf\u{e9}", "xoxb-a\r\nX-Injected: 1"] {
        let err = within(client.start_with(StartOptions::new(bad)))
            .await
            .unwrap_err();
        assert!(!err.is_client_closed(), "the driver died: {err:?}");
        assert!(!err.to_string().contains(bad), "{err}");
    }
    assert_eq!(slack.record().web_calls.len(), 0);
    // The driver is alive and well.
    within(client.start()).await.unwrap();
}

#[test]
fn a_bad_extra_root_is_a_tls_error() {
    let err = ClientBuilder::new(TOKEN)
        .add_root_certificate(b"not DER".to_vec())
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::Tls(_)), "{err:?}");
}
