//! Faults the model injects on demand, on the socket and on the web call.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Where a socket fault or a pushed frame goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// Every open connection.
    #[default]
    All,
    /// One connection.
    Conn(super::SocketId),
}

/// How long after `goodbye` the mock closes a connection the client kept open.
pub const GOODBYE_CLOSE_AFTER: Duration = Duration::from_secs(3);

fn default_goodbye_close_after() -> Duration {
    GOODBYE_CLOSE_AFTER
}

impl Fault {
    /// `goodbye`, closed after the default delay if the client does not reconnect first.
    pub fn goodbye() -> Fault {
        Fault::Goodbye {
            close_after: GOODBYE_CLOSE_AFTER,
        }
    }
}

/// A socket fault. Some act at once on the target connections, some are armed for the
/// next connection to open (their docs say which), some change how frames are answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "fault", rename_all = "snake_case")]
pub enum Fault {
    /// Now: close with this code and reason.
    Close {
        /// The close code (e.g. 1000, 4000).
        code: u16,
        /// The close reason.
        reason: String,
    },
    /// Now: drop the TCP connection without a close frame.
    DropTcp,
    /// Now: send `{"type":"goodbye"}`, then close the connection (1000) after `close_after`
    /// (as Slack does; default 3 s) unless the client closed it first.
    Goodbye {
        /// How long after the `goodbye` the server closes the connection.
        #[serde(
            with = "millis",
            rename = "close_after_ms",
            default = "default_goodbye_close_after"
        )]
        close_after: Duration,
    },
    /// Now: send `{"type":"team_migration_started"}`.
    TeamMigrationStarted,
    /// Next connection: never send `hello`.
    NoHello,
    /// Next connection: send `hello` only after this delay.
    LateHello {
        /// How long after the connection opens `hello` comes.
        #[serde(with = "millis", rename = "delay_ms")]
        delay: Duration,
    },
    /// Next connection: instead of `hello`, send the "Socket URL has expired" error, then close.
    ExpiredUrl,
    /// Next connection: right after `hello`, re-send the last ack given before.
    ReplayLastAck,
    /// From now on: ignore pings.
    StopPongs,
    /// From now on: answer pings again.
    ResumePongs,
    /// The next `count` messages get the "slow down" error instead of an ack.
    RateLimit {
        /// How many messages.
        count: u32,
    },
    /// Hold the next `count` acks, then release them in reverse order.
    HoldAcks {
        /// How many acks to hold.
        count: u32,
    },
    /// Release held acks now (reversed), even if fewer than asked were gathered.
    ReleaseAcks,
    /// From now on: send every reply (ack, error, pong) only after this delay; zero turns it off.
    SlowReplies {
        /// How late each reply goes out.
        #[serde(with = "millis", rename = "delay_ms")]
        delay: Duration,
    },
    /// Now: push this raw text frame (need not be JSON).
    RawText {
        /// The frame's text.
        text: String,
    },
    /// Now: push this binary frame.
    RawBinary {
        /// The frame's bytes.
        data: Vec<u8>,
    },
    /// Now: push `count` ~360-byte message events as fast as the socket takes them.
    Flood {
        /// How many events.
        count: u64,
    },
    /// Now: the connection goes silent both ways without closing (a NAT that dropped the
    /// flow): nothing is read or written, WebSocket pings go unanswered.
    HalfOpen,
    /// Socket Mode, now: `disconnect` `warning`, then `refresh_requested` after the warning
    /// lead, then a close (RTM connections are left alone).
    Refresh,
    /// Socket Mode, now: `disconnect` `link_disabled` and a close; the app's next
    /// connections get the same instead of `hello` until `clear`.
    LinkDisabled,
    /// Disarm every armed or persistent fault, release held acks, re-enable Socket Mode.
    Clear,
}

/// The web calls a web fault aims at unless told otherwise.
pub const SESSION_OPENING_METHODS: &[&str] = &["rtm.connect", "rtm.start", "apps.connections.open"];

/// A fault on a web call, armed for the next N calls of the methods it aims at (by default
/// the session-opening calls, [`SESSION_OPENING_METHODS`]; any method by name, e.g.
/// `chat.postMessage`, with `arm_web_fault_for`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "fault", rename_all = "snake_case")]
pub enum WebFault {
    /// HTTP 429, `Retry-After: <secs>`, body `{"ok":false,"error":"ratelimited"}`.
    RateLimited {
        /// The `Retry-After` header, in seconds.
        retry_after_secs: u64,
    },
    /// This HTTP status (e.g. 500, 503) with a non-JSON body, as a failing proxy answers.
    Status {
        /// The HTTP status.
        status: u16,
    },
    /// HTTP 200 with an HTML body.
    NotJson,
    /// The normal answer, after this delay.
    Slow {
        /// How late the answer comes.
        #[serde(with = "millis", rename = "delay_ms")]
        delay: Duration,
    },
    /// HTTP 200 with `{"ok":false,"error":<error>}` (e.g. `invalid_auth`, `internal_error`).
    Error {
        /// Slack's error code, the body's `error`.
        error: String,
    },
    /// This redirect status (301, 302, 307, 308) with `Location: <location>` (Slack's API
    /// never redirects; a client must not follow it with the token).
    Redirect {
        /// The 3xx status.
        status: u16,
        /// The `Location` header.
        location: String,
    },
}

impl WebFault {
    /// `{"ok":false,"error":"invalid_auth"}` whatever the token.
    pub fn invalid_auth() -> Self {
        WebFault::Error {
            error: "invalid_auth".into(),
        }
    }
}

/// Durations as integer milliseconds in JSON (admin interface).
pub(crate) mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_millis)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goodbye_reads_with_and_without_its_close_delay() {
        let f: Fault = serde_json::from_str(r#"{"fault":"goodbye"}"#).unwrap();
        assert_eq!(f, Fault::goodbye());
        let f: Fault = serde_json::from_str(r#"{"fault":"goodbye","close_after_ms":250}"#).unwrap();
        assert_eq!(
            f,
            Fault::Goodbye {
                close_after: Duration::from_millis(250)
            }
        );
    }

    #[test]
    fn faults_read_from_admin_json() {
        let f: Fault = serde_json::from_str(r#"{"fault":"late_hello","delay_ms":1500}"#).unwrap();
        assert_eq!(
            f,
            Fault::LateHello {
                delay: Duration::from_millis(1500)
            }
        );
        let w: WebFault =
            serde_json::from_str(r#"{"fault":"rate_limited","retry_after_secs":3}"#).unwrap();
        assert_eq!(
            w,
            WebFault::RateLimited {
                retry_after_secs: 3
            }
        );
        let t: Target = serde_json::from_str(r#"{"conn":2}"#).unwrap();
        assert_eq!(t, Target::Conn(super::super::SocketId(2)));
    }
}
