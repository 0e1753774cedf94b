//! Collecting the events of a driver round into one batch, publishing it, and freeing
//! published batches on the driver's thread.

use std::collections::VecDeque;
use std::sync::Arc;

use crate::events::{Batch, Publisher, Subscribable};

/// Events per delivery: bounds a subscriber's memory (buffer × this) and the latency of the
/// first event of a flood.
pub(crate) const MAX_BATCH: usize = 128;
/// Published batches the driver keeps a reference to, to free them itself (see `reclaim`).
const RETIRED_MAX: usize = 64;

#[derive(Debug)]
pub(crate) struct Batcher<E: Subscribable> {
    publisher: Publisher<E>,
    /// The round's events so far (a reused buffer).
    batch: Vec<E>,
    /// Published batches, oldest first, to be freed here once every subscriber is done.
    retired: VecDeque<Arc<Batch<E>>>,
    /// A batch went out since the driver last looked for room.
    published: bool,
}

impl<E: Subscribable> Drop for Batcher<E> {
    fn drop(&mut self) {
        // However the driver ends (shut down, or its runtime dropped it), streams end.
        self.publisher.close();
    }
}

impl<E: Subscribable> Batcher<E> {
    pub(crate) fn new(publisher: Publisher<E>) -> Self {
        Batcher {
            publisher,
            batch: Vec::new(),
            retired: VecDeque::new(),
            published: false,
        }
    }

    /// Adds one event; a full batch is published at once.
    pub(crate) fn push(&mut self, event: E) {
        // Whether anyone listens is asked when the batch is published, not before: a
        // subscriber that joined while this round ran (e.g. just before causing the event)
        // must not miss it.
        self.publisher.count_emitted();
        self.batch.push(event);
        if self.batch.len() >= MAX_BATCH {
            self.publish();
        }
    }

    /// Publishes the round's events and frees the batches subscribers are done with.
    pub(crate) fn publish(&mut self) {
        if let Some(sent) = self.publisher.publish(&mut self.batch) {
            self.retired.push_back(sent);
            self.published = true;
        }
        self.reclaim();
    }

    /// Idle: keep no batch alive; those still in use are freed by their readers.
    pub(crate) fn idle(&mut self) {
        self.reclaim();
        self.retired.clear();
    }

    /// Whether every lossless subscriber has room (else the driver is woken when one has).
    pub(crate) fn has_room(&self, cx: &mut std::task::Context<'_>) -> bool {
        self.publisher.has_room(cx)
    }

    /// Whether a batch was published since the last call (room may have run out).
    pub(crate) fn take_published(&mut self) -> bool {
        std::mem::take(&mut self.published)
    }

    /// Frees, on the driver's thread, the published batches that every subscriber is done
    /// with, and reuses the newest one's `Vec`. Why: left to the last subscriber, every
    /// frame's `String` was allocated on the driver's thread and freed on the subscriber's,
    /// and glibc's allocator serialised the two threads on its arena lock (a flood showed
    /// ~25% of its samples in futex waits and wakes of that lock). Batches still in use stay
    /// queued in order, up to `RETIRED_MAX`; beyond it the oldest is left to its subscribers.
    fn reclaim(&mut self) {
        while let Some(oldest) = self.retired.pop_front() {
            match Arc::try_unwrap(oldest) {
                Ok(batch) => {
                    let mut events = batch.events;
                    events.clear();
                    if self.batch.capacity() < events.capacity() && self.batch.is_empty() {
                        self.batch = events;
                    }
                }
                Err(oldest) if self.retired.len() < RETIRED_MAX => {
                    self.retired.push_front(oldest);
                    break;
                }
                Err(_) => {}
            }
        }
    }
}
