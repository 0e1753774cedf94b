//! The two names the core hands out and takes back.

use std::fmt;

/// One connection attempt: its web call and its WebSocket. Results about an attempt the core
/// has given up on are ignored, so a late answer can never confuse the current one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnId(pub u64);

impl fmt::Display for ConnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "conn#{}", self.0)
    }
}

/// The caller's name for one send; its [`Action::Settle`](crate::Action::Settle) carries it
/// back exactly once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SendHandle(pub u64);

/// The caller's name for one Web API call ([`Input::ApiCall`](crate::Input::ApiCall)); its
/// [`Action::ApiSettled`](crate::Action::ApiSettled) carries it back exactly once. Unique for
/// the client's lifetime, like a [`SendHandle`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CallId(pub u64);

impl fmt::Display for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "call#{}", self.0)
    }
}
