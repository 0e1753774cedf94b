//! `chat.postMessage`: bots that reply through the Web API.
//!
//! Authenticated like Slack (Bearer header or `token` parameter), parameters as a form or a
//! JSON body, Slack's errors (HTTP 200, `{"ok":false,"error":…}`), a per-channel rate limit
//! on model time (HTTP 429 with `Retry-After`), the post in the channel's history and its
//! `message` event on every RTM connection. Socket Mode apps get nothing: the model has no
//! notion of an app subscribing to message events, and a bot must not hear its own posts.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::events::{self, MessageEvent};
use super::web::{HttpAnswer, HttpRequest};
use super::wire::obj;
use super::{HistoryEntry, ServerAction, SlackModel, WebFault};

/// The API method this module answers.
pub const CHAT_POST_MESSAGE: &str = "chat.postMessage";
/// `text` over this many characters is refused with `msg_too_long` (Slack: 40,000).
pub const MAX_POST_TEXT_CHARS: usize = 40_000;

/// A token bucket per channel: `burst` posts at once, then one per `interval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimit {
    /// Posts a channel takes back to back before the limit bites.
    pub burst: u32,
    /// One more post per this much time, sustained.
    #[serde(with = "super::fault::millis", rename = "interval_ms")]
    pub interval: Duration,
}

impl Default for RateLimit {
    /// Slack's "about one message per second per channel", with a burst of 3.
    fn default() -> Self {
        RateLimit {
            burst: 3,
            interval: Duration::from_secs(1),
        }
    }
}

/// How `chat.postMessage` behaves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatConfig {
    /// The per-channel rate limit; `None` switches it off (benchmarks).
    pub rate_limit: Option<RateLimit>,
}

impl Default for ChatConfig {
    fn default() -> Self {
        ChatConfig {
            rate_limit: Some(RateLimit::default()),
        }
    }
}

impl ChatConfig {
    /// No rate limit at all.
    pub fn unthrottled() -> Self {
        ChatConfig { rate_limit: None }
    }
}

/// What kind of token a web call presented, by its prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// No token at all.
    None,
    /// `xoxb-…`
    Bot,
    /// `xoxp-…`
    User,
    /// `xapp-…` (app-level, Socket Mode only).
    App,
    /// Anything else.
    Other,
}

impl TokenKind {
    /// The kind of a token (or of its absence).
    pub fn of(token: Option<&str>) -> Self {
        match token {
            None => TokenKind::None,
            Some(t) if t.starts_with("xoxb-") => TokenKind::Bot,
            Some(t) if t.starts_with("xoxp-") => TokenKind::User,
            Some(t) if t.starts_with("xapp-") => TokenKind::App,
            Some(_) => TokenKind::Other,
        }
    }
}

/// One `chat.postMessage` attempt and how it was answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostRecord {
    /// Model time of the request.
    pub at: Instant,
    /// Always [`CHAT_POST_MESSAGE`] for now.
    pub api_method: String,
    /// The `channel` parameter, if given.
    pub channel: Option<String>,
    /// The `text` parameter, if given.
    pub text: Option<String>,
    /// The `thread_ts` parameter, if given.
    pub thread_ts: Option<String>,
    /// What kind of token the call carried.
    pub token_kind: TokenKind,
    /// HTTP status of the answer (200, 429, or a fault's).
    pub status: u16,
    /// `error` of an `ok:false` answer.
    pub error: Option<String>,
    /// The message's `ts`, when it was posted.
    pub ts: Option<String>,
    /// `Retry-After` of a 429, in seconds.
    pub retry_after_secs: Option<u64>,
    /// The armed web fault this attempt consumed.
    pub fault: Option<WebFault>,
}

impl PostRecord {
    /// Whether the message was posted (`ok:true`).
    pub fn posted(&self) -> bool {
        self.ts.is_some()
    }

    /// As JSON, times in milliseconds since `origin` (admin interface).
    pub fn to_json(&self, origin: Instant) -> Value {
        serde_json::json!({
            "at_ms": self.at.saturating_duration_since(origin).as_secs_f64() * 1000.0,
            "api_method": self.api_method, "channel": self.channel, "text": self.text,
            "thread_ts": self.thread_ts, "token_kind": self.token_kind,
            "status": self.status, "error": self.error, "ts": self.ts,
            "retry_after_secs": self.retry_after_secs, "fault": self.fault,
        })
    }
}

/// Parameters of a `chat.postMessage`, from a form or a JSON body.
#[derive(Debug, Default)]
struct PostParams {
    channel: Option<String>,
    text: Option<String>,
    thread_ts: Option<String>,
    /// Present and parsed; `Err` when it is not a JSON array.
    blocks: Option<Result<Vec<Value>, ()>>,
}

fn is_json(req: &HttpRequest) -> bool {
    req.header("content-type")
        .is_some_and(|ct| ct.to_ascii_lowercase().starts_with("application/json"))
}

fn blocks_of(v: &Value) -> Result<Vec<Value>, ()> {
    match v {
        Value::Array(a) => Ok(a.clone()),
        Value::String(s) => match serde_json::from_str::<Value>(s) {
            Ok(Value::Array(a)) => Ok(a),
            _ => Err(()),
        },
        _ => Err(()),
    }
}

impl PostParams {
    /// `Err("invalid_json")` for a JSON body that is not an object.
    fn parse(req: &HttpRequest) -> Result<Self, &'static str> {
        let mut p = PostParams::default();
        for (k, v) in req.params() {
            match k.as_str() {
                "channel" => p.channel = Some(v),
                "text" => p.text = Some(v),
                "thread_ts" => p.thread_ts = Some(v),
                "blocks" => p.blocks = Some(blocks_of(&Value::String(v))),
                _ => {}
            }
        }
        if is_json(req) && !req.body.is_empty() {
            let Ok(Value::Object(m)) = serde_json::from_slice::<Value>(&req.body) else {
                return Err("invalid_json");
            };
            p.merge_json(&m);
        }
        Ok(p)
    }

    fn merge_json(&mut self, m: &Map<String, Value>) {
        let string = |v: &Value| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        };
        if let Some(v) = m.get("channel") {
            self.channel = string(v);
        }
        if let Some(v) = m.get("text") {
            self.text = string(v);
        }
        if let Some(v) = m.get("thread_ts") {
            self.thread_ts = string(v);
        }
        if let Some(v) = m.get("blocks") {
            self.blocks = Some(blocks_of(v));
        }
    }
}

/// `1700000000.000100`: digits, a dot, digits.
fn is_ts(ts: &str) -> bool {
    ts.split_once('.').is_some_and(|(s, us)| {
        !s.is_empty()
            && !us.is_empty()
            && s.bytes().all(|b| b.is_ascii_digit())
            && us.bytes().all(|b| b.is_ascii_digit())
    })
}

fn retry_after(mut a: HttpAnswer, secs: u64) -> HttpAnswer {
    a.headers.push(("retry-after".into(), secs.to_string()));
    a
}

/// Per-channel limiter state: the GCRA "theoretical arrival time" of the next post.
#[derive(Debug, Clone, Default)]
pub(crate) struct ChatState {
    pub(crate) config: ChatConfig,
    tat: HashMap<String, Instant>,
}

impl ChatState {
    /// `Ok` takes a slot; `Err(wait)` is how long until one frees up.
    fn admit(&mut self, now: Instant, channel: &str) -> Result<(), Duration> {
        let Some(limit) = self.config.rate_limit else {
            return Ok(());
        };
        let interval = limit.interval;
        let tolerance = interval * limit.burst.saturating_sub(1);
        let tat = self.tat.get(channel).copied().unwrap_or(now).max(now);
        let ahead = tat.saturating_duration_since(now);
        if ahead > tolerance {
            return Err(ahead - tolerance);
        }
        self.tat.insert(channel.to_string(), tat + interval);
        Ok(())
    }
}

impl SlackModel {
    /// How `chat.postMessage` behaves (rate limit).
    pub fn chat_config(&self) -> &ChatConfig {
        &self.chat.config
    }

    /// Changes how `chat.postMessage` behaves from now on.
    pub fn set_chat_config(&mut self, config: ChatConfig) {
        self.chat.config = config;
    }

    /// Every `chat.postMessage` attempt, oldest first.
    pub fn posts(&self) -> &[PostRecord] {
        &self.record.posts
    }

    /// The bot token (`xoxb-…`) of the workspace's first app's bot user, else the
    /// workspace's first token: what a bot replies with.
    pub fn bot_token(&self) -> Option<String> {
        self.ws
            .apps
            .first()
            .and_then(|a| a.bot_token.clone())
            .or_else(|| self.ws.tokens.first().cloned())
    }

    /// Tokens the Web API methods other than the session-opening ones accept: the
    /// workspace's tokens and its apps' bot tokens. All act as the workspace's bot user.
    fn accepts_bot_token(&self, token: &str) -> bool {
        self.ws.tokens.iter().any(|t| t == token)
            || self
                .ws
                .apps
                .iter()
                .any(|a| a.bot_token.as_deref() == Some(token))
    }

    /// The normal answer of `chat.postMessage` (no fault).
    pub(super) fn answer_post_message(
        &mut self,
        now: Instant,
        req: &HttpRequest,
        token: Option<&str>,
        out: &mut Vec<ServerAction>,
    ) -> HttpAnswer {
        match self.post_message(now, req, token, out) {
            Ok(a) | Err(a) => a,
        }
    }

    fn post_message(
        &mut self,
        now: Instant,
        req: &HttpRequest,
        token: Option<&str>,
        out: &mut Vec<ServerAction>,
    ) -> Result<HttpAnswer, HttpAnswer> {
        let fail = |e: &str| HttpAnswer::error(200, e);
        let token = token.ok_or_else(|| fail("not_authed"))?;
        if !self.accepts_bot_token(token) {
            let app_token = self.ws.apps.iter().any(|a| a.token == token);
            return Err(fail(if app_token {
                "not_allowed_token_type"
            } else {
                "invalid_auth"
            }));
        }
        let p = PostParams::parse(req).map_err(fail)?;
        let bot = self.ws.bot();
        let channel = p
            .channel
            .as_deref()
            .and_then(|c| self.ws.channel(c))
            .ok_or_else(|| fail("channel_not_found"))?;
        if !channel.members.contains(&bot.id) {
            return Err(fail("not_in_channel"));
        }
        let channel = channel.id.clone();
        let blocks = match p.blocks {
            Some(Err(())) => return Err(fail("invalid_blocks")),
            Some(Ok(b)) if !b.is_empty() => Some(Value::Array(b)),
            _ => None,
        };
        let text = p.text.unwrap_or_default();
        if text.is_empty() && blocks.is_none() {
            return Err(fail("no_text"));
        }
        if text.chars().count() > MAX_POST_TEXT_CHARS {
            return Err(fail("msg_too_long"));
        }
        let thread_ts = p.thread_ts.filter(|t| !t.is_empty());
        if thread_ts.as_deref().is_some_and(|t| !is_ts(t)) {
            return Err(fail("invalid_thread_ts"));
        }
        if let Err(wait) = self.chat.admit(now, &channel) {
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            return Err(retry_after(
                HttpAnswer::error(429, "ratelimited"),
                secs.max(1),
            ));
        }

        let ts = self.ts.next(now);
        self.history
            .entry(channel.clone())
            .or_default()
            .push(HistoryEntry {
                ts: ts.clone(),
                user: bot.id.clone(),
                text: text.clone(),
                thread_ts: thread_ts.clone(),
            });
        let block_id = self.rng.block_id();
        let event = events::message(&MessageEvent {
            user: &bot.id,
            text: &text,
            channel: &channel,
            team: &self.ws.team.id,
            ts: &ts,
            client_msg_id: None,
            block_id: &block_id,
            bot_id: bot.bot_id.as_deref(),
            thread_ts: thread_ts.as_deref(),
            blocks: blocks.as_ref(),
        });
        // Every RTM session hears the post, the poster's own too (Slack echoes a bot's
        // Web API posts on its RTM sockets); Socket Mode connections are left alone.
        for conn in self.open_connections() {
            if !self.is_link_conn(conn) {
                self.send(now, conn, event.clone(), out);
            }
        }
        let mut message: Vec<(&str, Value)> = vec![
            ("type", "message".into()),
            ("text", text.into()),
            ("user", bot.id.into()),
        ];
        if let Some(b) = bot.bot_id {
            message.push(("bot_id", b.into()));
        }
        message.push(("ts", ts.clone().into()));
        if let Some(t) = &thread_ts {
            message.push(("thread_ts", t.clone().into()));
        }
        if let Some(b) = blocks {
            message.push(("blocks", b));
        }
        message.push(("team", self.ws.team.id.clone().into()));
        // Built by hand so that `message` keeps Slack's field order.
        let body = format!(
            "{{\"ok\":true,\"channel\":{},\"ts\":{},\"message\":{}}}",
            Value::from(channel),
            Value::from(ts),
            obj(&message)
        );
        Ok(HttpAnswer::json(200, body))
    }

    /// Adds a `chat.postMessage` attempt to the record.
    pub(super) fn record_post(
        &mut self,
        now: Instant,
        req: &HttpRequest,
        token: Option<&str>,
        answer: &HttpAnswer,
        fault: Option<WebFault>,
    ) {
        let p = PostParams::parse(req).unwrap_or_default();
        let body = answer.body_json();
        let field = |k: &str| {
            body.as_ref()
                .and_then(|b| b.get(k))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        let ok = body.as_ref().and_then(|b| b.get("ok")) == Some(&Value::Bool(true));
        self.record.posts.push(PostRecord {
            at: now,
            api_method: req.api_method.clone(),
            channel: p.channel,
            text: p.text,
            thread_ts: p.thread_ts,
            token_kind: TokenKind::of(token),
            status: answer.status,
            error: field("error"),
            ts: if ok { field("ts") } else { None },
            retry_after_secs: answer.header("retry-after").and_then(|v| v.parse().ok()),
            fault,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limiter_bursts_then_one_per_interval() {
        let mut s = ChatState::default();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(s.admit(t0, "C"), Ok(()));
        }
        assert_eq!(s.admit(t0, "C"), Err(Duration::from_secs(1)));
        // Another channel has its own bucket.
        assert_eq!(s.admit(t0, "D"), Ok(()));
        let t = t0 + Duration::from_millis(400);
        assert_eq!(s.admit(t, "C"), Err(Duration::from_millis(600)));
        let t = t0 + Duration::from_secs(1);
        assert_eq!(s.admit(t, "C"), Ok(()));
        assert_eq!(s.admit(t, "C"), Err(Duration::from_secs(1)));
        s.config = ChatConfig::unthrottled();
        for _ in 0..100 {
            assert_eq!(s.admit(t, "C"), Ok(()));
        }
    }

    #[test]
    fn ts_shapes() {
        assert!(is_ts("1700000000.000100"));
        assert!(!is_ts("1700000000"));
        assert!(!is_ts("abc.def"));
        assert!(!is_ts(".1"));
    }

    #[test]
    fn token_kinds() {
        assert_eq!(TokenKind::of(None), TokenKind::None);
        assert_eq!(TokenKind::of(Some("xoxb-1")), TokenKind::Bot);
        assert_eq!(TokenKind::of(Some("xoxp-1")), TokenKind::User);
        assert_eq!(TokenKind::of(Some("xapp-1")), TokenKind::App);
        assert_eq!(TokenKind::of(Some("nope")), TokenKind::Other);
    }
}
