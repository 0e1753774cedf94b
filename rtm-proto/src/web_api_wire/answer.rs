//! What a Web API call ends with: Slack's `ok:true` answer, or why there is none.

use std::time::Duration;

/// Slack's `ok:true` answer to a call.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiAnswer {
    /// The method called.
    pub method: String,
    /// The whole answer (an object with `"ok": true`).
    pub json: serde_json::Value,
}

/// The answer of a `chat.postMessage`: where the message went and its `ts`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PostedMessage {
    /// The channel id the message was posted to.
    pub channel: String,
    /// The message's `ts` (its id in the channel; the `thread_ts` of replies to it).
    pub ts: String,
    /// The whole answer.
    pub answer: ApiAnswer,
}

impl PostedMessage {
    /// Reads `channel` and `ts` out of a `chat.postMessage` answer.
    ///
    /// ```
    /// use rtm_proto::{ApiAnswer, PostedMessage};
    ///
    /// let json = serde_json::json!({"ok": true, "channel": "C1", "ts": "1503435956.000247"});
    /// let posted = PostedMessage::from_answer(ApiAnswer { method: "chat.postMessage".into(), json })?;
    /// assert_eq!(posted.ts, "1503435956.000247");
    /// # Ok::<(), rtm_proto::ApiError>(())
    /// ```
    pub fn from_answer(answer: ApiAnswer) -> Result<PostedMessage, ApiError> {
        let field = |k: &str| {
            answer
                .json
                .get(k)
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        };
        match (field("channel"), field("ts")) {
            (Some(channel), Some(ts)) => Ok(PostedMessage {
                channel,
                ts,
                answer,
            }),
            _ => Err(ApiError::InvalidResponse {
                method: answer.method,
                detail: "no `channel` and `ts` strings in the answer".into(),
            }),
        }
    }
}

/// Why a Web API call failed. Never holds the token.
#[non_exhaustive]
#[derive(thiserror::Error, Debug, Clone, PartialEq)]
pub enum ApiError {
    /// Slack answered `ok:false` (not retried).
    #[error("{method}: {error}")]
    Slack {
        /// The method.
        method: String,
        /// Slack's error, such as `channel_not_found` or `missing_scope`.
        error: String,
        /// The scope Slack wants (`needed`, with `missing_scope`).
        needed: Option<String>,
        /// Slack's `warning`, if any.
        warning: Option<String>,
    },
    /// HTTP 429 (or `ok:false` with `ratelimited`) after
    /// [`rate_limit_retries`](crate::WebApiConfig::rate_limit_retries) retries.
    #[error("{method}: rate limited (Retry-After {retry_after:?}), retries exhausted")]
    RateLimited {
        /// The method.
        method: String,
        /// The last `Retry-After`.
        retry_after: Duration,
    },
    /// An HTTP status other than 2xx and 429: at once for 3xx (never followed: the token
    /// would go elsewhere) and 4xx, after [`max_retries`](crate::WebApiConfig::max_retries)
    /// retries for 5xx.
    #[error("{method}: HTTP {status}")]
    Http {
        /// The method.
        method: String,
        /// The last status.
        status: u16,
    },
    /// The transport failed: fatally, or after
    /// [`max_retries`](crate::WebApiConfig::max_retries) retries.
    #[error("{method}: transport failed: {error}")]
    Transport {
        /// The method.
        method: String,
        /// The last failure; its `source()` is the underlying error.
        #[source]
        error: crate::TransportError,
    },
    /// An attempt went unanswered for [`timeout`](crate::WebApiConfig::timeout). Not
    /// retried: the request may have reached Slack.
    #[error("{method}: no answer within {after:?}")]
    Timeout {
        /// The method.
        method: String,
        /// The timeout.
        after: Duration,
    },
    /// A 2xx answer that is not Slack's JSON (not an object, no boolean `ok`).
    #[error("{method}: invalid response: {detail}")]
    InvalidResponse {
        /// The method.
        method: String,
        /// What is wrong with it.
        detail: String,
    },
    /// The request cannot be sent (a bad method name, a message without channel or text,
    /// a call id already in use).
    #[error("invalid request: {detail}")]
    InvalidRequest {
        /// What is wrong with it.
        detail: String,
    },
    /// The client was shut down before the call settled.
    #[error("the client was shut down")]
    ClientClosed,
}

impl ApiError {
    /// The error code, in the reference clients' style.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Slack { .. } => "slack_webapi_platform_error",
            ApiError::RateLimited { .. } => "slack_webapi_rate_limited_error",
            ApiError::Http { .. } => "slack_webapi_http_error",
            ApiError::Transport { .. }
            | ApiError::Timeout { .. }
            | ApiError::InvalidResponse { .. } => "slack_webapi_request_error",
            ApiError::InvalidRequest { .. } => "slack_webapi_invalid_request_error",
            ApiError::ClientClosed => "slack_webapi_client_closed_error",
        }
    }

    /// Whether calling again later may succeed (the core has already retried what it
    /// safely could): a rate limit, a 5xx, a transport failure (though a fatal one, such
    /// as a certificate that fails verification, will fail again), a timeout, and Slack's
    /// transient errors (`internal_error`, `fatal_error`, `service_unavailable`,
    /// `request_timeout`).
    pub fn is_retryable(&self) -> bool {
        match self {
            ApiError::RateLimited { .. } | ApiError::Timeout { .. } => true,
            ApiError::Http { status, .. } => (500..=599).contains(status),
            ApiError::Transport { .. } => true,
            ApiError::Slack { error, .. } => matches!(
                error.as_str(),
                "internal_error" | "fatal_error" | "service_unavailable" | "request_timeout"
            ),
            _ => false,
        }
    }

    /// The method, when the call was sent.
    pub fn method(&self) -> Option<&str> {
        match self {
            ApiError::Slack { method, .. }
            | ApiError::RateLimited { method, .. }
            | ApiError::Http { method, .. }
            | ApiError::Transport { method, .. }
            | ApiError::Timeout { method, .. }
            | ApiError::InvalidResponse { method, .. } => Some(method),
            ApiError::InvalidRequest { .. } | ApiError::ClientClosed => None,
        }
    }
}
