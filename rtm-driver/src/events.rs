//! The event streams: every subscriber gets every event, through a bounded buffer of its own.
//!
//! The driver publishes the events of one wake-up as one shared batch (one allocation and one
//! channel operation per batch, not per event and subscriber). Each subscriber has a bounded
//! buffer of batches (a `tokio::sync::broadcast` channel, which is executor-agnostic): a slow
//! or absent consumer never stalls the driver (keepalive goes on) and never grows memory
//! without bound; instead it loses the oldest batches and is told how many events it missed
//! with an `Err(Lagged(n))` item, then goes on with the oldest events still buffered.

use std::fmt;
use std::ops::Deref;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use futures::Stream;
use futures::stream::BoxStream;
use rtm_proto::Event;
use tokio::sync::broadcast;

/// The events of one wake-up of the driver, shared by all subscribers.
#[derive(Debug)]
pub(crate) struct Batch {
    /// The sequence number of the first event: events emitted before it.
    pub(crate) first_seq: u64,
    pub(crate) events: Vec<Event>,
}

/// The publishing side, owned by the driver.
#[derive(Debug, Clone)]
pub(crate) struct Publisher {
    pub(crate) tx: broadcast::Sender<Arc<Batch>>,
    /// Events emitted so far, counted as they happen (before their batch is published): a
    /// subscriber starts there, so it gets exactly the events that happened after it
    /// subscribed, and counts as missed only those it lost.
    pub(crate) emitted: Arc<AtomicU64>,
}

impl Publisher {
    pub(crate) fn new(capacity: usize) -> Self {
        Publisher {
            tx: broadcast::channel(capacity.max(1)).0,
            emitted: Arc::new(AtomicU64::new(0)),
        }
    }

    pub(crate) fn has_subscribers(&self) -> bool {
        self.tx.receiver_count() > 0
    }

    /// Counts one event as it happens (the driver then adds it to the batch).
    pub(crate) fn count_emitted(&self) {
        // One writer (the driver): a plain load and store, no read-modify-write.
        let n = self.emitted.load(Ordering::Relaxed);
        self.emitted.store(n + 1, Ordering::Release);
    }

    /// Publishes `events` (emptied; the last ones counted), unless nobody listens, and
    /// returns the batch sent. Asked here, once per batch (it takes the channel's lock),
    /// after the events happened: a subscriber that joined meanwhile gets the batch and skips
    /// what preceded it.
    pub(crate) fn publish(&self, events: &mut Vec<Event>) -> Option<Arc<Batch>> {
        if events.is_empty() {
            return None;
        }
        if !self.has_subscribers() {
            // Keeps the buffer's capacity for the next round.
            events.clear();
            return None;
        }
        let first_seq = self.emitted.load(Ordering::Relaxed) - events.len() as u64;
        let batch = Batch {
            first_seq,
            events: std::mem::take(events),
        };
        let batch = Arc::new(batch);
        // An error only means that nobody listens: the events are dropped, as documented.
        let _ = self.tx.send(batch.clone());
        Some(batch)
    }

    pub(crate) fn subscribe(&self) -> Events {
        let rx = self.tx.subscribe();
        // Subscribed first: every event counted after this load is sent after it, so received.
        let next_seq = self.emitted.load(Ordering::Acquire);
        Events::new(rx, next_seq)
    }
}

/// One event of a batch: dereferences to the [`Event`]. Cloning it is cheap (no copy of the
/// frame); [`SharedEvent::to_event`] makes an owned copy.
#[derive(Clone)]
pub struct SharedEvent {
    batch: Arc<Batch>,
    index: usize,
}

impl SharedEvent {
    /// The event.
    pub fn event(&self) -> &Event {
        &self.batch.events[self.index]
    }

    /// An owned copy of the event.
    pub fn to_event(&self) -> Event {
        self.event().clone()
    }

    /// Its position in the client's event sequence (0 for the first event ever published).
    pub fn seq(&self) -> u64 {
        self.batch.first_seq + self.index as u64
    }
}

impl Deref for SharedEvent {
    type Target = Event;

    fn deref(&self) -> &Event {
        self.event()
    }
}

impl fmt::Debug for SharedEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.event().fmt(f)
    }
}

/// The subscriber fell behind and `0` events were dropped from its buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the event subscriber lagged behind and missed {0} events")]
pub struct Lagged(pub u64);

/// Which events a subscriber wants: names such as `ready`, `message`, `message::bot_message`.
#[derive(Debug, Clone, Default)]
struct Filter {
    patterns: Vec<String>,
}

impl Filter {
    fn accepts(&self, event: &Event) -> bool {
        self.patterns.is_empty()
            || self.patterns.iter().any(|p| match event {
                Event::Slack(e) => e.matches(p),
                other => p == "*" || other.name() == p,
            })
    }
}

enum Delivery {
    /// A batch, and how many of its first events precede the subscription.
    Batch(Arc<Batch>, usize),
    Lagged(u64),
}

/// A subscription to the client's events: a [`Stream`] of `Result<SharedEvent, Lagged>`.
///
/// Lifecycle events (`connecting`, `ready`, `disconnected`, ...) and Slack's events come in
/// the order they happened. Subscribe before `start()` to see the session open. The stream
/// ends when the client is shut down (every handle dropped).
pub struct Events {
    deliveries: BoxStream<'static, Delivery>,
    current: Option<(Arc<Batch>, usize)>,
    filter: Filter,
}

impl fmt::Debug for Events {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Events")
            .field("filter", &self.filter.patterns)
            .finish_non_exhaustive()
    }
}

impl Events {
    fn new(rx: broadcast::Receiver<Arc<Batch>>, next_seq: u64) -> Self {
        let deliveries = futures::stream::unfold(
            (rx, next_seq, None::<Arc<Batch>>),
            |(mut rx, mut next_seq, held)| async move {
                // After a lag report, the batch that revealed its size comes next.
                let mut held = held;
                let batch = loop {
                    let batch = match held.take() {
                        Some(b) => b,
                        None => match rx.recv().await {
                            Ok(b) => b,
                            Err(broadcast::error::RecvError::Lagged(_)) => continue,
                            Err(broadcast::error::RecvError::Closed) => return None,
                        },
                    };
                    // A batch wholly from before the subscription.
                    if batch.first_seq + (batch.events.len() as u64) > next_seq {
                        break batch;
                    }
                };
                let missed = batch.first_seq.saturating_sub(next_seq);
                if missed > 0 {
                    next_seq = batch.first_seq;
                    return Some((Delivery::Lagged(missed), (rx, next_seq, Some(batch))));
                }
                // Events of the batch from before the subscription are skipped.
                let skip = (next_seq - batch.first_seq) as usize;
                next_seq = batch.first_seq + batch.events.len() as u64;
                Some((Delivery::Batch(batch, skip), (rx, next_seq, None)))
            },
        );
        Events {
            deliveries: Box::pin(deliveries),
            current: None,
            filter: Filter::default(),
        }
    }

    /// Only the events matching one of the patterns from now on: lifecycle event names
    /// (`ready`, `disconnected`, ...), Slack types (`message`) or `type::subtype`
    /// (`message::bot_message`); `*` matches everything. `Lagged` counts all missed events,
    /// matching or not.
    pub fn only<I, S>(mut self, patterns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.filter.patterns = patterns.into_iter().map(Into::into).collect();
        self
    }
}

impl Stream for Events {
    type Item = Result<SharedEvent, Lagged>;

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
            match this.deliveries.as_mut().poll_next(cx) {
                Poll::Ready(Some(Delivery::Batch(b, skip))) => this.current = Some((b, skip)),
                Poll::Ready(Some(Delivery::Lagged(n))) => return Poll::Ready(Some(Err(Lagged(n)))),
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
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
    fn emit(publisher: &Publisher, mut events: Vec<Event>) {
        for _ in &events {
            publisher.count_emitted();
        }
        publisher.publish(&mut events);
    }

    fn batch(n: usize) -> Vec<Event> {
        (0..n).map(|_| Event::Ready).collect()
    }

    #[test]
    fn a_lagging_subscriber_learns_exactly_how_many_events_it_missed() {
        let publisher = Publisher::new(2);
        let mut events = publisher.subscribe();
        for _ in 0..5 {
            emit(&publisher, batch(10));
        }
        drop(publisher);
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
        drop(publisher);
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
        drop(publisher);
        block_on(async {
            let got: Vec<_> = late.map(|e| e.unwrap().seq()).collect().await;
            assert_eq!(got, [1], "only the event after the subscription, no lag");
        });
    }
}
