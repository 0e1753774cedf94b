//! The HTTP front: web API (`/api/…`), WebSocket upgrades (`/websocket/<ticket>`) and the
//! admin interface (`/admin/…`), all on one hyper 1 server.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{CONNECTION, HeaderValue, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY, UPGRADE};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tungstenite::protocol::{Role, WebSocketConfig};

use super::shared::{Opening, Shared};
use super::{admin, conn};
use crate::model::HttpRequest;

/// Request bodies above this are refused (web calls and admin JSON are small).
const MAX_BODY: usize = 4 * 1024 * 1024;
/// Path prefix of socket URLs.
pub(crate) const WS_PATH: &str = "/websocket/";
/// Path of Socket Mode link URLs (the ticket is in the query, as Slack's are).
pub(crate) const LINK_PATH: &str = "/link/";

pub(crate) type Body = Full<Bytes>;

/// Everything a request handler needs.
#[derive(Debug)]
pub(crate) struct Ctx {
    pub(crate) shared: Arc<Shared>,
    pub(crate) ws_config: WebSocketConfig,
    pub(crate) cert_pem: Option<String>,
}

/// Serves HTTP/1.1 (with upgrades) on one accepted connection.
pub(crate) async fn serve<I>(io: I, ctx: Arc<Ctx>)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let svc = hyper::service::service_fn(move |req| {
        let ctx = ctx.clone();
        async move { Ok::<_, Infallible>(route(req, ctx).await) }
    });
    if let Err(e) = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(io), svc)
        .with_upgrades()
        .await
    {
        tracing::debug!(error = %e, "http connection ended");
    }
}

async fn route(req: Request<Incoming>, ctx: Arc<Ctx>) -> Response<Body> {
    let path = req.uri().path().to_string();
    if let Some(method) = path.strip_prefix("/api/") {
        let method = method.to_string();
        web_call(req, method, &ctx).await
    } else if let Some(ticket) = path.strip_prefix(WS_PATH) {
        let opening = Opening::Rtm(ticket.to_string());
        upgrade(req, &opening, &ctx)
    } else if path == LINK_PATH || path == "/link" {
        let opening = Opening::Link(req.uri().query().unwrap_or("").to_string());
        upgrade(req, &opening, &ctx)
    } else if let Some(rest) = path.strip_prefix("/admin/") {
        let rest = rest.to_string();
        admin::handle(req, &rest, &ctx).await
    } else {
        text(StatusCode::NOT_FOUND, "not found")
    }
}

pub(crate) fn text(status: StatusCode, body: &str) -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::from(body.to_string())));
    *r.status_mut() = status;
    r
}

pub(crate) fn json(status: StatusCode, body: &serde_json::Value) -> Response<Body> {
    let mut r = text(status, &body.to_string());
    r.headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    r
}

pub(crate) async fn read_body(req: Request<Incoming>) -> Result<Bytes, String> {
    read_body_or_status(req).await.map_err(|(_, e)| e)
}

/// The body, or the status that answers why not: 413 when it is over the limit, 400 else.
pub(crate) async fn read_body_or_status(
    req: Request<Incoming>,
) -> Result<Bytes, (StatusCode, String)> {
    Limited::new(req.into_body(), MAX_BODY)
        .collect()
        .await
        .map(|c| c.to_bytes())
        .map_err(|e| {
            let status = if e
                .downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                StatusCode::PAYLOAD_TOO_LARGE
            } else {
                StatusCode::BAD_REQUEST
            };
            (status, e.to_string())
        })
}

async fn web_call(req: Request<Incoming>, api_method: String, ctx: &Ctx) -> Response<Body> {
    let method = req.method().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let headers = req
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = match read_body(req).await {
        Ok(b) => b.to_vec(),
        Err(e) => return text(StatusCode::BAD_REQUEST, &e),
    };
    let request = HttpRequest {
        method,
        api_method,
        query,
        headers,
        body,
    };
    let answer = ctx.shared.with_model(|m, now| m.http_call(now, request));
    if !answer.delay.is_zero() {
        tokio::time::sleep(answer.delay).await;
    }
    let mut r = text(
        StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        &answer.body,
    );
    for (k, v) in &answer.headers {
        if let (Ok(k), Ok(v)) = (
            hyper::header::HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(v),
        ) {
            r.headers_mut().insert(k, v);
        }
    }
    r
}

fn upgrade(mut req: Request<Incoming>, opening: &Opening, ctx: &Arc<Ctx>) -> Response<Body> {
    let is_upgrade = req
        .headers()
        .get(UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    let Some(key) = req.headers().get(SEC_WEBSOCKET_KEY).cloned() else {
        return text(StatusCode::BAD_REQUEST, "expected a WebSocket upgrade");
    };
    if !is_upgrade {
        return text(StatusCode::BAD_REQUEST, "expected a WebSocket upgrade");
    }
    let (tx, rx) = mpsc::unbounded_channel();
    let conn = match ctx.shared.open(opening, tx) {
        Ok(conn) => conn,
        Err(reject) => {
            tracing::debug!(%reject, "upgrade refused");
            let status =
                StatusCode::from_u16(reject.http_status()).unwrap_or(StatusCode::NOT_FOUND);
            return json(
                status,
                &serde_json::json!({"ok": false, "error": reject.to_string()}),
            );
        }
    };
    let on_upgrade = hyper::upgrade::on(&mut req);
    let ctx2 = ctx.clone();
    tokio::spawn(async move {
        match on_upgrade.await {
            Ok(upgraded) => {
                let ws = WebSocketStream::from_raw_socket(
                    TokioIo::new(upgraded),
                    Role::Server,
                    Some(ctx2.ws_config),
                )
                .await;
                conn::run(ws, conn, rx, ctx2.shared.clone()).await;
            }
            Err(e) => {
                tracing::debug!(error = %e, %conn, "upgrade failed");
                ctx2.shared.gone(conn);
            }
        }
    });
    let mut r = Response::new(Full::new(Bytes::new()));
    *r.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let accept = tungstenite::handshake::derive_accept_key(key.as_bytes());
    let h = r.headers_mut();
    h.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
    h.insert(UPGRADE, HeaderValue::from_static("websocket"));
    if let Ok(v) = HeaderValue::from_str(&accept) {
        h.insert(SEC_WEBSOCKET_ACCEPT, v);
    }
    r
}
