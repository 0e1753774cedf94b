//! Time for scenarios that run on any executor: a sleep and a bounded wait.
//!
//! The sleeps run on one small tokio runtime owned by this module (its own thread), so a
//! scenario can bound its waits the same way on tokio, async-std or a plain `block_on`: the
//! future the scenario awaits is only a channel receiver.

use std::future::Future;
use std::pin::pin;
use std::sync::OnceLock;
use std::time::Duration;

use futures::future::{Either, select};
use tokio::sync::oneshot;

fn timers() -> &'static tokio::runtime::Runtime {
    static TIMERS: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    TIMERS.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("conformance-timer")
            .enable_time()
            .build()
            .expect("the conformance timer runtime starts")
    })
}

/// Aborts the timer task when the sleep is dropped early (the usual case for a bound).
struct Abort(tokio::task::JoinHandle<()>);

impl Drop for Abort {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Completes after `d`, on any executor.
pub fn sleep(d: Duration) -> impl Future<Output = ()> + Send + 'static {
    let (tx, rx) = oneshot::channel::<()>();
    let task = timers().spawn(async move {
        tokio::time::sleep(d).await;
        let _ = tx.send(());
    });
    let abort = Abort(task);
    async move {
        // An error means the timer task is gone, which only happens once the time is up
        // (or the process is ending): either way the wait is over.
        let _ = rx.await;
        drop(abort);
    }
}

/// Awaits `f` for at most `limit`; panics naming `what` when the limit passes.
pub async fn within<F: Future>(what: &str, limit: Duration, f: F) -> F::Output {
    match select(pin!(f), pin!(sleep(limit))).await {
        Either::Left((v, _)) => v,
        Either::Right(_) => panic!("timed out after {limit:?} waiting for {what}"),
    }
}

/// Awaits `f` for at most `limit`; `None` when the limit passes (for "this must not happen").
pub async fn finishes_within<F: Future>(limit: Duration, f: F) -> Option<F::Output> {
    match select(pin!(f), pin!(sleep(limit))).await {
        Either::Left((v, _)) => Some(v),
        Either::Right(_) => None,
    }
}
