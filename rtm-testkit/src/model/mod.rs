//! The Slack model: pure, deterministic protocol logic. No sockets and no clock: every
//! input carries the current `Instant`, and outputs are [`ServerAction`]s the caller performs.
//! The loopback server and in-memory simulations drive the same model.

mod chat;
mod events;
mod fault;
pub mod form;
mod record;
mod socket;
pub mod socket_mode;
mod users;
mod web;
mod wire;
mod workspace;

#[cfg(test)]
mod chat_tests;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use chat::{
    CHAT_POST_MESSAGE, ChatConfig, MAX_POST_TEXT_CHARS, PostRecord, RateLimit, TokenKind,
};
pub use fault::{Fault, SESSION_OPENING_METHODS, Target, WebFault};
pub use record::{ConnRecord, Record, Recorded, WebCall};
pub use socket_mode::{
    AckRecord, AppRecord, BlockAction, DisconnectReason, OfflineInterval, SentEnvelope,
    SlashCommand, SocketModeConfig, SocketModeRecord,
};
pub use users::{Script, ScriptStep, UserAction};
pub use web::{HttpAnswer, HttpRequest, TICKET_TTL};
pub use wire::{ServerAction, SocketId, WireFrame, codes};
pub use workspace::{
    App, Channel, ChannelKind, DEFAULT_APP_ID, DEFAULT_APP_TOKEN, DEFAULT_TOKEN, Team, User,
    Workspace,
};

use events::{Rng, TsClock};

/// A client frame over this many bytes gets the connection closed (code 1009).
pub const MAX_FRAME_BYTES: usize = 16 * 1024;
/// Message text over this many characters is refused.
pub const MAX_TEXT_CHARS: usize = 4000;
/// Where socket URLs point until the transport says otherwise.
pub const DEFAULT_WS_BASE_URL: &str = "wss://mock-slack.invalid/websocket/";

/// Why a WebSocket upgrade was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Reject {
    /// The ticket in the URL was never issued (404).
    #[error("unknown socket ticket")]
    UnknownTicket,
    /// The URL is older than its 30 s validity (410).
    #[error("socket URL has expired")]
    Expired,
    /// The URL opened a socket before: it is single use (409).
    #[error("socket URL was already used")]
    AlreadyUsed,
}

impl Reject {
    /// The HTTP status the upgrade request is answered with.
    pub fn http_status(self) -> u16 {
        match self {
            Reject::UnknownTicket => 404,
            Reject::Expired => 410,
            Reject::AlreadyUsed => 409,
        }
    }
}

/// A scripted act that names something the workspace does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    /// No user with this id.
    #[error("unknown user {0}")]
    UnknownUser(String),
    /// No channel with this id.
    #[error("unknown channel {0}")]
    UnknownChannel(String),
    /// A reaction without a `ts`, in a channel with no message yet.
    #[error("no message to react to in {0}")]
    NothingToReact(String),
    /// No Socket Mode app with this id.
    #[error("unknown app {0}")]
    UnknownApp(String),
}

/// A message posted to a channel, by the bot (RTM or `chat.postMessage`) or a scripted user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    /// The message's `ts` (its id in the channel).
    pub ts: String,
    /// The author's user id.
    pub user: String,
    /// The text, as given.
    pub text: String,
    /// The parent's `ts`, for a reply in a thread (`chat.postMessage` with `thread_ts`).
    pub thread_ts: Option<String>,
}

#[derive(Debug, Clone)]
struct Ticket {
    issued_at: Instant,
    used: bool,
    /// Set for Socket Mode tickets (`apps.connections.open`): they open only link URLs.
    app_id: Option<String>,
}

/// Per open connection state.
#[derive(Debug, Clone, Default)]
struct ConnState {
    hello_sent: bool,
    /// Half-open fault: nothing goes either way, and nobody closes.
    half_open: bool,
}

/// Faults armed for the next connection to open.
#[derive(Debug, Clone, Default)]
struct OpenFaults {
    no_hello: bool,
    late_hello: Option<Duration>,
    expired_url: bool,
    replay_last_ack: bool,
}

#[derive(Debug, Clone)]
enum Pending {
    Hello {
        conn: SocketId,
        replay_ack: bool,
    },
    Reply {
        conn: SocketId,
        text: String,
        ack: bool,
    },
    Act(UserAction),
    SocketMode(socket_mode::Timer),
    /// Slack closes a connection it said goodbye to, if the client has not.
    CloseAfterGoodbye {
        conn: SocketId,
    },
}

/// A web fault armed for the next `left` calls of the methods it aims at.
#[derive(Debug, Clone)]
struct ArmedWebFault {
    fault: WebFault,
    left: u32,
    /// `None`: the session-opening calls ([`SESSION_OPENING_METHODS`]); `"*"`: any method.
    method: Option<String>,
}

impl ArmedWebFault {
    fn aims_at(&self, api_method: &str) -> bool {
        match self.method.as_deref() {
            None => SESSION_OPENING_METHODS.contains(&api_method),
            Some("*") => true,
            Some(m) => m == api_method,
        }
    }
}

#[derive(Debug, Clone)]
struct Scheduled {
    at: Instant,
    seq: u64,
    what: Pending,
}

#[derive(Debug, Clone, Default)]
struct HeldAcks {
    want: u32,
    acks: Vec<(SocketId, String)>,
}

/// One simulated Slack workspace and its RTM endpoint.
#[derive(Debug, Clone)]
pub struct SlackModel {
    ws: Workspace,
    ws_base_url: String,
    rng: Rng,
    ts: TsClock,
    tickets: HashMap<String, Ticket>,
    next_conn: u64,
    conns: BTreeMap<SocketId, ConnState>,
    record: Record,
    history: HashMap<String, Vec<HistoryEntry>>,
    web_faults: VecDeque<ArmedWebFault>,
    chat: chat::ChatState,
    next_open: OpenFaults,
    pongs_stopped: bool,
    rate_limited: u32,
    held: Option<HeldAcks>,
    reply_delay: Duration,
    last_ack: Option<String>,
    scheduled: Vec<Scheduled>,
    seq: u64,
    flood_events: Option<Arc<[String]>>,
    sm: socket_mode::SocketMode,
}

impl SlackModel {
    /// A model of this workspace, with no connection yet.
    pub fn new(workspace: Workspace) -> Self {
        SlackModel {
            sm: socket_mode::SocketMode::new(workspace.seed),
            rng: Rng::new(workspace.seed),
            ts: TsClock::new(workspace.unix_epoch_secs),
            ws: workspace,
            ws_base_url: DEFAULT_WS_BASE_URL.into(),
            tickets: HashMap::new(),
            next_conn: 1,
            conns: BTreeMap::new(),
            record: Record::default(),
            history: HashMap::new(),
            web_faults: VecDeque::new(),
            chat: chat::ChatState::default(),
            next_open: OpenFaults::default(),
            pongs_stopped: false,
            rate_limited: 0,
            held: None,
            reply_delay: Duration::ZERO,
            last_ack: None,
            scheduled: Vec::new(),
            seq: 0,
            flood_events: None,
        }
    }

    /// Socket URLs are this base followed by the ticket (e.g. `ws://127.0.0.1:1234/websocket/`).
    pub fn set_ws_base_url(&mut self, base: impl Into<String>) {
        self.ws_base_url = base.into();
    }

    /// The base of the socket URLs `rtm.connect` hands out.
    pub fn ws_base_url(&self) -> &str {
        &self.ws_base_url
    }

    /// The workspace: team, users, channels, tokens, apps.
    pub fn workspace(&self) -> &Workspace {
        &self.ws
    }

    /// Everything that happened so far: web calls, connections and their frames, posts.
    pub fn record(&self) -> &Record {
        &self.record
    }

    /// Messages posted to a channel, oldest first.
    pub fn history(&self, channel: &str) -> &[HistoryEntry] {
        self.history.get(channel).map_or(&[], Vec::as_slice)
    }

    /// The last `presence_sub` list of a connection.
    pub fn presence_subscription(&self, conn: SocketId) -> Option<&[String]> {
        self.record.conn(conn)?.presence_sub.as_deref()
    }

    /// Connections currently open, oldest first.
    pub fn open_connections(&self) -> Vec<SocketId> {
        self.conns.keys().copied().collect()
    }

    /// Whether `hello` went out on this connection.
    pub fn hello_sent(&self, conn: SocketId) -> bool {
        self.conns.get(&conn).is_some_and(|c| c.hello_sent)
    }

    /// Arms a web fault for the next `times` session-opening calls (`rtm.connect`,
    /// `rtm.start`, `apps.connections.open`), queued after faults already armed.
    pub fn arm_web_fault(&mut self, fault: WebFault, times: u32) {
        self.arm(fault, times, None);
    }

    /// Arms a web fault for the next `times` calls of one API method (e.g.
    /// `chat.postMessage`), or of any method with `"*"`.
    pub fn arm_web_fault_for(&mut self, api_method: &str, fault: WebFault, times: u32) {
        self.arm(fault, times, Some(api_method.to_string()));
    }

    fn arm(&mut self, fault: WebFault, times: u32, method: Option<String>) {
        if times > 0 {
            self.web_faults.push_back(ArmedWebFault {
                fault,
                left: times,
                method,
            });
        }
    }

    /// The earliest instant [`SlackModel::tick`] has something to do.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.scheduled.iter().map(|s| s.at).min()
    }

    /// Performs everything scheduled at or before `now` (late hellos, slow replies,
    /// scripted acts). Calling it early or twice is harmless.
    pub fn tick(&mut self, now: Instant) -> Vec<ServerAction> {
        let mut out = Vec::new();
        loop {
            let due = self
                .scheduled
                .iter()
                .enumerate()
                .filter(|(_, s)| s.at <= now)
                .min_by_key(|(_, s)| (s.at, s.seq))
                .map(|(i, _)| i);
            let Some(i) = due else { break };
            let job = self.scheduled.swap_remove(i);
            match job.what {
                Pending::Hello { conn, replay_ack } => {
                    self.send_hello(now, conn, replay_ack, &mut out)
                }
                Pending::Reply { conn, text, ack } => {
                    self.deliver_reply(now, conn, text, ack, &mut out)
                }
                Pending::Act(action) => {
                    if let Err(e) = self.act_into(now, action, &mut out) {
                        tracing::warn!(error = %e, "scheduled act failed");
                    }
                }
                Pending::SocketMode(timer) => self.socket_mode_timer(now, timer, &mut out),
                Pending::CloseAfterGoodbye { conn } => {
                    self.close(now, conn, 1000, "goodbye", &mut out)
                }
            }
        }
        out
    }

    fn schedule(&mut self, at: Instant, what: Pending) {
        self.seq += 1;
        self.scheduled.push(Scheduled {
            at,
            seq: self.seq,
            what,
        });
    }

    /// Injects a fault (see [`Fault`] for which act now on `target` and which are armed).
    pub fn inject(&mut self, now: Instant, target: Target, fault: Fault) -> Vec<ServerAction> {
        tracing::debug!(?fault, ?target, "inject");
        let mut out = Vec::new();
        let targets = self.targets(target);
        match fault {
            Fault::Close { code, reason } => {
                for c in targets {
                    self.close(now, c, code, &reason, &mut out);
                }
            }
            Fault::DropTcp => {
                for c in targets {
                    self.drop_tcp(now, c, &mut out);
                }
            }
            Fault::Goodbye { close_after } => {
                for c in targets {
                    self.send(now, c, events::goodbye(), &mut out);
                    self.schedule(now + close_after, Pending::CloseAfterGoodbye { conn: c });
                }
            }
            Fault::TeamMigrationStarted => {
                for c in targets {
                    self.send(now, c, events::team_migration_started(), &mut out);
                }
            }
            Fault::NoHello => self.next_open.no_hello = true,
            Fault::LateHello { delay } => self.next_open.late_hello = Some(delay),
            Fault::ExpiredUrl => self.next_open.expired_url = true,
            Fault::ReplayLastAck => self.next_open.replay_last_ack = true,
            Fault::StopPongs => self.pongs_stopped = true,
            Fault::ResumePongs => self.pongs_stopped = false,
            Fault::RateLimit { count } => self.rate_limited = count,
            Fault::HoldAcks { count } => {
                self.release_held(now, &mut out);
                if count > 0 {
                    self.held = Some(HeldAcks {
                        want: count,
                        acks: Vec::new(),
                    });
                }
            }
            Fault::ReleaseAcks => self.release_held(now, &mut out),
            Fault::SlowReplies { delay } => self.reply_delay = delay,
            Fault::RawText { text } => {
                for c in targets {
                    self.send(now, c, text.clone(), &mut out);
                }
            }
            Fault::RawBinary { data } => {
                for c in targets {
                    self.send_frame(now, c, WireFrame::Binary(data.clone()), &mut out);
                }
            }
            Fault::Flood { count } => {
                let events = self.flood_events();
                for c in targets {
                    if let Some(r) = self.record.conn_mut(c) {
                        r.flooded += count;
                    }
                    out.push(ServerAction::Flood {
                        conn: c,
                        count,
                        events: events.clone(),
                    });
                }
            }
            Fault::HalfOpen => {
                for c in targets {
                    self.half_open(now, c, &mut out);
                }
            }
            Fault::Refresh => {
                for c in targets {
                    self.link_refresh(now, c, &mut out);
                }
            }
            Fault::LinkDisabled => {
                for c in targets {
                    self.link_disable(now, c, &mut out);
                }
            }
            Fault::Clear => {
                self.socket_mode_clear();
                self.next_open = OpenFaults::default();
                self.pongs_stopped = false;
                self.rate_limited = 0;
                self.reply_delay = Duration::ZERO;
                self.web_faults.clear();
                self.release_held(now, &mut out);
            }
        }
        out
    }

    /// Pushes one frame (any text, JSON or not, or binary) to the target connections.
    pub fn push(&mut self, now: Instant, target: Target, frame: WireFrame) -> Vec<ServerAction> {
        let mut out = Vec::new();
        for c in self.targets(target) {
            self.send_frame(now, c, frame.clone(), &mut out);
        }
        out
    }

    /// Pushes a JSON event to the target connections.
    pub fn push_event(
        &mut self,
        now: Instant,
        target: Target,
        event: &serde_json::Value,
    ) -> Vec<ServerAction> {
        self.push(now, target, WireFrame::Text(event.to_string()))
    }

    fn targets(&self, target: Target) -> Vec<SocketId> {
        match target {
            Target::All => self.open_connections(),
            Target::Conn(c) if self.conns.contains_key(&c) => vec![c],
            Target::Conn(_) => Vec::new(),
        }
    }

    /// ~360-byte message events for floods, built once: floods must not build JSON per event.
    pub fn flood_events(&mut self) -> Arc<[String]> {
        if let Some(e) = &self.flood_events {
            return e.clone();
        }
        const N: usize = 1024;
        let mut rng = Rng::new(self.ws.seed ^ 0xf100d);
        let humans: Vec<String> = self
            .ws
            .users
            .iter()
            .filter(|u| u.bot_id.is_none())
            .map(|u| u.id.clone())
            .collect();
        let channel = self
            .ws
            .channels
            .first()
            .map_or("C0GENERAL".to_string(), |c| c.id.clone());
        let base = self.ws.unix_epoch_secs.saturating_mul(1_000_000);
        let events: Vec<String> = (0..N)
            .map(|i| {
                let user = humans
                    .get(i % humans.len().max(1))
                    .map_or("U0ALICE", String::as_str);
                let ts = events::format_ts(base + i as u64 * 100);
                let text = format!("flood #{i:04} ok");
                events::message(&events::MessageEvent {
                    user,
                    text: &text,
                    channel: &channel,
                    team: &self.ws.team.id,
                    ts: &ts,
                    client_msg_id: Some(&rng.uuid()),
                    block_id: &rng.block_id(),
                    bot_id: None,
                    thread_ts: None,
                    blocks: None,
                })
            })
            .collect();
        let events: Arc<[String]> = events.into();
        self.flood_events = Some(events.clone());
        events
    }

    // ---- emitting ----

    fn send(&mut self, now: Instant, conn: SocketId, text: String, out: &mut Vec<ServerAction>) {
        self.send_frame(now, conn, WireFrame::Text(text), out);
    }

    fn send_frame(
        &mut self,
        now: Instant,
        conn: SocketId,
        frame: WireFrame,
        out: &mut Vec<ServerAction>,
    ) {
        let Some(state) = self.conns.get(&conn) else {
            return;
        };
        // The peer of a half-open connection never sees what is written.
        if state.half_open {
            return;
        }
        if let Some(r) = self.record.conn_mut(conn) {
            r.to_client.push(Recorded {
                at: now,
                frame: frame.clone(),
            });
        }
        out.push(ServerAction::Send { conn, frame });
    }

    fn close(
        &mut self,
        now: Instant,
        conn: SocketId,
        code: u16,
        reason: &str,
        out: &mut Vec<ServerAction>,
    ) {
        if self.conns.remove(&conn).is_none() {
            return;
        }
        if let Some(r) = self.record.conn_mut(conn) {
            r.server_close = Some((code, reason.to_string()));
            r.closed_at = Some(now);
        }
        self.link_gone(now, conn);
        out.push(ServerAction::Close {
            conn,
            code,
            reason: reason.into(),
        });
    }

    fn drop_tcp(&mut self, now: Instant, conn: SocketId, out: &mut Vec<ServerAction>) {
        if self.conns.remove(&conn).is_none() {
            return;
        }
        if let Some(r) = self.record.conn_mut(conn) {
            r.dropped = true;
            r.closed_at = Some(now);
        }
        self.link_gone(now, conn);
        out.push(ServerAction::DropTcp { conn });
    }

    /// The connection stays open but goes silent both ways, as behind a NAT that forgot it.
    fn half_open(&mut self, _now: Instant, conn: SocketId, out: &mut Vec<ServerAction>) {
        let Some(state) = self.conns.get_mut(&conn) else {
            return;
        };
        state.half_open = true;
        if let Some(r) = self.record.conn_mut(conn) {
            r.half_open = true;
        }
        out.push(ServerAction::HalfOpen { conn });
    }

    fn send_hello(
        &mut self,
        now: Instant,
        conn: SocketId,
        replay_ack: bool,
        out: &mut Vec<ServerAction>,
    ) {
        if self.link_refused(now, conn, out) {
            return;
        }
        let Some(state) = self.conns.get_mut(&conn) else {
            return;
        };
        state.hello_sent = true;
        if let Some(hello) = self.link_hello(conn) {
            self.send(now, conn, hello, out);
            self.link_after_hello(now, conn, out);
            return;
        }
        self.send(now, conn, events::hello(), out);
        if replay_ack && let Some(ack) = self.last_ack.clone() {
            self.send(now, conn, ack, out);
        }
    }

    /// A reply to a client frame: held (acks, when asked), delayed (slow replies) or sent.
    fn reply(
        &mut self,
        now: Instant,
        conn: SocketId,
        text: String,
        ack: bool,
        out: &mut Vec<ServerAction>,
    ) {
        if ack && let Some(held) = &mut self.held {
            held.acks.push((conn, text));
            if held.acks.len() >= held.want as usize {
                self.release_held(now, out);
            }
            return;
        }
        if self.reply_delay > Duration::ZERO {
            self.schedule(now + self.reply_delay, Pending::Reply { conn, text, ack });
        } else {
            self.deliver_reply(now, conn, text, ack, out);
        }
    }

    fn deliver_reply(
        &mut self,
        now: Instant,
        conn: SocketId,
        text: String,
        ack: bool,
        out: &mut Vec<ServerAction>,
    ) {
        if !self.conns.contains_key(&conn) {
            return;
        }
        if ack {
            self.last_ack = Some(text.clone());
        }
        self.send(now, conn, text, out);
    }

    fn release_held(&mut self, now: Instant, out: &mut Vec<ServerAction>) {
        if let Some(held) = self.held.take() {
            for (conn, text) in held.acks.into_iter().rev() {
                self.deliver_reply(now, conn, text, true, out);
            }
        }
    }
}
