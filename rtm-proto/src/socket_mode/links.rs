//! The sockets: the web call's answer, frames, `hello` and the overlapping refresh, losses
//! and retries, and time.

use std::sync::Arc;
use std::time::Instant;

use super::acks::Receipt;
use super::{Drain, Link, Role, SocketModeClient, SocketModeError, SocketModeEvent};
use crate::action::Action;
use crate::ids::ConnId;
use crate::input::WebResponse;
use crate::keepalive::Due;
use crate::session::{Next, Phase, Timeout};
use crate::socket_mode_wire::event::RefreshReason;
use crate::socket_mode_wire::frame::{self, DisconnectReason, Envelope, Frame, Hello};
use crate::time::after;

impl SocketModeClient {
    pub(super) fn web_result(
        &mut self,
        now: Instant,
        conn: ConnId,
        result: Result<WebResponse, crate::TransportError>,
        out: &mut Vec<Action>,
    ) -> bool {
        let role = match self.role(conn) {
            Some(r @ (Role::Primary | Role::Replacement))
                if self.engine(r).authenticating() == Some(conn) =>
            {
                r
            }
            _ => return false,
        };
        let debug = self.config.debug_reconnects;
        match result
            .map_err(|error| SocketModeError::Request { error })
            .and_then(|resp| super::connect::read(resp, debug))
        {
            Ok(url) => {
                out.push(Action::OpenWebSocket { conn, url });
                self.engine(role).authenticated(now, conn);
            }
            Err(e) => self.retry(now, role, e, None, out),
        }
        true
    }

    /// Any inbound frame proves the socket alive: the idle deadline restarts and an
    /// outstanding ping counts as answered.
    pub(super) fn inbound(&mut self, now: Instant, conn: ConnId) -> bool {
        let Some(role) = self.role(conn) else {
            return false;
        };
        // A web call under way has no socket that could have sent anything.
        if role != Role::Drain && self.engine(role).socket() != Some(conn) {
            return false;
        }
        if role == Role::Primary
            && let Some((c, keepalive, link)) = self.primary.live_mut()
            && c == conn
        {
            keepalive.replied(u64::MAX);
            link.last_inbound = now;
        }
        true
    }

    pub(super) fn frame(
        &mut self,
        now: Instant,
        conn: ConnId,
        text: String,
        out: &mut Vec<Action>,
    ) -> bool {
        if !self.inbound(now, conn) {
            return false;
        }
        let Some(role) = self.role(conn) else {
            return false;
        };
        match frame::read(conn, text) {
            Err(e) => Self::emit(out, SocketModeEvent::Error(e)),
            Ok(Frame::Hello(hello)) => self.on_hello(now, role, hello, out),
            Ok(Frame::Disconnect(reason)) => {
                Self::emit(out, SocketModeEvent::Disconnect { conn, reason });
                match (reason, role) {
                    (DisconnectReason::LinkDisabled, _) => {
                        self.end(Some(SocketModeError::LinkDisabled), out)
                    }
                    (DisconnectReason::Warning, Role::Primary) => {
                        self.refresh(now, RefreshReason::Warning, out)
                    }
                    (DisconnectReason::RefreshRequested, Role::Primary) => {
                        self.refresh(now, RefreshReason::RefreshRequested, out)
                    }
                    // The replaced socket is going anyway; a replacement's own refresh
                    // waits until it is in use.
                    _ => {}
                }
            }
            Ok(Frame::Envelope(env)) => self.envelope(now, env, out),
        }
        true
    }

    fn envelope(&mut self, now: Instant, env: Envelope, out: &mut Vec<Action>) {
        match self.acks.receive(now, &env) {
            Receipt::Deliver { ack_now } => {
                // Ack first, then hand over: a slow handler cannot miss Slack's 3 s.
                if ack_now {
                    let ack = frame::ack(env.envelope_id(), None);
                    self.write(now, env.conn(), ack, out);
                }
                Self::emit(out, SocketModeEvent::Envelope(env));
            }
            Receipt::Duplicate { ack_now } => {
                if ack_now {
                    let ack = frame::ack(env.envelope_id(), None);
                    self.write(now, env.conn(), ack, out);
                }
                Self::emit(
                    out,
                    SocketModeEvent::Redelivered {
                        envelope_id: env.envelope_id().to_owned(),
                        retry_attempt: env.retry_attempt(),
                    },
                );
            }
        }
    }

    fn on_hello(&mut self, now: Instant, role: Role, hello: Hello, out: &mut Vec<Action>) {
        let conn = hello.conn;
        if role == Role::Drain || !self.engine(role).awaits_hello(conn) {
            return;
        }
        let hello = Arc::new(hello);
        let refresh_at = hello
            .approximate_connection_time
            .filter(|t| *t > self.config.refresh_lead)
            .map(|t| after(now, t - self.config.refresh_lead));
        let link = Link {
            hello: hello.clone(),
            last_inbound: now,
            refresh_at,
        };
        self.engine(role).hello(now, link);
        if role == Role::Replacement {
            // The replacement is in use from now on; the old socket is read until its
            // drain ends, so nothing sent on it meanwhile is lost.
            std::mem::swap(&mut self.primary, &mut self.replacement);
            let old = self.replacement.socket();
            self.replacement.end();
            if let Some(old) = old {
                self.drain = Some(Drain {
                    conn: old,
                    deadline: after(now, self.config.drain_timeout),
                    closing: false,
                });
                Self::emit(out, SocketModeEvent::Refreshed { old, new: conn });
            }
        }
        self.hello = Some(hello.clone());
        Self::emit(out, SocketModeEvent::Connected(hello.clone()));
        self.settle_start(Ok(hello), out);
    }

    /// Opens a replacement beside the live socket (unless one is on its way; after the
    /// drain of the previous one, so never more than two sockets).
    pub(super) fn refresh(&mut self, now: Instant, reason: RefreshReason, out: &mut Vec<Action>) {
        if let Some((_, _, link)) = self.primary.live_mut() {
            link.refresh_at = None;
        } else {
            return;
        }
        if self.is_refreshing() {
            return;
        }
        if self.drain.is_some() {
            self.refresh_wanted = Some(reason);
            return;
        }
        Self::emit(out, SocketModeEvent::Refreshing { reason });
        self.replacement.restart_episode();
        self.attempt(now, Role::Replacement, out);
    }

    /// A socket closed or failed.
    pub(super) fn socket_ended(
        &mut self,
        now: Instant,
        conn: ConnId,
        error: SocketModeError,
        out: &mut Vec<Action>,
    ) -> bool {
        let Some(role) = self.role(conn) else {
            return false;
        };
        if self.engine(role).authenticating() == Some(conn) && role != Role::Drain {
            // No socket yet under this id: a stray report.
            return false;
        }
        let failed = matches!(error, SocketModeError::Websocket { .. });
        if failed {
            Self::emit(out, SocketModeEvent::Error(error.clone()));
        }
        match role {
            Role::Drain => {
                if failed {
                    out.push(Action::DropWebSocket { conn });
                }
                self.drain_ended(now, out);
            }
            Role::Replacement => self.lost(now, Role::Replacement, error, !failed, out),
            Role::Primary if matches!(self.primary.phase(), Phase::Closing { .. }) => {
                self.finish_disconnect(now, failed, out)
            }
            Role::Primary if self.is_refreshing() => {
                // The replacement is already on its way: it takes over, with no new attempt
                // and no backoff.
                if failed {
                    out.push(Action::DropWebSocket { conn });
                }
                std::mem::swap(&mut self.primary, &mut self.replacement);
                self.replacement.end();
            }
            Role::Primary => self.lost(now, Role::Primary, error, !failed, out),
        }
        true
    }

    /// A refused URL or a fatal transport failure: for good on the connection in use; a
    /// replacement's only ends the refresh.
    pub(super) fn fatal(
        &mut self,
        now: Instant,
        conn: ConnId,
        error: SocketModeError,
        out: &mut Vec<Action>,
    ) -> bool {
        match self.role(conn) {
            Some(Role::Primary) if self.live_conn().is_none() => {
                self.end(Some(error), out);
                true
            }
            Some(Role::Replacement) => {
                if let Some(c) = self.replacement.socket() {
                    out.push(Action::DropWebSocket { conn: c });
                }
                self.replacement.end();
                Self::emit(out, SocketModeEvent::Error(error));
                let _ = now;
                true
            }
            _ => false,
        }
    }

    fn drain_ended(&mut self, now: Instant, out: &mut Vec<Action>) {
        self.drain = None;
        if let Some(reason) = self.refresh_wanted.take() {
            self.refresh(now, reason, out);
        }
    }

    fn finish_disconnect(&mut self, now: Instant, drop_socket: bool, out: &mut Vec<Action>) {
        let Some((conn, restart)) = self.primary.closed() else {
            return;
        };
        if drop_socket {
            out.push(Action::DropWebSocket { conn });
        }
        let start_pending = std::mem::take(&mut self.start_pending);
        self.end(None, out);
        if let Some(options) = restart {
            self.start_pending = start_pending;
            self.options = Some(options);
            self.primary.restart_episode();
            self.attempt(now, Role::Primary, out);
        }
    }

    /// The socket of `role` is lost: let go of it (unless gone), then retry.
    fn lost(
        &mut self,
        now: Instant,
        role: Role,
        error: SocketModeError,
        socket_gone: bool,
        out: &mut Vec<Action>,
    ) {
        let engine = self.engine(role);
        if let (Some(conn), false) = (engine.socket(), socket_gone) {
            out.push(Action::DropWebSocket { conn });
        }
        let live_since = engine.lose();
        self.retry(now, role, error, live_since, out);
    }

    fn retry(
        &mut self,
        now: Instant,
        role: Role,
        error: SocketModeError,
        live_since: Option<Instant>,
        out: &mut Vec<Action>,
    ) {
        let retry_after = match error {
            SocketModeError::RateLimited { retry_after } => retry_after,
            _ => None,
        };
        let recoverable = error.is_recoverable();
        let next = self
            .engine(role)
            .retry(now, recoverable, live_since, retry_after);
        let ended = match next {
            Next::End => Some(error),
            Next::GiveUp { failed, .. } => Some(SocketModeError::RetriesExhausted {
                attempts: failed,
                last: Box::new(error),
            }),
            Next::Reconnect { attempt, delay } => {
                if role == Role::Primary {
                    Self::emit(
                        out,
                        SocketModeEvent::Reconnecting {
                            attempt,
                            delay,
                            reason: error,
                        },
                    );
                } else {
                    Self::emit(out, SocketModeEvent::Error(error));
                }
                if delay.is_zero() {
                    self.attempt(now, role, out);
                }
                None
            }
        };
        match (ended, role) {
            (Some(e), Role::Primary) => self.end(Some(e), out),
            // A refresh that cannot be made leaves the socket in use; losing it reconnects.
            (Some(e), _) => {
                self.replacement.end();
                Self::emit(out, SocketModeEvent::Error(e));
            }
            (None, _) => {}
        }
    }

    // ---- time ----

    pub(super) fn tick(&mut self, now: Instant, out: &mut Vec<Action>) {
        for envelope_id in self.acks.late(now) {
            Self::emit(out, SocketModeEvent::AckLate { envelope_id });
        }
        if let Some(d) = self.drain
            && d.deadline <= now
        {
            if d.closing {
                out.push(Action::DropWebSocket { conn: d.conn });
                self.drain_ended(now, out);
            } else {
                out.push(Action::CloseWebSocket {
                    conn: d.conn,
                    code: 1000,
                });
                self.drain = Some(Drain {
                    closing: true,
                    deadline: after(now, self.config.close_timeout),
                    ..d
                });
            }
        }
        if let Some((_, _, link)) = self.primary.live_mut() {
            let idle = after(link.last_inbound, self.config.idle_timeout) <= now;
            let refresh = link.refresh_at.is_some_and(|t| t <= now);
            if idle {
                self.lost(now, Role::Primary, SocketModeError::IdleTimeout, false, out);
            } else if refresh {
                self.refresh(now, RefreshReason::Lifetime, out);
            }
        }
        match self.primary.due(now) {
            Some(Timeout::WebCall) => self.retry(
                now,
                Role::Primary,
                SocketModeError::WebCallTimeout,
                None,
                out,
            ),
            Some(Timeout::Hello) => self.lost(
                now,
                Role::Primary,
                SocketModeError::HelloTimeout,
                false,
                out,
            ),
            Some(Timeout::Close) => self.finish_disconnect(now, true, out),
            Some(Timeout::Retry) => self.attempt(now, Role::Primary, out),
            Some(Timeout::Keepalive(Due::Ping)) => {
                if let Some((conn, keepalive, _)) = self.primary.live_mut() {
                    self.ping_seq += 1;
                    keepalive.pinged(self.ping_seq, now);
                    out.push(Action::SendPing { conn });
                }
            }
            Some(Timeout::Keepalive(Due::Dead)) => {
                self.lost(now, Role::Primary, SocketModeError::PongTimeout, false, out)
            }
            None => {}
        }
        match self.replacement.due(now) {
            Some(Timeout::WebCall) => self.retry(
                now,
                Role::Replacement,
                SocketModeError::WebCallTimeout,
                None,
                out,
            ),
            Some(Timeout::Hello) => self.lost(
                now,
                Role::Replacement,
                SocketModeError::HelloTimeout,
                false,
                out,
            ),
            Some(Timeout::Retry) => self.attempt(now, Role::Replacement, out),
            // A replacement is never live or closing: it is promoted at `hello`.
            _ => {}
        }
    }
}
