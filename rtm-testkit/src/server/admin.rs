//! `/admin/…`: the control API as JSON over HTTP, for clients in any language.
//! Every endpoint is documented with a curl example in the crate's README.md.

use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

use super::http::{Body, Ctx, json, read_body_or_status, text};
use crate::model::{
    BlockAction, ChatConfig, Fault, ModelError, Script, ServerAction, SlackModel, SlashCommand,
    SocketModeConfig, Target, UserAction, WebFault, WireFrame,
};

#[derive(Deserialize)]
struct FaultReq {
    #[serde(flatten)]
    fault: Fault,
    #[serde(default)]
    target: Target,
}

#[derive(Deserialize)]
struct WebFaultReq {
    #[serde(flatten)]
    fault: WebFault,
    #[serde(default = "one")]
    times: u32,
    /// The API method aimed at (`"*"`: any); absent: the session-opening calls.
    #[serde(default)]
    method: Option<String>,
}

/// `chat.postMessage` settings: `rate_limit` an object (absent fields keep their value)
/// or `null` (off).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChatConfigReq {
    #[serde(default, deserialize_with = "present")]
    rate_limit: Option<Option<RateLimitReq>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RateLimitReq {
    burst: Option<u32>,
    interval_ms: Option<u64>,
}

impl ChatConfigReq {
    fn apply(self, c: &mut ChatConfig) {
        match self.rate_limit {
            None => {}
            Some(None) => c.rate_limit = None,
            Some(Some(r)) => {
                let mut limit = c.rate_limit.unwrap_or_default();
                if let Some(b) = r.burst {
                    limit.burst = b;
                }
                if let Some(ms) = r.interval_ms {
                    limit.interval = std::time::Duration::from_millis(ms);
                }
                c.rate_limit = Some(limit);
            }
        }
    }
}

/// Tells `"rate_limit": null` (off) from an absent field (unchanged).
fn present<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<RateLimitReq>>, D::Error> {
    Option::<RateLimitReq>::deserialize(d).map(Some)
}

fn one() -> u32 {
    1
}

#[derive(Deserialize)]
struct PushReq {
    #[serde(default)]
    target: Target,
    text: Option<String>,
    event: Option<Value>,
    binary: Option<Vec<u8>>,
}

#[derive(Deserialize)]
struct FloodReq {
    count: u64,
    #[serde(default)]
    target: Target,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EnvelopeReq {
    #[serde(rename = "type")]
    envelope_type: String,
    payload: Value,
    #[serde(default)]
    accepts_response_payload: bool,
    #[serde(default)]
    app_id: Option<String>,
}

/// Partial update of [`SocketModeConfig`]: absent fields keep their value.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SocketModeConfigReq {
    ack_timeout_ms: Option<u64>,
    max_retries: Option<u32>,
    connection_lifetime_ms: Option<u64>,
    debug_reconnects_lifetime_ms: Option<u64>,
    warning_lead_ms: Option<u64>,
    close_grace_ms: Option<u64>,
}

impl SocketModeConfigReq {
    fn apply(self, c: &mut SocketModeConfig) {
        let ms = std::time::Duration::from_millis;
        if let Some(v) = self.ack_timeout_ms {
            c.ack_timeout = ms(v);
        }
        if let Some(v) = self.max_retries {
            c.max_retries = v;
        }
        if let Some(v) = self.connection_lifetime_ms {
            c.connection_lifetime = ms(v);
        }
        if let Some(v) = self.debug_reconnects_lifetime_ms {
            c.debug_reconnects_lifetime = ms(v);
        }
        if let Some(v) = self.warning_lead_ms {
            c.warning_lead = ms(v);
        }
        if let Some(v) = self.close_grace_ms {
            c.close_grace = ms(v);
        }
    }
}

/// Answers `{"ok":true,"envelope_id":…}` or 400 with the model's refusal.
fn envelope_answer(
    shared: &super::shared::Shared,
    f: impl FnOnce(
        &mut SlackModel,
        std::time::Instant,
    ) -> Result<(String, Vec<ServerAction>), ModelError>,
) -> Response<Body> {
    match shared.with_model(|m, now| match f(m, now) {
        Ok((id, actions)) => (Ok(id), actions),
        Err(e) => (Err(e), Vec::new()),
    }) {
        Ok(id) => ok(json!({"envelope_id": id})),
        Err(e) => bad(e),
    }
}

fn bad(msg: impl std::fmt::Display) -> Response<Body> {
    json(
        StatusCode::BAD_REQUEST,
        &json!({"ok": false, "error": msg.to_string()}),
    )
}

fn ok(extra: Value) -> Response<Body> {
    let mut body = json!({"ok": true});
    if let (Some(b), Value::Object(extra)) = (body.as_object_mut(), extra) {
        b.extend(extra);
    }
    json(StatusCode::OK, &body)
}

async fn body_of<T: for<'de> Deserialize<'de>>(
    req: Request<Incoming>,
) -> Result<T, Response<Body>> {
    let bytes = read_body_or_status(req)
        .await
        .map_err(|(status, e)| json(status, &json!({"ok": false, "error": e})))?;
    serde_json::from_slice(&bytes).map_err(bad)
}

/// Every endpoint, by method: a known path asked with another method is a 405, not a 404.
const ENDPOINTS: &[(&str, &str)] = &[
    ("GET", "record"),
    ("GET", "connections"),
    ("GET", "history"),
    ("GET", "socket_mode"),
    ("GET", "apps"),
    ("GET", "socket_mode/config"),
    ("GET", "posts"),
    ("GET", "chat/config"),
    ("POST", "chat/config"),
    ("POST", "socket_mode/config"),
    ("POST", "slash_command"),
    ("POST", "block_action"),
    ("POST", "envelope"),
    ("GET", "cert.pem"),
    ("POST", "fault"),
    ("POST", "web_fault"),
    ("POST", "push"),
    ("POST", "act"),
    ("POST", "script"),
    ("POST", "flood"),
    ("POST", "shutdown"),
];

/// A path that exists, asked with the wrong method, or one that does not exist.
fn no_such_endpoint(method: &Method, path: &str) -> Response<Body> {
    let allowed: Vec<&str> = ENDPOINTS
        .iter()
        .filter(|(_, p)| *p == path)
        .map(|(m, _)| *m)
        .collect();
    if allowed.is_empty() {
        return json(
            StatusCode::NOT_FOUND,
            &json!({"ok": false, "error": "unknown admin endpoint"}),
        );
    }
    let mut r = json(
        StatusCode::METHOD_NOT_ALLOWED,
        &json!({"ok": false, "error": format!("{method} is not allowed here; use {}", allowed.join(", "))}),
    );
    if let Ok(v) = hyper::header::HeaderValue::from_str(&allowed.join(", ")) {
        r.headers_mut().insert(hyper::header::ALLOW, v);
    }
    r
}

/// A fault, push or flood aimed at one connection needs that connection open.
fn unknown_target(m: &SlackModel, target: &Target) -> Option<Response<Body>> {
    match target {
        Target::Conn(c) if !m.open_connections().contains(c) => Some(json(
            StatusCode::NOT_FOUND,
            &json!({"ok": false, "error": format!("no open connection {}", c.0)}),
        )),
        _ => None,
    }
}

pub(crate) async fn handle(req: Request<Incoming>, path: &str, ctx: &Ctx) -> Response<Body> {
    let shared = &ctx.shared;
    match (req.method().clone(), path) {
        (Method::GET, "record") => {
            let v = shared.read(|m| m.record().to_json(shared.origin));
            json(StatusCode::OK, &v)
        }
        (Method::GET, "connections") => {
            let open = shared.read(|m| m.open_connections());
            ok(json!({"count": open.len(), "open": open}))
        }
        (Method::GET, "history") => {
            let channel = req
                .uri()
                .query()
                .map(crate::model::form::parse)
                .and_then(|q| q.into_iter().find(|(k, _)| k == "channel").map(|(_, v)| v))
                .unwrap_or_else(|| "C0GENERAL".into());
            let h: Vec<Value> = shared.read(|m| {
                m.history(&channel)
                    .iter()
                    .map(|e| {
                        let mut v = json!({"ts": e.ts, "user": e.user, "text": e.text});
                        if let Some(t) = &e.thread_ts {
                            v["thread_ts"] = t.as_str().into();
                        }
                        v
                    })
                    .collect()
            });
            ok(json!({"channel": channel, "messages": h}))
        }
        (Method::GET, "socket_mode") => {
            let v = shared.read(|m| m.socket_mode_record().to_json(shared.origin));
            ok(v)
        }
        (Method::GET, "apps") => {
            let apps: Vec<Value> = shared.read(|m| {
                m.workspace()
                    .apps
                    .iter()
                    .map(|a| {
                        json!({"app_id": a.id, "name": a.name, "token": a.token,
                               "bot_token": a.bot_token.clone().or_else(|| m.workspace().tokens.first().cloned()),
                               "open": m.live_app_connections(&a.id)})
                    })
                    .collect()
            });
            ok(json!({"apps": apps}))
        }
        (Method::GET, "posts") => {
            let posts: Vec<Value> =
                shared.read(|m| m.posts().iter().map(|p| p.to_json(shared.origin)).collect());
            ok(json!({"posts": posts}))
        }
        (Method::GET, "chat/config") => {
            let c = shared.read(|m| m.chat_config().clone());
            ok(json!({"config": c}))
        }
        (Method::POST, "chat/config") => match body_of::<ChatConfigReq>(req).await {
            Ok(patch) => {
                let c = shared.with_model(|m, _| {
                    let mut c = m.chat_config().clone();
                    patch.apply(&mut c);
                    m.set_chat_config(c.clone());
                    (c, Vec::new())
                });
                ok(json!({"config": c}))
            }
            Err(r) => r,
        },
        (Method::GET, "socket_mode/config") => {
            let c = shared.read(|m| m.socket_mode_config().clone());
            ok(json!({"config": c}))
        }
        (Method::POST, "socket_mode/config") => match body_of::<SocketModeConfigReq>(req).await {
            Ok(patch) => {
                let c = shared.with_model(|m, _| {
                    let mut c = m.socket_mode_config().clone();
                    patch.apply(&mut c);
                    m.set_socket_mode_config(c.clone());
                    (c, Vec::new())
                });
                ok(json!({"config": c}))
            }
            Err(r) => r,
        },
        (Method::POST, "slash_command") => match body_of::<SlashCommand>(req).await {
            Ok(c) => envelope_answer(shared, |m, now| m.post_slash_command(now, &c)),
            Err(r) => r,
        },
        (Method::POST, "block_action") => match body_of::<BlockAction>(req).await {
            Ok(a) => envelope_answer(shared, |m, now| m.post_block_action(now, &a)),
            Err(r) => r,
        },
        (Method::POST, "envelope") => match body_of::<EnvelopeReq>(req).await {
            Ok(e) => envelope_answer(shared, |m, now| {
                m.post_envelope(
                    now,
                    e.app_id.as_deref(),
                    &e.envelope_type,
                    &e.payload,
                    e.accepts_response_payload,
                )
            }),
            Err(r) => r,
        },
        (Method::GET, "cert.pem") => match &ctx.cert_pem {
            Some(pem) => text(StatusCode::OK, pem),
            None => bad("TLS is off"),
        },
        (Method::POST, "fault") => match body_of::<FaultReq>(req).await {
            Ok(f) => shared.with_model(|m, now| match unknown_target(m, &f.target) {
                Some(refused) => (refused, Vec::new()),
                None => (ok(json!({})), m.inject(now, f.target, f.fault)),
            }),
            Err(r) => r,
        },
        (Method::POST, "web_fault") => match body_of::<WebFaultReq>(req).await {
            Ok(f) => {
                shared.with_model(|m, _| {
                    match f.method {
                        Some(method) => m.arm_web_fault_for(&method, f.fault, f.times),
                        None => m.arm_web_fault(f.fault, f.times),
                    }
                    ((), Vec::new())
                });
                ok(json!({}))
            }
            Err(r) => r,
        },
        (Method::POST, "push") => match body_of::<PushReq>(req).await {
            Ok(p) => {
                let frame = match (p.text, p.event, p.binary) {
                    (Some(t), None, None) => WireFrame::Text(t),
                    (None, Some(e), None) => WireFrame::Text(e.to_string()),
                    (None, None, Some(b)) => WireFrame::Binary(b),
                    _ => return bad("give exactly one of text, event, binary"),
                };
                shared.with_model(|m, now| match unknown_target(m, &p.target) {
                    Some(refused) => (refused, Vec::new()),
                    None => (ok(json!({})), m.push(now, p.target, frame)),
                })
            }
            Err(r) => r,
        },
        (Method::POST, "act") => match body_of::<UserAction>(req).await {
            Ok(a) => match shared.with_model(|m, now| match m.act(now, a) {
                Ok(actions) => (Ok(()), actions),
                Err(e) => (Err(e), Vec::new()),
            }) {
                Ok(()) => ok(json!({})),
                Err(e) => bad(e),
            },
            Err(r) => r,
        },
        (Method::POST, "script") => match body_of::<Script>(req).await {
            Ok(s) => {
                shared.with_model(|m, now| (m.run_script(now, &s), Vec::new()));
                ok(json!({}))
            }
            Err(r) => r,
        },
        (Method::POST, "flood") => match body_of::<FloodReq>(req).await {
            Ok(f) => shared.with_model(|m, now| match unknown_target(m, &f.target) {
                Some(refused) => (refused, Vec::new()),
                None => {
                    let actions = m.inject(now, f.target, Fault::Flood { count: f.count });
                    (ok(json!({"connections": actions.len()})), actions)
                }
            }),
            Err(r) => r,
        },
        (Method::POST, "shutdown") => {
            shared.shutdown_requested.notify_one();
            ok(json!({}))
        }
        (method, path) => no_such_endpoint(&method, path),
    }
}
