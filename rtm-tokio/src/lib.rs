//! # rtm-tokio: a Slack RTM and Socket Mode client on tokio
//!
//! The client of [`rtm_driver`] (re-exported here: depend on this crate only) on the tokio
//! runtime, with reqwest for `rtm.connect` and tokio-tungstenite for the WebSocket, both over
//! rustls with the ring provider.
//!
//! ```no_run
//! use futures::StreamExt;
//! use rtm_tokio::{BuilderExt, ClientBuilder};
//!
//! # async fn demo() -> Result<(), rtm_tokio::Error> {
//! let client = ClientBuilder::new("xoxb-…").build()?;
//! let mut messages = client.subscribe_filtered(["message"]);
//! client.start().await?;
//! let ack = client.send_message("Hello", "C024BE91L").await?;
//! println!("posted as {:?}", ack.ts);
//! while let Some(Ok(event)) = messages.next().await {
//!     println!("{:?}", event);
//! }
//! # Ok(()) }
//! ```
//!
//! Socket Mode (apps created today): an app-level token to connect, a bot token to reply.
//!
//! ```no_run
//! use futures::StreamExt;
//! use rtm_tokio::{BuilderExt, SocketModeBuilder};
//!
//! # async fn demo() -> Result<(), rtm_tokio::Error> {
//! let client = SocketModeBuilder::new("xapp-…").bot_token("xoxb-…").build()?;
//! let mut commands = client.envelopes().only(["slash_commands"]);
//! client.start().await?;
//! while let Some(Ok(envelope)) = commands.next().await {
//!     let answer = serde_json::json!({"text": "on it"});
//!     client.ack_with(&envelope, &answer).await?;
//!     client.chat_post_message("C024BE91L", "done").await?;
//! }
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
// docs.rs (nightly) labels feature-gated items with the feature they need.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

mod connector;
mod runtime;

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
