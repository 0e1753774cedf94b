//! The connection state machine.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::backoff::Jitter;
use crate::config::{Config, ConfigError, StartOptions};
use crate::connect;
use crate::error::{NoReplyReason, RtmError, SendError};
use crate::event::{ConnectInfo, Event, Sent};
use crate::frame;
use crate::io::{Action, ConnId, Input, Outgoing, SendHandle, SendMode, WebMethod};
use crate::outgoing::Prepared;
use crate::pacing::Pacer;

/// The phases of opening a session, as the reference client names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Connecting {
    /// The web call (`rtm.connect`) is under way.
    Authenticating,
    /// The web call succeeded; the WebSocket is opening.
    Authenticated,
    /// The WebSocket is open; waiting for `hello`.
    Handshaking,
}

/// The phases of a live session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Connected {
    /// After a reconnect: waiting for replies to messages sent on the previous connection.
    Resuming,
    /// Sends go out.
    Ready,
}

/// The client's state, as the reference client names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// No session (also after `Shutdown`).
    Disconnected,
    /// Opening a session.
    Connecting(Connecting),
    /// A session is live.
    Connected(Connected),
    /// Closing the socket on `disconnect()`.
    Disconnecting,
    /// Waiting to retry after a failure or a lost connection.
    Reconnecting,
}

/// The phase with the data that only it has; the public [`State`] is derived from it.
#[derive(Debug)]
enum Phase {
    Disconnected,
    /// Shut down for good: every send is refused.
    Closed,
    Authenticating {
        conn: ConnId,
        deadline: Option<Instant>,
    },
    /// Socket opening (`opened` false) or open and waiting for hello (`opened` true).
    Handshaking {
        conn: ConnId,
        opened: bool,
        deadline: Option<Instant>,
    },
    Resuming {
        conn: ConnId,
        since: Instant,
        deadline: Option<Instant>,
    },
    Ready {
        conn: ConnId,
        since: Instant,
    },
    Disconnecting {
        conn: ConnId,
        deadline: Option<Instant>,
        restart: Option<StartOptions>,
    },
    Reconnecting {
        at: Option<Instant>,
    },
}

/// Keepalive bookkeeping of the open socket.
#[derive(Debug, Default)]
struct Keepalive {
    /// When the last frame was written (or the session became live).
    last_out: Option<Instant>,
    /// The outstanding ping: its id and the deadline of its pong.
    ping: Option<(u64, Option<Instant>)>,
}

#[derive(Debug)]
struct Pending {
    handle: SendHandle,
    deadline: Option<Instant>,
}

/// The sans-IO RTM client. Feed it [`Input`]s with the current time, perform the
/// [`Action`]s it returns, and call [`Input::Tick`] at [`Client::next_deadline`].
#[derive(Debug)]
pub struct Client {
    config: Config,
    phase: Phase,
    options: Option<StartOptions>,
    info: Option<Arc<ConnectInfo>>,
    /// Whether a `start()` awaits [`Action::StartSettled`].
    start_pending: bool,
    next_id: u64,
    next_conn: u64,
    /// Consecutive failed attempts since the last stable session.
    failures: u32,
    /// Whether `failures` counts the reconnect after a stable session was lost: that attempt
    /// is not a retry, and does not use up the retry budget.
    reconnect_free: bool,
    jitter: Jitter,
    queue: VecDeque<Prepared>,
    /// Sends awaiting their reply, by id (ids grow with time, so the first times out first).
    pending: BTreeMap<u64, Pending>,
    pacer: Option<Pacer>,
    /// The earliest time a paced, queued message may go.
    paced_until: Option<Instant>,
    keepalive: Keepalive,
    /// The time origin of ping `time` fields.
    origin: Option<Instant>,
}

/// The longest wait the core schedules (about 31 years): a longer configured duration, or one
/// that would overflow the clock, is clamped so that every timed state keeps a deadline.
const FAR: Duration = Duration::from_secs(1_000_000_000);

fn after(now: Instant, d: Duration) -> Option<Instant> {
    now.checked_add(d.min(FAR))
        .or_else(|| now.checked_add(FAR / 1000))
}

fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

impl Client {
    /// A client with a checked configuration.
    pub fn new(config: Config) -> Result<Client, ConfigError> {
        config.validate()?;
        Ok(Client {
            jitter: Jitter::new(config.seed),
            pacer: config.pacing.map(Pacer::new),
            config,
            phase: Phase::Disconnected,
            options: None,
            info: None,
            start_pending: false,
            next_id: 1,
            next_conn: 1,
            failures: 0,
            reconnect_free: false,
            queue: VecDeque::new(),
            pending: BTreeMap::new(),
            paced_until: None,
            keepalive: Keepalive::default(),
            origin: None,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The state, as the reference client names it.
    pub fn state(&self) -> State {
        match self.phase {
            Phase::Disconnected | Phase::Closed => State::Disconnected,
            Phase::Authenticating { .. } => State::Connecting(Connecting::Authenticating),
            Phase::Handshaking { opened: false, .. } => {
                State::Connecting(Connecting::Authenticated)
            }
            Phase::Handshaking { opened: true, .. } => State::Connecting(Connecting::Handshaking),
            Phase::Resuming { .. } => State::Connected(Connected::Resuming),
            Phase::Ready { .. } => State::Connected(Connected::Ready),
            Phase::Disconnecting { .. } => State::Disconnecting,
            Phase::Reconnecting { .. } => State::Reconnecting,
        }
    }

    /// Whether a session is live (`connected`).
    pub fn is_connected(&self) -> bool {
        matches!(self.state(), State::Connected(_))
    }

    /// Whether the current attempt has authenticated: from the web call's success until the
    /// session ends (`authenticated`).
    pub fn is_authenticated(&self) -> bool {
        matches!(
            self.phase,
            Phase::Handshaking { .. } | Phase::Resuming { .. } | Phase::Ready { .. }
        )
    }

    /// Whether the client was shut down.
    pub fn is_closed(&self) -> bool {
        matches!(self.phase, Phase::Closed)
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
        self.queue.len()
    }

    /// Sends written and awaiting their reply.
    pub fn awaiting_reply(&self) -> usize {
        self.pending.len()
    }

    /// The id the next frame will carry.
    pub fn next_message_id(&self) -> u64 {
        self.next_id
    }

    /// When to feed [`Input::Tick`] next; `None` when nothing is timed.
    pub fn next_deadline(&self) -> Option<Instant> {
        let phase = match &self.phase {
            Phase::Authenticating { deadline, .. }
            | Phase::Handshaking { deadline, .. }
            | Phase::Disconnecting { deadline, .. } => *deadline,
            Phase::Resuming { deadline, .. } => earliest(*deadline, self.keepalive_deadline()),
            Phase::Ready { .. } => earliest(self.keepalive_deadline(), self.paced_until),
            Phase::Reconnecting { at } => *at,
            Phase::Disconnected | Phase::Closed => None,
        };
        let reply = self.pending.values().next().and_then(|p| p.deadline);
        earliest(phase, reply)
    }

    fn keepalive_deadline(&self) -> Option<Instant> {
        match self.keepalive.ping {
            Some((_, pong_deadline)) => pong_deadline,
            None => self
                .keepalive
                .last_out
                .and_then(|t| after(t, self.config.client_ping_timeout)),
        }
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
            Input::Disconnect => self.disconnect(now, out),
            Input::Shutdown => {
                self.shutdown(out);
                true
            }
            Input::Send(send) => {
                self.send(now, send, out);
                true
            }
            Input::WebApiResult { conn, result } => self.web_result(now, conn, result, out),
            Input::WsOpened { conn } => match &mut self.phase {
                Phase::Handshaking {
                    conn: c, opened, ..
                } if *c == conn && !*opened => {
                    *opened = true;
                    true
                }
                _ => false,
            },
            Input::WsText { conn, text } => self.frame(now, conn, text, out),
            Input::WsBinary { conn, len } => {
                let live = self.socket() == Some(conn);
                if live {
                    out.push(Action::Emit(Event::Error(RtmError::UnexpectedBinary {
                        len,
                    })));
                }
                live
            }
            Input::WsClosed { conn, code, reason } => self.ws_closed(now, conn, code, reason, out),
            Input::WsRefused { conn, reason } => match self.phase {
                Phase::Handshaking {
                    conn: c,
                    opened: false,
                    ..
                } if c == conn => {
                    self.end(Some(RtmError::Refused { reason }), out);
                    true
                }
                _ => false,
            },
            Input::TransportFatal { conn, reason } => match self.phase {
                Phase::Authenticating { conn: c, .. }
                | Phase::Handshaking {
                    conn: c,
                    opened: false,
                    ..
                } if c == conn => {
                    self.end(Some(RtmError::Transport { message: reason }), out);
                    true
                }
                _ => false,
            },
            Input::WsError { conn, message } => self.ws_error(now, conn, message, out),
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

    /// The attempt whose socket is in use, if any.
    fn socket(&self) -> Option<ConnId> {
        match self.phase {
            Phase::Handshaking { conn, .. }
            | Phase::Resuming { conn, .. }
            | Phase::Ready { conn, .. }
            | Phase::Disconnecting { conn, .. } => Some(conn),
            _ => None,
        }
    }

    // ---- user commands ----

    fn start(&mut self, now: Instant, options: StartOptions, out: &mut Vec<Action>) {
        match &mut self.phase {
            Phase::Closed => {
                out.push(Action::StartSettled(Err(RtmError::Disconnected)));
            }
            Phase::Disconnected => {
                self.options = Some(options);
                self.start_pending = true;
                self.failures = 0;
                self.reconnect_free = false;
                self.attempt(now, out);
            }
            Phase::Disconnecting { restart, .. } => {
                *restart = Some(options);
                self.start_pending = true;
            }
            Phase::Ready { .. } => match &self.info {
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

    fn disconnect(&mut self, now: Instant, out: &mut Vec<Action>) -> bool {
        match &mut self.phase {
            Phase::Disconnected | Phase::Closed => false,
            Phase::Disconnecting { restart, .. } => {
                // A disconnect after a start that waits for the close cancels that start.
                if restart.take().is_some() {
                    self.settle_start(Err(RtmError::Disconnected), out);
                }
                true
            }
            Phase::Authenticating { .. } | Phase::Reconnecting { .. } => {
                out.push(Action::Emit(Event::Disconnecting));
                self.end(None, out);
                true
            }
            Phase::Handshaking { conn, .. }
            | Phase::Resuming { conn, .. }
            | Phase::Ready { conn, .. } => {
                let conn = *conn;
                out.push(Action::Emit(Event::Disconnecting));
                out.push(Action::CloseWebSocket { conn, code: 1000 });
                // A start still under way fails now: the user asked to stop. (Only a start
                // made while closing, kept in `restart`, outlives the close.)
                self.settle_start(Err(RtmError::Disconnected), out);
                self.phase = Phase::Disconnecting {
                    conn,
                    deadline: after(now, self.config.close_timeout),
                    restart: None,
                };
                true
            }
        }
    }

    fn shutdown(&mut self, out: &mut Vec<Action>) {
        if let Some(conn) = self.socket() {
            out.push(Action::DropWebSocket { conn });
        }
        let was_live = !matches!(self.phase, Phase::Disconnected | Phase::Closed);
        for (_, p) in std::mem::take(&mut self.pending) {
            out.push(Action::Settle {
                handle: p.handle,
                result: Err(SendError::ClientClosed),
            });
        }
        for q in std::mem::take(&mut self.queue) {
            out.push(Action::Settle {
                handle: q.handle,
                result: Err(SendError::ClientClosed),
            });
        }
        self.settle_start(Err(RtmError::Disconnected), out);
        if was_live {
            out.push(Action::Emit(Event::Disconnected { error: None }));
        }
        self.keepalive = Keepalive::default();
        self.paced_until = None;
        self.phase = Phase::Closed;
    }

    fn send(&mut self, now: Instant, send: Outgoing, out: &mut Vec<Action>) {
        let handle = send.handle;
        let refuse = |out: &mut Vec<Action>, e: SendError| {
            out.push(Action::Settle {
                handle,
                result: Err(e),
            })
        };
        if matches!(self.phase, Phase::Closed) {
            return refuse(out, SendError::ClientClosed);
        }
        let prepared = match Prepared::new(&send, &self.config) {
            Ok(p) => p,
            Err(e) => return refuse(out, e),
        };
        match send.mode {
            SendMode::Immediate => {
                let conn = match self.phase {
                    Phase::Ready { conn, .. } => conn,
                    Phase::Resuming { .. } => return refuse(out, SendError::NotReady),
                    _ => return refuse(out, SendError::NotConnected),
                };
                if let (Some(pacer), Some(channel)) = (&mut self.pacer, &prepared.paced_channel) {
                    if let Err(at) = pacer.check(channel, now) {
                        return refuse(
                            out,
                            SendError::Paced {
                                retry_after: at.saturating_duration_since(now),
                            },
                        );
                    }
                    pacer.take(channel, now);
                }
                self.write(now, conn, prepared, out);
            }
            SendMode::Queued { .. } => {
                if self.queue.len() >= self.config.queue_limit {
                    return refuse(
                        out,
                        SendError::QueueFull {
                            limit: self.config.queue_limit,
                        },
                    );
                }
                self.queue.push_back(prepared);
                if matches!(self.phase, Phase::Ready { .. }) {
                    self.flush(now, out);
                }
            }
        }
    }

    // ---- writing ----

    fn write(&mut self, now: Instant, conn: ConnId, p: Prepared, out: &mut Vec<Action>) {
        // The exact size, now that the id is known (the check on arrival assumed the shortest).
        let size = p.size(self.next_id);
        if size > self.config.max_frame_bytes {
            out.push(Action::Settle {
                handle: p.handle,
                result: Err(SendError::TooLarge {
                    size,
                    limit: self.config.max_frame_bytes,
                }),
            });
            return;
        }
        let id = self.take_id();
        let text = p.frame(id);
        if self.config.emit_outgoing {
            out.push(Action::Emit(Event::OutgoingMessage {
                id,
                frame: text.clone(),
            }));
        }
        out.push(Action::SendText { conn, text });
        self.keepalive.last_out = Some(now);
        if p.await_reply {
            let deadline = self.config.reply_timeout.and_then(|t| after(now, t));
            self.pending.insert(
                id,
                Pending {
                    handle: p.handle,
                    deadline,
                },
            );
        } else {
            out.push(Action::Settle {
                handle: p.handle,
                result: Ok(Sent::Written { id }),
            });
        }
    }

    fn take_id(&mut self) -> u64 {
        let id = self.next_id;
        // 2^64 frames would take millennia; saturating keeps "never repeats" honest without a panic.
        self.next_id = self.next_id.saturating_add(1);
        id
    }

    /// Writes what the queue and the pacing allow (only when ready).
    fn flush(&mut self, now: Instant, out: &mut Vec<Action>) {
        let Phase::Ready { conn, .. } = self.phase else {
            return;
        };
        self.paced_until = None;
        for _ in 0..self.queue.len() {
            let Some(q) = self.queue.pop_front() else {
                break;
            };
            if let (Some(pacer), Some(channel)) = (&mut self.pacer, &q.paced_channel) {
                if let Err(at) = pacer.check(channel, now) {
                    // Wait for this channel; other channels go on (no head-of-line blocking).
                    self.paced_until = earliest(self.paced_until, Some(at));
                    self.queue.push_back(q);
                    continue;
                }
                pacer.take(channel, now);
            }
            self.write(now, conn, q, out);
        }
    }

    fn ping(&mut self, now: Instant, conn: ConnId, out: &mut Vec<Action>) {
        let id = self.take_id();
        let time = now
            .saturating_duration_since(self.origin.unwrap_or(now))
            .as_millis();
        out.push(Action::SendText {
            conn,
            text: format!(r#"{{"id":{id},"type":"ping","time":{time}}}"#),
        });
        self.keepalive.last_out = Some(now);
        self.keepalive.ping = Some((id, after(now, self.config.server_pong_timeout)));
    }

    // ---- connection attempts ----

    fn attempt(&mut self, now: Instant, out: &mut Vec<Action>) {
        let Some(options) = self.options.clone() else {
            // Unreachable by construction (attempts follow a start); end rather than hang.
            self.end(Some(RtmError::Disconnected), out);
            return;
        };
        let conn = ConnId(self.next_conn);
        self.next_conn += 1;
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
        self.phase = Phase::Authenticating {
            conn,
            deadline: after(now, self.config.web_call_timeout),
        };
    }

    fn web_result(
        &mut self,
        now: Instant,
        conn: ConnId,
        result: Result<crate::io::WebResponse, String>,
        out: &mut Vec<Action>,
    ) -> bool {
        match self.phase {
            Phase::Authenticating { conn: c, .. } if c == conn => {}
            _ => return false,
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
                self.keepalive = Keepalive::default();
                self.phase = Phase::Handshaking {
                    conn,
                    opened: false,
                    deadline: after(now, self.config.hello_timeout),
                };
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
        if !error.is_recoverable() {
            return self.end(Some(error), out);
        }
        if live_since.is_some() && !self.config.auto_reconnect {
            return self.end(Some(error), out);
        }
        // A session that lived a while is lost: reconnect at once. One that died young counts
        // as a failed attempt, so a server that accepts and drops can never make us spin.
        let stable = live_since
            .is_some_and(|t| now.saturating_duration_since(t) >= self.config.retry.initial_delay);
        if stable {
            self.failures = 0;
            self.reconnect_free = true;
        }
        self.failures = self.failures.saturating_add(1);
        // Attempts that failed in this episode (the loss of a stable session is not one).
        let failed = self.failures - u32::from(self.reconnect_free);
        if let Some(max) = self.config.retry.max_retries
            && failed > max
        {
            let attempts = failed;
            return self.end(
                Some(RtmError::RetriesExhausted {
                    attempts,
                    last: Box::new(error),
                }),
                out,
            );
        }
        let mut delay = if stable {
            Duration::ZERO
        } else {
            self.jitter.delay(&self.config.retry, self.failures)
        };
        if let RtmError::RateLimited {
            retry_after: Some(ra),
        } = &error
        {
            delay = delay.max(*ra);
        }
        out.push(Action::Emit(Event::Reconnecting {
            attempt: self.failures,
            delay,
            reason: error,
        }));
        if delay.is_zero() {
            self.attempt(now, out);
        } else {
            self.phase = Phase::Reconnecting {
                at: after(now, delay),
            };
        }
    }

    /// The socket in use is lost: let go of it (unless it is already gone), then retry.
    fn lost(&mut self, now: Instant, error: RtmError, socket_gone: bool, out: &mut Vec<Action>) {
        let live_since = match self.phase {
            Phase::Resuming { since, .. } | Phase::Ready { since, .. } => Some(since),
            _ => None,
        };
        if let (Some(conn), false) = (self.socket(), socket_gone) {
            out.push(Action::DropWebSocket { conn });
        }
        self.keepalive = Keepalive::default();
        self.paced_until = None;
        self.phase = Phase::Disconnected;
        self.retry(now, error, live_since, out);
    }

    /// The session ends: awaited replies fail, queued sends stay for the next start.
    fn end(&mut self, error: Option<RtmError>, out: &mut Vec<Action>) {
        self.fail_pending(NoReplyReason::SessionEnded, out);
        if let Some(e) = &error
            && self.start_pending
        {
            out.push(Action::Emit(Event::UnableToRtmStart(e.clone())));
        }
        self.settle_start(Err(error.clone().unwrap_or(RtmError::Disconnected)), out);
        out.push(Action::Emit(Event::Disconnected { error }));
        self.keepalive = Keepalive::default();
        self.paced_until = None;
        self.phase = Phase::Disconnected;
    }

    fn settle_start(&mut self, result: Result<Arc<ConnectInfo>, RtmError>, out: &mut Vec<Action>) {
        if std::mem::take(&mut self.start_pending) {
            out.push(Action::StartSettled(result));
        }
    }

    fn fail_pending(&mut self, reason: NoReplyReason, out: &mut Vec<Action>) {
        for (id, p) in std::mem::take(&mut self.pending) {
            out.push(Action::Settle {
                handle: p.handle,
                result: Err(SendError::NoReply { id, reason }),
            });
        }
    }

    fn ready(&mut self, now: Instant, conn: ConnId, since: Instant, out: &mut Vec<Action>) {
        self.phase = Phase::Ready { conn, since };
        out.push(Action::Emit(Event::Ready));
        if let Some(info) = self.info.clone() {
            self.settle_start(Ok(info), out);
        }
        self.flush(now, out);
    }

    // ---- the socket ----

    fn frame(&mut self, now: Instant, conn: ConnId, text: String, out: &mut Vec<Action>) -> bool {
        if self.socket() != Some(conn) {
            return false;
        }
        let event = match frame::parse(text) {
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
            self.reply(now, reply_to, event.raw(), out);
        }
        if matches!(self.phase, Phase::Disconnecting { .. }) {
            out.push(Action::Emit(Event::Slack(event)));
            return true;
        }
        enum Then {
            Nothing,
            Hello,
            Lost(RtmError),
        }
        let then = match (event.event_type(), event.reply_to()) {
            (Some("hello"), _) => Then::Hello,
            (Some("goodbye"), _) => Then::Lost(RtmError::Goodbye),
            (Some("team_migration_started"), _) => Then::Lost(RtmError::TeamMigration),
            (Some("error"), None) => {
                let (code, msg) = frame::error_frame(event.raw());
                Then::Lost(RtmError::Server { code, msg })
            }
            _ => Then::Nothing,
        };
        out.push(Action::Emit(Event::Slack(event)));
        match then {
            Then::Nothing => {}
            Then::Hello => self.hello(now, conn, out),
            Then::Lost(e) => {
                if let RtmError::Server { .. } = e {
                    out.push(Action::Emit(Event::Error(e.clone())));
                }
                self.lost(now, e, false, out);
            }
        }
        true
    }

    fn reply(&mut self, now: Instant, reply_to: u64, raw: &str, out: &mut Vec<Action>) {
        if let Some((ping, _)) = self.keepalive.ping
            && reply_to >= ping
        {
            self.keepalive.ping = None;
        }
        if let Some(p) = self.pending.remove(&reply_to) {
            let result = match frame::reply(reply_to, raw) {
                Ok(reply) => Ok(Sent::Replied(reply)),
                Err((code, msg)) => Err(SendError::Platform {
                    id: reply_to,
                    code,
                    msg,
                    raw: raw.to_owned(),
                }),
            };
            out.push(Action::Settle {
                handle: p.handle,
                result,
            });
        }
        if let Phase::Resuming { conn, since, .. } = self.phase
            && self.pending.is_empty()
        {
            self.ready(now, conn, since, out);
        }
    }

    fn hello(&mut self, now: Instant, conn: ConnId, out: &mut Vec<Action>) {
        if !matches!(self.phase, Phase::Handshaking { .. }) {
            return;
        }
        out.push(Action::Emit(Event::Connected));
        self.keepalive = Keepalive {
            last_out: Some(now),
            ping: None,
        };
        if self.pending.is_empty() {
            self.ready(now, conn, now, out);
        } else {
            self.phase = Phase::Resuming {
                conn,
                since: now,
                deadline: after(now, self.config.reply_ack_on_reconnect_timeout),
            };
        }
    }

    fn ws_closed(
        &mut self,
        now: Instant,
        conn: ConnId,
        code: u16,
        reason: String,
        out: &mut Vec<Action>,
    ) -> bool {
        if self.socket() != Some(conn) {
            return false;
        }
        if let Phase::Disconnecting { .. } = self.phase {
            self.finish_disconnect(now, false, out);
        } else {
            self.lost(now, RtmError::Closed { code, reason }, true, out);
        }
        true
    }

    fn ws_error(
        &mut self,
        now: Instant,
        conn: ConnId,
        message: String,
        out: &mut Vec<Action>,
    ) -> bool {
        if self.socket() != Some(conn) {
            return false;
        }
        let error = RtmError::Websocket { message };
        out.push(Action::Emit(Event::Error(error.clone())));
        if let Phase::Disconnecting { .. } = self.phase {
            self.finish_disconnect(now, true, out);
        } else {
            self.lost(now, error, false, out);
        }
        true
    }

    fn finish_disconnect(&mut self, now: Instant, drop_socket: bool, out: &mut Vec<Action>) {
        let Phase::Disconnecting { conn, restart, .. } =
            std::mem::replace(&mut self.phase, Phase::Disconnected)
        else {
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
            self.failures = 0;
            self.reconnect_free = false;
            self.attempt(now, out);
        }
    }

    // ---- time ----

    fn tick(&mut self, now: Instant, out: &mut Vec<Action>) {
        // Replies that waited too long.
        while let Some((&id, p)) = self.pending.first_key_value() {
            match p.deadline {
                Some(d) if d <= now => {
                    let handle = p.handle;
                    self.pending.remove(&id);
                    out.push(Action::Settle {
                        handle,
                        result: Err(SendError::NoReply {
                            id,
                            reason: NoReplyReason::Timeout,
                        }),
                    });
                }
                _ => break,
            }
        }
        let due = |d: Option<Instant>| d.is_some_and(|d| d <= now);
        match self.phase {
            Phase::Authenticating { deadline, .. } if due(deadline) => {
                self.retry(now, RtmError::WebCallTimeout, None, out);
            }
            Phase::Handshaking { deadline, .. } if due(deadline) => {
                self.lost(now, RtmError::HelloTimeout, false, out);
            }
            Phase::Disconnecting { deadline, .. } if due(deadline) => {
                self.finish_disconnect(now, true, out);
            }
            Phase::Reconnecting { at } if due(at) => self.attempt(now, out),
            Phase::Resuming {
                conn,
                since,
                deadline,
            } => {
                if due(deadline) {
                    self.fail_pending(NoReplyReason::ConnectionLost, out);
                    self.ready(now, conn, since, out);
                }
                self.keepalive_tick(now, out);
            }
            Phase::Ready { .. } => {
                if due(self.paced_until) {
                    self.flush(now, out);
                }
                self.keepalive_tick(now, out);
            }
            _ => {}
        }
        // In Resuming, a reply may have emptied the pending set by timing out above.
        if let Phase::Resuming { conn, since, .. } = self.phase
            && self.pending.is_empty()
        {
            self.ready(now, conn, since, out);
        }
    }

    fn keepalive_tick(&mut self, now: Instant, out: &mut Vec<Action>) {
        let Some(conn) = self.socket() else { return };
        match self.keepalive.ping {
            Some((_, deadline)) if deadline.is_some_and(|d| d <= now) => {
                self.lost(now, RtmError::PongTimeout, false, out);
            }
            Some(_) => {}
            None => {
                let quiet_until = self
                    .keepalive
                    .last_out
                    .and_then(|t| after(t, self.config.client_ping_timeout));
                if quiet_until.is_some_and(|d| d <= now) {
                    self.ping(now, conn, out);
                }
            }
        }
    }
}
