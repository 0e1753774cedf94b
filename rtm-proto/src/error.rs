//! Errors of the session and of single sends, with the reference client's error codes.

use std::fmt;

use crate::transport::TransportError;
use std::time::Duration;

/// `rtm.connect` errors that retrying cannot fix.
pub const FATAL_CONNECT_ERRORS: &[&str] = &[
    "not_authed",
    "invalid_auth",
    "account_inactive",
    "token_revoked",
    "user_removed_from_team",
    "team_disabled",
    "missing_scope",
    "not_allowed_token_type",
];

/// Why a connection attempt or a session failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RtmError {
    /// The Web API answered `ok:false` with this error string.
    Platform {
        /// Slack's error, e.g. `invalid_auth`.
        error: String,
    },
    /// HTTP 429; the next attempt waits at least `retry_after`.
    RateLimited {
        /// The server's `Retry-After`, when it sent one.
        retry_after: Option<Duration>,
    },
    /// An HTTP status other than 200 and 429.
    Http {
        /// The status code.
        status: u16,
    },
    /// A 3xx answer: Slack's API never redirects, and it is not followed (the token would go
    /// elsewhere); the attempt ends for good.
    Redirect {
        /// The status.
        status: u16,
        /// The `Location` header, if any.
        location: Option<String>,
    },
    /// The web call failed below HTTP (DNS, TCP, TLS...).
    Request {
        /// The transport's failure; its `source()` is the underlying error.
        error: TransportError,
    },
    /// The web call's answer was not the JSON Slack sends.
    BadResponse {
        /// What was wrong with it.
        detail: String,
    },
    /// The web call took longer than `web_call_timeout`.
    WebCallTimeout,
    /// The server did not send `hello` within `hello_timeout`.
    HelloTimeout,
    /// The server sent an `error` frame (such as an expired socket URL).
    Server {
        /// Slack's numeric code.
        code: i64,
        /// Slack's message.
        msg: String,
    },
    /// The WebSocket failed (open, read or write).
    Websocket {
        /// The transport's failure; its `source()` is the underlying error.
        error: TransportError,
    },
    /// The transport refused the WebSocket URL (for example plain `ws://` to a remote host).
    Refused {
        /// Why.
        reason: String,
    },
    /// The web call or the WebSocket failed in a way retrying cannot fix (a certificate that
    /// fails verification, a redirect of the web call); no retries.
    Transport {
        /// The transport's failure (host and reason); its `source()` is the underlying error.
        error: TransportError,
    },
    /// The WebSocket was closed (by the server, or by a fault).
    Closed {
        /// The close code (1006 when the connection dropped without a close frame).
        code: u16,
        /// The close reason.
        reason: String,
    },
    /// No pong arrived within `server_pong_timeout`.
    PongTimeout,
    /// The server said `goodbye`.
    Goodbye,
    /// The server said `team_migration_started`.
    TeamMigration,
    /// The retry budget ran out; `last` is the last failure.
    RetriesExhausted {
        /// Attempts made.
        attempts: u32,
        /// The failure of the last attempt.
        last: Box<RtmError>,
    },
    /// `disconnect()` was called before the session became ready.
    Disconnected,
    /// An incoming frame was not a JSON object (the session goes on).
    MalformedFrame {
        /// What the parser said.
        detail: String,
    },
    /// The server sent a binary frame, which RTM never uses (the session goes on).
    UnexpectedBinary {
        /// Its length in bytes.
        len: usize,
    },
}

impl RtmError {
    /// Whether retrying could help.
    pub fn is_recoverable(&self) -> bool {
        match self {
            RtmError::Platform { error } => !FATAL_CONNECT_ERRORS.contains(&error.as_str()),
            // Only the platform errors above are known to be permanent; an HTTP status may
            // come from a proxy or an outage, and the retry budget bounds the attempts. A
            // proxy refusing the credentials (407) refuses them again.
            RtmError::Http { status } => *status != 407,
            RtmError::Redirect { .. }
            | RtmError::RetriesExhausted { .. }
            | RtmError::Disconnected
            | RtmError::Refused { .. }
            | RtmError::Transport { .. } => false,
            _ => true,
        }
    }

    /// The reference client's error code for this kind of failure.
    pub fn code(&self) -> &'static str {
        match self {
            RtmError::Platform { .. } => "slack_webapi_platform_error",
            RtmError::RateLimited { .. } => "slack_webapi_rate_limited_error",
            RtmError::Http { .. } | RtmError::Redirect { .. } => "slack_webapi_http_error",
            RtmError::Request { .. } | RtmError::BadResponse { .. } | RtmError::WebCallTimeout => {
                "slack_webapi_request_error"
            }
            RtmError::RetriesExhausted { last, .. } => last.code(),
            RtmError::Disconnected => "slack_rtmapi_disconnected_error",
            RtmError::Transport { .. } => "slack_rtmapi_transport_error",
            RtmError::MalformedFrame { .. } | RtmError::UnexpectedBinary { .. } => {
                "slack_rtmapi_malformed_frame_error"
            }
            RtmError::HelloTimeout
            | RtmError::Server { .. }
            | RtmError::Websocket { .. }
            | RtmError::Refused { .. }
            | RtmError::Closed { .. }
            | RtmError::PongTimeout
            | RtmError::Goodbye
            | RtmError::TeamMigration => "slack_rtmapi_websocket_error",
        }
    }
}

/// A redirect, named with its status and target (shared with Socket Mode's error).
pub(crate) fn redirect(
    f: &mut fmt::Formatter<'_>,
    status: u16,
    location: Option<&str>,
) -> fmt::Result {
    match location {
        Some(l) => write!(
            f,
            "the Web API answered with redirect {status} (Location {l:?})"
        )?,
        None => write!(
            f,
            "the Web API answered with redirect {status} (no Location)"
        )?,
    }
    f.write_str(
        "; redirects are not followed, so the token is not sent elsewhere: check the API URL",
    )
}

impl fmt::Display for RtmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RtmError::Platform { error } => write!(f, "Slack refused the connection: {error}"),
            RtmError::RateLimited {
                retry_after: Some(d),
            } => write!(f, "rate limited; retry after {} s", d.as_secs()),
            RtmError::RateLimited { retry_after: None } => f.write_str("rate limited"),
            RtmError::Http { status } => write!(f, "HTTP status {status} from the Web API"),
            RtmError::Redirect { status, location } => redirect(f, *status, location.as_deref()),
            RtmError::Request { error } => write!(f, "Web API request failed: {error}"),
            RtmError::BadResponse { detail } => write!(f, "unexpected Web API answer: {detail}"),
            RtmError::WebCallTimeout => f.write_str("the Web API call timed out"),
            RtmError::HelloTimeout => f.write_str("the server did not say hello in time"),
            RtmError::Server { code, msg } => write!(f, "server error {code}: {msg}"),
            RtmError::Websocket { error } => write!(f, "WebSocket error: {error}"),
            RtmError::Refused { reason } => write!(f, "WebSocket URL refused: {reason}"),
            RtmError::Transport { error } => write!(f, "connection failed for good: {error}"),
            RtmError::Closed { code, reason } if reason.is_empty() => {
                write!(f, "WebSocket closed with code {code}")
            }
            RtmError::Closed { code, reason } => {
                write!(f, "WebSocket closed with code {code}: {reason}")
            }
            RtmError::PongTimeout => f.write_str("no pong from the server in time"),
            RtmError::Goodbye => f.write_str("the server said goodbye"),
            RtmError::TeamMigration => f.write_str("the team is migrating to another server"),
            RtmError::RetriesExhausted { attempts, last } => {
                write!(f, "gave up after {attempts} attempts; last error: {last}")
            }
            RtmError::Disconnected => f.write_str("disconnected before the session was ready"),
            RtmError::MalformedFrame { detail } => write!(f, "malformed frame: {detail}"),
            RtmError::UnexpectedBinary { len } => {
                write!(f, "unexpected binary frame ({len} bytes)")
            }
        }
    }
}

impl std::error::Error for RtmError {
    /// The last attempt's failure, for `RetriesExhausted`.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RtmError::RetriesExhausted { last, .. } => Some(last.as_ref()),
            RtmError::Request { error }
            | RtmError::Websocket { error }
            | RtmError::Transport { error } => Some(error),
            _ => None,
        }
    }
}

/// Why a send ended without a reply, when it was awaited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NoReplyReason {
    /// `reply_timeout` passed.
    Timeout,
    /// The connection ended and the resume window after the reconnect passed.
    ConnectionLost,
    /// The session ended (`disconnect()`, or the connection was lost without auto-reconnect).
    SessionEnded,
}

/// Why a send failed. Every send settles exactly once, with a result or one of these.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SendError {
    /// `send()` while not connected (`send_while_disconnected`).
    NotConnected,
    /// `send()` while connected but not ready (`send_while_not_ready`).
    NotReady,
    /// The server answered with an error (`send_message_platform_error`).
    Platform {
        /// The message id.
        id: u64,
        /// Slack's numeric code.
        code: i64,
        /// Slack's message.
        msg: String,
        /// The whole reply frame.
        raw: String,
    },
    /// No reply came (`no_reply_received`).
    NoReply {
        /// The message id.
        id: u64,
        /// Why it will not come.
        reason: NoReplyReason,
    },
    /// The frame would exceed `max_frame_bytes`.
    TooLarge {
        /// Size of the frame in bytes.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The message `text` exceeds `max_message_chars`.
    TextTooLong {
        /// Characters in the text.
        chars: usize,
        /// The limit.
        limit: usize,
    },
    /// The queue holds `queue_limit` sends already.
    QueueFull {
        /// The limit.
        limit: usize,
    },
    /// `send()` of a message while its channel's pacing allows none; retry after the delay.
    Paced {
        /// When the channel allows the next message.
        retry_after: Duration,
    },
    /// The type is empty or the body is not usable.
    InvalidFrame {
        /// What is wrong.
        detail: String,
    },
    /// The client was shut down.
    ClientClosed,
    /// The send waited in the queue longer than `send_timeout`.
    QueueTimeout {
        /// The configured limit.
        waited: Duration,
    },
    /// The session ended for good (a fatal error, or the retry budget spent) while the send
    /// waited in the queue.
    SessionFailed {
        /// Why the session ended.
        error: Box<RtmError>,
    },
}

impl SendError {
    /// The reference client's error code.
    pub fn code(&self) -> &'static str {
        match self {
            SendError::NotConnected => "slack_rtmapi_send_while_disconnected_error",
            SendError::NotReady => "slack_rtmapi_send_while_not_ready_error",
            SendError::Platform { .. } => "slack_rtmapi_send_message_platform_error",
            SendError::NoReply { .. } => "slack_rtmapi_no_reply_received_error",
            SendError::TooLarge { .. }
            | SendError::TextTooLong { .. }
            | SendError::InvalidFrame { .. } => "slack_rtmapi_invalid_message_error",
            SendError::QueueFull { .. } => "slack_rtmapi_queue_full_error",
            SendError::Paced { .. } => "slack_rtmapi_rate_limited_error",
            SendError::ClientClosed => "slack_rtmapi_client_closed_error",
            SendError::QueueTimeout { .. } => "slack_rtmapi_send_timeout_error",
            SendError::SessionFailed { .. } => "slack_rtmapi_disconnected_error",
        }
    }
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::NotConnected => f.write_str("cannot send while disconnected"),
            SendError::NotReady => f.write_str("cannot send while the session is not ready"),
            SendError::Platform { id, code, msg, .. } => {
                write!(f, "Slack refused message {id}: {msg} (code {code})")
            }
            SendError::NoReply { id, reason } => {
                let why = match reason {
                    NoReplyReason::Timeout => "the reply timeout passed",
                    NoReplyReason::ConnectionLost => "the connection was lost",
                    NoReplyReason::SessionEnded => "the session ended",
                };
                write!(f, "no reply received for message {id}: {why}")
            }
            SendError::TooLarge { size, limit } => {
                write!(
                    f,
                    "frame of {size} bytes exceeds the limit of {limit} bytes"
                )
            }
            SendError::TextTooLong { chars, limit } => {
                write!(
                    f,
                    "message text of {chars} characters exceeds the limit of {limit}"
                )
            }
            SendError::QueueFull { limit } => write!(f, "the send queue is full ({limit} sends)"),
            SendError::Paced { retry_after } => write!(
                f,
                "the channel's message pacing allows no message now; retry in {} ms",
                retry_after.as_millis()
            ),
            SendError::InvalidFrame { detail } => write!(f, "invalid outgoing frame: {detail}"),
            SendError::ClientClosed => f.write_str("the client was shut down"),
            SendError::QueueTimeout { waited } => write!(
                f,
                "the send waited in the queue for {} ms (send_timeout) without a ready session",
                waited.as_millis()
            ),
            SendError::SessionFailed { error } => {
                write!(
                    f,
                    "the session ended for good before the send went out: {error}"
                )
            }
        }
    }
}

impl std::error::Error for SendError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SendError::SessionFailed { error } => Some(error.as_ref()),
            _ => None,
        }
    }
}
