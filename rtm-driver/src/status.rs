//! The client's properties, as a snapshot of the core's state that the driver refreshes after
//! every input (derived from the core, never kept as separate flags).

use std::sync::Arc;

use rtm_proto::{ConnectInfo, State};

/// The properties of the reference client at one moment.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Status {
    /// The state.
    pub state: State,
    /// Whether the current attempt has authenticated (`authenticated`).
    pub authenticated: bool,
    /// The last successful web call's answer (`self`, `team`).
    pub info: Option<Arc<ConnectInfo>>,
}

impl Status {
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

/// The properties of a Socket Mode client at one moment.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SocketModeStatus {
    /// The state of the connection in use (`Connected(Ready)` while one said `hello`,
    /// refreshing or not).
    pub state: State,
    /// The last `hello` of a connection in use (`num_connections`, `app_id`, ...).
    pub hello: Option<Arc<rtm_proto::Hello>>,
    /// Whether a replacement connection is being opened beside the one in use.
    pub refreshing: bool,
    /// Envelopes delivered and not acked yet.
    pub pending_acks: usize,
}

impl SocketModeStatus {
    pub(crate) fn of(core: &rtm_proto::SocketModeClient) -> Self {
        SocketModeStatus {
            state: core.state(),
            hello: core.hello().cloned(),
            refreshing: core.is_refreshing(),
            pending_acks: core.pending_acks(),
        }
    }

    /// Whether a connection that said `hello` is in use.
    pub fn connected(&self) -> bool {
        self.state.is_connected()
    }

    /// `connection_info.app_id` of the last `hello`.
    pub fn app_id(&self) -> Option<&str> {
        self.hello.as_deref().and_then(|h| h.app_id.as_deref())
    }

    /// `num_connections` of the last `hello`.
    pub fn num_connections(&self) -> Option<u64> {
        self.hello.as_deref().and_then(|h| h.num_connections)
    }
}
