//! What Socket Mode did, for assertions: envelopes sent, acks received, and the intervals
//! during which an app had no connection to take envelopes.

use std::time::Instant;

use serde_json::{Value, json};

use crate::model::SocketId;

/// One delivery attempt of an envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentEnvelope {
    /// When it was written (model time).
    pub at: Instant,
    /// The app it was for.
    pub app_id: String,
    /// The connection it went on.
    pub conn: SocketId,
    /// Its `envelope_id` (the same on every attempt).
    pub envelope_id: String,
    /// `events_api`, `slash_commands`, `interactive`, …
    pub envelope_type: String,
    /// `retry_attempt`: 0 for the first delivery, then 1, 2, 3.
    pub retry_attempt: u32,
    /// Whether an earlier attempt of the same envelope was queued for want of a connection.
    pub after_gap: bool,
}

/// One `{"envelope_id":…}` frame from a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckRecord {
    /// When it came (model time).
    pub at: Instant,
    /// The connection it came on.
    pub conn: SocketId,
    /// The `envelope_id` acked.
    pub envelope_id: String,
    /// The response body (`"payload"`), if the ack carried one.
    pub payload: Option<Value>,
    /// False when no envelope has this id.
    pub known: bool,
    /// True for the first ack of a known envelope (later ones are duplicates or too late).
    pub first: bool,
}

/// An interval during which the app had no open connection that had said `hello` (and had
/// not been told to refresh), after its first connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfflineInterval {
    /// When the app lost its last connection that took envelopes.
    pub from: Instant,
    /// `None` while it lasts.
    pub until: Option<Instant>,
    /// Envelopes (id, attempt) that became due meanwhile: queued, delivered when a
    /// connection came back.
    pub envelopes_due: Vec<(String, u32)>,
}

/// Per app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppRecord {
    /// The app.
    pub app_id: String,
    /// Its offline intervals, oldest first.
    pub offline: Vec<OfflineInterval>,
    /// Envelopes that became due before the app's first connection said `hello`
    /// (queued too, but not a gap: the app had not started).
    pub queued_before_first_hello: u32,
}

impl AppRecord {
    pub(crate) fn new(app_id: &str) -> Self {
        AppRecord {
            app_id: app_id.into(),
            offline: Vec::new(),
            queued_before_first_hello: 0,
        }
    }

    /// Whether an envelope became due while the app had no connection (a gap).
    pub fn had_gap(&self) -> bool {
        self.offline.iter().any(|o| !o.envelopes_due.is_empty())
    }
}

/// The Socket Mode part of the model's record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SocketModeRecord {
    /// Every delivery attempt, oldest first.
    pub envelopes_sent: Vec<SentEnvelope>,
    /// Every ack received, oldest first.
    pub acks: Vec<AckRecord>,
    /// Per app, offline intervals and early envelopes.
    pub apps: Vec<AppRecord>,
    /// Envelopes Slack gave up on after the last retry.
    pub abandoned: Vec<String>,
}

impl SocketModeRecord {
    /// The record of one app.
    pub fn app(&self, app_id: &str) -> Option<&AppRecord> {
        self.apps.iter().find(|a| a.app_id == app_id)
    }

    pub(crate) fn app_mut(&mut self, app_id: &str) -> &mut AppRecord {
        match self.apps.iter().position(|a| a.app_id == app_id) {
            Some(i) => &mut self.apps[i],
            None => {
                self.apps.push(AppRecord::new(app_id));
                self.apps.last_mut().expect("just pushed")
            }
        }
    }

    /// Whether any app had a gap (see [`AppRecord::had_gap`]).
    pub fn had_gap(&self) -> bool {
        self.apps.iter().any(AppRecord::had_gap)
    }

    /// Delivery attempts of one envelope, in order.
    pub fn deliveries(&self, envelope_id: &str) -> Vec<&SentEnvelope> {
        self.envelopes_sent
            .iter()
            .filter(|s| s.envelope_id == envelope_id)
            .collect()
    }

    /// The first ack of an envelope.
    pub fn ack_of(&self, envelope_id: &str) -> Option<&AckRecord> {
        self.acks
            .iter()
            .find(|a| a.first && a.envelope_id == envelope_id)
    }

    /// The record as JSON, times in milliseconds since `origin` (admin interface).
    pub fn to_json(&self, origin: Instant) -> Value {
        let ms = |t: Instant| t.saturating_duration_since(origin).as_secs_f64() * 1000.0;
        json!({
            "envelopes_sent": self.envelopes_sent.iter().map(|s| json!({
                "at_ms": ms(s.at), "app_id": s.app_id, "conn": s.conn,
                "envelope_id": s.envelope_id, "type": s.envelope_type,
                "retry_attempt": s.retry_attempt, "after_gap": s.after_gap,
            })).collect::<Vec<_>>(),
            "acks": self.acks.iter().map(|a| json!({
                "at_ms": ms(a.at), "conn": a.conn, "envelope_id": a.envelope_id,
                "payload": a.payload, "known": a.known, "first": a.first,
            })).collect::<Vec<_>>(),
            "apps": self.apps.iter().map(|a| json!({
                "app_id": a.app_id, "had_gap": a.had_gap(),
                "queued_before_first_hello": a.queued_before_first_hello,
                "offline": a.offline.iter().map(|o| json!({
                    "from_ms": ms(o.from), "until_ms": o.until.map(ms),
                    "envelopes_due": o.envelopes_due.iter()
                        .map(|(id, attempt)| json!({"envelope_id": id, "retry_attempt": attempt}))
                        .collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "had_gap": self.had_gap(),
            "abandoned": self.abandoned,
        })
    }
}
