//! The tokio [`Runtime`]: spawn on a runtime handle, and tokio's timer.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use rtm_driver::{AsyncTimer, BoxFuture, Error, Runtime};
use tokio::runtime::Handle;
use tokio::time::Sleep;

/// Runs the driver on a tokio runtime.
#[derive(Debug, Clone)]
pub struct TokioRuntime(Handle);

impl TokioRuntime {
    /// The runtime this is called from.
    pub fn current() -> Result<Self, Error> {
        Handle::try_current()
            .map(TokioRuntime)
            .map_err(|e| Error::Transport(format!("not inside a tokio runtime: {e}")))
    }

    /// A given runtime.
    pub fn new(handle: Handle) -> Self {
        TokioRuntime(handle)
    }
}

impl Runtime for TokioRuntime {
    fn spawn(&self, future: BoxFuture<()>) {
        self.0.spawn(future);
    }

    fn new_timer(&self, deadline: Instant) -> Pin<Box<dyn AsyncTimer>> {
        // The handle's context: `sleep_until` needs the runtime's timer driver.
        let _guard = self.0.enter();
        Box::pin(Timer(Box::pin(tokio::time::sleep_until(deadline.into()))))
    }
}

/// `Sleep` is `!Unpin`; boxing it once keeps this crate free of pin projection.
#[derive(Debug)]
struct Timer(Pin<Box<Sleep>>);

impl AsyncTimer for Timer {
    fn reset(mut self: Pin<&mut Self>, deadline: Instant) {
        self.0.as_mut().reset(deadline.into());
    }

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.0.as_mut().poll(cx)
    }
}
