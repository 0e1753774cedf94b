//! `rtm-tail`: a workspace's live RTM stream as JSON lines on stdout, commands as JSON lines
//! on stdin. See `rtm-tail --help` and examples/README.md for the formats.
//!
//! The command loop ([`run`]) is written once against rtm-driver's API, which both adapters
//! re-export; `--runtime` only decides which adapter builds the client and which executor
//! runs the loop.
#![forbid(unsafe_code)]

use std::io::{BufRead, Write};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use futures::channel::mpsc;
use futures::future::{BoxFuture, Fuse, FusedFuture};
use futures::stream::FuturesUnordered;
use futures::{FutureExt, SinkExt, StreamExt};
use rtm_driver::{
    ClientBuilder, Error, Event, Lagged, RtmClient, RtmError, SendError, Sent, SharedEvent,
};
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

const LONG_ABOUT: &str = "\
Shows a Slack workspace's live RTM stream as JSON lines, and sends what you type.

OUTPUT (stdout): one JSON object per line, with a \"kind\":
  {\"kind\":\"lifecycle\",\"seq\":0,\"event\":\"connecting\"}
  {\"kind\":\"lifecycle\",\"seq\":1,\"event\":\"authenticated\",\"self\":{\"id\":\"U..\",\"name\":\"..\"},\
\"team\":{\"id\":\"T..\",\"name\":\"..\",\"domain\":\"..\"}}
  {\"kind\":\"lifecycle\",\"seq\":2,\"event\":\"connected\"}      (also: ready, disconnecting)
  {\"kind\":\"lifecycle\",\"event\":\"reconnecting\",\"attempt\":1,\"delay_ms\":0,\"reason\":{\"code\":..,\"message\":..}}
  {\"kind\":\"lifecycle\",\"event\":\"disconnected\",\"error\":null}   (or an error object)
  {\"kind\":\"lifecycle\",\"event\":\"unable_to_rtm_start\",\"error\":{..}}   (also: error)
  {\"kind\":\"lifecycle\",\"event\":\"outgoing_message\",\"id\":3,\"frame\":{..the frame written..}}
  {\"kind\":\"slack\",\"seq\":9,\"type\":\"message\",\"subtype\":null,\"event\":{..the frame as received..}}
      (replies to our frames have \"type\":null and a \"reply_to\" id)
  {\"kind\":\"lagged\",\"missed\":120}     with --lossy only: this reader fell behind and that many \
events were dropped
  {\"kind\":\"result\",\"tag\":..,\"cmd\":\"message\",\"ok\":true,\"id\":4,\"ts\":\"1700000000.000002\",\
\"text\":\"..\",\"reply\":{..}}
  {\"kind\":\"result\",\"tag\":..,\"cmd\":\"message\",\"ok\":false,\"error\":{\"code\":\"slack_rtmapi_..\",\
\"message\":\"..\",\"slack\":{\"code\":4,\"msg\":\"channel not found\"}}}
Error objects: {\"code\": the library's error code, \"message\": text}, plus \"slack\" (Slack's \
own code and msg) for errors Slack answered with. \"seq\" numbers events from 0. By default \
nothing is skipped: a slow reader of stdout slows the session down (the socket is read no faster \
than stdout is), never drops events. With --lossy, a slow reader loses the oldest events instead \
and a lagged line says how many (the seq numbers then have a gap of that size).

INPUT (stdin): one JSON object per line; \"tag\" (any JSON value) is optional and echoed in the \
result; blank lines are ignored:
  {\"cmd\":\"message\",\"channel\":\"C024BE91L\",\"text\":\"Hello\",\"thread_ts\":\"..optional..\",\"tag\":1}
  {\"cmd\":\"typing\",\"channel\":\"C024BE91L\"}
  {\"cmd\":\"presence_sub\",\"ids\":[\"U123\",\"U456\"]}        (replaces the previous list)
  {\"cmd\":\"raw\",\"type\":\"ping\",\"body\":{\"time\":1},\"await_reply\":true}
      a frame of any type, queued until the session is ready; with \"immediate\":true it is \
written now or fails (send)
  {\"cmd\":\"disconnect\"}     ends the session and the program
Every command gets exactly one result line; results come as sends settle, so they may be out \
of order: use tags. A line that is not a valid command gets an error result \
(code \"invalid_command\"), never a crash.

EXIT: 0 once stdin is closed (pending sends get up to --drain-timeout to settle) or after \
disconnect, and the client has disconnected. 1 with a one-line error on stderr when the session \
cannot start or ends for good (e.g. invalid_auth, an untrusted certificate). 2 for bad arguments \
(an empty SLACK_TOKEN, an unreadable --ca-cert file, an unusable --proxy or proxy variable). \
130 after SIGINT and 143 after SIGTERM: the client disconnects cleanly and the results of \
pending sends are printed first.

TRUST AND PROXIES: TLS trusts the system's certificate store (SSL_CERT_FILE and SSL_CERT_DIR \
are honoured) plus every --ca-cert. Both connections (the web call and the WebSocket, in a \
CONNECT tunnel) go through --proxy, or else through HTTPS_PROXY / ALL_PROXY (http_proxy for \
plain URLs) minus NO_PROXY, read as curl does; --no-env-proxy ignores those variables.

Logs go to stderr (RUST_LOG, e.g. RUST_LOG=rtm_driver=debug).";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum RuntimeKind {
    /// rtm-tokio: tokio, reqwest, tokio-tungstenite.
    Tokio,
    /// rtm-async-std: async-std, surf, async-tungstenite.
    AsyncStd,
}

#[derive(Debug, Parser)]
#[command(
    name = "rtm-tail",
    version,
    about = "Tail a Slack workspace's RTM stream as JSON lines; send commands on stdin",
    long_about = LONG_ABOUT
)]
struct Args {
    /// Slack token (xoxb-… or xoxp-…); an empty value counts as missing.
    #[arg(long, env = "SLACK_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Web API base URL (for a mock Slack: http://127.0.0.1:PORT/api/).
    #[arg(long, env = "SLACK_API_URL", default_value = rtm_driver::DEFAULT_API_URL)]
    api_url: String,
    /// Which async runtime (and adapter crate) runs the client.
    #[arg(long, value_enum, default_value_t = RuntimeKind::Tokio)]
    runtime: RuntimeKind,
    /// Allow plain http:// and ws:// to hosts that are not loopback (refused by default).
    #[arg(long)]
    insecure: bool,
    /// Do not print an outgoing_message line for every frame written.
    #[arg(long)]
    no_outgoing: bool,
    /// Ask for batched presence events (rtm.connect batch_presence_aware).
    #[arg(long)]
    batch_presence: bool,
    /// After stdin closes, how long (seconds) pending sends may take to settle before the
    /// client disconnects.
    #[arg(long, default_value_t = 10.0)]
    drain_timeout: f64,
    /// Drop the oldest events when stdout is slower than the socket (with lagged lines),
    /// instead of slowing the session down.
    #[arg(long)]
    lossy: bool,
    /// Also trust the certificates in this PEM file (repeatable), e.g. a corporate root or
    /// `mock-slack --tls --cert-out cert.pem`.
    #[arg(long, value_name = "FILE")]
    ca_cert: Vec<std::path::PathBuf>,
    /// Send the web call and the WebSocket through this HTTP proxy
    /// (http://[user:password@]host:port); overrides the proxy environment variables.
    #[arg(long, value_name = "URL")]
    proxy: Option<String>,
    /// Ignore HTTPS_PROXY / ALL_PROXY / http_proxy / NO_PROXY.
    #[arg(long)]
    no_env_proxy: bool,
    /// Record the session into FILE (JSON lines) for `rtm-replay`: every input the core is
    /// fed, with its time. It holds no token or proxy credential, but message contents:
    /// keep it as private as the workspace's history.
    #[arg(long, value_name = "FILE")]
    record: Option<std::path::PathBuf>,
}

/// A bad `--ca-cert` file, named.
#[derive(Debug, thiserror::Error)]
enum CaCertError {
    #[error("--ca-cert {path}: cannot read it: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("--ca-cert {path}: not a PEM certificate file: {reason}")]
    Parse { path: String, reason: String },
    #[error("--ca-cert {path}: no CERTIFICATE block in it")]
    Empty { path: String },
}

/// The certificates (DER) of a PEM file.
fn read_ca_file(path: &std::path::Path) -> Result<Vec<Vec<u8>>, CaCertError> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let shown = path.display().to_string();
    let pem = std::fs::read(path).map_err(|source| CaCertError::Read {
        path: shown.clone(),
        source,
    })?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .map(|c| c.map(|c| c.to_vec()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| CaCertError::Parse {
            path: shown.clone(),
            reason: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(CaCertError::Empty { path: shown });
    }
    Ok(certs)
}

// ---------------------------------------------------------------------------------------------
// Output

/// One JSON object, written field by field so keys keep their order (`kind` first) and raw
/// frames are copied as received, without a parse.
struct Obj(String);

impl Obj {
    fn new(kind: &str) -> Obj {
        Obj(String::from("{")).field("kind", kind)
    }

    fn key(mut self, key: &str) -> Obj {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        self.0.push_str(&json_text(&key));
        self.0.push(':');
        self
    }

    fn field(self, key: &str, value: impl Serialize) -> Obj {
        let mut o = self.key(key);
        o.0.push_str(&json_text(&value));
        o
    }

    /// A JSON text received from the wire. A JSON object on one line (every Slack frame) is
    /// copied as is; anything else is re-encoded, so the output stays one object per line.
    fn raw(self, key: &str, text: &str) -> Obj {
        let text = text.trim();
        if text.starts_with('{')
            && !text.contains(['\n', '\r'])
            && serde_json::from_str::<IgnoredAny>(text).is_ok()
        {
            let mut o = self.key(key);
            o.0.push_str(text);
            return o;
        }
        match serde_json::from_str::<Value>(text) {
            Ok(v) => self.field(key, v),
            Err(_) => self.field(key, text),
        }
    }

    fn finish(mut self) -> String {
        self.0.push('}');
        self.0
    }
}

fn json_text(value: &impl Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

/// `{"code":..,"message":..}` of a session error.
fn rtm_error(e: &RtmError) -> Value {
    let mut o = json!({ "code": e.code(), "message": e.to_string() });
    if let RtmError::Platform { error } = e {
        o["slack"] = json!({ "error": error });
    }
    o
}

/// `{"code":..,"message":..}` of a send (or client) error, with Slack's code when it answered.
fn send_error(e: &Error) -> Value {
    let mut o = json!({ "code": e.code(), "message": e.to_string() });
    match e {
        Error::Send(SendError::Platform { code, msg, raw, .. }) => {
            o["slack"] = json!({ "code": code, "msg": msg });
            if let Ok(reply) = serde_json::from_str::<Value>(raw) {
                o["reply"] = reply;
            }
        }
        Error::Send(SendError::Paced { retry_after }) => {
            o["retry_after_ms"] = json!(retry_after.as_millis() as u64);
        }
        _ => {}
    }
    o
}

/// The line for one event.
fn event_line(event: &SharedEvent) -> String {
    let seq = event.seq();
    let lifecycle = |name: &str| Obj::new("lifecycle").field("seq", seq).field("event", name);
    let o = match event.event() {
        Event::Slack(e) => {
            let mut o = Obj::new("slack")
                .field("seq", seq)
                .field("type", e.event_type())
                .field("subtype", e.subtype());
            if let Some(id) = e.reply_to() {
                o = o.field("reply_to", id);
            }
            o.raw("event", e.raw())
        }
        Event::Authenticated(info) => lifecycle("authenticated")
            .field(
                "self",
                json!({ "id": info.self_id, "name": info.self_name }),
            )
            .field(
                "team",
                json!({ "id": info.team_id, "name": info.team_name, "domain": info.team_domain }),
            ),
        Event::Reconnecting {
            attempt,
            delay,
            reason,
        } => lifecycle("reconnecting")
            .field("attempt", attempt)
            .field("delay_ms", delay.as_millis() as u64)
            .field("reason", rtm_error(reason)),
        Event::Disconnected { error } => {
            lifecycle("disconnected").field("error", error.as_ref().map(rtm_error))
        }
        Event::UnableToRtmStart(e) | Event::Error(e) => {
            lifecycle(event.name()).field("error", rtm_error(e))
        }
        Event::OutgoingMessage { id, frame } => lifecycle("outgoing_message")
            .field("id", id)
            .raw("frame", frame),
        other => lifecycle(other.name()),
    };
    o.finish()
}

/// stdout, line by line. A closed stdout (`rtm-tail | head`) is not an error: the program
/// then winds down as if stdin had closed.
struct Output {
    closed: bool,
}

impl Output {
    fn line(&mut self, line: &str) {
        if self.closed {
            return;
        }
        let mut out = std::io::stdout().lock();
        // Flushed per line: a reader (a pipe, a test) sees each event as it happens.
        if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
            self.closed = true;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Input

/// A command line, parsed. `tag` and `cmd` are kept for the result even when the rest fails.
#[derive(Debug, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case")]
enum Command {
    Message {
        channel: String,
        text: String,
        #[serde(default)]
        thread_ts: Option<String>,
    },
    Typing {
        channel: String,
    },
    PresenceSub {
        ids: Vec<String>,
    },
    Raw {
        #[serde(rename = "type")]
        kind: String,
        #[serde(default)]
        body: Map<String, Value>,
        #[serde(default)]
        await_reply: bool,
        #[serde(default)]
        immediate: bool,
    },
    Disconnect,
}

/// What a line of stdin says.
struct Parsed {
    tag: Option<Value>,
    cmd: Option<String>,
    command: Result<Command, String>,
}

fn parse_line(line: &str) -> Parsed {
    let mut value: Value = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(e) => {
            return Parsed {
                tag: None,
                cmd: None,
                command: Err(format!("not JSON: {e}")),
            };
        }
    };
    let Some(obj) = value.as_object_mut() else {
        return Parsed {
            tag: None,
            cmd: None,
            command: Err("a command is a JSON object".to_owned()),
        };
    };
    let tag = obj.remove("tag");
    let cmd = obj.get("cmd").and_then(Value::as_str).map(str::to_owned);
    let command = match &cmd {
        None => Err("no \"cmd\" (message, typing, presence_sub, raw, disconnect)".to_owned()),
        Some(_) => Command::deserialize(value).map_err(|e| e.to_string()),
    };
    Parsed { tag, cmd, command }
}

fn result_ok(tag: &Option<Value>, cmd: &str) -> Obj {
    let mut o = Obj::new("result");
    if let Some(tag) = tag {
        o = o.field("tag", tag);
    }
    o.field("cmd", cmd).field("ok", true)
}

fn result_err(tag: &Option<Value>, cmd: Option<&str>, error: Value) -> String {
    let mut o = Obj::new("result");
    if let Some(tag) = tag {
        o = o.field("tag", tag);
    }
    o.field("cmd", cmd)
        .field("ok", false)
        .field("error", error)
        .finish()
}

/// The result line of a settled send.
fn sent_line(tag: &Option<Value>, cmd: &str, sent: Result<Sent, Error>) -> String {
    match sent {
        Ok(Sent::Written { id }) => result_ok(tag, cmd).field("id", id).finish(),
        Ok(Sent::Replied(reply)) => {
            let mut o = result_ok(tag, cmd).field("id", reply.id);
            // A message's ack has `ts` and `text`; other replies (a pong) need not.
            if let Some(ts) = &reply.ts {
                o = o.field("ts", ts);
            }
            if let Some(text) = &reply.text {
                o = o.field("text", text);
            }
            if !reply.raw.is_empty() {
                o = o.raw("reply", &reply.raw);
            }
            o.finish()
        }
        Err(e) => result_err(tag, Some(cmd), send_error(&e)),
    }
}

/// Reads stdin on a thread of its own (blocking reads, whatever the runtime) and hands each
/// line over; the channel closes at end of input. Bytes that are not UTF-8 are reported as
/// such, so that line gets an error result.
fn spawn_stdin_reader() -> mpsc::Receiver<Result<String, String>> {
    let (mut tx, rx) = mpsc::channel(64);
    let spawned = std::thread::Builder::new()
        .name("stdin".into())
        .spawn(move || {
            let stdin = std::io::stdin();
            let mut input = stdin.lock();
            let mut buf = Vec::new();
            loop {
                buf.clear();
                let line = match input.read_until(b'\n', &mut buf) {
                    Ok(0) => break,
                    Ok(_) => String::from_utf8(std::mem::take(&mut buf))
                        .map(|s| s.trim_end_matches(['\n', '\r']).to_owned())
                        .map_err(|_| "the line is not UTF-8".to_owned()),
                    Err(e) => {
                        tracing::warn!(error = %e, "reading stdin failed; treating it as closed");
                        break;
                    }
                };
                // Blocks while the command loop is busy: backpressure to whoever writes stdin.
                if futures::executor::block_on(tx.send(line)).is_err() {
                    break;
                }
            }
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start the stdin thread; no commands will be read");
    }
    rx
}

// ---------------------------------------------------------------------------------------------
// The command loop, once for every runtime.

/// How the session ended.
enum Outcome {
    /// stdin closed or `disconnect`: a clean end.
    Done,
    /// The session could not start, or ended for good.
    Failed(String),
    /// SIGINT or SIGTERM: disconnected cleanly, pending results printed.
    Signalled(Signal),
}

type Sleep = fn(Duration) -> BoxFuture<'static, ()>;

/// Prints events and results, runs commands, and winds down when stdin closes.
async fn run(
    client: RtmClient,
    mut stdin: mpsc::Receiver<Result<String, String>>,
    mut signals: mpsc::Receiver<Signal>,
    drain_timeout: Duration,
    lossy: bool,
    sleep: Sleep,
) -> Outcome {
    let mut signalled: Option<Signal> = None;
    let mut out = Output { closed: false };
    // Subscribed before start(), so the session's opening is shown. Lossless unless asked:
    // stdout is the subscriber, so a slow pipe slows the session.
    let events = client.events();
    let mut events = if lossy { events.lossy() } else { events }.fuse();
    let mut start = client.start().boxed().fuse();
    let mut client = Some(client);
    let mut pending: FuturesUnordered<BoxFuture<'static, String>> = FuturesUnordered::new();
    let mut drain: Fuse<BoxFuture<'static, ()>> = Fuse::terminated();
    let mut disconnect: Fuse<BoxFuture<'static, Result<(), Error>>> = Fuse::terminated();
    // Set by the `disconnect` command: the tag its result line carries.
    let mut disconnect_tag: Option<Option<Value>> = None;
    let mut closing = false;
    let mut drain_armed = false;
    let mut drain_expired = false;
    // The user ended the session (`disconnect`, or stopped reading stdout): whatever start()
    // says then is no failure.
    let mut user_ended = false;
    // Why the last connection attempt failed, for the error when the session never started.
    let mut last_problem: Option<String> = None;
    let mut failure: Option<String> = None;

    loop {
        // Winding down: once nothing is pending (or the drain time is up), disconnect; once
        // disconnected, drop the client, which ends the event stream and settles the rest.
        if closing
            && let Some(c) = &client
            && disconnect.is_terminated()
        {
            // After stdin closes, the session's start and pending sends settle first (so
            // `rtm-tail </dev/null` checks the token); `disconnect` and a closed stdout do
            // not wait.
            if (pending.is_empty() && start.is_terminated()) || user_ended {
                disconnect = c.disconnect().boxed().fuse();
            } else if !drain_armed {
                drain_armed = true;
                drain = sleep(drain_timeout).fuse();
            }
        }

        futures::select! {
            item = events.next() => match item {
                Some(Ok(event)) => {
                    out.line(&event_line(&event));
                    if let Event::Reconnecting { reason, .. } = event.event() {
                        last_problem = Some(format!("{reason} ({})", reason.code()));
                    }
                    if let Event::Disconnected { error: Some(e) } = event.event()
                        && !user_ended
                    {
                        // With auto-reconnect, `disconnected` with an error is final (our own
                        // disconnect ends without one), also while draining after stdin closed.
                        failure.get_or_insert_with(|| format!("{e} ({})", e.code()));
                        closing = true;
                        client = None;
                    }
                }
                Some(Err(Lagged(missed))) => {
                    out.line(&Obj::new("lagged").field("missed", missed).finish());
                }
                // The client is gone (dropped below): every event has been shown.
                None => break,
            },
            started = start => {
                if let Err(e) = started
                    && !user_ended
                {
                    let why = if drain_expired {
                        format!(
                            "the session was not ready {} s after stdin closed (--drain-timeout); last error: {}",
                            drain_timeout.as_secs_f64(),
                            last_problem.as_deref().unwrap_or("none"),
                        )
                    } else {
                        format!("{e} ({})", e.code())
                    };
                    failure.get_or_insert(why);
                    closing = true;
                    client = None;
                }
            },
            line = stdin.next() => match line {
                None => closing = true,
                Some(Err(e)) => out.line(&result_err(
                    &None,
                    None,
                    json!({ "code": "invalid_command", "message": e }),
                )),
                Some(Ok(line)) if line.trim().is_empty() => {}
                Some(Ok(line)) => {
                    let Parsed { tag, cmd, command } = parse_line(&line);
                    let command = match command {
                        Ok(c) => c,
                        Err(message) => {
                            out.line(&result_err(
                                &tag,
                                cmd.as_deref(),
                                json!({ "code": "invalid_command", "message": message }),
                            ));
                            continue;
                        }
                    };
                    let Some(c) = &client else {
                        out.line(&result_err(&tag, cmd.as_deref(), send_error(&Error::ClientClosed)));
                        continue;
                    };
                    match command {
                        Command::Disconnect => {
                            disconnect_tag = Some(tag);
                            closing = true;
                            user_ended = true;
                            // Lines after `disconnect` are not read: an input that is
                            // already at its end takes the place of stdin.
                            stdin = mpsc::channel(0).1;
                        }
                        Command::Message { channel, text, thread_ts: None } => {
                            let sent = c.send_message(text, channel);
                            pending.push(Box::pin(async move {
                                sent_line(&tag, "message", sent.await.map(Sent::Replied))
                            }));
                        }
                        Command::Message { channel, text, thread_ts: Some(thread) } => {
                            let body = json!({ "channel": channel, "text": text, "thread_ts": thread });
                            let sent = c.add_outgoing_event(true, "message", body);
                            pending.push(Box::pin(async move { sent_line(&tag, "message", sent.await) }));
                        }
                        Command::Typing { channel } => {
                            let sent = c.send_typing(channel);
                            pending.push(Box::pin(async move {
                                match sent.await {
                                    Ok(()) => result_ok(&tag, "typing").finish(),
                                    Err(e) => result_err(&tag, Some("typing"), send_error(&e)),
                                }
                            }));
                        }
                        Command::PresenceSub { ids } => {
                            let sent = c.subscribe_presence(&ids);
                            pending.push(Box::pin(async move {
                                match sent.await {
                                    Ok(()) => result_ok(&tag, "presence_sub").finish(),
                                    Err(e) => result_err(&tag, Some("presence_sub"), send_error(&e)),
                                }
                            }));
                        }
                        Command::Raw { kind, body, await_reply, immediate } => {
                            let body = Value::Object(body);
                            if immediate {
                                let sent = c.send(kind, body);
                                pending.push(Box::pin(async move {
                                    sent_line(&tag, "raw", sent.await.map(|id| Sent::Written { id }))
                                }));
                            } else {
                                let sent = c.add_outgoing_event(await_reply, kind, body);
                                pending.push(Box::pin(async move { sent_line(&tag, "raw", sent.await) }));
                            }
                        }
                    }
                }
            },
            line = pending.select_next_some() => out.line(&line),
            signal = signals.next() => if let Some(signal) = signal {
                // As `disconnect`: stop reading commands, disconnect now; sends still
                // pending settle as the session ends, and their results are printed.
                tracing::info!(?signal, "signal: disconnecting");
                signalled.get_or_insert(signal);
                closing = true;
                user_ended = true;
                stdin = mpsc::channel(0).1;
                signals = mpsc::channel(0).1;
            },
            () = drain => {
                // The drain time is up: disconnect with sends still pending (they settle as
                // the session ends, and are shown).
                drain_expired = true;
                if let Some(c) = &client
                    && disconnect.is_terminated()
                {
                    disconnect = c.disconnect().boxed().fuse();
                }
            },
            done = disconnect => {
                if let Some(tag) = disconnect_tag.take() {
                    out.line(&match done {
                        Ok(()) => result_ok(&tag, "disconnect").finish(),
                        Err(e) => result_err(&tag, Some("disconnect"), send_error(&e)),
                    });
                }
                client = None;
            },
        }

        if out.closed && !user_ended {
            // Nobody reads the output any more: wind down.
            closing = true;
            user_ended = true;
        }
    }
    // The driver is gone, so whatever is still pending settles now (client closed).
    while let Some(line) = pending.next().await {
        out.line(&line);
    }
    match (signalled, failure) {
        (Some(signal), _) => Outcome::Signalled(signal),
        (None, Some(e)) => Outcome::Failed(e),
        (None, None) => Outcome::Done,
    }
}

/// A signal that ends the program (after a clean disconnect).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Signal {
    Int,
    Term,
}

impl Signal {
    /// The shell's convention: 128 + the signal number.
    fn exit_code(self) -> u8 {
        match self {
            Signal::Int => 130,
            Signal::Term => 143,
        }
    }
}

/// SIGINT and SIGTERM as a stream, whatever runtime runs the client: a thread with its own
/// small tokio runtime listens for them.
fn spawn_signal_listener() -> mpsc::Receiver<Signal> {
    let (mut tx, rx) = mpsc::channel(4);
    let spawned = std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_io()
                .build()
            else {
                tracing::warn!("cannot listen for signals");
                return;
            };
            rt.block_on(async move {
                use tokio::signal::unix::{SignalKind, signal};
                let (Ok(mut int), Ok(mut term)) = (
                    signal(SignalKind::interrupt()),
                    signal(SignalKind::terminate()),
                ) else {
                    tracing::warn!("cannot listen for SIGINT/SIGTERM");
                    return;
                };
                loop {
                    let got = tokio::select! {
                        _ = int.recv() => Signal::Int,
                        _ = term.recv() => Signal::Term,
                    };
                    if tx.send(got).await.is_err() {
                        break;
                    }
                }
            });
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "cannot start the signal thread");
    }
    rx
}

// ---------------------------------------------------------------------------------------------

fn run_tokio(
    builder: ClientBuilder,
    stdin: mpsc::Receiver<Result<String, String>>,
    signals: mpsc::Receiver<Signal>,
    drain: Duration,
    lossy: bool,
) -> Result<Outcome, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the tokio runtime: {e}"))?;
    runtime.block_on(async {
        let client = rtm_tokio::BuilderExt::build(builder).map_err(|e| e.to_string())?;
        Ok(run(client, stdin, signals, drain, lossy, |d| {
            tokio::time::sleep(d).boxed()
        })
        .await)
    })
}

#[cfg(feature = "async-std")]
fn run_async_std(
    builder: ClientBuilder,
    stdin: mpsc::Receiver<Result<String, String>>,
    signals: mpsc::Receiver<Signal>,
    drain: Duration,
    lossy: bool,
) -> Result<Outcome, String> {
    async_std::task::block_on(async {
        let client = rtm_async_std::BuilderExt::build(builder).map_err(|e| e.to_string())?;
        Ok(run(client, stdin, signals, drain, lossy, |d| {
            async_std::task::sleep(d).boxed()
        })
        .await)
    })
}

#[cfg(not(feature = "async-std"))]
fn run_async_std(
    _: ClientBuilder,
    _: mpsc::Receiver<Result<String, String>>,
    _: mpsc::Receiver<Signal>,
    _: Duration,
    _: bool,
) -> Result<Outcome, String> {
    Err(
        "this build has no async-std support (build rtm-examples with --features async-std)"
            .to_owned(),
    )
}

/// The `--record` file, with a sender dropped after the last line is written.
struct Signalled {
    file: std::fs::File,
    _done: std::sync::mpsc::Sender<()>,
}

impl std::io::Write for Signalled {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.file.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

fn main() -> ExitCode {
    rtm_examples::init_tracing();
    let args = Args::parse();
    let usage = |e: &dyn std::fmt::Display| {
        eprintln!("rtm-tail: {e}");
        ExitCode::from(2)
    };
    let Some(token) = args.token.filter(|t| !t.trim().is_empty()) else {
        return usage(&"no token: set SLACK_TOKEN (it is empty or unset) or pass --token");
    };
    let drain = Duration::try_from_secs_f64(args.drain_timeout).unwrap_or(Duration::ZERO);
    let mut builder = ClientBuilder::new(token)
        .api_url(args.api_url)
        .allow_insecure(args.insecure)
        .emit_outgoing(!args.no_outgoing)
        .batch_presence_aware(args.batch_presence)
        // As curl: the proxy variables apply unless told otherwise.
        .proxy_from_env(!args.no_env_proxy);
    if let Some(proxy) = args.proxy {
        builder = builder.proxy(proxy);
    }
    for path in &args.ca_cert {
        match read_ca_file(path) {
            Ok(certs) => {
                for der in certs {
                    builder = builder.add_root_certificate(der);
                }
            }
            Err(e) => return usage(&e),
        }
    }
    // Checked before anything runs: a refused URL is a one-line error, not a session.
    if let Err(e) = builder.validate() {
        if matches!(e, Error::InvalidProxy { .. } | Error::InvalidUrl { .. }) {
            return usage(&e);
        }
        let hint = match e {
            Error::InsecureUrl { .. } => "; pass --insecure to allow it",
            _ => "",
        };
        eprintln!("rtm-tail: {e}{hint}");
        return ExitCode::FAILURE;
    }
    // The recording's writer tells when the client let go of it (its last lines written),
    // so that the program does not exit before.
    let mut recorded = None;
    if let Some(path) = &args.record {
        match std::fs::File::create(path) {
            Ok(file) => {
                let (done, rx) = std::sync::mpsc::channel::<()>();
                builder = builder.record_to(Signalled { file, _done: done });
                recorded = Some(rx);
            }
            Err(e) => return usage(&format!("--record {}: {e}", path.display())),
        }
    }
    let signals = spawn_signal_listener();
    let stdin = spawn_stdin_reader();
    let outcome = match args.runtime {
        RuntimeKind::Tokio => run_tokio(builder, stdin, signals, drain, args.lossy),
        RuntimeKind::AsyncStd => run_async_std(builder, stdin, signals, drain, args.lossy),
    };
    if let Some(rx) = recorded {
        // Disconnected once the writer is dropped; bounded in case the driver is stuck.
        let _ = rx.recv_timeout(Duration::from_secs(10));
    }
    match outcome {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::Signalled(signal)) => ExitCode::from(signal.exit_code()),
        Ok(Outcome::Failed(e)) | Err(e) => {
            eprintln!("rtm-tail: {e}");
            ExitCode::FAILURE
        }
    }
}
