//! A lean Slack for the benches: `rtm.connect` over hand-rolled HTTP, then a WebSocket that
//! says `hello` and acks each frame at once, with no model behind it. Shared by the
//! `throughput` and `sessions` benches (`#[path = "common/lean.rs"] mod lean;`).
#![allow(dead_code)] // each bench uses part of it

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures::{FutureExt, SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::{
    CloseFrame, WebSocketConfig, frame::coding::CloseCode,
};

#[derive(Debug, Clone, Copy, Default)]
pub struct LeanOptions {
    /// Answer `rtm.connect` with HTTP keep-alive (several requests per connection, so a
    /// client's pool can reuse it) instead of `Connection: close`.
    pub keep_alive: bool,
    /// Small WebSocket buffers (4 KiB read, no write buffer: each ack written at once), so an
    /// idle-memory figure is mostly the client's. Otherwise tungstenite's defaults, and acks
    /// are flushed only when no further frame is already readable (one write per batch).
    pub small_buffers: bool,
}

#[derive(Debug)]
pub struct Lean {
    pub api_url: String,
    /// The port of both listeners' host, for counting client connections.
    pub http_port: u16,
    pub ws_port: u16,
    close: tokio::sync::watch::Sender<u64>,
    /// TCP connections accepted on the HTTP listener and requests answered on them.
    pub http_connections: Arc<AtomicU64>,
    pub http_requests: Arc<AtomicU64>,
}

impl Lean {
    /// Closes every open WebSocket with 1001 "going away".
    pub fn close_all(&self) {
        self.close.send_modify(|g| *g += 1);
    }
}

/// Starts the server on its own thread and current-thread runtime.
pub fn start(options: LeanOptions) -> Lean {
    let http = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let ws = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let (http_addr, ws_addr) = (http.local_addr().unwrap(), ws.local_addr().unwrap());
    let (close, close_rx) = tokio::sync::watch::channel(0u64);
    let http_connections = Arc::new(AtomicU64::new(0));
    let http_requests = Arc::new(AtomicU64::new(0));
    let (connections, requests) = (http_connections.clone(), http_requests.clone());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            http.set_nonblocking(true).unwrap();
            ws.set_nonblocking(true).unwrap();
            let http = tokio::net::TcpListener::from_std(http).unwrap();
            let ws = tokio::net::TcpListener::from_std(ws).unwrap();
            tokio::spawn(async move {
                loop {
                    let (tcp, _) = http.accept().await.unwrap();
                    connections.fetch_add(1, Ordering::Relaxed);
                    tokio::spawn(serve_http(
                        tcp,
                        ws_addr,
                        options.keep_alive,
                        requests.clone(),
                    ));
                }
            });
            loop {
                let (tcp, _) = ws.accept().await.unwrap();
                tcp.set_nodelay(true).unwrap();
                tokio::spawn(serve_ws(tcp, options.small_buffers, close_rx.clone()));
            }
        });
    });
    Lean {
        api_url: format!("http://{http_addr}/api/"),
        http_port: http_addr.port(),
        ws_port: ws_addr.port(),
        close,
        http_connections,
        http_requests,
    }
}

/// Answers each request on the connection with the same `rtm.connect` body.
async fn serve_http(
    mut tcp: tokio::net::TcpStream,
    ws_addr: std::net::SocketAddr,
    keep_alive: bool,
    requests: Arc<AtomicU64>,
) {
    tcp.set_nodelay(true).unwrap();
    let body = format!(
        r#"{{"ok":true,"url":"ws://{ws_addr}/ws","self":{{"id":"U0BOT","name":"bot"}},"team":{{"id":"T0","name":"t","domain":"t"}}}}"#
    );
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: {}\r\n\r\n{body}",
        body.len(),
        if keep_alive { "keep-alive" } else { "close" }
    );
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        // One whole request (headers and Content-Length body) in `buf`.
        let used = loop {
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let len = String::from_utf8_lossy(&buf[..end])
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse::<usize>().unwrap())
                    })
                    .unwrap_or(0);
                if buf.len() >= end + 4 + len {
                    break end + 4 + len;
                }
            }
            match tcp.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        buf.drain(..used);
        requests.fetch_add(1, Ordering::Relaxed);
        if tcp.write_all(response.as_bytes()).await.is_err() || !keep_alive {
            return;
        }
    }
}

/// `hello`, then an ack per text frame; closes with 1001 when `close` changes.
async fn serve_ws(
    tcp: tokio::net::TcpStream,
    small_buffers: bool,
    mut close: tokio::sync::watch::Receiver<u64>,
) {
    let config = if small_buffers {
        WebSocketConfig::default()
            .read_buffer_size(4096)
            .write_buffer_size(0)
    } else {
        WebSocketConfig::default()
    };
    let Ok(mut ws) = tokio_tungstenite::accept_async_with_config(tcp, Some(config)).await else {
        return;
    };
    close.mark_unchanged();
    if ws.send(Message::text(r#"{"type":"hello"}"#)).await.is_err() {
        return;
    }
    loop {
        // Flush the acks written so far only when no frame is already waiting.
        let next = match ws.next().now_or_never() {
            Some(next) => next,
            None => {
                if ws.flush().await.is_err() {
                    return;
                }
                tokio::select! {
                    next = ws.next() => next,
                    // Err: the `Lean` handle was dropped; never close then.
                    Ok(()) = close.changed() => {
                        let _ = ws
                            .send(Message::Close(Some(CloseFrame {
                                code: CloseCode::Away,
                                reason: "going away".into(),
                            })))
                            .await;
                        // Until the client's close frame or EOF.
                        while let Some(Ok(_)) = ws.next().await {}
                        return;
                    }
                }
            }
        };
        let Some(Ok(m)) = next else { return };
        let Message::Text(t) = m else { continue };
        let id: u64 = t
            .split_once(r#""id":"#)
            .map(|(_, rest)| {
                rest.chars()
                    .take_while(char::is_ascii_digit)
                    .collect::<String>()
            })
            .and_then(|d| d.parse().ok())
            .unwrap_or(0);
        let ack = format!(r#"{{"ok":true,"reply_to":{id},"ts":"1700000000.{id:06}","text":"x"}}"#);
        if ws.feed(Message::text(ack)).await.is_err() {
            return;
        }
    }
}
