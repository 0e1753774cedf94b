//! Transport policy: insecure URLs, TLS with extra roots, configuration errors, secrets.

mod common;

use std::time::Duration;

use common::*;
use rtm_testkit::{MockSlack, ServerOptions};
use rtm_tokio::{BuilderExt, ClientBuilder, ConfigError, Error};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_with_the_test_certificate_trusted() {
    let slack = MockSlack::start(ServerOptions::default().tls(true)).unwrap();
    assert!(slack.api_url().starts_with("https://"));
    let der = slack.tls_cert().unwrap().der().to_vec();
    let client = builder(&slack).add_root_certificate(der).build().unwrap();
    let info = within(client.start()).await.unwrap();
    assert_eq!(info.self_id, "U0BOT");
    let ack = within(client.send_message("over TLS", CHANNEL))
        .await
        .unwrap();
    assert!(ack.ts.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_without_the_certificate_fails() {
    let slack = MockSlack::start(ServerOptions::default().tls(true)).unwrap();
    let client = builder(&slack)
        .retry(
            rtm_tokio::RetryPolicy::default()
                .with_first_start(rtm_tokio::RetryLimit::Attempts(0))
                .with_reconnect(rtm_tokio::RetryLimit::Attempts(0)),
        )
        .build()
        .unwrap();
    let err = within(client.start()).await.unwrap_err();
    assert!(
        err.to_string().to_lowercase().contains("certificate"),
        "{err}"
    );
}

#[test]
fn a_bad_extra_root_is_a_tls_error() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let _guard = rt.enter();
    let err = ClientBuilder::new(TOKEN)
        .add_root_certificate(b"not DER".to_vec())
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::Tls(_)), "{err:?}");
}

#[test]
fn building_outside_a_runtime_is_an_error() {
    let err = ClientBuilder::new(TOKEN).build().unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keepalive_config_error_at_build_time() {
    let err = ClientBuilder::new(TOKEN)
        .client_ping_timeout(Duration::from_secs(4))
        .server_pong_timeout(Duration::from_secs(4))
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::Config(ConfigError::Keepalive { .. })));
    assert_eq!(err.code(), "slack_rtmapi_keepalive_config_error");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_never_shows() {
    let secret = "xoxb-very-secret-token";
    let builder = ClientBuilder::new(secret).api_url("http://127.0.0.1:9/api/");
    assert!(!format!("{builder:?}").contains(secret));
    let client = builder.build().unwrap();
    assert!(!format!("{client:?}").contains(secret));
    assert!(!format!("{:?}", client.status()).contains(secret));
}
