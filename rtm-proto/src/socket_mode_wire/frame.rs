//! Socket Mode's frames from Slack: `hello`, `disconnect` and envelopes. Envelopes keep their
//! payload as text; the inner event of `events_api` is read only on demand.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::error::SocketModeError;
use super::scan;
use crate::ids::ConnId;
use crate::json_scan::Field;

/// A connection's `hello`.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hello {
    /// The connection it came on.
    pub conn: ConnId,
    /// `num_connections`: the app's open connections, this one included.
    pub num_connections: Option<u64>,
    /// `debug_info.approximate_connection_time`: how long Slack means to keep it.
    pub approximate_connection_time: Option<Duration>,
    /// `debug_info.host`.
    pub host: Option<String>,
    /// `connection_info.app_id`.
    pub app_id: Option<String>,
}

/// The `reason` of a `disconnect` frame.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisconnectReason {
    /// The connection will be refreshed in about 10 seconds.
    Warning,
    /// Reconnect now.
    RefreshRequested,
    /// Socket Mode was turned off for the app: do not reconnect.
    LinkDisabled,
}

/// The `type` of an envelope.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvelopeType {
    /// `events_api`.
    EventsApi,
    /// `slash_commands`.
    SlashCommands,
    /// `interactive`.
    Interactive,
    /// Any other type, passed through.
    Other(String),
}

impl EnvelopeType {
    fn read(s: &str) -> Self {
        match s {
            "events_api" => EnvelopeType::EventsApi,
            "slash_commands" => EnvelopeType::SlashCommands,
            "interactive" => EnvelopeType::Interactive,
            other => EnvelopeType::Other(other.to_owned()),
        }
    }

    /// Slack's name for it.
    pub fn as_str(&self) -> &str {
        match self {
            EnvelopeType::EventsApi => "events_api",
            EnvelopeType::SlashCommands => "slash_commands",
            EnvelopeType::Interactive => "interactive",
            EnvelopeType::Other(s) => s,
        }
    }
}

/// The inner event of an `events_api` envelope.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventsApiEvent {
    /// `event_id` of the callback (`Ev…`).
    pub event_id: Option<String>,
    /// `event.type`.
    pub event_type: Option<String>,
    /// `event.subtype`.
    pub subtype: Option<String>,
    /// `event`, as JSON text.
    pub event: String,
}

/// The payload of a `slash_commands` envelope: what the user typed after the command.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct SlashCommand {
    /// The command, with its slash (`/deploy`).
    pub command: String,
    /// The text after the command.
    #[serde(default)]
    pub text: String,
    /// Who typed it.
    pub user_id: Option<String>,
    /// Where.
    pub channel_id: Option<String>,
    /// The workspace.
    pub team_id: Option<String>,
    /// Where to post delayed answers (up to 30 minutes).
    pub response_url: Option<String>,
    /// For opening a modal within 3 s.
    pub trigger_id: Option<String>,
}

/// The payload of an `interactive` envelope (a button press, a modal submission, a
/// shortcut); the rest of it is in [`Envelope::payload_json`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Interactive {
    /// `block_actions`, `view_submission`, `shortcut`, `message_action`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// The user who interacted (`user.id`).
    #[serde(default, deserialize_with = "user_id", rename = "user")]
    pub user_id: Option<String>,
    /// `callback_id` (shortcuts, message actions).
    pub callback_id: Option<String>,
    /// `trigger_id`.
    pub trigger_id: Option<String>,
    /// `response_url`.
    pub response_url: Option<String>,
    /// `actions[].action_id` of a `block_actions` payload, in order.
    #[serde(default, deserialize_with = "action_ids", rename = "actions")]
    pub action_ids: Vec<String>,
}

fn user_id<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    Ok(v.and_then(|u| u.get("id").and_then(Value::as_str).map(str::to_owned)))
}

fn action_ids<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let v = Option::<Vec<Value>>::deserialize(d)?.unwrap_or_default();
    Ok(v.iter()
        .filter_map(|a| {
            a.get("action_id")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .collect())
}

impl EventsApiEvent {
    /// The inner event as one of the common Slack events (the Events API and RTM share
    /// their shapes), or [`TypedEvent::Other`](crate::TypedEvent::Other).
    pub fn typed(&self) -> Result<crate::TypedEvent, serde_json::Error> {
        crate::TypedEvent::read(self.event_type.as_deref(), &self.event)
    }
}

/// One envelope. The payload is kept as text; [`Envelope::events_api`] reads the inner
/// event of an `events_api` envelope. An envelope read the usual way is one allocation: the
/// frame's text, of which the fields are spans.
#[derive(Clone)]
pub struct Envelope {
    conn: ConnId,
    envelope_type: EnvelopeType,
    retry_attempt: u32,
    accepts_response_payload: bool,
    /// The frame's text, or empty when every field is owned.
    text: String,
    envelope_id: Field,
    retry_reason: Option<Field>,
    payload: Field,
    event_id: Option<Field>,
    /// `payload.event.type` and `payload.event.subtype` (events_api), read with the frame
    /// so that subscribers filter without parsing the payload again.
    inner: Option<(Field, Option<Field>)>,
}

impl Envelope {
    /// The connection it came on (its ack goes there).
    pub fn conn(&self) -> ConnId {
        self.conn
    }

    /// `envelope_id`.
    pub fn envelope_id(&self) -> &str {
        self.envelope_id.get(&self.text)
    }

    /// `type`.
    pub fn envelope_type(&self) -> &EnvelopeType {
        &self.envelope_type
    }

    /// `retry_attempt` (0 for the first delivery).
    pub fn retry_attempt(&self) -> u32 {
        self.retry_attempt
    }

    /// `retry_reason` (empty for the first delivery).
    pub fn retry_reason(&self) -> &str {
        self.retry_reason.as_ref().map_or("", |f| f.get(&self.text))
    }

    /// `accepts_response_payload`: the ack may carry a payload.
    pub fn accepts_response_payload(&self) -> bool {
        self.accepts_response_payload
    }

    /// `payload`, as JSON text (`null` when there is none).
    pub fn payload(&self) -> &str {
        self.payload.get(&self.text)
    }

    /// `payload.event_id` (events_api), read for the redelivery filter.
    pub fn event_id(&self) -> Option<&str> {
        self.event_id.as_ref().map(|f| f.get(&self.text))
    }

    /// The inner event's `type` of an `events_api` envelope (`app_mention`, `message`, ...).
    pub fn inner_event_type(&self) -> Option<&str> {
        self.inner.as_ref().map(|(t, _)| t.get(&self.text))
    }

    /// The inner event's `subtype` (`bot_message`, `message_changed`, ...).
    pub fn inner_event_subtype(&self) -> Option<&str> {
        self.inner
            .as_ref()
            .and_then(|(_, s)| s.as_ref())
            .map(|s| s.get(&self.text))
    }

    /// Whether a subscription filter names this envelope: `envelope` (every one), its type
    /// (`events_api`, `slash_commands`, `interactive`), or its inner event's `type` or
    /// `type::subtype` (`app_mention`, `message::bot_message`); `*` matches everything.
    pub fn matches(&self, filter: &str) -> bool {
        filter == "*"
            || filter == "envelope"
            || self.envelope_type.as_str() == filter
            || crate::event::type_matches(
                filter,
                self.inner_event_type(),
                self.inner_event_subtype(),
            )
    }

    /// The payload of a `slash_commands` envelope; `None` for the other types.
    pub fn slash_command(&self) -> Option<Result<SlashCommand, serde_json::Error>> {
        (self.envelope_type == EnvelopeType::SlashCommands)
            .then(|| serde_json::from_str(self.payload()))
    }

    /// The payload of an `interactive` envelope; `None` for the other types.
    pub fn interactive(&self) -> Option<Result<Interactive, serde_json::Error>> {
        (self.envelope_type == EnvelopeType::Interactive)
            .then(|| serde_json::from_str(self.payload()))
    }

    /// The payload as JSON.
    pub fn payload_json(&self) -> Result<Value, serde_json::Error> {
        serde_json::from_str(self.payload())
    }

    /// The inner event, for `events_api` envelopes; `None` for the other types.
    pub fn events_api(&self) -> Option<Result<EventsApiEvent, serde_json::Error>> {
        if self.envelope_type != EnvelopeType::EventsApi {
            return None;
        }
        #[derive(Deserialize)]
        struct Callback {
            event_id: Option<String>,
            event: Option<Value>,
        }
        Some(serde_json::from_str::<Callback>(self.payload()).map(|c| {
            let event = c.event.unwrap_or(Value::Null);
            let field = |k: &str| event.get(k).and_then(Value::as_str).map(str::to_owned);
            EventsApiEvent {
                event_id: c.event_id,
                event_type: field("type"),
                subtype: field("subtype"),
                event: event.to_string(),
            }
        }))
    }
}

impl Envelope {
    /// An envelope of owned fields (read by serde).
    #[allow(clippy::too_many_arguments)]
    fn owned(
        conn: ConnId,
        envelope_id: String,
        envelope_type: EnvelopeType,
        retry_attempt: u32,
        retry_reason: Option<String>,
        accepts_response_payload: bool,
        payload: String,
        event_id: Option<String>,
        inner: Option<(String, Option<String>)>,
    ) -> Envelope {
        let own = |s: String| Field::Owned(s.into());
        Envelope {
            conn,
            envelope_type,
            retry_attempt,
            accepts_response_payload,
            text: String::new(),
            envelope_id: own(envelope_id),
            retry_reason: retry_reason.map(own),
            payload: own(payload),
            event_id: event_id.map(own),
            inner: inner.map(|(t, s)| (own(t), s.map(own))),
        }
    }
}

impl fmt::Debug for Envelope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Payloads can be large; their size is enough in a log line.
        f.debug_struct("Envelope")
            .field("conn", &self.conn)
            .field("envelope_id", &self.envelope_id())
            .field("type", &self.envelope_type.as_str())
            .field("retry_attempt", &self.retry_attempt)
            .field("event_id", &self.event_id())
            .field("payload_len", &self.payload().len())
            .finish()
    }
}

/// Envelopes are equal when their fields are, however their text is laid out.
impl PartialEq for Envelope {
    fn eq(&self, other: &Self) -> bool {
        self.conn == other.conn
            && self.envelope_type == other.envelope_type
            && self.retry_attempt == other.retry_attempt
            && self.accepts_response_payload == other.accepts_response_payload
            && self.envelope_id() == other.envelope_id()
            && self.retry_reason() == other.retry_reason()
            && self.payload() == other.payload()
            && self.event_id() == other.event_id()
            && self.inner_event_type() == other.inner_event_type()
            && self.inner_event_subtype() == other.inner_event_subtype()
    }
}

impl Eq for Envelope {}

/// A frame from Slack, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Frame {
    Hello(Hello),
    Disconnect(DisconnectReason),
    Envelope(Envelope),
}

fn malformed(detail: impl Into<String>) -> SocketModeError {
    SocketModeError::MalformedFrame {
        detail: detail.into(),
    }
}

/// Reads one text frame of `conn`. Envelopes, the frames that come by the thousand, are read
/// without building a JSON tree and without copying: the fast scanner records the fields as
/// spans of the frame, which the envelope keeps; frames it declines are read by serde.
pub(crate) fn read(conn: ConnId, text: String) -> Result<Frame, SocketModeError> {
    match scan::envelope(&text) {
        Some(s) => Ok(Frame::Envelope(Envelope {
            conn,
            envelope_type: EnvelopeType::read(s.kind.get(&text)),
            retry_attempt: s.retry_attempt,
            accepts_response_payload: s.accepts_response_payload,
            envelope_id: s.envelope_id,
            retry_reason: s.retry_reason,
            payload: s.payload,
            event_id: s.event_id,
            inner: s.inner,
            text,
        })),
        None => read_serde(conn, &text),
    }
}

/// Reads a frame with serde: the head without a tree, the rest through one.
pub(crate) fn read_serde(conn: ConnId, text: &str) -> Result<Frame, SocketModeError> {
    if !text.trim_start().starts_with('{') {
        // Not an object (a derived struct would also read an array): the general reader says
        // what it is.
        return read_value(conn, text);
    }
    let head: Head<'_> = match serde_json::from_str(text) {
        Ok(head) => head,
        // Not JSON at all.
        Err(e) if !e.is_data() => return Err(malformed(e.to_string())),
        // JSON of another shape (not an object, a duplicate field): the general reader.
        Err(_) => return read_value(conn, text),
    };
    let kind = head.kind.and_then(raw_str);
    match kind.as_deref() {
        Some("hello") | Some("disconnect") => read_value(conn, text),
        _ => envelope(conn, kind, &head),
    }
}

/// The top-level fields of a frame, unparsed.
#[derive(Deserialize)]
struct Head<'a> {
    #[serde(rename = "type", default, borrow)]
    kind: Option<&'a RawValue>,
    #[serde(default, borrow)]
    envelope_id: Option<&'a RawValue>,
    #[serde(default, borrow)]
    retry_attempt: Option<&'a RawValue>,
    #[serde(default, borrow)]
    retry_reason: Option<&'a RawValue>,
    #[serde(default, borrow)]
    accepts_response_payload: Option<&'a RawValue>,
    #[serde(default, borrow)]
    payload: Option<&'a RawValue>,
}

/// What the client reads of an envelope's payload: the event id (for the redelivery filter)
/// and the inner event's type and subtype (for subscription filters).
#[derive(Deserialize)]
struct PayloadHead<'a> {
    #[serde(default, borrow)]
    event_id: Option<&'a RawValue>,
    #[serde(default, borrow)]
    event: Option<EventHead<'a>>,
}

#[derive(Deserialize)]
struct EventHead<'a> {
    #[serde(rename = "type", default, borrow)]
    kind: Option<&'a RawValue>,
    #[serde(default, borrow)]
    subtype: Option<&'a RawValue>,
}

/// The `event_id` of a payload whose `event` is of an odd shape.
fn event_id_only(payload: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Id<'a> {
        #[serde(default, borrow)]
        event_id: Option<&'a RawValue>,
    }
    serde_json::from_str::<Id<'_>>(payload)
        .ok()?
        .event_id
        .and_then(raw_str)
}

/// A JSON string's value; `None` for anything else.
fn raw_str(raw: &RawValue) -> Option<String> {
    let text = raw.get();
    match serde_json::from_str::<&str>(text) {
        Ok(s) => Some(s.to_owned()),
        // Escapes cannot be borrowed.
        Err(_) => serde_json::from_str::<String>(text).ok(),
    }
}

fn envelope(conn: ConnId, kind: Option<String>, head: &Head<'_>) -> Result<Frame, SocketModeError> {
    let Some(envelope_id) = head.envelope_id.and_then(raw_str).filter(|s| !s.is_empty()) else {
        return Err(SocketModeError::MissingEnvelopeId { frame_type: kind });
    };
    let Some(kind) = kind else {
        return Err(malformed("envelope without type"));
    };
    let retry_attempt = match head.retry_attempt.map(RawValue::get) {
        None | Some("null") => 0,
        Some(n) => serde_json::from_str::<u64>(n)
            .ok()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| malformed("retry_attempt is not a small integer"))?,
    };
    let payload = head.payload.map_or("null", RawValue::get);
    // One pass over the payload (an `event` that is not an object makes it fail: then the
    // event id is read alone).
    let (event_id, inner) = match serde_json::from_str::<PayloadHead<'_>>(payload) {
        Ok(p) => (
            p.event_id.and_then(raw_str),
            p.event
                .and_then(|e| Some((e.kind.and_then(raw_str)?, e.subtype.and_then(raw_str)))),
        ),
        Err(_) => (event_id_only(payload), None),
    };
    Ok(Frame::Envelope(Envelope::owned(
        conn,
        envelope_id,
        EnvelopeType::read(&kind),
        retry_attempt,
        head.retry_reason.and_then(raw_str),
        head.accepts_response_payload
            .and_then(|b| serde_json::from_str::<bool>(b.get()).ok())
            .unwrap_or(false),
        payload.to_owned(),
        event_id,
        inner,
    )))
}

/// Reads a frame through a JSON tree: `hello`, `disconnect`, and envelopes of unusual shape.
fn read_value(conn: ConnId, text: &str) -> Result<Frame, SocketModeError> {
    let value: Value = serde_json::from_str(text).map_err(|e| malformed(e.to_string()))?;
    let Value::Object(obj) = value else {
        return Err(malformed("not a JSON object"));
    };
    let str_of = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    let kind = str_of(obj.get("type"));
    match kind.as_deref() {
        Some("hello") => {
            let debug = obj.get("debug_info");
            let secs = debug
                .and_then(|d| d.get("approximate_connection_time"))
                .and_then(Value::as_u64);
            Ok(Frame::Hello(Hello {
                conn,
                num_connections: obj.get("num_connections").and_then(Value::as_u64),
                approximate_connection_time: secs.map(Duration::from_secs),
                host: str_of(debug.and_then(|d| d.get("host"))),
                app_id: str_of(obj.get("connection_info").and_then(|c| c.get("app_id"))),
            }))
        }
        Some("disconnect") => match obj.get("reason").and_then(Value::as_str) {
            Some("warning") => Ok(Frame::Disconnect(DisconnectReason::Warning)),
            Some("refresh_requested") => Ok(Frame::Disconnect(DisconnectReason::RefreshRequested)),
            Some("link_disabled") => Ok(Frame::Disconnect(DisconnectReason::LinkDisabled)),
            other => Err(SocketModeError::UnknownDisconnectReason {
                reason: other.unwrap_or_default().to_owned(),
            }),
        },
        _ => {
            let Some(envelope_id) = str_of(obj.get("envelope_id")).filter(|s| !s.is_empty()) else {
                return Err(SocketModeError::MissingEnvelopeId { frame_type: kind });
            };
            let Some(kind) = kind else {
                return Err(malformed("envelope without type"));
            };
            let retry_attempt = match obj.get("retry_attempt") {
                None | Some(Value::Null) => 0,
                Some(v) => v
                    .as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .ok_or_else(|| malformed("retry_attempt is not a small integer"))?,
            };
            let payload = obj.get("payload").cloned().unwrap_or(Value::Null);
            let event_id = str_of(payload.get("event_id"));
            let inner = payload.get("event").and_then(|e| {
                let t = str_of(e.get("type"))?;
                Some((t, str_of(e.get("subtype"))))
            });
            Ok(Frame::Envelope(Envelope::owned(
                conn,
                envelope_id,
                EnvelopeType::read(&kind),
                retry_attempt,
                str_of(obj.get("retry_reason")),
                obj.get("accepts_response_payload")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                payload.to_string(),
                event_id,
                inner,
            )))
        }
    }
}

/// The ack frame of `envelope_id`, with the response `payload` (already checked JSON).
pub(crate) fn ack(envelope_id: &str, payload: Option<&Value>) -> String {
    // Written directly: one ack per envelope, so no tree and one allocation for it (serde
    // escapes the id and writes the payload into the frame).
    let mut frame = Vec::with_capacity(envelope_id.len() + 20);
    frame.extend_from_slice(br#"{"envelope_id":"#);
    // Writing a string or a `Value` (string keys) into a Vec cannot fail.
    serde_json::to_writer(&mut frame, envelope_id).expect("a string serializes");
    if let Some(p) = payload {
        frame.extend_from_slice(br#","payload":"#);
        serde_json::to_writer(&mut frame, p).expect("a JSON value serializes");
    }
    frame.push(b'}');
    String::from_utf8(frame).expect("serde_json writes UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope_of(text: &str) -> Envelope {
        match read(ConnId(1), text.to_owned()) {
            Ok(Frame::Envelope(e)) => e,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_envelope_is_read_without_a_tree_and_keeps_its_payload_as_sent() {
        let e = envelope_of(
            r#"{"envelope_id":"a\"b","type":"events_api","retry_attempt":2,"retry_reason":"timeout","accepts_response_payload":true,"payload":{"event_id":"Ev1","event":{"type":"message","subtype":"bot_message","text":"x"}}}"#,
        );
        assert_eq!(e.envelope_id(), "a\"b");
        assert_eq!((e.retry_attempt(), e.retry_reason()), (2, "timeout"));
        assert!(e.accepts_response_payload());
        assert_eq!(e.event_id(), Some("Ev1"));
        assert_eq!(e.inner_event_type(), Some("message"));
        assert_eq!(e.inner_event_subtype(), Some("bot_message"));
        assert_eq!(
            e.payload(),
            r#"{"event_id":"Ev1","event":{"type":"message","subtype":"bot_message","text":"x"}}"#
        );
    }

    #[test]
    fn odd_shapes_are_read_as_before() {
        // An `event` that is not an object: the event id is still read.
        let e = envelope_of(
            r#"{"envelope_id":"1","type":"events_api","payload":{"event":"x","event_id":"Ev2"}}"#,
        );
        assert_eq!((e.event_id(), e.inner_event_type()), (Some("Ev2"), None));
        // No payload, null retry_attempt, a non-boolean flag.
        let e = envelope_of(
            r#"{"envelope_id":"2","type":"x","retry_attempt":null,"accepts_response_payload":"yes"}"#,
        );
        assert_eq!((e.payload(), e.retry_attempt()), ("null", 0));
        assert!(!e.accepts_response_payload());
        // Errors keep their kinds.
        let err = |t: &str| read(ConnId(1), t.to_owned()).unwrap_err();
        assert!(matches!(err("{"), SocketModeError::MalformedFrame { .. }));
        assert!(
            matches!(err("[1]"), SocketModeError::MalformedFrame { detail } if detail == "not a JSON object")
        );
        assert!(matches!(
            err(r#"{"type":"events_api"}"#),
            SocketModeError::MissingEnvelopeId { .. }
        ));
        assert!(matches!(
            err(r#"{"envelope_id":"3","type":"x","retry_attempt":-1}"#),
            SocketModeError::MalformedFrame { .. }
        ));
        assert!(
            matches!(err(r#"{"envelope_id":"4"}"#), SocketModeError::MalformedFrame { detail } if detail == "envelope without type")
        );
        // A duplicate field goes through the general reader (last one wins).
        let e = envelope_of(r#"{"envelope_id":"5","envelope_id":"6","type":"x"}"#);
        assert_eq!(e.envelope_id(), "6");
    }

    #[test]
    fn filters_name_envelopes_by_kind_type_and_inner_event() {
        let e = envelope_of(
            r#"{"envelope_id":"1","type":"events_api","payload":{"event":{"type":"message","subtype":"bot_message"}}}"#,
        );
        for yes in [
            "*",
            "envelope",
            "events_api",
            "message",
            "message::bot_message",
        ] {
            assert!(e.matches(yes), "{yes}");
        }
        for no in [
            "slash_commands",
            "app_mention",
            "message::me_message",
            "bot_message",
        ] {
            assert!(!e.matches(no), "{no}");
        }
        let c = envelope_of(
            r#"{"envelope_id":"2","type":"slash_commands","payload":{"command":"/x"}}"#,
        );
        assert!(c.matches("slash_commands") && !c.matches("message"));
    }

    #[test]
    fn an_ack_is_json_with_its_payload() {
        let v: Value = serde_json::from_str(&ack("a\"b", None)).unwrap();
        assert_eq!(v, serde_json::json!({"envelope_id": "a\"b"}));
        let p = serde_json::json!({"text": "hi"});
        let v: Value = serde_json::from_str(&ack("x", Some(&p))).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"envelope_id": "x", "payload": {"text": "hi"}})
        );
    }
}
