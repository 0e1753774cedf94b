//! The async-std [`Runtime`]: spawn on async-std's global executor, and async-io's timer.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use rtm_driver::{AsyncTimer, BoxFuture, Error, Runtime};

/// Runs the driver on async-std's global executor.
#[derive(Debug, Clone, Copy, Default)]
pub struct AsyncStdRuntime;

impl AsyncStdRuntime {
    /// The async-std runtime.
    pub fn new() -> Self {
        AsyncStdRuntime
    }

    /// The runtime this is called from. Always succeeds: async-std's executor is global and
    /// starts on first use. (Fallible for the same shape as `rtm_tokio::TokioRuntime::current`.)
    pub fn current() -> Result<Self, Error> {
        Ok(AsyncStdRuntime)
    }
}

impl Runtime for AsyncStdRuntime {
    fn spawn(&self, future: BoxFuture<()>) {
        // Dropping the handle detaches the task; the driver ends on its own when every client
        // handle is gone.
        drop(async_std::task::spawn(future));
    }

    fn new_timer(&self, deadline: Instant) -> Pin<Box<dyn AsyncTimer>> {
        Box::pin(Timer(async_io::Timer::at(deadline)))
    }
}

/// async-io's timer (what `async_std::task::sleep` runs on) can be re-armed in place.
#[derive(Debug)]
struct Timer(async_io::Timer);

impl AsyncTimer for Timer {
    fn reset(mut self: Pin<&mut Self>, deadline: Instant) {
        self.0.set_at(deadline);
    }

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.0).poll(cx).map(drop)
    }
}
