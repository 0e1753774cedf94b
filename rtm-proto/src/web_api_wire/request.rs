//! What the user asks of the Web API: a method, its form parameters, a token.

use crate::config::Token;

/// The method `chat.postMessage`.
pub(crate) const CHAT_POST_MESSAGE: &str = "chat.postMessage";

/// The longest method name accepted (Slack's are far shorter).
const MAX_METHOD_LEN: usize = 100;

/// One Web API call: `POST {api_url}{method}` with the token as `Authorization: Bearer` and
/// the parameters as a form. Calls with the same pacing key go one at a time, in order, and
/// paced ([`WebApiConfig::pacing`](crate::WebApiConfig::pacing)); calls without one run side
/// by side.
///
/// ```
/// use rtm_proto::{ApiRequest, ChatPostMessage};
///
/// let generic = ApiRequest::new("conversations.info", "xoxb-…").param("channel", "C1");
/// assert_eq!(generic.method(), "conversations.info");
/// assert_eq!(generic.pacing_key(), None);
///
/// let post = ApiRequest::chat_post_message("xoxb-…", &ChatPostMessage::new("C1", "hi").thread_ts("1.2"));
/// assert_eq!(post.method(), "chat.postMessage");
/// assert_eq!(post.pacing_key(), Some("C1"));
/// assert!(post.form().contains(&("thread_ts".to_owned(), "1.2".to_owned())));
/// // The token is never shown.
/// assert!(!format!("{post:?}").contains("xoxb"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiRequest {
    method: String,
    params: Vec<(String, String)>,
    token: Token,
    key: Option<String>,
}

impl ApiRequest {
    /// A call of `method` (such as `conversations.info`) with `token` and no parameters.
    pub fn new(method: impl Into<String>, token: impl Into<Token>) -> Self {
        ApiRequest {
            method: method.into(),
            params: Vec::new(),
            token: token.into(),
            key: None,
        }
    }

    /// Adds the form parameter `key=value`.
    pub fn param(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.params.push((key.into(), value.into()));
        self
    }

    /// Adds form parameters, in order.
    pub fn params<K, V>(mut self, params: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        self.params
            .extend(params.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// Makes the call one of a series: calls with the same key go one at a time, in the
    /// order they were made, paced ([`chat_post_message`](Self::chat_post_message) uses the
    /// channel).
    pub fn paced_by(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// `chat.postMessage` of `message`, paced per channel. Its form: `channel`, `text`
    /// (when not empty), `thread_ts` (if any) and `blocks` as JSON text (if any). A message
    /// without a channel, or with neither text nor blocks, settles at once with
    /// [`ApiError::InvalidRequest`](crate::ApiError::InvalidRequest).
    pub fn chat_post_message(token: impl Into<Token>, message: &ChatPostMessage) -> Self {
        let mut request =
            ApiRequest::new(CHAT_POST_MESSAGE, token).param("channel", message.channel.as_str());
        if !message.text.is_empty() {
            request = request.param("text", message.text.as_str());
        }
        if let Some(ts) = &message.thread_ts {
            request = request.param("thread_ts", ts.as_str());
        }
        if let Some(blocks) = &message.blocks {
            // A `Value` always serialises; should it not, the empty text is refused below.
            request = request.param("blocks", serde_json::to_string(blocks).unwrap_or_default());
        }
        request.paced_by(message.channel.as_str())
    }

    /// The method, such as `chat.postMessage`.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The form parameters, in order (the builder is [`params`](Self::params)).
    pub fn form(&self) -> &[(String, String)] {
        &self.params
    }

    /// The token.
    pub fn token(&self) -> &Token {
        &self.token
    }

    /// The pacing key (the channel of a `chat.postMessage`), if any.
    pub fn pacing_key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    /// Why the request cannot be sent, if it cannot: a method name outside `[A-Za-z0-9._]+`,
    /// or a `chat.postMessage` without a channel, without text or blocks, or with blocks that
    /// are not a JSON array.
    pub fn problem(&self) -> Option<String> {
        let m = &self.method;
        if m.is_empty()
            || m.len() > MAX_METHOD_LEN
            || !m
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_')
        {
            return Some(format!(
                "method name must be 1 to {MAX_METHOD_LEN} of [A-Za-z0-9._] (got {} bytes)",
                m.len()
            ));
        }
        if m == CHAT_POST_MESSAGE {
            let get = |k: &str| {
                self.params
                    .iter()
                    .find(|(key, _)| key == k)
                    .map(|(_, v)| v.as_str())
            };
            if get("channel").is_none_or(|c| c.trim().is_empty()) {
                return Some("chat.postMessage needs a channel".into());
            }
            let text = get("text").is_some_and(|t| !t.is_empty());
            let blocks = get("blocks");
            if let Some(b) = blocks
                && !matches!(serde_json::from_str(b), Ok(serde_json::Value::Array(_)))
            {
                return Some("chat.postMessage blocks must be a JSON array".into());
            }
            if !text && blocks.is_none() {
                return Some("chat.postMessage needs text or blocks".into());
            }
        }
        None
    }

    pub(crate) fn into_parts(self) -> (String, Vec<(String, String)>, Token, Option<String>) {
        (self.method, self.params, self.token, self.key)
    }
}

/// A message to post with `chat.postMessage` (see [`ApiRequest::chat_post_message`]).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq)]
pub struct ChatPostMessage {
    /// The channel (or user, for a DM) to post to: `C…`, `D…`, `U…`.
    pub channel: String,
    /// The text (the fallback text when there are blocks); up to 40,000 characters.
    pub text: String,
    /// The `ts` of the parent message, to reply in its thread.
    pub thread_ts: Option<String>,
    /// Block Kit blocks (a JSON array).
    pub blocks: Option<serde_json::Value>,
}

impl ChatPostMessage {
    /// A plain message.
    pub fn new(channel: impl Into<String>, text: impl Into<String>) -> Self {
        ChatPostMessage {
            channel: channel.into(),
            text: text.into(),
            thread_ts: None,
            blocks: None,
        }
    }

    /// A reply in the thread of the message `ts`.
    pub fn thread_ts(mut self, ts: impl Into<String>) -> Self {
        self.thread_ts = Some(ts.into());
        self
    }

    /// With Block Kit blocks (a JSON array).
    pub fn blocks(mut self, blocks: serde_json::Value) -> Self {
        self.blocks = Some(blocks);
        self
    }
}
