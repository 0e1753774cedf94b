//! Acks and the redelivery filter: which envelopes the user has, which await the user's
//! ack (and on which connection), which were acked. Delivery from Slack is at least once;
//! this makes it exactly once for the user, within a bounded window.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::window::{Key, Window};
use crate::ids::ConnId;
use crate::socket_mode_wire::error::AckError;
use crate::socket_mode_wire::frame::Envelope;
use crate::time::after;

/// An envelope delivered to the user and not acked yet.
#[derive(Debug, Clone)]
struct Pending {
    /// Where its ack goes: the connection that carried it last.
    conn: ConnId,
    accepts_payload: bool,
    /// Its place in arrival order (`Acks::order`).
    seq: u64,
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
    pending: HashMap<String, Pending>,
    /// Pending ids in arrival order with their warning time (monotonic, since the deadline
    /// is one duration): the front is the next to warn. Ids acked or warned meanwhile are
    /// skipped when they reach the front.
    order: VecDeque<(u64, String, Instant)>,
    next_seq: u64,
    /// The most envelopes awaiting the user's ack (`max_pending_acks`): past it, the oldest
    /// is forgotten, so a user who never acks cannot grow memory without bound.
    cap: usize,
    /// Envelope ids and event ids the user has been given.
    seen: Window,
    /// Envelope ids the user acked, or the redeliveries acked for them.
    acked: Window,
    /// Every envelope is acked on arrival: those in `seen` are acked (so they are not
    /// inserted into `acked` a second time, one window insert per envelope saved).
    auto_ack: bool,
}

impl Acks {
    pub(crate) fn new(
        deadline: Duration,
        window: usize,
        max_pending: usize,
        auto_ack: bool,
    ) -> Self {
        Acks {
            deadline,
            pending: HashMap::new(),
            order: VecDeque::new(),
            next_seq: 0,
            cap: max_pending.max(1),
            seen: Window::new(window.saturating_mul(2)),
            acked: Window::new(window),
            auto_ack,
        }
    }

    /// Drops from the front of `order` what no longer awaits a warning.
    fn tidy(&mut self) {
        while let Some((seq, id, _)) = self.order.front() {
            match self.pending.get(id) {
                Some(p) if p.seq == *seq => break,
                _ => {
                    self.order.pop_front();
                }
            }
        }
    }

    /// An envelope arrived at `now`.
    pub(crate) fn receive(&mut self, now: Instant, env: &Envelope) -> Receipt {
        // Inserted at once: `insert` says whether the key was new.
        let key = Key::envelope(env.envelope_id());
        let env_new = self.seen.insert(key);
        let evt_new = env
            .event_id()
            .is_none_or(|id| self.seen.insert(Key::event(id)));
        let seen = !(env_new && evt_new);
        if seen {
            if let Some(p) = self.pending.get_mut(env.envelope_id()) {
                // The user's ack is still to come: it follows the envelope to this connection.
                p.conn = env.conn();
                return Receipt::Duplicate { ack_now: false };
            }
            self.acked.insert(key);
            return Receipt::Duplicate { ack_now: true };
        }
        if self.auto_ack {
            return Receipt::Deliver { ack_now: true };
        }
        while self.pending.len() >= self.cap {
            // The oldest pending one (warned ones left `order`: the map is searched then).
            self.tidy();
            let oldest = match self.order.pop_front() {
                Some((_, id, _)) => id,
                None => match self.pending.iter().min_by_key(|(_, p)| p.seq) {
                    Some((id, _)) => id.clone(),
                    None => break,
                },
            };
            self.pending.remove(&oldest);
        }
        // Ids acked meanwhile linger in `order`; sweep them now and then, so it stays
        // within twice the bound at a linear cost spread over many envelopes.
        if self.order.len() >= self.cap.saturating_mul(2) {
            let pending = &self.pending;
            self.order
                .retain(|(seq, id, _)| pending.get(id).is_some_and(|p| p.seq == *seq));
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.order
            .push_back((seq, env.envelope_id().to_owned(), after(now, self.deadline)));
        self.pending.insert(
            env.envelope_id().to_owned(),
            Pending {
                conn: env.conn(),
                accepts_payload: env.accepts_response_payload(),
                seq,
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
            let key = Key::envelope(envelope_id);
            return Err(
                if self.acked.contains(key) || (self.auto_ack && self.seen.contains(key)) {
                    AckError::AlreadyAcked
                } else {
                    AckError::UnknownEnvelope
                },
            );
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
        self.acked.insert(Key::envelope(envelope_id));
        self.tidy();
        Ok(Checked { conn, payload })
    }

    /// Pending envelopes whose deadline passed at `now`, oldest first (each warned once).
    pub(crate) fn late(&mut self, now: Instant) -> Vec<String> {
        let mut late = Vec::new();
        self.tidy();
        while self.order.front().is_some_and(|(_, _, at)| *at <= now) {
            if let Some((_, id, _)) = self.order.pop_front() {
                late.push(id);
            }
            self.tidy();
        }
        late
    }

    /// When the next pending envelope is late: the front of the arrival order.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.order.front().map(|(_, _, at)| *at)
    }

    /// Envelopes awaiting the user's ack.
    pub(crate) fn pending(&self) -> usize {
        self.pending.len()
    }
}
