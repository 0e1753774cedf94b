//! `socket-tail`: a Slack app's Socket Mode envelopes as JSON lines on stdout, acks and
//! `chat.postMessage` from commands on stdin. See `socket-tail --help` and
//! examples/README.md for the formats.
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use futures::channel::mpsc;
use futures::future::{BoxFuture, Fuse, FusedFuture};
use futures::stream::FuturesUnordered;
use futures::{FutureExt, SinkExt, StreamExt};
use rtm_examples::{JsonLine, given, is_ts};
use rtm_tokio::{
    ApiError, BuilderExt, ChatPostMessage, Envelope, Error, Lagged, SharedEvent, SocketModeBuilder,
    SocketModeClient, SocketModeError, SocketModeEvent,
};
use serde_json::{Value, json};

const LONG_ABOUT: &str = "\
Shows a Slack app's Socket Mode envelopes as JSON lines, acks them, and posts what you type.

OUTPUT (stdout): one JSON object per line, with a \"kind\":
  {\"kind\":\"envelope\",\"seq\":5,\"envelope_id\":\"..\",\"type\":\"events_api\",\"retry_attempt\":0,\
\"retry_reason\":\"\",\"accepts_response_payload\":false,\"payload\":{..as received..}}
      (type: events_api, slash_commands, interactive, or any other type Slack sends)
  {\"kind\":\"lifecycle\",\"seq\":0,\"event\":\"connecting\",\"conn\":1,\"refresh\":false}
  {\"kind\":\"lifecycle\",\"event\":\"connected\",\"conn\":1,\"app_id\":\"A..\",\"num_connections\":1}
  {\"kind\":\"lifecycle\",\"event\":\"refreshing\",\"reason\":\"warning\"}   (or refresh_requested, lifetime)
  {\"kind\":\"lifecycle\",\"event\":\"refreshed\",\"old\":1,\"new\":2}
  {\"kind\":\"lifecycle\",\"event\":\"disconnect\",\"conn\":1,\"reason\":\"warning\"}   (Slack's frame)
  {\"kind\":\"lifecycle\",\"event\":\"reconnecting\",\"attempt\":1,\"delay_ms\":0,\"reason\":{\"code\":..,\"message\":..}}
  {\"kind\":\"lifecycle\",\"event\":\"disconnected\",\"error\":null}   (or an error object)
  {\"kind\":\"lifecycle\",\"event\":\"redelivered\",\"envelope_id\":..,\"retry_attempt\":1}   \
(filtered out, acked again)
  {\"kind\":\"lifecycle\",\"event\":\"ack_late\",\"envelope_id\":..}   (also: error)
  {\"kind\":\"lagged\",\"missed\":120}     with --lossy only
  {\"kind\":\"result\",\"cmd\":\"ack\",\"ok\":true,\"envelope_id\":\"..\"}
  {\"kind\":\"result\",\"cmd\":\"post\",\"ok\":true,\"posted\":{\"channel\":\"C..\",\"ts\":\"1700000000.000100\"}}
  {\"kind\":\"result\",\"cmd\":\"post\",\"ok\":false,\"error\":{\"code\":\"slack_webapi_..\",\
\"message\":\"..\",\"slack\":{\"error\":\"channel_not_found\"}}}
Error objects: {\"code\": the library's error code, \"message\": text}, plus \"slack\" (Slack's \
own error) when Slack answered. \"seq\" numbers the client's events from 0. By default every \
envelope is acked as it arrives (before it is printed); nothing is skipped, and a slow reader \
of stdout slows the session down. With --lossy a slow reader loses the oldest lines instead \
(a lagged line says how many; with --manual-ack a lost envelope is never acked and Slack \
redelivers it in vain).

INPUT (stdin): one command per line; blank lines are ignored:
  ack <envelope_id>                    with --manual-ack: acknowledge an envelope
  ack <envelope_id> {\"text\":\"..\"}      ... with a response payload (a JSON object; for \
envelopes with accepts_response_payload, e.g. a slash command's answer)
  post <channel> <text>                chat.postMessage with the bot token
  post <channel> <thread_ts> <text>    ... as a reply in a thread (thread_ts shaped 123.456)
  disconnect                           ends the session and the program
Every command gets exactly one result line; results come as they settle, so they may be \
out of order. A line that is not a valid command gets an error result (code \
\"invalid_command\"), never a crash; `ack` of an envelope that is not waiting for one gets \
code \"unknown_envelope\".

EXIT: 0 once stdin is closed (pending commands get up to --drain-timeout to settle) or after \
disconnect, or when stdout is closed (socket-tail | head), and the client has disconnected. \
1 with a one-line error on stderr when the session cannot start or ends for good (e.g. \
invalid_auth). 2 for bad arguments (no app token, a token of the wrong kind, a bad URL). \
130 after SIGINT and 143 after SIGTERM: the client disconnects cleanly and the results of \
pending commands are printed first.

Logs go to stderr (RUST_LOG, e.g. RUST_LOG=rtm_driver=debug).";

#[derive(Debug, Parser)]
#[command(
    name = "socket-tail",
    version,
    about = "Tail a Slack app's Socket Mode envelopes as JSON lines; ack and post from stdin",
    long_about = LONG_ABOUT
)]
struct Args {
    /// App-level token (xapp-…, scope connections:write); an empty value counts as missing.
    #[arg(long, env = "SLACK_APP_TOKEN", hide_env_values = true)]
    app_token: Option<String>,
    /// Bot token (xoxb-…) for `post` (chat.postMessage); without it, posts fail with
    /// slack_webapi_no_bot_token_error.
    #[arg(long, env = "SLACK_BOT_TOKEN", hide_env_values = true)]
    bot_token: Option<String>,
    /// Web API base URL (for a mock Slack: http://127.0.0.1:PORT/api/).
    #[arg(long, env = "SLACK_API_URL", default_value = rtm_tokio::DEFAULT_API_URL)]
    api_url: String,
    /// Do not ack envelopes as they arrive: stdin's `ack <envelope_id> [payload]` does.
    #[arg(long)]
    manual_ack: bool,
    /// Drop the oldest lines when stdout is slower than the socket (with lagged lines),
    /// instead of slowing the session down.
    #[arg(long)]
    lossy: bool,
    /// Allow plain http:// and ws:// to hosts that are not loopback (refused by default).
    #[arg(long)]
    insecure: bool,
    /// After stdin closes, how long (seconds) pending commands may take to settle before
    /// the client disconnects.
    #[arg(long, default_value_t = 10.0)]
    drain_timeout: f64,
}

// ---------------------------------------------------------------------------------------------
// Output

/// `{"code":..,"message":..}` of a session error, with Slack's own error when it answered.
fn session_error(e: &SocketModeError) -> Value {
    let mut o = json!({ "code": e.code(), "message": e.to_string() });
    if let SocketModeError::Platform { error } = e {
        o["slack"] = json!({ "error": error });
    }
    o
}

/// `{"code":..,"message":..}` of a command's error, with Slack's own error when it answered.
fn command_error(e: &Error) -> Value {
    let mut o = json!({ "code": e.code(), "message": e.to_string() });
    match e {
        Error::Api(ApiError::Slack { error, needed, .. }) => {
            o["slack"] = json!({ "error": error });
            if let Some(needed) = needed {
                o["slack"]["needed"] = json!(needed);
            }
        }
        Error::Ack(reason) => o["reason"] = json!(snake(reason)),
        Error::SocketMode(e) => o = session_error(e),
        _ => {}
    }
    o
}

fn snake(debug: impl std::fmt::Debug) -> String {
    let name = format!("{debug:?}");
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn envelope_line(seq: u64, e: &Envelope) -> String {
    JsonLine::new("envelope")
        .field("seq", seq)
        .field("envelope_id", e.envelope_id())
        .field("type", e.envelope_type().as_str())
        .field("retry_attempt", e.retry_attempt())
        .field("retry_reason", e.retry_reason())
        .field("accepts_response_payload", e.accepts_response_payload())
        .raw("payload", e.payload())
        .finish()
}

/// The line for one event, or `None` for those not shown (a start's or an ack's settling:
/// their outcome is shown elsewhere).
fn event_line(event: &SharedEvent<SocketModeEvent>) -> Option<String> {
    let seq = event.seq();
    let lifecycle = |name: &str| {
        JsonLine::new("lifecycle")
            .field("seq", seq)
            .field("event", name)
    };
    let line = match event.event() {
        SocketModeEvent::Envelope(e) => return Some(envelope_line(seq, e)),
        SocketModeEvent::StartSettled(_) | SocketModeEvent::AckSettled { .. } => return None,
        SocketModeEvent::Connecting { conn, refresh } => lifecycle("connecting")
            .field("conn", conn.0)
            .field("refresh", refresh),
        SocketModeEvent::Connected(hello) => lifecycle("connected")
            .field("conn", hello.conn.0)
            .field("app_id", &hello.app_id)
            .field("num_connections", hello.num_connections),
        SocketModeEvent::Refreshing { reason } => {
            lifecycle("refreshing").field("reason", snake(reason))
        }
        SocketModeEvent::Refreshed { old, new } => lifecycle("refreshed")
            .field("old", old.0)
            .field("new", new.0),
        SocketModeEvent::Disconnect { conn, reason } => lifecycle("disconnect")
            .field("conn", conn.0)
            .field("reason", snake(reason)),
        SocketModeEvent::Reconnecting {
            attempt,
            delay,
            reason,
        } => lifecycle("reconnecting")
            .field("attempt", attempt)
            .field("delay_ms", delay.as_millis() as u64)
            .field("reason", session_error(reason)),
        SocketModeEvent::Disconnected { error } => {
            lifecycle("disconnected").field("error", error.as_ref().map(session_error))
        }
        SocketModeEvent::Redelivered {
            envelope_id,
            retry_attempt,
        } => lifecycle("redelivered")
            .field("envelope_id", envelope_id)
            .field("retry_attempt", retry_attempt),
        SocketModeEvent::AckLate { envelope_id } => {
            lifecycle("ack_late").field("envelope_id", envelope_id)
        }
        SocketModeEvent::Error(e) => lifecycle("error").field("error", session_error(e)),
        #[allow(unreachable_patterns)]
        other => lifecycle(other.name()),
    };
    Some(line.finish())
}

/// stdout, line by line. A closed stdout (`socket-tail | head`) is not an error: the program
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
        // Flushed per line: a reader (a pipe, a test) sees each envelope as it comes.
        if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
            self.closed = true;
        }
    }
}

fn result_ok(cmd: &str) -> JsonLine {
    JsonLine::new("result").field("cmd", cmd).field("ok", true)
}

fn result_err(cmd: Option<&str>, error: Value) -> String {
    JsonLine::new("result")
        .field("cmd", cmd)
        .field("ok", false)
        .field("error", error)
        .finish()
}

fn invalid(cmd: Option<&str>, message: impl Into<String>) -> String {
    result_err(
        cmd,
        json!({ "code": "invalid_command", "message": message.into() }),
    )
}

// ---------------------------------------------------------------------------------------------
// Input

#[derive(Debug, PartialEq)]
enum Command {
    Ack {
        envelope_id: String,
        payload: Option<Value>,
    },
    Post {
        channel: String,
        thread_ts: Option<String>,
        text: String,
    },
    Disconnect,
}

/// A line of stdin: the command, or (its name, if known, and) why it is not one.
fn parse_line(line: &str) -> Result<Command, (Option<&'static str>, String)> {
    let line = line.trim();
    let (word, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let rest = rest.trim_start();
    match word {
        "ack" => {
            let (id, payload) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
            if id.is_empty() {
                return Err((
                    Some("ack"),
                    "usage: ack <envelope_id> [json payload]".into(),
                ));
            }
            let payload = payload.trim();
            let payload = if payload.is_empty() {
                None
            } else {
                match serde_json::from_str::<Value>(payload) {
                    Ok(v) if v.is_object() => Some(v),
                    Ok(_) => return Err((Some("ack"), "the payload is not a JSON object".into())),
                    Err(e) => return Err((Some("ack"), format!("the payload is not JSON: {e}"))),
                }
            };
            Ok(Command::Ack {
                envelope_id: id.to_owned(),
                payload,
            })
        }
        "post" => {
            let mut words = rest.splitn(2, char::is_whitespace);
            let channel = words.next().unwrap_or("");
            let text = words.next().unwrap_or("").trim_start();
            if channel.is_empty() || text.is_empty() {
                return Err((
                    Some("post"),
                    "usage: post <channel> [thread_ts] <text>".into(),
                ));
            }
            // A second word shaped like a ts, with text after it, is the thread.
            let (thread_ts, text) = match text.split_once(char::is_whitespace) {
                Some((ts, after)) if is_ts(ts) && !after.trim().is_empty() => {
                    (Some(ts.to_owned()), after.trim_start())
                }
                _ => (None, text),
            };
            Ok(Command::Post {
                channel: channel.to_owned(),
                thread_ts,
                text: text.to_owned(),
            })
        }
        "disconnect" if rest.is_empty() => Ok(Command::Disconnect),
        "disconnect" => Err((Some("disconnect"), "disconnect takes no arguments".into())),
        other => Err((
            None,
            format!("unknown command {other:?} (ack, post, disconnect)"),
        )),
    }
}

/// Reads stdin on a thread of its own and hands each line over; the channel closes at end
/// of input. Bytes that are not UTF-8 are reported as such.
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
// The loop

/// How the session ended.
enum Outcome {
    Done,
    Failed(String),
    /// SIGINT (130) or SIGTERM (143).
    Signalled(u8),
}

/// SIGINT and SIGTERM, as exit codes.
fn signals() -> std::io::Result<mpsc::Receiver<u8>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut int = signal(SignalKind::interrupt())?;
    let mut term = signal(SignalKind::terminate())?;
    let (mut tx, rx) = mpsc::channel(4);
    tokio::spawn(async move {
        loop {
            let code = tokio::select! {
                _ = int.recv() => 130,
                _ = term.recv() => 143,
            };
            if tx.send(code).await.is_err() {
                break;
            }
        }
    });
    Ok(rx)
}

async fn run(
    client: SocketModeClient,
    manual_ack: bool,
    lossy: bool,
    drain_timeout: Duration,
    mut stdin: mpsc::Receiver<Result<String, String>>,
    mut signals: mpsc::Receiver<u8>,
) -> Outcome {
    let mut out = Output { closed: false };
    // Subscribed before start(), so the session's opening is shown.
    let events = client.events();
    let mut events = if lossy { events.lossy() } else { events }.fuse();
    let mut start = client.start().boxed().fuse();
    let mut client = Some(client);
    // With --manual-ack: the envelopes waiting for theirs.
    let mut unacked: HashMap<String, Envelope> = HashMap::new();
    let mut pending: FuturesUnordered<BoxFuture<'static, String>> = FuturesUnordered::new();
    let mut drain: Fuse<BoxFuture<'static, ()>> = Fuse::terminated();
    let mut disconnect: Fuse<BoxFuture<'static, Result<(), Error>>> = Fuse::terminated();
    let mut disconnect_asked = false;
    let mut closing = false;
    let mut drain_armed = false;
    // The user ended the session (`disconnect`, a signal, a closed stdout): nothing waits.
    let mut user_ended = false;
    let mut signalled = None;
    let mut failure: Option<String> = None;
    let mut drain_expired = false;
    // Why the last connection attempt failed, for the error when the session never started.
    let mut last_problem: Option<String> = None;

    loop {
        if closing
            && let Some(c) = &client
            && disconnect.is_terminated()
        {
            // After stdin closes, the start and pending commands settle first (so
            // `socket-tail </dev/null` checks the token), for at most the drain timeout.
            if (pending.is_empty() && start.is_terminated()) || user_ended {
                disconnect = c.disconnect().boxed().fuse();
            } else if !drain_armed {
                drain_armed = true;
                drain = tokio::time::sleep(drain_timeout).boxed().fuse();
            }
        }

        futures::select! {
            item = events.next() => match item {
                Some(Ok(event)) => {
                    if let Some(line) = event_line(&event) {
                        out.line(&line);
                    }
                    match event.event() {
                        SocketModeEvent::Reconnecting { reason, .. } => {
                            last_problem = Some(format!("{reason} ({})", reason.code()));
                        }
                        SocketModeEvent::Envelope(e) if manual_ack => {
                            unacked.insert(e.envelope_id().to_owned(), e.clone());
                        }
                        SocketModeEvent::Disconnected { error: Some(e) } if !user_ended => {
                            // With auto-reconnect, `disconnected` with an error is final.
                            failure.get_or_insert_with(|| format!("{e} ({})", e.code()));
                            closing = true;
                            client = None;
                        }
                        _ => {}
                    }
                }
                Some(Err(Lagged(missed))) => {
                    out.line(&JsonLine::new("lagged").field("missed", missed).finish());
                }
                // The client is gone: every event has been shown.
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
                Some(Err(e)) => out.line(&invalid(None, e)),
                Some(Ok(line)) if line.trim().is_empty() => {}
                Some(Ok(line)) => {
                    let command = match parse_line(&line) {
                        Ok(c) => c,
                        Err((cmd, message)) => {
                            out.line(&invalid(cmd, message));
                            continue;
                        }
                    };
                    let Some(c) = &client else {
                        out.line(&result_err(None, command_error(&Error::ClientClosed)));
                        continue;
                    };
                    match command {
                        Command::Disconnect => {
                            disconnect_asked = true;
                            closing = true;
                            user_ended = true;
                            // Lines after `disconnect` are not read.
                            stdin = mpsc::channel(0).1;
                        }
                        Command::Ack { envelope_id, payload } => {
                            let Some(envelope) = unacked.remove(&envelope_id) else {
                                let why = if manual_ack {
                                    format!("no envelope {envelope_id} is waiting for an ack \
                                             (never received, or acked already)")
                                } else {
                                    "envelopes are acked on arrival (run with --manual-ack to \
                                     ack them yourself)".to_owned()
                                };
                                out.line(&result_err(
                                    Some("ack"),
                                    json!({ "code": "unknown_envelope", "message": why }),
                                ));
                                continue;
                            };
                            let acked = match &payload {
                                Some(p) => c.ack_with(&envelope, p).boxed(),
                                None => c.ack(&envelope).boxed(),
                            };
                            pending.push(Box::pin(async move {
                                match acked.await {
                                    Ok(()) => result_ok("ack").field("envelope_id", &envelope_id).finish(),
                                    Err(e) => {
                                        let mut err = command_error(&e);
                                        err["envelope_id"] = json!(envelope_id);
                                        result_err(Some("ack"), err)
                                    }
                                }
                            }));
                        }
                        Command::Post { channel, thread_ts, text } => {
                            let mut message = ChatPostMessage::new(channel, text);
                            if let Some(ts) = thread_ts {
                                message = message.thread_ts(ts);
                            }
                            let posted = c.web_api().post_message(message);
                            pending.push(Box::pin(async move {
                                match posted.await {
                                    Ok(p) => result_ok("post")
                                        .field("posted", json!({ "channel": p.channel, "ts": p.ts }))
                                        .finish(),
                                    Err(e) => result_err(Some("post"), command_error(&e)),
                                }
                            }));
                        }
                    }
                }
            },
            line = pending.select_next_some() => out.line(&line),
            code = signals.next() => if let Some(code) = code {
                tracing::info!(code, "signal: disconnecting");
                signalled.get_or_insert(code);
                closing = true;
                user_ended = true;
                stdin = mpsc::channel(0).1;
                signals = mpsc::channel(0).1;
            },
            () = drain => {
                drain_expired = true;
                if let Some(c) = &client
                    && disconnect.is_terminated()
                {
                    disconnect = c.disconnect().boxed().fuse();
                }
            },
            done = disconnect => {
                if disconnect_asked {
                    disconnect_asked = false;
                    out.line(&match done {
                        Ok(()) => result_ok("disconnect").finish(),
                        Err(e) => result_err(Some("disconnect"), command_error(&e)),
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
    // The driver is gone, so whatever is still pending settles now.
    while let Some(line) = pending.next().await {
        out.line(&line);
    }
    match (signalled, failure) {
        (Some(code), _) => Outcome::Signalled(code),
        (None, Some(e)) => Outcome::Failed(e),
        (None, None) => Outcome::Done,
    }
}

fn main() -> ExitCode {
    rtm_examples::init_tracing();
    let args = Args::parse();
    let usage = |e: &dyn std::fmt::Display| {
        eprintln!("socket-tail: {e}");
        ExitCode::from(2)
    };
    let Some(app_token) = given(args.app_token) else {
        return usage(
            &"no app-level token: set SLACK_APP_TOKEN (it is empty or unset) or pass --app-token \
              (xapp-…)",
        );
    };
    let drain = Duration::try_from_secs_f64(args.drain_timeout).unwrap_or(Duration::ZERO);
    let mut builder = SocketModeBuilder::new(app_token)
        .api_url(args.api_url)
        .allow_insecure(args.insecure)
        .auto_ack(!args.manual_ack);
    if let Some(bot) = given(args.bot_token) {
        builder = builder.bot_token(bot);
    }
    // Checked before anything runs: a wrong token kind or a refused URL is a one-line error.
    if let Err(e) = builder.validate() {
        let hint = match e {
            Error::InsecureUrl { .. } => "; pass --insecure to allow it",
            _ => "",
        };
        return usage(&format!("{e}{hint}"));
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("socket-tail: cannot start the tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let stdin = spawn_stdin_reader();
    let outcome = runtime.block_on(async {
        let signals = signals().map_err(|e| format!("cannot listen for signals: {e}"))?;
        let client = builder.build().map_err(|e| e.to_string())?;
        Ok::<_, String>(run(client, args.manual_ack, args.lossy, drain, stdin, signals).await)
    });
    // The stdin thread may be blocked in a read: do not wait for it.
    runtime.shutdown_background();
    match outcome {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::Signalled(code)) => ExitCode::from(code),
        Ok(Outcome::Failed(e)) | Err(e) => {
            eprintln!("socket-tail: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_commands() {
        assert_eq!(
            parse_line("ack 1234-abcd"),
            Ok(Command::Ack {
                envelope_id: "1234-abcd".into(),
                payload: None
            })
        );
        assert_eq!(
            parse_line(r#"ack e1 {"text": "hi there"}"#),
            Ok(Command::Ack {
                envelope_id: "e1".into(),
                payload: Some(json!({"text": "hi there"}))
            })
        );
        assert!(parse_line("ack e1 [1]").is_err());
        assert!(parse_line("ack").is_err());
        assert_eq!(
            parse_line("post C0GENERAL hello  world"),
            Ok(Command::Post {
                channel: "C0GENERAL".into(),
                thread_ts: None,
                text: "hello  world".into()
            })
        );
        assert_eq!(
            parse_line("post C0GENERAL 1700000000.000100 in the thread"),
            Ok(Command::Post {
                channel: "C0GENERAL".into(),
                thread_ts: Some("1700000000.000100".into()),
                text: "in the thread".into()
            })
        );
        // A ts alone is the text.
        assert_eq!(
            parse_line("post C0GENERAL 1700000000.000100"),
            Ok(Command::Post {
                channel: "C0GENERAL".into(),
                thread_ts: None,
                text: "1700000000.000100".into()
            })
        );
        assert!(parse_line("post C0GENERAL").is_err());
        assert_eq!(parse_line("disconnect"), Ok(Command::Disconnect));
        assert_eq!(parse_line("frobnicate x").unwrap_err().0, None);
    }

    #[test]
    fn snake_case_names() {
        assert_eq!(
            snake(rtm_tokio::RefreshReason::RefreshRequested),
            "refresh_requested"
        );
        assert_eq!(snake(rtm_tokio::RefreshReason::Warning), "warning");
        assert_eq!(snake(rtm_tokio::AckError::AlreadyAcked), "already_acked");
    }
}
