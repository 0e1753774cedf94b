//! The session engine: the phases every WebSocket session of Slack goes through (web call →
//! socket → `hello` → live → reconnect), their deadlines, keepalive, the retry episode, and
//! closing from every phase. It knows nothing of a protocol's frames: a client type (RTM's
//! [`Client`](crate::Client), or another protocol's) drives it, tells it what happened, and
//! turns its answers into actions and events.
//!
//! `L` is what the protocol keeps about a live socket (dropped with the socket, so nothing
//! per-socket outlives it); `O` is what `start()` was given (kept for a restart that arrives
//! while closing).

use std::time::{Duration, Instant};

use crate::config::RetryPolicy;
use crate::ids::ConnId;
use crate::keepalive::{Due, Keepalive};
use crate::retry::{Episode, Verdict};
use crate::time::{after, earliest};

/// The timings the engine enforces.
#[derive(Debug, Clone)]
pub(crate) struct Timings {
    pub(crate) web_call: Duration,
    pub(crate) hello: Duration,
    pub(crate) close: Duration,
    pub(crate) ping_after: Duration,
    pub(crate) pong_within: Duration,
    pub(crate) retry: RetryPolicy,
    pub(crate) auto_reconnect: bool,
}

/// One phase, with the data only it has. Every phase but `Idle`, `Closed` and `Live` has a
/// deadline; `Live` has its keepalive's.
#[derive(Debug)]
pub(crate) enum Phase<L, O> {
    /// No session.
    Idle,
    /// Shut down for good.
    Closed,
    /// The web call is under way.
    Authenticating { conn: ConnId, deadline: Instant },
    /// The web call succeeded; the socket is opening.
    Opening { conn: ConnId, deadline: Instant },
    /// The socket is open; waiting for `hello`.
    Handshaking { conn: ConnId, deadline: Instant },
    /// The server said `hello`.
    Live {
        conn: ConnId,
        since: Instant,
        keepalive: Keepalive,
        link: L,
    },
    /// Closing on `disconnect()`; `restart` is a `start()` that came meanwhile.
    Closing {
        conn: ConnId,
        deadline: Instant,
        restart: Option<O>,
    },
    /// Waiting to retry.
    Waiting { at: Instant },
}

/// A phase deadline that passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Timeout {
    WebCall,
    Hello,
    Close,
    Retry,
    /// The live socket's keepalive.
    Keepalive(Due),
}

/// What the engine decided after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    /// Not recoverable, or reconnecting is off: the session ends with the error.
    End,
    /// The retry budget is spent after `failed` attempts over `lasted`.
    GiveUp { failed: u32, lasted: Duration },
    /// Attempt again after `delay`; with a zero delay the caller begins it now.
    Reconnect { attempt: u32, delay: Duration },
}

/// What `start()` means in the current phase (the engine has done its part).
#[derive(Debug)]
pub(crate) enum Start<O> {
    /// Shut down for good: the start fails.
    Refused,
    /// Idle: a fresh retry episode; the caller keeps the options and begins an attempt.
    Begin(O),
    /// Closing: the engine keeps the options and the caller restarts once closed.
    AfterClose,
    /// Live: the protocol decides (settle at once if ready).
    Live(O),
    /// An attempt is under way: it settles with that one; later attempts use these options.
    UnderWay(O),
}

/// What `disconnect()` means in the current phase (the engine has done its part).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// Nothing to stop: settle at once.
    Stopped,
    /// Already closing; a `start()` that waited for the close was cancelled if `cancelled`.
    Closing { cancelled: bool },
    /// No socket (web call or backoff): the session ends now.
    EndNow,
    /// The socket `conn` closes (the caller writes the close frame) within the close timeout.
    Close(ConnId),
}

/// The session engine; see the module docs.
#[derive(Debug)]
pub(crate) struct Session<L, O> {
    phase: Phase<L, O>,
    timings: Timings,
    episode: Episode,
    next_conn: u64,
    /// Step between the ids this engine hands out: two engines of one client (Socket Mode's
    /// primary and replacement) take alternate ids, so theirs never collide.
    conn_step: u64,
}

impl<L, O> Session<L, O> {
    pub(crate) fn new(timings: Timings, seed: u64) -> Self {
        Session {
            phase: Phase::Idle,
            timings,
            episode: Episode::new(seed),
            next_conn: 1,
            conn_step: 1,
        }
    }

    /// An engine whose connection ids are `first`, `first + step`, ...
    pub(crate) fn with_conn_ids(mut self, first: u64, step: u64) -> Self {
        self.next_conn = first.max(1);
        self.conn_step = step.max(1);
        self
    }

    pub(crate) fn phase(&self) -> &Phase<L, O> {
        &self.phase
    }

    /// The socket in use (opening, open, live or closing), if any.
    pub(crate) fn socket(&self) -> Option<ConnId> {
        match self.phase {
            Phase::Opening { conn, .. }
            | Phase::Handshaking { conn, .. }
            | Phase::Live { conn, .. }
            | Phase::Closing { conn, .. } => Some(conn),
            _ => None,
        }
    }

    /// The live socket and what the protocol keeps about it.
    pub(crate) fn live_mut(&mut self) -> Option<(ConnId, &mut Keepalive, &mut L)> {
        match &mut self.phase {
            Phase::Live {
                conn,
                keepalive,
                link,
                ..
            } => Some((*conn, keepalive, link)),
            _ => None,
        }
    }

    /// The attempt whose web call is under way.
    pub(crate) fn authenticating(&self) -> Option<ConnId> {
        match self.phase {
            Phase::Authenticating { conn, .. } => Some(conn),
            _ => None,
        }
    }

    /// `start()`: the attempts from here on count against a fresh budget.
    pub(crate) fn restart_episode(&mut self) {
        self.episode.restart();
    }

    /// Begins an attempt: the caller makes its web call.
    pub(crate) fn begin(&mut self, now: Instant) -> ConnId {
        let conn = ConnId(self.next_conn);
        self.next_conn = self.next_conn.saturating_add(self.conn_step);
        self.phase = Phase::Authenticating {
            conn,
            deadline: after(now, self.timings.web_call),
        };
        conn
    }

    /// The web call of `conn` succeeded: the caller opens the socket.
    pub(crate) fn authenticated(&mut self, now: Instant, conn: ConnId) {
        if self.authenticating() == Some(conn) {
            self.phase = Phase::Opening {
                conn,
                deadline: after(now, self.timings.hello),
            };
        }
    }

    /// The socket of `conn` opened; false if it is not the one being opened.
    pub(crate) fn opened(&mut self, conn: ConnId) -> bool {
        match self.phase {
            Phase::Opening { conn: c, deadline } if c == conn => {
                self.phase = Phase::Handshaking { conn, deadline };
                true
            }
            _ => false,
        }
    }

    /// Whether a `hello` on `conn` is the one awaited (opening or handshaking: a server may
    /// speak before the transport reports the upgrade).
    pub(crate) fn awaits_hello(&self, conn: ConnId) -> bool {
        matches!(
            self.phase,
            Phase::Opening { conn: c, .. } | Phase::Handshaking { conn: c, .. } if c == conn
        )
    }

    /// The server said `hello` on the awaited socket: it is live, with `link`.
    pub(crate) fn hello(&mut self, now: Instant, link: L) {
        if let Phase::Opening { conn, .. } | Phase::Handshaking { conn, .. } = self.phase {
            // From now on, losing the session is retried within the reconnect budget.
            self.episode.ready();
            self.phase = Phase::Live {
                conn,
                since: now,
                keepalive: Keepalive::new(now, self.timings.ping_after, self.timings.pong_within),
                link,
            };
        }
    }

    /// `start()` with `options`, from every phase.
    pub(crate) fn start(&mut self, options: O) -> Start<O> {
        match self.phase {
            Phase::Closed => Start::Refused,
            Phase::Idle => {
                self.restart_episode();
                Start::Begin(options)
            }
            Phase::Closing { .. } => {
                self.set_restart(Some(options));
                Start::AfterClose
            }
            Phase::Live { .. } => Start::Live(options),
            _ => Start::UnderWay(options),
        }
    }

    /// `disconnect()`, from every phase.
    pub(crate) fn stop(&mut self, now: Instant) -> Stop {
        match self.phase {
            Phase::Idle | Phase::Closed => Stop::Stopped,
            Phase::Closing { .. } => Stop::Closing {
                cancelled: self.set_restart(None).is_some(),
            },
            Phase::Authenticating { .. } | Phase::Waiting { .. } => Stop::EndNow,
            Phase::Opening { .. } | Phase::Handshaking { .. } | Phase::Live { .. } => {
                match self.close(now) {
                    Some(conn) => Stop::Close(conn),
                    None => Stop::EndNow,
                }
            }
        }
    }

    /// `disconnect()` with a socket: the caller closes `conn`, which must end within the
    /// close timeout.
    pub(crate) fn close(&mut self, now: Instant) -> Option<ConnId> {
        let conn = match self.phase {
            Phase::Opening { conn, .. }
            | Phase::Handshaking { conn, .. }
            | Phase::Live { conn, .. } => conn,
            _ => return None,
        };
        self.phase = Phase::Closing {
            conn,
            deadline: after(now, self.timings.close),
            restart: None,
        };
        Some(conn)
    }

    /// While closing: the `start()` to make once closed (replacing an earlier one); returns
    /// the one it replaces.
    pub(crate) fn set_restart(&mut self, options: Option<O>) -> Option<O> {
        match &mut self.phase {
            Phase::Closing { restart, .. } => std::mem::replace(restart, options),
            _ => None,
        }
    }

    /// The close finished: back to idle; returns the socket and the `start()` that waited.
    pub(crate) fn closed(&mut self) -> Option<(ConnId, Option<O>)> {
        match std::mem::replace(&mut self.phase, Phase::Idle) {
            Phase::Closing { conn, restart, .. } => Some((conn, restart)),
            other => {
                self.phase = other;
                None
            }
        }
    }

    /// The session ends (no socket is left).
    pub(crate) fn end(&mut self) {
        self.phase = Phase::Idle;
    }

    /// Shut down for good.
    pub(crate) fn shut_down(&mut self) {
        self.phase = Phase::Closed;
    }

    /// The socket in use is lost: the phase is left (with what it held about the socket);
    /// returns when the session had become live, for [`retry`](Self::retry).
    pub(crate) fn lose(&mut self) -> Option<Instant> {
        let since = match self.phase {
            Phase::Live { since, .. } => Some(since),
            _ => None,
        };
        self.phase = Phase::Idle;
        since
    }

    /// An attempt failed, or a session was lost (`live_since`: when it had become live).
    /// Decides whether and when to try again; for a delayed retry the engine waits.
    pub(crate) fn retry(
        &mut self,
        now: Instant,
        recoverable: bool,
        live_since: Option<Instant>,
        retry_after: Option<Duration>,
    ) -> Next {
        if !recoverable || (live_since.is_some() && !self.timings.auto_reconnect) {
            return Next::End;
        }
        // A session that lived a while is lost: reconnect at once. One that died young counts
        // as a failed attempt, so a server that accepts and drops can never make us spin.
        let stable = live_since
            .is_some_and(|t| now.saturating_duration_since(t) >= self.timings.retry.initial_delay);
        match self
            .episode
            .failed(now, &self.timings.retry, stable, retry_after)
        {
            Verdict::GiveUp { failed, lasted } => Next::GiveUp { failed, lasted },
            Verdict::Retry { attempt, delay } => {
                if !delay.is_zero() {
                    self.phase = Phase::Waiting {
                        at: after(now, delay),
                    };
                }
                Next::Reconnect { attempt, delay }
            }
        }
    }

    /// The phase's next deadline (the live socket's: its keepalive).
    pub(crate) fn deadline(&self) -> Option<Instant> {
        match &self.phase {
            Phase::Authenticating { deadline, .. }
            | Phase::Opening { deadline, .. }
            | Phase::Handshaking { deadline, .. }
            | Phase::Closing { deadline, .. } => Some(*deadline),
            Phase::Waiting { at } => Some(*at),
            Phase::Live { keepalive, .. } => keepalive.deadline(),
            Phase::Idle | Phase::Closed => None,
        }
    }

    /// Which deadline of the phase has passed at `now`, if any.
    pub(crate) fn due(&self, now: Instant) -> Option<Timeout> {
        let due = |d: Instant| d <= now;
        match &self.phase {
            Phase::Authenticating { deadline, .. } if due(*deadline) => Some(Timeout::WebCall),
            Phase::Opening { deadline, .. } | Phase::Handshaking { deadline, .. }
                if due(*deadline) =>
            {
                Some(Timeout::Hello)
            }
            Phase::Closing { deadline, .. } if due(*deadline) => Some(Timeout::Close),
            Phase::Waiting { at } if due(*at) => Some(Timeout::Retry),
            Phase::Live { keepalive, .. } => keepalive.due(now).map(Timeout::Keepalive),
            _ => None,
        }
    }

    /// The caller stopped (`paused`) or resumed reading the socket `conn` at `now`; false if
    /// it is not the live socket.
    pub(crate) fn reading(&mut self, now: Instant, conn: ConnId, paused: bool) -> bool {
        if self.socket() != Some(conn) {
            return false;
        }
        // Before `hello` nothing is timed by what is read but the hello deadline, which
        // stands: a session that cannot be read cannot start.
        if let Some((_, keepalive, _)) = self.live_mut() {
            if paused {
                keepalive.pause(now);
            } else {
                keepalive.resume(now);
            }
        }
        true
    }

    /// The earliest of the phase's deadline and `other`.
    pub(crate) fn deadline_or(&self, other: Option<Instant>) -> Option<Instant> {
        earliest(self.deadline(), other)
    }
}
