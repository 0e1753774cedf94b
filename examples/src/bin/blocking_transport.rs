//! Reusing the core in a custom transport: `rtm-proto` driven by one plain loop over blocking
//! `std::net` sockets, with no async runtime.
//!
//! The core makes every protocol decision (when to connect, retry, ping, reconnect, which reply
//! settles which send); this file only moves bytes and reads the clock:
//!
//! 1. feed the core an [`Input`] with the current time;
//! 2. perform the [`Action`]s it returns, in order (performing some yields inputs at once, such
//!    as the web call's result);
//! 3. when nothing is left to feed, block on the WebSocket until a frame arrives or
//!    [`Client::next_deadline`] passes, and feed what happened (or [`Input::Tick`]).
//!
//! Scope: plain `http://` and `ws://` only, for a mock Slack on loopback (such as `rtm-testkit`'s
//! `mock-slack`). TLS is out of scope: for real Slack (`https://`, `wss://`) use `rtm-tokio`, or
//! wrap the `TcpStream`s below in a TLS stream (e.g. `rustls::StreamOwned`).
//!
//! Trade-off: `rtm.connect` is a blocking HTTP call made inside the loop, so nothing else happens
//! meanwhile. That is acceptable here, since no WebSocket is open while the core authenticates;
//! each socket operation of the call is bounded by the core's `web_call_timeout`. A program with
//! other work to do would make the call on a thread and feed its result when it arrives.
//!
//! Usage: `blocking_transport <api-url> [channel]`, e.g. `http://127.0.0.1:3000/api/` (or the
//! variables `SLACK_API_URL`, `SLACK_CHANNEL`; the token comes from `SLACK_TOKEN`). Once ready it
//! sends a message; after the ack it waits for the server to end the connection (a `goodbye` or a
//! close), lets the core reconnect, sends a second message, and disconnects once that is acked.
//! It prints one line per step and exits with 0 on that path only.
#![forbid(unsafe_code)]

use std::collections::VecDeque;
use std::fmt::Display;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use rtm_proto::{
    Action, Client, Config, ConnId, Event, Input, Outgoing, SendError, SendHandle, Sent,
    StartOptions, Token, WebMethod, WebResponse,
};
use tungstenite::error::{Error as WsErr, ProtocolError};
use tungstenite::protocol::CloseFrame;
use tungstenite::{Message, WebSocket};

/// The longest single wait on the socket, should the core have no deadline at all.
const MAX_WAIT: Duration = Duration::from_secs(60);

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let var = |name| std::env::var(name).ok();
    let Some(mut api_url) = args.next().or_else(|| var("SLACK_API_URL")) else {
        eprintln!("usage: blocking_transport <api-url> [channel]   (or set SLACK_API_URL)");
        return ExitCode::from(2);
    };
    if !api_url.starts_with("http://") {
        // Refuse at once rather than let the core retry a call that can never work.
        eprintln!("only plain http:// API URLs are supported (no TLS here: see rtm-tokio)");
        return ExitCode::from(2);
    }
    if !api_url.ends_with('/') {
        api_url.push('/'); // The core names the method; it is appended to this URL.
    }
    let channel = args.next().or_else(|| var("SLACK_CHANNEL"));
    let channel = channel.unwrap_or_else(|| "C0GENERAL".to_owned());
    let token = var("SLACK_TOKEN").unwrap_or_else(|| "xoxb-test-token".to_owned());

    let config = Config::default();
    let mut transport = Transport::new(api_url, &config);
    let mut client = Client::new(config).expect("the default configuration is valid");
    let mut app = App::new(channel);

    // What happened that the core has not been told yet, oldest first.
    let mut inbox = VecDeque::from([Input::Start(StartOptions::new(token))]);
    loop {
        while let Some(input) = inbox.pop_front() {
            for action in client.handle_input(Instant::now(), input) {
                match action {
                    Action::Emit(event) => app.on_event(event, &mut inbox),
                    Action::Settle { handle, result } => app.on_settle(handle, result, &mut inbox),
                    Action::StartSettled(Ok(_)) => println!("start settled: session ready"),
                    Action::StartSettled(Err(e)) => println!("start failed: {e}"),
                    Action::DisconnectSettled => println!("disconnect settled"),
                    // The input made no sense in this state; the core changed nothing.
                    Action::Ignored { input, state } => eprintln!("(ignored {input} in {state:?})"),
                    network => transport.perform(network, &mut inbox),
                }
            }
        }
        if let Some(code) = app.outcome {
            return code;
        }
        let Some(input) = transport.wait(client.next_deadline()) else {
            // No socket and no deadline: nothing can happen any more (cannot occur on our path).
            println!("idle in state {:?}; giving up", client.state());
            return ExitCode::FAILURE;
        };
        inbox.push_back(input);
    }
}

/// The application: what this program does with the session (your bot goes here).
#[derive(Default)]
struct App {
    channel: String,
    sent: u64,
    acked: u64,
    readies: u32,
    outcome: Option<ExitCode>,
}

impl App {
    fn new(channel: String) -> Self {
        App {
            channel,
            ..App::default()
        }
    }

    fn on_event(&mut self, event: Event, inbox: &mut VecDeque<Input>) {
        match event {
            Event::Ready => {
                self.readies += 1;
                println!("ready {}", self.readies);
                // The first message on the first session; the second once the first is acked
                // and the server has made us reconnect.
                if self.sent == 0 || (self.sent == 1 && self.acked == 1) {
                    self.sent += 1;
                    let text = format!("hello from blocking_transport, message {}", self.sent);
                    println!("sending message {} to {}", self.sent, self.channel);
                    // Queued until ready, awaiting its ack: it settles exactly once.
                    inbox.push_back(Input::Send {
                        handle: SendHandle(self.sent),
                        outgoing: Outgoing::message(&text, &self.channel),
                    });
                }
            }
            Event::Authenticated(info) => {
                println!("authenticated as {} on team {}", info.self_id, info.team_id)
            }
            Event::Reconnecting {
                attempt,
                delay,
                reason,
            } => {
                let ms = delay.as_millis();
                println!("reconnecting: attempt {attempt} in {ms} ms ({reason})")
            }
            Event::Disconnected { error } => {
                // `None` means it was our `Disconnect`: success if both messages were acked.
                let clean = error.is_none() && self.acked == 2;
                match error {
                    None => println!("disconnected"),
                    Some(e) => println!("disconnected: {e}"),
                }
                self.outcome = Some(if clean {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                });
            }
            Event::UnableToRtmStart(e) => println!("unable to start: {e}"),
            Event::Error(e) => println!("error: {e}"),
            Event::OutgoingMessage { id, frame } => println!("wrote id {id}: {frame}"),
            Event::Slack(ev) => match (ev.reply_to(), ev.event_type()) {
                (Some(id), _) => println!("reply to id {id}"),
                (None, kind) => println!("event {}", kind.unwrap_or("(no type)")),
            },
            // connecting, connected (hello received), disconnecting.
            other => println!("{}", other.name()),
        }
    }

    fn on_settle(
        &mut self,
        h: SendHandle,
        result: Result<Sent, SendError>,
        inbox: &mut VecDeque<Input>,
    ) {
        match result {
            Ok(Sent::Replied(reply)) => {
                self.acked += 1;
                let ts = reply.ts.as_deref().unwrap_or("(none)");
                println!("ack {} id={} ts={ts}", h.0, reply.id);
                if self.acked == 1 {
                    println!("waiting for the server to end the connection");
                } else {
                    inbox.push_back(Input::Disconnect);
                }
            }
            Ok(Sent::Written { id }) => println!("written {} id={id}", h.0),
            Err(e) => {
                // Disconnect cleanly all the same; the exit status is a failure (acked < 2).
                println!("send {} failed: {e}", h.0);
                inbox.push_back(Input::Disconnect);
            }
        }
    }
}

/// The sockets: at most one WebSocket, and one short-lived HTTP connection per web call.
struct Transport {
    api_url: String,
    web_timeout: Duration,
    ws_timeout: Duration,
    ws: Option<(ConnId, WebSocket<TcpStream>)>,
}

fn ws_error(conn: ConnId, e: impl Display) -> Input {
    Input::WsError {
        conn,
        message: e.to_string(),
    }
}

impl Transport {
    fn new(api_url: String, config: &Config) -> Self {
        Transport {
            api_url,
            web_timeout: config.web_call_timeout,
            ws_timeout: config.hello_timeout, // Bounds the WebSocket's connect and handshake.
            ws: None,
        }
    }

    /// The open socket if it is `conn`'s: actions about an older attempt are stale, and skipped.
    fn socket(&mut self, conn: ConnId) -> Option<&mut WebSocket<TcpStream>> {
        self.ws
            .as_mut()
            .filter(|(c, _)| *c == conn)
            .map(|(_, ws)| ws)
    }

    /// Performs one network action; what it learns at once goes to `inbox`.
    fn perform(&mut self, action: Action, inbox: &mut VecDeque<Input>) {
        match action {
            Action::CallWebApi {
                conn,
                method,
                token,
                form,
            } => {
                let result = self.web_call(method, &token, &form);
                if let Err(e) = &result {
                    println!("web call failed: {e}");
                }
                inbox.push_back(Input::WebApiResult { conn, result });
            }
            Action::OpenWebSocket { conn, url } => {
                self.drop_ws(); // One socket at a time.
                // The URL is a credential for 30 s, so it is not printed.
                match open_ws(&url, self.ws_timeout) {
                    Ok(ws) => {
                        println!("websocket open ({conn})");
                        self.ws = Some((conn, ws));
                        inbox.push_back(Input::WsOpened { conn });
                    }
                    Err(e) => inbox.push_back(ws_error(conn, e)),
                }
            }
            Action::SendText { conn, text } => {
                if let Some(Err(e)) = self.socket(conn).map(|ws| ws.send(Message::text(text))) {
                    inbox.push_back(ws_error(conn, e));
                }
            }
            Action::CloseWebSocket { conn, code } => {
                // Starts the close handshake; the server's answer comes through `wait`.
                let frame = CloseFrame {
                    code: code.into(),
                    reason: "".into(),
                };
                if let Some(Err(e)) = self.socket(conn).map(|ws| ws.close(Some(frame))) {
                    inbox.push_back(ws_error(conn, e));
                }
            }
            Action::DropWebSocket { conn } if self.socket(conn).is_some() => self.drop_ws(),
            _ => {}
        }
    }

    /// Lets go of the socket, with a best-effort close frame.
    fn drop_ws(&mut self) {
        if let Some((conn, mut ws)) = self.ws.take() {
            let _ = ws.close(None);
            let _ = ws.flush();
            println!("websocket dropped ({conn})");
        }
    }

    /// Blocks until the socket has news or `deadline` passes; `None` if nothing can happen.
    fn wait(&mut self, deadline: Option<Instant>) -> Option<Input> {
        let Some((conn, ws)) = self.ws.as_mut() else {
            // No socket (e.g. a reconnect backoff): sleep until the deadline.
            std::thread::sleep(deadline?.saturating_duration_since(Instant::now()));
            return Some(Input::Tick);
        };
        let conn = *conn;
        let (code, reason) = loop {
            let left = deadline.map_or(MAX_WAIT, |d| d.saturating_duration_since(Instant::now()));
            if left.is_zero() {
                return Some(Input::Tick);
            }
            // The deadline is the read timeout: a read that times out means "feed a Tick".
            // tungstenite buffers a partly read frame, so a timeout mid-frame loses nothing.
            if let Err(e) = ws.get_mut().set_read_timeout(Some(left.min(MAX_WAIT))) {
                self.ws = None;
                return Some(ws_error(conn, e));
            }
            match ws.read() {
                Ok(Message::Text(text)) => {
                    return Some(Input::WsText {
                        conn,
                        text: text.to_string(),
                    });
                }
                Ok(Message::Binary(data)) => {
                    return Some(Input::WsBinary {
                        conn,
                        len: data.len(),
                    });
                }
                Ok(Message::Close(frame)) => {
                    // tungstenite queued the answer to the server's close: send it; done.
                    let _ = ws.flush();
                    let frame = frame.map(|f| (f.code.into(), f.reason.to_string()));
                    break frame.unwrap_or((1005, String::new()));
                }
                // tungstenite answers pings by itself: nothing for the core.
                Ok(_) => continue,
                Err(WsErr::Io(e))
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    return Some(Input::Tick);
                }
                // The connection ended without a close frame: 1006, as the core expects.
                Err(WsErr::ConnectionClosed | WsErr::AlreadyClosed)
                | Err(WsErr::Protocol(ProtocolError::ResetWithoutClosingHandshake)) => {
                    break (1006, String::new());
                }
                Err(e) => {
                    self.ws = None;
                    return Some(ws_error(conn, e));
                }
            }
        };
        println!("websocket closed ({conn}): {code} {reason}");
        self.ws = None;
        Some(Input::WsClosed { conn, code, reason })
    }

    /// `POST {api_url}{method}`: a minimal HTTP/1.1 client, one connection per call.
    fn web_call(
        &self,
        method: WebMethod,
        token: &Token,
        form: &[(&str, String)],
    ) -> Result<WebResponse, String> {
        let url = format!("{}{}", self.api_url, method.as_str());
        let (host, port, path) = split_url(&url, "http")?;
        let mut stream = connect(host, port, self.web_timeout)?;
        let body: Vec<String> = form
            .iter()
            .map(|(k, v)| format!("{k}={}", form_encode(v)))
            .collect();
        let body = body.join("&");
        // `Connection: close`: no keep-alive to manage, and a body may end where the stream does.
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            token.expose(),
            body.len()
        );
        stream
            .write_all(request.as_bytes())
            .map_err(|e| e.to_string())?;
        read_response(BufReader::new(stream)).map_err(|e| format!("reading the answer: {e}"))
    }
}

/// Reads the status line, the headers, and the body: by `Content-Length`, chunked, or to the end.
fn read_response(mut r: BufReader<TcpStream>) -> io::Result<WebResponse> {
    let bad = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_owned());
    let mut line = String::new();
    r.read_line(&mut line)?;
    let status = line.split(' ').nth(1).and_then(|s| s.parse().ok());
    let status: u16 = status.ok_or_else(|| bad("no HTTP status line"))?;
    let (mut length, mut chunked, mut retry_after) = (None, false, None);
    loop {
        line.clear();
        if r.read_line(&mut line)? == 0 || line.trim().is_empty() {
            break;
        }
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => length = Some(value.parse().map_err(|_| bad("content-length"))?),
            "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
            "retry-after" => retry_after = Some(value.to_owned()),
            _ => {}
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            line.clear();
            r.read_line(&mut line)?;
            let size = line.trim().split(';').next().unwrap_or_default();
            let size = usize::from_str_radix(size, 16).map_err(|_| bad("chunk size"))?;
            if size == 0 {
                break; // Trailers are left unread: the connection is closed anyway.
            }
            let start = body.len();
            body.resize(start + size, 0);
            r.read_exact(&mut body[start..])?;
            r.read_line(&mut line)?; // The CRLF after the chunk.
        }
    } else if let Some(n) = length {
        body.resize(n, 0);
        r.read_exact(&mut body)?;
    } else {
        r.read_to_end(&mut body)?;
    }
    let body = String::from_utf8(body).map_err(|_| bad("body is not UTF-8"))?;
    Ok(WebResponse {
        status,
        retry_after,
        location: None,
        body,
    })
}

/// Opens the WebSocket: our own `TcpStream`, then tungstenite's client handshake over it.
fn open_ws(url: &str, timeout: Duration) -> Result<WebSocket<TcpStream>, String> {
    let (host, port, _) = split_url(url, "ws")?;
    let stream = connect(host, port, timeout)?;
    let _ = stream.set_nodelay(true); // Small frames; latency matters (pings, acks).
    let (ws, _response) = tungstenite::client(url, stream).map_err(|e| e.to_string())?;
    Ok(ws)
}

/// Connects, with `timeout` on the connect and on every later read and write.
fn connect(host: &str, port: u16, timeout: Duration) -> Result<TcpStream, String> {
    let addrs = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("{host}: {e}"))?;
    let mut last = format!("{host}: no address");
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(s) => {
                s.set_read_timeout(Some(timeout))
                    .map_err(|e| e.to_string())?;
                s.set_write_timeout(Some(timeout))
                    .map_err(|e| e.to_string())?;
                return Ok(s);
            }
            Err(e) => last = format!("{addr}: {e}"),
        }
    }
    Err(last)
}

/// Splits `scheme://host[:port][/path]`, for the plain schemes only (`http`, `ws`).
fn split_url<'a>(url: &'a str, scheme: &str) -> Result<(&'a str, u16, &'a str), String> {
    let Some(rest) = url.strip_prefix(scheme).and_then(|r| r.strip_prefix("://")) else {
        return Err(format!(
            "only {scheme}:// URLs are supported here (no TLS: see rtm-tokio)"
        ));
    };
    let (authority, path) = rest.find('/').map_or((rest, "/"), |i| rest.split_at(i));
    let Some((host, port)) = authority.rsplit_once(':') else {
        return Ok((authority, 80, path));
    };
    let port = port.parse().map_err(|_| format!("bad port in {url}"))?;
    Ok((host, port, path))
}

/// `application/x-www-form-urlencoded` encoding of a value.
fn form_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
