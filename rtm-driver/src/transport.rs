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

/// Why a connection could not be made: a description for the core, and whether retrying
/// could help. Fatal errors (a certificate that fails verification, a redirect of the web
/// call) end the attempt at once, without retries; the others are retried with backoff.
/// It never holds a secret (connectors describe errors without tokens or proxy credentials).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportError {
    /// The description.
    pub message: String,
    /// Whether retrying cannot help.
    pub fatal: bool,
}

impl TransportError {
    /// A failure worth retrying (DNS, TCP, a dropped connection, ...).
    pub fn retryable(message: impl Into<String>) -> Self {
        TransportError {
            message: message.into(),
            fatal: false,
        }
    }

    /// A failure retrying cannot fix.
    pub fn fatal(message: impl Into<String>) -> Self {
        TransportError {
            message: message.into(),
            fatal: true,
        }
    }

    /// The proxy refused the credentials (HTTP 407 to a `CONNECT` tunnel):
    /// fatal, retrying sends the same credentials.
    pub fn proxy_auth_required(detail: &str) -> Self {
        Self::fatal(format!(
            "the proxy answered 407 proxy authentication required ({detail}): check the \
             proxy credentials"
        ))
    }

    /// From an error and its causes: fatal if it is a certificate that failed verification
    /// (see [`certificate_failure`]), with the host and the reason.
    pub fn from_error(e: &(dyn std::error::Error + 'static), host: &str) -> Self {
        match certificate_failure(e) {
            Some(reason) => Self::fatal(format!(
                "TLS certificate verification failed for {host}: {reason}"
            )),
            None => {
                let text = describe_error(e);
                if text.contains("proxy authorization required") {
                    Self::proxy_auth_required(&text)
                } else {
                    Self::retryable(text)
                }
            }
        }
    }
}

impl TransportError {
    /// From a description only (clients that keep no typed causes, such as curl's): fatal
    /// if it says a certificate failed verification.
    pub fn from_description(text: String, host: &str) -> Self {
        if is_certificate_text(&text) {
            Self::fatal(format!(
                "TLS certificate verification failed for {host}: {text}"
            ))
        } else {
            Self::retryable(text)
        }
    }
}

impl std::fmt::Display for TransportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TransportError {}

impl From<String> for TransportError {
    fn from(message: String) -> Self {
        Self::retryable(message)
    }
}

impl From<&str> for TransportError {
    fn from(message: &str) -> Self {
        Self::retryable(message)
    }
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
