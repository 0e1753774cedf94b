//! The Web API's invariants, shared by both cores' checkers: every
//! [`Input::ApiCall`] is answered by exactly one [`Action::ApiSettled`], and no
//! [`Action::CallApi`] names a call that is settled or was never made.

use std::collections::BTreeMap;

use crate::{Action, Input};

/// Counts the calls made and settled, per [`CallId`](crate::CallId).
#[derive(Debug, Default)]
pub struct ApiCallInvariants {
    /// Per call id: `ApiCall` inputs not yet answered (2 while a duplicate awaits its refusal).
    open: BTreeMap<u64, u32>,
    made: u64,
    settled: u64,
}

impl ApiCallInvariants {
    /// A checker for a fresh client.
    pub fn new() -> Self {
        ApiCallInvariants::default()
    }

    /// Notes an input before it is fed.
    pub fn observe(&mut self, input: &Input) {
        if let Input::ApiCall { call, .. } = input {
            *self.open.entry(call.0).or_insert(0) += 1;
            self.made += 1;
        }
    }

    /// Checks the actions of one step.
    pub fn check(&mut self, actions: &[Action]) -> Result<(), String> {
        for action in actions {
            match action {
                Action::CallApi { call, .. } if !self.open.contains_key(&call.0) => {
                    return Err(format!("CallApi for {call}, settled or never made"));
                }
                Action::ApiSettled { call, .. } => match self.open.get_mut(&call.0) {
                    Some(n) => {
                        *n -= 1;
                        if *n == 0 {
                            self.open.remove(&call.0);
                        }
                        self.settled += 1;
                    }
                    None => return Err(format!("{call} settled twice, or never made")),
                },
                _ => {}
            }
        }
        Ok(())
    }

    /// Calls made and not yet settled.
    pub fn open(&self) -> usize {
        self.open.values().map(|n| *n as usize).sum()
    }

    /// `ApiCall` inputs seen, and `ApiSettled` actions seen.
    pub fn counts(&self) -> (u64, u64) {
        (self.made, self.settled)
    }

    /// After `Shutdown`: every call was answered exactly once.
    pub fn assert_all_settled(&self) {
        assert!(
            self.open.is_empty(),
            "Web API calls never settled: {:?}",
            self.open
        );
    }
}
