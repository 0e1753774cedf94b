//! The RTM client: the session engine plus what is RTM's own (message ids, the outbox and
//! its acks, pacing, the resume window, RTM's frames).

use std::sync::Arc;
use std::time::Instant;

use crate::action::{Action, WebMethod};
use crate::config::{Config, ConfigError, StartOptions};
use crate::connect;
use crate::error::{NoReplyReason, RtmError, SendError};
use crate::event::{ConnectInfo, Event, SlackEvent};
use crate::frame;
use crate::ids::{ConnId, SendHandle};
use crate::input::{Input, WebResponse};
use crate::keepalive::Due;
use crate::outbox::{Accepted, Outbox};
use crate::outgoing::Outgoing;
use crate::session::{Next, Phase, Session, Timeout, Timings};
use crate::state::{Connected, Connecting, State};
use crate::time::{after, earliest};

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

    /// When to feed [`Input::Tick`] next; `None` when nothing is timed.
    pub fn next_deadline(&self) -> Option<Instant> {
        let link = match self.session.phase() {
            Phase::Live { link, .. } => match *link {
                Link::Resuming { until } => Some(until),
                Link::Ready { paced_until } => paced_until,
            },
            _ => None,
        };
        earliest(self.session.deadline_or(link), self.outbox.deadline())
    }

    /// Handles one input and returns what to do.
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
            Input::WsError { conn, message } => {
                self.socket_ended(now, conn, RtmError::Websocket { message }, out)
            }
            Input::Tick => {
                self.tick(now, out);
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
        match self.session.phase() {
            Phase::Closed => out.push(Action::StartSettled(Err(RtmError::Disconnected))),
            Phase::Idle => {
                self.options = Some(options);
                self.start_pending = true;
                self.session.restart_episode();
                self.attempt(now, out);
            }
            Phase::Closing { .. } => {
                self.session.set_restart(Some(options));
                self.start_pending = true;
            }
            Phase::Live {
                link: Link::Ready { .. },
                ..
            } => match &self.info {
                Some(info) => out.push(Action::StartSettled(Ok(info.clone()))),
                None => self.start_pending = true,
            },
            _ => {
                // Already on the way: this start settles with the one under way, and later
                // attempts use the newest options.
                self.options = Some(options);
                self.start_pending = true;
            }
        }
    }

    fn disconnect(&mut self, now: Instant, out: &mut Vec<Action>) {
        match self.session.phase() {
            Phase::Idle | Phase::Closed => out.push(Action::DisconnectSettled),
            Phase::Closing { .. } => {
                self.disconnect_pending = true;
                // A disconnect after a start that waits for the close cancels that start.
                if self.session.set_restart(None).is_some() {
                    self.settle_start(Err(RtmError::Disconnected), out);
                }
            }
            Phase::Authenticating { .. } | Phase::Waiting { .. } => {
                self.disconnect_pending = true;
                out.push(Action::Emit(Event::Disconnecting));
                self.end(None, out);
            }
            Phase::Opening { .. } | Phase::Handshaking { .. } | Phase::Live { .. } => {
                self.disconnect_pending = true;
                out.push(Action::Emit(Event::Disconnecting));
                if let Some(conn) = self.session.close(now) {
                    out.push(Action::CloseWebSocket { conn, code: 1000 });
                }
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

    // ---- connection attempts ----

    fn attempt(&mut self, now: Instant, out: &mut Vec<Action>) {
        let Some(options) = self.options.clone() else {
            // Unreachable by construction (attempts follow a start); end rather than hang.
            return self.end(Some(RtmError::Disconnected), out);
        };
        let conn = self.session.begin(now);
        let method = if self.config.use_rtm_connect {
            WebMethod::RtmConnect
        } else {
            WebMethod::RtmStart
        };
        let mut form = Vec::new();
        if let Some(b) = options.batch_presence_aware {
            form.push(("batch_presence_aware", b.to_string()));
        }
        if let Some(b) = options.presence_sub {
            form.push(("presence_sub", b.to_string()));
        }
        out.push(Action::Emit(Event::Connecting));
        out.push(Action::CallWebApi {
            conn,
            method,
            token: options.token,
            form,
        });
    }

    fn web_result(
        &mut self,
        now: Instant,
        conn: ConnId,
        result: Result<WebResponse, String>,
        out: &mut Vec<Action>,
    ) -> bool {
        if self.session.authenticating() != Some(conn) {
            return false;
        }
        let info = result
            .map_err(|message| RtmError::Request { message })
            .and_then(connect::read);
        match info {
            Ok(info) => {
                let info = Arc::new(info);
                self.info = Some(info.clone());
                out.push(Action::Emit(Event::Authenticated(info.clone())));
                out.push(Action::OpenWebSocket {
                    conn,
                    url: info.url.clone(),
                });
                self.session.authenticated(now, conn);
            }
            Err(e) => self.retry(now, e, None, out),
        }
        true
    }

    /// The current attempt failed, or the live session was lost (`live_since` is when it
    /// became live). Retries, or ends the session.
    fn retry(
        &mut self,
        now: Instant,
        error: RtmError,
        live_since: Option<Instant>,
        out: &mut Vec<Action>,
    ) {
        let retry_after = match error {
            RtmError::RateLimited { retry_after } => retry_after,
            _ => None,
        };
        let next = self
            .session
            .retry(now, error.is_recoverable(), live_since, retry_after);
        match next {
            Next::End => self.end(Some(error), out),
            Next::GiveUp { failed } => self.end(
                Some(RtmError::RetriesExhausted {
                    attempts: failed,
                    last: Box::new(error),
                }),
                out,
            ),
            Next::Reconnect { attempt, delay } => {
                out.push(Action::Emit(Event::Reconnecting {
                    attempt,
                    delay,
                    reason: error,
                }));
                if delay.is_zero() {
                    self.attempt(now, out);
                }
            }
        }
    }

    /// The socket in use is lost: let go of it (unless it is already gone), then retry.
    fn lost(&mut self, now: Instant, error: RtmError, socket_gone: bool, out: &mut Vec<Action>) {
        if let (Some(conn), false) = (self.session.socket(), socket_gone) {
            out.push(Action::DropWebSocket { conn });
        }
        let live_since = self.session.lose();
        self.retry(now, error, live_since, out);
    }

    /// The session ends: awaited replies fail, queued sends stay for the next start.
    fn end(&mut self, error: Option<RtmError>, out: &mut Vec<Action>) {
        self.outbox.fail_pending(NoReplyReason::SessionEnded, out);
        if let Some(e) = &error
            && self.start_pending
        {
            out.push(Action::Emit(Event::UnableToRtmStart(e.clone())));
        }
        self.settle_start(Err(error.clone().unwrap_or(RtmError::Disconnected)), out);
        out.push(Action::Emit(Event::Disconnected { error }));
        self.session.end();
        self.settle_disconnect(out);
    }

    fn settle_start(&mut self, result: Result<Arc<ConnectInfo>, RtmError>, out: &mut Vec<Action>) {
        if std::mem::take(&mut self.start_pending) {
            out.push(Action::StartSettled(result));
        }
    }

    fn settle_disconnect(&mut self, out: &mut Vec<Action>) {
        if std::mem::take(&mut self.disconnect_pending) {
            out.push(Action::DisconnectSettled);
        }
    }

    /// The session is ready: the start settles and the queue flows.
    fn ready(&mut self, now: Instant, out: &mut Vec<Action>) {
        let Some((_, _, link)) = self.session.live_mut() else {
            return;
        };
        *link = Link::Ready { paced_until: None };
        out.push(Action::Emit(Event::Ready));
        if let Some(info) = self.info.clone() {
            self.settle_start(Ok(info), out);
        }
        self.flush(now, out);
    }

    /// While resuming: ready once no reply from the previous connection is awaited.
    fn resume_if_answered(&mut self, now: Instant, out: &mut Vec<Action>) {
        if let Phase::Live {
            link: Link::Resuming { .. },
            ..
        } = self.session.phase()
            && self.outbox.awaiting_reply() == 0
        {
            self.ready(now, out);
        }
    }

    // ---- the socket ----

    fn frame(&mut self, now: Instant, conn: ConnId, text: String, out: &mut Vec<Action>) -> bool {
        if self.session.socket() != Some(conn) {
            return false;
        }
        let event = match SlackEvent::from_json(text) {
            Ok(e) => e,
            Err(e) => {
                out.push(Action::Emit(Event::Error(RtmError::MalformedFrame {
                    detail: e.to_string(),
                })));
                return true;
            }
        };
        // Replies settle their sends even while closing: the ack is as good as before.
        if let Some(reply_to) = event.reply_to() {
            if let Some((_, keepalive, _)) = self.session.live_mut() {
                keepalive.replied(reply_to);
            }
            self.outbox.reply(reply_to, event.raw(), out);
            self.resume_if_answered(now, out);
        }
        if matches!(self.session.phase(), Phase::Closing { .. }) {
            out.push(Action::Emit(Event::Slack(event)));
            return true;
        }
        let lost = match (event.event_type(), event.reply_to()) {
            (Some("hello"), _) => None,
            (Some("goodbye"), _) => Some(RtmError::Goodbye),
            (Some("team_migration_started"), _) => Some(RtmError::TeamMigration),
            (Some("error"), None) => {
                let (code, msg) = frame::reply::error_frame(event.raw());
                Some(RtmError::Server { code, msg })
            }
            _ => {
                out.push(Action::Emit(Event::Slack(event)));
                return true;
            }
        };
        out.push(Action::Emit(Event::Slack(event)));
        match lost {
            None => self.hello(now, conn, out),
            Some(e) => {
                if let RtmError::Server { .. } = e {
                    out.push(Action::Emit(Event::Error(e.clone())));
                }
                self.lost(now, e, false, out);
            }
        }
        true
    }

    fn hello(&mut self, now: Instant, conn: ConnId, out: &mut Vec<Action>) {
        if !self.session.awaits_hello(conn) {
            return;
        }
        out.push(Action::Emit(Event::Connected));
        if self.outbox.awaiting_reply() == 0 {
            self.session.hello(now, Link::Ready { paced_until: None });
            self.ready(now, out);
        } else {
            let until = after(now, self.config.reply_ack_on_reconnect_timeout);
            self.session.hello(now, Link::Resuming { until });
        }
    }

    /// The socket closed or failed: the end of a close, or a loss.
    fn socket_ended(
        &mut self,
        now: Instant,
        conn: ConnId,
        error: RtmError,
        out: &mut Vec<Action>,
    ) -> bool {
        if self.session.socket() != Some(conn) {
            return false;
        }
        // A failed socket is unusable, so it is dropped; a closed one is already gone.
        let failed = matches!(error, RtmError::Websocket { .. });
        if failed {
            out.push(Action::Emit(Event::Error(error.clone())));
        }
        if matches!(self.session.phase(), Phase::Closing { .. }) {
            self.finish_disconnect(now, failed, out);
        } else {
            self.lost(now, error, !failed, out);
        }
        true
    }

    fn finish_disconnect(&mut self, now: Instant, drop_socket: bool, out: &mut Vec<Action>) {
        let Some((conn, restart)) = self.session.closed() else {
            return;
        };
        if drop_socket {
            out.push(Action::DropWebSocket { conn });
        }
        // A start that arrived while closing must outlive `end`.
        let start_pending = std::mem::take(&mut self.start_pending);
        self.end(None, out);
        if let Some(options) = restart {
            self.start_pending = start_pending;
            self.options = Some(options);
            self.session.restart_episode();
            self.attempt(now, out);
        }
    }

    // ---- time ----

    fn tick(&mut self, now: Instant, out: &mut Vec<Action>) {
        self.outbox.expire(now, out);
        if let Some((_, _, link)) = self.session.live_mut() {
            match *link {
                Link::Resuming { until } if until <= now => {
                    self.outbox.fail_pending(NoReplyReason::ConnectionLost, out);
                    self.ready(now, out);
                }
                Link::Ready {
                    paced_until: Some(at),
                } if at <= now => self.flush(now, out),
                _ => {}
            }
        }
        match self.session.due(now) {
            Some(Timeout::WebCall) => self.retry(now, RtmError::WebCallTimeout, None, out),
            Some(Timeout::Hello) => self.lost(now, RtmError::HelloTimeout, false, out),
            Some(Timeout::Close) => self.finish_disconnect(now, true, out),
            Some(Timeout::Retry) => self.attempt(now, out),
            Some(Timeout::Keepalive(Due::Ping)) => self.ping(now, out),
            Some(Timeout::Keepalive(Due::Dead)) => {
                self.lost(now, RtmError::PongTimeout, false, out)
            }
            None => {}
        }
        // A reply may have emptied the awaited set by timing out above.
        self.resume_if_answered(now, out);
    }
}
