//! Shared test support: a virtual clock around the client, helpers to pick actions apart, and
//! [`FakeSlack`], a small well-behaved Slack that performs the client's actions.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use rtm_proto::{
    Action, Client, Config, ConnId, Event, Input, Outgoing, RtmError, SendError, SendHandle,
    SendMode, Sent, StartOptions, State, WebResponse,
};
use serde_json::Value;

pub const TOKEN: &str = "xoxb-1234-SECRET-TOKEN-abcdef";

pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

pub fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// The body of a good `rtm.connect` answer.
pub fn ok_body(url: &str) -> String {
    format!(
        r#"{{"ok":true,"url":"{url}","self":{{"id":"U4X318ZMZ","name":"robotoverlord"}},"team":{{"id":"T2U81E2FP","name":"SlackDemo","domain":"slackdemo"}}}}"#
    )
}

pub fn web_ok(conn: ConnId) -> Input {
    Input::WebApiResult {
        conn,
        result: Ok(WebResponse {
            status: 200,
            retry_after: None,
            location: None,
            body: ok_body(&format!("wss://fake.slack/{}", conn.0)),
        }),
    }
}

pub fn web_status(conn: ConnId, status: u16, retry_after: Option<&str>, body: &str) -> Input {
    Input::WebApiResult {
        conn,
        result: Ok(WebResponse {
            status,
            retry_after: retry_after.map(str::to_owned),
            location: None,
            body: body.to_owned(),
        }),
    }
}

pub fn web_error(conn: ConnId, error: &str) -> Input {
    web_status(
        conn,
        200,
        None,
        &format!(r#"{{"ok":false,"error":"{error}"}}"#),
    )
}

pub fn text(conn: ConnId, t: &str) -> Input {
    Input::WsText {
        conn,
        text: t.to_owned(),
    }
}

pub fn hello(conn: ConnId) -> Input {
    text(conn, r#"{"type":"hello"}"#)
}

pub fn closed(conn: ConnId, code: u16) -> Input {
    Input::WsClosed {
        conn,
        code,
        reason: String::new(),
    }
}

pub fn ack(id: u64) -> String {
    format!(r#"{{"ok":true,"reply_to":{id},"ts":"1355517523.{id:06}","text":"Hello world"}}"#)
}

pub fn message(h: u64, channel: &str, t: &str) -> Input {
    Input::Send {
        handle: SendHandle(h),
        outgoing: Outgoing::message(t, channel),
    }
}

pub fn immediate(h: u64, kind: &str, body: Value) -> Input {
    Input::Send {
        handle: SendHandle(h),
        outgoing: Outgoing {
            kind: kind.to_owned(),
            body,
            mode: SendMode::Immediate,
        },
    }
}

pub fn queued(h: u64, kind: &str, body: Value, await_reply: bool) -> Input {
    Input::Send {
        handle: SendHandle(h),
        outgoing: Outgoing {
            kind: kind.to_owned(),
            body,
            mode: SendMode::Queued { await_reply },
        },
    }
}

// ---- picking actions apart ----

pub fn web_call(actions: &[Action]) -> Option<ConnId> {
    actions.iter().find_map(|a| match a {
        Action::CallWebApi { conn, .. } => Some(*conn),
        _ => None,
    })
}

pub fn opened(actions: &[Action]) -> Option<(ConnId, String)> {
    actions.iter().find_map(|a| match a {
        Action::OpenWebSocket { conn, url } => Some((*conn, url.clone())),
        _ => None,
    })
}

/// Frames written, as JSON.
pub fn written(actions: &[Action]) -> Vec<Value> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::SendText { text, .. } => Some(serde_json::from_str(text).expect("JSON frame")),
            _ => None,
        })
        .collect()
}

pub fn written_ids(actions: &[Action]) -> Vec<u64> {
    written(actions)
        .iter()
        .map(|v| v["id"].as_u64().expect("id"))
        .collect()
}

pub fn events(actions: &[Action]) -> Vec<&Event> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Emit(e) => Some(e),
            _ => None,
        })
        .collect()
}

/// Lifecycle event names (not Slack events nor outgoing messages).
pub fn lifecycle(actions: &[Action]) -> Vec<&str> {
    events(actions)
        .into_iter()
        .filter(|e| !matches!(e, Event::Slack(_) | Event::OutgoingMessage { .. }))
        .map(|e| e.name())
        .collect()
}

pub fn settles(actions: &[Action]) -> Vec<(SendHandle, Result<Sent, SendError>)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Settle { handle, result } => Some((*handle, result.clone())),
            _ => None,
        })
        .collect()
}

pub fn settle_of(actions: &[Action], h: u64) -> Option<Result<Sent, SendError>> {
    let all: Vec<_> = settles(actions)
        .into_iter()
        .filter(|(handle, _)| *handle == SendHandle(h))
        .collect();
    assert!(all.len() <= 1, "handle {h} settled twice: {all:?}");
    all.into_iter().next().map(|(_, r)| r)
}

pub fn start_settled(
    actions: &[Action],
) -> Option<Result<std::sync::Arc<rtm_proto::ConnectInfo>, RtmError>> {
    let all: Vec<_> = actions
        .iter()
        .filter_map(|a| match a {
            Action::StartSettled(r) => Some(r.clone()),
            _ => None,
        })
        .collect();
    assert!(all.len() <= 1, "start settled twice in one step: {all:?}");
    all.into_iter().next()
}

pub fn is_ignored(actions: &[Action]) -> bool {
    matches!(actions, [Action::Ignored { .. }])
}

pub fn reconnecting(actions: &[Action]) -> Option<(u32, Duration, RtmError)> {
    events(actions).into_iter().find_map(|e| match e {
        Event::Reconnecting {
            attempt,
            delay,
            reason,
        } => Some((*attempt, *delay, reason.clone())),
        _ => None,
    })
}

pub fn disconnected(actions: &[Action]) -> Option<Option<RtmError>> {
    events(actions).into_iter().find_map(|e| match e {
        Event::Disconnected { error } => Some(error.clone()),
        _ => None,
    })
}

// ---- the client on a virtual clock ----

/// A client, a virtual clock (`t0` plus what has been advanced) and a log of every action.
pub struct H {
    pub client: Client,
    pub t0: Instant,
    pub now: Instant,
    pub log: Vec<Action>,
}

impl H {
    pub fn new(config: Config) -> H {
        let t0 = Instant::now();
        H {
            client: Client::new(config).expect("valid config"),
            t0,
            now: t0,
            log: Vec::new(),
        }
    }

    pub fn default() -> H {
        H::new(Config::default())
    }

    pub fn state(&self) -> State {
        self.client.state()
    }

    pub fn elapsed(&self) -> Duration {
        self.now - self.t0
    }

    pub fn advance(&mut self, d: Duration) {
        self.now += d;
    }

    pub fn input(&mut self, input: Input) -> Vec<Action> {
        let actions = self.client.handle_input(self.now, input);
        self.log.extend(actions.iter().cloned());
        actions
    }

    /// Moves the clock by `d` and ticks.
    pub fn tick_after(&mut self, d: Duration) -> Vec<Action> {
        self.advance(d);
        self.input(Input::Tick)
    }

    /// Moves the clock to the next deadline (which must exist) and ticks.
    pub fn tick_deadline(&mut self) -> Vec<Action> {
        let at = self.client.next_deadline().expect("a deadline");
        assert!(at >= self.now, "deadline in the past");
        self.now = at;
        self.input(Input::Tick)
    }

    pub fn start(&mut self) -> Vec<Action> {
        self.input(Input::Start(StartOptions::new(TOKEN)))
    }

    /// From disconnected: start, web call, socket, hello. Returns the attempt and all actions.
    pub fn connect(&mut self) -> (ConnId, Vec<Action>) {
        let mut all = self.start();
        let conn = web_call(&all).expect("web call");
        all.extend(self.establish(conn));
        (conn, all)
    }

    /// From authenticating `conn`: web call answered, socket opened, hello.
    pub fn establish(&mut self, conn: ConnId) -> Vec<Action> {
        let mut all = self.input(web_ok(conn));
        assert!(opened(&all).is_some(), "socket opened: {all:?}");
        all.extend(self.input(Input::WsOpened { conn }));
        all.extend(self.input(hello(conn)));
        all
    }

    /// A ready client.
    pub fn ready(config: Config) -> (H, ConnId) {
        let mut h = H::new(config);
        let (conn, _) = h.connect();
        assert_eq!(h.state(), State::Connected(rtm_proto::Connected::Ready));
        (h, conn)
    }
}

// ---- a well-behaved fake Slack ----

/// A small Slack that performs the client's actions as the real one does when all is well:
/// answers web calls, opens sockets and says hello, acks every frame that expects a reply,
/// answers pings with pongs, and completes close handshakes.
#[derive(Debug, Default)]
pub struct FakeSlack {
    /// Inputs to feed, in order.
    pub inbox: VecDeque<Input>,
    /// Answer `message` frames with an error reply instead of an ack.
    pub refuse_messages: bool,
}

impl FakeSlack {
    /// Turns actions into the inputs Slack and the transport would cause.
    pub fn perform(&mut self, actions: &[Action]) {
        for a in actions {
            match a {
                Action::CallWebApi { conn, .. } => self.inbox.push_back(web_ok(*conn)),
                Action::OpenWebSocket { conn, .. } => {
                    self.inbox.push_back(Input::WsOpened { conn: *conn });
                    self.inbox.push_back(hello(*conn));
                }
                Action::SendText { conn, text: t } => {
                    let v: Value = serde_json::from_str(t).expect("client frames are JSON");
                    let id = v["id"].as_u64().expect("client frames have ids");
                    let reply = match v["type"].as_str() {
                        Some("ping") => Some(format!(
                            r#"{{"type":"pong","reply_to":{id},"time":{}}}"#,
                            v["time"]
                        )),
                        Some("typing") | Some("presence_sub") => None,
                        Some("message") if self.refuse_messages => Some(format!(
                            r#"{{"ok":false,"reply_to":{id},"error":{{"code":2,"msg":"message text is missing"}}}}"#
                        )),
                        _ => Some(ack(id)),
                    };
                    if let Some(r) = reply {
                        self.inbox.push_back(text(*conn, &r));
                    }
                }
                Action::CloseWebSocket { conn, code } => self.inbox.push_back(Input::WsClosed {
                    conn: *conn,
                    code: *code,
                    reason: String::new(),
                }),
                Action::CallApi { call, form, .. } => {
                    let channel = form
                        .iter()
                        .find(|(k, _)| k == "channel")
                        .map_or("C0", |(_, v)| v.as_str());
                    let body =
                        format!(r#"{{"ok":true,"channel":"{channel}","ts":"1.{}"}}"#, call.0);
                    self.inbox.push_back(Input::ApiResult {
                        call: *call,
                        result: Ok(WebResponse {
                            status: 200,
                            retry_after: None,
                            location: None,
                            body,
                        }),
                    });
                }
                Action::DropWebSocket { .. }
                | Action::ApiSettled { .. }
                | Action::SendPing { .. }
                | Action::SocketMode(_)
                | Action::Emit(_)
                | Action::DisconnectSettled
                | Action::Settle { .. }
                | Action::StartSettled(_)
                | Action::Ignored { .. } => {}
            }
        }
    }

    /// Feeds every pending input (and what it causes) at the current time.
    pub fn settle(&mut self, h: &mut H) -> Vec<Action> {
        let mut all = Vec::new();
        let mut steps = 0;
        while let Some(input) = self.inbox.pop_front() {
            steps += 1;
            assert!(steps < 100_000, "the fake Slack and the client loop");
            let actions = h.input(input);
            self.perform(&actions);
            all.extend(actions);
        }
        all
    }

    /// Runs the exchange with virtual time until `done` holds (checked after every step) or
    /// `limit` of virtual time passes; returns when it held, as time since the call.
    pub fn run_until(
        &mut self,
        h: &mut H,
        limit: Duration,
        mut done: impl FnMut(&H) -> bool,
    ) -> Option<Duration> {
        let begin = h.now;
        for _ in 0..100_000 {
            self.settle(h);
            if done(h) {
                return Some(h.now - begin);
            }
            let next = h.client.next_deadline()?;
            if next > begin + limit {
                return None;
            }
            if next > h.now {
                h.now = next;
            }
            let actions = h.input(Input::Tick);
            self.perform(&actions);
            if done(h) {
                return Some(h.now - begin);
            }
        }
        panic!("no progress: the client keeps asking for ticks without moving on");
    }
}
