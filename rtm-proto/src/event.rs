//! What the client reports: lifecycle events and Slack's events, as lazy views of the frame.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::error::RtmError;
use crate::frame::{self, Field};
use crate::typed::TypedEvent;

/// The session's identity, from a successful `rtm.connect`/`rtm.start`.
#[derive(Clone, PartialEq, Eq)]
pub struct ConnectInfo {
    /// The single-use WebSocket URL.
    pub url: String,
    /// `self.id`: the connected user (`active_user_id`).
    pub self_id: String,
    /// `self.name`.
    pub self_name: String,
    /// `team.id` (`active_team_id`).
    pub team_id: String,
    /// `team.name`.
    pub team_name: String,
    /// `team.domain`.
    pub team_domain: String,
    /// The whole answer (for `rtm.start`, it also holds users, channels, ...).
    pub body: String,
}

impl fmt::Debug for ConnectInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL is a bearer credential for 30 s and the body can be megabytes: leave both out.
        f.debug_struct("ConnectInfo")
            .field("self_id", &self.self_id)
            .field("self_name", &self.self_name)
            .field("team_id", &self.team_id)
            .field("team_name", &self.team_name)
            .field("team_domain", &self.team_domain)
            .finish_non_exhaustive()
    }
}

/// One incoming frame from Slack. Only `type`, `subtype` and `reply_to` were parsed; the rest
/// is parsed on demand ([`SlackEvent::typed`], [`SlackEvent::parse`], [`SlackEvent::json`]).
#[derive(Clone, PartialEq, Eq)]
pub struct SlackEvent {
    raw: String,
    kind: Option<Field>,
    subtype: Option<Field>,
    reply_to: Option<u64>,
}

impl SlackEvent {
    /// Parses a frame the way the client does (for tests and for events from elsewhere).
    /// Only `type`, `subtype` and `reply_to` are read; the frame is kept whole.
    pub fn from_json(raw: impl Into<String>) -> Result<SlackEvent, serde_json::Error> {
        let raw = raw.into();
        let (kind, subtype, reply_to) = frame::peek(&raw)?;
        Ok(SlackEvent {
            raw,
            kind,
            subtype,
            reply_to,
        })
    }

    /// The `type` field; replies (`reply_to`) have none.
    pub fn event_type(&self) -> Option<&str> {
        self.kind.as_ref().map(|f| f.get(&self.raw))
    }

    /// The `subtype` field, as in `message` / `bot_message`.
    pub fn subtype(&self) -> Option<&str> {
        self.subtype.as_ref().map(|f| f.get(&self.raw))
    }

    /// The `reply_to` field of replies.
    pub fn reply_to(&self) -> Option<u64> {
        self.reply_to
    }

    /// The frame as received.
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// The frame as received, by value.
    pub fn into_raw(self) -> String {
        self.raw
    }

    /// Whether the event matches a filter: `"type"` or `"type::subtype"`, the names under
    /// which the reference client emits it. `"*"` matches everything.
    pub fn matches(&self, filter: &str) -> bool {
        filter == "*" || type_matches(filter, self.event_type(), self.subtype())
    }

    /// The whole frame as a JSON value.
    pub fn json(&self) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::from_str(&self.raw)
    }

    /// The frame deserialized into a type of the caller's.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(&self.raw)
    }

    /// The frame as one of the common Slack events, or [`TypedEvent::Other`].
    pub fn typed(&self) -> Result<TypedEvent, serde_json::Error> {
        TypedEvent::read(self.event_type(), &self.raw)
    }

    /// The frame as a [`typed::Message`](crate::typed::Message) when it is a `message` event
    /// that parses as one; `None` otherwise (the frame itself is always in [`raw`](Self::raw)).
    /// For an edit, [`current_text`](crate::typed::Message::current_text) reads the new text.
    pub fn message(&self) -> Option<crate::typed::Message> {
        match self.event_type() {
            Some("message") => serde_json::from_str(&self.raw).ok(),
            _ => None,
        }
    }
}

impl fmt::Debug for SlackEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SlackEvent")
            .field("type", &self.event_type())
            .field("subtype", &self.subtype())
            .field("reply_to", &self.reply_to)
            .field("raw", &self.raw)
            .finish()
    }
}

/// Everything the client reports to its user, in the order it happens.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// A connection attempt begins (the web call is made).
    Connecting,
    /// The web call succeeded.
    Authenticated(Arc<ConnectInfo>),
    /// The WebSocket is open and the server said `hello`.
    Connected,
    /// The session is ready for sends.
    Ready,
    /// The client is closing the connection on `disconnect()`.
    Disconnecting,
    /// The connection is lost or failed; the next attempt comes after `delay`.
    Reconnecting {
        /// 1 for the first attempt after a loss, counting up while attempts fail.
        attempt: u32,
        /// The wait before it.
        delay: Duration,
        /// Why.
        reason: RtmError,
    },
    /// The session ended; `error` is `None` after `disconnect()`.
    Disconnected {
        /// What ended it, when it was not the user.
        error: Option<RtmError>,
    },
    /// `start()` failed for good (`unable_to_rtm_start`).
    UnableToRtmStart(RtmError),
    /// A transport error or a malformed frame (`error`); the client handles the consequence.
    Error(RtmError),
    /// A frame was written (`outgoing_message`).
    OutgoingMessage {
        /// Its id.
        id: u64,
        /// The frame.
        frame: String,
    },
    /// A frame from Slack.
    Slack(SlackEvent),
}

impl Event {
    /// The reference client's event name.
    pub fn name(&self) -> &str {
        match self {
            Event::Connecting => "connecting",
            Event::Authenticated(_) => "authenticated",
            Event::Connected => "connected",
            Event::Ready => "ready",
            Event::Disconnecting => "disconnecting",
            Event::Reconnecting { .. } => "reconnecting",
            Event::Disconnected { .. } => "disconnected",
            Event::UnableToRtmStart(_) => "unable_to_rtm_start",
            Event::Error(_) => "error",
            Event::OutgoingMessage { .. } => "outgoing_message",
            Event::Slack(e) => e.event_type().unwrap_or("slack_event"),
        }
    }
}

/// Whether a filter `"type"` or `"type::subtype"` names an event of this type and subtype
/// (RTM events, and the inner events of Socket Mode's Events API envelopes).
pub(crate) fn type_matches(filter: &str, kind: Option<&str>, subtype: Option<&str>) -> bool {
    let Some(kind) = kind else {
        return false;
    };
    match filter.split_once("::") {
        None => kind == filter,
        Some((t, s)) => kind == t && subtype == Some(s),
    }
}
