//! Transport errors keep their cause: the error a user receives (a failed `start()`, a
//! `Disconnected` event, a Web API call's `Transport`) walks down through `source()` to the
//! `std::io::Error` underneath, and never shows the token.

use std::error::Error as StdError;
use std::time::Duration;

use futures::StreamExt;

use rtm_tokio::{
    ApiError, BuilderExt, ClientBuilder, Error, Event, RetryPolicy, RtmError, SocketModeBuilder,
    SocketModeError, TransportError, TransportErrorKind, WebApiConfig,
};

const TOKEN: &str = "xoxb-source-chain-secret";
const APP_TOKEN: &str = "xapp-1-A1-source-chain-secret";
const WAIT: Duration = Duration::from_secs(20);

/// A loopback URL nobody listens on (bound, then closed).
fn closed_api_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}/api/")
}

/// Every error of the `source()` chain, `e` first.
fn chain<'a>(e: &'a (dyn StdError + 'static)) -> Vec<&'a (dyn StdError + 'static)> {
    let mut out = vec![e];
    let mut cur = e.source();
    while let Some(next) = cur {
        out.push(next);
        cur = next.source();
    }
    out
}

/// The chain reaches a `TransportError` of kind `Connect`, and below it an `io::Error` with
/// `ConnectionRefused`; no link shows the token.
fn assert_refused(e: &(dyn StdError + 'static), secret: &str) {
    let links = chain(e);
    let transport = links
        .iter()
        .find_map(|l| l.downcast_ref::<TransportError>())
        .unwrap_or_else(|| panic!("no TransportError in the chain of {e:?}"));
    assert_eq!(
        transport.kind(),
        TransportErrorKind::Connect,
        "{transport:?}"
    );
    assert!(!transport.is_fatal());
    let io = links
        .iter()
        .find_map(|l| l.downcast_ref::<std::io::Error>())
        .unwrap_or_else(|| panic!("no io::Error in the chain of {e}: {links:?}"));
    assert_eq!(io.kind(), std::io::ErrorKind::ConnectionRefused, "{io}");
    for link in links {
        assert!(!link.to_string().contains(secret), "{link}");
        assert!(!format!("{link:?}").contains(secret), "{link:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_start_leads_to_the_refused_connection() {
    let client = ClientBuilder::new(TOKEN)
        .api_url(closed_api_url())
        .retry(RetryPolicy::attempts(0))
        .build()
        .unwrap();
    let mut events = client.events();
    let err = tokio::time::timeout(WAIT, client.start())
        .await
        .expect("in time")
        .unwrap_err();
    assert!(
        matches!(&err, Error::Rtm(RtmError::RetriesExhausted { .. })),
        "{err:?}"
    );
    assert_refused(&err, TOKEN);

    // The session's end reports the same cause.
    let disconnected = tokio::time::timeout(WAIT, async {
        loop {
            let event = events.next().await.expect("events").expect("no lag");
            match event.event() {
                Event::Disconnected { error: Some(e) } => break e.clone(),
                Event::UnableToRtmStart(e) => break e.clone(),
                _ => {}
            }
        }
    })
    .await
    .expect("a Disconnected event");
    assert_refused(&disconnected, TOKEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_socket_mode_start_leads_to_the_refused_connection() {
    let client = SocketModeBuilder::new(APP_TOKEN)
        .api_url(closed_api_url())
        .retry(RetryPolicy::attempts(0))
        .build()
        .unwrap();
    let err = tokio::time::timeout(WAIT, client.start())
        .await
        .expect("in time")
        .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::SocketMode(SocketModeError::RetriesExhausted { .. })
        ),
        "{err:?}"
    );
    assert_refused(&err, APP_TOKEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_web_api_call_leads_to_the_refused_connection() {
    let client = ClientBuilder::new(TOKEN)
        .api_url(closed_api_url())
        .web_api(WebApiConfig::default().with_max_retries(0))
        .build()
        .unwrap();
    let err = tokio::time::timeout(WAIT, client.web_api().chat_post_message("C1", "hi"))
        .await
        .expect("in time")
        .unwrap_err();
    assert!(
        matches!(&err, Error::Api(ApiError::Transport { .. })),
        "{err:?}"
    );
    assert_refused(&err, TOKEN);
}
