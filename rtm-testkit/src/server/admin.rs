//! `/admin/…`: the control API as JSON over HTTP, for clients in any language.
//! Every endpoint is documented with a curl example in the crate's README.md.

use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

use super::http::{Body, Ctx, json, read_body, text};
use crate::model::{Fault, Script, Target, UserAction, WebFault, WireFrame};

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
    let bytes = read_body(req).await.map_err(bad)?;
    serde_json::from_slice(&bytes).map_err(bad)
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
                    .map(|e| json!({"ts": e.ts, "user": e.user, "text": e.text}))
                    .collect()
            });
            ok(json!({"channel": channel, "messages": h}))
        }
        (Method::GET, "cert.pem") => match &ctx.cert_pem {
            Some(pem) => text(StatusCode::OK, pem),
            None => bad("TLS is off"),
        },
        (Method::POST, "fault") => match body_of::<FaultReq>(req).await {
            Ok(f) => {
                shared.with_model(|m, now| ((), m.inject(now, f.target, f.fault)));
                ok(json!({}))
            }
            Err(r) => r,
        },
        (Method::POST, "web_fault") => match body_of::<WebFaultReq>(req).await {
            Ok(f) => {
                shared.with_model(|m, _| (m.arm_web_fault(f.fault, f.times), Vec::new()));
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
                shared.with_model(|m, now| ((), m.push(now, p.target, frame)));
                ok(json!({}))
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
            Ok(f) => {
                let n = shared.with_model(|m, now| {
                    let actions = m.inject(now, f.target, Fault::Flood { count: f.count });
                    (actions.len(), actions)
                });
                ok(json!({"connections": n}))
            }
            Err(r) => r,
        },
        (Method::POST, "shutdown") => {
            shared.shutdown_requested.notify_one();
            ok(json!({}))
        }
        _ => json(
            StatusCode::NOT_FOUND,
            &json!({"ok": false, "error": "unknown admin endpoint"}),
        ),
    }
}
