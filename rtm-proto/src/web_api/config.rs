//! What the Web API component is configured with (a field of both cores' configurations).

use std::time::Duration;

use crate::config::{ConfigError, Pacing};

/// Capped exponential backoff of the Web API's retries (after a 5xx or a transport
/// failure): retry `n` waits a time drawn from `[d/2, d]`, where
/// `d = min(initial_delay * factor^(n-1), max_delay)`; the draw comes from the core's seed,
/// so the same seed and inputs give the same delays.
#[derive(Debug, Clone, Copy, PartialEq)]
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
