//! The RTM client: the session engine plus what is RTM's own (message ids, the outbox and
//! its acks, pacing, the resume window, RTM's frames).

mod attempt;
mod socket;

use std::sync::Arc;
use std::time::Instant;

use crate::action::Action;
use crate::config::{Config, ConfigError, StartOptions};
use crate::error::{RtmError, SendError};
use crate::event::{ConnectInfo, Event};
use crate::ids::SendHandle;
use crate::input::Input;
use crate::outbox::{Accepted, Outbox};
use crate::outgoing::Outgoing;
use crate::session::{Phase, Session, Start, Stop, Timings};
use crate::state::{Connected, Connecting, State};
use crate::time::earliest;
use crate::web_api::WebApi;

/// What RTM keeps about a live socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
    /// After a reconnect: replies to sends of the previous connection are awaited until then.
    Resuming { until: Instant },
    /// Sends go out; a paced send waits until `paced_until`.
    Ready { paced_until: Option<Instant> },
}

/// The sans-IO RTM client.
///
/// # Contract
///
/// The client never reads the clock, does no I/O and never blocks; it is a function of its
/// [`Config`] (including the `seed` of its jitter) and the timed inputs it is fed. Its methods
/// are of three kinds:
///
/// - **input**: [`handle_input`](Self::handle_input) (or
///   [`handle_input_into`](Self::handle_input_into), which reuses a buffer) takes one
///   [`Input`] and the current time, and returns the [`Action`]s to perform, in order;
/// - **timing**: [`next_deadline`](Self::next_deadline) says when to feed [`Input::Tick`]
///   if nothing else happens first (a tick early or twice is harmless);
/// - **queries**: [`state`](Self::state) and the properties derived from it
///   ([`is_connected`](Self::is_connected), [`active_user_id`](Self::active_user_id), ...).
///
/// The order of use: create the client, feed [`Input::Start`], perform the actions, and
/// then loop: wait for the transport, the user or the deadline, and feed what happened.
/// Two rules make a caller correct:
///
/// 1. **Time is monotonic**: each `now` is the same as or later than the one before.
/// 2. **Inputs born of performing actions are fed after the current batch**: when
///    performing an action produces an input at once (a URL the transport refuses, a close
///    of a socket that never opened), queue it and feed it once every action of the batch
///    is performed, never from inside the loop over them.
///
/// In return the client guarantees: every state but `Disconnected` and `Ready` has a
/// deadline or a pending transport result that leads out of it; every [`Input::Send`] is
/// answered by exactly one [`Action::Settle`] with its handle; every [`Input::Start`] by an
/// [`Action::StartSettled`] and every [`Input::Disconnect`] by an
/// [`Action::DisconnectSettled`] (shared by those pending together); message ids start at
/// 1 and never repeat; inputs that make no sense in a state are answered with
/// [`Action::Ignored`], never a panic.
///
/// ```
/// use std::time::Instant;
/// use rtm_proto::{Action, Client, Config, Input, StartOptions, State};
///
/// let mut client = Client::new(Config::default())?;
/// let actions = client.handle_input(Instant::now(), Input::Start(StartOptions::new("xoxb-…")));
/// assert!(matches!(actions[..], [Action::Emit(_), Action::CallWebApi { .. }]));
/// assert!(client.state().is_connecting());
/// assert!(client.next_deadline().is_some(), "the web call has a deadline");
/// # Ok::<(), rtm_proto::ConfigError>(())
/// ```
#[derive(Debug)]
pub struct Client {
    config: Config,
    session: Session<Link, StartOptions>,
    outbox: Outbox,
    options: Option<StartOptions>,
    info: Option<Arc<ConnectInfo>>,
    /// Whether a `start()` awaits [`Action::StartSettled`].
    start_pending: bool,
    /// Whether a `disconnect()` awaits [`Action::DisconnectSettled`].
    disconnect_pending: bool,
    /// The time origin of ping `time` fields.
    origin: Option<Instant>,
    /// The user's Web API calls (independent of the socket).
    web_api: WebApi,
}

impl Client {
    /// A client with a checked configuration.
    pub fn new(config: Config) -> Result<Client, ConfigError> {
        config.validate()?;
        let timings = Timings {
            web_call: config.web_call_timeout,
            hello: config.hello_timeout,
            close: config.close_timeout,
            ping_after: config.client_ping_timeout,
            pong_within: config.server_pong_timeout,
            retry: config.retry.clone(),
            auto_reconnect: config.auto_reconnect,
        };
        Ok(Client {
            session: Session::new(timings, config.seed),
            web_api: WebApi::new(config.web_api.clone(), config.seed),
            outbox: Outbox::new(&config),
            config,
            options: None,
            info: None,
            start_pending: false,
            disconnect_pending: false,
            origin: None,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The state, as the reference client names it.
    pub fn state(&self) -> State {
        match self.session.phase() {
            Phase::Idle | Phase::Closed => State::Disconnected,
            Phase::Authenticating { .. } => State::Connecting(Connecting::Authenticating),
            Phase::Opening { .. } => State::Connecting(Connecting::Authenticated),
            Phase::Handshaking { .. } => State::Connecting(Connecting::Handshaking),
            Phase::Live { link, .. } => State::Connected(match link {
                Link::Resuming { .. } => Connected::Resuming,
                Link::Ready { .. } => Connected::Ready,
            }),
            Phase::Closing { .. } => State::Disconnecting,
            Phase::Waiting { .. } => State::Reconnecting,
        }
    }

    /// Whether a session is live (`connected`).
    pub fn is_connected(&self) -> bool {
        self.state().is_connected()
    }

    /// Whether the current attempt has authenticated: from the web call's success until the
    /// session ends (`authenticated`).
    pub fn is_authenticated(&self) -> bool {
        matches!(
            self.session.phase(),
            Phase::Opening { .. } | Phase::Handshaking { .. } | Phase::Live { .. }
        )
    }

    /// Whether the client was shut down.
    pub fn is_closed(&self) -> bool {
        matches!(self.session.phase(), Phase::Closed)
    }

    /// `self.id` of the last successful web call (`active_user_id`).
    pub fn active_user_id(&self) -> Option<&str> {
        self.info.as_deref().map(|i| i.self_id.as_str())
    }

    /// `team.id` of the last successful web call (`active_team_id`).
    pub fn active_team_id(&self) -> Option<&str> {
        self.info.as_deref().map(|i| i.team_id.as_str())
    }

    /// The last successful web call's answer.
    pub fn connect_info(&self) -> Option<&Arc<ConnectInfo>> {
        self.info.as_ref()
    }

    /// Sends waiting in the queue.
    pub fn queued(&self) -> usize {
        self.outbox.queued()
    }

    /// Sends written and awaiting their reply.
    pub fn awaiting_reply(&self) -> usize {
        self.outbox.awaiting_reply()
    }

    /// The id the next frame will carry.
    pub fn next_message_id(&self) -> u64 {
        self.outbox.next_id()
    }

    /// When to feed [`Input::Tick`] next; `None` when nothing is timed (disconnected, or
    /// ready with nothing due, which never lasts past the keepalive interval).
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use rtm_proto::{Client, Config, Input, StartOptions, State};
    ///
    /// let mut client = Client::new(Config::default())?;
    /// assert_eq!(client.next_deadline(), None);
    /// let t0 = Instant::now();
    /// client.handle_input(t0, Input::Start(StartOptions::new("xoxb-…")));
    /// // The web call gets `web_call_timeout` (30 s); a tick then retries with backoff.
    /// let due = client.next_deadline().unwrap();
    /// assert_eq!(due, t0 + Duration::from_secs(30));
    /// client.handle_input(due, Input::Tick);
    /// assert_eq!(client.state(), State::Reconnecting);
    /// # Ok::<(), rtm_proto::ConfigError>(())
    /// ```
    pub fn next_deadline(&self) -> Option<Instant> {
        let link = match self.session.phase() {
            Phase::Live { link, .. } => match *link {
                Link::Resuming { until } => Some(until),
                Link::Ready { paced_until } => paced_until,
            },
            _ => None,
        };
        let d = earliest(self.session.deadline_or(link), self.outbox.deadline());
        earliest(d, self.web_api.deadline())
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
    ///
    /// ```
    /// use std::time::Instant;
    /// use rtm_proto::{Action, Client, Config, Input, Outgoing, SendError, SendHandle};
    ///
    /// let mut client = Client::new(Config::default())?;
    /// // `send()` before a session: refused, and the refusal settles the send.
    /// let outgoing = Outgoing { mode: rtm_proto::SendMode::Immediate, ..Outgoing::typing("C1") };
    /// let actions = client.handle_input(Instant::now(), Input::Send { handle: SendHandle(7), outgoing });
    /// assert_eq!(
    ///     actions,
    ///     [Action::Settle { handle: SendHandle(7), result: Err(SendError::NotConnected) }]
    /// );
    /// # Ok::<(), rtm_proto::ConfigError>(())
    /// ```
    pub fn handle_input(&mut self, now: Instant, input: Input) -> Vec<Action> {
        let mut out = Vec::new();
        self.handle_input_into(now, input, &mut out);
        out
    }

    /// Handles one input, appending what to do to `out` (reuse `out` to save allocations).
    pub fn handle_input_into(&mut self, now: Instant, input: Input, out: &mut Vec<Action>) {
        self.origin.get_or_insert(now);
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
            Input::Send { handle, outgoing } => {
                self.send(now, handle, outgoing, out);
                true
            }
            Input::WebApiResult { conn, result } => self.web_result(now, conn, result, out),
            Input::WsOpened { conn } => self.session.opened(conn),
            Input::WsText { conn, text } => self.frame(now, conn, text, out),
            Input::WsBinary { conn, len } => {
                let live = self.session.socket() == Some(conn);
                if live {
                    let error = RtmError::UnexpectedBinary { len };
                    out.push(Action::Emit(Event::Error(error)));
                }
                live
            }
            Input::WsClosed { conn, code, reason } => {
                self.socket_ended(now, conn, RtmError::Closed { code, reason }, out)
            }
            Input::WsRefused { conn, reason } => match self.session.phase() {
                Phase::Opening { conn: c, .. } if *c == conn => {
                    self.end(Some(RtmError::Refused { reason }), out);
                    true
                }
                _ => false,
            },
            Input::TransportFatal { conn, error } => match self.session.phase() {
                Phase::Authenticating { conn: c, .. } | Phase::Opening { conn: c, .. }
                    if *c == conn =>
                {
                    self.end(Some(RtmError::Transport { error }), out);
                    true
                }
                _ => false,
            },
            Input::WsError { conn, error } => {
                self.socket_ended(now, conn, RtmError::Websocket { error }, out)
            }
            // Socket Mode's inputs: RTM keeps alive with JSON pings and has no envelopes.
            Input::WsPing { .. } | Input::WsPong { .. } | Input::Ack { .. } => false,
            Input::ReadPaused { conn } => self.session.reading(now, conn, true),
            Input::ReadResumed { conn } => self.session.reading(now, conn, false),
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

    // ---- user commands ----

    fn start(&mut self, now: Instant, options: StartOptions, out: &mut Vec<Action>) {
        let ready = matches!(
            self.session.phase(),
            Phase::Live {
                link: Link::Ready { .. },
                ..
            }
        );
        match self.session.start(options) {
            Start::Refused => out.push(Action::StartSettled(Err(RtmError::Disconnected))),
            Start::Begin(options) => {
                self.options = Some(options);
                self.start_pending = true;
                self.attempt(now, out);
            }
            Start::AfterClose => self.start_pending = true,
            Start::Live(_) if ready => match &self.info {
                Some(info) => out.push(Action::StartSettled(Ok(info.clone()))),
                None => self.start_pending = true,
            },
            // Already on the way (or resuming): this start settles with the one under way,
            // and later attempts use the newest options.
            Start::Live(options) | Start::UnderWay(options) => {
                self.options = Some(options);
                self.start_pending = true;
            }
        }
    }

    fn disconnect(&mut self, now: Instant, out: &mut Vec<Action>) {
        match self.session.stop(now) {
            Stop::Stopped => out.push(Action::DisconnectSettled),
            Stop::Closing { cancelled } => {
                self.disconnect_pending = true;
                // A disconnect after a start that waits for the close cancels that start.
                if cancelled {
                    self.settle_start(Err(RtmError::Disconnected), out);
                }
            }
            Stop::EndNow => {
                self.disconnect_pending = true;
                out.push(Action::Emit(Event::Disconnecting));
                self.end(None, out);
            }
            Stop::Close(conn) => {
                self.disconnect_pending = true;
                out.push(Action::Emit(Event::Disconnecting));
                out.push(Action::CloseWebSocket { conn, code: 1000 });
                // A start still under way fails now: the user asked to stop. (Only a start
                // made while closing, kept for the restart, outlives the close.)
                self.settle_start(Err(RtmError::Disconnected), out);
            }
        }
    }

    fn shutdown(&mut self, out: &mut Vec<Action>) {
        if let Some(conn) = self.session.socket() {
            out.push(Action::DropWebSocket { conn });
        }
        let was_live = !matches!(self.session.phase(), Phase::Idle | Phase::Closed);
        self.outbox.close(out);
        self.web_api.shutdown(out);
        self.settle_start(Err(RtmError::Disconnected), out);
        if was_live {
            out.push(Action::Emit(Event::Disconnected { error: None }));
        }
        self.session.shut_down();
        self.settle_disconnect(out);
    }

    fn send(&mut self, now: Instant, handle: SendHandle, send: Outgoing, out: &mut Vec<Action>) {
        if self.is_closed() {
            let result = Err(SendError::ClientClosed);
            return out.push(Action::Settle { handle, result });
        }
        let ready = match self.session.phase() {
            Phase::Live { link, .. } => Some(matches!(link, Link::Ready { .. })),
            _ => None,
        };
        match self.outbox.accept(now, handle, &send, &self.config, ready) {
            Err(e) => out.push(Action::Settle {
                handle,
                result: Err(e),
            }),
            Ok(Accepted::Write(prepared)) => {
                if let Some((conn, keepalive, _)) = self.session.live_mut()
                    && self.outbox.write(now, conn, prepared, out)
                {
                    keepalive.wrote(now);
                }
            }
            Ok(Accepted::Queued) => {
                if ready == Some(true) {
                    self.flush(now, out);
                }
            }
        }
    }

    // ---- writing ----

    /// Writes what the queue and the pacing allow (only when ready).
    fn flush(&mut self, now: Instant, out: &mut Vec<Action>) {
        let Some((conn, keepalive, link @ Link::Ready { .. })) = self.session.live_mut() else {
            return;
        };
        let (wrote, paced_until) = self.outbox.flush(now, conn, out);
        if wrote {
            keepalive.wrote(now);
        }
        *link = Link::Ready { paced_until };
    }

    fn ping(&mut self, now: Instant, out: &mut Vec<Action>) {
        let Some((conn, keepalive, _)) = self.session.live_mut() else {
            return;
        };
        let id = self.outbox.take_id();
        let time = now
            .saturating_duration_since(self.origin.unwrap_or(now))
            .as_millis();
        out.push(Action::SendText {
            conn,
            text: format!(r#"{{"id":{id},"type":"ping","time":{time}}}"#),
        });
        keepalive.pinged(id, now);
    }
}
