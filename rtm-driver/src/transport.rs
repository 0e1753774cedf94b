//! What the driver needs from a transport: the one web call and a WebSocket.

use futures::{Sink, Stream};
use rtm_proto::{Token, WebResponse};
use tungstenite::protocol::WebSocketConfig;
use tungstenite::{Error as WsError, Message};

use crate::runtime::BoxFuture;

/// The web call that opens a session: `POST {url}` with `Authorization: Bearer {token}` and
/// `form` as `application/x-www-form-urlencoded`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebRequest {
    /// `{api_url}{method}`, e.g. `https://slack.com/api/rtm.connect`.
    pub url: String,
    /// The bearer token (its `Debug` is redacted).
    pub token: Token,
    /// The form parameters.
    pub form: Vec<(&'static str, String)>,
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
/// decides whether to retry.
pub trait Connector: Send + 'static {
    /// The WebSocket type.
    type Socket: WebSocket;

    /// Makes the web call. The answer is reported whatever its HTTP status; `Err` is for
    /// failures below HTTP (DNS, TCP, TLS, ...). No timeout is needed: the core has one.
    fn web_call(&self, request: WebRequest) -> BoxFuture<Result<WebResponse, String>>;

    /// Opens a WebSocket to `url` (`wss://` or, when the driver allows it, `ws://`).
    fn open_websocket(&self, url: String) -> BoxFuture<Result<Self::Socket, String>>;
}

/// The WebSocket configuration every adapter uses: sized for many idle clients (16 KiB or
/// less each) rather than bulk transfer, since RTM frames are small and Slack drops clients
/// that send frames over 16 KB.
pub fn websocket_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
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
