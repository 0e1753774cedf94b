//! Reconnect delays: capped exponential backoff with seeded jitter, so that the same seed
//! and inputs always give the same delays.

use std::time::Duration;

#[cfg(test)]
use crate::config::RetryLimit;
use crate::config::RetryPolicy;

/// SplitMix64: tiny, fast, and good enough for jitter.
#[derive(Debug, Clone)]
pub(crate) struct Jitter(u64);

impl Jitter {
    pub(crate) fn new(seed: u64) -> Self {
        Jitter(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A fraction in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// The wait before retry number `failures` (1 for the first retry): the capped exponential
    /// delay `d`, drawn from [d/2, d] so that many clients do not retry in step.
    pub(crate) fn delay(&mut self, policy: &RetryPolicy, failures: u32) -> Duration {
        self.backoff(
            policy.initial_delay,
            policy.factor,
            policy.max_delay,
            failures,
        )
    }

    /// [`delay`](Self::delay) with the three numbers of a policy given one by one (the Web
    /// API's retries have their own).
    pub(crate) fn backoff(
        &mut self,
        initial: Duration,
        factor: f64,
        max: Duration,
        failures: u32,
    ) -> Duration {
        let exp = failures.saturating_sub(1).min(64) as i32;
        let base = initial.as_secs_f64() * factor.powi(exp);
        let capped = base.min(max.as_secs_f64());
        let d = capped * (0.5 + 0.5 * self.unit());
        Duration::try_from_secs_f64(d).unwrap_or(max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_are_capped_and_jittered_within_bounds() {
        let policy = RetryPolicy {
            first_start: RetryLimit::Forever,
            reconnect: RetryLimit::Forever,
            initial_delay: Duration::from_secs(1),
            factor: 2.0,
            max_delay: Duration::from_secs(10),
        };
        let mut j = Jitter::new(7);
        for failures in 1..40 {
            let d = j.delay(&policy, failures).as_secs_f64();
            let full = (2f64.powi(failures as i32 - 1)).min(10.0);
            assert!(
                d >= full / 2.0 - 1e-9 && d <= full + 1e-9,
                "{failures}: {d}"
            );
        }
    }

    #[test]
    fn same_seed_same_delays() {
        let p = RetryPolicy::default();
        let a: Vec<_> = (1..10)
            .map({
                let mut j = Jitter::new(42);
                move |n| j.delay(&p, n)
            })
            .collect();
        let p = RetryPolicy::default();
        let b: Vec<_> = (1..10)
            .map({
                let mut j = Jitter::new(42);
                move |n| j.delay(&p, n)
            })
            .collect();
        assert_eq!(a, b);
        let p = RetryPolicy::default();
        let mut j = Jitter::new(43);
        assert_ne!(a, (1..10).map(|n| j.delay(&p, n)).collect::<Vec<_>>());
    }
}
