//! Through an HTTP proxy: the web call and the WebSocket both go through the builder's
//! `proxy(url)` (the socket in a `CONNECT` tunnel), with basic credentials from the URL that
//! reach the proxy and nothing else.

use rtm_driver::Error;

use super::{CHANNEL, Ctx, Harness, WAIT, fast_retry, within};
use crate::proxy::{ConnectProxy, Proxied};

/// Whether `p` is the web call (a tunnel over TLS, a forwarded `POST` in plain text).
fn is_web_call(p: &Proxied, tls: bool, target: &str) -> bool {
    p.target == target
        && if tls {
            p.method == "CONNECT"
        } else {
            p.method == "POST" && p.path.ends_with("/rtm.connect")
        }
}

/// With `proxy(url)`, a session opens both its web call and its WebSocket through the
/// proxy; the mock sees the session as usual.
pub async fn session_goes_through_the_proxy<H: Harness>(t: Ctx<H>) {
    let proxy = ConnectProxy::start().expect("the proxy starts");
    let client = t.build(t.builder().proxy(proxy.url()));
    let client = t.start(client).await;
    let ack = within("an ack", WAIT, client.send_message("via proxy", CHANNEL))
        .await
        .unwrap();
    assert!(ack.ts.is_some());
    let target = t.slack.addr().to_string();
    let record = proxy.record();
    assert!(
        record
            .iter()
            .any(|p| is_web_call(p, t.tls, &target) && p.allowed),
        "the web call went through the proxy: {record:#?}"
    );
    // The socket's tunnel: over TLS, the second CONNECT (the first is the web call's).
    let tunnels = record
        .iter()
        .filter(|p| p.method == "CONNECT" && p.target == target)
        .count();
    assert_eq!(tunnels, if t.tls { 2 } else { 1 }, "{record:#?}");
    assert!(record.iter().all(|p| p.authorization.is_none()));
    assert_eq!(t.slack.record().connections.len(), 1);
}

/// Basic credentials from the proxy URL reach the proxy on both connections, and appear in
/// no `Debug` or error; wrong ones fail the session with an error that does not quote them.
pub async fn proxy_credentials_reach_the_proxy_only<H: Harness>(t: Ctx<H>) {
    const PASSWORD: &str = "pr0xy s3cret:/@";
    let proxy = ConnectProxy::with_credentials("alice", PASSWORD).expect("the proxy starts");
    // Percent-encoded in the URL, decoded for the proxy.
    let url = proxy.url_with("alice:pr0xy%20s3cret%3A%2F%40");
    let builder = t.builder().proxy(&url);
    let shown = format!("{builder:?}");
    assert!(
        !shown.contains("s3cret") && !shown.contains("pr0xy"),
        "{shown}"
    );
    let client = t.start(t.build(builder)).await;
    assert!(!format!("{client:?}").contains("s3cret"));
    let record = proxy.record();
    let target = t.slack.addr().to_string();
    assert!(
        record
            .iter()
            .any(|p| is_web_call(p, t.tls, &target) && p.allowed),
        "{record:#?}"
    );
    assert!(
        record.iter().any(|p| p.method == "CONNECT" && p.allowed),
        "{record:#?}"
    );
    for p in record.iter().filter(|p| p.target == target) {
        assert_eq!(
            p.basic_credentials(),
            Some(("alice".to_owned(), PASSWORD.to_owned())),
            "{p:?}"
        );
    }
    drop(client);

    // Wrong credentials: the proxy refuses; nothing shows them.
    let wrong = "alice:wr0ng%20pa55";
    let client = t.build(
        t.builder()
            .proxy(proxy.url_with(wrong))
            .retry(fast_retry(1)),
    );
    let err = within("start() with wrong credentials", WAIT, client.start())
        .await
        .unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(!text.contains("wr0ng") && !text.contains("pa55"), "{text}");
    // (reqwest says 407; curl only "failure when receiving data from the peer".)
    assert!(proxy.record().iter().any(|p| !p.allowed));
}

/// A proxy URL the transport cannot use is a typed error at build time, naming the URL
/// without its credentials, before any connection.
pub async fn bad_proxy_url_is_a_build_error<H: Harness>(t: Ctx<H>) {
    for bad in [
        "socks5://u:hunter2@127.0.0.1:1080",
        "https://127.0.0.1:1",
        "http://[::1",
    ] {
        match t.try_build(t.builder().proxy(bad)) {
            Err(e @ Error::InvalidProxy { .. }) => {
                assert!(!e.to_string().contains("hunter2"), "{e}");
                assert_eq!(e.code(), "slack_rtmapi_invalid_proxy_error");
            }
            Err(other) => panic!("{bad}: {other:?}"),
            Ok(_) => panic!("{bad}: built"),
        }
    }
    assert!(t.slack.record().web_calls.is_empty());
}
