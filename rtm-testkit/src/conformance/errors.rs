//! Transport errors keep their cause on every adapter: the error a user receives (a failed
//! `start()`, a `Disconnected` event, a Web API call's `Transport`) walks down through
//! `source()` to the `std::io::Error` underneath, and never shows the token. (curl reports a
//! refused connection without one; rtm-async-std's connector puts an `io::Error` of kind
//! `ConnectionRefused` around isahc's error, as isahc itself converts it.)

use std::error::Error as StdError;

use futures::StreamExt;
use rtm_driver::{
    ApiError, ClientBuilder, Error, Event, RetryPolicy, RtmError, SocketModeBuilder,
    SocketModeError, TransportError, TransportErrorKind, WebApiConfig,
};

use super::{Ctx, Harness, WAIT, within};

const SECRET_TOKEN: &str = "xoxb-source-chain-secret";
const SECRET_APP_TOKEN: &str = "xapp-1-A1-source-chain-secret";

/// A loopback API URL nobody listens on (bound, then closed).
fn closed_api_url(tls: bool) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let port = listener.local_addr().expect("its address").port();
    drop(listener);
    let scheme = if tls { "https" } else { "http" };
    format!("{scheme}://127.0.0.1:{port}/api/")
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

/// A failed `start()` and the session's end both lead to the refused connection.
pub async fn a_failed_start_leads_to_the_refused_connection<H: Harness>(t: Ctx<H>) {
    let client = t.build(
        ClientBuilder::new(SECRET_TOKEN)
            .api_url(closed_api_url(t.tls))
            .retry(RetryPolicy::attempts(0)),
    );
    let mut events = client.events();
    let err = within("start()", WAIT, client.start()).await.unwrap_err();
    assert!(
        matches!(&err, Error::Rtm(RtmError::RetriesExhausted { .. })),
        "{err:?}"
    );
    assert_refused(&err, SECRET_TOKEN);
    let ended = within("the session's end", WAIT, async {
        loop {
            let event = events.next().await.expect("events").expect("no lag");
            match event.event() {
                Event::Disconnected { error: Some(e) } => break e.clone(),
                Event::UnableToRtmStart(e) => break e.clone(),
                _ => {}
            }
        }
    })
    .await;
    assert_refused(&ended, SECRET_TOKEN);
}

/// A failed Socket Mode `start()` leads to the refused connection.
pub async fn a_failed_socket_mode_start_leads_to_the_refused_connection<H: Harness>(t: Ctx<H>) {
    let client = t.build_socket_mode(
        SocketModeBuilder::new(SECRET_APP_TOKEN)
            .api_url(closed_api_url(t.tls))
            .retry(RetryPolicy::attempts(0)),
    );
    let err = within("start()", WAIT, client.start()).await.unwrap_err();
    assert!(
        matches!(
            &err,
            Error::SocketMode(SocketModeError::RetriesExhausted { .. })
        ),
        "{err:?}"
    );
    assert_refused(&err, SECRET_APP_TOKEN);
}

/// A failed Web API call leads to the refused connection.
pub async fn a_failed_web_api_call_leads_to_the_refused_connection<H: Harness>(t: Ctx<H>) {
    let client = t.build(
        ClientBuilder::new(SECRET_TOKEN)
            .api_url(closed_api_url(t.tls))
            .web_api(WebApiConfig::default().with_max_retries(0)),
    );
    let err = within(
        "chat.postMessage",
        WAIT,
        client.web_api().chat_post_message("C1", "hi"),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, Error::Api(ApiError::Transport { .. })),
        "{err:?}"
    );
    assert_refused(&err, SECRET_TOKEN);
}
