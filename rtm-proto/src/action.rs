//! What the core asks its caller to do.

use std::sync::Arc;

use crate::config::Token;
use crate::error::{RtmError, SendError};
use crate::event::{ConnectInfo, Event};
use crate::ids::{CallId, ConnId, SendHandle};
use crate::reply::Sent;
use crate::socket_mode_wire::SocketModeEvent;
use crate::state::State;
use crate::web_api_wire::{ApiAnswer, ApiError};

/// The Web API methods that open a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebMethod {
    /// `rtm.connect`.
    RtmConnect,
    /// `rtm.start` (legacy).
    RtmStart,
    /// `apps.connections.open` (Socket Mode): the app-level token goes in the
    /// `Authorization` header only, and the form is empty.
    AppsConnectionsOpen,
}

impl WebMethod {
    /// The method name, to append to the API URL.
    pub fn as_str(&self) -> &'static str {
        match self {
            WebMethod::RtmConnect => "rtm.connect",
            WebMethod::RtmStart => "rtm.start",
            WebMethod::AppsConnectionsOpen => "apps.connections.open",
        }
    }
}

/// What the transport must do, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// `POST {api_url}{method}` with `Authorization: Bearer {token}` and `form` as
    /// `application/x-www-form-urlencoded`; report with [`Input::WebApiResult`](crate::Input::WebApiResult).
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
    /// Open a WebSocket to `url`; report [`Input::WsOpened`](crate::Input::WsOpened), frames, and its end. RTM holds
    /// one socket at a time (opening a new one drops any other); Socket Mode holds up to two
    /// during a refresh, and drops the old one itself.
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
    /// Write a WebSocket ping frame (Socket Mode's keepalive; RTM pings in JSON).
    SendPing {
        /// The attempt.
        conn: ConnId,
    },
    /// Start the close handshake; report [`Input::WsClosed`](crate::Input::WsClosed) when it is done.
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
    /// Report a Socket Mode event to the user (its lifecycle, envelopes, ack results). One
    /// variant, so that one driver can run either core.
    SocketMode(SocketModeEvent),
    /// Complete one user send.
    Settle {
        /// The send.
        handle: SendHandle,
        /// Its outcome.
        result: Result<Sent, SendError>,
    },
    /// Complete every pending `start()`: the session is ready, or it failed for good.
    StartSettled(Result<Arc<ConnectInfo>, RtmError>),
    /// Complete every pending `disconnect()`: the session is disconnected (at once when it
    /// already was). Each [`Input::Disconnect`](crate::Input::Disconnect) is answered by one.
    DisconnectSettled,
    /// `POST {api_url}{method}` with `Authorization: Bearer {token}` and `form` as
    /// `application/x-www-form-urlencoded`, for the user's call `call`; never follow a
    /// redirect; report with [`Input::ApiResult`](crate::Input::ApiResult). Several may be
    /// out at once.
    CallApi {
        /// The call.
        call: CallId,
        /// The method, such as `chat.postMessage`.
        method: String,
        /// The token.
        token: Token,
        /// Form parameters, in order.
        form: Vec<(String, String)>,
    },
    /// Complete one user call: Slack's `ok:true` answer, or why there is none. Each
    /// [`Input::ApiCall`](crate::Input::ApiCall) is answered by exactly one.
    ApiSettled {
        /// The call.
        call: CallId,
        /// Its outcome.
        result: Result<ApiAnswer, ApiError>,
    },
    /// The input made no sense in this state and changed nothing (for the adapter's log).
    Ignored {
        /// The input's name.
        input: &'static str,
        /// The state it arrived in.
        state: State,
    },
}
