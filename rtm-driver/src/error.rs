//! The one error type of the client.

use rtm_proto::{AckError, ApiError, ConfigError, RtmError, SendError, SocketModeError};

/// Everything that can go wrong, with the reference client's error codes ([`Error::code`]).
/// No variant ever holds the token.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The session could not be opened, or it ended (`start()`).
    #[error(transparent)]
    Rtm(#[from] RtmError),
    /// The Socket Mode session could not be opened, or it ended (`start()`).
    #[error(transparent)]
    SocketMode(#[from] SocketModeError),
    /// An ack was refused (already acked, unknown envelope, connection gone).
    #[error("ack refused: {0}")]
    Ack(#[from] AckError),
    /// A Web API call failed (the core retried what could be retried).
    #[error(transparent)]
    Api(#[from] ApiError),
    /// A Web API call from a Socket Mode client built without a bot token: set
    /// `SocketModeBuilder::bot_token`.
    #[error(
        "no bot token for the Web API: Socket Mode's app-level token cannot post; set \
         SocketModeBuilder::bot_token(\"xoxb-…\")"
    )]
    NoBotToken,
    /// A token of the wrong kind for its use (e.g. a bot token given as the app-level token
    /// of Socket Mode), found at build time.
    #[error("wrong kind of token: {0}")]
    TokenKind(&'static str),
    /// A send failed; every send settles exactly once, with a result or this.
    #[error(transparent)]
    Send(#[from] SendError),
    /// The options cannot work (found at build time).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The driver task is gone: every client handle was dropped, or its runtime shut down.
    #[error("the client was shut down")]
    ClientClosed,
    /// A plain-text (`http://`, `ws://`) URL to a host that is not loopback, without
    /// `allow_insecure(true)`.
    #[error(
        "refusing insecure {scheme}:// URL to host {host}, which is not loopback (plain text is \
         allowed only to 127.0.0.0/8, [::1] and localhost): use TLS, or allow_insecure(true) \
         to allow it"
    )]
    InsecureUrl {
        /// The scheme.
        scheme: String,
        /// The host, as the URL parser (and so the transport) reads it.
        host: String,
    },
    /// A URL that cannot be used at all.
    #[error("invalid URL: {reason}")]
    InvalidUrl {
        /// What is wrong with it.
        reason: String,
    },
    /// A proxy URL that cannot be used (unparsable, or a scheme other than `http`), from
    /// the builder or the environment; named without its credentials.
    #[error("invalid proxy {url:?}: {reason}")]
    InvalidProxy {
        /// The proxy URL, credentials replaced by `***`.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The TLS configuration could not be built (e.g. an extra root certificate is not DER).
    #[error("TLS configuration: {0}")]
    Tls(String),
    /// The adapter could not be set up (no runtime, HTTP client failed to build, ...).
    #[error("transport setup: {0}")]
    Transport(String),
    /// The recording file of `record_to_file` could not be created.
    #[error("recording: {0}")]
    Recording(String),
}

impl Error {
    /// The reference client's error code (`slack_rtmapi_…`, `slack_webapi_…`), with codes in
    /// the same style for what the reference does not have.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Rtm(e) => e.code(),
            Error::Send(e) => e.code(),
            Error::SocketMode(e) => e.code(),
            Error::Ack(_) => "slack_socket_mode_ack_error",
            Error::Api(e) => e.code(),
            Error::NoBotToken => "slack_webapi_no_bot_token_error",
            Error::TokenKind(_) => "slack_rtmapi_token_kind_error",
            Error::Config(e) => e.code(),
            Error::ClientClosed => "slack_rtmapi_client_closed_error",
            Error::InsecureUrl { .. } => "slack_rtmapi_insecure_url_error",
            Error::InvalidUrl { .. } => "slack_rtmapi_invalid_url_error",
            Error::InvalidProxy { .. } => "slack_rtmapi_invalid_proxy_error",
            Error::Tls(_) => "slack_rtmapi_tls_config_error",
            Error::Transport(_) => "slack_rtmapi_transport_setup_error",
            Error::Recording(_) => "slack_rtmapi_recording_error",
        }
    }

    /// Whether the client was shut down (as a session or as a send error).
    pub fn is_client_closed(&self) -> bool {
        matches!(
            self,
            Error::ClientClosed
                | Error::Send(SendError::ClientClosed)
                | Error::Api(ApiError::ClientClosed)
        )
    }
}
