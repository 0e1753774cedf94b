//! The client's state, as the reference client names it, and what follows from it.

/// The phases of opening a session, as the reference client names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
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
#[non_exhaustive]
pub enum Connected {
    /// After a reconnect: waiting for replies to messages sent on the previous connection.
    Resuming,
    /// Sends go out.
    Ready,
}

/// The client's state, as the reference client names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
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

impl State {
    /// Whether a session is live (`connected`): resuming or ready.
    pub fn is_connected(&self) -> bool {
        matches!(self, State::Connected(_))
    }

    /// Whether sends go out now.
    pub fn is_ready(&self) -> bool {
        matches!(self, State::Connected(Connected::Ready))
    }

    /// Whether a session is being opened (web call, socket, or `hello`).
    pub fn is_connecting(&self) -> bool {
        matches!(self, State::Connecting(_))
    }

    /// Whether the core must have a deadline in this state (rule 1: no stuck state). Only
    /// `Disconnected` waits for the user, and `Ready` for the server, with no end in sight.
    pub fn owes_deadline(&self) -> bool {
        !matches!(
            self,
            State::Disconnected | State::Connected(Connected::Ready)
        )
    }
}
