//! The invariants of a Socket Mode client, checked step by step (the fuzz harness and the
//! testkit's simulation share this checker).

use std::collections::BTreeSet;
use std::time::Instant;

use super::ApiCallInvariants;
use crate::{Action, Input, SocketModeClient, SocketModeEvent, State};

/// Per step: at most two sockets; a state that owes a deadline has one; an
/// [`Input::Ack`] is answered by exactly one `AckSettled` and nothing else settles one; no
/// envelope id reaches the user twice (ids are unique in the callers' runs, so this is the
/// redelivery filter at work); every [`Input::ApiCall`] (seen by [`feed`](Self::feed) or
/// [`observe`](Self::observe)) is answered by exactly one `ApiSettled`, and no `CallApi`
/// names a settled or unknown call.
#[derive(Debug, Default)]
pub struct SocketModeInvariants {
    delivered: BTreeSet<String>,
    api: ApiCallInvariants,
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
        self.observe(&input);
        let actions = client.handle_input(now, input);
        if let Err(e) = self.check(client, acking, &actions) {
            panic!("{e}");
        }
        actions
    }

    /// Notes an input before it is fed (for callers that feed the client themselves and
    /// make Web API calls).
    pub fn observe(&mut self, input: &Input) {
        self.api.observe(input);
    }

    /// The Web API calls' checker.
    pub fn api(&self) -> &ApiCallInvariants {
        &self.api
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
        self.api.check(actions)?;
        for a in actions {
            if let Action::SocketMode(SocketModeEvent::Envelope(env)) = a
                && !self.delivered.insert(env.envelope_id().to_owned())
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
