//! What the driver needs from an async runtime: a way to spawn it and a timer.
//!
//! Modelled on quinn's `Runtime` trait: the whole client is written once against these two
//! small traits, and each adapter (`rtm-tokio`, `rtm-async-std`) implements them in a few lines.

use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

/// A boxed, sendable future, as the traits of this crate pass them around.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// An async runtime: it runs the driver task and provides its timer.
pub trait Runtime: Send + Sync + Debug + 'static {
    /// Runs `future` to completion in the background.
    fn spawn(&self, future: BoxFuture<()>);

    /// The current time: the only clock the driver reads (a runtime with virtual time, such
    /// as tokio's paused clock, overrides it).
    fn now(&self) -> Instant {
        Instant::now()
    }

    /// A timer that fires at `deadline`. The driver creates one per client and resets it,
    /// so a timer wheel entry is reused rather than allocated per deadline.
    fn new_timer(&self, deadline: Instant) -> Pin<Box<dyn AsyncTimer>>;
}

/// A resettable timer.
pub trait AsyncTimer: Send + Debug + 'static {
    /// Makes the timer fire at `deadline` instead (earlier or later).
    fn reset(self: Pin<&mut Self>, deadline: Instant);

    /// `Ready` once the deadline has passed; registers the waker otherwise.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()>;
}
