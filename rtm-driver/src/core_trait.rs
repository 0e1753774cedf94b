//! What the driver needs of the sans-IO core it drives: one input at a time, the next
//! deadline, and a status snapshot for the handles. The RTM client implements it; a second
//! protocol's core speaks the same [`Input`]/[`Action`] vocabulary and plugs into the same
//! driver loop and both adapters with no runtime code of its own.

use std::sync::Arc;
use std::time::Instant;

use rtm_proto::{Action, Input};

use crate::status::Status;

/// A sans-IO core, as the driver drives it.
pub trait Core: Send + 'static {
    /// What the handles read between inputs (refreshed after each one).
    type Status: Clone + Send + Sync + 'static;

    /// Handles one input at `now`, appending the actions to perform to `out`.
    fn handle_input(&mut self, now: Instant, input: Input, out: &mut Vec<Action>);

    /// When to feed [`Input::Tick`] next.
    fn next_deadline(&self) -> Option<Instant>;

    /// The status now.
    fn status(&self) -> Self::Status;

    /// Whether the status differs from `last` (asked after every input: make it cheap).
    fn status_changed(&self, last: &Self::Status) -> bool;
}

impl Core for rtm_proto::Client {
    type Status = Status;

    fn handle_input(&mut self, now: Instant, input: Input, out: &mut Vec<Action>) {
        self.handle_input_into(now, input, out);
    }

    fn next_deadline(&self) -> Option<Instant> {
        rtm_proto::Client::next_deadline(self)
    }

    fn status(&self) -> Status {
        Status::of(self)
    }

    fn status_changed(&self, last: &Status) -> bool {
        // Compared in place: this runs per frame, and most frames change nothing.
        let same_info = match (&last.info, self.connect_info()) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        };
        !(last.state == self.state() && last.authenticated == self.is_authenticated() && same_info)
    }
}
