//! The calls awaiting the core's answer: sends by handle, starts and disconnects. Each is
//! completed by the action that settles it, exactly once.

use std::collections::HashMap;
use std::sync::Arc;

use rtm_proto::{ConnectInfo, RtmError, SendError, SendHandle, Sent};
use tokio::sync::oneshot;

type Reply<T> = oneshot::Sender<T>;

#[derive(Debug, Default)]
pub(crate) struct Completions {
    next_handle: u64,
    sends: HashMap<SendHandle, Reply<Result<Sent, SendError>>>,
    starts: Vec<Reply<Result<Arc<ConnectInfo>, RtmError>>>,
    disconnects: Vec<Reply<()>>,
}

impl Completions {
    /// Registers a send; returns its handle for the core.
    pub(crate) fn send(&mut self, done: Reply<Result<Sent, SendError>>) -> SendHandle {
        self.next_handle += 1;
        let handle = SendHandle(self.next_handle);
        self.sends.insert(handle, done);
        handle
    }

    pub(crate) fn start(&mut self, done: Reply<Result<Arc<ConnectInfo>, RtmError>>) {
        self.starts.push(done);
    }

    pub(crate) fn disconnect(&mut self, done: Reply<()>) {
        self.disconnects.push(done);
    }

    // The callers may have stopped waiting; that is their choice, so send errors are ignored.

    pub(crate) fn settle(&mut self, handle: SendHandle, result: Result<Sent, SendError>) {
        if let Some(tx) = self.sends.remove(&handle) {
            let _ = tx.send(result);
        }
    }

    pub(crate) fn start_settled(&mut self, result: &Result<Arc<ConnectInfo>, RtmError>) {
        for tx in self.starts.drain(..) {
            let _ = tx.send(result.clone());
        }
    }

    pub(crate) fn disconnect_settled(&mut self) {
        for tx in self.disconnects.drain(..) {
            let _ = tx.send(());
        }
    }

    /// Anything still unsettled (nothing, by the core's contract) learns it by the drop.
    pub(crate) fn clear(&mut self) {
        self.sends.clear();
        self.starts.clear();
        self.disconnects.clear();
    }
}
