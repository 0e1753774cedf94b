//! Socket Mode on the same model: `apps.connections.open` with app tokens, single-use link
//! URLs, `hello` with connection info, envelopes spread round-robin over an app's connections,
//! acks, redelivery on timeout, server-requested refreshes and `link_disabled`.
//!
//! Every deadline goes through the model's scheduler ([`SlackModel::tick`]); nothing here
//! reads a clock, so a simulation can drive it on virtual time.

mod envelope;
mod record;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use envelope::{BlockAction, DisconnectReason, SlashCommand, kinds};
pub use record::{AckRecord, AppRecord, OfflineInterval, SentEnvelope, SocketModeRecord};

use envelope::{Delivery, Envelope, EventCallback, HelloInfo, PayloadCtx};

use super::events::Rng;
use super::web::{HttpAnswer, HttpRequest};
use super::wire::obj;
use super::{ModelError, Pending, ServerAction, SlackModel, SocketId, Ticket};

/// Where link URLs point until the transport says otherwise.
pub const DEFAULT_LINK_BASE_URL: &str = "wss://mock-slack.invalid/link/";

/// Timings of Socket Mode, all configurable (tests shorten them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SocketModeConfig {
    /// An envelope not acked within this is redelivered (Slack: 3 s).
    #[serde(with = "super::fault::millis", rename = "ack_timeout_ms")]
    pub ack_timeout: Duration,
    /// Redeliveries after the first attempt (Slack: 3).
    pub max_retries: u32,
    /// How long a connection lives before Slack refreshes it (`approximate_connection_time`).
    #[serde(with = "super::fault::millis", rename = "connection_lifetime_ms")]
    pub connection_lifetime: Duration,
    /// The lifetime of connections opened with `debug_reconnects=true` (Slack: ~360 s).
    #[serde(with = "super::fault::millis", rename = "debug_reconnects_lifetime_ms")]
    pub debug_reconnects_lifetime: Duration,
    /// `disconnect` `warning` comes this long before `refresh_requested` (Slack: ~10 s).
    #[serde(with = "super::fault::millis", rename = "warning_lead_ms")]
    pub warning_lead: Duration,
    /// After `refresh_requested`, the socket is closed this much later.
    #[serde(with = "super::fault::millis", rename = "close_grace_ms")]
    pub close_grace: Duration,
}

impl Default for SocketModeConfig {
    fn default() -> Self {
        SocketModeConfig {
            ack_timeout: Duration::from_secs(3),
            max_retries: 3,
            // What Slack's hello says: about five hours.
            connection_lifetime: Duration::from_secs(18_060),
            debug_reconnects_lifetime: Duration::from_secs(360),
            warning_lead: Duration::from_secs(10),
            close_grace: Duration::from_secs(1),
        }
    }
}

/// Socket Mode's deadlines, run by the model's scheduler.
#[derive(Debug, Clone)]
pub(crate) enum Timer {
    AckTimeout { envelope_id: String, attempt: u32 },
    Warning { conn: SocketId },
    RefreshRequested { conn: SocketId },
    CloseRefreshed { conn: SocketId },
}

/// One Socket Mode connection.
#[derive(Debug, Clone)]
struct LinkConn {
    app_id: String,
    host: String,
    lifetime: Duration,
    /// Told `refresh_requested` or `link_disabled`: takes no more envelopes.
    draining: bool,
}

#[derive(Debug, Clone, Default)]
struct AppState {
    disabled: bool,
    /// Round-robin cursor over the app's live connections.
    rr: usize,
    queue: VecDeque<String>,
    ever_connected: bool,
}

/// The Socket Mode state of a [`SlackModel`].
#[derive(Debug, Clone)]
pub(crate) struct SocketMode {
    config: SocketModeConfig,
    /// Separate from the RTM generator, so RTM runs stay bit-identical with apps around.
    rng: Rng,
    link_base_url: String,
    apps: BTreeMap<String, AppState>,
    conns: BTreeMap<SocketId, LinkConn>,
    envelopes: BTreeMap<String, Envelope>,
    next_event: u64,
    next_host: u64,
}

impl SocketMode {
    pub(crate) fn new(seed: u64) -> Self {
        SocketMode {
            config: SocketModeConfig::default(),
            rng: Rng::new(seed ^ 0x0005_0c3e_70de),
            link_base_url: DEFAULT_LINK_BASE_URL.into(),
            apps: BTreeMap::new(),
            conns: BTreeMap::new(),
            envelopes: BTreeMap::new(),
            next_event: 1,
            next_host: 1,
        }
    }
}

fn bearer(req: &HttpRequest) -> Option<String> {
    let v = req.header("authorization")?;
    let (scheme, rest) = v.split_once(' ')?;
    let t = rest.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !t.is_empty()).then(|| t.to_string())
}

impl SlackModel {
    // ---- configuration and queries ----

    /// Socket Mode's timings: ack timeout, retries, connection lifetime, refresh.
    pub fn socket_mode_config(&self) -> &SocketModeConfig {
        &self.sm.config
    }

    /// Changes Socket Mode's timings (new lifetimes apply to new connections).
    pub fn set_socket_mode_config(&mut self, config: SocketModeConfig) {
        self.sm.config = config;
    }

    /// Link URLs are this base followed by `?ticket=…&app_id=…`.
    pub fn set_link_base_url(&mut self, base: impl Into<String>) {
        self.sm.link_base_url = base.into();
    }

    /// The base of the link URLs `apps.connections.open` hands out.
    pub fn link_base_url(&self) -> &str {
        &self.sm.link_base_url
    }

    /// What Socket Mode did: envelopes sent, acks, offline intervals, abandoned envelopes.
    pub fn socket_mode_record(&self) -> &SocketModeRecord {
        &self.record.socket_mode
    }

    /// The app a connection belongs to, for Socket Mode connections.
    pub fn connection_app(&self, conn: SocketId) -> Option<&str> {
        self.sm.conns.get(&conn).map(|c| c.app_id.as_str())
    }

    /// Open Socket Mode connections of an app that said `hello` and take envelopes.
    pub fn live_app_connections(&self, app_id: &str) -> Vec<SocketId> {
        self.sm
            .conns
            .iter()
            .filter(|(c, l)| l.app_id == app_id && !l.draining && self.hello_sent(**c))
            .map(|(c, _)| *c)
            .collect()
    }

    pub(crate) fn is_link_conn(&self, conn: SocketId) -> bool {
        self.sm.conns.contains_key(&conn)
    }

    // ---- apps.connections.open ----

    pub(crate) fn answer_connections_open(
        &mut self,
        now: Instant,
        req: &HttpRequest,
    ) -> HttpAnswer {
        // Slack reads an app token only from the Authorization header; one in the body or
        // query is not looked at.
        let Some(token) = bearer(req) else {
            return HttpAnswer::error(200, "not_authed");
        };
        let Some(app) = self.ws.apps.iter().find(|a| a.token == token) else {
            let error = if self.ws.tokens.contains(&token) {
                "not_allowed_token_type"
            } else {
                "invalid_auth"
            };
            return HttpAnswer::error(200, error);
        };
        let app_id = app.id.clone();
        let ticket = self.sm.rng.ticket();
        self.tickets.insert(
            ticket.clone(),
            Ticket {
                issued_at: now,
                used: false,
                app_id: Some(app_id.clone()),
            },
        );
        let url = format!("{}?ticket={ticket}&app_id={app_id}", self.sm.link_base_url);
        let mut answer = HttpAnswer::json(200, obj(&[("ok", true.into()), ("url", url.into())]));
        answer.ticket = Some(ticket);
        answer
    }

    /// A client opens a link URL; `query` is its query string (`ticket=…&app_id=…`, maybe
    /// `&debug_reconnects=true`). Same single-use and expiry rules, and the same open
    /// faults, as RTM socket URLs.
    pub fn ws_open_link(
        &mut self,
        now: Instant,
        query: &str,
    ) -> Result<(SocketId, Vec<ServerAction>), super::Reject> {
        let params = super::form::parse(query);
        let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        let ticket = get("ticket").ok_or(super::Reject::UnknownTicket)?;
        let debug = get("debug_reconnects") == Some("true");
        self.open_ticket(now, ticket, true, |m, conn| {
            let app_id = m
                .tickets
                .get(ticket)
                .and_then(|t| t.app_id.clone())
                .unwrap_or_default();
            let lifetime = if debug {
                m.sm.config.debug_reconnects_lifetime
            } else {
                m.sm.config.connection_lifetime
            };
            let host = format!("applink-mock-{}", m.sm.next_host);
            m.sm.next_host += 1;
            m.sm.apps.entry(app_id.clone()).or_default();
            m.sm.conns.insert(
                conn,
                LinkConn {
                    app_id,
                    host,
                    lifetime,
                    draining: false,
                },
            );
        })
    }

    /// Instead of `hello` on a link connection of a disabled app.
    pub(crate) fn link_refused(
        &mut self,
        now: Instant,
        conn: SocketId,
        out: &mut Vec<ServerAction>,
    ) -> bool {
        let Some(l) = self.sm.conns.get(&conn) else {
            return false;
        };
        if !self.sm.apps.get(&l.app_id).is_some_and(|a| a.disabled) {
            return false;
        }
        self.disconnect_frame(now, conn, DisconnectReason::LinkDisabled, out);
        self.close(now, conn, 1000, "link_disabled", out);
        true
    }

    /// The `hello` of a link connection; `None` for RTM connections.
    pub(crate) fn link_hello(&self, conn: SocketId) -> Option<String> {
        let l = self.sm.conns.get(&conn)?;
        let num_connections = self
            .sm
            .conns
            .values()
            .filter(|o| o.app_id == l.app_id)
            .count();
        Some(envelope::hello(&HelloInfo {
            num_connections,
            host: &l.host,
            build_number: 105,
            approximate_connection_time_secs: l.lifetime.as_secs(),
            app_id: &l.app_id,
        }))
    }

    /// After a link connection's `hello`: plan its refresh, end the app's offline interval
    /// and deliver what waited.
    pub(crate) fn link_after_hello(
        &mut self,
        now: Instant,
        conn: SocketId,
        out: &mut Vec<ServerAction>,
    ) {
        let Some(l) = self.sm.conns.get(&conn) else {
            return;
        };
        let app_id = l.app_id.clone();
        let lifetime = l.lifetime;
        let refresh_at = now + lifetime;
        let warn_at = now + lifetime.saturating_sub(self.sm.config.warning_lead);
        self.schedule(warn_at, Pending::SocketMode(Timer::Warning { conn }));
        self.schedule(
            refresh_at,
            Pending::SocketMode(Timer::RefreshRequested { conn }),
        );
        self.record.socket_mode.app_mut(&app_id);
        if let Some(app) = self.sm.apps.get_mut(&app_id) {
            app.ever_connected = true;
        }
        self.update_offline(now, &app_id);
        self.flush_queue(now, &app_id, out);
    }

    /// A connection ended (any way): the app may now be offline.
    pub(crate) fn link_gone(&mut self, now: Instant, conn: SocketId) {
        if let Some(l) = self.sm.conns.remove(&conn) {
            self.update_offline(now, &l.app_id);
        }
    }

    /// Opens or closes the app's current offline interval.
    fn update_offline(&mut self, now: Instant, app_id: &str) {
        let ever = self.sm.apps.get(app_id).is_some_and(|a| a.ever_connected);
        if !ever {
            return;
        }
        let live = self.live_app_connections(app_id).len();
        let rec = self.record.socket_mode.app_mut(app_id);
        let open = rec.offline.last_mut().filter(|o| o.until.is_none());
        match (live, open) {
            (0, None) => rec.offline.push(OfflineInterval {
                from: now,
                until: None,
                envelopes_due: Vec::new(),
            }),
            (n, Some(o)) if n > 0 => o.until = Some(now),
            _ => {}
        }
    }

    // ---- client frames ----

    /// A text frame on a link connection: acks (`{"envelope_id":…}`, maybe `"payload"`).
    /// Anything else is ignored, as Slack does.
    pub(crate) fn link_text(&mut self, now: Instant, conn: SocketId, text: &str) {
        let Ok(Value::Object(frame)) = serde_json::from_str::<Value>(text) else {
            tracing::debug!(%conn, "socket mode: frame is not a JSON object, ignored");
            return;
        };
        let Some(envelope_id) = frame.get("envelope_id").and_then(Value::as_str) else {
            tracing::debug!(%conn, "socket mode: frame without envelope_id, ignored");
            return;
        };
        let (known, first) = match self.sm.envelopes.get_mut(envelope_id) {
            Some(e) => {
                let first = !matches!(e.delivery, Delivery::Acked);
                e.delivery = Delivery::Acked;
                (true, first)
            }
            None => (false, false),
        };
        self.record.socket_mode.acks.push(AckRecord {
            at: now,
            conn,
            envelope_id: envelope_id.to_string(),
            payload: frame.get("payload").cloned(),
            known,
            first,
        });
    }

    // ---- envelopes ----

    fn app_for(&self, app_id: Option<&str>) -> Result<String, ModelError> {
        match app_id {
            Some(id) => self
                .ws
                .apps
                .iter()
                .find(|a| a.id == id)
                .map(|a| a.id.clone())
                .ok_or_else(|| ModelError::UnknownApp(id.into())),
            None => self
                .ws
                .apps
                .first()
                .map(|a| a.id.clone())
                .ok_or_else(|| ModelError::UnknownApp("(the workspace has no app)".into())),
        }
    }

    /// Posts an envelope of any type (unknown types too) to an app; returns its id.
    pub fn post_envelope(
        &mut self,
        now: Instant,
        app_id: Option<&str>,
        kind: &str,
        payload: &Value,
        accepts_response_payload: bool,
    ) -> Result<(String, Vec<ServerAction>), ModelError> {
        let app_id = self.app_for(app_id)?;
        let mut out = Vec::new();
        let id = self.new_envelope(
            now,
            &app_id,
            kind,
            payload.to_string(),
            accepts_response_payload,
            &mut out,
        );
        Ok((id, out))
    }

    fn new_envelope(
        &mut self,
        now: Instant,
        app_id: &str,
        kind: &str,
        payload: String,
        accepts_response_payload: bool,
        out: &mut Vec<ServerAction>,
    ) -> String {
        let id = self.sm.rng.uuid();
        self.sm.envelopes.insert(
            id.clone(),
            Envelope {
                id: id.clone(),
                app_id: app_id.into(),
                kind: kind.into(),
                payload,
                accepts_response_payload,
                attempt: 0,
                retry_reason: "",
                delivery: Delivery::Queued,
            },
        );
        self.sm.apps.entry(app_id.into()).or_default();
        self.deliver(now, &id, out);
        id
    }

    /// Sends the envelope's current attempt on the app's next connection, or queues it.
    fn deliver(&mut self, now: Instant, envelope_id: &str, out: &mut Vec<ServerAction>) {
        let Some(env) = self.sm.envelopes.get(envelope_id) else {
            return;
        };
        let app_id = env.app_id.clone();
        let attempt = env.attempt;
        let live = self.live_app_connections(&app_id);
        let Some(app) = self.sm.apps.get_mut(&app_id) else {
            return;
        };
        if live.is_empty() {
            app.queue.push_back(envelope_id.to_string());
            let ever = app.ever_connected;
            if let Some(e) = self.sm.envelopes.get_mut(envelope_id) {
                e.delivery = Delivery::Queued;
            }
            let rec = self.record.socket_mode.app_mut(&app_id);
            match rec.offline.last_mut().filter(|o| o.until.is_none()) {
                Some(o) if ever => o.envelopes_due.push((envelope_id.to_string(), attempt)),
                _ => rec.queued_before_first_hello += 1,
            }
            tracing::debug!(%app_id, envelope_id, "socket mode: no connection, envelope queued");
            return;
        }
        let conn = live[app.rr % live.len()];
        app.rr = app.rr.wrapping_add(1);
        let after_gap = self.record.socket_mode.app(&app_id).is_some_and(|a| {
            a.offline
                .iter()
                .any(|o| o.envelopes_due.iter().any(|(id, _)| id == envelope_id))
        });
        let Some(env) = self.sm.envelopes.get_mut(envelope_id) else {
            return;
        };
        env.delivery = Delivery::Outstanding;
        let frame = env.frame();
        let kind = env.kind.clone();
        self.record.socket_mode.envelopes_sent.push(SentEnvelope {
            at: now,
            app_id,
            conn,
            envelope_id: envelope_id.to_string(),
            envelope_type: kind,
            retry_attempt: attempt,
            after_gap,
        });
        self.send(now, conn, frame, out);
        let at = now + self.sm.config.ack_timeout;
        self.schedule(
            at,
            Pending::SocketMode(Timer::AckTimeout {
                envelope_id: envelope_id.to_string(),
                attempt,
            }),
        );
    }

    fn flush_queue(&mut self, now: Instant, app_id: &str, out: &mut Vec<ServerAction>) {
        let queued: Vec<String> = self
            .sm
            .apps
            .get_mut(app_id)
            .map(|a| a.queue.drain(..).collect())
            .unwrap_or_default();
        for id in queued {
            // Acked meanwhile (a late ack of an earlier attempt): nothing to send.
            if self
                .sm
                .envelopes
                .get(&id)
                .is_some_and(|e| e.delivery == Delivery::Queued)
            {
                self.deliver(now, &id, out);
            }
        }
    }

    /// The workspace event of a scripted user, for every app: an `events_api` envelope.
    pub(crate) fn event_to_apps(&mut self, now: Instant, event: &str, out: &mut Vec<ServerAction>) {
        let apps: Vec<String> = self.ws.apps.iter().map(|a| a.id.clone()).collect();
        // Slack's `event_time` is the event's own time in whole seconds.
        let event_time = serde_json::from_str::<Value>(event)
            .ok()
            .and_then(|v| {
                v.get("event_ts")
                    .or_else(|| v.get("ts"))
                    .and_then(Value::as_str)
                    .and_then(|ts| ts.split('.').next()?.parse::<u64>().ok())
            })
            .unwrap_or(self.ws.unix_epoch_secs);
        for app_id in apps {
            let event_id = format!(
                "Ev{:06}{}",
                self.sm.next_event,
                self.sm.rng.block_id().to_uppercase()
            );
            self.sm.next_event += 1;
            let payload = envelope::event_callback(&EventCallback {
                team_id: &self.ws.team.id,
                api_app_id: &app_id,
                bot_user_id: &self.ws.bot_user_id,
                event,
                event_id: &event_id,
                event_time,
            });
            self.new_envelope(now, &app_id, kinds::EVENTS_API, payload, false, out);
        }
    }

    fn payload_ctx_names(&self, user: &str, channel: &str) -> Result<(String, String), ModelError> {
        let user_name = self
            .ws
            .user(user)
            .map(|u| u.name.clone())
            .ok_or_else(|| ModelError::UnknownUser(user.into()))?;
        let channel_name = self
            .ws
            .channel(channel)
            .map(|c| c.name.clone())
            .ok_or_else(|| ModelError::UnknownChannel(channel.into()))?;
        Ok((user_name, channel_name))
    }

    /// A user runs a slash command: a `slash_commands` envelope (accepts a response payload).
    pub fn post_slash_command(
        &mut self,
        now: Instant,
        command: &SlashCommand,
    ) -> Result<(String, Vec<ServerAction>), ModelError> {
        let app_id = self.app_for(command.app_id.as_deref())?;
        let (user_name, channel_name) = self.payload_ctx_names(&command.user, &command.channel)?;
        let trigger_id = self.trigger_id();
        let response_url = self.response_url("commands");
        let payload = envelope::slash_command_payload(
            command,
            &PayloadCtx {
                team_id: &self.ws.team.id,
                team_domain: &self.ws.team.domain,
                app_id: &app_id,
                user_name: &user_name,
                channel_name: &channel_name,
                trigger_id: &trigger_id,
                response_url: &response_url,
            },
        );
        let mut out = Vec::new();
        let id = self.new_envelope(now, &app_id, kinds::SLASH_COMMANDS, payload, true, &mut out);
        Ok((id, out))
    }

    /// A user clicks a button: an `interactive` envelope with a `block_actions` payload.
    pub fn post_block_action(
        &mut self,
        now: Instant,
        action: &BlockAction,
    ) -> Result<(String, Vec<ServerAction>), ModelError> {
        let app_id = self.app_for(action.app_id.as_deref())?;
        let (user_name, channel_name) = self.payload_ctx_names(&action.user, &action.channel)?;
        let message_ts = match &action.message_ts {
            Some(ts) => ts.clone(),
            None => self
                .history(&action.channel)
                .last()
                .map(|h| h.ts.clone())
                .ok_or_else(|| ModelError::NothingToReact(action.channel.clone()))?,
        };
        let action_ts = self.ts.next(now);
        let trigger_id = self.trigger_id();
        let response_url = self.response_url("actions");
        let payload = envelope::block_actions_payload(
            action,
            &message_ts,
            &action_ts,
            &PayloadCtx {
                team_id: &self.ws.team.id,
                team_domain: &self.ws.team.domain,
                app_id: &app_id,
                user_name: &user_name,
                channel_name: &channel_name,
                trigger_id: &trigger_id,
                response_url: &response_url,
            },
        );
        let mut out = Vec::new();
        let id = self.new_envelope(now, &app_id, kinds::INTERACTIVE, payload, true, &mut out);
        Ok((id, out))
    }

    fn trigger_id(&mut self) -> String {
        let n = self.sm.rng.next_u64();
        format!(
            "{}.{}.{:032x}",
            n % 10_000_000,
            n % 1_000_000_007,
            u128::from(n)
        )
    }

    fn response_url(&mut self, kind: &str) -> String {
        format!(
            "https://hooks.slack.invalid/{kind}/{}/{}",
            self.ws.team.id,
            self.sm.rng.ticket()
        )
    }

    // ---- refresh and link_disabled ----

    fn disconnect_frame(
        &mut self,
        now: Instant,
        conn: SocketId,
        reason: DisconnectReason,
        out: &mut Vec<ServerAction>,
    ) {
        let Some(l) = self.sm.conns.get_mut(&conn) else {
            return;
        };
        if reason != DisconnectReason::Warning {
            l.draining = true;
        }
        let frame = envelope::disconnect(reason, &l.host);
        let app_id = l.app_id.clone();
        self.send(now, conn, frame, out);
        self.update_offline(now, &app_id);
    }

    /// Now: `warning`; after the warning lead `refresh_requested`; then the close.
    pub(crate) fn link_refresh(
        &mut self,
        now: Instant,
        conn: SocketId,
        out: &mut Vec<ServerAction>,
    ) {
        if !self.is_link_conn(conn) {
            return;
        }
        self.disconnect_frame(now, conn, DisconnectReason::Warning, out);
        let at = now + self.sm.config.warning_lead;
        self.schedule(at, Pending::SocketMode(Timer::RefreshRequested { conn }));
    }

    /// Now: `link_disabled` and a close; the app's next connections are refused the same
    /// way until `Fault::Clear`.
    pub(crate) fn link_disable(
        &mut self,
        now: Instant,
        conn: SocketId,
        out: &mut Vec<ServerAction>,
    ) {
        let Some(l) = self.sm.conns.get(&conn) else {
            return;
        };
        if let Some(a) = self.sm.apps.get_mut(&l.app_id) {
            a.disabled = true;
        }
        self.disconnect_frame(now, conn, DisconnectReason::LinkDisabled, out);
        self.close(now, conn, 1000, "link_disabled", out);
    }

    pub(crate) fn socket_mode_clear(&mut self) {
        for a in self.sm.apps.values_mut() {
            a.disabled = false;
        }
    }

    pub(crate) fn socket_mode_timer(
        &mut self,
        now: Instant,
        timer: Timer,
        out: &mut Vec<ServerAction>,
    ) {
        match timer {
            Timer::AckTimeout {
                envelope_id,
                attempt,
            } => {
                let max = self.sm.config.max_retries;
                let Some(e) = self.sm.envelopes.get_mut(&envelope_id) else {
                    return;
                };
                if e.delivery != Delivery::Outstanding || e.attempt != attempt {
                    return;
                }
                if attempt >= max {
                    e.delivery = Delivery::Abandoned;
                    tracing::debug!(envelope_id, "socket mode: not acked after the last retry");
                    self.record.socket_mode.abandoned.push(envelope_id);
                    return;
                }
                e.attempt += 1;
                e.retry_reason = "timeout";
                self.deliver(now, &envelope_id, out);
            }
            Timer::Warning { conn } => {
                if self.sm.conns.get(&conn).is_some_and(|l| !l.draining) {
                    self.disconnect_frame(now, conn, DisconnectReason::Warning, out);
                }
            }
            Timer::RefreshRequested { conn } => {
                if self.sm.conns.get(&conn).is_some_and(|l| !l.draining) {
                    self.disconnect_frame(now, conn, DisconnectReason::RefreshRequested, out);
                    let at = now + self.sm.config.close_grace;
                    self.schedule(at, Pending::SocketMode(Timer::CloseRefreshed { conn }));
                }
            }
            Timer::CloseRefreshed { conn } => self.close(now, conn, 1000, "refresh", out),
        }
    }
}
