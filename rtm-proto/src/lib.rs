//! # rtm-proto: the sans-IO core of a Slack RTM client
//!
//! All protocol decisions of a Slack Real Time Messaging client, as deterministic logic: the
//! connection state machine, the outgoing queue and message ids, ack matching, keepalive,
//! reconnect backoff and pacing. No I/O, no clock, no threads: time is an input, and the
//! [`Action`]s are performed by whoever owns the sockets (an async adapter such as
//! `rtm-tokio`, or a plain blocking loop, see `examples/src/bin/blocking_transport.rs`).
//!
//! The whole event loop of a caller, with the two rules it must keep (time only moves
//! forward; inputs born of performing actions wait until the batch is done):
//!
//! ```no_run
//! use std::collections::VecDeque;
//! use std::time::Instant;
//! use rtm_proto::{Action, Client, Config, Input, StartOptions};
//!
//! let mut client = Client::new(Config::default()).expect("valid config");
//! let mut inputs = VecDeque::from([Input::Start(StartOptions::new("xoxb-…"))]);
//! let mut actions = Vec::new();
//! loop {
//!     // Feed what happened, one input at a time, with the current time.
//!     while let Some(input) = inputs.pop_front() {
//!         client.handle_input_into(Instant::now(), input, &mut actions);
//!         for action in actions.drain(..) {
//!             match action {
//!                 Action::CallWebApi { .. } => { /* POST it; later feed Input::WebApiResult */ }
//!                 Action::OpenWebSocket { conn, url } => {
//!                     // A URL the transport refuses is an input born of this action: it is
//!                     // queued, and fed after the rest of the batch.
//!                     # let refused = url.is_empty();
//!                     if refused {
//!                         inputs.push_back(Input::WsRefused { conn, reason: "policy".into() });
//!                     }
//!                 }
//!                 Action::SendText { .. } | Action::SendPing { .. } | Action::CloseWebSocket { .. } => { /* write */ }
//!                 Action::DropWebSocket { .. } => { /* let go of the socket */ }
//!                 Action::Emit(event) => println!("{}", event.name()),
//!                 Action::SocketMode(_) => { /* only a Socket Mode client emits these */ }
//!                 Action::Settle { .. } => { /* complete one send */ }
//!                 Action::CallApi { .. } => { /* POST it; later feed Input::ApiResult */ }
//!                 Action::ApiSettled { .. } => { /* complete one Web API call */ }
//!                 Action::StartSettled(_) | Action::DisconnectSettled => { /* complete calls */ }
//!                 Action::Ignored { .. } => { /* log it */ }
//!             }
//!         }
//!     }
//!     // Wait for the socket, a user command, or the deadline; then feed what happened.
//!     let _wake_at = client.next_deadline();
//!     inputs.push_back(Input::Tick); // or WsText { .. }, Send { .. }, ...
//! }
//! ```
//!
//! What it guarantees, each covered by tests with virtual time:
//! - every state but `Disconnected` and `Ready` has a deadline or a pending transport result
//!   that leads out of it;
//! - every send settles exactly once ([`Action::Settle`]); acks are matched by id, so no send
//!   waits for another;
//! - message ids start at 1, grow, and never repeat for the client's lifetime;
//! - inputs that make no sense in a state are ignored ([`Action::Ignored`]), never a panic;
//! - the same configuration (with its `seed`) and inputs always give the same actions.
//!
//! Beside it, [`SocketModeClient`] is the same contract for Socket Mode
//! (`apps.connections.open`, envelopes and acks, exactly-once delivery over Slack's
//! at-least-once, refreshes that overlap the old and the new socket); both run on one
//! session engine, and speak the same [`Input`] / [`Action`] vocabulary (Socket Mode's
//! events come as [`Action::SocketMode`]).
//!
//! Both cores also make the user's Web API calls ([`Input::ApiCall`] with an [`ApiRequest`],
//! such as [`ApiRequest::chat_post_message`]; answered by one [`Action::ApiSettled`]), in
//! every state, since they need no socket. The core decides everything about them on the
//! same virtual time: validation, per-channel order and pacing of posts, the `Retry-After`
//! of a 429 (holding every call of that method), retries of 5xx and transport failures with
//! seeded backoff, timeouts ([`WebApiConfig`]). The caller only performs [`Action::CallApi`]
//! (`POST {api_url}{method}`, never following redirects) and reports [`Input::ApiResult`].
//!
//! ```
//! use std::time::Instant;
//! use rtm_proto::{Action, ApiRequest, CallId, ChatPostMessage, Client, Config, Input};
//!
//! let mut client = Client::new(Config::default())?;
//! let post = ApiRequest::chat_post_message("xoxb-…", &ChatPostMessage::new("C1", "hello"));
//! // Disconnected, yet the post goes out at once.
//! let actions = client.handle_input(Instant::now(), Input::ApiCall { call: CallId(1), request: post });
//! assert!(matches!(&actions[..], [Action::CallApi { call: CallId(1), method, .. }] if method == "chat.postMessage"));
//! # Ok::<(), rtm_proto::ConfigError>(())
//! ```
//!
//! Not done here: HTTP, WebSocket framing, TLS, timers.
#![forbid(unsafe_code)]
// docs.rs (nightly) labels feature-gated items with the feature they need.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

/// The code blocks of README.md, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

// Leaf first: each module uses only those above it.
mod action;
mod backoff;
mod client;
mod config;
mod connect;
mod error;
mod event;
mod frame;
#[cfg(feature = "fuzzing")]
#[cfg_attr(docsrs, doc(cfg(feature = "fuzzing")))]
pub mod fuzzing;
mod ids;
mod input;
#[cfg(feature = "invariants")]
#[cfg_attr(docsrs, doc(cfg(feature = "invariants")))]
pub mod invariants;
mod json_scan;
mod keepalive;
mod outbox;
mod outgoing;
mod pacing;
#[cfg(feature = "recording")]
#[cfg_attr(docsrs, doc(cfg(feature = "recording")))]
pub mod recording;
mod reply;
mod retry;
mod session;
mod socket_mode;
mod socket_mode_wire;
mod state;
mod time;
mod transport;
pub mod typed;
mod web_api;
mod web_api_wire;

pub use action::{Action, WebMethod};
pub use client::Client;
pub use config::{Config, ConfigError, Pacing, RetryLimit, RetryPolicy, StartOptions, Token};
pub use error::{FATAL_CONNECT_ERRORS, NoReplyReason, RtmError, SendError};
pub use event::{ConnectInfo, Event, SlackEvent};
pub use ids::{CallId, ConnId, SendHandle};
pub use input::{Input, WebResponse};
pub use outgoing::{Outgoing, SendMode};
pub use reply::{Reply, Sent};
pub use socket_mode::{
    AckError, DisconnectReason, Envelope, EnvelopeType, EventsApiEvent, Hello, Interactive,
    RefreshReason, SOCKET_MODE_FATAL_ERRORS, SlashCommand, SocketModeClient, SocketModeConfig,
    SocketModeError, SocketModeEvent,
};
pub use state::{Connected, Connecting, State};
pub use transport::{TransportError, TransportErrorKind};
pub use typed::TypedEvent;
pub use web_api::{
    ApiAnswer, ApiError, ApiRequest, Backoff, ChatPostMessage, PostedMessage, WebApiConfig,
};
