//! Recordings of a session, and their replay (feature `recording`).
//!
//! Everything the core decides is a function of its [`Config`] (with its seed) and of the
//! inputs it was fed with their times. A recording is that, as JSON lines:
//!
//! 1. a header: `{"rtm_recording":1,"core":"rtm","library":"rtm-proto 0.1.0","seed":…,"config":{…}}`;
//! 2. one line per input, in the order it was fed:
//!    `{"n":1,"t":0,"input":{"type":"start",…},"digest":"…","actions":["emit",…]}`, where `t`
//!    is the time in nanoseconds since the first input (monotonic), `digest` a stable hash
//!    of the actions the core returned (FNV-1a 64 over their `Debug` rendering, in which
//!    tokens are redacted) and `actions` their names.
//!
//! The token of [`Input::Start`] is written as [`TOKEN_MARKER`], and every string of an input
//! is scrubbed of the secrets given to [`Recorder::new`] (the token, proxy credentials): no
//! secret reaches the file. **Message contents do**: a recording holds what was said in the
//! workspace during the session, and is as sensitive as the workspace's history.
//!
//! [`replay`] feeds a recording through a fresh [`Client`] on virtual time and checks every
//! step against the recorded digest; [`Report::timeline`] is a readable account of the
//! session. [`assert_replays`] and [`replay_test!`](crate::replay_test) make a recording a test.

use std::fmt::{self, Write as _};
use std::io::BufRead;
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use crate::action::Action;
use crate::client::Client;
use crate::config::{Backoff, WebApiConfig};
use crate::config::{Config, ConfigError, Pacing, RetryLimit, RetryPolicy, StartOptions, Token};
use crate::event::Event;
use crate::ids::{CallId, ConnId, SendHandle};
use crate::input::{Input, WebResponse};
use crate::outgoing::{Outgoing, SendMode};
use crate::transport::{TransportError, TransportErrorKind};
use crate::web_api_wire::ApiRequest;

/// The version of the recording format this library writes and reads.
pub const FORMAT_VERSION: u64 = 1;

/// What a recording holds in place of the token (and of any other secret it met).
pub const TOKEN_MARKER: &str = "<redacted>";

/// The core a recording is for (its header's `core`): the RTM [`Client`]. A core of another
/// protocol names itself, and this replay refuses its recordings.
pub const CORE: &str = "rtm";

/// The library that wrote a recording (its header's `library`).
pub const LIBRARY: &str = concat!("rtm-proto ", env!("CARGO_PKG_VERSION"));

// ---------------------------------------------------------------------------------------
// Digest
// ---------------------------------------------------------------------------------------

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a 64 over 8-byte little-endian words (then the remaining bytes one by one), fed
/// through `fmt::Write` so that a `Debug` rendering is hashed without being allocated. Words
/// rather than bytes: an eighth of the multiplications, for the frames of a flood.
struct Fnv(u64);

impl Fnv {
    fn bytes(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            let w = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
            self.0 = (self.0 ^ w).wrapping_mul(FNV_PRIME);
        }
        for b in words.remainder() {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(FNV_PRIME);
        }
    }

    fn u64(&mut self, n: u64) {
        self.0 = (self.0 ^ n).wrapping_mul(FNV_PRIME);
    }
}

impl fmt::Write for Fnv {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.bytes(s.as_bytes());
        Ok(())
    }
}

/// The digest of one step's actions: FNV-1a 64 (over words, see above) of a canonical
/// rendering of each action, followed by a newline: the frames of `Emit(Slack)`, `SendText`
/// and `Emit(OutgoingMessage)` as they are (they hold no secret), every other action as its
/// `Debug` rendering (in which tokens are redacted).
pub fn digest(actions: &[Action]) -> u64 {
    let mut h = Fnv(FNV_OFFSET);
    for action in actions {
        match action {
            Action::Emit(Event::Slack(e)) => {
                h.bytes(b"emit slack ");
                h.bytes(e.raw().as_bytes());
            }
            Action::SendText { conn, text } => {
                h.bytes(b"send_text ");
                h.u64(conn.0);
                h.bytes(text.as_bytes());
            }
            Action::Emit(Event::OutgoingMessage { id, frame }) => {
                h.bytes(b"emit outgoing_message ");
                h.u64(*id);
                h.bytes(frame.as_bytes());
            }
            action => {
                let _ = write!(h, "{action:?}");
            }
        }
        h.bytes(b"\n");
    }
    h.0
}

/// A short name of an action, for recordings and divergence reports.
pub fn action_name(action: &Action) -> String {
    match action {
        Action::CallWebApi { method, .. } => format!("call_web_api:{}", method.as_str()),
        Action::OpenWebSocket { .. } => "open_websocket".into(),
        Action::SendText { .. } => "send_text".into(),
        Action::SendPing { .. } => "send_ping".into(),
        Action::SocketMode(_) => "socket_mode".into(),
        Action::CloseWebSocket { code, .. } => format!("close_websocket:{code}"),
        Action::DropWebSocket { .. } => "drop_websocket".into(),
        Action::Emit(event) => format!("emit:{}", event.name()),
        Action::Settle { result, .. } => {
            format!("settle:{}", if result.is_ok() { "ok" } else { "err" })
        }
        Action::StartSettled(r) => {
            format!("start_settled:{}", if r.is_ok() { "ok" } else { "err" })
        }
        Action::DisconnectSettled => "disconnect_settled".into(),
        Action::Ignored { input, .. } => format!("ignored:{input}"),
        Action::CallApi { method, .. } => format!("call_api:{method}"),
        Action::ApiSettled { result, .. } => format!(
            "api_settled:{}",
            match result {
                Ok(_) => "ok",
                Err(e) => e.code(),
            }
        ),
    }
}

// ---------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------

fn dur(d: Duration) -> Value {
    json!([d.as_secs(), d.subsec_nanos()])
}

fn opt_dur(d: Option<Duration>) -> Value {
    d.map_or(Value::Null, dur)
}

/// `f64` as Rust's shortest round-trip rendering (exact, unlike a JSON number's parse).
fn float(x: f64) -> Value {
    Value::String(format!("{x:?}"))
}

fn limit(l: RetryLimit) -> Value {
    match l {
        RetryLimit::Attempts(n) => json!({ "attempts": n }),
        RetryLimit::Elapsed(d) => json!({ "elapsed": dur(d) }),
        RetryLimit::Forever => json!("forever"),
    }
}

/// The core's configuration as JSON (it holds no secret: the token comes with `start`).
pub fn config_to_json(c: &Config) -> Value {
    json!({
        "auto_reconnect": c.auto_reconnect,
        "use_rtm_connect": c.use_rtm_connect,
        "client_ping_timeout": dur(c.client_ping_timeout),
        "server_pong_timeout": dur(c.server_pong_timeout),
        "reply_ack_on_reconnect_timeout": dur(c.reply_ack_on_reconnect_timeout),
        "reply_timeout": opt_dur(c.reply_timeout),
        "send_timeout": opt_dur(c.send_timeout),
        "web_call_timeout": dur(c.web_call_timeout),
        "hello_timeout": dur(c.hello_timeout),
        "close_timeout": dur(c.close_timeout),
        "retry": {
            "first_start": limit(c.retry.first_start),
            "reconnect": limit(c.retry.reconnect),
            "initial_delay": dur(c.retry.initial_delay),
            "factor": float(c.retry.factor),
            "max_delay": dur(c.retry.max_delay),
        },
        "pacing": c.pacing.map_or(Value::Null, |p| json!({
            "per_second": float(p.per_second),
            "burst": p.burst,
        })),
        "queue_limit": c.queue_limit,
        "max_frame_bytes": c.max_frame_bytes,
        "max_message_chars": c.max_message_chars,
        "emit_outgoing": c.emit_outgoing,
        "seed": c.seed,
        "web_api": web_api_to_json(&c.web_api),
    })
}

fn pacing_to_json(p: Option<Pacing>) -> Value {
    p.map_or(Value::Null, |p| {
        json!({
            "per_second": float(p.per_second),
            "burst": p.burst,
        })
    })
}

/// The Web API's configuration as JSON (shared by both cores' headers).
pub fn web_api_to_json(w: &WebApiConfig) -> Value {
    json!({
        "timeout": dur(w.timeout),
        "max_retries": w.max_retries,
        "rate_limit_retries": w.rate_limit_retries,
        "retry": {
            "initial_delay": dur(w.retry.initial_delay),
            "factor": float(w.retry.factor),
            "max_delay": dur(w.retry.max_delay),
        },
        "pacing": pacing_to_json(w.pacing),
        "max_in_flight": w.max_in_flight,
    })
}

/// Scrubs `secrets` out of `s` (each replaced by [`TOKEN_MARKER`]).
fn scrub<'a>(s: &'a str, secrets: &[String]) -> std::borrow::Cow<'a, str> {
    let mut out = std::borrow::Cow::Borrowed(s);
    for secret in secrets {
        if out.contains(secret.as_str()) {
            out = std::borrow::Cow::Owned(out.replace(secret.as_str(), TOKEN_MARKER));
        }
    }
    out
}

/// An input as JSON, its token replaced by [`TOKEN_MARKER`] and its strings scrubbed of
/// `secrets`.
pub fn input_to_json(input: &Input, secrets: &[String]) -> Value {
    let s = |text: &str| Value::String(scrub(text, secrets).into_owned());
    let mut m = Map::new();
    m.insert("type".into(), json!(input.name()));
    match input {
        Input::Start(o) => {
            m.insert("token".into(), json!(TOKEN_MARKER));
            m.insert("batch_presence_aware".into(), json!(o.batch_presence_aware));
            m.insert("presence_sub".into(), json!(o.presence_sub));
        }
        Input::Disconnect | Input::Shutdown | Input::Tick => {}
        Input::Send { handle, outgoing } => {
            m.insert("handle".into(), json!(handle.0));
            m.insert("kind".into(), s(&outgoing.kind));
            let body = serde_json::to_string(&outgoing.body).unwrap_or_default();
            m.insert("body".into(), s(&body));
            let mode = match outgoing.mode {
                SendMode::Immediate => json!("immediate"),
                SendMode::Queued { await_reply } => json!({ "queued": await_reply }),
            };
            m.insert("mode".into(), mode);
        }
        Input::WebApiResult { conn, result } => {
            m.insert("conn".into(), json!(conn.0));
            match result {
                Ok(r) => {
                    m.insert("status".into(), json!(r.status));
                    m.insert(
                        "retry_after".into(),
                        r.retry_after.as_deref().map_or(Value::Null, s),
                    );
                    // Only when sent: recordings from before it read the same.
                    if let Some(l) = &r.location {
                        m.insert("location".into(), s(l));
                    }
                    m.insert("body".into(), s(&r.body));
                }
                Err(e) => {
                    m.insert("error".into(), s(e.message()));
                    kind(&mut m, e);
                }
            }
        }
        Input::WsOpened { conn }
        | Input::WsPing { conn }
        | Input::WsPong { conn }
        | Input::ReadPaused { conn }
        | Input::ReadResumed { conn } => {
            m.insert("conn".into(), json!(conn.0));
        }
        Input::Ack {
            envelope_id,
            payload,
        } => {
            m.insert("envelope_id".into(), s(envelope_id));
            m.insert("payload".into(), payload.as_deref().map_or(Value::Null, s));
        }
        Input::WsText { conn, text } => {
            m.insert("conn".into(), json!(conn.0));
            m.insert("text".into(), s(text));
        }
        Input::WsBinary { conn, len } => {
            m.insert("conn".into(), json!(conn.0));
            m.insert("len".into(), json!(len));
        }
        Input::WsClosed { conn, code, reason } => {
            m.insert("conn".into(), json!(conn.0));
            m.insert("code".into(), json!(code));
            m.insert("reason".into(), s(reason));
        }
        Input::WsRefused { conn, reason } => {
            m.insert("conn".into(), json!(conn.0));
            m.insert("reason".into(), s(reason));
        }
        Input::TransportFatal { conn, error } => {
            m.insert("conn".into(), json!(conn.0));
            m.insert("reason".into(), s(error.message()));
            kind(&mut m, error);
        }
        Input::WsError { conn, error } => {
            m.insert("conn".into(), json!(conn.0));
            m.insert("message".into(), s(error.message()));
            kind(&mut m, error);
        }
        Input::ApiCall { call, request } => {
            m.insert("call".into(), json!(call.0));
            m.insert("method".into(), s(request.method()));
            m.insert("token".into(), json!(TOKEN_MARKER));
            let form: Vec<Value> = request
                .form()
                .iter()
                .map(|(k, v)| Value::Array(vec![s(k), s(v)]))
                .collect();
            m.insert("form".into(), Value::Array(form));
            m.insert("key".into(), request.pacing_key().map_or(Value::Null, s));
        }
        Input::ApiResult { call, result } => {
            m.insert("call".into(), json!(call.0));
            match result {
                Ok(r) => {
                    m.insert("status".into(), json!(r.status));
                    m.insert(
                        "retry_after".into(),
                        r.retry_after.as_deref().map_or(Value::Null, s),
                    );
                    if let Some(l) = &r.location {
                        m.insert("location".into(), s(l));
                    }
                    m.insert("body".into(), s(&r.body));
                }
                Err(f) => {
                    m.insert("error".into(), s(f.message()));
                    m.insert("fatal".into(), json!(f.is_fatal()));
                    kind(&mut m, f);
                }
            }
        }
    }
    Value::Object(m)
}

/// A transport failure's kind, when it is not `Other` (recordings from before kinds read the
/// same).
fn kind(m: &mut Map<String, Value>, e: &TransportError) {
    if e.kind() != TransportErrorKind::Other {
        m.insert("kind".into(), json!(e.kind().as_str()));
    }
}

// ---------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------

type Field<T> = Result<T, String>;

fn get<'a>(v: &'a Value, key: &str) -> Field<&'a Value> {
    v.get(key).ok_or_else(|| format!("missing field `{key}`"))
}

fn u64_of(v: &Value, key: &str) -> Field<u64> {
    get(v, key)?
        .as_u64()
        .ok_or_else(|| format!("`{key}` is not an unsigned integer"))
}

fn bool_of(v: &Value, key: &str) -> Field<bool> {
    get(v, key)?
        .as_bool()
        .ok_or_else(|| format!("`{key}` is not a boolean"))
}

fn str_of<'a>(v: &'a Value, key: &str) -> Field<&'a str> {
    get(v, key)?
        .as_str()
        .ok_or_else(|| format!("`{key}` is not a string"))
}

fn opt_str(v: &Value, key: &str) -> Field<Option<String>> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(format!("`{key}` is not a string")),
    }
}

/// A transport failure with its recorded kind (the cause is not recorded).
fn failure(v: &Value, message: String) -> Field<TransportError> {
    let kind = opt_str(v, "kind")?.map_or(TransportErrorKind::Other, |k| {
        TransportErrorKind::from_name(&k)
    });
    Ok(TransportError::new(kind, message))
}

fn opt_bool(v: &Value, key: &str) -> Field<Option<bool>> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(format!("`{key}` is not a boolean")),
    }
}

fn dur_value(v: &Value, key: &str) -> Field<Duration> {
    let bad = || format!("`{key}` is not a [seconds, nanoseconds] pair");
    let pair = v.as_array().filter(|a| a.len() == 2).ok_or_else(bad)?;
    let secs = pair[0].as_u64().ok_or_else(bad)?;
    let nanos = pair[1]
        .as_u64()
        .and_then(|n| u32::try_from(n).ok())
        .filter(|n| *n < 1_000_000_000)
        .ok_or_else(bad)?;
    Ok(Duration::new(secs, nanos))
}

fn dur_of(v: &Value, key: &str) -> Field<Duration> {
    dur_value(get(v, key)?, key)
}

fn opt_dur_of(v: &Value, key: &str) -> Field<Option<Duration>> {
    match get(v, key)? {
        Value::Null => Ok(None),
        d => dur_value(d, key).map(Some),
    }
}

fn float_of(v: &Value, key: &str) -> Field<f64> {
    str_of(v, key)?
        .parse()
        .map_err(|_| format!("`{key}` is not a number"))
}

fn limit_of(v: &Value, key: &str) -> Field<RetryLimit> {
    let l = get(v, key)?;
    if l.as_str() == Some("forever") {
        return Ok(RetryLimit::Forever);
    }
    if let Some(n) = l.get("attempts") {
        let n = n
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| format!("`{key}.attempts` is not a u32"))?;
        return Ok(RetryLimit::Attempts(n));
    }
    if l.get("elapsed").is_some() {
        return Ok(RetryLimit::Elapsed(dur_of(l, "elapsed")?));
    }
    Err(format!("`{key}` is not a retry limit"))
}

fn usize_of(v: &Value, key: &str) -> Field<usize> {
    usize::try_from(u64_of(v, key)?).map_err(|_| format!("`{key}` is too large"))
}

fn pacing_of(v: &Value, key: &str) -> Field<Option<Pacing>> {
    Ok(match get(v, key)? {
        Value::Null => None,
        p => Some(Pacing {
            per_second: float_of(p, "per_second")?,
            burst: u32::try_from(u64_of(p, "burst")?).map_err(|_| "`burst` is too large")?,
        }),
    })
}

fn u32_of(v: &Value, key: &str) -> Field<u32> {
    u32::try_from(u64_of(v, key)?).map_err(|_| format!("`{key}` is too large"))
}

/// The Web API's configuration in a header; a header without one (written before the Web
/// API was in the core) has the default.
pub fn web_api_from_json(v: Option<&Value>) -> Result<WebApiConfig, String> {
    let Some(w) = v else {
        return Ok(WebApiConfig::default());
    };
    let retry = get(w, "retry")?;
    Ok(WebApiConfig {
        timeout: dur_of(w, "timeout")?,
        max_retries: u32_of(w, "max_retries")?,
        rate_limit_retries: u32_of(w, "rate_limit_retries")?,
        retry: Backoff {
            initial_delay: dur_of(retry, "initial_delay")?,
            factor: float_of(retry, "factor")?,
            max_delay: dur_of(retry, "max_delay")?,
        },
        pacing: pacing_of(w, "pacing")?,
        max_in_flight: usize_of(w, "max_in_flight")?,
    })
}

/// The configuration a header holds.
pub fn config_from_json(v: &Value) -> Result<Config, String> {
    let retry = get(v, "retry")?;
    let pacing = pacing_of(v, "pacing")?;
    let max_message_chars = match get(v, "max_message_chars")? {
        Value::Null => None,
        _ => Some(usize_of(v, "max_message_chars")?),
    };
    Ok(Config {
        auto_reconnect: bool_of(v, "auto_reconnect")?,
        use_rtm_connect: bool_of(v, "use_rtm_connect")?,
        client_ping_timeout: dur_of(v, "client_ping_timeout")?,
        server_pong_timeout: dur_of(v, "server_pong_timeout")?,
        reply_ack_on_reconnect_timeout: dur_of(v, "reply_ack_on_reconnect_timeout")?,
        reply_timeout: opt_dur_of(v, "reply_timeout")?,
        send_timeout: opt_dur_of(v, "send_timeout")?,
        web_call_timeout: dur_of(v, "web_call_timeout")?,
        hello_timeout: dur_of(v, "hello_timeout")?,
        close_timeout: dur_of(v, "close_timeout")?,
        retry: RetryPolicy {
            first_start: limit_of(retry, "first_start")?,
            reconnect: limit_of(retry, "reconnect")?,
            initial_delay: dur_of(retry, "initial_delay")?,
            factor: float_of(retry, "factor")?,
            max_delay: dur_of(retry, "max_delay")?,
        },
        pacing,
        queue_limit: usize_of(v, "queue_limit")?,
        max_frame_bytes: usize_of(v, "max_frame_bytes")?,
        max_message_chars,
        emit_outgoing: bool_of(v, "emit_outgoing")?,
        seed: u64_of(v, "seed")?,
        web_api: web_api_from_json(v.get("web_api")).map_err(|e| format!("web_api: {e}"))?,
    })
}

/// The input a step's JSON holds (the token is the [`TOKEN_MARKER`]).
pub fn input_from_json(v: &Value) -> Result<Input, String> {
    let conn = || u64_of(v, "conn").map(ConnId);
    let string = |key: &str| str_of(v, key).map(str::to_owned);
    Ok(match str_of(v, "type")? {
        "start" => Input::Start(StartOptions {
            token: Token::new(str_of(v, "token")?),
            batch_presence_aware: opt_bool(v, "batch_presence_aware")?,
            presence_sub: opt_bool(v, "presence_sub")?,
        }),
        "disconnect" => Input::Disconnect,
        "shutdown" => Input::Shutdown,
        "tick" => Input::Tick,
        "send" => {
            let mode = match get(v, "mode")? {
                Value::String(s) if s == "immediate" => SendMode::Immediate,
                m => SendMode::Queued {
                    await_reply: m
                        .get("queued")
                        .and_then(Value::as_bool)
                        .ok_or("`mode` is not a send mode")?,
                },
            };
            let body = serde_json::from_str(str_of(v, "body")?)
                .map_err(|e| format!("`body` is not JSON: {e}"))?;
            Input::Send {
                handle: SendHandle(u64_of(v, "handle")?),
                outgoing: Outgoing {
                    kind: string("kind")?,
                    body,
                    mode,
                },
            }
        }
        "web_api_result" => {
            let result = match v.get("error") {
                Some(_) => Err(failure(v, string("error")?)?),
                None => Ok(WebResponse {
                    status: u16::try_from(u64_of(v, "status")?).map_err(|_| "`status` > u16")?,
                    retry_after: opt_str(v, "retry_after")?,
                    location: opt_str(v, "location")?,
                    body: string("body")?,
                }),
            };
            Input::WebApiResult {
                conn: conn()?,
                result,
            }
        }
        "ws_opened" => Input::WsOpened { conn: conn()? },
        "ws_ping" => Input::WsPing { conn: conn()? },
        "ws_pong" => Input::WsPong { conn: conn()? },
        "ack" => Input::Ack {
            envelope_id: string("envelope_id")?,
            payload: opt_str(v, "payload")?,
        },
        "read_paused" => Input::ReadPaused { conn: conn()? },
        "read_resumed" => Input::ReadResumed { conn: conn()? },
        "ws_text" => Input::WsText {
            conn: conn()?,
            text: string("text")?,
        },
        "ws_binary" => Input::WsBinary {
            conn: conn()?,
            len: usize_of(v, "len")?,
        },
        "ws_closed" => Input::WsClosed {
            conn: conn()?,
            code: u16::try_from(u64_of(v, "code")?).map_err(|_| "`code` > u16")?,
            reason: string("reason")?,
        },
        "ws_refused" => Input::WsRefused {
            conn: conn()?,
            reason: string("reason")?,
        },
        "transport_fatal" => Input::TransportFatal {
            conn: conn()?,
            error: failure(v, string("reason")?)?.with_fatal(true),
        },
        "ws_error" => Input::WsError {
            conn: conn()?,
            error: failure(v, string("message")?)?,
        },
        "api_call" => {
            let form = get(v, "form")?
                .as_array()
                .ok_or("`form` is not an array")?
                .iter()
                .map(|pair| match pair.as_array().map(Vec::as_slice) {
                    Some([Value::String(k), Value::String(v)]) => Ok((k.clone(), v.clone())),
                    _ => Err("`form` holds a pair that is not two strings".to_owned()),
                })
                .collect::<Result<Vec<_>, _>>()?;
            let mut request =
                ApiRequest::new(string("method")?, Token::new(str_of(v, "token")?)).params(form);
            if let Some(key) = opt_str(v, "key")? {
                request = request.paced_by(key);
            }
            Input::ApiCall {
                call: CallId(u64_of(v, "call")?),
                request,
            }
        }
        "api_result" => {
            let result = match v.get("error") {
                Some(_) => Err(failure(v, string("error")?)?.with_fatal(bool_of(v, "fatal")?)),
                None => Ok(WebResponse {
                    status: u16::try_from(u64_of(v, "status")?).map_err(|_| "`status` > u16")?,
                    retry_after: opt_str(v, "retry_after")?,
                    location: opt_str(v, "location")?,
                    body: string("body")?,
                }),
            };
            Input::ApiResult {
                call: CallId(u64_of(v, "call")?),
                result,
            }
        }
        other => return Err(format!("unknown input type `{other}`")),
    })
}

// ---------------------------------------------------------------------------------------
// Recording
// ---------------------------------------------------------------------------------------

/// Writes a recording's lines into byte buffers (sans-IO: the caller owns the writer).
///
/// Per input: [`begin`](Recorder::begin) before the core handles it, [`end`](Recorder::end)
/// with the actions it returned.
#[derive(Debug)]
pub struct Recorder {
    secrets: Vec<String>,
    origin: Option<Instant>,
    steps: u64,
}

impl Recorder {
    /// A recorder that keeps `secrets` (the token, proxy credentials) out of the file.
    /// Empty strings are ignored.
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Self {
        Recorder {
            secrets: secrets.into_iter().filter(|s| !s.is_empty()).collect(),
            origin: None,
            steps: 0,
        }
    }

    /// Adds a secret to keep out of the file.
    pub fn add_secret(&mut self, secret: impl Into<String>) {
        let secret = secret.into();
        if !secret.is_empty() && !self.secrets.contains(&secret) {
            self.secrets.push(secret);
        }
    }

    /// Inputs recorded so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Appends the header line for a core built from `config`.
    pub fn header(&self, config: &Config, out: &mut Vec<u8>) {
        let header = json!({
            "rtm_recording": FORMAT_VERSION,
            "library": LIBRARY,
            "core": CORE,
            "seed": config.seed,
            "config": config_to_json(config),
        });
        let _ = serde_json::to_writer(&mut *out, &header);
        out.push(b'\n');
    }

    /// Appends the start of the line of `input`, fed at `now`. The token of `Start`
    /// becomes a secret from now on.
    pub fn begin(&mut self, now: Instant, input: &Input, out: &mut Vec<u8>) {
        match input {
            Input::Start(o) => self.add_secret(o.token.expose()),
            Input::ApiCall { request, .. } => self.add_secret(request.token().expose()),
            _ => {}
        }
        let origin = *self.origin.get_or_insert(now);
        let t = u64::try_from(now.saturating_duration_since(origin).as_nanos()).unwrap_or(u64::MAX);
        self.steps += 1;
        let _ = write!(
            VecWriter(out),
            "{{\"n\":{},\"t\":{t},\"input\":",
            self.steps
        );
        match input {
            // The hot path of a flood: no intermediate `Value`.
            Input::WsText { conn, text } => {
                let _ = write!(
                    VecWriter(out),
                    "{{\"type\":\"ws_text\",\"conn\":{},\"text\":",
                    conn.0
                );
                let _ = serde_json::to_writer(&mut *out, scrub(text, &self.secrets).as_ref());
                out.push(b'}');
            }
            Input::Tick => out.extend_from_slice(br#"{"type":"tick"}"#),
            input => {
                let _ = serde_json::to_writer(&mut *out, &input_to_json(input, &self.secrets));
            }
        }
    }

    /// Ends the line begun by [`begin`](Recorder::begin) with the digest of `actions`.
    pub fn end(&mut self, actions: &[Action], out: &mut Vec<u8>) {
        let _ = write!(
            VecWriter(out),
            ",\"digest\":\"{:016x}\",\"actions\":[",
            digest(actions)
        );
        for (i, action) in actions.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            match action {
                Action::Emit(Event::Slack(_)) => out.extend_from_slice(b"\"emit:slack\""),
                Action::SendText { .. } => out.extend_from_slice(b"\"send_text\""),
                a => {
                    let _ = serde_json::to_writer(&mut *out, &action_name(a));
                }
            }
        }
        out.extend_from_slice(b"]}\n");
    }
}

struct VecWriter<'a>(&'a mut Vec<u8>);

impl fmt::Write for VecWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Replay
// ---------------------------------------------------------------------------------------

/// Why a recording cannot be replayed. Lines count from 1 (the header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplayError {
    /// The file could not be read.
    Io {
        /// The line being read.
        line: u64,
        /// The reader's error.
        message: String,
    },
    /// The file has no header line.
    Empty,
    /// The last line is cut off (no newline at its end): the recording was interrupted.
    Truncated {
        /// The cut line.
        line: u64,
    },
    /// A line is not JSON.
    NotJson {
        /// The line.
        line: u64,
        /// The parser's message.
        message: String,
    },
    /// The header is not a recording's, or from a format version this library cannot read.
    UnknownVersion {
        /// The line (1).
        line: u64,
        /// The version found, if any.
        found: Option<u64>,
    },
    /// A line is JSON but not what a recording holds there.
    Malformed {
        /// The line.
        line: u64,
        /// What is wrong.
        reason: String,
    },
    /// The header's configuration is refused by the core.
    Config(ConfigError),
}

impl fmt::Display for ReplayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplayError::Io { line, message } => write!(f, "line {line}: cannot read: {message}"),
            ReplayError::Empty => f.write_str("line 1: empty file, no recording header"),
            ReplayError::Truncated { line } => {
                write!(
                    f,
                    "line {line}: truncated (the recording was cut off mid-line)"
                )
            }
            ReplayError::NotJson { line, message } => write!(f, "line {line}: not JSON: {message}"),
            ReplayError::UnknownVersion {
                line,
                found: Some(v),
            } => write!(
                f,
                "line {line}: unknown recording version {v} (this library reads version {FORMAT_VERSION})"
            ),
            ReplayError::UnknownVersion { line, found: None } => {
                write!(
                    f,
                    "line {line}: not a recording header (no `rtm_recording` version)"
                )
            }
            ReplayError::Malformed { line, reason } => write!(f, "line {line}: {reason}"),
            ReplayError::Config(e) => write!(f, "line 1: the recorded configuration: {e}"),
        }
    }
}

impl std::error::Error for ReplayError {}

/// The first step whose actions differ from the recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Divergence {
    /// The input's number (1 for the first input; the file line is one more).
    pub input_number: u64,
    /// Its time since the first input.
    pub offset: Duration,
    /// The input, as recorded (JSON).
    pub input: String,
    /// The recorded digest.
    pub recorded_digest: u64,
    /// The recorded action names.
    pub recorded_actions: Vec<String>,
    /// The digest of the replayed actions.
    pub replayed_digest: u64,
    /// The replayed actions (`Debug`, tokens redacted).
    pub replayed_actions: Vec<String>,
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "divergence at input {} (t = {:?}): {}",
            self.input_number, self.offset, self.input
        )?;
        writeln!(
            f,
            "  recorded: digest {:016x}, actions {:?}",
            self.recorded_digest, self.recorded_actions
        )?;
        writeln!(
            f,
            "  replayed: digest {:016x}, actions:",
            self.replayed_digest
        )?;
        for a in &self.replayed_actions {
            writeln!(f, "    {a}")?;
        }
        Ok(())
    }
}

/// What a replay found.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The header's `library`.
    pub library: String,
    /// The recorded configuration.
    pub config: Config,
    /// Inputs replayed (up to and including a divergence).
    pub steps: u64,
    /// The first divergence, if any (the replay stops there).
    pub divergence: Option<Divergence>,
    /// A readable account of the session, when asked for ([`ReplayOptions::timeline`]).
    pub timeline: Vec<String>,
}

impl Report {
    /// Whether every step matched.
    pub fn matches(&self) -> bool {
        self.divergence.is_none()
    }
}

/// How to replay.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReplayOptions {
    /// Build [`Report::timeline`]: state changes, sends and how each settled, reconnects and
    /// their reasons, lifecycle events.
    pub timeline: bool,
}

fn line_error(line: u64, e: serde_json::Error) -> ReplayError {
    ReplayError::NotJson {
        line,
        message: e.to_string(),
    }
}

/// Replays a recording with the default options.
pub fn replay(reader: impl BufRead) -> Result<Report, ReplayError> {
    replay_with(reader, ReplayOptions::default())
}

/// Feeds a recording through a fresh [`Client`] on virtual time (an `Instant` origin plus
/// each input's offset), checking each step's actions against the recorded digest; stops at
/// the first divergence. Errors are for a file that cannot be read as a recording.
pub fn replay_with(
    mut reader: impl BufRead,
    options: ReplayOptions,
) -> Result<Report, ReplayError> {
    let mut buf = String::new();
    let mut line_no = 0u64;
    // Reads one line; `None` at the end. A line without its newline is a cut-off recording.
    let mut next_line = |buf: &mut String, line_no: &mut u64| -> Result<bool, ReplayError> {
        buf.clear();
        *line_no += 1;
        let n = reader.read_line(buf).map_err(|e| ReplayError::Io {
            line: *line_no,
            message: e.to_string(),
        })?;
        if n == 0 {
            return Ok(false);
        }
        if !buf.ends_with('\n') {
            return Err(ReplayError::Truncated { line: *line_no });
        }
        Ok(true)
    };

    if !next_line(&mut buf, &mut line_no)? {
        return Err(ReplayError::Empty);
    }
    let header: Value = serde_json::from_str(&buf).map_err(|e| line_error(1, e))?;
    match header.get("rtm_recording").map(Value::as_u64) {
        Some(Some(FORMAT_VERSION)) => {}
        Some(found) => return Err(ReplayError::UnknownVersion { line: 1, found }),
        None => {
            return Err(ReplayError::UnknownVersion {
                line: 1,
                found: None,
            });
        }
    }
    let malformed = |line, reason: String| ReplayError::Malformed { line, reason };
    match header.get("core").and_then(Value::as_str) {
        Some(CORE) => {}
        other => {
            return Err(malformed(
                1,
                format!("a recording of core {other:?}; this replay is for {CORE:?}"),
            ));
        }
    }
    let config = header
        .get("config")
        .ok_or_else(|| malformed(1, "missing field `config`".into()))
        .and_then(|c| config_from_json(c).map_err(|r| malformed(1, r)))?;
    let library = header
        .get("library")
        .and_then(Value::as_str)
        .unwrap_or("unknown")
        .to_owned();
    let mut client = Client::new(config.clone()).map_err(ReplayError::Config)?;

    let origin = Instant::now();
    let mut actions = Vec::new();
    let mut timeline = Timeline::new(options.timeline);
    let mut steps = 0u64;
    let mut last_t = 0u64;
    while next_line(&mut buf, &mut line_no)? {
        let line = line_no;
        let step: Value = serde_json::from_str(&buf).map_err(|e| line_error(line, e))?;
        let n = step
            .get("n")
            .and_then(Value::as_u64)
            .ok_or_else(|| malformed(line, "missing or bad `n`".into()))?;
        if n != steps + 1 {
            return Err(malformed(
                line,
                format!("input {n} where {} was due", steps + 1),
            ));
        }
        let t = step
            .get("t")
            .and_then(Value::as_u64)
            .ok_or_else(|| malformed(line, "missing or bad `t`".into()))?;
        if t < last_t {
            return Err(malformed(
                line,
                format!("time goes back ({t} ns after {last_t} ns)"),
            ));
        }
        last_t = t;
        let recorded_digest = step
            .get("digest")
            .and_then(Value::as_str)
            .and_then(|d| u64::from_str_radix(d, 16).ok())
            .ok_or_else(|| malformed(line, "missing or bad `digest`".into()))?;
        let input_json = step
            .get("input")
            .ok_or_else(|| malformed(line, "missing field `input`".into()))?;
        let input =
            input_from_json(input_json).map_err(|r| malformed(line, format!("input: {r}")))?;
        steps = n;
        let offset = Duration::from_nanos(t);
        let now = origin + offset;
        let input_name = input.name();
        let state_before = client.state();
        if options.timeline {
            timeline.input(n, offset, &input);
        }
        actions.clear();
        client.handle_input_into(now, input, &mut actions);
        let replayed_digest = digest(&actions);
        if options.timeline {
            timeline.actions(
                n,
                offset,
                input_name,
                state_before,
                client.state(),
                &actions,
            );
        }
        if replayed_digest != recorded_digest {
            let recorded_actions = step
                .get("actions")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .map(|x| x.as_str().unwrap_or("?").to_owned())
                        .collect()
                })
                .unwrap_or_default();
            return Ok(Report {
                library,
                config,
                steps,
                divergence: Some(Divergence {
                    input_number: n,
                    offset,
                    input: input_json.to_string(),
                    recorded_digest,
                    recorded_actions,
                    replayed_digest,
                    replayed_actions: actions.iter().map(|a| format!("{a:?}")).collect(),
                }),
                timeline: timeline.lines,
            });
        }
    }
    Ok(Report {
        library,
        config,
        steps,
        divergence: None,
        timeline: timeline.lines,
    })
}

/// Replays the recording at `path` and panics, with the divergence or the error, unless every
/// step matches: the body of a test made of a recording (see [`replay_test!`](crate::replay_test)).
#[allow(clippy::panic)]
pub fn assert_replays(path: impl AsRef<std::path::Path>) -> Report {
    let path = path.as_ref();
    let file = std::fs::File::open(path)
        .unwrap_or_else(|e| panic!("cannot open recording {}: {e}", path.display()));
    match replay(std::io::BufReader::new(file)) {
        Ok(report) => {
            if let Some(d) = &report.divergence {
                panic!("recording {} does not replay:\n{d}", path.display());
            }
            report
        }
        Err(e) => panic!("recording {}: {e}", path.display()),
    }
}

/// A test that replays a recording: `replay_test!(name, "path/relative/to/the/crate.jsonl");`
/// (`rtm-proto`'s feature `recording`).
#[macro_export]
macro_rules! replay_test {
    ($name:ident, $path:expr) => {
        #[test]
        fn $name() {
            let report = $crate::recording::assert_replays(
                ::std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join($path),
            );
            assert!(report.steps > 0, "an empty recording replays nothing");
        }
    };
}

/// Builds the readable account of a replay.
struct Timeline {
    on: bool,
    lines: Vec<String>,
    /// Send handle → what was sent (kind).
    sends: std::collections::BTreeMap<u64, String>,
}

fn ms(d: Duration) -> String {
    format!("{:>10.3} ms", d.as_secs_f64() * 1e3)
}

impl Timeline {
    fn new(on: bool) -> Self {
        Timeline {
            on,
            lines: Vec::new(),
            sends: Default::default(),
        }
    }

    fn input(&mut self, n: u64, t: Duration, input: &Input) {
        let line = match input {
            Input::Start(_) => "start()".to_owned(),
            Input::Disconnect => "disconnect()".to_owned(),
            Input::Shutdown => "shutdown (every handle dropped)".to_owned(),
            Input::Send { handle, outgoing } => {
                self.sends.insert(handle.0, outgoing.kind.clone());
                format!("send #{} {} {}", handle.0, outgoing.kind, outgoing.body)
            }
            Input::WebApiResult { result: Ok(r), .. } => {
                let retry = r
                    .retry_after
                    .as_deref()
                    .map(|s| format!(", Retry-After {s}"))
                    .unwrap_or_default();
                format!("web call answered: HTTP {}{retry}", r.status)
            }
            Input::WebApiResult { result: Err(e), .. } => format!("web call failed: {e}"),
            Input::WsClosed { code, reason, .. } => format!("socket closed: {code} {reason}"),
            Input::WsError { error, .. } => format!("socket error: {error}"),
            Input::WsRefused { reason, .. } => format!("socket URL refused: {reason}"),
            Input::TransportFatal { error, .. } => format!("fatal transport error: {error}"),
            Input::ReadPaused { .. } => "reading paused (a subscriber is behind)".to_owned(),
            Input::ReadResumed { .. } => "reading resumed".to_owned(),
            Input::ApiCall { call, request } => format!("{call}: {}", request.method()),
            Input::ApiResult {
                call,
                result: Ok(r),
            } => format!("{call} answered: HTTP {}", r.status),
            Input::ApiResult {
                call,
                result: Err(f),
            } => format!("{call} failed: {f}"),
            // Frames, ticks and opens show through what they cause.
            Input::Ack { envelope_id, .. } => format!("ack of envelope {envelope_id}"),
            Input::WsText { .. }
            | Input::WsBinary { .. }
            | Input::WsOpened { .. }
            | Input::WsPing { .. }
            | Input::WsPong { .. }
            | Input::Tick => {
                return;
            }
        };
        self.lines.push(format!("{} #{n:<6} {line}", ms(t)));
    }

    fn actions(
        &mut self,
        n: u64,
        t: Duration,
        input: &str,
        before: crate::state::State,
        after: crate::state::State,
        actions: &[Action],
    ) {
        if !self.on {
            return;
        }
        let mut push = |s: String| self.lines.push(format!("{} #{n:<6}   {s}", ms(t)));
        if before != after {
            push(format!("state {before:?} -> {after:?} (on {input})"));
        }
        for action in actions {
            match action {
                Action::Emit(Event::Reconnecting {
                    attempt,
                    delay,
                    reason,
                }) => push(format!(
                    "reconnecting: attempt {attempt} in {delay:?}, because {reason} ({})",
                    reason.code()
                )),
                Action::Emit(Event::Disconnected { error: Some(e) }) => {
                    push(format!("disconnected: {e}"))
                }
                Action::Emit(Event::UnableToRtmStart(e)) => push(format!("unable to start: {e}")),
                Action::Emit(Event::Error(e)) => push(format!("error: {e}")),
                Action::Emit(Event::Slack(_)) | Action::Emit(Event::OutgoingMessage { .. }) => {}
                Action::Emit(e) => push(format!("event {}", e.name())),
                Action::Settle { handle, result } => {
                    let kind = self.sends.remove(&handle.0).unwrap_or_default();
                    match result {
                        Ok(crate::reply::Sent::Replied(r)) => push(format!(
                            "send #{} {kind} acked: id {}, ts {}",
                            handle.0,
                            r.id,
                            r.ts.as_deref().unwrap_or("-")
                        )),
                        Ok(crate::reply::Sent::Written { id }) => {
                            push(format!("send #{} {kind} written: id {id}", handle.0))
                        }
                        Err(e) => push(format!("send #{} {kind} failed: {e}", handle.0)),
                    }
                }
                Action::StartSettled(Ok(info)) => push(format!(
                    "start() settled: ready as {} on {}",
                    info.self_name, info.team_name
                )),
                Action::StartSettled(Err(e)) => push(format!("start() failed: {e}")),
                Action::DisconnectSettled => push("disconnect() settled".to_owned()),
                Action::CallWebApi { method, .. } => push(format!("web call {}", method.as_str())),
                Action::OpenWebSocket { conn, .. } => push(format!("open socket {conn}")),
                Action::CloseWebSocket { conn, code } => {
                    push(format!("close socket {conn} ({code})"))
                }
                Action::DropWebSocket { conn } => push(format!("drop socket {conn}")),
                Action::SocketMode(e) => push(format!("socket mode event {e:?}")),
                Action::CallApi { call, method, .. } => push(format!("{call}: POST {method}")),
                Action::ApiSettled {
                    call,
                    result: Ok(_),
                } => push(format!("{call} settled: ok")),
                Action::ApiSettled {
                    call,
                    result: Err(e),
                } => push(format!("{call} failed: {e}")),
                Action::SendText { .. } | Action::SendPing { .. } | Action::Ignored { .. } => {}
            }
        }
    }
}
