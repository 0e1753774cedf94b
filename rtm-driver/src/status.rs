//! The client's properties, as a snapshot of the core's state that the driver refreshes after
//! every input (derived from the core, never kept as separate flags).

use std::sync::Arc;

use rtm_proto::{ConnectInfo, State};

/// The properties of the reference client at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    /// The state.
    pub state: State,
    /// Whether the current attempt has authenticated (`authenticated`).
    pub authenticated: bool,
    /// The last successful web call's answer (`self`, `team`).
    pub info: Option<Arc<ConnectInfo>>,
}

impl Status {
    pub(crate) fn initial() -> Self {
        Status {
            state: State::Disconnected,
            authenticated: false,
            info: None,
        }
    }

    pub(crate) fn of(core: &rtm_proto::Client) -> Self {
        Status {
            state: core.state(),
            authenticated: core.is_authenticated(),
            info: core.connect_info().cloned(),
        }
    }

    /// Whether a session is live (`connected`).
    pub fn connected(&self) -> bool {
        matches!(self.state, State::Connected(_))
    }

    /// Whether the session is ready for sends.
    pub fn ready(&self) -> bool {
        matches!(self.state, State::Connected(rtm_proto::Connected::Ready))
    }

    /// `self.id` of the last successful web call (`active_user_id`).
    pub fn active_user_id(&self) -> Option<&str> {
        self.info.as_deref().map(|i| i.self_id.as_str())
    }

    /// `team.id` of the last successful web call (`active_team_id`).
    pub fn active_team_id(&self) -> Option<&str> {
        self.info.as_deref().map(|i| i.team_id.as_str())
    }
}
