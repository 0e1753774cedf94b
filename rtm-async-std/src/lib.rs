//! # rtm-async-std: a Slack RTM client on async-std
//!
//! The client of [`rtm_driver`] (re-exported here: depend on this crate only) on async-std,
//! with surf's default curl client (system OpenSSL) for `rtm.connect` and async-tungstenite
//! over rustls (ring provider) for the WebSocket. The API is the same as `rtm-tokio`'s.
//!
//! async-std and surf are unmaintained upstream: prefer `rtm-tokio` for new code; this crate
//! is for programs already on async-std (see README.md).
//!
//! ```no_run
//! use futures::StreamExt;
//! use rtm_async_std::{BuilderExt, ClientBuilder};
//!
//! #[async_std::main]
//! async fn main() -> Result<(), rtm_async_std::Error> {
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
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod connector;
mod http;
mod runtime;

/// The code blocks of README.md, compiled (and, unless `no_run`, run) as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

pub use connector::{AsyncStdConnector, MaybeTlsStream};
pub use rtm_driver::*;
pub use runtime::AsyncStdRuntime;

/// Building a client on async-std: `ClientBuilder::new(token).…​.build()` (RTM) or
/// `SocketModeBuilder::new(app_token).…​.build()` (Socket Mode).
pub trait BuilderExt {
    /// The client it builds.
    type Client;

    /// Builds the client on async-std's executor, with its own HTTP client.
    fn build(self) -> Result<Self::Client, Error>;

    /// Builds the client with a caller-supplied surf client for the web call (its backend,
    /// TLS and proxy settings then apply; the builder's extra roots apply to the WebSocket).
    fn build_with_http_client(self, http: surf::Client) -> Result<Self::Client, Error>;
}

/// The extension for each builder: the same connector and runtime, whatever the protocol.
macro_rules! builder_ext {
    ($($builder:ty => $client:ty),*) => {$(
        impl BuilderExt for $builder {
            type Client = $client;

            fn build(self) -> Result<Self::Client, Error> {
                let connector = AsyncStdConnector::new(self.transport())?;
                self.build_with(AsyncStdRuntime::current()?, connector)
            }

            fn build_with_http_client(self, http: surf::Client) -> Result<Self::Client, Error> {
                // Not `new(..)?.with_http_client(..)`: that would start a curl agent thread for nothing.
                let connector = AsyncStdConnector::with_surf_client(self.transport(), http)?;
                self.build_with(AsyncStdRuntime::current()?, connector)
            }
        }
    )*};
}

builder_ext!(ClientBuilder => RtmClient, SocketModeBuilder => SocketModeClient);
