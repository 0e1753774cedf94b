//! What a Socket Mode client reports, carried by [`Action::SocketMode`](crate::Action::SocketMode).

use std::sync::Arc;
use std::time::Duration;

use super::error::{AckError, SocketModeError};
use super::frame::{DisconnectReason, Envelope, Hello};
use crate::ids::ConnId;

/// Why a replacement connection is opened while the current one still delivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefreshReason {
    /// `disconnect` `warning`.
    Warning,
    /// `disconnect` `refresh_requested`.
    RefreshRequested,
    /// `approximate_connection_time` is about to run out.
    Lifetime,
}

/// Everything a Socket Mode client reports, in the order it happens.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum SocketModeEvent {
    /// An attempt begins (`apps.connections.open` is called); `refresh` when it opens a
    /// replacement beside a live connection.
    Connecting {
        /// The attempt.
        conn: ConnId,
        /// Whether it is a replacement.
        refresh: bool,
    },
    /// A connection said `hello` and is the one in use.
    Connected(Arc<Hello>),
    /// A replacement is opened beside the live connection.
    Refreshing {
        /// Why.
        reason: RefreshReason,
    },
    /// The replacement said `hello`: `old` is drained and closed, `new` is in use.
    Refreshed {
        /// The replaced connection.
        old: ConnId,
        /// The connection in use.
        new: ConnId,
    },
    /// Slack sent `disconnect` on `conn`.
    Disconnect {
        /// The connection.
        conn: ConnId,
        /// Its reason.
        reason: DisconnectReason,
    },
    /// The connection was lost; the next attempt comes after `delay`.
    Reconnecting {
        /// 1 for the first attempt after a loss.
        attempt: u32,
        /// The wait before it.
        delay: Duration,
        /// Why.
        reason: SocketModeError,
    },
    /// The session ended; `error` is `None` after `disconnect()`.
    Disconnected {
        /// What ended it, when it was not the user.
        error: Option<SocketModeError>,
    },
    /// `start()` completed: the first `hello`, or the failure that ended the attempts.
    StartSettled(Result<Arc<Hello>, SocketModeError>),
    /// An envelope for the user (each envelope once, redeliveries filtered out).
    Envelope(Envelope),
    /// A redelivery of an envelope the user already has: acked again, not delivered.
    Redelivered {
        /// The redelivery's `envelope_id`.
        envelope_id: String,
        /// Its `retry_attempt`.
        retry_attempt: u32,
    },
    /// The answer to one [`Input::Ack`](crate::Input::Ack): written, or refused.
    AckSettled {
        /// The envelope.
        envelope_id: String,
        /// `Ok` when the ack was written.
        result: Result<(), AckError>,
    },
    /// An envelope is still not acked after `ack_deadline`: Slack will redeliver it.
    AckLate {
        /// The envelope.
        envelope_id: String,
    },
    /// A bad frame or a transport error; the session goes on unless another event says so.
    Error(SocketModeError),
}

impl SocketModeEvent {
    /// A short name, for logs and subscription filters: `connecting`, `connected`,
    /// `refreshing`, `refreshed`, `disconnect`, `reconnecting`, `disconnected`,
    /// `start_settled`, `envelope`, `redelivered`, `ack_settled`, `ack_late`, `error`.
    pub fn name(&self) -> &'static str {
        match self {
            SocketModeEvent::Connecting { .. } => "connecting",
            SocketModeEvent::Connected(_) => "connected",
            SocketModeEvent::Refreshing { .. } => "refreshing",
            SocketModeEvent::Refreshed { .. } => "refreshed",
            SocketModeEvent::Disconnect { .. } => "disconnect",
            SocketModeEvent::Reconnecting { .. } => "reconnecting",
            SocketModeEvent::Disconnected { .. } => "disconnected",
            SocketModeEvent::StartSettled(_) => "start_settled",
            SocketModeEvent::Envelope(_) => "envelope",
            SocketModeEvent::Redelivered { .. } => "redelivered",
            SocketModeEvent::AckSettled { .. } => "ack_settled",
            SocketModeEvent::AckLate { .. } => "ack_late",
            SocketModeEvent::Error(_) => "error",
        }
    }
}
