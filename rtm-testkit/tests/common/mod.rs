//! Test clients that are not ours: raw HTTP/1.1 over TCP (or rustls) and raw tokio-tungstenite.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, tungstenite::Message};

pub const TOKEN: &str = "xoxb-test-token";
/// Bound on every wait in these tests.
pub const WAIT: Duration = Duration::from_secs(5);

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

#[derive(Debug)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// Splits `http://127.0.0.1:1234/api/` into (`127.0.0.1:1234`, `/api/`).
pub fn host_and_path(url: &str) -> (String, String) {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    (host.to_string(), format!("/{path}"))
}

/// Writes one HTTP/1.1 request (Connection: close) and reads the whole response.
pub async fn raw_http<S: AsyncRead + AsyncWrite + Unpin>(
    mut io: S,
    method: &str,
    host: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> HttpResponse {
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    io.write_all(req.as_bytes()).await.unwrap();
    io.flush().await.unwrap();
    let mut raw = Vec::new();
    // A TLS peer may end without close_notify; what was read is enough.
    let _ = tokio::time::timeout(WAIT, io.read_to_end(&mut raw))
        .await
        .expect("HTTP response in time");
    parse_response(&raw)
}

pub fn parse_response(raw: &[u8]) -> HttpResponse {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text.split_once("\r\n\r\n").expect("HTTP head");
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    HttpResponse {
        status,
        headers,
        body: body.to_string(),
    }
}

/// `POST {api_url}{method}` with a form body over plain TCP.
pub async fn post(
    api_url: &str,
    method: &str,
    headers: &[(&str, &str)],
    form: &str,
) -> HttpResponse {
    let (host, path) = host_and_path(api_url);
    let tcp = TcpStream::connect(&host).await.unwrap();
    let mut h = vec![("Content-Type", "application/x-www-form-urlencoded")];
    h.extend_from_slice(headers);
    raw_http(tcp, "POST", &host, &format!("{path}{method}"), &h, form).await
}

/// `GET`/`POST` on the admin interface with a JSON body.
pub async fn admin(admin_url: &str, method: &str, endpoint: &str, body: Option<Value>) -> Value {
    let (host, path) = host_and_path(admin_url);
    let tcp = TcpStream::connect(&host).await.unwrap();
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let r = raw_http(
        tcp,
        method,
        &host,
        &format!("{path}{endpoint}"),
        &[("Content-Type", "application/json")],
        &body,
    )
    .await;
    r.json()
}

/// Any admin call with a raw body, with its HTTP status.
pub async fn admin_status(
    admin_url: &str,
    method: &str,
    endpoint: &str,
    body: &str,
) -> (u16, Value) {
    let (host, path) = host_and_path(admin_url);
    let tcp = TcpStream::connect(&host).await.unwrap();
    let r = raw_http(
        tcp,
        method,
        &host,
        &format!("{path}{endpoint}"),
        &[("Content-Type", "application/json")],
        body,
    )
    .await;
    (r.status, r.json())
}

/// rtm.connect with the bearer token; returns the socket URL.
pub async fn rtm_connect(api_url: &str) -> String {
    let r = post(
        api_url,
        "rtm.connect",
        &[("Authorization", &format!("Bearer {TOKEN}"))],
        "",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["url"].as_str().expect("url").to_string()
}

/// rtm.connect + WebSocket connect; does not read `hello`.
pub async fn open(api_url: &str) -> Ws {
    let url = rtm_connect(api_url).await;
    let (ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("ws connect");
    ws
}

/// rtm.connect + WebSocket connect + `hello`.
pub async fn open_ready(api_url: &str) -> Ws {
    let mut ws = open(api_url).await;
    assert_eq!(
        next_json(&mut ws).await,
        serde_json::json!({"type": "hello"})
    );
    ws
}

/// The next frame, bounded by [`WAIT`].
pub async fn next_msg(
    ws: &mut Ws,
) -> Option<Result<Message, tokio_tungstenite::tungstenite::Error>> {
    tokio::time::timeout(WAIT, ws.next())
        .await
        .expect("a frame in time")
}

/// The next text frame as JSON.
pub async fn next_json(ws: &mut Ws) -> Value {
    loop {
        match next_msg(ws).await {
            Some(Ok(Message::Text(t))) => {
                return serde_json::from_str(&t).unwrap_or_else(|e| panic!("{e}: {t}"));
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            other => panic!("expected a text frame, got {other:?}"),
        }
    }
}

pub async fn send_json(ws: &mut Ws, v: Value) {
    ws.send(Message::text(v.to_string())).await.unwrap();
}

/// Reads until the close frame; returns its code (None when the connection just ended).
pub async fn close_code(ws: &mut Ws) -> Option<u16> {
    loop {
        match next_msg(ws).await {
            Some(Ok(Message::Close(f))) => return f.map(|f| u16::from(f.code)),
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => return None,
        }
    }
}

/// A rustls client config trusting only this certificate.
pub fn rustls_client(cert_der: &[u8]) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from(cert_der.to_vec()))
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Arc::new(
        rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}
