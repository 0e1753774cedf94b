//! The outbox: sends waiting for the session, sends awaiting their reply, per-channel pacing
//! and the message id counter. What it writes goes to the socket it is given.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use crate::action::Action;
use crate::config::Config;
use crate::error::{NoReplyReason, RtmError, SendError};
use crate::event::Event;
use crate::frame;
use crate::ids::{ConnId, SendHandle};
use crate::outgoing::{Outgoing, Prepared, SendMode};
use crate::pacing::Pacer;
use crate::reply::Sent;
use crate::time::{after, earliest};

/// A written send awaiting its reply.
#[derive(Debug)]
struct Pending {
    handle: SendHandle,
    deadline: Option<Instant>,
}

/// Where a send that passed the checks goes.
#[derive(Debug)]
pub(crate) enum Accepted {
    /// Write it now (an immediate send, paced already).
    Write(Prepared),
    /// It waits in the queue.
    Queued,
}

#[derive(Debug)]
pub(crate) struct Outbox {
    queue: VecDeque<Prepared>,
    /// Sends awaiting their reply, by id (ids grow with time, so the first times out first).
    pending: BTreeMap<u64, Pending>,
    pacer: Option<Pacer>,
    next_id: u64,
    queue_limit: usize,
    max_frame_bytes: usize,
    reply_timeout: Option<Duration>,
    send_timeout: Option<Duration>,
    emit_outgoing: bool,
}

impl Outbox {
    pub(crate) fn new(config: &Config) -> Self {
        Outbox {
            queue: VecDeque::new(),
            pending: BTreeMap::new(),
            pacer: config.pacing.map(Pacer::new),
            next_id: 1,
            queue_limit: config.queue_limit,
            max_frame_bytes: config.max_frame_bytes,
            reply_timeout: config.reply_timeout,
            send_timeout: config.send_timeout,
            emit_outgoing: config.emit_outgoing,
        }
    }

    pub(crate) fn queued(&self) -> usize {
        self.queue.len()
    }

    pub(crate) fn awaiting_reply(&self) -> usize {
        self.pending.len()
    }

    pub(crate) fn next_id(&self) -> u64 {
        self.next_id
    }

    /// The earliest reply deadline, or queued send's `send_timeout`.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        let reply = self.pending.values().next().and_then(|p| p.deadline);
        // Only with a send_timeout: pacing reorders the queue, so it is a scan (of at most
        // `queue_limit` sends).
        let queued = self
            .send_timeout
            .and_then(|_| self.queue.iter().filter_map(|q| q.expires).min());
        earliest(reply, queued)
    }

    /// Takes the next id (for a frame of the core's own, such as a ping).
    pub(crate) fn take_id(&mut self) -> u64 {
        let id = self.next_id;
        // 2^64 frames would take millennia; saturating keeps "never repeats" honest without a panic.
        self.next_id = self.next_id.saturating_add(1);
        id
    }

    /// Checks a send. `ready` is whether the session is ready (`Some(false)` while resuming,
    /// `None` with no session): an immediate send needs it, a queued one waits for it.
    pub(crate) fn accept(
        &mut self,
        now: Instant,
        handle: SendHandle,
        send: &Outgoing,
        config: &Config,
        ready: Option<bool>,
    ) -> Result<Accepted, SendError> {
        let prepared = Prepared::new(handle, send, config)?;
        match send.mode {
            SendMode::Immediate => {
                match ready {
                    Some(true) => {}
                    Some(false) => return Err(SendError::NotReady),
                    None => return Err(SendError::NotConnected),
                }
                if let (Some(pacer), Some(channel)) = (&mut self.pacer, &prepared.paced_channel) {
                    if let Err(at) = pacer.check(channel, now) {
                        return Err(SendError::Paced {
                            retry_after: at.saturating_duration_since(now),
                        });
                    }
                    pacer.take(channel, now);
                }
                Ok(Accepted::Write(prepared))
            }
            SendMode::Queued { .. } => {
                if self.queue.len() >= self.queue_limit {
                    return Err(SendError::QueueFull {
                        limit: self.queue_limit,
                    });
                }
                let mut prepared = prepared;
                prepared.expires = self.send_timeout.map(|t| after(now, t));
                self.queue.push_back(prepared);
                Ok(Accepted::Queued)
            }
        }
    }

    /// Writes one send on `conn`; returns whether a frame was written.
    pub(crate) fn write(
        &mut self,
        now: Instant,
        conn: ConnId,
        p: Prepared,
        out: &mut Vec<Action>,
    ) -> bool {
        // The exact size, now that the id is known (the check on arrival assumed the shortest).
        let size = p.size(self.next_id);
        if size > self.max_frame_bytes {
            out.push(Action::Settle {
                handle: p.handle,
                result: Err(SendError::TooLarge {
                    size,
                    limit: self.max_frame_bytes,
                }),
            });
            return false;
        }
        let id = self.take_id();
        let text = p.frame(id);
        if self.emit_outgoing {
            out.push(Action::Emit(Event::OutgoingMessage {
                id,
                frame: text.clone(),
            }));
        }
        out.push(Action::SendText { conn, text });
        if p.await_reply {
            let deadline = self.reply_timeout.map(|t| after(now, t));
            self.pending.insert(
                id,
                Pending {
                    handle: p.handle,
                    deadline,
                },
            );
        } else {
            out.push(Action::Settle {
                handle: p.handle,
                result: Ok(Sent::Written { id }),
            });
        }
        true
    }

    /// Writes what the queue and the pacing allow on `conn`. Returns whether anything was
    /// written, and when a paced send may go next.
    pub(crate) fn flush(
        &mut self,
        now: Instant,
        conn: ConnId,
        out: &mut Vec<Action>,
    ) -> (bool, Option<Instant>) {
        let mut wrote = false;
        let mut paced_until = None;
        for _ in 0..self.queue.len() {
            let Some(q) = self.queue.pop_front() else {
                break;
            };
            if let (Some(pacer), Some(channel)) = (&mut self.pacer, &q.paced_channel) {
                if let Err(at) = pacer.check(channel, now) {
                    // Wait for this channel; other channels go on (no head-of-line blocking).
                    paced_until = earliest(paced_until, Some(at));
                    self.queue.push_back(q);
                    continue;
                }
                pacer.take(channel, now);
            }
            wrote |= self.write(now, conn, q, out);
        }
        (wrote, paced_until)
    }

    /// A reply (`reply_to`) arrived: settles its send, if one awaits it.
    pub(crate) fn reply(&mut self, reply_to: u64, raw: &str, out: &mut Vec<Action>) {
        let Some(p) = self.pending.remove(&reply_to) else {
            return;
        };
        let result = match frame::reply::reply(reply_to, raw) {
            Ok(reply) => Ok(Sent::Replied(reply)),
            Err((code, msg)) => Err(SendError::Platform {
                id: reply_to,
                code,
                msg,
                raw: raw.to_owned(),
            }),
        };
        out.push(Action::Settle {
            handle: p.handle,
            result,
        });
    }

    /// Fails the queued sends and the replies that waited past their deadline.
    pub(crate) fn expire(&mut self, now: Instant, out: &mut Vec<Action>) {
        if let Some(waited) = self.send_timeout {
            let expired = |q: &Prepared| q.expires.is_some_and(|d| d <= now);
            if self.queue.iter().any(expired) {
                let (gone, kept) = std::mem::take(&mut self.queue)
                    .into_iter()
                    .partition(expired);
                self.queue = kept;
                for q in gone {
                    out.push(Action::Settle {
                        handle: q.handle,
                        result: Err(SendError::QueueTimeout { waited }),
                    });
                }
            }
        }
        while let Some((&id, p)) = self.pending.first_key_value() {
            match p.deadline {
                Some(d) if d <= now => {
                    let handle = p.handle;
                    self.pending.remove(&id);
                    out.push(Action::Settle {
                        handle,
                        result: Err(SendError::NoReply {
                            id,
                            reason: NoReplyReason::Timeout,
                        }),
                    });
                }
                _ => break,
            }
        }
    }

    /// Fails every awaited reply for `reason`.
    pub(crate) fn fail_pending(&mut self, reason: NoReplyReason, out: &mut Vec<Action>) {
        for (id, p) in std::mem::take(&mut self.pending) {
            out.push(Action::Settle {
                handle: p.handle,
                result: Err(SendError::NoReply { id, reason }),
            });
        }
    }

    /// The session ended for good: the queued sends will never go, and settle with `error`.
    pub(crate) fn fail_queued(&mut self, error: &RtmError, out: &mut Vec<Action>) {
        for q in std::mem::take(&mut self.queue) {
            out.push(Action::Settle {
                handle: q.handle,
                result: Err(SendError::SessionFailed {
                    error: Box::new(error.clone()),
                }),
            });
        }
    }

    /// The client is shut down: every send settles with `ClientClosed`, awaited ones first.
    pub(crate) fn close(&mut self, out: &mut Vec<Action>) {
        let pending = std::mem::take(&mut self.pending)
            .into_values()
            .map(|p| p.handle);
        let queued = std::mem::take(&mut self.queue)
            .into_iter()
            .map(|q| q.handle);
        for handle in pending.chain(queued) {
            out.push(Action::Settle {
                handle,
                result: Err(SendError::ClientClosed),
            });
        }
    }
}
