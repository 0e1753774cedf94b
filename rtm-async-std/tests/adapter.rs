//! rtm-async-std against the mock Slack over real loopback sockets: the session, reconnects,
//! shutdown, TLS for both connections (curl and rustls), and the URL policy.

use std::future::Future;
use std::time::{Duration, Instant};

use futures::StreamExt;
use rtm_async_std::{
    BuilderExt, ClientBuilder, Connected, Connecting, Error, Event, RetryPolicy, RtmClient,
    RtmError, StartOptions, State,
};
use rtm_testkit::{Fault, MockSlack, ServerOptions, WebFault};

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
    RetryPolicy {
        max_retries: Some(max),
        initial_delay: Duration::from_millis(20),
        factor: 2.0,
        max_delay: Duration::from_millis(200),
    }
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
async fn connects_and_becomes_ready() {
    let slack = server();
    let client = builder(&slack).batch_presence_aware(true).build().unwrap();
    let mut events = client.events();
    assert_eq!(client.state(), State::Disconnected);
    let info = within(client.start()).await.unwrap();
    assert_eq!(info.self_id, "U0BOT");
    assert_eq!(info.team_id, "T0TESTTEAM");
    assert_eq!(client.state(), State::Connected(Connected::Ready));
    assert!(client.connected());
    assert!(client.authenticated());
    assert_eq!(client.active_user_id().as_deref(), Some("U0BOT"));
    assert_eq!(client.active_team_id().as_deref(), Some("T0TESTTEAM"));
    let mut names = Vec::new();
    while names.last().map(String::as_str) != Some("ready") {
        let e = within(events.next()).await.unwrap().unwrap();
        names.push(e.name().to_owned());
    }
    assert_eq!(
        names,
        ["connecting", "authenticated", "hello", "connected", "ready"]
    );
    // surf sent the token as a bearer header and the options as a form.
    let call = slack.record().web_calls[0].clone();
    assert_eq!(call.api_method, "rtm.connect");
    assert_eq!(call.token.as_deref(), Some(TOKEN));
    assert!(
        call.params
            .iter()
            .any(|(k, v)| k == "batch_presence_aware" && (v == "true" || v == "1")),
        "{:?}",
        call.params
    );
    assert_eq!(slack.active_connections(), 1);
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
async fn reconnects_after_the_server_closes() {
    let slack = server();
    let client = started(&slack).await;
    let mut lifecycle = client.subscribe_filtered(["reconnecting", "ready"]);
    slack.inject(Fault::Close {
        code: 4000,
        reason: "bye".into(),
    });
    let first = within(lifecycle.next()).await.unwrap().unwrap();
    match first.event() {
        Event::Reconnecting { reason, .. } => {
            assert!(
                matches!(reason, RtmError::Closed { code: 4000, .. }),
                "{reason:?}"
            )
        }
        other => panic!("unexpected {other:?}"),
    }
    let second = within(lifecycle.next()).await.unwrap().unwrap();
    assert_eq!(second.name(), "ready");
    assert!(client.status().ready());
    within(client.send_message("after reconnect", CHANNEL))
        .await
        .unwrap();
    let record = slack.record();
    assert_eq!(record.web_calls.len(), 2);
    assert_eq!(record.connections.len(), 2);
    assert_eq!(record.active_connections(), 1);
}

#[async_std::test]
async fn disconnect_during_the_web_call_ends_at_once() {
    let slack = server();
    slack.arm_web_fault(
        WebFault::Slow {
            delay: Duration::from_secs(5),
        },
        1,
    );
    let client = builder(&slack).build().unwrap();
    let start = async_std::task::spawn(client.start());
    within(client.wait_for(|s| s.state == State::Connecting(Connecting::Authenticating)))
        .await
        .unwrap();
    let t = Instant::now();
    within(client.disconnect()).await.unwrap();
    let err = within(start).await.unwrap_err();
    assert_eq!(err, Error::Rtm(RtmError::Disconnected));
    // The in-flight curl request was abandoned, not awaited for its 5 s.
    assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    assert_eq!(client.state(), State::Disconnected);
}

#[async_std::test]
async fn disconnect_while_waiting_for_hello_closes_the_socket() {
    let slack = server();
    slack.inject(Fault::NoHello);
    let client = builder(&slack).build().unwrap();
    let start = async_std::task::spawn(client.start());
    within(client.wait_for(|s| s.state == State::Connecting(Connecting::Handshaking)))
        .await
        .unwrap();
    within(client.disconnect()).await.unwrap();
    assert!(within(start).await.is_err());
    within(slack.wait_until(WAIT, |r| r.active_connections() == 0))
        .await
        .unwrap();
    // A new start after a disconnect works.
    within(client.start()).await.unwrap();
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
    let mut errors = client.subscribe_filtered(["error"]);
    assert!(within(client.start()).await.is_err());
    let first = within(errors.next()).await.unwrap().unwrap();
    match first.event() {
        Event::Error(RtmError::Websocket { message }) => {
            assert!(message.to_lowercase().contains("certificate"), "{message}")
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
async fn insecure_api_url_is_refused_unless_loopback_or_opted_in() {
    let err = ClientBuilder::new(TOKEN)
        .api_url("http://slack.example.com/api/")
        .build()
        .unwrap_err();
    assert_eq!(
        err,
        Error::InsecureUrl {
            scheme: "http".into(),
            host: "slack.example.com".into()
        }
    );
    assert!(
        ClientBuilder::new(TOKEN)
            .api_url("http://slack.example.com/api/")
            .allow_insecure(true)
            .build()
            .is_ok()
    );
    assert!(
        ClientBuilder::new(TOKEN)
            .api_url("http://127.0.0.1:9/api/")
            .build()
            .is_ok()
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
