//! An in-memory simulation on virtual time: an [`rtm_proto::Client`] and the [`SlackModel`]
//! joined by a simulated network, driven by one queue ordered by virtual time.
//!
//! Nothing here reads the OS clock after construction, sleeps, or opens a socket: an
//! `Instant` is captured once as the origin and every `now` is that origin plus a virtual
//! offset. Hours of protocol time (backoffs, keepalives, Retry-After waits) run in
//! microseconds, and the same configuration, workspace and commands always produce the same
//! [`Step`] log, so the simulation is fit for property tests of the client and of code that
//! uses it.
//!
//! ```
//! use std::time::Duration;
//! use rtm_proto::{Config, Connected, Sent, State};
//! use rtm_testkit::sim::Sim;
//! use rtm_testkit::Workspace;
//!
//! let mut sim = Sim::new(Config::default(), Workspace::default());
//! sim.start();
//! let h = sim.send_message("hello", "C0GENERAL");
//! assert!(sim.run_until(|s| s.settled(h).is_some(), Duration::from_secs(5)));
//! assert_eq!(sim.state(), State::Connected(Connected::Ready));
//! let Some(Ok(Sent::Replied(reply))) = sim.settled(h) else { panic!() };
//! assert_eq!(sim.model().history("C0GENERAL")[0].ts, reply.ts.clone().unwrap());
//! ```
//!
//! ## The network
//!
//! Every hop takes the one-way [`latency`](Sim::latency) (default 10 ms), and each direction
//! is FIFO. The transport is performed as an adapter would:
//!
//! | client action | at the model, one latency later | back at the client |
//! |---|---|---|
//! | `CallWebApi` | [`SlackModel::http`] | `WebApiResult` after the answer's `delay` + latency |
//! | `OpenWebSocket` | [`SlackModel::ws_open`] with the ticket from the URL | `WsOpened` then the opening frames, or `WsError` when the ticket is refused |
//! | `SendText` | [`SlackModel::ws_text`] | the model's answers |
//! | `CloseWebSocket` | [`SlackModel::ws_closed`] | `WsClosed` with the client's code (the close handshake) |
//! | `DropWebSocket` | [`SlackModel::ws_closed`] | nothing more about that socket |
//!
//! The model's [`ServerAction`]s reach the client one latency later: `Send` as `WsText` or
//! `WsBinary`, `Close` as `WsClosed { code }`, `DropTcp` as `WsClosed { 1006 }`, `Flood` as
//! that many `WsText`s. As in a real adapter, one socket is open at a time (opening a new one
//! drops the others), and nothing more is delivered about a socket after the client dropped
//! it or learnt that it ended. Web answers to attempts the client has given up on are still
//! delivered: the core must ignore them.
//!
//! ## Panics
//!
//! The simulation panics when the client breaks the core's contract in a way no transport
//! could work around: a state other than `Disconnected` and `Ready` without a deadline, or a
//! deadline that stays due however often the client is ticked.

pub mod socket_mode;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rtm_proto::invariants::Invariants;
use rtm_proto::{
    Action, Client, Config, ConfigError, ConnId, ConnectInfo, Event, Input, Outgoing, RtmError,
    SendError, SendHandle, SendMode, Sent, StartOptions, State, WebResponse,
};
use serde_json::Value;

use crate::model::{
    self, Fault, HttpRequest, ModelError, Record, ServerAction, SlackModel, Target, UserAction,
    WebFault, WireFrame, Workspace,
};

/// The default one-way latency between the client and the model.
pub const DEFAULT_LATENCY: Duration = Duration::from_millis(10);

/// After this many client ticks in a row at one virtual instant, the client is spinning: its
/// deadline stays due however often it is told so (rule 1 of the design says every deadline
/// leads somewhere). The simulation panics rather than hang.
const SPIN_LIMIT: u32 = 10_000;

/// One input the client handled, when, and what it answered: the simulation's log.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// Virtual time since the simulation began.
    pub at: Duration,
    /// What the client was given.
    pub input: Input,
    /// What it returned, in order.
    pub actions: Vec<Action>,
}

/// The client's view of one socket, which decides what still reaches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sock {
    /// `OpenWebSocket` was performed; frames are delivered.
    Live,
    /// `CloseWebSocket` was performed; frames are delivered until the close completes.
    Closing,
    /// Dropped by the client, or its end (`WsClosed`, `WsError`) was delivered.
    Gone,
}

#[derive(Debug, Clone)]
struct Socket {
    state: Sock,
    /// The model's connection, once the open reached it.
    model: Option<model::SocketId>,
}

/// Something on its way through the network.
#[derive(Debug, Clone)]
enum Packet {
    /// To the client.
    Input(Input),
    /// To the model, from the client's socket or web call `conn`.
    Http {
        conn: ConnId,
        req: HttpRequest,
    },
    Open {
        conn: ConnId,
        ticket: Option<String>,
    },
    Text {
        conn: ConnId,
        text: String,
    },
    Close {
        conn: ConnId,
        code: u16,
    },
    Drop {
        conn: ConnId,
    },
}

/// A stall in reading: what the driver does while a lossless subscriber is behind.
#[derive(Debug, Default)]
struct Stall {
    paused: Vec<ConnId>,
    held: std::collections::VecDeque<Input>,
}

/// An [`rtm_proto::Client`] talking to a [`SlackModel`] over a simulated network, on virtual
/// time. See the [module documentation](self).
#[derive(Debug)]
pub struct Sim {
    client: Client,
    model: SlackModel,
    /// The one reading of the OS clock: virtual instants are `origin + now`.
    origin: Instant,
    now: Duration,
    latency: Duration,
    /// In flight, by (arrival, sequence): ties keep their sending order, so links are FIFO.
    queue: BTreeMap<(Duration, u64), Packet>,
    seq: u64,
    sockets: BTreeMap<ConnId, Socket>,
    by_model: BTreeMap<model::SocketId, ConnId>,
    options: StartOptions,
    next_handle: u64,
    log: Vec<Step>,
    /// Where each handle's settles are in `log` (step, action): predicates over settles run
    /// after every step, so they must not scan the log.
    settles: BTreeMap<SendHandle, Vec<(usize, usize)>>,
    /// While the caller stops reading sockets (a slow subscriber): the socket they paused,
    /// and what arrived meanwhile, in order.
    stall: Option<Stall>,
    /// The core's invariants, checked on every step (the checker the fuzz targets and the
    /// proptests use).
    check: Invariants,
    /// Client ticks in a row at the same instant (see [`SPIN_LIMIT`]).
    spin: u32,
}

impl Sim {
    /// A client with `config` and a Slack serving `workspace`; `start` uses the workspace's
    /// first token.
    ///
    /// # Panics
    /// If the configuration is invalid (see [`Sim::try_new`]).
    pub fn new(config: Config, workspace: Workspace) -> Sim {
        match Sim::try_new(config, workspace) {
            Ok(sim) => sim,
            Err(e) => panic!("invalid client configuration: {e}"),
        }
    }

    /// A simulation, or the configuration's error.
    pub fn try_new(config: Config, workspace: Workspace) -> Result<Sim, ConfigError> {
        let client = Client::new(config)?;
        let token = workspace
            .tokens
            .first()
            .cloned()
            .unwrap_or_else(|| model::DEFAULT_TOKEN.to_owned());
        Ok(Sim {
            client,
            model: SlackModel::new(workspace),
            origin: Instant::now(),
            now: Duration::ZERO,
            latency: DEFAULT_LATENCY,
            queue: BTreeMap::new(),
            seq: 0,
            sockets: BTreeMap::new(),
            by_model: BTreeMap::new(),
            options: StartOptions::new(token),
            next_handle: 1,
            log: Vec::new(),
            settles: BTreeMap::new(),
            check: Invariants::new(),
            stall: None,
            spin: 0,
        })
    }

    /// Sets the one-way latency (builder style).
    pub fn with_latency(mut self, latency: Duration) -> Sim {
        self.latency = latency;
        self
    }

    /// Sets the one-way latency for everything sent from now on.
    pub fn set_latency(&mut self, latency: Duration) {
        self.latency = latency;
    }

    /// The one-way latency.
    pub fn latency(&self) -> Duration {
        self.latency
    }

    // ---- the user's commands (they reach the client at once: it is local) ----

    /// `start()` with the workspace's token.
    pub fn start(&mut self) {
        let options = self.options.clone();
        self.start_with(options);
    }

    /// `start(options)`; later [`Sim::start`] calls reuse these options.
    pub fn start_with(&mut self, options: StartOptions) {
        self.options = options.clone();
        self.feed(Input::Start(options));
    }

    /// `disconnect()`.
    pub fn disconnect(&mut self) {
        self.feed(Input::Disconnect);
    }

    /// The user's handle is gone: every unsettled send settles with `ClientClosed`.
    pub fn shutdown(&mut self) {
        self.feed(Input::Shutdown);
    }

    /// `send_message(text, channel)`: queued, settles with the ack.
    pub fn send_message(&mut self, text: &str, channel: &str) -> SendHandle {
        self.send_outgoing(Outgoing::message(text, channel))
    }

    /// `send_typing(channel)`: queued, settles when written.
    pub fn send_typing(&mut self, channel: &str) -> SendHandle {
        self.send_outgoing(Outgoing::typing(channel))
    }

    /// `subscribe_presence(ids)`: queued, settles when written.
    pub fn subscribe_presence<S: AsRef<str>>(&mut self, ids: &[S]) -> SendHandle {
        self.send_outgoing(Outgoing::presence_sub(ids))
    }

    /// `send(kind, body)`: written now if ready, else refused.
    pub fn send(&mut self, kind: &str, body: Value) -> SendHandle {
        self.send_outgoing(Outgoing {
            kind: kind.to_owned(),
            body,
            mode: SendMode::Immediate,
        })
    }

    /// `add_outgoing_event(await_reply, kind, body)`: queued until ready.
    pub fn add_outgoing_event(&mut self, await_reply: bool, kind: &str, body: Value) -> SendHandle {
        self.send_outgoing(Outgoing {
            kind: kind.to_owned(),
            body,
            mode: SendMode::Queued { await_reply },
        })
    }

    /// Any send, built around the next handle.
    pub fn send_outgoing(&mut self, outgoing: Outgoing) -> SendHandle {
        let handle = SendHandle(self.next_handle);
        self.next_handle += 1;
        self.feed(Input::Send { handle, outgoing });
        handle
    }

    /// Stops (`true`) or resumes reading the sockets, as the driver does while a lossless
    /// subscriber is behind: frames, closes and errors that arrive meanwhile wait (the
    /// server's TCP writes would), and the core is told, so the pause does not count against
    /// its pong deadline. On resume they are delivered in order.
    pub fn stall_reading(&mut self, stalled: bool) {
        match (stalled, self.stall.take()) {
            (true, None) => {
                let live: Vec<ConnId> = self
                    .sockets
                    .iter()
                    .filter(|(_, s)| s.state != Sock::Gone)
                    .map(|(c, _)| *c)
                    .collect();
                for &conn in &live {
                    self.feed(Input::ReadPaused { conn });
                }
                self.stall = Some(Stall {
                    paused: live,
                    held: Default::default(),
                });
            }
            (false, Some(stall)) => {
                for conn in stall.paused {
                    self.feed(Input::ReadResumed { conn });
                }
                for input in stall.held {
                    self.deliver_input(input);
                }
            }
            (_, other) => self.stall = other,
        }
    }

    /// Whether reading is stalled.
    pub fn is_stalled(&self) -> bool {
        self.stall.is_some()
    }

    /// The shared invariant checker, as it stands after every step so far.
    pub fn invariants(&self) -> &Invariants {
        &self.check
    }

    /// Every handle given out so far, in order.
    pub fn handles(&self) -> impl Iterator<Item = SendHandle> + use<> {
        (1..self.next_handle).map(SendHandle)
    }

    /// Feeds the client any input now, as a misbehaving transport could (a stale result, a
    /// frame out of nowhere). Its actions are performed like any others.
    pub fn input(&mut self, input: Input) {
        self.feed(input);
    }

    // ---- Slack's side ----

    /// Injects a fault on every open connection (or arms it, see [`Fault`]).
    pub fn inject(&mut self, fault: Fault) {
        self.inject_to(Target::All, fault);
    }

    /// Injects a fault on `target`.
    pub fn inject_to(&mut self, target: Target, fault: Fault) {
        let now = self.instant();
        let actions = self.model.inject(now, target, fault);
        self.server_actions(actions);
    }

    /// Arms a fault for the next `times` web calls.
    pub fn arm_web_fault(&mut self, fault: WebFault, times: u32) {
        self.model.arm_web_fault(fault, times);
    }

    /// A scripted user acts now.
    pub fn act(&mut self, action: UserAction) -> Result<(), ModelError> {
        let now = self.instant();
        let actions = self.model.act(now, action)?;
        self.server_actions(actions);
        Ok(())
    }

    /// Pushes a frame to `target` now.
    pub fn push(&mut self, target: Target, frame: WireFrame) {
        let now = self.instant();
        let actions = self.model.push(now, target, frame);
        self.server_actions(actions);
    }

    /// Runs `f` on the model at the current virtual time; the [`ServerAction`]s it returns are
    /// delivered. For what the other methods do not cover (scripts, scheduled acts, ...).
    pub fn with_model(&mut self, f: impl FnOnce(&mut SlackModel, Instant) -> Vec<ServerAction>) {
        let now = self.instant();
        let actions = f(&mut self.model, now);
        self.server_actions(actions);
    }

    // ---- time ----

    /// The current virtual instant.
    pub fn now(&self) -> Instant {
        self.instant()
    }

    /// Virtual time since the simulation began.
    pub fn elapsed(&self) -> Duration {
        self.now
    }

    /// When the next thing happens (a delivery, a client or model deadline), as virtual time
    /// since the beginning; `None` when nothing ever will.
    pub fn next_event_at(&self) -> Option<Duration> {
        [
            self.queue.keys().next().map(|(at, _)| *at),
            self.client.next_deadline().map(|d| self.offset(d)),
            self.model.next_deadline().map(|d| self.offset(d)),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Performs the next thing that happens at or before `until` (virtual time since the
    /// beginning); false when there is none.
    pub fn step_until(&mut self, until: Duration) -> bool {
        let packet = self.queue.keys().next().map(|(at, _)| *at);
        let client = self.client.next_deadline().map(|d| self.offset(d));
        let model = self.model.next_deadline().map(|d| self.offset(d));
        let Some(at) = [packet, model, client].into_iter().flatten().min() else {
            return false;
        };
        if at > until {
            return false;
        }
        // Deadlines already past (a command moved nothing) are served now: time never goes back.
        self.now = self.now.max(at);
        // Ties: deliveries first, then the model's schedule, then the client's deadline, so a
        // reply arriving exactly at a timeout counts as arrived.
        if packet == Some(at) {
            self.spin = 0;
            if let Some((_, p)) = self.queue.pop_first() {
                self.deliver(p);
            }
        } else if model == Some(at) {
            self.spin = 0;
            let now = self.instant();
            let actions = self.model.tick(now);
            self.server_actions(actions);
        } else {
            self.spin += 1;
            assert!(
                self.spin < SPIN_LIMIT,
                "the client's deadline stays due at {:?} in {:?}",
                self.now,
                self.client.state()
            );
            self.feed(Input::Tick);
        }
        true
    }

    /// Runs everything that happens within `d` of virtual time; then the clock reads `d` later.
    pub fn run_for(&mut self, d: Duration) {
        let until = self.now + d;
        while self.step_until(until) {}
        self.now = until;
    }

    /// Runs until `done` holds (checked before each step and after it) or `limit` of virtual
    /// time has passed; true if `done` held. On false, the clock reads `limit` later.
    pub fn run_until(&mut self, mut done: impl FnMut(&Sim) -> bool, limit: Duration) -> bool {
        let until = self.now + limit;
        loop {
            if done(self) {
                return true;
            }
            if !self.step_until(until) {
                self.now = until;
                return done(self);
            }
        }
    }

    // ---- observations ----

    /// The client.
    pub fn client(&self) -> &Client {
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

    /// What the model saw and sent: web calls and every connection's frames, at virtual instants.
    pub fn record(&self) -> &Record {
        self.model.record()
    }

    /// Every input the client handled and its actions, in order.
    pub fn log(&self) -> &[Step] {
        &self.log
    }

    /// Every action of the client, with its virtual time.
    pub fn actions(&self) -> impl Iterator<Item = (Duration, &Action)> {
        self.log
            .iter()
            .flat_map(|s| s.actions.iter().map(move |a| (s.at, a)))
    }

    /// Every event the client emitted, with its virtual time.
    pub fn events(&self) -> impl Iterator<Item = (Duration, &Event)> {
        self.actions().filter_map(|(at, a)| match a {
            Action::Emit(e) => Some((at, e)),
            _ => None,
        })
    }

    /// Every settle of `handle`, with its virtual time (a correct client settles each once).
    pub fn settles(&self, handle: SendHandle) -> Vec<(Duration, &Result<Sent, SendError>)> {
        self.settles
            .get(&handle)
            .into_iter()
            .flatten()
            .filter_map(|&(step, action)| {
                let st = &self.log[step];
                match &st.actions[action] {
                    Action::Settle { result, .. } => Some((st.at, result)),
                    _ => None,
                }
            })
            .collect()
    }

    /// The first settle of `handle`, if it settled.
    pub fn settled(&self, handle: SendHandle) -> Option<&Result<Sent, SendError>> {
        let &(step, action) = self.settles.get(&handle)?.first()?;
        match &self.log[step].actions[action] {
            Action::Settle { result, .. } => Some(result),
            _ => None,
        }
    }

    /// Every `start()` settle, with its virtual time.
    pub fn start_results(&self) -> Vec<(Duration, &Result<Arc<ConnectInfo>, RtmError>)> {
        self.actions()
            .filter_map(|(at, a)| match a {
                Action::StartSettled(r) => Some((at, r)),
                _ => None,
            })
            .collect()
    }

    /// The virtual time of the first action matching `pred`, if any.
    pub fn first(&self, mut pred: impl FnMut(&Action) -> bool) -> Option<Duration> {
        self.actions().find(|(_, a)| pred(a)).map(|(at, _)| at)
    }

    // ---- the machinery ----

    fn instant(&self) -> Instant {
        self.origin + self.now
    }

    fn offset(&self, at: Instant) -> Duration {
        at.saturating_duration_since(self.origin)
    }

    fn post(&mut self, delay: Duration, packet: Packet) {
        self.seq += 1;
        self.queue.insert((self.now + delay, self.seq), packet);
    }

    /// Hands the client one input and performs what it asks.
    fn feed(&mut self, input: Input) {
        let now = self.instant();
        self.check.observe(&input);
        let actions = self.client.handle_input(now, input.clone());
        // Settle once, growing ids, frame limits, Retry-After, and rule 1 of the design (no
        // stuck state: nothing in the network can rescue a client that waits with no
        // deadline in a state that needs one).
        self.check.check(now, &self.client, &actions);
        for (i, a) in actions.iter().enumerate() {
            if let Action::Settle { handle, .. } = a {
                self.settles
                    .entry(*handle)
                    .or_default()
                    .push((self.log.len(), i));
            }
            self.perform(a);
        }
        self.log.push(Step {
            at: self.now,
            input,
            actions,
        });
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
                // One socket at a time: the others are let go.
                let others: Vec<ConnId> = self
                    .sockets
                    .iter()
                    .filter(|(c, s)| *c != conn && s.state != Sock::Gone)
                    .map(|(c, _)| *c)
                    .collect();
                for other in others {
                    self.let_go(other);
                }
                self.sockets.insert(
                    *conn,
                    Socket {
                        state: Sock::Live,
                        model: None,
                    },
                );
                let ticket = self.ticket(url);
                self.post(
                    l,
                    Packet::Open {
                        conn: *conn,
                        ticket,
                    },
                );
            }
            Action::SendText { conn, text } => {
                // A write on a socket the client let go of goes nowhere, as in a real adapter.
                if self.live(*conn) {
                    self.post(
                        l,
                        Packet::Text {
                            conn: *conn,
                            text: text.clone(),
                        },
                    );
                }
            }
            Action::CloseWebSocket { conn, code } => {
                if let Some(s) = self.sockets.get_mut(conn)
                    && s.state == Sock::Live
                {
                    s.state = Sock::Closing;
                    self.post(
                        l,
                        Packet::Close {
                            conn: *conn,
                            code: *code,
                        },
                    );
                }
            }
            Action::DropWebSocket { conn } => self.let_go(*conn),
            // Socket Mode's actions: the RTM client never asks for them.
            Action::SendPing { .. } | Action::SocketMode(_) => {}
            // The simulation makes no Web API calls of the user's.
            Action::CallApi { .. } | Action::ApiSettled { .. } => {}
            Action::Emit(_)
            | Action::Settle { .. }
            | Action::StartSettled(_)
            | Action::DisconnectSettled
            | Action::Ignored { .. } => {}
        }
    }

    /// The client drops a socket: the model learns one latency later.
    fn let_go(&mut self, conn: ConnId) {
        if let Some(s) = self.sockets.get_mut(&conn)
            && s.state != Sock::Gone
        {
            s.state = Sock::Gone;
            self.post(self.latency, Packet::Drop { conn });
        }
    }

    fn live(&self, conn: ConnId) -> bool {
        self.sockets
            .get(&conn)
            .is_some_and(|s| s.state != Sock::Gone)
    }

    /// The ticket at the end of a socket URL the model handed out.
    fn ticket(&self, url: &str) -> Option<String> {
        let rest = url
            .strip_prefix(self.model.ws_base_url())
            .or_else(|| url.rsplit_once('/').map(|(_, t)| t))?;
        (!rest.is_empty()).then(|| rest.to_owned())
    }

    fn deliver(&mut self, packet: Packet) {
        let l = self.latency;
        let now = self.instant();
        match packet {
            Packet::Input(input) => self.deliver_input(input),
            Packet::Http { conn, req } => {
                let answer = self.model.http(now, req);
                let result = Ok(WebResponse {
                    status: answer.status,
                    retry_after: answer.header("retry-after").map(str::to_owned),
                    location: None,
                    body: answer.body,
                });
                self.post(
                    answer.delay.saturating_add(l),
                    Packet::Input(Input::WebApiResult { conn, result }),
                );
            }
            Packet::Open { conn, ticket } => {
                let opened = match ticket {
                    Some(t) => self.model.ws_open(now, &t).map_err(|r| {
                        format!("WebSocket upgrade refused: HTTP {}: {r}", r.http_status())
                    }),
                    None => Err("not a socket URL of this Slack".to_owned()),
                };
                match opened {
                    Ok((mconn, actions)) => {
                        self.by_model.insert(mconn, conn);
                        let gone = match self.sockets.get_mut(&conn) {
                            Some(s) => {
                                s.model = Some(mconn);
                                s.state == Sock::Gone
                            }
                            None => true,
                        };
                        if gone {
                            // The client let go before the handshake finished; its drop
                            // overtook nothing (links are FIFO), so end it here.
                            self.model.ws_closed(now, mconn);
                        } else {
                            self.post(l, Packet::Input(Input::WsOpened { conn }));
                            self.server_actions(actions);
                        }
                    }
                    Err(message) => {
                        let error = message.into();
                        self.post(l, Packet::Input(Input::WsError { conn, error }));
                    }
                }
            }
            Packet::Text { conn, text } => {
                if let Some(m) = self.model_conn(conn) {
                    let actions = self.model.ws_text(now, m, &text);
                    self.server_actions(actions);
                }
            }
            Packet::Close { conn, code } => {
                if let Some(m) = self.model_conn(conn) {
                    self.model.ws_closed(now, m);
                }
                // The server answers the close frame; the handshake completes at the client.
                self.post(
                    l,
                    Packet::Input(Input::WsClosed {
                        conn,
                        code,
                        reason: String::new(),
                    }),
                );
            }
            Packet::Drop { conn } => {
                if let Some(m) = self.model_conn(conn) {
                    self.model.ws_closed(now, m);
                }
            }
        }
    }

    fn model_conn(&self, conn: ConnId) -> Option<model::SocketId> {
        self.sockets.get(&conn).and_then(|s| s.model)
    }

    fn deliver_input(&mut self, input: Input) {
        // What the socket brings waits while reading is stalled.
        if let Some(stall) = &mut self.stall
            && matches!(
                input,
                Input::WsText { .. }
                    | Input::WsBinary { .. }
                    | Input::WsClosed { .. }
                    | Input::WsError { .. }
            )
        {
            stall.held.push_back(input);
            return;
        }
        let socket = match &input {
            Input::WsOpened { conn }
            | Input::WsText { conn, .. }
            | Input::WsBinary { conn, .. }
            | Input::WsClosed { conn, .. }
            | Input::WsError { conn, .. } => Some(*conn),
            _ => None,
        };
        if let Some(conn) = socket {
            if !self.live(conn) {
                return;
            }
            if matches!(input, Input::WsClosed { .. } | Input::WsError { .. })
                && let Some(s) = self.sockets.get_mut(&conn)
            {
                s.state = Sock::Gone;
            }
        }
        self.feed(input);
    }

    /// Sends the model's actions on their way to the client.
    fn server_actions(&mut self, actions: Vec<ServerAction>) {
        let l = self.latency;
        for action in actions {
            let Some(&conn) = self.by_model.get(&action.conn()) else {
                continue;
            };
            match action {
                ServerAction::Send {
                    frame: WireFrame::Text(text),
                    ..
                } => self.post(l, Packet::Input(Input::WsText { conn, text })),
                ServerAction::Send {
                    frame: WireFrame::Binary(data),
                    ..
                } => self.post(
                    l,
                    Packet::Input(Input::WsBinary {
                        conn,
                        len: data.len(),
                    }),
                ),
                ServerAction::Close { code, reason, .. } => {
                    self.post(l, Packet::Input(Input::WsClosed { conn, code, reason }))
                }
                ServerAction::DropTcp { .. } => self.post(
                    l,
                    Packet::Input(Input::WsClosed {
                        conn,
                        code: 1006,
                        reason: String::new(),
                    }),
                ),
                // The model itself stops delivering either way on a half-open connection.
                ServerAction::HalfOpen { .. } => {}
                ServerAction::Flood { count, events, .. } => {
                    if events.is_empty() {
                        continue;
                    }
                    for i in 0..count {
                        let text = events[(i % events.len() as u64) as usize].clone();
                        self.post(l, Packet::Input(Input::WsText { conn, text }));
                    }
                }
            }
        }
    }
}
