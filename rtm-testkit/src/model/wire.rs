//! What the model tells the transport to do, and the wire helpers shared by the model.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One WebSocket as the server sees it, for the lifetime of a model (the client core's
/// `ConnId` names a connection attempt instead).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SocketId(pub u64);

impl fmt::Display for SocketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "conn#{}", self.0)
    }
}

/// One WebSocket data frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WireFrame {
    /// A text frame (Slack's frames are JSON text).
    Text(String),
    /// A binary frame.
    Binary(Vec<u8>),
}

impl WireFrame {
    /// The frame as JSON, when it is a text frame holding valid JSON.
    pub fn json(&self) -> Option<Value> {
        match self {
            WireFrame::Text(t) => serde_json::from_str(t).ok(),
            WireFrame::Binary(_) => None,
        }
    }

    /// The text of a text frame.
    pub fn text(&self) -> Option<&str> {
        match self {
            WireFrame::Text(t) => Some(t),
            WireFrame::Binary(_) => None,
        }
    }

    /// Payload length in bytes.
    pub fn len(&self) -> usize {
        match self {
            WireFrame::Text(t) => t.len(),
            WireFrame::Binary(b) => b.len(),
        }
    }

    /// True when the payload is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Something the transport must do on one connection, in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerAction {
    /// Write one data frame.
    Send {
        /// The connection.
        conn: SocketId,
        /// The frame to write.
        frame: WireFrame,
    },
    /// Send a close frame with this code and reason, then stop.
    Close {
        /// The connection.
        conn: SocketId,
        /// The close code.
        code: u16,
        /// The close reason.
        reason: String,
    },
    /// Drop the TCP connection without a close frame.
    DropTcp {
        /// The connection.
        conn: SocketId,
    },
    /// Stop reading and writing without closing (half-open fault); a later close or drop
    /// only drops the TCP connection.
    HalfOpen {
        /// The connection.
        conn: SocketId,
    },
    /// Write `count` text frames, cycling over `events`, as fast as the socket takes them.
    /// Kept as one action so transports can pre-encode the frames once.
    Flood {
        /// The connection.
        conn: SocketId,
        /// How many frames to write.
        count: u64,
        /// The encoded `message` events to cycle over.
        events: Arc<[String]>,
    },
}

impl ServerAction {
    /// The connection this action is for.
    pub fn conn(&self) -> SocketId {
        match self {
            ServerAction::Send { conn, .. }
            | ServerAction::Close { conn, .. }
            | ServerAction::DropTcp { conn }
            | ServerAction::HalfOpen { conn }
            | ServerAction::Flood { conn, .. } => *conn,
        }
    }

    /// The text, when this action sends a text frame.
    pub fn text(&self) -> Option<&str> {
        match self {
            ServerAction::Send { frame, .. } => frame.text(),
            _ => None,
        }
    }

    /// The sent frame as JSON, when this action sends a JSON text frame.
    pub fn json(&self) -> Option<Value> {
        match self {
            ServerAction::Send { frame, .. } => frame.json(),
            _ => None,
        }
    }
}

/// Slack's error codes on the socket, gathered so tests and docs name one source.
pub mod codes {
    /// Rate-limit warning in a message reply.
    pub const SLOW_DOWN: i64 = -1;
    /// The message of [`SLOW_DOWN`].
    pub const SLOW_DOWN_MSG: &str = "slow down, too many messages...";
    /// Sent instead of `hello` when the socket URL was too old.
    pub const URL_EXPIRED: i64 = 1;
    /// The message of [`URL_EXPIRED`].
    pub const URL_EXPIRED_MSG: &str = "Socket URL has expired";
    /// A `message` without text, in its reply.
    pub const TEXT_MISSING: i64 = 2;
    /// The message of [`TEXT_MISSING`].
    pub const TEXT_MISSING_MSG: &str = "message text is missing";
    /// A `message` whose text is over 4,000 characters, in its reply.
    pub const MSG_TOO_LONG: i64 = 3;
    /// The message of [`MSG_TOO_LONG`].
    pub const MSG_TOO_LONG_MSG: &str = "msg too long";
    /// A `message` to a channel the workspace does not have, in its reply.
    pub const CHANNEL_NOT_FOUND: i64 = 4;
    /// The message of [`CHANNEL_NOT_FOUND`].
    pub const CHANNEL_NOT_FOUND_MSG: &str = "channel not found";
    /// Invalid JSON, or JSON that is not an object with a string `type`.
    pub const BAD_FRAME: i64 = 5;
    /// The message of [`BAD_FRAME`].
    pub const BAD_FRAME_MSG: &str = "unable to parse message";
    /// A frame that needs an `id` came without a positive integer one.
    pub const NO_ID: i64 = 6;
    /// The message of [`NO_ID`].
    pub const NO_ID_MSG: &str = "message id missing or invalid";
    /// A frame of a `type` the server does not handle, in its reply.
    pub const UNSUPPORTED_TYPE: i64 = 7;
    /// The message of [`UNSUPPORTED_TYPE`].
    pub const UNSUPPORTED_TYPE_MSG: &str = "unsupported message type";

    /// Close code for a frame over [`crate::model::MAX_FRAME_BYTES`].
    pub const CLOSE_TOO_BIG: u16 = 1009;
    /// Close code for binary frames, which Slack does not accept.
    pub const CLOSE_UNSUPPORTED_DATA: u16 = 1003;
}

/// Serializes an object keeping the field order given, as Slack's own bodies read
/// (serde_json's map sorts keys unless a workspace-wide feature is switched on).
pub(crate) fn obj(fields: &[(&str, Value)]) -> String {
    let mut out = String::with_capacity(64);
    out.push('{');
    for (i, (k, v)) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&Value::from(*k).to_string());
        out.push(':');
        out.push_str(&v.to_string());
    }
    out.push('}');
    out
}

/// `{"type":"error","error":{"code":..,"msg":..}}`
pub(crate) fn error_frame(code: i64, msg: &str) -> String {
    format!(
        r#"{{"type":"error","error":{{"code":{code},"msg":{}}}}}"#,
        Value::from(msg)
    )
}

/// `{"ok":false,"reply_to":N,"error":{"code":..,"msg":..}}`
pub(crate) fn reply_error(id: u64, code: i64, msg: &str) -> String {
    format!(
        r#"{{"ok":false,"reply_to":{id},"error":{{"code":{code},"msg":{}}}}}"#,
        Value::from(msg)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn obj_keeps_order_and_escapes() {
        let s = obj(&[("type", "x\"y".into()), ("a", 1.into())]);
        assert_eq!(s, r#"{"type":"x\"y","a":1}"#);
    }

    #[test]
    fn error_shapes() {
        assert_eq!(
            error_frame(1, "Socket URL has expired"),
            r#"{"type":"error","error":{"code":1,"msg":"Socket URL has expired"}}"#
        );
        assert_eq!(
            reply_error(3, 2, "message text is missing"),
            r#"{"ok":false,"reply_to":3,"error":{"code":2,"msg":"message text is missing"}}"#
        );
    }
}
