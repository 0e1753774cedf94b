//! A retry episode: the attempts that failed since the session last stood, and the backoff
//! between them.

use std::time::Duration;

use crate::backoff::Jitter;
use crate::config::RetryPolicy;

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
    /// The budget is spent: `failed` attempts failed.
    GiveUp {
        /// Failed attempts of the episode.
        failed: u32,
    },
}

/// The consecutive failures of one episode, and the seeded jitter of its delays.
#[derive(Debug)]
pub(crate) struct Episode {
    began: Began,
    /// Attempts that failed in this episode (the loss that began one is not one).
    failed: u32,
    jitter: Jitter,
}

impl Episode {
    pub(crate) fn new(seed: u64) -> Self {
        Episode {
            began: Began::Start,
            failed: 0,
            jitter: Jitter::new(seed),
        }
    }

    /// `start()`: a new episode whose every attempt counts.
    pub(crate) fn restart(&mut self) {
        self.began = Began::Start;
        self.failed = 0;
    }

    /// An attempt failed, or a session was lost (`stable_loss`: it had stood at least the
    /// initial delay, so it was a working session, not a failed attempt). `retry_after` is a
    /// floor on the delay (a 429's `Retry-After`).
    pub(crate) fn failed(
        &mut self,
        policy: &RetryPolicy,
        stable_loss: bool,
        retry_after: Option<Duration>,
    ) -> Verdict {
        if stable_loss {
            self.began = Began::Loss;
            self.failed = 0;
        } else {
            self.failed = self.failed.saturating_add(1);
        }
        if let Some(max) = policy.max_retries
            && self.failed > max
        {
            return Verdict::GiveUp {
                failed: self.failed,
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
        let policy = RetryPolicy {
            max_retries: Some(1),
            ..RetryPolicy::default()
        };
        let mut e = Episode::new(1);
        assert_eq!(
            e.failed(&policy, true, None),
            Verdict::Retry {
                attempt: 1,
                delay: Duration::ZERO
            }
        );
        let Verdict::Retry { attempt: 2, delay } = e.failed(&policy, false, None) else {
            panic!("the first failure after a loss is retried");
        };
        assert!(delay > Duration::ZERO);
        assert_eq!(
            e.failed(&policy, false, None),
            Verdict::GiveUp { failed: 2 }
        );
        e.restart();
        assert!(matches!(
            e.failed(&policy, false, Some(Duration::from_secs(90))),
            Verdict::Retry { attempt: 1, delay } if delay == Duration::from_secs(90)
        ));
    }
}
