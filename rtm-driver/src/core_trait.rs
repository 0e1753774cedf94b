//! What the driver needs of the sans-IO core it drives: one input at a time, the next
//! deadline, a status snapshot for the handles, and how to sort the core's own reports
//! (events for subscribers, the end of `start()`, ack results). The RTM client and the Socket
//! Mode client implement it; both speak the same [`Input`]/[`Action`] vocabulary and run on
//! the same driver loop and both adapters with no runtime code of their own.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rtm_proto::{
    AckError, Action, ConnectInfo, Event, Hello, Input, RtmError, SocketModeError, SocketModeEvent,
};

use crate::events::Subscribable;
use crate::status::{SocketModeStatus, Status};

/// One of the core's reports, sorted for the driver.
#[derive(Debug)]
pub enum Report<E, S> {
    /// For the subscribers (and the log).
    Event(E),
    /// Every pending `start()` completes with this.
    StartSettled(S),
    /// The oldest pending ack of this envelope completes with this.
    AckSettled {
        /// The envelope.
        envelope_id: String,
        /// Written, or why not.
        result: Result<(), AckError>,
    },
}

/// A sans-IO core, as the driver drives it.
pub trait Core: Send + 'static {
    /// What the handles read between inputs (refreshed after each one).
    type Status: Clone + Send + Sync + 'static;
    /// What subscribers receive.
    type Event: Subscribable + Clone;
    /// What `start()` completes with.
    type Started: Clone + Send + 'static;
    /// Why `start()` failed.
    type StartError: Clone + Send + 'static;

    /// How many sockets the core holds open at once: with 1, opening a socket drops any
    /// other (RTM); Socket Mode overlaps the old and the new during a refresh.
    const MAX_SOCKETS: usize;
    /// Whether WebSocket ping and pong frames are fed as [`Input::WsPing`] /
    /// [`Input::WsPong`] (Socket Mode's idle deadline counts them).
    const FEEDS_WS_CONTROL: bool;
    /// Bytes a socket reads at a time ([`websocket_config`](crate::websocket_config)).
    const WS_READ_BUFFER: usize;

    /// Handles one input at `now`, appending the actions to perform to `out`.
    fn handle_input(&mut self, now: Instant, input: Input, out: &mut Vec<Action>);

    /// When to feed [`Input::Tick`] next.
    fn next_deadline(&self) -> Option<Instant>;

    /// The status now.
    fn status(&self) -> Self::Status;

    /// Whether the status differs from `last` (asked after every input: make it cheap).
    fn status_changed(&self, last: &Self::Status) -> bool;

    /// Sorts an action the shared loop does not perform itself ([`Action::Emit`],
    /// [`Action::StartSettled`], [`Action::SocketMode`]); `None` for one this core never
    /// produces.
    #[allow(clippy::type_complexity)]
    fn report(
        action: Action,
    ) -> Option<Report<Self::Event, Result<Self::Started, Self::StartError>>>;

    /// Logs what an operator needs to follow a session; returns the name the client's span
    /// should take, when this event tells it (RTM: `TEAM/USER` once authenticated).
    fn log(event: &Self::Event) -> Option<String>;
}

/// A reconnect, at WARN with its reason, code, attempt and delay (both protocols).
fn log_reconnecting(attempt: u32, delay: Duration, code: &str, reason: &dyn fmt::Display) {
    tracing::warn!(
        attempt,
        delay_ms = delay.as_millis() as u64,
        code,
        "reconnecting: {reason}"
    );
}

/// The end of a session: at ERROR with its cause, or at INFO when the user asked.
fn log_ended(error: Option<(&str, &dyn fmt::Display)>) {
    match error {
        Some((code, e)) => tracing::error!(code, "session ended: {e}"),
        None => tracing::info!("disconnected"),
    }
}

impl Core for rtm_proto::Client {
    type Status = Status;
    type Event = Event;
    type Started = Arc<ConnectInfo>;
    type StartError = RtmError;

    const MAX_SOCKETS: usize = 1;
    const FEEDS_WS_CONTROL: bool = false;
    // Small: RTM frames are, and thousands of idle clients stay within 16 KiB each.
    const WS_READ_BUFFER: usize = 4 * 1024;

    fn handle_input(&mut self, now: Instant, input: Input, out: &mut Vec<Action>) {
        self.handle_input_into(now, input, out);
    }

    fn next_deadline(&self) -> Option<Instant> {
        rtm_proto::Client::next_deadline(self)
    }

    fn status(&self) -> Status {
        Status::of(self)
    }

    fn status_changed(&self, last: &Status) -> bool {
        // Compared in place: this runs per frame, and most frames change nothing.
        let same_info = match (&last.info, self.connect_info()) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        };
        !(last.state == self.state() && last.authenticated == self.is_authenticated() && same_info)
    }

    fn report(action: Action) -> Option<Report<Event, Result<Arc<ConnectInfo>, RtmError>>> {
        match action {
            Action::Emit(event) => Some(Report::Event(event)),
            Action::StartSettled(result) => Some(Report::StartSettled(result)),
            _ => None,
        }
    }

    fn log(event: &Event) -> Option<String> {
        match event {
            Event::Slack(_) | Event::OutgoingMessage { .. } => {}
            Event::Authenticated(info) => {
                tracing::debug!(team = %info.team_id, user = %info.self_id, "authenticated");
                return Some(format!("{}/{}", info.team_id, info.self_id));
            }
            Event::Ready => tracing::info!("ready"),
            Event::Reconnecting {
                attempt,
                delay,
                reason,
            } => log_reconnecting(*attempt, *delay, reason.code(), reason),
            Event::Disconnected { error } => {
                log_ended(error.as_ref().map(|e| (e.code(), e as &dyn fmt::Display)))
            }
            Event::Error(e) => tracing::debug!(code = e.code(), "{e}"),
            _ => {}
        }
        None
    }
}

impl Core for rtm_proto::SocketModeClient {
    type Status = SocketModeStatus;
    type Event = SocketModeEvent;
    type Started = Arc<Hello>;
    type StartError = SocketModeError;

    // The connection in use, its replacement, and the replaced one being drained.
    const MAX_SOCKETS: usize = 3;
    const FEEDS_WS_CONTROL: bool = true;
    // An app's every event comes through one socket: reading 64 KiB per system call instead
    // of 4 took a flood from ~460k to ~600k envelopes/s (BENCHMARKS.md).
    const WS_READ_BUFFER: usize = 64 * 1024;

    fn handle_input(&mut self, now: Instant, input: Input, out: &mut Vec<Action>) {
        self.handle_input_into(now, input, out);
    }

    fn next_deadline(&self) -> Option<Instant> {
        rtm_proto::SocketModeClient::next_deadline(self)
    }

    fn status(&self) -> SocketModeStatus {
        SocketModeStatus::of(self)
    }

    fn status_changed(&self, last: &SocketModeStatus) -> bool {
        let same_hello = match (&last.hello, self.hello()) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        };
        !(last.state == self.state()
            && last.refreshing == self.is_refreshing()
            && last.pending_acks == self.pending_acks()
            && same_hello)
    }

    fn report(
        action: Action,
    ) -> Option<Report<SocketModeEvent, Result<Arc<Hello>, SocketModeError>>> {
        let Action::SocketMode(event) = action else {
            return None;
        };
        Some(match event {
            SocketModeEvent::StartSettled(result) => Report::StartSettled(result),
            SocketModeEvent::AckSettled {
                envelope_id,
                result,
            } => Report::AckSettled {
                envelope_id,
                result,
            },
            event => Report::Event(event),
        })
    }

    fn log(event: &SocketModeEvent) -> Option<String> {
        match event {
            SocketModeEvent::Envelope(_) | SocketModeEvent::Redelivered { .. } => {}
            SocketModeEvent::Connected(hello) => {
                tracing::info!(
                    conn = %hello.conn,
                    num_connections = hello.num_connections,
                    "connected"
                );
                return hello.app_id.clone();
            }
            SocketModeEvent::Refreshing { reason } => tracing::info!(?reason, "refreshing"),
            SocketModeEvent::Refreshed { old, new } => {
                tracing::info!(%old, %new, "refreshed")
            }
            SocketModeEvent::Reconnecting {
                attempt,
                delay,
                reason,
            } => log_reconnecting(*attempt, *delay, reason.code(), reason),
            SocketModeEvent::Disconnected { error } => {
                log_ended(error.as_ref().map(|e| (e.code(), e as &dyn fmt::Display)))
            }
            SocketModeEvent::AckLate { envelope_id } => {
                tracing::warn!(%envelope_id, "envelope not acked in time: Slack will redeliver it")
            }
            SocketModeEvent::Error(e) => tracing::debug!(code = e.code(), "{e}"),
            other => tracing::debug!(event = other.name()),
        }
        None
    }
}
