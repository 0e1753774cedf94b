//! Client configuration: the options of the reference client, plus the limits it lacked.

use std::fmt;
use std::time::Duration;

/// Chained setters for the options of a `#[non_exhaustive]` configuration (which other
/// crates cannot build with a struct literal): `Config::default().with_seed(7)`.
macro_rules! setters {
    ($ty:ident { $($setter:ident => $field:ident: $t:ty),* $(,)? }) => {
        impl $ty {
            $(
                #[doc = concat!("Sets [`", stringify!($field), "`](Self::", stringify!($field), ").")]
                #[must_use]
                pub fn $setter(mut self, value: $t) -> Self {
                    self.$field = value;
                    self
                }
            )*
        }
    };
}
pub(crate) use setters;

/// A Slack token. Its `Debug` and `Display` never show the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// Wraps a token such as `xoxb-…`.
    pub fn new(token: impl Into<String>) -> Self {
        Token(token.into())
    }

    /// The secret itself, for the one place that needs it: the web call's `Authorization` header.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<&str> for Token {
    fn from(s: &str) -> Self {
        Token::new(s)
    }
}

impl From<String> for Token {
    fn from(s: String) -> Self {
        Token::new(s)
    }
}

/// What `start()` is given; kept for every reconnect of the session.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StartOptions {
    /// The bot or user token.
    pub token: Token,
    /// `batch_presence_aware` form parameter of `rtm.connect`.
    pub batch_presence_aware: Option<bool>,
    /// `presence_sub` form parameter of `rtm.connect`.
    pub presence_sub: Option<bool>,
}

impl StartOptions {
    /// Start options with only a token.
    pub fn new(token: impl Into<Token>) -> Self {
        StartOptions {
            token: token.into(),
            batch_presence_aware: None,
            presence_sub: None,
        }
    }
}

/// How long a retry episode may go on before the client gives up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetryLimit {
    /// At most this many retries after the first failure.
    Attempts(u32),
    /// Retries while the episode (from its first failure, or the loss of a session that
    /// stood) has lasted less than this.
    Elapsed(Duration),
    /// Never give up.
    Forever,
}

/// How failed connection attempts are retried: capped exponential backoff with jitter, within
/// a budget. A `start()` that has not yet reached a ready session gets `first_start` (a wrong
/// URL or token fails fast); once its session has been ready, a lost connection is retried
/// within `reconnect` (a bot rides out an outage).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// The budget before the session was first ready (default 10 attempts, about 4 minutes).
    pub first_start: RetryLimit,
    /// The budget after the session was ready once (default 30 minutes of outage, as the
    /// reference client rides out).
    pub reconnect: RetryLimit,
    /// Delay before the first retry (before jitter).
    pub initial_delay: Duration,
    /// Growth of the delay per consecutive failure.
    pub factor: f64,
    /// Upper bound of the delay (before `Retry-After`, which is always honoured).
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        // The reference retries 10 times over about 30 minutes; we keep the count for a first
        // start, give a session that stood 30 minutes, and cap each wait at a minute so a
        // recovered Slack is noticed quickly.
        RetryPolicy {
            first_start: RetryLimit::Attempts(10),
            reconnect: RetryLimit::Elapsed(Duration::from_secs(30 * 60)),
            initial_delay: Duration::from_millis(500),
            factor: 2.0,
            max_delay: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// Retry forever with the default delays.
    pub fn forever() -> Self {
        RetryPolicy::with_limit(RetryLimit::Forever)
    }

    /// At most `n` retries per episode, before and after the first ready session.
    pub fn attempts(n: u32) -> Self {
        RetryPolicy::with_limit(RetryLimit::Attempts(n))
    }

    /// The same limit before and after the first ready session, with the default delays.
    pub fn with_limit(limit: RetryLimit) -> Self {
        RetryPolicy {
            first_start: limit,
            reconnect: limit,
            ..RetryPolicy::default()
        }
    }
}

/// Per-channel pacing of outgoing `message` frames (a token bucket: `per_second` sustained,
/// up to `burst` at once). Slack disconnects clients that send much faster than 1 per second.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct Pacing {
    /// Sustained rate per channel.
    pub per_second: f64,
    /// Messages that may go at once after a quiet period.
    pub burst: u32,
}

impl Default for Pacing {
    fn default() -> Self {
        Pacing {
            per_second: 1.0,
            burst: 3,
        }
    }
}

/// All options of a [`Client`](crate::Client).
///
/// `#[non_exhaustive]`, so that a new option is not a breaking change: start from
/// `Config::default()` and chain the `with_*` setters (`Config::default().with_seed(7)`), as
/// for every configuration type of this crate; the fields stay public for reading and
/// assignment.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Config {
    /// Reconnect after the connection is lost (`autoReconnect`).
    pub auto_reconnect: bool,
    /// `rtm.connect` (true) or the legacy `rtm.start` (false).
    pub use_rtm_connect: bool,
    /// Send a ping after this long without an outgoing frame.
    pub client_ping_timeout: Duration,
    /// A ping unanswered this long means the connection is dead. Must be shorter than
    /// `client_ping_timeout`.
    pub server_pong_timeout: Duration,
    /// After a reconnect, how long replies to messages sent on the previous connection are awaited.
    pub reply_ack_on_reconnect_timeout: Duration,
    /// How long an awaited reply is waited for; `None` waits as long as the session lives.
    pub reply_timeout: Option<Duration>,
    /// How long a queued send may wait to be written (through an outage, say); `None` waits
    /// as long as the client retries.
    pub send_timeout: Option<Duration>,
    /// Deadline of the `rtm.connect` web call.
    pub web_call_timeout: Duration,
    /// Deadline from the web call's success to the server's `hello`.
    pub hello_timeout: Duration,
    /// How long a close handshake may take before the socket is considered gone.
    pub close_timeout: Duration,
    /// Retries of failed connection attempts.
    pub retry: RetryPolicy,
    /// Per-channel pacing of outgoing messages; `None` switches it off.
    pub pacing: Option<Pacing>,
    /// At most this many sends wait in the queue; more are refused with `QueueFull`.
    pub queue_limit: usize,
    /// Largest outgoing frame in bytes; Slack disconnects above 16 KB.
    pub max_frame_bytes: usize,
    /// Longest `text` of an outgoing `message`, in characters; Slack refuses longer ones.
    pub max_message_chars: Option<usize>,
    /// Emit [`Event::OutgoingMessage`](crate::Event::OutgoingMessage) for every frame written.
    pub emit_outgoing: bool,
    /// Seed of the backoff jitter: the same seed and inputs give the same actions.
    pub seed: u64,
    /// The Web API calls made for the user ([`Input::ApiCall`](crate::Input::ApiCall)).
    pub web_api: WebApiConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            auto_reconnect: true,
            use_rtm_connect: true,
            client_ping_timeout: Duration::from_millis(6000),
            server_pong_timeout: Duration::from_millis(4000),
            reply_ack_on_reconnect_timeout: Duration::from_millis(2000),
            reply_timeout: Some(Duration::from_secs(30)),
            send_timeout: None,
            web_call_timeout: Duration::from_secs(30),
            hello_timeout: Duration::from_secs(10),
            close_timeout: Duration::from_secs(2),
            retry: RetryPolicy::default(),
            pacing: Some(Pacing::default()),
            queue_limit: 1024,
            max_frame_bytes: 16 * 1024,
            max_message_chars: Some(4000),
            emit_outgoing: true,
            seed: 0x5eed_u64,
            web_api: WebApiConfig::default(),
        }
    }
}

/// A configuration that cannot work.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// `server_pong_timeout` must be shorter than `client_ping_timeout` (`keepalive_config_error`).
    Keepalive {
        /// The configured ping interval.
        client_ping_timeout: Duration,
        /// The configured pong deadline.
        server_pong_timeout: Duration,
    },
    /// A value that must be positive is zero, or a factor below 1.
    Invalid(&'static str),
}

impl ConfigError {
    /// The reference client's error code.
    pub fn code(&self) -> &'static str {
        match self {
            ConfigError::Keepalive { .. } => "slack_rtmapi_keepalive_config_error",
            ConfigError::Invalid(_) => "slack_rtmapi_config_error",
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Keepalive {
                client_ping_timeout,
                server_pong_timeout,
            } => write!(
                f,
                "server_pong_timeout ({server_pong_timeout:?}) must be shorter than client_ping_timeout ({client_ping_timeout:?})"
            ),
            ConfigError::Invalid(what) => write!(f, "invalid configuration: {what}"),
        }
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Checks the options that the reference client checks, and those it should have.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.server_pong_timeout >= self.client_ping_timeout {
            return Err(ConfigError::Keepalive {
                client_ping_timeout: self.client_ping_timeout,
                server_pong_timeout: self.server_pong_timeout,
            });
        }
        if self.server_pong_timeout.is_zero() {
            return Err(ConfigError::Invalid("server_pong_timeout must be positive"));
        }
        if self.web_call_timeout.is_zero()
            || self.hello_timeout.is_zero()
            || self.close_timeout.is_zero()
        {
            return Err(ConfigError::Invalid(
                "web_call_timeout, hello_timeout and close_timeout must be positive",
            ));
        }
        if !(self.retry.factor >= 1.0 && self.retry.factor.is_finite()) {
            return Err(ConfigError::Invalid(
                "retry.factor must be a finite number >= 1",
            ));
        }
        if let Some(p) = self.pacing
            && (!(p.per_second > 0.0 && p.per_second.is_finite()) || p.burst == 0)
        {
            return Err(ConfigError::Invalid(
                "pacing.per_second must be positive and pacing.burst at least 1",
            ));
        }
        if self.queue_limit == 0 {
            return Err(ConfigError::Invalid("queue_limit must be at least 1"));
        }
        if self.max_frame_bytes < 64 {
            return Err(ConfigError::Invalid("max_frame_bytes must be at least 64"));
        }
        self.web_api.validate()
    }
}

// ---- the Web API's options (a field of both cores' configurations) ----

/// Capped exponential backoff of the Web API's retries (after a 5xx or a transport
/// failure): retry `n` waits a time drawn from `[d/2, d]`, where
/// `d = min(initial_delay * factor^(n-1), max_delay)`; the draw comes from the core's seed,
/// so the same seed and inputs give the same delays.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct Backoff {
    /// Delay before the first retry (before jitter); default 1 s.
    pub initial_delay: Duration,
    /// Growth of the delay per consecutive failure; default 2.
    pub factor: f64,
    /// Upper bound of the delay; default 30 s.
    pub max_delay: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial_delay: Duration::from_secs(1),
            factor: 2.0,
            max_delay: Duration::from_secs(30),
        }
    }
}

/// The options of the Web API calls ([`Input::ApiCall`](crate::Input::ApiCall)) both cores
/// make for their user.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct WebApiConfig {
    /// How long one attempt may go unanswered (default 30 s). A call whose attempt times
    /// out fails with [`ApiError::Timeout`](crate::ApiError::Timeout), without a retry: the
    /// request may have reached Slack (a `chat.postMessage` posted twice is worse than one
    /// reported as lost).
    pub timeout: Duration,
    /// Retries after an HTTP 5xx or a non-fatal transport failure (default 3), counted
    /// together per call.
    pub max_retries: u32,
    /// Retries after an HTTP 429 (or `ok:false` with `ratelimited`), each after the
    /// `Retry-After` (default 10). The wait is the header's seconds clamped to [1 s, 1 h]
    /// (missing or unreadable: 1 s), and every call of the same method waits with it, since
    /// Slack limits per method.
    pub rate_limit_retries: u32,
    /// The backoff of the retries after a 5xx or a transport failure.
    pub retry: Backoff,
    /// Per-channel pacing of `chat.postMessage` (and of every call with a pacing key);
    /// `None` switches it off. Default: 1 per second sustained, bursts of 3.
    pub pacing: Option<Pacing>,
    /// At most this many calls are in flight at once, paced or not (default 16); more
    /// wait, in order. A call waiting for its retry holds no place.
    pub max_in_flight: usize,
}

impl Default for WebApiConfig {
    fn default() -> Self {
        WebApiConfig {
            timeout: Duration::from_secs(30),
            max_retries: 3,
            rate_limit_retries: 10,
            retry: Backoff::default(),
            pacing: Some(Pacing::default()),
            max_in_flight: 16,
        }
    }
}

impl WebApiConfig {
    /// Checks that every call can make progress: a positive timeout and initial delay, a
    /// factor of at least 1, a pacing with a positive rate and a burst, at least one call
    /// in flight.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.timeout.is_zero() {
            return Err(ConfigError::Invalid("web_api.timeout must be positive"));
        }
        if self.retry.initial_delay.is_zero() {
            return Err(ConfigError::Invalid(
                "web_api.retry.initial_delay must be positive",
            ));
        }
        if !(self.retry.factor >= 1.0 && self.retry.factor.is_finite()) {
            return Err(ConfigError::Invalid(
                "web_api.retry.factor must be a finite number >= 1",
            ));
        }
        if let Some(p) = self.pacing
            && (!(p.per_second > 0.0 && p.per_second.is_finite()) || p.burst == 0)
        {
            return Err(ConfigError::Invalid(
                "web_api.pacing.per_second must be positive and web_api.pacing.burst at least 1",
            ));
        }
        if self.max_in_flight == 0 {
            return Err(ConfigError::Invalid(
                "web_api.max_in_flight must be at least 1",
            ));
        }
        Ok(())
    }
}

setters!(StartOptions {
    with_batch_presence_aware => batch_presence_aware: Option<bool>,
    with_presence_sub => presence_sub: Option<bool>,
});

setters!(RetryPolicy {
    with_first_start => first_start: RetryLimit,
    with_reconnect => reconnect: RetryLimit,
    with_initial_delay => initial_delay: Duration,
    with_factor => factor: f64,
    with_max_delay => max_delay: Duration,
});

setters!(Pacing {
    with_per_second => per_second: f64,
    with_burst => burst: u32,
});

setters!(Config {
    with_auto_reconnect => auto_reconnect: bool,
    with_use_rtm_connect => use_rtm_connect: bool,
    with_client_ping_timeout => client_ping_timeout: Duration,
    with_server_pong_timeout => server_pong_timeout: Duration,
    with_reply_ack_on_reconnect_timeout => reply_ack_on_reconnect_timeout: Duration,
    with_reply_timeout => reply_timeout: Option<Duration>,
    with_send_timeout => send_timeout: Option<Duration>,
    with_web_call_timeout => web_call_timeout: Duration,
    with_hello_timeout => hello_timeout: Duration,
    with_close_timeout => close_timeout: Duration,
    with_retry => retry: RetryPolicy,
    with_pacing => pacing: Option<Pacing>,
    with_queue_limit => queue_limit: usize,
    with_max_frame_bytes => max_frame_bytes: usize,
    with_max_message_chars => max_message_chars: Option<usize>,
    with_emit_outgoing => emit_outgoing: bool,
    with_seed => seed: u64,
    with_web_api => web_api: WebApiConfig,
});

setters!(Backoff {
    with_initial_delay => initial_delay: Duration,
    with_factor => factor: f64,
    with_max_delay => max_delay: Duration,
});

setters!(WebApiConfig {
    with_timeout => timeout: Duration,
    with_max_retries => max_retries: u32,
    with_rate_limit_retries => rate_limit_retries: u32,
    with_retry => retry: Backoff,
    with_pacing => pacing: Option<Pacing>,
    with_max_in_flight => max_in_flight: usize,
});
