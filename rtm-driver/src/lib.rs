//! # rtm-driver: the async Slack RTM client, written once for every runtime
//!
//! The protocol lives in [`rtm_proto`] (sans-IO: it decides everything, does nothing).
//! This crate is the one async client built on it: a driver task that owns the core, waits on
//! the WebSocket, the user's commands, the in-flight web call and the core's next deadline,
//! and performs what the core asks. It is generic over two small traits, so an adapter crate
//! (`rtm-tokio`, `rtm-async-std`) only supplies:
//!
//! - a [`Runtime`]: spawn a task, and a resettable [`AsyncTimer`];
//! - a [`Connector`]: the web call, and opening a WebSocket that is a `Stream` + `Sink` of
//!   tungstenite messages.
//!
//! The driver is generic over the sans-IO core it drives ([`Core`]: one input at a time, the
//! next deadline, a status snapshot), so a second protocol's core plugs into the same loop and
//! both adapters; it reads the clock only through [`Runtime::now`].
//!
//! Event subscriptions ([`RtmClient::events`]) are lossless: a subscriber whose buffer is full
//! pauses reading the socket (never the session's writes) until it catches up; the core is
//! told, so the pause does not count against the pong deadline. [`Events::lossy`] drops instead.
//!
//! Users depend on an adapter, which re-exports this crate's API; see README.md for the design.
#![forbid(unsafe_code)]
// docs.rs (nightly) labels feature-gated items with the feature they need.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

/// The code blocks of README.md, compiled (and, unless `no_run`, run) as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

// Leaf first: each module uses only those above it.
mod batcher;
mod builder;
mod client;
mod command;
mod completions;
mod core_trait;
mod driver;
mod error;
mod events;
mod handle;
pub mod proxy;
mod record;
mod runtime;
mod socket_mode;
mod socket_mode_builder;
mod status;
#[cfg(feature = "rustls")]
#[cfg_attr(docsrs, doc(cfg(feature = "rustls")))]
pub mod tls;
mod transport;
mod url_policy;
mod web_api;

pub use builder::{ClientBuilder, DEFAULT_API_URL, TransportOptions};
pub use client::RtmClient;
pub use core_trait::{Core, Report};
pub use error::Error;
pub use events::{Events, Lagged, SharedEvent, Subscribable};
pub use proxy::{Proxies, Proxy, ProxyUrl, Tunnel};
pub use runtime::{AsyncTimer, BoxFuture, Runtime};
pub use socket_mode::{Envelopes, SharedEnvelope, SocketModeClient};
pub use socket_mode_builder::SocketModeBuilder;
pub use status::{SocketModeStatus, Status};
pub use transport::{
    Connector, TransportError, TransportErrorKind, WebRequest, WebSocket, certificate_failure,
    connect_error, describe_error, proxy_auth_required, transport_error,
    transport_error_from_description, websocket_config, websocket_handshake_error,
};
/// The WebSocket configuration handed to [`Connector::open_websocket`].
pub use tungstenite::protocol::WebSocketConfig;
/// The parsed URL type of [`WebRequest::url`] and [`Connector::open_websocket`].
pub use url::Url;
pub use web_api::WebApi;

/// Recordings of a session ([`ClientBuilder::record_to`]) and their replay.
pub use rtm_proto::recording;
/// The Socket Mode core's types that appear in this API.
pub use rtm_proto::{
    AckError, DisconnectReason, Envelope, EnvelopeType, EventsApiEvent, Hello, Interactive,
    RefreshReason, SlashCommand, SocketModeConfig, SocketModeError, SocketModeEvent,
};
/// The Web API's types that appear in this API.
pub use rtm_proto::{ApiAnswer, ApiError, Backoff, ChatPostMessage, PostedMessage, WebApiConfig};
/// The protocol core's types that appear in this API.
pub use rtm_proto::{
    Config, ConfigError, ConnectInfo, Connected, Connecting, Event, NoReplyReason, Pacing, Reply,
    RetryLimit, RetryPolicy, RtmError, SendError, Sent, SlackEvent, StartOptions, State, Token,
    TypedEvent, WebResponse, typed,
};
/// The WebSocket frame types of the [`WebSocket`] a [`Connector`] opens, shared by
/// tokio-tungstenite and async-tungstenite: a `websocket::Message` is a WebSocket frame (text,
/// ping, close, ...), not a Slack message.
pub mod websocket {
    pub use tungstenite::{Error, Message};
}
