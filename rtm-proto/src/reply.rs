//! How sends that were not refused end: written, or answered by the server.

/// A successful reply to an awaited send (`reply_to` = its id, `ok` true).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The message id it answers.
    pub id: u64,
    /// The message's timestamp, Slack's id of the posted message.
    pub ts: Option<String>,
    /// The text as the server stored it (may differ from what was sent).
    pub text: Option<String>,
    /// The whole reply frame.
    pub raw: String,
}

/// How a send that settled without error ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    /// Written to the socket with this id; no reply awaited.
    Written {
        /// The message id.
        id: u64,
    },
    /// The server replied `ok`.
    Replied(Reply),
}

impl Sent {
    /// The message id.
    pub fn id(&self) -> u64 {
        match self {
            Sent::Written { id } => *id,
            Sent::Replied(r) => r.id,
        }
    }
}
