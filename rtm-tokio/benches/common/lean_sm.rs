//! A lean Socket Mode Slack for the benches: `apps.connections.open` and `chat.postMessage`
//! over hand-rolled HTTP/1.1 (keep-alive), then WebSockets that say `hello` and either flood
//! pre-formatted `events_api` envelopes as fast as the socket takes them (counting the acks),
//! or are driven by the bench through [`Conn`] handles (envelopes, `disconnect` frames,
//! close), with server-side timestamps. No model behind it. Used by the `socket_mode` bench
//! (`#[path = "common/lean_sm.rs"] mod lean_sm;`); the HTTP parsing is `lean.rs`'s.
#![allow(dead_code)] // each bench uses part of it

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use futures::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, frame::coding::CloseCode};
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

/// What each accepted WebSocket does after its `hello`.
#[derive(Debug, Clone, Copy)]
pub enum WsMode {
    /// Writes envelopes 0..n at once, as fast as the socket takes them.
    Flood(u64),
    /// Registers a [`Conn`] and waits for the bench's orders.
    Controlled,
}

/// The acks one flood connection read: unique envelope seqs, repeats, unreadable frames.
#[derive(Debug, Default)]
pub struct AckCount {
    pub unique: AtomicU64,
    pub duplicate: AtomicU64,
    pub other: AtomicU64,
    /// Envelopes written so far (flood).
    pub written: AtomicU64,
}

/// An order to a controlled connection.
#[derive(Debug)]
pub enum Order {
    Send(String),
    Close,
}

/// A controlled connection, as the bench sees it.
#[derive(Debug)]
pub struct Conn {
    pub id: u64,
    pub orders: mpsc::UnboundedSender<Order>,
    /// When its `hello` was written.
    pub hello_at: Instant,
}

/// Server-side record of a controlled connection's acks: seq → times acked.
#[derive(Debug, Default)]
pub struct Acks {
    pub per_seq: Vec<u32>,
    pub other: u64,
}

#[derive(Debug)]
pub struct LeanSm {
    pub api_url: String,
    pub ws_url: String,
    /// Acks of the latest flood connection (replaced at each accept).
    pub flood: Arc<Mutex<Arc<AckCount>>>,
    /// Controlled connections, in accept order.
    pub conns: mpsc::UnboundedReceiver<Conn>,
    pub acks: Arc<Mutex<Acks>>,
    /// A handle on the server's runtime, to run the bench's server-side logic there.
    pub runtime: tokio::runtime::Handle,
    pub http_requests: Arc<AtomicU64>,
}

pub const HELLO: &str = r#"{"type":"hello","num_connections":1,"debug_info":{"host":"applink-lean","approximate_connection_time":18060},"connection_info":{"app_id":"A1"}}"#;

/// The `envelope_id` of envelope `seq`: UUID-shaped, its first 10 characters the seq.
pub fn envelope_id(seq: u64) -> String {
    format!("{seq:010}-4d35-4d0f-b8d0-a78d4a5a3c52")
}

/// The seq of an `envelope_id` made by [`envelope_id`].
pub fn seq_of(id: &str) -> Option<u64> {
    id.get(..10)?.parse().ok()
}

/// A ~470-byte `events_api` envelope, as Slack sends them.
pub fn envelope(seq: u64) -> String {
    format!(
        r#"{{"envelope_id":"{id}","payload":{{"token":"XXYYZZ","team_id":"T0","api_app_id":"A1","event":{{"type":"message","text":"message {seq} from the lean socket mode server","user":"U1","channel":"C1","ts":"1700000000.{seq:06}","event_ts":"1700000000.{seq:06}","channel_type":"channel"}},"type":"event_callback","event_id":"Ev{seq:010}","event_time":1700000000}},"type":"events_api","accepts_response_payload":false,"retry_attempt":0,"retry_reason":""}}"#,
        id = envelope_id(seq)
    )
}

/// The seq acked by an ack frame `{"envelope_id":"…"}`.
pub fn acked_seq(ack: &str) -> Option<u64> {
    let (_, rest) = ack.split_once(r#""envelope_id":""#)?;
    seq_of(rest)
}

/// Starts the server on its own thread and current-thread runtime.
pub fn start(mode: WsMode) -> LeanSm {
    let http = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let ws = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let (http_addr, ws_addr) = (http.local_addr().unwrap(), ws.local_addr().unwrap());
    let flood = Arc::new(Mutex::new(Arc::new(AckCount::default())));
    let acks = Arc::new(Mutex::new(Acks::default()));
    let http_requests = Arc::new(AtomicU64::new(0));
    let (conn_tx, conns) = mpsc::unbounded_channel();
    let (rt_tx, rt_rx) = std::sync::mpsc::channel();
    let (flood2, acks2, requests) = (flood.clone(), acks.clone(), http_requests.clone());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt_tx.send(rt.handle().clone()).unwrap();
        // Flood frames, serialised once (writing one is then a reference count).
        let frames: Arc<Vec<Utf8Bytes>> = Arc::new(match mode {
            WsMode::Flood(n) => (0..n).map(|seq| Utf8Bytes::from(envelope(seq))).collect(),
            WsMode::Controlled => Vec::new(),
        });
        rt.block_on(async move {
            http.set_nonblocking(true).unwrap();
            ws.set_nonblocking(true).unwrap();
            let http = tokio::net::TcpListener::from_std(http).unwrap();
            let ws = tokio::net::TcpListener::from_std(ws).unwrap();
            tokio::spawn(async move {
                loop {
                    let (tcp, _) = http.accept().await.unwrap();
                    tokio::spawn(serve_http(tcp, ws_addr, requests.clone()));
                }
            });
            let mut next_id = 0;
            loop {
                let (tcp, _) = ws.accept().await.unwrap();
                tcp.set_nodelay(true).unwrap();
                next_id += 1;
                match mode {
                    WsMode::Flood(_) => {
                        let count = Arc::new(AckCount::default());
                        *flood2.lock().unwrap() = count.clone();
                        tokio::spawn(serve_flood(tcp, frames.clone(), count));
                    }
                    WsMode::Controlled => {
                        tokio::spawn(serve_controlled(
                            tcp,
                            next_id,
                            conn_tx.clone(),
                            acks2.clone(),
                        ));
                    }
                }
            }
        });
    });
    LeanSm {
        api_url: format!("http://{http_addr}/api/"),
        ws_url: format!("ws://{ws_addr}/link"),
        flood,
        conns,
        acks,
        runtime: rt_rx.recv().unwrap(),
        http_requests,
    }
}

/// Answers `apps.connections.open` with the socket's URL and `chat.postMessage` with a `ts`,
/// keeping the connection alive.
async fn serve_http(
    mut tcp: tokio::net::TcpStream,
    ws_addr: std::net::SocketAddr,
    requests: Arc<AtomicU64>,
) {
    tcp.set_nodelay(true).unwrap();
    let respond = |body: &str| {
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nConnection: keep-alive\r\n\r\n{body}",
            body.len()
        )
    };
    let open = respond(&format!(r#"{{"ok":true,"url":"ws://{ws_addr}/link"}}"#));
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let mut posted = 0u64;
    loop {
        // One whole request (headers and Content-Length body) in `buf`.
        let (used, head_end) = loop {
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
                    break (end + 4 + len, end);
                }
            }
            match tcp.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let line_end = buf[..head_end]
            .iter()
            .position(|&b| b == b'\r')
            .unwrap_or(head_end);
        let request_line = String::from_utf8_lossy(&buf[..line_end]).into_owned();
        buf.drain(..used);
        requests.fetch_add(1, Ordering::Relaxed);
        let response = if request_line.contains("apps.connections.open") {
            open.clone()
        } else if request_line.contains("chat.postMessage") {
            posted += 1;
            respond(&format!(
                r#"{{"ok":true,"channel":"C1","ts":"1700000001.{posted:06}","message":{{"type":"message","text":"x","user":"U0BOT","ts":"1700000001.{posted:06}"}}}}"#
            ))
        } else {
            respond(r#"{"ok":false,"error":"unknown_method"}"#)
        };
        if tcp.write_all(response.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// `hello`, then envelopes 0..n as fast as the socket takes them, acks counted meanwhile.
async fn serve_flood(
    tcp: tokio::net::TcpStream,
    frames: Arc<Vec<Utf8Bytes>>,
    count: Arc<AckCount>,
) {
    let n = frames.len() as u64;
    let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await else {
        return;
    };
    if ws.send(Message::text(HELLO)).await.is_err() {
        return;
    }
    let (mut sink, mut stream) = ws.split();
    let written = count.clone();
    let writer = tokio::spawn(async move {
        for (seq, frame) in (0..n).zip(frames.iter()) {
            if sink.feed(Message::Text(frame.clone())).await.is_err() {
                return;
            }
            if seq % 64 == 63 {
                written.written.store(seq + 1, Ordering::Relaxed);
                if sink.flush().await.is_err() {
                    return;
                }
            }
        }
        let _ = sink.flush().await;
        written.written.store(n, Ordering::Relaxed);
        // Keep the sink (and so the socket) until the reader ends.
        std::future::pending::<()>().await;
    });
    let mut seen = vec![false; n as usize];
    while let Some(Ok(m)) = stream.next().await {
        let Message::Text(t) = m else { continue };
        match acked_seq(&t) {
            Some(seq) if (seq as usize) < seen.len() => {
                if std::mem::replace(&mut seen[seq as usize], true) {
                    count.duplicate.fetch_add(1, Ordering::Relaxed);
                } else {
                    count.unique.fetch_add(1, Ordering::Relaxed);
                }
            }
            _ => {
                count.other.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    writer.abort();
}

/// `hello`, registered as a [`Conn`]; then the bench's orders, acks recorded.
async fn serve_controlled(
    tcp: tokio::net::TcpStream,
    id: u64,
    conns: mpsc::UnboundedSender<Conn>,
    acks: Arc<Mutex<Acks>>,
) {
    let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await else {
        return;
    };
    if ws.send(Message::text(HELLO)).await.is_err() {
        return;
    }
    let (orders, mut rx) = mpsc::unbounded_channel();
    let _ = conns.send(Conn {
        id,
        orders,
        hello_at: Instant::now(),
    });
    let record = |t: &str| {
        let mut acks = acks.lock().unwrap();
        match acked_seq(t) {
            Some(seq) => {
                let seq = seq as usize;
                if acks.per_seq.len() <= seq {
                    acks.per_seq.resize(seq + 1, 0);
                }
                acks.per_seq[seq] += 1;
            }
            None => acks.other += 1,
        }
    };
    loop {
        tokio::select! {
            order = rx.recv() => match order {
                Some(Order::Send(text)) => {
                    if ws.send(Message::text(text)).await.is_err() {
                        return;
                    }
                }
                Some(Order::Close) | None => {
                    let _ = ws
                        .send(Message::Close(Some(CloseFrame {
                            code: CloseCode::Normal,
                            reason: "".into(),
                        })))
                        .await;
                    // Acks still arriving until the client's close frame or EOF count.
                    while let Some(Ok(m)) = ws.next().await {
                        if let Message::Text(t) = m {
                            record(&t);
                        }
                    }
                    return;
                }
            },
            m = ws.next() => match m {
                Some(Ok(Message::Text(t))) => record(&t),
                Some(Ok(_)) => {}
                _ => return,
            },
        }
    }
}
