//! The invariants every run of the client keeps, checked step by step: one checker shared by
//! the fuzz targets, the proptests and the testkit's simulation (feature `invariants`).
//!
//! ```
//! use std::time::Instant;
//! use rtm_proto::{Client, Config, Input, StartOptions, invariants::Invariants};
//!
//! let mut client = Client::new(Config::default()).unwrap();
//! let mut check = Invariants::new();
//! check.feed(&mut client, Instant::now(), Input::Start(StartOptions::new("xoxb-…")));
//! check.feed(&mut client, Instant::now(), Input::Shutdown);
//! check.assert_all_settled();
//! ```

mod socket_mode;
mod web_api;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use crate::{Action, Client, Event, Input, RtmError};

pub use socket_mode::SocketModeInvariants;
pub use web_api::ApiCallInvariants;

/// The checker: feed it every step, and it panics with the invariant a step broke.
///
/// Per step: no handle settles twice; no `start()` settles twice; frames written are JSON
/// objects with an `id` that grows strictly across the client's life and fit the frame
/// limit; a state that owes a deadline has one; a reconnect delay is never below a 429's
/// `Retry-After` nor above `max(retry.max_delay, Retry-After)`, and the next web call never
/// comes before it. At the end ([`assert_all_settled`](Self::assert_all_settled), after
/// `Shutdown`): every send was answered exactly once. Web API calls: every
/// [`Input::ApiCall`] is answered by exactly one `ApiSettled`, and no `CallApi` names a
/// settled or unknown call ([`ApiCallInvariants`]).
#[derive(Debug, Default)]
pub struct Invariants {
    last_id: u64,
    written: Vec<u64>,
    submitted: BTreeSet<u64>,
    settled: BTreeMap<u64, u32>,
    not_before: Option<Instant>,
    api: ApiCallInvariants,
}

impl Invariants {
    /// A checker for a fresh client.
    pub fn new() -> Self {
        Invariants::default()
    }

    /// Feeds `input` to `client` at `now`, checks the step, and returns its actions.
    pub fn feed(&mut self, client: &mut Client, now: Instant, input: Input) -> Vec<Action> {
        self.observe(&input);
        let actions = client.handle_input(now, input);
        self.check(now, client, &actions);
        actions
    }

    /// Notes an input before it is fed (for callers that feed the client themselves).
    pub fn observe(&mut self, input: &Input) {
        if let Input::Send { handle, .. } = input {
            self.submitted.insert(handle.0);
        }
        self.api.observe(input);
    }

    /// Checks the actions of one step, with the client as it is after it.
    pub fn check(&mut self, now: Instant, client: &Client, actions: &[Action]) {
        let mut starts = 0;
        for action in actions {
            match action {
                Action::CallWebApi { .. } => {
                    if let Some(t) = self.not_before.take() {
                        assert!(now >= t, "a web call before Retry-After passed");
                    }
                }
                Action::Emit(Event::Reconnecting { delay, reason, .. }) => {
                    let mut most = client.config().retry.max_delay;
                    if let RtmError::RateLimited {
                        retry_after: Some(ra),
                    } = reason
                    {
                        assert!(delay >= ra, "{delay:?} undercuts Retry-After {ra:?}");
                        self.not_before = Some(now + *ra);
                        most = most.max(*ra);
                    }
                    assert!(*delay <= most, "{delay:?} over the cap {most:?}");
                }
                Action::Emit(Event::Disconnected { .. }) => self.not_before = None,
                Action::SendText { text, .. } => {
                    let limit = client.config().max_frame_bytes;
                    assert!(text.len() <= limit, "a frame of {} bytes", text.len());
                    let v: serde_json::Value =
                        serde_json::from_str(text).expect("frames written are JSON");
                    let id = v["id"].as_u64().expect("frames written have an id");
                    assert!(id > self.last_id, "id {id} after {}", self.last_id);
                    self.last_id = id;
                    self.written.push(id);
                }
                Action::Settle { handle, .. } => {
                    let n = self.settled.entry(handle.0).or_insert(0);
                    *n += 1;
                    assert_eq!(*n, 1, "handle {} settled twice", handle.0);
                }
                Action::StartSettled(_) => starts += 1,
                _ => {}
            }
        }
        assert!(starts <= 1, "start settled {starts} times in one step");
        if let Err(e) = self.api.check(actions) {
            panic!("{e}");
        }
        let state = client.state();
        assert!(
            !state.owes_deadline() || client.next_deadline().is_some(),
            "{state:?} without a deadline"
        );
    }

    /// The ids written so far, in order.
    pub fn written(&self) -> &[u64] {
        &self.written
    }

    /// How many times the send with this handle settled (0 or 1).
    pub fn settled(&self, handle: u64) -> u32 {
        self.settled.get(&handle).copied().unwrap_or(0)
    }

    /// When the next web call may come, after a 429.
    pub fn not_before(&self) -> Option<Instant> {
        self.not_before
    }

    /// The Web API calls' checker.
    pub fn api(&self) -> &ApiCallInvariants {
        &self.api
    }

    /// After `Shutdown`: every send the client was given settled exactly once, and every
    /// Web API call.
    pub fn assert_all_settled(&self) {
        self.api.assert_all_settled();
        for handle in &self.submitted {
            assert_eq!(
                self.settled(*handle),
                1,
                "handle {handle} settled {} times",
                self.settled(*handle)
            );
        }
    }

    /// The longest backoff a policy allows after a 429 that asked for `retry_after`.
    pub fn max_wait(max_delay: Duration, retry_after: Option<Duration>) -> Duration {
        retry_after.map_or(max_delay, |ra| ra.max(max_delay))
    }
}
