//! The Socket Mode client: two session engines (the connection in use and its replacement
//! during a refresh) plus what is Socket Mode's own: envelopes, acks, the redelivery filter,
//! the overlapping refresh, WebSocket-level keepalive and the idle deadline.

mod acks;
mod config;
mod connect;
mod links;
mod window;

use std::sync::Arc;
use std::time::Instant;

pub use crate::socket_mode_wire::{
    AckError, DisconnectReason, Envelope, EnvelopeType, EventsApiEvent, Hello, Interactive,
    RefreshReason, SOCKET_MODE_FATAL_ERRORS, SlashCommand, SocketModeError, SocketModeEvent,
};
pub use config::SocketModeConfig;

use crate::action::{Action, WebMethod};
use crate::config::{ConfigError, StartOptions};
use crate::error::SendError;
use crate::ids::ConnId;
use crate::input::Input;
use crate::session::{Phase, Session, Start, Stop, Timings};
use crate::socket_mode_wire::frame;
use crate::state::{Connected, Connecting, State};
use crate::time::{after, earliest};
use crate::web_api::WebApi;
use acks::Acks;

/// What Socket Mode keeps about a live socket.
#[derive(Debug, Clone)]
pub(crate) struct Link {
    hello: Arc<Hello>,
    /// The last inbound frame (text, ping or pong): the idle deadline runs from it.
    last_inbound: Instant,
    /// When to open the replacement if no `warning` came first.
    refresh_at: Option<Instant>,
}

/// A replaced socket, read until its drain ends, then closed.
#[derive(Debug, Clone, Copy)]
struct Drain {
    conn: ConnId,
    deadline: Instant,
    /// The close handshake was started.
    closing: bool,
}

/// Which of the client's sockets an input is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Primary,
    Replacement,
    Drain,
}

type Engine = Session<Link, StartOptions>;

/// The sans-IO Socket Mode client, with the contract of [`Client`](crate::Client):
/// [`handle_input`](Self::handle_input) takes one [`Input`] and the time, and returns the
/// [`Action`]s to perform; [`next_deadline`](Self::next_deadline) says when to feed
/// [`Input::Tick`]; everything else is derived state. `Input::Start` takes RTM's
/// [`StartOptions`], whose token is the app-level token (`xapp-…`). Its events come as
/// [`Action::SocketMode`]; envelopes are acked with [`Input::Ack`].
///
/// During a refresh it holds two sockets (never more): the one in use, and its replacement
/// or the replaced one being drained; the transport must keep both open until told
/// otherwise (`CloseWebSocket` / `DropWebSocket` name the socket).
///
/// ```
/// use std::time::Instant;
/// use rtm_proto::{Action, Input, SocketModeClient, SocketModeConfig, StartOptions, WebMethod};
///
/// let mut client = SocketModeClient::new(SocketModeConfig::default())?;
/// let actions = client.handle_input(Instant::now(), Input::Start(StartOptions::new("xapp-…")));
/// assert!(actions.iter().any(|a| matches!(a, Action::CallWebApi {
///     method: WebMethod::AppsConnectionsOpen, form, .. } if form.is_empty())));
/// assert!(client.next_deadline().is_some());
/// # Ok::<(), rtm_proto::ConfigError>(())
/// ```
#[derive(Debug)]
pub struct SocketModeClient {
    config: SocketModeConfig,
    primary: Engine,
    replacement: Engine,
    drain: Option<Drain>,
    options: Option<StartOptions>,
    hello: Option<Arc<Hello>>,
    acks: Acks,
    start_pending: bool,
    disconnect_pending: bool,
    /// A refresh asked for while the previous one still drains (so never three sockets).
    refresh_wanted: Option<RefreshReason>,
    ping_seq: u64,
    /// The user's Web API calls (independent of the sockets).
    web_api: WebApi,
}

impl SocketModeClient {
    /// A client with a checked configuration.
    pub fn new(config: SocketModeConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        let timings = Timings {
            web_call: config.web_call_timeout,
            hello: config.hello_timeout,
            close: config.close_timeout,
            ping_after: config.ping_interval,
            pong_within: config.pong_timeout,
            retry: config.retry.clone(),
            auto_reconnect: config.auto_reconnect,
        };
        // Odd ids for one engine, even for the other: they swap roles, ids never collide.
        let primary = Session::new(timings.clone(), config.seed).with_conn_ids(1, 2);
        let replacement =
            Session::new(timings, config.seed.wrapping_add(0x9e37_79b9)).with_conn_ids(2, 2);
        Ok(SocketModeClient {
            acks: Acks::new(
                config.ack_deadline,
                config.dedup_window,
                config.max_pending_acks,
                config.auto_ack,
            ),
            web_api: WebApi::new(config.web_api.clone(), config.seed),
            config,
            primary,
            replacement,
            drain: None,
            options: None,
            hello: None,
            start_pending: false,
            disconnect_pending: false,
            refresh_wanted: None,
            ping_seq: 0,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &SocketModeConfig {
        &self.config
    }

    /// The state of the connection in use, in RTM's terms (`Connected(Ready)` while live,
    /// refreshing or not).
    pub fn state(&self) -> State {
        match self.primary.phase() {
            Phase::Idle | Phase::Closed => State::Disconnected,
            Phase::Authenticating { .. } => State::Connecting(Connecting::Authenticating),
            Phase::Opening { .. } => State::Connecting(Connecting::Authenticated),
            Phase::Handshaking { .. } => State::Connecting(Connecting::Handshaking),
            Phase::Live { .. } => State::Connected(Connected::Ready),
            Phase::Closing { .. } => State::Disconnecting,
            Phase::Waiting { .. } => State::Reconnecting,
        }
    }

    /// Whether a connection that said `hello` is in use.
    pub fn is_connected(&self) -> bool {
        self.state().is_connected()
    }

    /// Whether a replacement connection is being opened.
    pub fn is_refreshing(&self) -> bool {
        !matches!(self.replacement.phase(), Phase::Idle | Phase::Closed)
    }

    /// The sockets the transport holds open or opening for this client (at most two).
    pub fn sockets(&self) -> Vec<ConnId> {
        let mut s: Vec<ConnId> = [self.primary.socket(), self.replacement.socket()]
            .into_iter()
            .flatten()
            .collect();
        s.extend(self.drain.map(|d| d.conn));
        s
    }

    /// The attempts whose web call is under way (for the fuzz harness's transport).
    #[cfg(feature = "fuzzing")]
    pub(crate) fn attempts(&self) -> Vec<ConnId> {
        [
            self.primary.authenticating(),
            self.replacement.authenticating(),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// The connection in use, once it said `hello`.
    pub fn live_conn(&self) -> Option<ConnId> {
        match self.primary.phase() {
            Phase::Live { conn, .. } => Some(*conn),
            _ => None,
        }
    }

    /// The last `hello` of a connection in use.
    pub fn hello(&self) -> Option<&Arc<Hello>> {
        self.hello.as_ref()
    }

    /// `connection_info.app_id` of the last `hello`.
    pub fn app_id(&self) -> Option<&str> {
        self.hello.as_deref().and_then(|h| h.app_id.as_deref())
    }

    /// `num_connections` of the last `hello`.
    pub fn num_connections(&self) -> Option<u64> {
        self.hello.as_deref().and_then(|h| h.num_connections)
    }

    /// Envelopes delivered and awaiting the user's ack.
    pub fn pending_acks(&self) -> usize {
        self.acks.pending()
    }

    /// When to feed [`Input::Tick`] next; `None` when nothing is timed.
    pub fn next_deadline(&self) -> Option<Instant> {
        let link = match self.primary.phase() {
            Phase::Live { link, .. } => earliest(
                Some(after(link.last_inbound, self.config.idle_timeout)),
                link.refresh_at,
            ),
            _ => None,
        };
        let mut d = self.primary.deadline_or(link);
        d = earliest(d, self.replacement.deadline());
        d = earliest(d, self.drain.map(|x| x.deadline));
        d = earliest(d, self.web_api.deadline());
        earliest(d, self.acks.deadline())
    }

    /// Web API calls ([`Input::ApiCall`]) not yet settled.
    pub fn pending_api_calls(&self) -> usize {
        self.web_api.pending()
    }

    /// Web API calls whose [`Action::CallApi`] awaits its [`Input::ApiResult`].
    pub fn api_calls_in_flight(&self) -> usize {
        self.web_api.in_flight()
    }

    /// Handles one input and returns what to do, in order.
    pub fn handle_input(&mut self, now: Instant, input: Input) -> Vec<Action> {
        let mut out = Vec::new();
        self.handle_input_into(now, input, &mut out);
        out
    }

    /// Handles one input, appending what to do to `out`.
    pub fn handle_input_into(&mut self, now: Instant, input: Input, out: &mut Vec<Action>) {
        let name = input.name();
        let handled = match input {
            Input::Start(options) => {
                self.start(now, options, out);
                true
            }
            Input::Disconnect => {
                self.disconnect(now, out);
                true
            }
            Input::Shutdown => {
                self.shutdown(out);
                true
            }
            Input::Send { handle, .. } => {
                // Socket Mode carries nothing outgoing but acks: replies go through the Web
                // API with a bot token.
                let result = Err(SendError::NotConnected);
                out.push(Action::Settle { handle, result });
                true
            }
            Input::Ack {
                envelope_id,
                payload,
            } => {
                self.ack(now, envelope_id, payload.as_deref(), out);
                true
            }
            Input::WebApiResult { conn, result } => self.web_result(now, conn, result, out),
            Input::WsOpened { conn } => match self.role(conn) {
                Some(Role::Primary) => self.primary.opened(conn),
                Some(Role::Replacement) => self.replacement.opened(conn),
                _ => false,
            },
            Input::WsText { conn, text } => self.frame(now, conn, text, out),
            Input::WsBinary { conn, len } => {
                let known = self.inbound(now, conn);
                if known {
                    let e = SocketModeError::UnexpectedBinary { len };
                    out.push(Action::SocketMode(SocketModeEvent::Error(e)));
                }
                known
            }
            Input::WsPing { conn } | Input::WsPong { conn } => self.inbound(now, conn),
            Input::WsClosed { conn, code, reason } => {
                self.socket_ended(now, conn, SocketModeError::Closed { code, reason }, out)
            }
            Input::WsError { conn, error } => {
                self.socket_ended(now, conn, SocketModeError::Websocket { error }, out)
            }
            Input::WsRefused { conn, reason } => {
                self.fatal(now, conn, SocketModeError::Refused { reason }, out)
            }
            Input::TransportFatal { conn, error } => {
                self.fatal(now, conn, SocketModeError::Transport { error }, out)
            }
            Input::ReadPaused { conn } => self.primary.reading(now, conn, true),
            Input::ReadResumed { conn } => self.primary.reading(now, conn, false),
            Input::ApiCall { call, request } => {
                self.web_api.call(now, call, request, out);
                true
            }
            Input::ApiResult { call, result } => self.web_api.result(now, call, result, out),
            Input::Tick => {
                self.tick(now, out);
                self.web_api.tick(now, out);
                true
            }
        };
        if !handled {
            out.push(Action::Ignored {
                input: name,
                state: self.state(),
            });
        }
    }

    fn role(&self, conn: ConnId) -> Option<Role> {
        let of = |s: &Engine| s.socket() == Some(conn) || s.authenticating() == Some(conn);
        if of(&self.primary) {
            Some(Role::Primary)
        } else if of(&self.replacement) {
            Some(Role::Replacement)
        } else if self.drain.is_some_and(|d| d.conn == conn) {
            Some(Role::Drain)
        } else {
            None
        }
    }

    fn engine(&mut self, role: Role) -> &mut Engine {
        match role {
            Role::Replacement => &mut self.replacement,
            _ => &mut self.primary,
        }
    }

    fn emit(out: &mut Vec<Action>, event: SocketModeEvent) {
        out.push(Action::SocketMode(event));
    }

    // ---- user commands ----

    fn start(&mut self, now: Instant, options: StartOptions, out: &mut Vec<Action>) {
        let hello = match self.primary.phase() {
            Phase::Live { link, .. } => Some(link.hello.clone()),
            _ => None,
        };
        match self.primary.start(options) {
            Start::Refused => Self::emit(
                out,
                SocketModeEvent::StartSettled(Err(SocketModeError::Disconnected)),
            ),
            Start::Begin(options) => {
                self.options = Some(options);
                self.start_pending = true;
                self.attempt(now, Role::Primary, out);
            }
            Start::AfterClose => self.start_pending = true,
            Start::Live(_) => {
                if let Some(hello) = hello {
                    Self::emit(out, SocketModeEvent::StartSettled(Ok(hello)));
                }
            }
            Start::UnderWay(options) => {
                self.options = Some(options);
                self.start_pending = true;
            }
        }
    }

    fn disconnect(&mut self, now: Instant, out: &mut Vec<Action>) {
        match self.primary.stop(now) {
            Stop::Stopped => out.push(Action::DisconnectSettled),
            Stop::Closing { cancelled } => {
                self.disconnect_pending = true;
                if cancelled {
                    self.settle_start(Err(SocketModeError::Disconnected), out);
                }
            }
            Stop::EndNow => {
                self.disconnect_pending = true;
                self.end(None, out);
            }
            Stop::Close(conn) => {
                self.disconnect_pending = true;
                // Only the socket in use gets a close handshake; the others go at once, so
                // no reconnect or refresh outlives the disconnect.
                self.drop_extra_sockets(out);
                out.push(Action::CloseWebSocket { conn, code: 1000 });
                self.settle_start(Err(SocketModeError::Disconnected), out);
            }
        }
    }

    fn shutdown(&mut self, out: &mut Vec<Action>) {
        let was_live = !matches!(self.primary.phase(), Phase::Idle | Phase::Closed);
        self.drop_extra_sockets(out);
        if let Some(conn) = self.primary.socket() {
            out.push(Action::DropWebSocket { conn });
        }
        self.web_api.shutdown(out);
        self.settle_start(Err(SocketModeError::Disconnected), out);
        if was_live {
            Self::emit(out, SocketModeEvent::Disconnected { error: None });
        }
        self.primary.shut_down();
        self.settle_disconnect(out);
    }

    fn ack(
        &mut self,
        now: Instant,
        envelope_id: String,
        payload: Option<&str>,
        out: &mut Vec<Action>,
    ) {
        let result = self.acks.take(&envelope_id, payload).and_then(|checked| {
            let frame = frame::ack(&envelope_id, checked.payload.as_ref());
            // On the connection in use (Slack takes an app's acks on any of its connections):
            // the envelope's own may be draining after a refresh, about to close with the ack
            // unread, which would cost a redelivery. Else on the envelope's connection.
            let live = self.live_conn();
            let targets = [live, Some(checked.conn).filter(|c| Some(*c) != live)];
            for conn in targets.into_iter().flatten() {
                if self.write(now, conn, frame.clone(), out) {
                    return Ok(());
                }
            }
            Err(AckError::ConnectionGone)
        });
        Self::emit(
            out,
            SocketModeEvent::AckSettled {
                envelope_id,
                result,
            },
        );
    }

    /// Writes `text` on `conn` if it is still one of ours and open; false if it is gone.
    fn write(&mut self, now: Instant, conn: ConnId, text: String, out: &mut Vec<Action>) -> bool {
        let open = match self.role(conn) {
            Some(Role::Primary) => {
                if let Some((c, keepalive, _)) = self.primary.live_mut()
                    && c == conn
                {
                    keepalive.wrote(now);
                }
                !matches!(self.primary.phase(), Phase::Authenticating { .. })
            }
            Some(Role::Replacement) => {
                !matches!(self.replacement.phase(), Phase::Authenticating { .. })
            }
            Some(Role::Drain) => true,
            None => false,
        };
        if open {
            out.push(Action::SendText { conn, text });
        }
        open
    }

    // ---- connection attempts ----

    fn attempt(&mut self, now: Instant, role: Role, out: &mut Vec<Action>) {
        let Some(options) = self.options.clone() else {
            // Unreachable by construction (attempts follow a start); end rather than hang.
            return self.end(Some(SocketModeError::Disconnected), out);
        };
        let conn = self.engine(role).begin(now);
        let refresh = role == Role::Replacement;
        Self::emit(out, SocketModeEvent::Connecting { conn, refresh });
        out.push(Action::CallWebApi {
            conn,
            method: WebMethod::AppsConnectionsOpen,
            token: options.token,
            form: Vec::new(),
        });
    }

    fn settle_start(&mut self, result: Result<Arc<Hello>, SocketModeError>, out: &mut Vec<Action>) {
        if std::mem::take(&mut self.start_pending) {
            Self::emit(out, SocketModeEvent::StartSettled(result));
        }
    }

    fn settle_disconnect(&mut self, out: &mut Vec<Action>) {
        if std::mem::take(&mut self.disconnect_pending) {
            out.push(Action::DisconnectSettled);
        }
    }

    /// Drops the replacement and the drained socket, and forgets them.
    fn drop_extra_sockets(&mut self, out: &mut Vec<Action>) {
        if let Some(conn) = self.replacement.socket() {
            out.push(Action::DropWebSocket { conn });
        }
        self.replacement.end();
        if let Some(d) = self.drain.take() {
            out.push(Action::DropWebSocket { conn: d.conn });
        }
        self.refresh_wanted = None;
    }

    /// The session ends, with `error` unless the user asked.
    fn end(&mut self, error: Option<SocketModeError>, out: &mut Vec<Action>) {
        self.drop_extra_sockets(out);
        if let Some(conn) = self.primary.socket() {
            out.push(Action::DropWebSocket { conn });
        }
        self.settle_start(
            Err(error.clone().unwrap_or(SocketModeError::Disconnected)),
            out,
        );
        Self::emit(out, SocketModeEvent::Disconnected { error });
        self.primary.end();
        self.settle_disconnect(out);
    }
}
