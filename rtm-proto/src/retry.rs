//! A retry episode: the attempts that failed since the session last stood, and the backoff
//! between them.

use std::time::{Duration, Instant};

use crate::backoff::Jitter;
use crate::config::{RetryLimit, RetryPolicy};

/// How the episode began.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Began {
    /// With `start()`: every attempt counts against the budget.
    Start,
    /// With the loss of a session that had stood a while: the first reconnect is not a retry.
    Loss,
}

/// What to do after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Attempt number `attempt` (1 for the first after the failure), after `delay`.
    Retry {
        /// Counts attempts in this episode, the free reconnect after a loss included.
        attempt: u32,
        /// The wait before it (zero: at once).
        delay: Duration,
    },
    /// The budget is spent: `failed` attempts failed, over `lasted`.
    GiveUp {
        /// Failed attempts of the episode.
        failed: u32,
        /// How long the episode lasted.
        lasted: Duration,
    },
}

/// The consecutive failures of one episode, and the seeded jitter of its delays.
#[derive(Debug)]
pub(crate) struct Episode {
    began: Began,
    /// Attempts that failed in this episode (the loss that began one is not one).
    failed: u32,
    /// When the episode's first failure (or the loss that began it) happened.
    since: Option<Instant>,
    /// Whether the session was ready since `start()`: the reconnect budget applies.
    was_ready: bool,
    jitter: Jitter,
}

impl Episode {
    pub(crate) fn new(seed: u64) -> Self {
        Episode {
            began: Began::Start,
            failed: 0,
            since: None,
            was_ready: false,
            jitter: Jitter::new(seed),
        }
    }

    /// `start()`: a new episode whose every attempt counts.
    pub(crate) fn restart(&mut self) {
        self.began = Began::Start;
        self.failed = 0;
        self.since = None;
        self.was_ready = false;
    }

    /// The session became ready: from now on, losing it is retried within the reconnect
    /// budget.
    pub(crate) fn ready(&mut self) {
        self.was_ready = true;
    }

    /// An attempt failed, or a session was lost (`stable_loss`: it had stood at least the
    /// initial delay, so it was a working session, not a failed attempt). `retry_after` is a
    /// floor on the delay (a 429's `Retry-After`).
    pub(crate) fn failed(
        &mut self,
        now: Instant,
        policy: &RetryPolicy,
        stable_loss: bool,
        retry_after: Option<Duration>,
    ) -> Verdict {
        if stable_loss {
            self.began = Began::Loss;
            self.failed = 0;
            self.since = Some(now);
        } else {
            self.failed = self.failed.saturating_add(1);
        }
        let since = *self.since.get_or_insert(now);
        let lasted = now.saturating_duration_since(since);
        let limit = if self.was_ready {
            policy.reconnect
        } else {
            policy.first_start
        };
        let spent = match limit {
            RetryLimit::Attempts(max) => self.failed > max,
            RetryLimit::Elapsed(max) => lasted >= max,
            RetryLimit::Forever => false,
        };
        if spent {
            return Verdict::GiveUp {
                failed: self.failed,
                lasted,
            };
        }
        let attempt = self
            .failed
            .saturating_add(u32::from(self.began == Began::Loss));
        // A session that stood is reconnected at once; a failed attempt backs off.
        let delay = if stable_loss {
            Duration::ZERO
        } else {
            self.jitter.delay(policy, attempt)
        };
        Verdict::Retry {
            attempt,
            delay: retry_after.map_or(delay, |ra| delay.max(ra)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reconnect_after_a_loss_is_free_and_immediate() {
        let policy = RetryPolicy::attempts(1);
        let t = Instant::now();
        let mut e = Episode::new(1);
        assert_eq!(
            e.failed(t, &policy, true, None),
            Verdict::Retry {
                attempt: 1,
                delay: Duration::ZERO
            }
        );
        let Verdict::Retry { attempt: 2, delay } = e.failed(t, &policy, false, None) else {
            panic!("the first failure after a loss is retried");
        };
        assert!(delay > Duration::ZERO);
        assert_eq!(
            e.failed(t, &policy, false, None),
            Verdict::GiveUp {
                failed: 2,
                lasted: Duration::ZERO
            }
        );
        e.restart();
        assert!(matches!(
            e.failed(t, &policy, false, Some(Duration::from_secs(90))),
            Verdict::Retry { attempt: 1, delay } if delay == Duration::from_secs(90)
        ));
    }

    #[test]
    fn a_session_that_was_ready_rides_out_an_outage_within_the_elapsed_budget() {
        let policy = RetryPolicy::default();
        let t0 = Instant::now();
        let min = Duration::from_secs(60);
        let mut e = Episode::new(7);
        e.ready();
        assert!(matches!(
            e.failed(t0, &policy, true, None),
            Verdict::Retry { attempt: 1, .. }
        ));
        // 29 minutes of failed attempts: far past the 10 attempts of a first start.
        for m in 1..30 {
            assert!(
                matches!(
                    e.failed(t0 + min * m, &policy, false, None),
                    Verdict::Retry { .. }
                ),
                "minute {m}"
            );
        }
        assert_eq!(
            e.failed(t0 + min * 30, &policy, false, None),
            Verdict::GiveUp {
                failed: 30,
                lasted: min * 30
            }
        );
        // A fresh start() is back to the short budget.
        e.restart();
        for n in 1..=10 {
            assert!(
                matches!(e.failed(t0, &policy, false, None), Verdict::Retry { .. }),
                "{n}"
            );
        }
        assert!(matches!(
            e.failed(t0, &policy, false, None),
            Verdict::GiveUp { failed: 11, .. }
        ));
    }
}
