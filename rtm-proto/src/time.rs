//! Deadlines: every timed state has one, so durations are clamped rather than allowed to
//! overflow the clock.

use std::time::{Duration, Instant};

/// The longest wait the core schedules (about 31 years): a longer configured duration, or one
/// that would overflow the clock, is clamped so that every timed state keeps a deadline.
const FAR: Duration = Duration::from_secs(1_000_000_000);

/// `now + d`, clamped to what the clock can represent.
pub(crate) fn after(now: Instant, d: Duration) -> Instant {
    now.checked_add(d.min(FAR))
        .or_else(|| now.checked_add(FAR / 1000))
        .or_else(|| now.checked_add(Duration::from_secs(1)))
        .unwrap_or(now)
}

/// The earlier of two optional deadlines.
pub(crate) fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}
