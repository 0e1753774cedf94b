//! The event streams: every subscriber gets every event, through a bounded buffer of its own.
//!
//! The driver publishes the events of one wake-up as one shared batch (one allocation and one
//! lock per batch and subscriber, not per event). Each subscriber has a buffer of batches:
//!
//! - **lossless** (the default, [`RtmClient::events`](crate::RtmClient::events)): a full
//!   buffer holds the session back. The driver stops reading the socket (TCP pushes back on
//!   the server) until the subscriber catches up; writing goes on (sends, pings), and the core
//!   does not count the pause against the pong deadline. Nothing is ever dropped. Use it for
//!   anything that acts on messages.
//! - **lossy** ([`Events::lossy`]): a full buffer loses its oldest batch, and the subscriber
//!   is told how many events it missed with an `Err(Lagged(n))` item. Use it for monitors
//!   that prefer dropping to slowing the session (a dashboard, a metrics counter).
//!
//! A subscription that is dropped releases its hold at once.

use std::collections::VecDeque;
use std::fmt;
use std::ops::Deref;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use futures::Stream;
use futures::task::AtomicWaker;
use rtm_proto::{Event, SocketModeEvent};

/// What a client publishes to its subscribers: RTM's [`Event`]s, or Socket Mode's
/// [`SocketModeEvent`]s. The one thing the hub asks of them is whether a subscriber's
/// pattern matches.
pub trait Subscribable: fmt::Debug + Send + Sync + 'static {
    /// Whether the event matches `pattern` (see [`Events::only`]).
    fn matches(&self, pattern: &str) -> bool;
}

impl Subscribable for Event {
    /// Lifecycle event names (`ready`, `disconnected`, ...), Slack types (`message`) or
    /// `type::subtype` (`message::bot_message`); `*` matches everything.
    fn matches(&self, pattern: &str) -> bool {
        match self {
            Event::Slack(e) => e.matches(pattern),
            other => pattern == "*" || other.name() == pattern,
        }
    }
}

impl Subscribable for SocketModeEvent {
    /// Lifecycle event names (`connected`, `refreshing`, `reconnecting`, `disconnected`,
    /// ...), `envelope` for every envelope, envelope types (`events_api`, `slash_commands`, `interactive`), the inner event
    /// of an events API envelope (`app_mention`, `message`, `message::bot_message`); `*`
    /// matches everything.
    fn matches(&self, pattern: &str) -> bool {
        if pattern == "*" {
            return true;
        }
        match self {
            SocketModeEvent::Envelope(e) => e.matches(pattern),
            other => other.name() == pattern,
        }
    }
}

/// The events of one wake-up of the driver, shared by all subscribers.
#[derive(Debug)]
pub(crate) struct Batch<E> {
    /// The sequence number of the first event: events emitted before it.
    pub(crate) first_seq: u64,
    pub(crate) events: Vec<E>,
}

impl<E> Batch<E> {
    fn end_seq(&self) -> u64 {
        self.first_seq + self.events.len() as u64
    }
}

/// A lock that a panic elsewhere does not make unusable (the data stays consistent: every
/// critical section below leaves it whole).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// One subscriber's buffer.
#[derive(Debug)]
struct Slot<E> {
    lossy: AtomicBool,
    state: Mutex<SlotState<E>>,
}

#[derive(Debug)]
struct SlotState<E> {
    queue: VecDeque<Arc<Batch<E>>>,
    /// The first event not yet delivered or dropped: a subscriber starts with the events
    /// emitted after it subscribed.
    next_seq: u64,
    /// Events dropped (lossy) and not reported yet.
    missed: u64,
    waker: Option<Waker>,
    /// What the subscriber wants: a batch with none of it is not queued, so that a filtered
    /// subscription waiting for rare events does not fill up with others.
    filter: Filter,
}

/// What the driver and the handles share.
#[derive(Debug)]
struct Hub<E> {
    /// Batches a subscriber's buffer holds before it holds the session back (lossless) or
    /// loses the oldest (lossy).
    capacity: usize,
    /// Events emitted so far, counted as they happen (before their batch is published).
    emitted: AtomicU64,
    subscribers: Mutex<Vec<Arc<Slot<E>>>>,
    /// The driver, while it waits for room in a lossless buffer.
    driver: AtomicWaker,
    /// The driver is gone: streams end once their buffers are empty.
    closed: AtomicBool,
}

/// The publishing side, shared by the driver and the client handles (which subscribe).
#[derive(Debug)]
pub(crate) struct Publisher<E> {
    hub: Arc<Hub<E>>,
}

impl<E> Clone for Publisher<E> {
    fn clone(&self) -> Self {
        Publisher {
            hub: self.hub.clone(),
        }
    }
}

impl<E: Subscribable> Publisher<E> {
    pub(crate) fn new(capacity: usize) -> Self {
        Publisher {
            hub: Arc::new(Hub {
                capacity: capacity.max(1),
                emitted: AtomicU64::new(0),
                subscribers: Mutex::new(Vec::new()),
                driver: AtomicWaker::new(),
                closed: AtomicBool::new(false),
            }),
        }
    }

    /// Counts one event as it happens (the driver then adds it to the batch).
    pub(crate) fn count_emitted(&self) {
        // One writer (the driver): a plain load and store, no read-modify-write.
        let n = self.hub.emitted.load(Ordering::Relaxed);
        self.hub.emitted.store(n + 1, Ordering::Release);
    }

    /// Publishes `events` (emptied; the last ones counted), unless nobody listens, and
    /// returns the batch sent. Asked here, once per batch, after the events happened: a
    /// subscriber that joined meanwhile gets the batch and skips what preceded it.
    pub(crate) fn publish(&self, events: &mut Vec<E>) -> Option<Arc<Batch<E>>> {
        if events.is_empty() {
            return None;
        }
        let subscribers = lock(&self.hub.subscribers);
        if subscribers.is_empty() {
            // Keeps the buffer's capacity for the next round.
            events.clear();
            return None;
        }
        let first_seq = self.hub.emitted.load(Ordering::Relaxed) - events.len() as u64;
        let batch = Arc::new(Batch {
            first_seq,
            events: std::mem::take(events),
        });
        for slot in subscribers.iter() {
            let waker = {
                let mut s = lock(&slot.state);
                if batch.end_seq() <= s.next_seq {
                    // Wholly from before this subscription.
                    continue;
                }
                if !s.filter.accepts_any(&batch.events) {
                    // Nothing for it (its events before next_seq aside, which it skips anyway).
                    continue;
                }
                if slot.lossy.load(Ordering::Relaxed) && s.queue.len() >= self.hub.capacity {
                    s.drop_oldest();
                }
                s.queue.push_back(batch.clone());
                s.waker.take()
            };
            if let Some(w) = waker {
                w.wake();
            }
        }
        Some(batch)
    }

    /// Whether every lossless subscriber has room for more. When one has not, the driver's
    /// waker is kept, and woken when it has (or is dropped, or turns lossy).
    pub(crate) fn has_room(&self, cx: &mut Context<'_>) -> bool {
        // Registered before looking: a subscriber that makes room after the look wakes it.
        self.hub.driver.register(cx.waker());
        let capacity = self.hub.capacity;
        lock(&self.hub.subscribers).iter().all(|slot| {
            slot.lossy.load(Ordering::Relaxed) || lock(&slot.state).queue.len() < capacity
        })
    }

    /// The driver is gone: every stream ends after the events it holds.
    pub(crate) fn close(&self) {
        self.hub.closed.store(true, Ordering::Release);
        for slot in lock(&self.hub.subscribers).iter() {
            let waker = lock(&slot.state).waker.take();
            if let Some(w) = waker {
                w.wake();
            }
        }
    }

    pub(crate) fn subscribe(&self) -> Events<E> {
        let mut subscribers = lock(&self.hub.subscribers);
        // Read under the lock `publish` takes: every event counted after this load is in a
        // batch published after this subscription is listed, so it is received.
        let next_seq = self.hub.emitted.load(Ordering::Acquire);
        let slot = Arc::new(Slot {
            lossy: AtomicBool::new(false),
            state: Mutex::new(SlotState {
                queue: VecDeque::new(),
                next_seq,
                missed: 0,
                waker: None,
                filter: Filter::default(),
            }),
        });
        subscribers.push(slot.clone());
        Events {
            hub: self.hub.clone(),
            slot,
            current: None,
            filter: Filter::default(),
        }
    }
}

impl<E> SlotState<E> {
    /// Lossy: drops the oldest batch, counting the events of it this subscriber would have had.
    fn drop_oldest(&mut self) {
        if let Some(oldest) = self.queue.pop_front() {
            let from = self.next_seq.max(oldest.first_seq);
            self.missed += oldest.end_seq().saturating_sub(from);
            self.next_seq = self.next_seq.max(oldest.end_seq());
        }
    }
}

/// One event of a batch: dereferences to the [`Event`]. Cloning it is cheap (no copy of the
/// frame); [`SharedEvent::to_event`] makes an owned copy.
pub struct SharedEvent<E = Event> {
    batch: Arc<Batch<E>>,
    index: usize,
}

impl<E> Clone for SharedEvent<E> {
    fn clone(&self) -> Self {
        SharedEvent {
            batch: self.batch.clone(),
            index: self.index,
        }
    }
}

impl<E: Clone> SharedEvent<E> {
    /// An owned copy of the event.
    pub fn to_event(&self) -> E {
        self.event().clone()
    }
}

impl<E> SharedEvent<E> {
    /// The event.
    pub fn event(&self) -> &E {
        &self.batch.events[self.index]
    }

    /// Its position in the client's event sequence (0 for the first event ever published).
    pub fn seq(&self) -> u64 {
        self.batch.first_seq + self.index as u64
    }
}

impl<E> Deref for SharedEvent<E> {
    type Target = E;

    fn deref(&self) -> &E {
        self.event()
    }
}

impl<E: fmt::Debug> fmt::Debug for SharedEvent<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.event().fmt(f)
    }
}

/// A lossy subscriber fell behind and `0` events were dropped from its buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the event subscriber lagged behind and missed {0} events")]
pub struct Lagged(pub u64);

/// Which events a subscriber wants: names such as `ready`, `message`, `message::bot_message`.
#[derive(Debug, Clone, Default)]
struct Filter {
    patterns: Vec<String>,
}

impl Filter {
    fn accepts<E: Subscribable>(&self, event: &E) -> bool {
        self.patterns.is_empty() || self.patterns.iter().any(|p| event.matches(p))
    }

    fn accepts_any<E: Subscribable>(&self, events: &[E]) -> bool {
        self.patterns.is_empty() || events.iter().any(|e| self.accepts(e))
    }
}

/// A subscription to the client's events: a [`Stream`] of `Result<SharedEvent, Lagged>`.
///
/// Lifecycle events (`connecting`, `ready`, `disconnected`, ...) and Slack's events come in
/// the order they happened. Subscribe before `start()` to see the session open. Lossless by
/// default: the stream never drops an event (a full buffer pauses reading the socket, so
/// keep polling it), and never yields `Err`; [`lossy`](Self::lossy) makes it drop instead.
/// The stream ends when the client is shut down (every handle dropped).
pub struct Events<E = Event> {
    hub: Arc<Hub<E>>,
    slot: Arc<Slot<E>>,
    /// The batch being delivered, and the index of its next event.
    current: Option<(Arc<Batch<E>>, usize)>,
    filter: Filter,
}

impl<E> fmt::Debug for Events<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Events")
            .field("filter", &self.filter.patterns)
            .field("lossy", &self.is_lossy())
            .finish_non_exhaustive()
    }
}

impl<E> Events<E> {
    /// Only the events matching one of the patterns from now on. RTM: lifecycle event names
    /// (`ready`, `disconnected`, ...), Slack types (`message`) or `type::subtype`
    /// (`message::bot_message`). Socket Mode: lifecycle names, envelope types
    /// (`slash_commands`) and inner event types (`app_mention`, `message::bot_message`).
    /// `*` matches everything. `Lagged` counts all missed events, matching or not.
    pub fn only<I, S>(mut self, patterns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.filter.patterns = patterns.into_iter().map(Into::into).collect();
        lock(&self.slot.state).filter = self.filter.clone();
        self
    }

    /// This subscription drops its oldest events when it falls behind, rather than holding
    /// the session back, and reports each loss as `Err(Lagged(n))`: for monitors that prefer
    /// dropping to slowing the session.
    pub fn lossy(self) -> Self {
        self.slot.lossy.store(true, Ordering::Relaxed);
        {
            let mut s = lock(&self.slot.state);
            while s.queue.len() > self.hub.capacity {
                s.drop_oldest();
            }
        }
        // It no longer holds the session back.
        self.hub.driver.wake();
        self
    }

    /// Whether this subscription drops events when it falls behind.
    pub fn is_lossy(&self) -> bool {
        self.slot.lossy.load(Ordering::Relaxed)
    }
}

impl<E> Drop for Events<E> {
    fn drop(&mut self) {
        lock(&self.hub.subscribers).retain(|s| !Arc::ptr_eq(s, &self.slot));
        // Its hold on the session is released at once.
        self.hub.driver.wake();
    }
}

impl<E: Subscribable> Stream for Events<E> {
    type Item = Result<SharedEvent<E>, Lagged>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some((batch, index)) = &mut this.current {
                while *index < batch.events.len() {
                    let i = *index;
                    *index += 1;
                    if this.filter.accepts(&batch.events[i]) {
                        return Poll::Ready(Some(Ok(SharedEvent {
                            batch: batch.clone(),
                            index: i,
                        })));
                    }
                }
                this.current = None;
            }
            let capacity = this.hub.capacity;
            let mut s = lock(&this.slot.state);
            if s.missed > 0 {
                let n = std::mem::take(&mut s.missed);
                return Poll::Ready(Some(Err(Lagged(n))));
            }
            match s.queue.pop_front() {
                Some(batch) => {
                    // Events of the batch from before the subscription are skipped.
                    let skip = s.next_seq.saturating_sub(batch.first_seq) as usize;
                    s.next_seq = s.next_seq.max(batch.end_seq());
                    let made_room = s.queue.len() + 1 == capacity;
                    drop(s);
                    if made_room && !this.is_lossy() {
                        this.hub.driver.wake();
                    }
                    this.current = Some((batch, skip));
                }
                None if this.hub.closed.load(Ordering::Acquire) => return Poll::Ready(None),
                None => {
                    s.waker = Some(cx.waker().clone());
                    return Poll::Pending;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use futures::StreamExt;
    use futures::executor::block_on;

    use super::*;

    /// As the driver does: each event counted as it happens, then the batch published.
    fn emit(publisher: &Publisher<Event>, mut events: Vec<Event>) {
        for _ in &events {
            publisher.count_emitted();
        }
        publisher.publish(&mut events);
    }

    fn batch(n: usize) -> Vec<Event> {
        (0..n).map(|_| Event::Ready).collect()
    }

    #[test]
    fn a_lossless_subscriber_gets_everything_and_holds_the_driver_back_until_it_reads() {
        let publisher = Publisher::new(2);
        let mut events = publisher.subscribe();
        let waker = futures::task::noop_waker();
        let mut cx = Context::from_waker(&waker);
        emit(&publisher, batch(10));
        assert!(publisher.has_room(&mut cx));
        emit(&publisher, batch(10));
        assert!(
            !publisher.has_room(&mut cx),
            "two batches fill a buffer of two"
        );
        // The driver may overshoot (it checks between rounds): nothing is dropped.
        emit(&publisher, batch(10));
        let lossy = publisher.subscribe().lossy();
        assert!(
            !publisher.has_room(&mut cx),
            "a lossy subscriber holds nothing back"
        );
        drop(lossy);
        block_on(async {
            let first: Vec<_> = (&mut events)
                .take(25)
                .map(|e| e.unwrap().seq())
                .collect()
                .await;
            assert_eq!(first, (0..25).collect::<Vec<_>>());
        });
        assert!(publisher.has_room(&mut cx), "reading made room");
        publisher.close();
        let rest: Vec<_> = block_on(events.map(|e| e.unwrap().seq()).collect());
        assert_eq!(rest, (25..30).collect::<Vec<_>>());
    }

    #[test]
    fn a_filtered_subscriber_holds_nothing_back_for_events_it_does_not_want() {
        let publisher = Publisher::new(1);
        let mut rare = publisher.subscribe().only(["disconnected"]);
        let waker = futures::task::noop_waker();
        let mut cx = Context::from_waker(&waker);
        for _ in 0..5 {
            emit(&publisher, batch(3));
        }
        assert!(publisher.has_room(&mut cx), "no batch it wants is queued");
        emit(
            &publisher,
            vec![Event::Ready, Event::Disconnected { error: None }],
        );
        assert!(
            !publisher.has_room(&mut cx),
            "a batch it wants fills its buffer"
        );
        publisher.close();
        block_on(async {
            let e = rare.next().await.unwrap().unwrap();
            assert_eq!((e.name(), e.seq()), ("disconnected", 16));
            assert!(rare.next().await.is_none());
        });
    }

    #[test]
    fn a_dropped_lossless_subscriber_releases_its_hold() {
        let publisher = Publisher::new(1);
        let events = publisher.subscribe();
        let waker = futures::task::noop_waker();
        let mut cx = Context::from_waker(&waker);
        emit(&publisher, batch(3));
        assert!(!publisher.has_room(&mut cx));
        drop(events);
        assert!(publisher.has_room(&mut cx));
    }

    #[test]
    fn a_lagging_subscriber_learns_exactly_how_many_events_it_missed() {
        let publisher = Publisher::new(2);
        let mut events = publisher.subscribe().lossy();
        for _ in 0..5 {
            emit(&publisher, batch(10));
        }
        publisher.close();
        block_on(async {
            assert_eq!(events.next().await.unwrap().unwrap_err(), Lagged(30));
            let mut seqs = Vec::new();
            while let Some(item) = events.next().await {
                seqs.push(item.unwrap().seq());
            }
            assert_eq!(seqs, (30..50).collect::<Vec<_>>());
        });
    }

    #[test]
    fn filters_apply_per_subscriber_and_nobody_listening_keeps_nothing() {
        let publisher = Publisher::new(4);
        emit(&publisher, batch(3));
        let all = publisher.subscribe();
        let mut none = publisher.subscribe().only(["disconnected"]);
        emit(&publisher, vec![Event::Connecting, Event::Ready]);
        publisher.close();
        block_on(async {
            let names: Vec<_> = all.map(|e| e.unwrap().name().to_owned()).collect().await;
            assert_eq!(names, ["connecting", "ready"]);
            assert!(none.next().await.is_none());
        });
    }

    #[test]
    fn a_subscriber_gets_exactly_the_events_after_it_subscribed() {
        let publisher = Publisher::new(4);
        let _early = publisher.subscribe();
        // One driver round: an event, then a subscription (on another thread), then an event
        // caused after it; the round's batch is published once, at its end.
        let mut round = Vec::new();
        publisher.count_emitted();
        round.push(Event::Ready);
        let late = publisher.subscribe();
        publisher.count_emitted();
        round.push(Event::Connecting);
        publisher.publish(&mut round);
        publisher.close();
        block_on(async {
            let got: Vec<_> = late.map(|e| e.unwrap().seq()).collect().await;
            assert_eq!(got, [1], "only the event after the subscription, no lag");
        });
    }
}
