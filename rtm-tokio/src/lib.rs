//! # rtm-tokio: a Slack RTM client on tokio
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
#![forbid(unsafe_code)]
// docs.rs (nightly) labels feature-gated items with the feature they need.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

mod connector;
mod runtime;

pub use connector::TokioConnector;
pub use rtm_driver::*;
pub use runtime::TokioRuntime;

/// Building a client on tokio: `ClientBuilder::new(token).…​.build()`.
pub trait BuilderExt {
    /// Builds the client on the current tokio runtime, with its own HTTP client.
    fn build(self) -> Result<RtmClient, Error>;

    /// Builds the client with a caller-supplied reqwest client for the web call (its TLS,
    /// proxy and pool settings then apply; the builder's extra roots apply to the WebSocket).
    fn build_with_http_client(self, http: reqwest::Client) -> Result<RtmClient, Error>;
}

impl BuilderExt for ClientBuilder {
    fn build(self) -> Result<RtmClient, Error> {
        let connector = TokioConnector::new(self.transport())?;
        self.build_with(TokioRuntime::current()?, connector)
    }

    fn build_with_http_client(self, http: reqwest::Client) -> Result<RtmClient, Error> {
        let connector = TokioConnector::new(self.transport())?.with_http_client(http);
        self.build_with(TokioRuntime::current()?, connector)
    }
}
