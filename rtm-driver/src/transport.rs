//! What the driver needs from a transport: the one web call and a WebSocket.

use futures::{Sink, Stream};
use rtm_proto::{Token, WebResponse};
use tungstenite::protocol::WebSocketConfig;
use tungstenite::{Error as WsError, Message};
use url::Url;

use crate::runtime::BoxFuture;

/// The web call that opens a session: `POST {url}` with `Authorization: Bearer {token}` and
/// `form` as `application/x-www-form-urlencoded`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebRequest {
    /// `{api_url}{method}`, e.g. `https://slack.com/api/rtm.connect`, parsed and checked by
    /// the URL policy: dial this value, do not re-parse a string of it.
    pub url: Url,
    /// The bearer token (its `Debug` is redacted).
    pub token: Token,
    /// The form parameters.
    pub form: Vec<(String, String)>,
}

/// A WebSocket as the driver uses it: a stream of tungstenite messages and a sink for them.
/// `tokio_tungstenite::WebSocketStream` and `async_tungstenite::WebSocketStream` both are one
/// (both build on tungstenite 0.30, so the `Message` type is shared).
pub trait WebSocket:
    Stream<Item = Result<Message, WsError>> + Sink<Message, Error = WsError> + Send + Unpin + 'static
{
}

impl<T> WebSocket for T where
    T: Stream<Item = Result<Message, WsError>>
        + Sink<Message, Error = WsError>
        + Send
        + Unpin
        + 'static
{
}

/// Opens the connections of a session. The driver decides when and to where (URL policy
/// included); a connector only moves bytes. Errors are descriptions for the core, which
/// decides whether to retry, unless the connector marks them [fatal](TransportError::fatal).
/// Keep the underlying error as the [`TransportError`]'s source ([`transport_error`]): it
/// reaches the user's error through `source()`.
pub trait Connector: Send + 'static {
    /// The WebSocket type.
    type Socket: WebSocket;

    /// Makes the web call, never following a redirect. The answer is reported whatever its
    /// HTTP status, with its `Retry-After` and `Location` headers: the core decides (a 3xx
    /// or a proxy's 407 ends the attempt for good). `Err` is for failures below HTTP (DNS,
    /// TCP, TLS, ...). No timeout is needed: the core has one.
    fn web_call(&self, request: WebRequest) -> BoxFuture<Result<WebResponse, TransportError>>;

    /// Opens a WebSocket to `url` (`wss://` or, when the driver allows it, `ws://`), parsed
    /// and checked by the URL policy: dial this value's host and port. `config` is the
    /// session's WebSocket configuration ([`websocket_config`], sized for its protocol).
    fn open_websocket(
        &self,
        url: Url,
        config: WebSocketConfig,
    ) -> BoxFuture<Result<Self::Socket, TransportError>>;
}

pub use rtm_proto::{TransportError, TransportErrorKind};

/// A transport error of `kind` from `error` (kept as its [`source()`]), with a description of
/// it and its causes for the core: fatal, of kind `Tls`, if it is a certificate that failed
/// verification (see [`certificate_failure`]), naming the host; fatal, of kind `Proxy`, if the
/// proxy refused the credentials (HTTP 407); retryable otherwise.
///
/// [`source()`]: std::error::Error::source
pub fn transport_error<E>(kind: TransportErrorKind, error: E, host: &str) -> TransportError
where
    E: std::error::Error + Send + Sync + 'static,
{
    let classified = match certificate_failure(&error) {
        Some(reason) => TransportError::new(
            TransportErrorKind::Tls,
            format!("TLS certificate verification failed for {host}: {reason}"),
        )
        .with_fatal(true),
        None => {
            let text = describe_error(&error);
            if text.contains("proxy authorization required") {
                proxy_auth_required(&text)
            } else {
                TransportError::new(kind, text)
            }
        }
    };
    classified.with_source(error)
}

/// A failed TCP connection, or a failed read or write on one: of kind `Connect`, with the
/// `io::Error` as its source.
pub fn connect_error(error: std::io::Error) -> TransportError {
    TransportError::new(TransportErrorKind::Connect, describe_error(&error)).with_source(error)
}

/// A failed WebSocket handshake (see [`transport_error`]), of the kind of the layer that
/// failed: `Connect` for the stream under it, `WebSocket` for the handshake itself.
pub fn websocket_handshake_error(error: tungstenite::Error, host: &str) -> TransportError {
    let kind = match error {
        tungstenite::Error::Io(_) => TransportErrorKind::Connect,
        _ => TransportErrorKind::WebSocket,
    };
    transport_error(kind, error, host)
}

/// A read or write failure of an open WebSocket, keeping tungstenite's error as the source.
pub(crate) fn websocket_error(error: tungstenite::Error) -> TransportError {
    TransportError::new(TransportErrorKind::WebSocket, error.to_string()).with_source(error)
}

/// A transport error from a description only (clients that keep no typed causes, such as
/// curl's): fatal, of kind `Tls`, if it says a certificate failed verification.
pub fn transport_error_from_description(
    kind: TransportErrorKind,
    text: String,
    host: &str,
) -> TransportError {
    if is_certificate_text(&text) {
        TransportError::new(
            TransportErrorKind::Tls,
            format!("TLS certificate verification failed for {host}: {text}"),
        )
        .with_fatal(true)
    } else {
        TransportError::new(kind, text)
    }
}

/// The proxy refused the credentials (HTTP 407 to a `CONNECT` tunnel): fatal, retrying sends
/// the same credentials.
pub fn proxy_auth_required(detail: &str) -> TransportError {
    TransportError::new(
        TransportErrorKind::Proxy,
        format!(
            "the proxy answered 407 proxy authentication required ({detail}): check the \
             proxy credentials"
        ),
    )
    .with_fatal(true)
}

/// Why the peer's certificate failed verification, if that is what `e` (or one of its
/// causes) says: a rustls certificate error (with feature `rustls`), or curl/OpenSSL's
/// verification failure. Retrying cannot fix these.
pub fn certificate_failure(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        #[cfg(feature = "rustls")]
        if let Some(reason) = crate::tls::certificate_error(err) {
            return Some(reason);
        }
        // io::Error keeps a custom inner error out of `source()` on some paths.
        if let Some(io) = err.downcast_ref::<std::io::Error>()
            && let Some(inner) = io.get_ref()
            && let Some(reason) = certificate_failure(inner)
        {
            return Some(reason);
        }
        cur = err.source();
    }
    // curl (rtm-async-std's web call) reports it as text only.
    let text = describe_error(e);
    is_certificate_text(&text).then_some(text)
}

/// Whether an error's text is curl/OpenSSL's way of saying verification failed.
fn is_certificate_text(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    [
        "ssl certificate problem",
        "ssl peer certificate",
        "certificate verify failed",
        "invalid peer certificate",
    ]
    .iter()
    .any(|m| lower.contains(m))
}

/// The WebSocket configuration of a session whose socket reads `read_buffer_size` bytes at a
/// time (tungstenite keeps that buffer for the socket's life, zeroed: it is resident memory).
/// RTM sizes it for many idle clients (16 KiB or less each), since RTM frames are small and
/// Slack drops clients that send frames over 16 KB; Socket Mode, a few connections per app
/// that carry all its events, for throughput. Frames written in one driver round are
/// buffered (up to 16 KiB) and go out in one write at its flush, not one system call each
/// (a flood of Socket Mode acks); that buffer only grows to what a round writes.
pub fn websocket_config(read_buffer_size: usize) -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(read_buffer_size)
        .write_buffer_size(16 * 1024)
        .max_write_buffer_size(256 * 1024)
        .max_message_size(Some(1024 * 1024))
        .max_frame_size(Some(1024 * 1024))
}

/// An error with its causes (HTTP clients and tungstenite keep them in `source()`), as one
/// line for the core's error events.
pub fn describe_error(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    #[test]
    fn transport_error_keeps_the_error_as_its_source() {
        let io = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let e = transport_error(TransportErrorKind::Connect, io, "slack.com");
        assert_eq!(e.kind(), TransportErrorKind::Connect);
        assert!(!e.is_fatal());
        let cause = e.source().and_then(|s| s.downcast_ref::<std::io::Error>());
        assert_eq!(
            cause.map(std::io::Error::kind),
            Some(std::io::ErrorKind::ConnectionRefused)
        );
    }

    #[test]
    fn certificate_and_proxy_refusals_are_fatal_with_their_kind() {
        let e = transport_error_from_description(
            TransportErrorKind::Http,
            "SSL certificate problem: unable to get local issuer certificate".into(),
            "slack.com",
        );
        assert!(e.is_fatal() && e.kind() == TransportErrorKind::Tls, "{e:?}");
        assert!(e.message().contains("slack.com"));
        let proxy = std::io::Error::other("proxy authorization required");
        let e = transport_error(TransportErrorKind::Connect, proxy, "slack.com");
        assert!(
            e.is_fatal() && e.kind() == TransportErrorKind::Proxy,
            "{e:?}"
        );
        assert!(e.source().is_some());
    }

    #[test]
    fn socket_errors_are_of_the_layer_that_failed() {
        let refused = || std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let e = connect_error(refused());
        assert_eq!(e.kind(), TransportErrorKind::Connect);
        assert!(e.source().is_some_and(|s| s.is::<std::io::Error>()));
        let e =
            websocket_handshake_error(tungstenite::Error::Io(refused()), "wss-primary.slack.com");
        assert_eq!(e.kind(), TransportErrorKind::Connect);
        let e = websocket_handshake_error(
            tungstenite::Error::ConnectionClosed,
            "wss-primary.slack.com",
        );
        assert_eq!(e.kind(), TransportErrorKind::WebSocket);
        assert!(e.source().is_some_and(|s| s.is::<tungstenite::Error>()));
        // On an open socket every failure is the WebSocket's.
        let e = websocket_error(tungstenite::Error::Io(refused()));
        assert_eq!(e.kind(), TransportErrorKind::WebSocket);
        assert!(e.source().is_some_and(|s| s.is::<tungstenite::Error>()));
    }
}
