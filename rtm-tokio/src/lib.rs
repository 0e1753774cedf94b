//! # rtm-tokio: a Slack RTM and Socket Mode client on tokio
//!
//! The client of [`rtm_driver`] (re-exported here: depend on this crate only) on the tokio
//! runtime, with reqwest for `rtm.connect` and tokio-tungstenite for the WebSocket, both over
//! rustls with the ring provider.
//!
//! A whole RTM session against `rtm-testkit`'s mock Slack on loopback (it runs as a doctest):
//! connect, send a message and get its ack, receive a user's message, disconnect.
//!
//! ```
//! use futures::StreamExt;
//! use rtm_testkit::{MockSlack, ServerOptions, UserAction};
//! use rtm_tokio::{BuilderExt, ClientBuilder, Event, TypedEvent};
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     // The mock's API URL stands in for https://slack.com/api/; its workspace's bot token.
//!     let slack = MockSlack::start(ServerOptions::default())?;
//!     let client = ClientBuilder::new("xoxb-test-token")
//!         .api_url(slack.api_url())
//!         .build()?;
//!     let mut messages = client.subscribe_filtered(["message"]);
//!
//!     let info = client.start().await?; // rtm.connect, the WebSocket, `hello`: ready
//!     assert_eq!(info.self_id, "U0BOT");
//!     let ack = client.send_message("hello", "C0GENERAL").await?;
//!     println!("posted at {:?}", ack.ts);
//!
//!     // A scripted user writes in the channel; the bot gets the `message` event.
//!     slack.act(UserAction::Message {
//!         user: "U0ALICE".into(),
//!         channel: "C0GENERAL".into(),
//!         text: "hi bot".into(),
//!     })?;
//!     let event = messages.next().await.expect("the stream is open")?;
//!     let Event::Slack(slack_event) = event.event() else {
//!         panic!("a Slack event was expected");
//!     };
//!     let TypedEvent::Message(message) = slack_event.typed()? else {
//!         panic!("a message was expected");
//!     };
//!     assert_eq!(message.text.as_deref(), Some("hi bot"));
//!
//!     client.disconnect().await?;
//!     Ok(())
//! }
//! ```
//!
//! The same against Slack: a bot token, and the default API URL.
//!
//! ```no_run
//! use futures::StreamExt;
//! use rtm_tokio::{BuilderExt, ClientBuilder};
//!
//! #[tokio::main]
//! async fn main() -> Result<(), rtm_tokio::Error> {
//!     let client = ClientBuilder::new("xoxb-…").build()?;
//!     let mut messages = client.subscribe_filtered(["message"]);
//!     client.start().await?;
//!     let ack = client.send_message("Hello", "C024BE91L").await?;
//!     println!("posted as {:?}", ack.ts);
//!     while let Some(Ok(event)) = messages.next().await {
//!         println!("{:?}", event);
//!     }
//!     Ok(())
//! }
//! ```
//!
//! Socket Mode (apps created today): an app-level token to connect, a bot token to reply.
//!
//! ```no_run
//! use futures::StreamExt;
//! use rtm_tokio::{BuilderExt, SocketModeBuilder};
//!
//! #[tokio::main]
//! async fn main() -> Result<(), rtm_tokio::Error> {
//!     let client = SocketModeBuilder::new("xapp-…").bot_token("xoxb-…").build()?;
//!     let mut commands = client.envelopes().only(["slash_commands"]);
//!     client.start().await?;
//!     while let Some(Ok(envelope)) = commands.next().await {
//!         let answer = serde_json::json!({"text": "on it"});
//!         client.ack_with(&envelope, &answer).await?;
//!         client.chat_post_message("C024BE91L", "done").await?;
//!     }
//!     Ok(())
//! }
//! ```
#![forbid(unsafe_code)]
// docs.rs (nightly) labels feature-gated items with the feature they need.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

mod connector;
mod runtime;

/// The code blocks of README.md, compiled (and, unless `no_run`, run) as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

pub use connector::TokioConnector;
pub use rtm_driver::*;
pub use runtime::TokioRuntime;

/// Building a client on tokio: `ClientBuilder::new(token).…​.build()` (RTM) or
/// `SocketModeBuilder::new(app_token).…​.build()` (Socket Mode).
pub trait BuilderExt {
    /// The client it builds.
    type Client;

    /// Builds the client on the current tokio runtime, with its own HTTP client.
    fn build(self) -> Result<Self::Client, Error>;

    /// Builds the client with a caller-supplied reqwest client for the web call (its TLS,
    /// proxy and pool settings then apply; the builder's extra roots apply to the WebSocket).
    fn build_with_http_client(self, http: reqwest::Client) -> Result<Self::Client, Error>;
}

/// The extension for each builder: the same connector and runtime, whatever the protocol.
macro_rules! builder_ext {
    ($($builder:ty => $client:ty),*) => {$(
        impl BuilderExt for $builder {
            type Client = $client;

            fn build(self) -> Result<Self::Client, Error> {
                let connector = TokioConnector::new(self.transport())?;
                self.build_with(TokioRuntime::current()?, connector)
            }

            fn build_with_http_client(self, http: reqwest::Client) -> Result<Self::Client, Error> {
                let connector = TokioConnector::new(self.transport())?.with_http_client(http);
                self.build_with(TokioRuntime::current()?, connector)
            }
        }
    )*};
}

builder_ext!(ClientBuilder => RtmClient, SocketModeBuilder => SocketModeClient);
