//! Keepalive of one open socket: ping when it has been quiet, and call it dead when a ping
//! goes unanswered. Owned by the live phase, so a new socket always starts fresh.

use std::time::{Duration, Instant};

use crate::time::after;

/// What the keepalive asks for when its deadline passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Due {
    /// The socket has been quiet for the ping interval: ping now.
    Ping,
    /// The outstanding ping was not answered in time: the socket is dead.
    Dead,
}

/// An unanswered ping.
#[derive(Debug, Clone, Copy)]
struct Ping {
    id: u64,
    sent: Instant,
    deadline: Instant,
}

/// The keepalive state of a live socket.
#[derive(Debug)]
pub(crate) struct Keepalive {
    ping_after: Duration,
    pong_within: Duration,
    /// When the last frame was written (or the socket became live).
    wrote: Instant,
    ping: Option<Ping>,
    /// Since when the caller does not read the socket (a slow subscriber): a pong cannot be
    /// seen, so the pong deadline does not run.
    paused: Option<Instant>,
}

impl Keepalive {
    /// A socket that became live at `now`.
    pub(crate) fn new(now: Instant, ping_after: Duration, pong_within: Duration) -> Self {
        Keepalive {
            ping_after,
            pong_within,
            wrote: now,
            ping: None,
            paused: None,
        }
    }

    /// A frame was written at `now`.
    pub(crate) fn wrote(&mut self, now: Instant) {
        self.wrote = now;
    }

    /// The ping `id` was written at `now`.
    pub(crate) fn pinged(&mut self, id: u64, now: Instant) {
        self.wrote = now;
        self.ping = Some(Ping {
            id,
            sent: now,
            deadline: after(now, self.pong_within),
        });
    }

    /// A frame with `reply_to` arrived: it answers the ping when it is the ping's or later
    /// (the server answers in order, so a later reply proves the ping was read).
    pub(crate) fn replied(&mut self, reply_to: u64) {
        if self.ping.is_some_and(|p| reply_to >= p.id) {
            self.ping = None;
        }
    }

    /// The caller stopped reading the socket at `now`.
    pub(crate) fn pause(&mut self, now: Instant) {
        self.paused.get_or_insert(now);
    }

    /// The caller reads again at `now`: the pong deadline runs on with the time it had left.
    pub(crate) fn resume(&mut self, now: Instant) {
        if let Some(at) = self.paused.take()
            && let Some(p) = &mut self.ping
        {
            // Only the part of the pause after the ping went out held its deadline back.
            p.deadline = after(p.deadline, now.saturating_duration_since(at.max(p.sent)));
        }
    }

    /// When [`due`](Self::due) next has something to say (nothing while a ping is
    /// outstanding on a socket that is not read).
    pub(crate) fn deadline(&self) -> Option<Instant> {
        match (self.ping, self.paused) {
            (Some(_), Some(_)) => None,
            (Some(p), None) => Some(p.deadline),
            (None, _) => Some(after(self.wrote, self.ping_after)),
        }
    }

    /// What to do at `now`, if anything.
    pub(crate) fn due(&self, now: Instant) -> Option<Due> {
        if self.deadline().is_none_or(|d| d > now) {
            return None;
        }
        Some(match self.ping {
            Some(_) => Due::Dead,
            None => Due::Ping,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pings_when_quiet_and_dies_without_a_pong() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut k = Keepalive::new(t0, s(6), s(4));
        assert_eq!(k.due(t0 + s(5)), None);
        k.wrote(t0 + s(5));
        assert_eq!(k.deadline(), Some(t0 + s(11)));
        assert_eq!(k.due(t0 + s(11)), Some(Due::Ping));
        k.pinged(7, t0 + s(11));
        assert_eq!(k.deadline(), Some(t0 + s(15)));
        k.replied(6);
        assert_eq!(
            k.due(t0 + s(15)),
            Some(Due::Dead),
            "an older reply is no pong"
        );
        k.replied(8);
        assert_eq!(k.due(t0 + s(15)), None, "a later reply answers the ping");
        assert_eq!(k.due(t0 + s(17)), Some(Due::Ping));
    }

    #[test]
    fn a_pause_in_reading_does_not_count_against_the_pong() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut k = Keepalive::new(t0, s(6), s(4));
        k.pause(t0 + s(1));
        assert_eq!(
            k.due(t0 + s(6)),
            Some(Due::Ping),
            "writing goes on while paused"
        );
        k.pinged(2, t0 + s(6));
        assert_eq!(k.deadline(), None, "no pong can be seen while paused");
        assert_eq!(k.due(t0 + s(60)), None);
        k.resume(t0 + s(60));
        // The ping went out during the pause: its whole 4 s start at the resume.
        assert_eq!(k.deadline(), Some(t0 + s(64)));
        assert_eq!(
            k.due(t0 + s(64)),
            Some(Due::Dead),
            "a dead server is still detected"
        );
    }
}
