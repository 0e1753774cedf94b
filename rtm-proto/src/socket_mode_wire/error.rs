//! Why a Socket Mode connection or session failed, and why an ack was refused.

use std::fmt;

use crate::transport::TransportError;
use std::time::Duration;

/// `apps.connections.open` errors that retrying cannot fix.
pub const SOCKET_MODE_FATAL_ERRORS: &[&str] = &[
    "invalid_auth",
    "not_authed",
    "account_inactive",
    "token_revoked",
    "missing_scope",
    "not_allowed_token_type",
    "access_denied",
    "forbidden_team",
];

/// Why a Socket Mode attempt or session failed, or what was wrong with a frame.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SocketModeError {
    /// `apps.connections.open` answered `ok:false` with this error.
    Platform {
        /// Slack's error, e.g. `invalid_auth`.
        error: String,
    },
    /// HTTP 429; the next attempt waits at least `retry_after`.
    RateLimited {
        /// The server's `Retry-After`.
        retry_after: Option<Duration>,
    },
    /// An HTTP status other than 200 and 429.
    Http {
        /// The status.
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
    /// The web call failed below HTTP (DNS, TCP, TLS).
    Request {
        /// The transport's failure; its `source()` is the underlying error.
        error: TransportError,
    },
    /// The answer was not the JSON Slack sends.
    BadResponse {
        /// What was wrong.
        detail: String,
    },
    /// The web call took longer than `web_call_timeout`.
    WebCallTimeout,
    /// No `hello` within `hello_timeout`.
    HelloTimeout,
    /// The WebSocket closed (1006 when it dropped without a close frame).
    Closed {
        /// The close code.
        code: u16,
        /// The close reason.
        reason: String,
    },
    /// The WebSocket failed.
    Websocket {
        /// The transport's failure; its `source()` is the underlying error.
        error: TransportError,
    },
    /// The transport refused the socket URL; no retries.
    Refused {
        /// Why.
        reason: String,
    },
    /// The transport failed in a way retrying cannot fix; no retries.
    Transport {
        /// The transport's failure; its `source()` is the underlying error.
        error: TransportError,
    },
    /// A ping got no answer within `pong_timeout`.
    PongTimeout,
    /// Nothing arrived for `idle_timeout`: a half-open socket.
    IdleTimeout,
    /// `disconnect` with reason `link_disabled`: Socket Mode was turned off for the app.
    LinkDisabled,
    /// The retry budget ran out; `last` is the last failure.
    RetriesExhausted {
        /// Failed attempts.
        attempts: u32,
        /// The last failure.
        last: Box<SocketModeError>,
    },
    /// `disconnect()` came before the session was ready.
    Disconnected,
    /// A frame that is not a JSON object, or a malformed envelope (the session goes on).
    MalformedFrame {
        /// What was wrong.
        detail: String,
    },
    /// A frame that is neither `hello`, `disconnect` nor an envelope with an `envelope_id`.
    MissingEnvelopeId {
        /// Its `type`, if any.
        frame_type: Option<String>,
    },
    /// A `disconnect` with a reason Slack does not document (the session goes on).
    UnknownDisconnectReason {
        /// The reason as sent.
        reason: String,
    },
    /// A binary frame, which Socket Mode never sends (the session goes on).
    UnexpectedBinary {
        /// Its length.
        len: usize,
    },
}

impl SocketModeError {
    /// An error code in the style of Slack's SDKs (`slack_socket_mode_…`, or the Web API's
    /// for a failed `apps.connections.open`), for logs and metrics.
    pub fn code(&self) -> &'static str {
        use SocketModeError as E;
        match self {
            E::Platform { .. } => "slack_webapi_platform_error",
            E::RateLimited { .. } => "slack_webapi_rate_limited_error",
            E::Http { .. } | E::Redirect { .. } => "slack_webapi_http_error",
            E::Request { .. } | E::BadResponse { .. } | E::WebCallTimeout => {
                "slack_webapi_request_error"
            }
            E::RetriesExhausted { last, .. } => last.code(),
            E::Disconnected => "slack_socket_mode_disconnected_error",
            E::LinkDisabled => "slack_socket_mode_link_disabled_error",
            E::Transport { .. } => "slack_socket_mode_transport_error",
            E::MalformedFrame { .. }
            | E::MissingEnvelopeId { .. }
            | E::UnknownDisconnectReason { .. }
            | E::UnexpectedBinary { .. } => "slack_socket_mode_malformed_frame_error",
            E::HelloTimeout
            | E::Closed { .. }
            | E::Websocket { .. }
            | E::Refused { .. }
            | E::PongTimeout
            | E::IdleTimeout => "slack_socket_mode_websocket_error",
        }
    }

    /// Whether retrying could help.
    pub fn is_recoverable(&self) -> bool {
        match self {
            SocketModeError::Platform { error } => {
                !SOCKET_MODE_FATAL_ERRORS.contains(&error.as_str())
            }
            // A proxy refusing the credentials (407) refuses them again.
            SocketModeError::Http { status } => *status != 407,
            SocketModeError::LinkDisabled
            | SocketModeError::Redirect { .. }
            | SocketModeError::RetriesExhausted { .. }
            | SocketModeError::Disconnected
            | SocketModeError::Refused { .. }
            | SocketModeError::Transport { .. } => false,
            _ => true,
        }
    }
}

impl fmt::Display for SocketModeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use SocketModeError as E;
        match self {
            E::Platform { error } => write!(f, "apps.connections.open failed: {error}"),
            E::RateLimited { retry_after } => {
                write!(f, "rate limited (retry after {retry_after:?})")
            }
            E::Http { status } => write!(f, "HTTP status {status} from apps.connections.open"),
            E::Redirect { status, location } => {
                crate::error::redirect(f, *status, location.as_deref())
            }
            E::Request { error } => write!(f, "apps.connections.open failed: {error}"),
            E::BadResponse { detail } => write!(f, "unexpected Web API answer: {detail}"),
            E::WebCallTimeout => f.write_str("apps.connections.open timed out"),
            E::HelloTimeout => f.write_str("the server did not say hello in time"),
            E::Closed { code, reason } => write!(f, "WebSocket closed with code {code} {reason}"),
            E::Websocket { error } => write!(f, "WebSocket error: {error}"),
            E::Refused { reason } => write!(f, "WebSocket URL refused: {reason}"),
            E::Transport { error } => write!(f, "connection failed for good: {error}"),
            E::PongTimeout => f.write_str("no answer to a ping in time"),
            E::IdleTimeout => f.write_str("nothing received for too long (half-open socket)"),
            E::LinkDisabled => f.write_str("Socket Mode was disabled for the app"),
            E::RetriesExhausted { attempts, last } => {
                write!(f, "gave up after {attempts} attempts; last error: {last}")
            }
            E::Disconnected => f.write_str("disconnected before the session was ready"),
            E::MalformedFrame { detail } => write!(f, "malformed frame: {detail}"),
            E::MissingEnvelopeId { frame_type } => {
                write!(f, "frame without envelope_id (type {frame_type:?})")
            }
            E::UnknownDisconnectReason { reason } => {
                write!(f, "unknown disconnect reason {reason:?}")
            }
            E::UnexpectedBinary { len } => write!(f, "unexpected binary frame ({len} bytes)"),
        }
    }
}

impl std::error::Error for SocketModeError {
    /// The last attempt's failure, for `RetriesExhausted`.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SocketModeError::RetriesExhausted { last, .. } => Some(last.as_ref()),
            SocketModeError::Request { error }
            | SocketModeError::Websocket { error }
            | SocketModeError::Transport { error } => Some(error),
            _ => None,
        }
    }
}

/// Why an [`Input::Ack`](crate::Input::Ack) was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AckError {
    /// No envelope with this id was delivered (or it fell out of the window).
    UnknownEnvelope,
    /// The envelope was acked already (by the user, or automatically).
    AlreadyAcked,
    /// A payload for an envelope whose `accepts_response_payload` is false.
    PayloadNotAccepted,
    /// The payload is not a JSON object.
    BadPayload,
    /// The connection the envelope came on is gone and no other is live; Slack will
    /// redeliver it, and the redelivery is acked automatically.
    ConnectionGone,
}

impl fmt::Display for AckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AckError::UnknownEnvelope => "no such envelope awaits an ack",
            AckError::AlreadyAcked => "the envelope was acked already",
            AckError::PayloadNotAccepted => "the envelope accepts no response payload",
            AckError::BadPayload => "the response payload is not a JSON object",
            AckError::ConnectionGone => "the envelope's connection is gone",
        })
    }
}

impl std::error::Error for AckError {}
