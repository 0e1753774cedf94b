//! What happened, with times, for assertions: web calls and every connection's frames.

use std::time::Instant;

use serde_json::{Value, json};

use super::{PostRecord, SocketId, SocketModeRecord, WebFault, WireFrame};

/// One frame with the instant the model saw (from the client) or emitted (to the client) it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// When (model time).
    pub at: Instant,
    /// The frame.
    pub frame: WireFrame,
}

/// One web call (`rtm.connect`, `apps.connections.open`, `chat.postMessage`, …) and its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebCall {
    /// When the call came (model time).
    pub at: Instant,
    /// The API method, e.g. `rtm.connect`.
    pub api_method: String,
    /// Request parameters (query and form), the token removed.
    pub params: Vec<(String, String)>,
    /// The token presented, if any.
    pub token: Option<String>,
    /// The HTTP status of the answer.
    pub status: u16,
    /// The body of the answer.
    pub body: String,
    /// The armed fault this call consumed.
    pub fault: Option<WebFault>,
}

/// Everything about one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnRecord {
    /// The connection.
    pub conn: SocketId,
    /// When the WebSocket opened (model time).
    pub opened_at: Instant,
    /// When the model learnt the connection ended (or ended it).
    pub closed_at: Option<Instant>,
    /// Frames the client sent.
    pub from_client: Vec<Recorded>,
    /// Frames the server sent (emitted by the model; flood frames only counted).
    pub to_client: Vec<Recorded>,
    /// Flood events sent.
    pub flooded: u64,
    /// The last `presence_sub` list, if any.
    pub presence_sub: Option<Vec<String>>,
    /// Close code and reason the server chose, if it closed.
    pub server_close: Option<(u16, String)>,
    /// Set when the server dropped TCP without a close frame.
    pub dropped: bool,
    /// Set when the connection was made half-open (silent both ways).
    pub half_open: bool,
}

impl ConnRecord {
    pub(crate) fn new(conn: SocketId, at: Instant) -> Self {
        ConnRecord {
            conn,
            opened_at: at,
            closed_at: None,
            from_client: Vec::new(),
            to_client: Vec::new(),
            flooded: 0,
            presence_sub: None,
            server_close: None,
            dropped: false,
            half_open: false,
        }
    }

    /// Whether the connection has not ended yet.
    pub fn is_open(&self) -> bool {
        self.closed_at.is_none()
    }

    /// JSON frames sent to the client.
    pub fn to_client_json(&self) -> Vec<Value> {
        self.to_client
            .iter()
            .filter_map(|r| r.frame.json())
            .collect()
    }

    /// JSON frames the client sent.
    pub fn from_client_json(&self) -> Vec<Value> {
        self.from_client
            .iter()
            .filter_map(|r| r.frame.json())
            .collect()
    }

    /// Frames sent to the client with this `type`.
    pub fn to_client_of_type(&self, ty: &str) -> Vec<Value> {
        self.to_client_json()
            .into_iter()
            .filter(|v| v["type"] == ty)
            .collect()
    }

    /// The reply sent for the client's frame `id`, if any.
    pub fn reply_to(&self, id: u64) -> Option<Value> {
        self.to_client_json()
            .into_iter()
            .find(|v| v["reply_to"].as_u64() == Some(id))
    }
}

/// The whole record of a model.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    /// Every web call, oldest first.
    pub web_calls: Vec<WebCall>,
    /// Every `chat.postMessage` attempt, answered or refused, oldest first.
    pub posts: Vec<PostRecord>,
    /// Every connection, RTM and Socket Mode, in opening order.
    pub connections: Vec<ConnRecord>,
    /// Envelopes, acks and offline intervals of Socket Mode apps.
    pub socket_mode: SocketModeRecord,
}

impl Record {
    /// The record of one connection.
    pub fn conn(&self, conn: SocketId) -> Option<&ConnRecord> {
        // Connection ids are handed out in order, so the list stays sorted.
        self.connections
            .binary_search_by_key(&conn, |c| c.conn)
            .ok()
            .map(|i| &self.connections[i])
    }

    pub(crate) fn conn_mut(&mut self, conn: SocketId) -> Option<&mut ConnRecord> {
        self.connections
            .binary_search_by_key(&conn, |c| c.conn)
            .ok()
            .map(|i| &mut self.connections[i])
    }

    /// The most recently opened connection.
    pub fn last_conn(&self) -> Option<&ConnRecord> {
        self.connections.last()
    }

    /// Connections still open.
    pub fn open_conns(&self) -> impl Iterator<Item = &ConnRecord> {
        self.connections.iter().filter(|c| c.is_open())
    }

    /// How many connections are open.
    pub fn active_connections(&self) -> usize {
        self.open_conns().count()
    }

    /// The record as JSON, times in milliseconds since `origin` (admin interface).
    pub fn to_json(&self, origin: Instant) -> Value {
        let ms = |t: Instant| t.saturating_duration_since(origin).as_secs_f64() * 1000.0;
        let frames = |v: &[Recorded]| -> Vec<Value> {
            v.iter()
                .map(|r| match &r.frame {
                    WireFrame::Text(t) => json!({"at_ms": ms(r.at), "text": t}),
                    WireFrame::Binary(b) => json!({"at_ms": ms(r.at), "binary": b}),
                })
                .collect()
        };
        json!({
            "web_calls": self.web_calls.iter().map(|w| json!({
                "at_ms": ms(w.at), "api_method": w.api_method,
                "params": w.params.iter().map(|(k, v)| json!([k, v])).collect::<Vec<_>>(),
                "token_present": w.token.is_some(),
                "status": w.status, "body": w.body, "fault": w.fault,
            })).collect::<Vec<_>>(),
            "posts": self.posts.iter().map(|p| p.to_json(origin)).collect::<Vec<_>>(),
            "connections": self.connections.iter().map(|c| json!({
                "conn": c.conn, "opened_at_ms": ms(c.opened_at),
                "closed_at_ms": c.closed_at.map(ms),
                "from_client": frames(&c.from_client),
                "to_client": frames(&c.to_client),
                "flooded": c.flooded, "presence_sub": c.presence_sub,
                "server_close": c.server_close.as_ref().map(|(code, reason)| json!({"code": code, "reason": reason})),
                "dropped": c.dropped, "half_open": c.half_open,
            })).collect::<Vec<_>>(),
            "socket_mode": self.socket_mode.to_json(origin),
        })
    }
}
