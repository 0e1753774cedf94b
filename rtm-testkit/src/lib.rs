//! A mock Slack for RTM and Socket Mode clients.
//!
//! - [`model`]: one sans-IO, deterministic Slack model (time is an input) serving RTM and
//!   Socket Mode ([`model::socket_mode`]), usable from an in-memory simulation with
//!   virtual time.
//! - [`server`]: the same model behind a real HTTP + WebSocket server on loopback, on its own
//!   thread and runtime, with faults and a record controllable from any runtime or none.
//! - `conformance` (feature `conformance`): the scenarios every adapter must pass, run by each
//!   adapter's tests against the loopback server (see `conformance_tests!`).
//! - `sim` (feature `sim`): the model and an `rtm_proto::Client` joined in memory on virtual time, for fast,
//!   deterministic and property tests.
//! - the `mock-slack` binary: the server for clients in any language (see README.md).
//!
//! Layers, by feature: the model and the server are always built; `sim` adds the simulation
//! (and rtm-proto), `conformance` the suite (and rtm-driver), `cli` (default) the binary.
#![forbid(unsafe_code)]
// docs.rs (nightly) labels feature-gated items with the feature they need.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

/// The code blocks of README.md, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

#[cfg(feature = "conformance")]
#[cfg_attr(docsrs, doc(cfg(feature = "conformance")))]
pub mod conformance;
pub mod logs;
pub mod model;
pub mod proxy;
pub mod server;
#[cfg(feature = "sim")]
#[cfg_attr(docsrs, doc(cfg(feature = "sim")))]
pub mod sim;

pub use model::{
    App, BlockAction, ChatConfig, Fault, HttpAnswer, HttpRequest, PostRecord, RateLimit, Record,
    ServerAction, SlackModel, SlashCommand, SocketId, SocketModeConfig, SocketModeRecord, Target,
    TokenKind, UserAction, WebFault, WireFrame, Workspace,
};
pub use server::{Error, MockSlack, ServerOptions, TlsCert};
