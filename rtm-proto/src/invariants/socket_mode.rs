//! The invariants of a Socket Mode client, checked step by step (the fuzz harness and the
//! testkit's simulation share this checker).

use std::collections::BTreeSet;
use std::time::Instant;

use crate::{Action, Input, SocketModeClient, SocketModeEvent, State};

/// Per step: at most two sockets; a state that owes a deadline has one; an
/// [`Input::Ack`] is answered by exactly one `AckSettled` and nothing else settles one; no
/// envelope id reaches the user twice (ids are unique in the callers' runs, so this is the
/// redelivery filter at work).
#[derive(Debug, Default)]
pub struct SocketModeInvariants {
    delivered: BTreeSet<String>,
}

impl SocketModeInvariants {
    /// A checker for a fresh client.
    pub fn new() -> Self {
        SocketModeInvariants::default()
    }

    /// Feeds `input` to `client` at `now`, checks the step (panicking with the invariant it
    /// broke), and returns its actions.
    pub fn feed(
        &mut self,
        client: &mut SocketModeClient,
        now: Instant,
        input: Input,
    ) -> Vec<Action> {
        let acking = matches!(input, Input::Ack { .. });
        let actions = client.handle_input(now, input);
        if let Err(e) = self.check(client, acking, &actions) {
            panic!("{e}");
        }
        actions
    }

    /// Checks the actions of one step (`acking`: the input was an [`Input::Ack`]), with the
    /// client as it is after it.
    pub fn check(
        &mut self,
        client: &SocketModeClient,
        acking: bool,
        actions: &[Action],
    ) -> Result<(), String> {
        let held = client.sockets().len();
        if held > 2 {
            return Err(format!("{held} sockets: {actions:?}"));
        }
        let state = client.state();
        if !matches!(state, State::Disconnected | State::Connected(_))
            && client.next_deadline().is_none()
        {
            return Err(format!("{state:?} without a deadline"));
        }
        let settles = actions
            .iter()
            .filter(|a| matches!(a, Action::SocketMode(SocketModeEvent::AckSettled { .. })))
            .count();
        if settles != usize::from(acking) {
            return Err(format!("{settles} ack settles for one input: {actions:?}"));
        }
        for a in actions {
            if let Action::SocketMode(SocketModeEvent::Envelope(env)) = a
                && !self.delivered.insert(env.envelope_id.clone())
            {
                return Err(format!("delivered twice: {env:?}"));
            }
        }
        Ok(())
    }

    /// The envelope ids delivered so far.
    pub fn delivered(&self) -> &BTreeSet<String> {
        &self.delivered
    }
}
