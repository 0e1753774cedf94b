//! The core's inputs and outputs.

use std::fmt;
use std::sync::Arc;

use serde_json::Value;

use crate::client::State;
use crate::config::{StartOptions, Token};
use crate::error::{RtmError, SendError};
use crate::event::{ConnectInfo, Event, Sent};

/// One connection attempt: its web call and its WebSocket. Results about an attempt the core
/// has given up on are ignored, so a late answer can never confuse the current one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnId(pub u64);

impl fmt::Display for ConnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "conn#{}", self.0)
    }
}

/// The caller's name for one send; its [`Action::Settle`] carries it back exactly once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SendHandle(pub u64);

/// How a send is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendMode {
    /// `send()`: written now if the session is ready, else refused; settles when written.
    Immediate,
    /// `add_outgoing_event()`: waits in the queue until the session is ready.
    Queued {
        /// Settle with the server's reply (`reply_to`) instead of when written.
        await_reply: bool,
    },
}

/// An outgoing frame: `{"id":…,"type":kind,…body}`; the core assigns the id.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    /// The caller's handle.
    pub handle: SendHandle,
    /// The frame's `type`.
    pub kind: String,
    /// The other fields: a JSON object (or `null` for none). `id` and `type` in it are ignored.
    pub body: Value,
    /// How it is sent.
    pub mode: SendMode,
}

impl Outgoing {
    /// `send_message(text, channel)`: a queued `message` awaiting its ack.
    pub fn message(handle: SendHandle, channel: &str, text: &str) -> Self {
        Outgoing {
            handle,
            kind: "message".to_owned(),
            body: serde_json::json!({ "channel": channel, "text": text }),
            mode: SendMode::Queued { await_reply: true },
        }
    }

    /// `send_typing(channel)`: a queued `typing`, no reply awaited.
    pub fn typing(handle: SendHandle, channel: &str) -> Self {
        Outgoing {
            handle,
            kind: "typing".to_owned(),
            body: serde_json::json!({ "channel": channel }),
            mode: SendMode::Queued { await_reply: false },
        }
    }

    /// `subscribe_presence(ids)`: a queued `presence_sub` (the complete list), no reply awaited.
    pub fn presence_sub<S: AsRef<str>>(handle: SendHandle, ids: &[S]) -> Self {
        let ids: Vec<&str> = ids.iter().map(AsRef::as_ref).collect();
        Outgoing {
            handle,
            kind: "presence_sub".to_owned(),
            body: serde_json::json!({ "ids": ids }),
            mode: SendMode::Queued { await_reply: false },
        }
    }
}

/// What the transport got back from the web call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebResponse {
    /// The HTTP status.
    pub status: u16,
    /// The `Retry-After` header, as sent.
    pub retry_after: Option<String>,
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
    /// The user sends something.
    Send(Outgoing),
    /// The web call of [`Action::CallWebApi`] finished: a response, or a transport error.
    WebApiResult {
        /// The attempt.
        conn: ConnId,
        /// The response, or why there is none.
        result: Result<WebResponse, String>,
    },
    /// The WebSocket of [`Action::OpenWebSocket`] is open.
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
        /// The transport's description.
        reason: String,
    },
    /// The WebSocket failed (open, read or write); it is unusable.
    WsError {
        /// The attempt.
        conn: ConnId,
        /// The transport's description.
        message: String,
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
            Input::Send(_) => "send",
            Input::WebApiResult { .. } => "web_api_result",
            Input::WsOpened { .. } => "ws_opened",
            Input::WsText { .. } => "ws_text",
            Input::WsBinary { .. } => "ws_binary",
            Input::WsClosed { .. } => "ws_closed",
            Input::WsRefused { .. } => "ws_refused",
            Input::TransportFatal { .. } => "transport_fatal",
            Input::WsError { .. } => "ws_error",
            Input::Tick => "tick",
        }
    }
}

/// The Web API methods that open a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebMethod {
    /// `rtm.connect`.
    RtmConnect,
    /// `rtm.start` (legacy).
    RtmStart,
}

impl WebMethod {
    /// The method name, to append to the API URL.
    pub fn as_str(&self) -> &'static str {
        match self {
            WebMethod::RtmConnect => "rtm.connect",
            WebMethod::RtmStart => "rtm.start",
        }
    }
}

/// What the transport must do, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// `POST {api_url}{method}` with `Authorization: Bearer {token}` and `form` as
    /// `application/x-www-form-urlencoded`; report with [`Input::WebApiResult`].
    CallWebApi {
        /// The attempt.
        conn: ConnId,
        /// The method.
        method: WebMethod,
        /// The token.
        token: Token,
        /// Form parameters.
        form: Vec<(&'static str, String)>,
    },
    /// Open a WebSocket to `url`; report [`Input::WsOpened`], frames, and its end. One socket
    /// at a time: opening a new one drops any other.
    OpenWebSocket {
        /// The attempt.
        conn: ConnId,
        /// The URL from the web call.
        url: String,
    },
    /// Write a text frame.
    SendText {
        /// The attempt.
        conn: ConnId,
        /// The frame.
        text: String,
    },
    /// Start the close handshake; report [`Input::WsClosed`] when it is done.
    CloseWebSocket {
        /// The attempt.
        conn: ConnId,
        /// The close code.
        code: u16,
    },
    /// Let go of the socket now (a best-effort close frame is fine); nothing more about it
    /// is expected.
    DropWebSocket {
        /// The attempt.
        conn: ConnId,
    },
    /// Report an event to the user.
    Emit(Event),
    /// Complete one user send.
    Settle {
        /// The send.
        handle: SendHandle,
        /// Its outcome.
        result: Result<Sent, SendError>,
    },
    /// Complete every pending `start()`: the session is ready, or it failed for good.
    StartSettled(Result<Arc<ConnectInfo>, RtmError>),
    /// The input made no sense in this state and changed nothing (for the adapter's log).
    Ignored {
        /// The input's name.
        input: &'static str,
        /// The state it arrived in.
        state: State,
    },
}
