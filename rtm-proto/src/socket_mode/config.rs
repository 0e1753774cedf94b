//! What a Socket Mode client is configured with. `start()` takes RTM's
//! [`StartOptions`](crate::StartOptions): its token is the app-level token (`xapp-…`).

use std::time::Duration;

use crate::config::WebApiConfig;
use crate::config::{ConfigError, RetryPolicy, setters};

/// The Socket Mode client's options; every deadline is configurable (tests shorten them).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SocketModeConfig {
    /// Reconnect when a connection is lost.
    pub auto_reconnect: bool,
    /// Appends `&debug_reconnects=true` to the socket URL: Slack then refreshes every
    /// ~360 s (for testing refresh handling).
    pub debug_reconnects: bool,
    /// Ack every envelope as it arrives, before the user sees it.
    pub auto_ack: bool,
    /// An envelope the user has not acked within this gets an [`AckLate`] warning (Slack
    /// redelivers after 3 s).
    ///
    /// [`AckLate`]: crate::SocketModeEvent::AckLate
    pub ack_deadline: Duration,
    /// How many envelope ids and event ids the redelivery filter remembers (memory bound).
    pub dedup_window: usize,
    /// How many envelopes may await the user's ack; past it the oldest is forgotten (memory
    /// bound; its ack is then refused as unknown, and Slack redelivers it). Default 16,384:
    /// above what the driver reads ahead of a subscriber, so acking in order is never refused.
    pub max_pending_acks: usize,
    /// Ping the server after this long without writing.
    pub ping_interval: Duration,
    /// A ping answered by no inbound frame within this means the socket is dead.
    pub pong_timeout: Duration,
    /// A socket with no inbound frame (text, ping or pong) for this long is dead: the
    /// half-open socket a NAT left behind.
    pub idle_timeout: Duration,
    /// The time allowed to `apps.connections.open`.
    pub web_call_timeout: Duration,
    /// The time from the web call's answer to `hello`.
    pub hello_timeout: Duration,
    /// The time allowed to the close handshake.
    pub close_timeout: Duration,
    /// How long a replaced socket keeps being read before it is closed (envelopes sent on
    /// it meanwhile still reach the user).
    pub drain_timeout: Duration,
    /// Open the replacement this long before `approximate_connection_time` runs out, even
    /// without a `warning`.
    pub refresh_lead: Duration,
    /// Retries of failed attempts.
    pub retry: RetryPolicy,
    /// The seed of the backoff jitter.
    pub seed: u64,
    /// The Web API calls made for the user ([`Input::ApiCall`](crate::Input::ApiCall)):
    /// replies go through `chat.postMessage` with a bot token (`xoxb-…`).
    pub web_api: WebApiConfig,
}

impl Default for SocketModeConfig {
    fn default() -> Self {
        SocketModeConfig {
            auto_reconnect: true,
            debug_reconnects: false,
            auto_ack: false,
            ack_deadline: Duration::from_secs(3),
            dedup_window: 1024,
            max_pending_acks: 16_384,
            ping_interval: Duration::from_secs(10),
            pong_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(40),
            web_call_timeout: Duration::from_secs(30),
            hello_timeout: Duration::from_secs(30),
            close_timeout: Duration::from_secs(2),
            drain_timeout: Duration::from_secs(2),
            // Slack's warning comes ~10 s ahead; this is the fallback when it does not.
            refresh_lead: Duration::from_secs(15),
            retry: RetryPolicy::default(),
            seed: 0x50c3_e7de,
            web_api: WebApiConfig::default(),
        }
    }
}

impl SocketModeConfig {
    /// Checks that every deadline can be met: a zero duration would make a deadline due at
    /// once, forever.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let positive = [
            (self.ack_deadline, "ack_deadline"),
            (self.ping_interval, "ping_interval"),
            (self.pong_timeout, "pong_timeout"),
            (self.idle_timeout, "idle_timeout"),
            (self.web_call_timeout, "web_call_timeout"),
            (self.hello_timeout, "hello_timeout"),
            (self.close_timeout, "close_timeout"),
            (self.drain_timeout, "drain_timeout"),
            (self.retry.initial_delay, "retry.initial_delay"),
        ];
        if let Some((_, name)) = positive.iter().find(|(d, _)| d.is_zero()) {
            return Err(ConfigError::Invalid(name));
        }
        if self.dedup_window == 0 {
            return Err(ConfigError::Invalid("dedup_window"));
        }
        if self.max_pending_acks == 0 {
            return Err(ConfigError::Invalid("max_pending_acks"));
        }
        // NaN fails too: a factor must be a number of at least 1.
        if self.retry.factor.is_nan() || self.retry.factor < 1.0 {
            return Err(ConfigError::Invalid("retry.factor"));
        }
        self.web_api.validate()
    }
}

setters!(SocketModeConfig {
    with_auto_reconnect => auto_reconnect: bool,
    with_debug_reconnects => debug_reconnects: bool,
    with_auto_ack => auto_ack: bool,
    with_ack_deadline => ack_deadline: Duration,
    with_dedup_window => dedup_window: usize,
    with_max_pending_acks => max_pending_acks: usize,
    with_ping_interval => ping_interval: Duration,
    with_pong_timeout => pong_timeout: Duration,
    with_idle_timeout => idle_timeout: Duration,
    with_web_call_timeout => web_call_timeout: Duration,
    with_hello_timeout => hello_timeout: Duration,
    with_close_timeout => close_timeout: Duration,
    with_drain_timeout => drain_timeout: Duration,
    with_refresh_lead => refresh_lead: Duration,
    with_retry => retry: RetryPolicy,
    with_seed => seed: u64,
    with_web_api => web_api: WebApiConfig,
});
