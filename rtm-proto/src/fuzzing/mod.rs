//! Fuzzing harnesses, shared by the cargo-fuzz targets in `fuzz/` and the corpus replay test
//! (`tests/fuzz_corpus.rs`), so that CI runs the same logic without a nightly toolchain.
//!
//! Not part of the API: each function panics when an invariant of the core is broken, which
//! is what a fuzzer looks for.

mod socket_mode;

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::invariants::Invariants;
use crate::{
    Action, ApiRequest, CallId, ChatPostMessage, Client, Config, ConnId, Connected, Event, Input,
    Outgoing, Pacing, RetryLimit, RetryPolicy, RtmError, SendHandle, SendMode, SlackEvent,
    StartOptions, State, TransportError, WebResponse,
};

pub use socket_mode::{Reached, socket_mode_inputs};

const TOKEN: &str = "xoxb-fuzz-token";

fn ok_body(conn: ConnId) -> String {
    format!(
        r#"{{"ok":true,"url":"wss://fuzz/{}","self":{{"id":"U1","name":"bot"}},"team":{{"id":"T1","name":"Team","domain":"team"}}}}"#,
        conn.0
    )
}

/// One fuzzed frame (the bytes, lossily UTF-8) fed to a ready client that awaits replies to
/// ids 1 and 2, to the event parser, and to the connect-answer reader. Checks the core's
/// reading of `type`, `subtype` and `reply_to` against `serde_json::Value`, and its fast
/// scanner against its serde_json reading, and Socket Mode's envelope scanner against its
/// serde reading.
pub fn frames(data: &[u8]) {
    let raw = String::from_utf8_lossy(data).into_owned();
    let expected = serde_json::from_str::<Value>(&raw);

    // The fast scanner declines or agrees with the serde_json reading.
    if let Some(fast) = crate::frame::scan::peek(&raw) {
        match crate::frame::visitor::peek(&raw) {
            Ok(slow) => assert_eq!(fast, slow, "{raw:?}"),
            Err(e) => panic!("the scanner accepted what serde_json refuses ({e}): {raw:?}"),
        }
    }

    // The envelope scanner declines or reads what the serde reader reads.
    if crate::socket_mode_wire::scan::envelope(&raw).is_some() {
        let conn = ConnId(1);
        let fast = crate::socket_mode_wire::frame::read(conn, raw.clone());
        let slow = crate::socket_mode_wire::frame::read_serde(conn, &raw);
        assert!(
            fast.is_ok(),
            "the envelope scanner took {raw:?}, read as {fast:?}"
        );
        assert_eq!(fast, slow, "{raw:?}");
    }

    // The parser alone.
    let parsed = SlackEvent::from_json(raw.clone());
    match (&parsed, &expected) {
        (Ok(e), Ok(Value::Object(map))) => {
            assert_eq!(e.event_type(), map.get("type").and_then(Value::as_str));
            assert_eq!(e.subtype(), map.get("subtype").and_then(Value::as_str));
            assert_eq!(e.reply_to(), map.get("reply_to").and_then(Value::as_u64));
            assert_eq!(e.raw(), raw);
            let _ = e.typed();
            let _ = e.matches("message::bot_message");
            let _ = e.json();
        }
        (Err(_), Ok(Value::Object(_))) => panic!("a JSON object refused: {raw:?}"),
        (Ok(e), Ok(_)) => panic!("not a JSON object, yet read as {e:?}"),
        // `Value` refuses strings it cannot hold (a lone surrogate such as `\ude00`) even in
        // fields the core skips; such a frame is still syntactically an object, and is passed
        // on raw.
        (Ok(e), Err(_)) => {
            assert!(raw.trim_start().starts_with('{'), "not an object: {e:?}");
            assert!(
                serde_json::from_str::<serde::de::IgnoredAny>(&raw).is_ok(),
                "not JSON, yet read as {e:?}"
            );
        }
        (Err(_), _) => {}
    }

    // The client, ready, with two replies awaited.
    let t0 = Instant::now();
    let config = Config {
        pacing: None,
        ..Config::default()
    };
    let mut client = Client::new(config).expect("valid config");
    let conn = ConnId(1);
    client.handle_input(t0, Input::Start(StartOptions::new(TOKEN)));
    client.handle_input(
        t0,
        Input::WebApiResult {
            conn,
            result: Ok(WebResponse {
                status: 200,
                retry_after: None,
                location: None,
                body: ok_body(conn),
            }),
        },
    );
    client.handle_input(t0, Input::WsOpened { conn });
    client.handle_input(
        t0,
        Input::WsText {
            conn,
            text: r#"{"type":"hello"}"#.into(),
        },
    );
    assert_eq!(client.state(), State::Connected(Connected::Ready));
    for h in 1..=2 {
        client.handle_input(
            t0,
            Input::Send {
                handle: SendHandle(h),
                outgoing: Outgoing::message("fuzz", "C1"),
            },
        );
    }
    let actions = client.handle_input(
        t0,
        Input::WsText {
            conn,
            text: raw.clone(),
        },
    );
    match &parsed {
        Ok(event) => {
            assert!(
                actions
                    .iter()
                    .any(|a| matches!(a, Action::Emit(Event::Slack(e)) if e.raw() == raw)),
                "an object is passed on: {actions:?}"
            );
            let settled: Vec<_> = actions
                .iter()
                .filter_map(|a| match a {
                    Action::Settle { handle, .. } => Some(handle.0),
                    _ => None,
                })
                .collect();
            match event.reply_to() {
                Some(id @ 1..=2) => assert_eq!(settled, [id]),
                _ => assert!(settled.is_empty(), "{actions:?}"),
            }
        }
        Err(_) => assert!(
            matches!(
                &actions[..],
                [Action::Emit(Event::Error(RtmError::MalformedFrame { .. }))]
            ),
            "{actions:?}"
        ),
    }
    let state = client.state();
    assert!(
        state == State::Connected(Connected::Ready) || client.next_deadline().is_some(),
        "{state:?}"
    );

    // The same bytes as the answer of rtm.connect.
    let mut client = Client::new(Config::default()).expect("valid config");
    client.handle_input(t0, Input::Start(StartOptions::new(TOKEN)));
    let actions = client.handle_input(
        t0,
        Input::WebApiResult {
            conn,
            result: Ok(WebResponse {
                status: 200,
                retry_after: Some(raw.clone()),
                location: None,
                body: raw,
            }),
        },
    );
    assert!(!actions.is_empty());
    let state = client.state();
    assert!(state == State::Disconnected || client.next_deadline().is_some());
}

/// Reads the fuzzer's bytes as a script.
struct Script<'a>(&'a [u8]);

impl Script<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(*b)
    }

    fn arg(&mut self) -> u8 {
        self.byte().unwrap_or(0)
    }

    fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.arg(), self.arg()])
    }

    fn bytes(&mut self, n: usize) -> &[u8] {
        let n = n.min(self.0.len());
        let (b, rest) = self.0.split_at(n);
        self.0 = rest;
        b
    }
}

const FRAMES: &[&str] = &[
    r#"{"type":"hello"}"#,
    r#"{"type":"message","channel":"C1","user":"U1","text":"hi","ts":"1.1"}"#,
    r#"{"type":"message","subtype":"bot_message","channel":"C1","bot_id":"B1","text":"x"}"#,
    r#"{"type":"user_typing","channel":"C1","user":"U1"}"#,
    r#"{"type":"goodbye"}"#,
    r#"{"type":"team_migration_started"}"#,
    r#"{"type":"error","error":{"code":1,"msg":"Socket URL has expired"}}"#,
    r#"{"type":"reconnect_url","url":"wss://x"}"#,
    "not json",
    r#"["hello"]"#,
];

/// A client and the shared invariant checks on everything it does.
struct Checked {
    client: Client,
    now: Instant,
    conn: ConnId,
    next_handle: u64,
    /// The last Web API call made, and the calls sent (most recent last).
    next_call: u64,
    calls_out: Vec<CallId>,
    check: Invariants,
    log: Vec<Action>,
}

impl Checked {
    fn feed(&mut self, input: Input) {
        let actions = self.check.feed(&mut self.client, self.now, input);
        for a in &actions {
            match a {
                Action::CallWebApi { conn, .. } => self.conn = *conn,
                Action::CallApi { call, .. } => {
                    self.calls_out.push(*call);
                    if self.calls_out.len() > 8 {
                        self.calls_out.remove(0);
                    }
                }
                _ => {}
            }
        }
        self.log.extend(actions);
    }

    fn last_id(&self) -> u64 {
        self.check.written().last().copied().unwrap_or(0)
    }

    fn handle(&mut self) -> SendHandle {
        self.next_handle += 1;
        SendHandle(self.next_handle)
    }

    /// A Web API call: a post (paced per channel), a generic call, an invalid one, or a
    /// duplicate id.
    fn api_call(&mut self, b: u8) -> Input {
        let request = match b % 5 {
            0 | 1 => ApiRequest::chat_post_message(
                TOKEN,
                &ChatPostMessage::new(format!("C{}", b % 3), "hi"),
            ),
            2 => ApiRequest::new("conversations.info", TOKEN).param("channel", "C1"),
            3 => ApiRequest::new(if b & 0x80 == 0 { "bad method" } else { "" }, TOKEN),
            _ => ApiRequest::chat_post_message(TOKEN, &ChatPostMessage::new("C1", "")),
        };
        if b & 0x40 == 0 || self.next_call == 0 {
            self.next_call += 1;
        }
        Input::ApiCall {
            call: CallId(self.next_call),
            request,
        }
    }

    /// An answer to a recent `CallApi` (or to a call never sent).
    fn api_result(&mut self, pick: u8, kind: u8, retry_after: u8) -> Input {
        let call = self
            .calls_out
            .iter()
            .rev()
            .nth(usize::from(pick & 7))
            .copied()
            .unwrap_or(CallId(u64::from(pick)));
        let answer = |status: u16, body: &str| {
            Ok(WebResponse {
                status,
                retry_after: Some(retry_after.to_string()),
                location: None,
                body: body.to_owned(),
            })
        };
        let result = match kind % 9 {
            0 | 1 => answer(200, r#"{"ok":true,"channel":"C1","ts":"1.1"}"#),
            2 => answer(200, r#"{"ok":false,"error":"channel_not_found"}"#),
            3 => answer(200, r#"{"ok":false,"error":"ratelimited"}"#),
            4 => answer(429, ""),
            5 => answer(if kind & 0x80 == 0 { 503 } else { 302 }, ""),
            6 => Err(TransportError::retryable("reset")),
            7 => Err(TransportError::fatal("certificate")),
            _ => answer(200, "<html>"),
        };
        Input::ApiResult { call, result }
    }

    fn conn(&self, b: u8) -> ConnId {
        if b & 0x80 != 0 {
            ConnId(self.conn.0.wrapping_sub(u64::from(b & 3)))
        } else {
            self.conn
        }
    }
}

fn run_script(data: &[u8]) -> Vec<Action> {
    let mut s = Script(data);
    let flags = s.arg();
    let limit = if flags & 0x80 == 0 {
        RetryLimit::Attempts(u32::from(flags & 7))
    } else {
        RetryLimit::Forever
    };
    let config = Config {
        seed: u64::from(s.u16()),
        auto_reconnect: flags & 1 == 0,
        use_rtm_connect: flags & 2 == 0,
        pacing: (flags & 4 == 0).then_some(Pacing::default()),
        reply_timeout: (flags & 8 == 0).then_some(Duration::from_secs(u64::from(flags >> 4) + 1)),
        queue_limit: if flags & 0x40 != 0 { 3 } else { 1024 },
        retry: RetryPolicy {
            first_start: limit,
            reconnect: limit,
            ..RetryPolicy::default()
        },
        ..Config::default()
    };
    let mut c = Checked {
        client: Client::new(config).expect("valid config"),
        now: Instant::now(),
        conn: ConnId(0),
        next_handle: 0,
        next_call: 0,
        calls_out: Vec::new(),
        check: Invariants::new(),
        log: Vec::new(),
    };
    let mut steps = 0;
    while let Some(op) = s.byte() {
        steps += 1;
        if steps > 2000 {
            break;
        }
        let input = match op % 25 {
            0 => Input::Start(StartOptions::new(TOKEN)),
            1 => Input::Disconnect,
            2 => {
                let b = s.arg();
                let handle = c.handle();
                let (kind, body) = match b % 4 {
                    0 => ("custom".to_owned(), json!({"n": b})),
                    1 => (
                        "message".to_owned(),
                        json!({"channel": format!("C{}", b % 3), "text": "x"}),
                    ),
                    2 => ("".to_owned(), Value::Null),
                    _ => (
                        "big".to_owned(),
                        json!({"blob": "x".repeat(usize::from(b) * 80)}),
                    ),
                };
                Input::Send {
                    handle,
                    outgoing: Outgoing {
                        kind,
                        body,
                        mode: SendMode::Immediate,
                    },
                }
            }
            3 => {
                let b = s.arg();
                let handle = c.handle();
                Input::Send {
                    handle,
                    outgoing: Outgoing {
                        kind: "custom".into(),
                        body: json!({}),
                        mode: SendMode::Queued {
                            await_reply: b & 1 == 0,
                        },
                    },
                }
            }
            4 => {
                let b = s.arg();
                let handle = c.handle();
                Input::Send {
                    handle,
                    outgoing: Outgoing::message("hello", &format!("C{}", b % 3)),
                }
            }
            5 => {
                let handle = c.handle();
                Input::Send {
                    handle,
                    outgoing: Outgoing::typing("C1"),
                }
            }
            6 => {
                let handle = c.handle();
                Input::Send {
                    handle,
                    outgoing: Outgoing::presence_sub(&["U1", "U2"]),
                }
            }
            7 => {
                let conn = c.conn(s.arg());
                Input::WebApiResult {
                    conn,
                    result: Ok(WebResponse {
                        status: 200,
                        retry_after: None,
                        location: None,
                        body: ok_body(conn),
                    }),
                }
            }
            8 => {
                let kind = s.arg();
                let retry_after = s.arg();
                let conn = c.conn;
                let (status, body) = match kind % 5 {
                    0 => (500, String::new()),
                    1 => (429, r#"{"ok":false,"error":"ratelimited"}"#.to_owned()),
                    2 => (200, r#"{"ok":false,"error":"internal_error"}"#.to_owned()),
                    3 => (200, r#"{"ok":false,"error":"invalid_auth"}"#.to_owned()),
                    _ => (200, "<html>".to_owned()),
                };
                Input::WebApiResult {
                    conn,
                    result: if kind & 0x80 != 0 {
                        Err("connection refused".into())
                    } else {
                        Ok(WebResponse {
                            status,
                            retry_after: Some(retry_after.to_string()),
                            location: None,
                            body,
                        })
                    },
                }
            }
            9 => Input::WsOpened {
                conn: c.conn(s.arg()),
            },
            10 => {
                let b = s.arg();
                Input::WsText {
                    conn: c.conn(b),
                    text: FRAMES[usize::from(b) % FRAMES.len()].into(),
                }
            }
            11 => {
                let n = usize::from(s.arg());
                let text = String::from_utf8_lossy(s.bytes(n)).into_owned();
                Input::WsText { conn: c.conn, text }
            }
            12 => {
                // A reply to a recent id, ok or not.
                let b = s.arg();
                let id = c
                    .check
                    .written()
                    .iter()
                    .rev()
                    .nth(usize::from(b & 3))
                    .copied()
                    .unwrap_or(1);
                let text = if b & 4 == 0 {
                    format!(r#"{{"ok":true,"reply_to":{id},"ts":"1.{id}"}}"#)
                } else {
                    format!(r#"{{"ok":false,"reply_to":{id},"error":{{"code":2,"msg":"no"}}}}"#)
                };
                Input::WsText { conn: c.conn, text }
            }
            13 => {
                let b = s.arg();
                let text = format!(r#"{{"ok":true,"reply_to":{}}}"#, u64::from(b) * 1000 + 7);
                Input::WsText { conn: c.conn, text }
            }
            14 => {
                let text = format!(r#"{{"type":"pong","reply_to":{}}}"#, c.last_id());
                Input::WsText { conn: c.conn, text }
            }
            15 => Input::WsClosed {
                conn: c.conn(s.arg()),
                code: 1006,
                reason: String::new(),
            },
            16 => Input::WsError {
                conn: c.conn,
                error: "reset".into(),
            },
            17 => Input::WsBinary {
                conn: c.conn,
                len: usize::from(s.arg()),
            },
            18 => {
                c.now += Duration::from_millis(u64::from(s.u16()) * 4);
                Input::Tick
            }
            19 => {
                if let Some(at) = c.client.next_deadline()
                    && at > c.now
                {
                    c.now = at;
                }
                Input::Tick
            }
            20 => Input::ReadPaused {
                conn: c.conn(s.arg()),
            },
            21 => Input::ReadResumed {
                conn: c.conn(s.arg()),
            },
            22 => {
                let b = s.arg();
                c.api_call(b)
            }
            23 => {
                let (pick, kind, retry_after) = (s.arg(), s.arg(), s.arg());
                c.api_result(pick, kind, retry_after)
            }
            _ => {
                c.now += Duration::from_millis(u64::from(s.arg()) * 10);
                continue;
            }
        };
        c.feed(input);
    }
    c.feed(Input::Shutdown);
    c.check.assert_all_settled();
    c.log
}

/// The fuzzer's bytes as a configuration and a sequence of inputs (user commands, transport
/// results, frames, Web API calls and their answers, time). Checks: no panic, every send and
/// every Web API call settles exactly once, no `CallApi` for a settled call, ids on the wire
/// grow, no transient state without a deadline, and the same bytes give the same actions.
pub fn inputs(data: &[u8]) {
    let first = run_script(data);
    let second = run_script(data);
    assert!(first == second, "the same inputs gave different actions");
}
