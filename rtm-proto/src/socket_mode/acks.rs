//! Acks and the redelivery filter: which envelopes the user has, which await the user's
//! ack (and on which connection), which were acked. Delivery from Slack is at least once;
//! this makes it exactly once for the user, within a bounded window.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::window::Window;
use crate::ids::ConnId;
use crate::socket_mode_wire::error::AckError;
use crate::socket_mode_wire::frame::Envelope;
use crate::time::{after, earliest};

/// An envelope delivered to the user and not acked yet.
#[derive(Debug, Clone)]
struct Pending {
    /// Where its ack goes: the connection that carried it last.
    conn: ConnId,
    /// When to warn that it is late; `None` once warned.
    warn_at: Option<Instant>,
    accepts_payload: bool,
}

/// What to do with an envelope that arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Receipt {
    /// New: deliver it to the user; `ack_now` in auto-ack mode.
    Deliver { ack_now: bool },
    /// A redelivery the user already has: not delivered again; `ack_now` unless the user's
    /// own ack is still to come (then it goes to the newest connection).
    Duplicate { ack_now: bool },
}

/// An ack the user asked for, checked.
#[derive(Debug, Clone)]
pub(crate) struct Checked {
    pub(crate) conn: ConnId,
    pub(crate) payload: Option<Value>,
}

#[derive(Debug)]
pub(crate) struct Acks {
    deadline: Duration,
    pending: BTreeMap<String, Pending>,
    /// Pending ids, oldest first: past `cap`, the oldest is forgotten, so a user who never
    /// acks cannot grow memory without bound (Slack has long given up on it by then).
    order: VecDeque<String>,
    cap: usize,
    /// Envelope ids (`env:`) and event ids (`evt:`) the user has been given.
    seen: Window,
    /// Envelope ids acked (by the user or automatically).
    acked: Window,
}

impl Acks {
    pub(crate) fn new(deadline: Duration, window: usize) -> Self {
        Acks {
            deadline,
            pending: BTreeMap::new(),
            order: VecDeque::new(),
            cap: window.max(1),
            seen: Window::new(window.saturating_mul(2)),
            acked: Window::new(window),
        }
    }

    /// An envelope arrived at `now`.
    pub(crate) fn receive(&mut self, now: Instant, env: &Envelope, auto_ack: bool) -> Receipt {
        let env_key = format!("env:{}", env.envelope_id);
        let evt_key = env.event_id.as_ref().map(|id| format!("evt:{id}"));
        let seen = self.seen.contains(&env_key)
            || evt_key.as_deref().is_some_and(|k| self.seen.contains(k));
        self.seen.insert(&env_key);
        if let Some(k) = &evt_key {
            self.seen.insert(k);
        }
        if seen {
            if let Some(p) = self.pending.get_mut(&env.envelope_id) {
                // The user's ack is still to come: it follows the envelope to this connection.
                p.conn = env.conn;
                return Receipt::Duplicate { ack_now: false };
            }
            self.acked.insert(&env.envelope_id);
            return Receipt::Duplicate { ack_now: true };
        }
        if auto_ack {
            self.acked.insert(&env.envelope_id);
            return Receipt::Deliver { ack_now: true };
        }
        while self.pending.len() >= self.cap {
            let Some(old) = self.order.pop_front() else {
                break;
            };
            self.pending.remove(&old);
        }
        // Ids acked meanwhile linger in `order`; sweep them now and then, so it stays
        // within twice the bound at a linear cost spread over many envelopes.
        if self.order.len() >= self.cap.saturating_mul(2) {
            self.order.retain(|id| self.pending.contains_key(id));
        }
        self.order.push_back(env.envelope_id.clone());
        self.pending.insert(
            env.envelope_id.clone(),
            Pending {
                conn: env.conn,
                warn_at: Some(after(now, self.deadline)),
                accepts_payload: env.accepts_response_payload,
            },
        );
        Receipt::Deliver { ack_now: false }
    }

    /// The user acks `envelope_id`: where the ack goes, or why it is refused. A refused
    /// payload leaves the envelope pending, so the user can ack it again without one.
    pub(crate) fn take(
        &mut self,
        envelope_id: &str,
        payload: Option<&str>,
    ) -> Result<Checked, AckError> {
        let Some(p) = self.pending.get(envelope_id) else {
            return Err(if self.acked.contains(envelope_id) {
                AckError::AlreadyAcked
            } else {
                AckError::UnknownEnvelope
            });
        };
        let payload = match payload {
            None => None,
            Some(_) if !p.accepts_payload => return Err(AckError::PayloadNotAccepted),
            Some(text) => match serde_json::from_str::<Value>(text) {
                Ok(v @ Value::Object(_)) => Some(v),
                _ => return Err(AckError::BadPayload),
            },
        };
        let conn = p.conn;
        self.pending.remove(envelope_id);
        self.acked.insert(envelope_id);
        Ok(Checked { conn, payload })
    }

    /// Pending envelopes whose deadline passed at `now` (each warned once).
    pub(crate) fn late(&mut self, now: Instant) -> Vec<String> {
        let mut late = Vec::new();
        for (id, p) in &mut self.pending {
            if p.warn_at.is_some_and(|t| t <= now) {
                p.warn_at = None;
                late.push(id.clone());
            }
        }
        late
    }

    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.pending
            .values()
            .fold(None, |d, p| earliest(d, p.warn_at))
    }

    /// Envelopes awaiting the user's ack.
    pub(crate) fn pending(&self) -> usize {
        self.pending.len()
    }
}
