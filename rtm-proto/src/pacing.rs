//! Per-channel pacing of outgoing messages (GCRA, the token bucket without a timer).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::config::Pacing;

/// The longest interval between two messages (about 31 years).
const MAX_INTERVAL: Duration = Duration::from_secs(1_000_000_000);

#[derive(Debug)]
pub(crate) struct Pacer {
    interval: Duration,
    tolerance: Duration,
    /// Per channel, the theoretical arrival time of the next message.
    tat: HashMap<String, Instant>,
}

impl Pacer {
    pub(crate) fn new(p: Pacing) -> Self {
        // A rate so low that its interval overflows is, for all purposes, one message per
        // MAX_INTERVAL; a tolerance that overflows lets everything through, as such a burst would.
        let interval = Duration::try_from_secs_f64(1.0 / p.per_second)
            .unwrap_or(MAX_INTERVAL)
            .min(MAX_INTERVAL);
        Pacer {
            interval,
            tolerance: interval
                .checked_mul(p.burst.saturating_sub(1))
                .unwrap_or(Duration::MAX),
            tat: HashMap::new(),
        }
    }

    /// `Ok` if a message to `channel` may go at `now`, else when it may.
    pub(crate) fn check(&self, channel: &str, now: Instant) -> Result<(), Instant> {
        match self.tat.get(channel) {
            Some(&tat) => match tat.checked_sub(self.tolerance) {
                Some(allowed) if allowed > now => Err(allowed),
                _ => Ok(()),
            },
            None => Ok(()),
        }
    }

    /// Records a message to `channel` at `now` (after `check` said yes).
    pub(crate) fn take(&mut self, channel: &str, now: Instant) {
        if self.tat.len() >= 4096 {
            // Channels quiet long enough to have a full bucket need no entry.
            self.tat.retain(|_, tat| *tat > now);
        }
        let next = match self.tat.get(channel) {
            Some(&tat) if tat > now => tat,
            _ => now,
        };
        let next = next.checked_add(self.interval).unwrap_or(next);
        match self.tat.get_mut(channel) {
            Some(t) => *t = next,
            None => {
                self.tat.insert(channel.to_owned(), next);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_one_per_interval_per_channel() {
        let mut p = Pacer::new(Pacing {
            per_second: 1.0,
            burst: 3,
        });
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(p.check("C1", t0), Ok(()));
            p.take("C1", t0);
        }
        let at = p.check("C1", t0).unwrap_err();
        assert_eq!(at, t0 + Duration::from_secs(1));
        // Another channel is not affected.
        assert_eq!(p.check("C2", t0), Ok(()));
        assert_eq!(p.check("C1", at), Ok(()));
        p.take("C1", at);
        assert_eq!(p.check("C1", at), Err(at + Duration::from_secs(1)));
    }
}
