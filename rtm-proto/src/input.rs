//! What can happen to the client: the user's commands, the transport's results, time.

use crate::config::StartOptions;
use crate::ids::{CallId, ConnId, SendHandle};
use crate::outgoing::Outgoing;
use crate::transport::TransportError;
use crate::web_api_wire::ApiRequest;

/// What the transport got back from the web call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebResponse {
    /// The HTTP status.
    pub status: u16,
    /// The `Retry-After` header, as sent.
    pub retry_after: Option<String>,
    /// The `Location` header, as sent (a redirect's target; the core never follows one).
    pub location: Option<String>,
    /// The body.
    pub body: String,
}

/// Everything that can happen to the client.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// The user calls `start(options)`.
    Start(StartOptions),
    /// The user calls `disconnect()`.
    Disconnect,
    /// The user's handle is gone: end the session and settle every send with `ClientClosed`.
    Shutdown,
    /// The user sends something; its [`Action::Settle`](crate::Action::Settle) carries
    /// `handle` back.
    Send {
        /// The caller's name for this send.
        handle: SendHandle,
        /// What to send.
        outgoing: Outgoing,
    },
    /// The web call of [`Action::CallWebApi`](crate::Action::CallWebApi) finished: a response, or a transport error.
    WebApiResult {
        /// The attempt.
        conn: ConnId,
        /// The response, or why there is none.
        result: Result<WebResponse, TransportError>,
    },
    /// The WebSocket of [`Action::OpenWebSocket`](crate::Action::OpenWebSocket) is open.
    WsOpened {
        /// The attempt.
        conn: ConnId,
    },
    /// A text frame arrived.
    WsText {
        /// The attempt.
        conn: ConnId,
        /// The frame.
        text: String,
    },
    /// A binary frame arrived (RTM never sends them).
    WsBinary {
        /// The attempt.
        conn: ConnId,
        /// Its length.
        len: usize,
    },
    /// The WebSocket closed (1006 when it dropped without a close frame).
    WsClosed {
        /// The attempt.
        conn: ConnId,
        /// The close code.
        code: u16,
        /// The close reason.
        reason: String,
    },
    /// The transport will never open this URL (its policy refuses it, or it cannot be
    /// parsed): the attempt fails for good, without retries.
    WsRefused {
        /// The attempt.
        conn: ConnId,
        /// Why.
        reason: String,
    },
    /// The attempt's web call or WebSocket failed in a way retrying cannot fix (a
    /// certificate that fails verification, a redirect of the web call): the attempt fails
    /// for good with [`RtmError::Transport`](crate::RtmError::Transport), without retries.
    TransportFatal {
        /// The attempt.
        conn: ConnId,
        /// The transport's failure.
        error: TransportError,
    },
    /// The WebSocket failed (open, read or write); it is unusable.
    WsError {
        /// The attempt.
        conn: ConnId,
        /// The transport's failure.
        error: TransportError,
    },
    /// A WebSocket ping frame arrived (the transport answers it with a pong itself).
    WsPing {
        /// The attempt.
        conn: ConnId,
    },
    /// A WebSocket pong frame arrived.
    WsPong {
        /// The attempt.
        conn: ConnId,
    },
    /// Socket Mode: the user acknowledges an envelope, with a response `payload` (a JSON
    /// object's text) when the envelope accepts one. RTM ignores it.
    Ack {
        /// The envelope's `envelope_id`.
        envelope_id: String,
        /// The response payload, as JSON text.
        payload: Option<String>,
    },
    /// The caller stopped reading the socket (its lossless event subscribers are full):
    /// the pong deadline waits, since no pong can be read. Writing goes on.
    ReadPaused {
        /// The attempt.
        conn: ConnId,
    },
    /// The caller reads the socket again: the pong deadline runs on.
    ReadResumed {
        /// The attempt.
        conn: ConnId,
    },
    /// The user calls the Web API (`chat.postMessage`, or any method); its
    /// [`Action::ApiSettled`](crate::Action::ApiSettled) carries `call` back exactly once.
    /// Works in every state: the Web API needs no socket.
    ApiCall {
        /// The caller's name for this call (unique for the client's lifetime).
        call: CallId,
        /// What to call.
        request: ApiRequest,
    },
    /// The HTTP request of [`Action::CallApi`](crate::Action::CallApi) finished: a
    /// response (any status; redirects are not followed), or why there is none.
    ApiResult {
        /// The call.
        call: CallId,
        /// The response, or the transport's failure.
        result: Result<WebResponse, TransportError>,
    },
    /// A deadline from [`Client::next_deadline`](crate::Client::next_deadline) passed.
    /// Early or repeated ticks are harmless.
    Tick,
}

impl Input {
    /// A short name, for logs.
    pub fn name(&self) -> &'static str {
        match self {
            Input::Start(_) => "start",
            Input::Disconnect => "disconnect",
            Input::Shutdown => "shutdown",
            Input::Send { .. } => "send",
            Input::WebApiResult { .. } => "web_api_result",
            Input::WsOpened { .. } => "ws_opened",
            Input::WsText { .. } => "ws_text",
            Input::WsBinary { .. } => "ws_binary",
            Input::WsClosed { .. } => "ws_closed",
            Input::WsRefused { .. } => "ws_refused",
            Input::TransportFatal { .. } => "transport_fatal",
            Input::WsError { .. } => "ws_error",
            Input::WsPing { .. } => "ws_ping",
            Input::WsPong { .. } => "ws_pong",
            Input::Ack { .. } => "ack",
            Input::ReadPaused { .. } => "read_paused",
            Input::ReadResumed { .. } => "read_resumed",
            Input::ApiCall { .. } => "api_call",
            Input::ApiResult { .. } => "api_result",
            Input::Tick => "tick",
        }
    }
}
