//! A mock Slack for RTM clients.
//!
//! - [`model`]: one sans-IO, deterministic Slack model (time is an input), usable from an
//!   in-memory simulation with virtual time.
//! - [`server`]: the same model behind a real HTTP + WebSocket server on loopback, on its own
//!   thread and runtime, with faults and a record controllable from any runtime or none.
//! - [`conformance`]: the scenarios every adapter must pass, run by each adapter's tests
//!   against the loopback server (see [`conformance_tests!`]).
//! - [`sim`]: the model and an `rtm_proto::Client` joined in memory on virtual time, for fast,
//!   deterministic and property tests.
//! - the `mock-slack` binary: the server for clients in any language (see README.md).
#![forbid(unsafe_code)]

pub mod conformance;
pub mod model;
pub mod proxy;
pub mod server;
pub mod sim;

pub use model::{
    ConnId, Fault, HttpAnswer, HttpRequest, Record, ServerAction, SlackModel, Target, UserAction,
    WebFault, WireFrame, Workspace,
};
pub use server::{Error, MockSlack, ServerOptions, TlsCert};
