//! The options of a Socket Mode client, and building one on a runtime and a connector.

use std::sync::Arc;
use std::time::Duration;

use rtm_proto::{RetryPolicy, SocketModeConfig, StartOptions, Token};

use crate::builder::{Common, common_options, random_seed};
use crate::error::Error;
use crate::handle::{Handles, Launch};
use crate::runtime::Runtime;
use crate::socket_mode::{Inner, SocketModeClient};
use crate::transport::Connector;

/// The options of a Socket Mode client; `build_with` (or an adapter's `build`) makes it.
///
/// The app-level token (`xapp-…`, scope `connections:write`) opens connections; replies go
/// through the Web API with a bot token (`xoxb-…`), set with [`bot_token`](Self::bot_token).
/// Defaults are Slack's and its SDKs': acks by the user, reconnects on, a ping after 10 s of
/// silence, a socket silent for 40 s is dead.
///
/// ```
/// let builder = rtm_driver::SocketModeBuilder::new("xapp-1-secret")
///     .bot_token("xoxb-secret")
///     .auto_ack(true);
/// assert!(builder.validate().is_ok());
/// assert!(!format!("{builder:?}").contains("secret"));
/// ```
#[derive(Debug, Clone)]
pub struct SocketModeBuilder {
    app_token: Token,
    bot_token: Option<Token>,
    config: SocketModeConfig,
    seeded: bool,
    common: Common,
}

impl SocketModeBuilder {
    /// Options with Slack's defaults and this app-level token (`xapp-…`).
    pub fn new(app_token: impl Into<Token>) -> Self {
        SocketModeBuilder {
            app_token: app_token.into(),
            bot_token: None,
            config: SocketModeConfig::default(),
            seeded: false,
            common: Common::default(),
        }
    }

    common_options!();

    /// The bot token (`xoxb-…`) for Web API calls such as `chat.postMessage`; without it
    /// those calls fail with a clear error.
    pub fn bot_token(mut self, token: impl Into<Token>) -> Self {
        self.bot_token = Some(token.into());
        self
    }

    /// Ack every envelope as it arrives, before it is delivered (default false: the user
    /// acks, which lets a slash command's ack carry its answer).
    pub fn auto_ack(mut self, on: bool) -> Self {
        self.config.auto_ack = on;
        self
    }

    /// Reconnect after a connection is lost (default true).
    pub fn auto_reconnect(mut self, on: bool) -> Self {
        self.config.auto_reconnect = on;
        self
    }

    /// Ask Slack to refresh connections every ~360 s (`debug_reconnects=true`), to test
    /// refresh handling (default false).
    pub fn debug_reconnects(mut self, on: bool) -> Self {
        self.config.debug_reconnects = on;
        self
    }

    /// Ping after this long without writing (default 10 s).
    pub fn ping_interval(mut self, d: Duration) -> Self {
        self.config.ping_interval = d;
        self
    }

    /// A ping unanswered this long means the socket is dead (default 10 s).
    pub fn pong_timeout(mut self, d: Duration) -> Self {
        self.config.pong_timeout = d;
        self
    }

    /// A socket that receives nothing (text, ping or pong) this long is dead: a half-open
    /// socket (default 40 s).
    pub fn idle_timeout(mut self, d: Duration) -> Self {
        self.config.idle_timeout = d;
        self
    }

    /// An envelope not acked within this is reported (`ack_late`, logged at WARN); Slack
    /// redelivers after about 3 s (default 3 s).
    pub fn ack_deadline(mut self, d: Duration) -> Self {
        self.config.ack_deadline = d;
        self
    }

    /// Deadline of `apps.connections.open` (default 30 s).
    pub fn web_call_timeout(mut self, d: Duration) -> Self {
        self.config.web_call_timeout = d;
        self
    }

    /// Deadline from the web call's answer to `hello` (default 30 s).
    pub fn hello_timeout(mut self, d: Duration) -> Self {
        self.config.hello_timeout = d;
        self
    }

    /// How long a replaced connection keeps being read before it is closed (default 2 s).
    pub fn drain_timeout(mut self, d: Duration) -> Self {
        self.config.drain_timeout = d;
        self
    }

    /// How long a close handshake may take before the socket is considered gone (default
    /// 2 s).
    pub fn close_timeout(mut self, d: Duration) -> Self {
        self.config.close_timeout = d;
        self
    }

    /// Open the replacement connection this long before `approximate_connection_time` runs
    /// out, even without Slack's `warning` (default 15 s).
    pub fn refresh_lead(mut self, d: Duration) -> Self {
        self.config.refresh_lead = d;
        self
    }

    /// How many envelope ids and event ids the redelivery filter remembers (default 1024).
    pub fn dedup_window(mut self, n: usize) -> Self {
        self.config.dedup_window = n;
        self
    }

    /// How many envelopes may await the user's ack before the oldest is forgotten (default
    /// 16,384).
    pub fn max_pending_acks(mut self, n: usize) -> Self {
        self.config.max_pending_acks = n;
        self
    }

    /// Retries of failed connection attempts; see
    /// [`ClientBuilder::retry`](crate::ClientBuilder::retry) (same defaults).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.config.retry = policy;
        self
    }

    /// The Web API's timeouts, retries and pacing (see
    /// [`ClientBuilder::web_api`](crate::ClientBuilder::web_api); same defaults).
    pub fn web_api(mut self, config: rtm_proto::WebApiConfig) -> Self {
        self.config.web_api = config;
        self
    }

    /// The backoff jitter seed (default: random per client; set it for reproducible runs).
    pub fn seed(mut self, seed: u64) -> Self {
        self.config.seed = seed;
        self.seeded = true;
        self
    }

    /// Every core option at once (replaces those set before).
    pub fn config(mut self, config: SocketModeConfig) -> Self {
        self.config = config;
        self
    }

    /// The core options.
    pub fn core_config(&self) -> &SocketModeConfig {
        &self.config
    }

    /// Checks the options: the core's rules, the tokens' kinds, the URL policy and the
    /// proxy settings.
    pub fn validate(&self) -> Result<(), Error> {
        self.config.validate()?;
        if self.app_token.expose().starts_with("xox") {
            return Err(Error::TokenKind(
                "Socket Mode opens connections with an app-level token (xapp-…), not a bot or \
                 user token (xox…): pass the bot token to bot_token()",
            ));
        }
        if self
            .bot_token
            .as_ref()
            .is_some_and(|t| t.expose().starts_with("xapp-"))
        {
            return Err(Error::TokenKind(
                "bot_token() takes a bot token (xoxb-…): an app-level token (xapp-…) cannot \
                 call chat.postMessage",
            ));
        }
        self.common.validate()
    }

    /// Builds the client and spawns its driver task on `runtime`. The connector does the I/O.
    pub fn build_with<R: Runtime, C: Connector>(
        mut self,
        runtime: R,
        connector: C,
    ) -> Result<SocketModeClient, Error> {
        self.validate()?;
        if !self.seeded {
            self.config.seed = random_seed(self.config.seed);
        }
        let core = rtm_proto::SocketModeClient::new(self.config)?;
        let launch = Launch {
            endpoint: self.common.endpoint()?,
            event_buffer: self.common.event_buffer,
            name: self.common.name,
        };
        let handles = Handles::spawn(core, runtime, connector, launch, |_| None);
        Ok(SocketModeClient {
            inner: Arc::new(Inner {
                handles,
                start: StartOptions::new(self.app_token),
                bot_token: self.bot_token,
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_socket_mode_option_has_a_setter_that_reaches_the_core_config() {
        let b = SocketModeBuilder::new("xapp-1-A1-x")
            .close_timeout(Duration::from_millis(300))
            .refresh_lead(Duration::from_secs(20))
            .dedup_window(64)
            .max_pending_acks(128);
        let c = b.core_config();
        assert_eq!(c.close_timeout, Duration::from_millis(300));
        assert_eq!(c.refresh_lead, Duration::from_secs(20));
        assert_eq!(c.dedup_window, 64);
        assert_eq!(c.max_pending_acks, 128);
        assert!(b.validate().is_ok());
        let zero = SocketModeBuilder::new("xapp-1-A1-x").dedup_window(0);
        assert!(matches!(zero.validate(), Err(Error::Config(_))));
    }
}
