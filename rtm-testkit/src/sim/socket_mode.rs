//! The Socket Mode simulation: an [`rtm_proto::SocketModeClient`] and the [`SlackModel`]'s
//! Socket Mode joined by a simulated network on virtual time, as [`Sim`](super::Sim) does for
//! RTM. Each hop takes the one-way latency; the transport is performed as an adapter would,
//! holding as many sockets as the client asks for (so a client that stacks them is seen).
//! The model's WebSocket layer answers client pings with pongs, except on a half-open socket.
//!
//! The user is simulated too: every delivered envelope is acked after
//! [`ack_delay`](SocketModeSim::set_ack_delay) (unless the client auto-acks), so slow
//! handlers and the redeliveries they cause are part of a run.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use rtm_proto::invariants::SocketModeInvariants;
use rtm_proto::{
    Action, ConnId, Input, SocketModeClient, SocketModeConfig, SocketModeEvent, StartOptions,
    State, WebResponse,
};
use serde_json::Value;

use crate::model::{
    self, DEFAULT_APP_TOKEN, Fault, HttpRequest, ServerAction, SlackModel, Target, WireFrame,
    Workspace,
};

/// After this many client ticks in a row at one instant, its deadline is stuck.
const SPIN_LIMIT: u32 = 10_000;

#[derive(Debug, Clone, Copy, Default)]
struct Sock {
    model: Option<model::SocketId>,
    /// Dropped by the client, or its end was delivered: nothing more reaches it.
    gone: bool,
    /// The half-open fault: nothing passes either way.
    half_open: bool,
}

#[derive(Debug, Clone)]
enum Packet {
    Input(Input),
    Http {
        conn: ConnId,
        req: HttpRequest,
    },
    Open {
        conn: ConnId,
        query: String,
    },
    Text {
        conn: ConnId,
        text: String,
    },
    Ping {
        conn: ConnId,
    },
    Close {
        conn: ConnId,
        code: u16,
    },
    Drop {
        conn: ConnId,
    },
    /// The simulated user acks an envelope.
    UserAck {
        envelope_id: String,
    },
}

/// A Socket Mode client talking to a [`SlackModel`] on virtual time; see the module docs.
#[derive(Debug)]
pub struct SocketModeSim {
    client: SocketModeClient,
    model: SlackModel,
    origin: Instant,
    now: Duration,
    latency: Duration,
    ack_delay: Duration,
    queue: BTreeMap<(Duration, u64), Packet>,
    seq: u64,
    sockets: BTreeMap<ConnId, Sock>,
    by_model: BTreeMap<model::SocketId, ConnId>,
    token: String,
    delivered: Vec<String>,
    max_sockets: usize,
    violations: Vec<String>,
    /// The core's invariants, checked on every step (the checker the fuzz harness uses).
    check: SocketModeInvariants,
    spin: u32,
    log: Vec<(Duration, Input, Vec<Action>)>,
}

impl SocketModeSim {
    /// A client with `config` and a Slack serving `workspace`; `start` uses its first app's
    /// token.
    pub fn new(
        config: SocketModeConfig,
        workspace: Workspace,
    ) -> Result<Self, rtm_proto::ConfigError> {
        let token = workspace
            .apps
            .first()
            .map(|a| a.token.clone())
            .unwrap_or_else(|| DEFAULT_APP_TOKEN.to_owned());
        Ok(SocketModeSim {
            client: SocketModeClient::new(config)?,
            model: SlackModel::new(workspace),
            origin: Instant::now(),
            now: Duration::ZERO,
            latency: super::DEFAULT_LATENCY,
            ack_delay: Duration::from_millis(50),
            queue: BTreeMap::new(),
            seq: 0,
            sockets: BTreeMap::new(),
            by_model: BTreeMap::new(),
            token,
            delivered: Vec::new(),
            max_sockets: 0,
            violations: Vec::new(),
            check: SocketModeInvariants::new(),
            spin: 0,
            log: Vec::new(),
        })
    }

    /// How long the simulated user takes to ack each envelope.
    pub fn set_ack_delay(&mut self, d: Duration) {
        self.ack_delay = d;
    }

    /// The model's Socket Mode timings.
    pub fn set_model_config(&mut self, config: model::SocketModeConfig) {
        self.model.set_socket_mode_config(config);
    }

    /// `start()`.
    pub fn start(&mut self) {
        let token = self.token.clone();
        self.feed(Input::Start(StartOptions::new(token)));
    }

    /// `disconnect()`.
    pub fn disconnect(&mut self) {
        self.feed(Input::Disconnect);
    }

    /// A fault on the app's connections now.
    pub fn inject(&mut self, target: Target, fault: Fault) {
        let now = self.instant();
        let actions = self.model.inject(now, target, fault);
        self.server_actions(actions);
    }

    /// A fault on the next `times` web calls.
    pub fn arm_web_fault(&mut self, fault: model::WebFault, times: u32) {
        self.model.arm_web_fault(fault, times);
    }

    /// A raw text frame from Slack on every open connection.
    pub fn push(&mut self, text: &str) {
        let now = self.instant();
        let actions = self
            .model
            .push(now, Target::All, WireFrame::Text(text.to_owned()));
        self.server_actions(actions);
    }

    /// Slack posts an envelope of `kind` to the app now; returns its id.
    pub fn post_envelope(&mut self, kind: &str, payload: &Value, accepts: bool) -> Option<String> {
        let now = self.instant();
        let (id, actions) = self
            .model
            .post_envelope(now, None, kind, payload, accepts)
            .ok()?;
        self.server_actions(actions);
        Some(id)
    }

    /// Runs every event up to `now + d`.
    pub fn run_for(&mut self, d: Duration) {
        let end = self.now + d;
        while let Some(at) = self.next_event_at().filter(|at| *at <= end) {
            self.now = self.now.max(at);
            self.step();
        }
        self.now = end;
    }

    /// The client.
    pub fn client(&self) -> &SocketModeClient {
        &self.client
    }

    /// The client's state.
    pub fn state(&self) -> State {
        self.client.state()
    }

    /// The model.
    pub fn model(&self) -> &SlackModel {
        &self.model
    }

    /// Envelope ids delivered to the user, in order (redeliveries filtered by the client).
    pub fn delivered(&self) -> &[String] {
        &self.delivered
    }

    /// The most sockets the client held at once.
    pub fn max_sockets(&self) -> usize {
        self.max_sockets
    }

    /// Broken promises of the core seen on the way (a state owing a deadline without one,
    /// more than two sockets, a deadline that stays due).
    pub fn violations(&self) -> &[String] {
        &self.violations
    }

    /// Every input the client handled, when, and what it answered.
    pub fn log(&self) -> &[(Duration, Input, Vec<Action>)] {
        &self.log
    }

    /// The instant virtual time started at.
    pub fn model_origin(&self) -> Instant {
        self.origin
    }

    /// Virtual time since the start.
    pub fn elapsed(&self) -> Duration {
        self.now
    }

    fn instant(&self) -> Instant {
        self.origin + self.now
    }

    fn offset(&self, at: Instant) -> Duration {
        at.saturating_duration_since(self.origin)
    }

    fn next_event_at(&self) -> Option<Duration> {
        let q = self.queue.keys().next().map(|(at, _)| *at);
        let c = self.client.next_deadline().map(|d| self.offset(d));
        let m = self.model.next_deadline().map(|d| self.offset(d));
        [q, c, m].into_iter().flatten().min()
    }

    /// One event at `now`: the model's deadline, then the network, then the client's.
    fn step(&mut self) {
        let now = self.instant();
        if self.model.next_deadline().is_some_and(|d| d <= now) {
            let actions = self.model.tick(now);
            return self.server_actions(actions);
        }
        if let Some(key) = self
            .queue
            .keys()
            .next()
            .copied()
            .filter(|k| k.0 <= self.now)
        {
            if let Some(p) = self.queue.remove(&key) {
                self.deliver(p);
            }
            return;
        }
        if self.client.next_deadline().is_some_and(|d| d <= now) {
            self.spin += 1;
            if self.spin > SPIN_LIMIT {
                self.violations
                    .push(format!("deadline stuck at {:?}", self.now));
                // Leave it: the run cannot go on at this instant.
                self.now += Duration::from_secs(1);
                return;
            }
            self.feed(Input::Tick);
        }
    }

    fn post(&mut self, delay: Duration, packet: Packet) {
        self.seq += 1;
        self.queue.insert((self.now + delay, self.seq), packet);
    }

    fn feed(&mut self, input: Input) {
        if !matches!(input, Input::Tick) {
            self.spin = 0;
        }
        let now = self.instant();
        let acking = matches!(input, Input::Ack { .. });
        let actions = self.client.handle_input(now, input.clone());
        self.max_sockets = self.max_sockets.max(self.client.sockets().len());
        if let Err(e) = self.check.check(&self.client, acking, &actions) {
            self.violations.push(format!("at {:?}: {e}", self.now));
        }
        for a in &actions {
            self.perform(a);
        }
        self.log.push((self.now, input, actions));
    }

    fn perform(&mut self, action: &Action) {
        let l = self.latency;
        match action {
            Action::CallWebApi {
                conn,
                method,
                token,
                form,
            } => {
                let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let req = HttpRequest::post_form(method.as_str(), &form).bearer(token.expose());
                self.post(l, Packet::Http { conn: *conn, req });
            }
            Action::OpenWebSocket { conn, url } => {
                self.sockets.insert(*conn, Sock::default());
                let query = url.split_once('?').map(|(_, q)| q).unwrap_or("").to_owned();
                self.post(l, Packet::Open { conn: *conn, query });
            }
            Action::SendText { conn, text } if self.open(*conn) => {
                let text = text.clone();
                self.post(l, Packet::Text { conn: *conn, text });
            }
            Action::SendPing { conn } if self.open(*conn) => {
                self.post(l, Packet::Ping { conn: *conn });
            }
            Action::CloseWebSocket { conn, code } => {
                self.post(
                    l,
                    Packet::Close {
                        conn: *conn,
                        code: *code,
                    },
                );
            }
            Action::DropWebSocket { conn } => {
                if let Some(s) = self.sockets.get_mut(conn) {
                    s.gone = true;
                }
                self.post(l, Packet::Drop { conn: *conn });
            }
            Action::SocketMode(SocketModeEvent::Envelope(env)) => {
                self.delivered.push(env.envelope_id().to_owned());
                if !self.client.config().auto_ack {
                    let envelope_id = env.envelope_id().to_owned();
                    self.post(self.ack_delay, Packet::UserAck { envelope_id });
                }
            }
            _ => {}
        }
    }

    fn open(&self, conn: ConnId) -> bool {
        self.sockets.get(&conn).is_some_and(|s| !s.gone)
    }

    fn passes(&self, conn: ConnId) -> Option<model::SocketId> {
        let s = self.sockets.get(&conn)?;
        if s.half_open {
            return None;
        }
        s.model
    }

    fn deliver(&mut self, packet: Packet) {
        let now = self.instant();
        let l = self.latency;
        match packet {
            Packet::Input(input) => {
                let conn = match &input {
                    Input::WsOpened { conn }
                    | Input::WsText { conn, .. }
                    | Input::WsBinary { conn, .. }
                    | Input::WsPong { conn }
                    | Input::WsClosed { conn, .. }
                    | Input::WsError { conn, .. } => Some(*conn),
                    _ => None,
                };
                if let Some(c) = conn {
                    let Some(s) = self.sockets.get_mut(&c) else {
                        return;
                    };
                    if s.gone {
                        return;
                    }
                    if matches!(input, Input::WsClosed { .. } | Input::WsError { .. }) {
                        s.gone = true;
                    }
                }
                self.feed(input);
            }
            Packet::Http { conn, req } => {
                let ans = self.model.http(now, req);
                let result = Ok(WebResponse {
                    status: ans.status,
                    retry_after: ans.header("retry-after").map(str::to_owned),
                    location: None,
                    body: ans.body.clone(),
                });
                self.post(
                    ans.delay + l,
                    Packet::Input(Input::WebApiResult { conn, result }),
                );
            }
            Packet::Open { conn, query } => {
                if !self.open(conn) {
                    return;
                }
                match self.model.ws_open_link(now, &query) {
                    Ok((sid, actions)) => {
                        if let Some(s) = self.sockets.get_mut(&conn) {
                            s.model = Some(sid);
                        }
                        self.by_model.insert(sid, conn);
                        self.post(l, Packet::Input(Input::WsOpened { conn }));
                        self.server_actions(actions);
                    }
                    Err(e) => {
                        let error = format!("upgrade refused: {e:?}").into();
                        self.post(l, Packet::Input(Input::WsError { conn, error }));
                    }
                }
            }
            Packet::Text { conn, text } => {
                if let Some(sid) = self.passes(conn) {
                    let actions = self.model.ws_text(now, sid, &text);
                    self.server_actions(actions);
                }
            }
            Packet::Ping { conn } => {
                if self.passes(conn).is_some() {
                    self.post(l, Packet::Input(Input::WsPong { conn }));
                }
            }
            Packet::Close { conn, code } => {
                let sid = self.sockets.get(&conn).and_then(|s| s.model);
                match (sid, self.passes(conn)) {
                    (Some(sid), Some(_)) => {
                        self.model.ws_closed(now, sid);
                        let reason = String::new();
                        self.post(l, Packet::Input(Input::WsClosed { conn, code, reason }));
                    }
                    // A half-open socket never answers the close: the client's close
                    // deadline ends it (and the model learns when the client drops it).
                    (Some(_), None) => {}
                    (None, _) => {
                        let reason = "closed before the WebSocket opened".to_owned();
                        let input = Input::WsClosed {
                            conn,
                            code: 1006,
                            reason,
                        };
                        self.post(Duration::ZERO, Packet::Input(input));
                    }
                }
            }
            Packet::Drop { conn } => {
                if let Some(sid) = self.sockets.get(&conn).and_then(|s| s.model) {
                    self.model.ws_closed(now, sid);
                }
            }
            Packet::UserAck { envelope_id } => self.feed(Input::Ack {
                envelope_id,
                payload: None,
            }),
        }
    }

    fn server_actions(&mut self, actions: Vec<ServerAction>) {
        let l = self.latency;
        for a in actions {
            let Some(&conn) = self.by_model.get(&a.conn()) else {
                continue;
            };
            if self.sockets.get(&conn).is_some_and(|s| s.half_open) {
                continue;
            }
            let input = match a {
                ServerAction::Send {
                    frame: WireFrame::Text(text),
                    ..
                } => Input::WsText { conn, text },
                ServerAction::Send {
                    frame: WireFrame::Binary(b),
                    ..
                } => Input::WsBinary { conn, len: b.len() },
                ServerAction::Close { code, reason, .. } => Input::WsClosed { conn, code, reason },
                ServerAction::DropTcp { .. } => Input::WsClosed {
                    conn,
                    code: 1006,
                    reason: String::new(),
                },
                ServerAction::HalfOpen { .. } => {
                    if let Some(s) = self.sockets.get_mut(&conn) {
                        s.half_open = true;
                    }
                    continue;
                }
                ServerAction::Flood { .. } => continue,
            };
            self.post(l, Packet::Input(input));
        }
    }
}
