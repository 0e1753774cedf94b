//! Socket Mode's vocabulary: what Slack sends (`hello`, envelopes, `disconnect`), and what the
//! client reports (events, errors). A leaf under both the actions and the client.

pub(crate) mod error;
pub(crate) mod event;
pub(crate) mod frame;
pub(crate) mod scan;
#[cfg(test)]
mod scan_tests;

pub use error::{AckError, SOCKET_MODE_FATAL_ERRORS, SocketModeError};
pub use event::{RefreshReason, SocketModeEvent};
pub use frame::{
    DisconnectReason, Envelope, EnvelopeType, EventsApiEvent, Hello, Interactive, SlashCommand,
};
