//! Reusing the core in a custom transport: `rtm-proto` driven by one plain loop over blocking
//! sockets, with no async runtime: ureq (rustls) for the web call, tungstenite's blocking
//! WebSocket (rustls, webpki roots) for the session. It works against real Slack (`https://`,
//! `wss://`) as well as a mock on plain `http://`.
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
//! Trade-off: the web call (`rtm.connect`) is blocking and made inside the loop, so nothing else
//! happens meanwhile. That is acceptable here, since no WebSocket is open while the core
//! authenticates; the call is bounded by the core's `web_call_timeout`. A program with other
//! work to do would make the call on a thread and feed its result when it arrives.
//!
//! Usage: `blocking_transport [api-url [channel]]` (or the variables `SLACK_API_URL`,
//! `SLACK_CHANNEL`; the token comes from `SLACK_TOKEN`). Without an API URL it uses Slack's
//! (`https://slack.com/api/`) when `SLACK_TOKEN` is set, and otherwise starts its own mock
//! Slack (`rtm-testkit`) on loopback, which asks it to reconnect (a `goodbye`) after the
//! first message, so it runs and ends by itself. Once ready it sends a message; after the ack
//! it waits for the server to end the connection (a `goodbye` or a close), lets the core
//! reconnect, sends a second message, and disconnects once that is acked. It prints one line
//! per step and exits with 0 on that path only.
#![forbid(unsafe_code)]

use std::collections::VecDeque;
use std::fmt::Display;
use std::io;
use std::net::{TcpStream, ToSocketAddrs};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use rtm_proto::{
    Action, Client, Config, ConnId, Event, Input, Outgoing, SendError, SendHandle, Sent,
    StartOptions, Token, WebMethod, WebResponse,
};
use rtm_testkit::{Fault, MockSlack, ServerOptions};
use tungstenite::error::{Error as WsErr, ProtocolError};
use tungstenite::protocol::CloseFrame;
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

/// The longest single wait on the socket, should the core have no deadline at all.
const MAX_WAIT: Duration = Duration::from_secs(60);

fn main() -> ExitCode {
    // One rustls crypto provider for the process (ureq and tungstenite both use rustls).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut args = std::env::args().skip(1);
    let var = |name| std::env::var(name).ok().filter(|v: &String| !v.is_empty());
    let token = var("SLACK_TOKEN");
    // No API URL: Slack's with a token, else our own mock Slack, which also plays the
    // server's part (see `demo` below). A real token never goes to the mock.
    let (mut api_url, demo) = match (args.next().or_else(|| var("SLACK_API_URL")), &token) {
        (Some(url), _) => (url, None),
        (None, Some(_)) => {
            println!("no API URL given: SLACK_TOKEN is set, so Slack's, https://slack.com/api/");
            ("https://slack.com/api/".to_owned(), None)
        }
        (None, None) => match MockSlack::start(ServerOptions::default()) {
            Ok(mock) => {
                println!(
                    "no API URL given: started a mock Slack at {}",
                    mock.api_url()
                );
                (mock.api_url(), Some(mock))
            }
            Err(e) => {
                eprintln!("blocking_transport: cannot start the mock Slack: {e}");
                return ExitCode::FAILURE;
            }
        },
    };
    if !api_url.ends_with('/') {
        api_url.push('/'); // The core names the method; it is appended to this URL.
    }
    let channel = args.next().or_else(|| var("SLACK_CHANNEL"));
    let channel = channel.unwrap_or_else(|| "C0GENERAL".to_owned());
    let token = token.unwrap_or_else(|| "xoxb-test-token".to_owned());

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
        // The demo's server side: our own mock says goodbye once the first message is acked.
        if let (Some(mock), true) = (&demo, std::mem::take(&mut app.awaiting_server)) {
            println!("demo: the mock Slack sends goodbye");
            mock.inject(Fault::goodbye());
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
    /// The first message is acked: the server is to end the connection now.
    awaiting_server: bool,
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
                    self.awaiting_server = true;
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

/// The sockets: at most one WebSocket (with its TCP stream, for the read timeout), and an HTTP
/// agent for the web calls.
struct Transport {
    api_url: String,
    http: ureq::Agent,
    ws_timeout: Duration,
    ws: Option<(ConnId, Ws, TcpStream)>,
}

/// tungstenite's blocking WebSocket, over TLS for `wss://`.
type Ws = WebSocket<MaybeTlsStream<TcpStream>>;

fn ws_error(conn: ConnId, e: impl Display) -> Input {
    Input::WsError {
        conn,
        error: rtm_proto::TransportError::new(
            rtm_proto::TransportErrorKind::WebSocket,
            e.to_string(),
        ),
    }
}

impl Transport {
    fn new(api_url: String, config: &Config) -> Self {
        let http = ureq::Agent::config_builder()
            .timeout_global(Some(config.web_call_timeout))
            // Every answer goes to the core, which decides: statuses are not errors here, and a
            // redirect is not followed (the core reports it, with its Location).
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .build()
            .into();
        Transport {
            api_url,
            http,
            ws_timeout: config.hello_timeout, // Bounds the WebSocket's connect and handshake.
            ws: None,
        }
    }

    /// The open socket if it is `conn`'s: actions about an older attempt are stale, and skipped.
    fn socket(&mut self, conn: ConnId) -> Option<&mut Ws> {
        self.ws
            .as_mut()
            .filter(|(c, ..)| *c == conn)
            .map(|(_, ws, _)| ws)
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
                let result = self
                    .web_call(method, &token, &form)
                    .map_err(rtm_proto::TransportError::from);
                if let Err(e) = &result {
                    println!("web call failed: {e}");
                }
                inbox.push_back(Input::WebApiResult { conn, result });
            }
            Action::OpenWebSocket { conn, url } => {
                self.drop_ws(); // One socket at a time.
                // The URL is a credential for 30 s, so it is not printed.
                match open_ws(&url, self.ws_timeout) {
                    Ok((ws, tcp)) => {
                        println!("websocket open ({conn})");
                        self.ws = Some((conn, ws, tcp));
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
        if let Some((conn, mut ws, _)) = self.ws.take() {
            let _ = ws.close(None);
            let _ = ws.flush();
            println!("websocket dropped ({conn})");
        }
    }

    /// Blocks until the socket has news or `deadline` passes; `None` if nothing can happen.
    fn wait(&mut self, deadline: Option<Instant>) -> Option<Input> {
        let Some((conn, ws, tcp)) = self.ws.as_mut() else {
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
            // tungstenite (and rustls) buffer a partly read frame, so a timeout loses nothing.
            if let Err(e) = tcp.set_read_timeout(Some(left.min(MAX_WAIT))) {
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

    /// `POST {api_url}{method}`, form-encoded, with the token as a bearer token. Any HTTP answer
    /// is the core's to judge; only a failure to get one is an error.
    fn web_call(
        &self,
        method: WebMethod,
        token: &Token,
        form: &[(&str, String)],
    ) -> Result<WebResponse, String> {
        let url = format!("{}{}", self.api_url, method.as_str());
        let mut response = self
            .http
            .post(&url)
            .header("Authorization", format!("Bearer {}", token.expose()))
            .send_form(form.iter().map(|(k, v)| (*k, v.as_str())))
            .map_err(|e| e.to_string())?;
        let header = |name| {
            let value = response.headers().get(name)?;
            value.to_str().ok().map(str::to_owned)
        };
        let (retry_after, location) = (header("retry-after"), header("location"));
        let status = response.status().as_u16();
        let body = response.body_mut().read_to_string();
        let body = body.map_err(|e| format!("reading the answer: {e}"))?;
        Ok(WebResponse {
            status,
            retry_after,
            location,
            body,
        })
    }
}

/// Opens the WebSocket: our own `TcpStream` (kept to set read timeouts on), then tungstenite's
/// client handshake over it, with TLS for `wss://`.
fn open_ws(url: &str, timeout: Duration) -> Result<(Ws, TcpStream), String> {
    let uri: tungstenite::http::Uri = url.parse().map_err(|e| format!("bad URL: {e}"))?;
    let host = uri.host().ok_or("no host in the URL")?;
    let port = uri.port_u16();
    let port = port.unwrap_or(if uri.scheme_str() == Some("wss") {
        443
    } else {
        80
    });
    let stream = connect(host, port, timeout)?;
    let _ = stream.set_nodelay(true); // Small frames; latency matters (pings, acks).
    let tcp = stream.try_clone().map_err(|e| e.to_string())?;
    let (ws, _response) = tungstenite::client_tls(url, stream).map_err(|e| e.to_string())?;
    Ok((ws, tcp))
}

/// Connects, with `timeout` on the connect and on every later read and write.
fn connect(host: &str, port: u16, timeout: Duration) -> Result<TcpStream, String> {
    let host = host.trim_start_matches('[').trim_end_matches(']'); // IPv6 literals.
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
