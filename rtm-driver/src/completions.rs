//! The calls awaiting the core's answer: sends by handle, Web API calls by id, acks by
//! envelope, starts and disconnects. Each is completed by the action that settles it, exactly once.

use std::collections::{HashMap, VecDeque};

use rtm_proto::{AckError, ApiAnswer, ApiError, CallId, SendError, SendHandle, Sent};
use tokio::sync::oneshot;

type Reply<T> = oneshot::Sender<T>;

/// `T` is what `start()` completes with.
#[derive(Debug)]
pub(crate) struct Completions<T> {
    next_handle: u64,
    sends: HashMap<SendHandle, Reply<Result<Sent, SendError>>>,
    next_call: u64,
    calls: HashMap<CallId, Reply<Result<ApiAnswer, ApiError>>>,
    /// Per envelope, in the order the acks were fed (the core answers each in order).
    acks: HashMap<String, VecDeque<Reply<Result<(), AckError>>>>,
    starts: Vec<Reply<T>>,
    disconnects: Vec<Reply<()>>,
}

impl<T> Default for Completions<T> {
    fn default() -> Self {
        Completions {
            next_handle: 0,
            sends: HashMap::new(),
            next_call: 0,
            calls: HashMap::new(),
            acks: HashMap::new(),
            starts: Vec::new(),
            disconnects: Vec::new(),
        }
    }
}

impl<T: Clone> Completions<T> {
    /// Registers a send; returns its handle for the core.
    pub(crate) fn send(&mut self, done: Reply<Result<Sent, SendError>>) -> SendHandle {
        self.next_handle += 1;
        let handle = SendHandle(self.next_handle);
        self.sends.insert(handle, done);
        handle
    }

    /// Registers a Web API call; returns its id for the core.
    pub(crate) fn call(&mut self, done: Reply<Result<ApiAnswer, ApiError>>) -> CallId {
        self.next_call += 1;
        let call = CallId(self.next_call);
        self.calls.insert(call, done);
        call
    }

    pub(crate) fn call_settled(&mut self, call: CallId, result: Result<ApiAnswer, ApiError>) {
        if let Some(tx) = self.calls.remove(&call) {
            let _ = tx.send(result);
        }
    }

    pub(crate) fn ack(&mut self, envelope_id: String, done: Reply<Result<(), AckError>>) {
        self.acks.entry(envelope_id).or_default().push_back(done);
    }

    pub(crate) fn start(&mut self, done: Reply<T>) {
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

    pub(crate) fn ack_settled(&mut self, envelope_id: &str, result: Result<(), AckError>) {
        let Some(waiting) = self.acks.get_mut(envelope_id) else {
            return;
        };
        if let Some(tx) = waiting.pop_front() {
            let _ = tx.send(result);
        }
        if waiting.is_empty() {
            self.acks.remove(envelope_id);
        }
    }

    pub(crate) fn start_settled(&mut self, result: &T) {
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
        self.calls.clear();
        self.acks.clear();
        self.starts.clear();
        self.disconnects.clear();
    }
}
