//! # rtm-proto: the sans-IO core of a Slack RTM client
//!
//! All protocol decisions of a Slack Real Time Messaging client, as deterministic logic: the
//! connection state machine, the outgoing queue and message ids, ack matching, keepalive,
//! reconnect backoff and pacing. No I/O, no clock, no threads: time is an input, and the
//! [`Action`]s are performed by whoever owns the sockets (an async adapter such as
//! `rtm-tokio`, or a plain blocking loop, see `examples/src/bin/blocking_transport.rs`).
//!
//! ```no_run
//! use std::time::Instant;
//! use rtm_proto::{Action, Client, Config, Input, StartOptions};
//!
//! let mut client = Client::new(Config::default()).expect("valid config");
//! let mut actions = client.handle_input(Instant::now(), Input::Start(StartOptions::new("xoxb-…")));
//! loop {
//!     for action in actions.drain(..) {
//!         match action {
//!             Action::CallWebApi { .. } => { /* POST it; later feed Input::WebApiResult */ }
//!             Action::OpenWebSocket { .. } => { /* connect; feed WsOpened, WsText, WsClosed */ }
//!             Action::SendText { .. } | Action::CloseWebSocket { .. } | Action::DropWebSocket { .. } => {}
//!             Action::Emit(event) => println!("{}", event.name()),
//!             Action::Settle { .. } | Action::StartSettled(_) | Action::Ignored { .. } => {}
//!         }
//!     }
//!     // Wait for the socket, a user command, or the deadline; then feed what happened:
//!     let _wake_at = client.next_deadline();
//!     let input = Input::Tick; // or WsText { .. }, Send(..), ...
//!     actions = client.handle_input(Instant::now(), input);
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
//! Not done here: HTTP, WebSocket framing, TLS, timers, and the Web API beyond
//! `rtm.connect`/`rtm.start`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod backoff;
mod client;
mod config;
mod connect;
mod error;
mod event;
mod frame;
#[doc(hidden)]
pub mod fuzzing;
mod io;
mod outgoing;
mod pacing;
pub mod typed;

pub use client::{Client, Connected, Connecting, State};
pub use config::{Config, ConfigError, Pacing, RetryPolicy, StartOptions, Token};
pub use error::{FATAL_CONNECT_ERRORS, NoReplyReason, RtmError, SendError};
pub use event::{ConnectInfo, Event, Reply, Sent, SlackEvent};
pub use io::{Action, ConnId, Input, Outgoing, SendHandle, SendMode, WebMethod, WebResponse};
pub use typed::TypedEvent;
