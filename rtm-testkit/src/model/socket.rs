//! The RTM WebSocket: opening with a ticket, and answering client frames as Slack does.

use std::time::Instant;

use serde_json::{Map, Value};

use super::events::{self, MessageEvent};
use super::record::{ConnRecord, Recorded};
use super::wire::{codes, error_frame, obj, reply_error};
use super::{
    ConnState, MAX_FRAME_BYTES, MAX_TEXT_CHARS, Pending, Reject, ServerAction, SlackModel,
    SocketId, TICKET_TTL, WireFrame,
};

impl SlackModel {
    /// A client opens the socket URL holding `ticket`. Tickets are single use and expire
    /// after [`TICKET_TTL`]. On success the actions hold `hello` unless a fault says otherwise.
    pub fn ws_open(
        &mut self,
        now: Instant,
        ticket: &str,
    ) -> Result<(SocketId, Vec<ServerAction>), Reject> {
        self.open_ticket(now, ticket, false, |_, _| {})
    }

    /// Opens a connection with an RTM (`link == false`) or Socket Mode ticket; `register`
    /// records what the kind of connection needs before `hello`.
    pub(super) fn open_ticket(
        &mut self,
        now: Instant,
        ticket: &str,
        link: bool,
        register: impl FnOnce(&mut Self, SocketId),
    ) -> Result<(SocketId, Vec<ServerAction>), Reject> {
        let t = self.tickets.get_mut(ticket).ok_or(Reject::UnknownTicket)?;
        // Each kind of ticket opens only its own kind of URL.
        if t.app_id.is_some() != link {
            return Err(Reject::UnknownTicket);
        }
        if t.used {
            return Err(Reject::AlreadyUsed);
        }
        // An expired ticket is spent too: Slack never revives a URL.
        t.used = true;
        if now.saturating_duration_since(t.issued_at) >= TICKET_TTL {
            return Err(Reject::Expired);
        }
        let conn = SocketId(self.next_conn);
        self.next_conn += 1;
        self.conns.insert(conn, ConnState::default());
        self.record.connections.push(ConnRecord::new(conn, now));
        register(self, conn);
        tracing::debug!(%conn, link, "ws open");

        let faults = std::mem::take(&mut self.next_open);
        let mut out = Vec::new();
        if faults.expired_url {
            self.send(
                now,
                conn,
                error_frame(codes::URL_EXPIRED, codes::URL_EXPIRED_MSG),
                &mut out,
            );
            self.close(now, conn, 1000, "", &mut out);
        } else if faults.no_hello {
            // Silence: the client's hello timeout is what is under test.
        } else if let Some(delay) = faults.late_hello {
            self.schedule(
                now + delay,
                Pending::Hello {
                    conn,
                    replay_ack: faults.replay_last_ack,
                },
            );
        } else {
            self.send_hello(now, conn, faults.replay_last_ack, &mut out);
        }
        Ok((conn, out))
    }

    /// The transport saw the connection end (close frame, error or EOF). Idempotent.
    pub fn ws_closed(&mut self, now: Instant, conn: SocketId) {
        if self.conns.remove(&conn).is_some() {
            tracing::debug!(%conn, "ws closed by peer");
            if let Some(r) = self.record.conn_mut(conn) {
                r.closed_at = Some(now);
            }
            self.link_gone(now, conn);
        }
    }

    /// Slack accepts no binary frames: it closes with 1003.
    pub fn ws_binary(&mut self, now: Instant, conn: SocketId, data: &[u8]) -> Vec<ServerAction> {
        let mut out = Vec::new();
        if !self.record_from_client(now, conn, WireFrame::Binary(data.to_vec())) {
            return out;
        }
        self.close(
            now,
            conn,
            codes::CLOSE_UNSUPPORTED_DATA,
            "binary frames are not supported",
            &mut out,
        );
        out
    }

    /// A text frame from the client.
    pub fn ws_text(&mut self, now: Instant, conn: SocketId, text: &str) -> Vec<ServerAction> {
        let mut out = Vec::new();
        if !self.record_from_client(now, conn, WireFrame::Text(text.to_string())) {
            return out;
        }
        if text.len() > MAX_FRAME_BYTES {
            self.close(now, conn, codes::CLOSE_TOO_BIG, "message too big", &mut out);
            return out;
        }
        if self.is_link_conn(conn) {
            self.link_text(now, conn, text);
            return out;
        }
        let frame = match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(m)) => m,
            _ => {
                self.send(
                    now,
                    conn,
                    error_frame(codes::BAD_FRAME, codes::BAD_FRAME_MSG),
                    &mut out,
                );
                return out;
            }
        };
        let Some(ty) = frame.get("type").and_then(Value::as_str) else {
            self.send(
                now,
                conn,
                error_frame(codes::BAD_FRAME, codes::BAD_FRAME_MSG),
                &mut out,
            );
            return out;
        };
        // presence_sub is the one frame Slack documents without an id.
        if ty == "presence_sub" {
            self.on_presence_sub(now, conn, &frame, &mut out);
            return out;
        }
        let Some(id) = frame.get("id").and_then(Value::as_u64).filter(|id| *id > 0) else {
            self.send(
                now,
                conn,
                error_frame(codes::NO_ID, codes::NO_ID_MSG),
                &mut out,
            );
            return out;
        };
        match ty {
            "message" => self.on_message(now, conn, id, &frame, &mut out),
            "typing" => self.on_typing(now, conn, id, &frame, &mut out),
            "ping" => self.on_ping(now, conn, id, &frame, &mut out),
            _ => {
                let err = reply_error(id, codes::UNSUPPORTED_TYPE, codes::UNSUPPORTED_TYPE_MSG);
                self.reply(now, conn, err, false, &mut out);
            }
        }
        out
    }

    /// Records a client frame; false when the connection is not open (frame ignored).
    fn record_from_client(&mut self, now: Instant, conn: SocketId, frame: WireFrame) -> bool {
        // Nothing reaches the model through a half-open connection.
        if self.conns.get(&conn).is_none_or(|c| c.half_open) {
            return false;
        }
        if let Some(r) = self.record.conn_mut(conn) {
            r.from_client.push(Recorded { at: now, frame });
        }
        true
    }

    fn on_presence_sub(
        &mut self,
        now: Instant,
        conn: SocketId,
        frame: &Map<String, Value>,
        out: &mut Vec<ServerAction>,
    ) {
        let ids: Option<Vec<String>> = frame
            .get("ids")
            .and_then(Value::as_array)
            .and_then(|a| a.iter().map(|v| v.as_str().map(str::to_string)).collect());
        match ids {
            // Always the complete list: it replaces the previous one.
            Some(ids) => {
                if let Some(r) = self.record.conn_mut(conn) {
                    r.presence_sub = Some(ids);
                }
            }
            None => self.send(
                now,
                conn,
                error_frame(codes::BAD_FRAME, codes::BAD_FRAME_MSG),
                out,
            ),
        }
    }

    /// The frame's `channel`, when the workspace has it.
    fn known_channel<'f>(&self, frame: &'f Map<String, Value>) -> Option<&'f str> {
        frame
            .get("channel")
            .and_then(Value::as_str)
            .filter(|c| self.ws.channel(c).is_some())
    }

    /// Sends `event` to every open connection but `conn` (the bot's other sessions see what
    /// it does as any member would).
    fn send_to_others(
        &mut self,
        now: Instant,
        conn: SocketId,
        event: &str,
        out: &mut Vec<ServerAction>,
    ) {
        let others: Vec<SocketId> = self
            .open_connections()
            .into_iter()
            .filter(|c| *c != conn && !self.is_link_conn(*c))
            .collect();
        for other in others {
            self.send(now, other, event.to_owned(), out);
        }
    }

    fn on_message(
        &mut self,
        now: Instant,
        conn: SocketId,
        id: u64,
        frame: &Map<String, Value>,
        out: &mut Vec<ServerAction>,
    ) {
        let channel = self.known_channel(frame);
        let Some(channel) = channel else {
            let err = reply_error(id, codes::CHANNEL_NOT_FOUND, codes::CHANNEL_NOT_FOUND_MSG);
            return self.reply(now, conn, err, true, out);
        };
        let Some(text) = frame
            .get("text")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
        else {
            let err = reply_error(id, codes::TEXT_MISSING, codes::TEXT_MISSING_MSG);
            return self.reply(now, conn, err, true, out);
        };
        if text.chars().count() > MAX_TEXT_CHARS {
            let err = reply_error(id, codes::MSG_TOO_LONG, codes::MSG_TOO_LONG_MSG);
            return self.reply(now, conn, err, true, out);
        }
        if self.rate_limited > 0 {
            self.rate_limited -= 1;
            let err = reply_error(id, codes::SLOW_DOWN, codes::SLOW_DOWN_MSG);
            return self.reply(now, conn, err, true, out);
        }
        let ts = self.ts.next(now);
        let text = events::escape_text(text);
        // A reply in a thread (`thread_ts`), as Slack's RTM accepts it.
        let thread_ts = frame.get("thread_ts").and_then(Value::as_str);
        let bot = self.ws.bot();
        self.history
            .entry(channel.to_string())
            .or_default()
            .push(super::HistoryEntry {
                ts: ts.clone(),
                user: bot.id.clone(),
                text: text.clone(),
                thread_ts: thread_ts.map(str::to_owned),
            });
        // Other sessions of the bot see its message as any member would.
        let block_id = self.rng.block_id();
        let event = events::message(&MessageEvent {
            user: &bot.id,
            text: &text,
            channel,
            team: &self.ws.team.id,
            ts: &ts,
            client_msg_id: None,
            block_id: &block_id,
            bot_id: bot.bot_id.as_deref(),
            thread_ts,
            blocks: None,
        });
        self.send_to_others(now, conn, &event, out);
        self.reply(now, conn, events::ack(id, &ts, &text), true, out);
    }

    fn on_typing(
        &mut self,
        now: Instant,
        conn: SocketId,
        id: u64,
        frame: &Map<String, Value>,
        out: &mut Vec<ServerAction>,
    ) {
        let channel = self.known_channel(frame);
        let Some(channel) = channel else {
            let err = reply_error(id, codes::CHANNEL_NOT_FOUND, codes::CHANNEL_NOT_FOUND_MSG);
            return self.reply(now, conn, err, false, out);
        };
        let event = events::user_typing(channel, &self.ws.bot_user_id);
        self.send_to_others(now, conn, &event, out);
    }

    fn on_ping(
        &mut self,
        now: Instant,
        conn: SocketId,
        id: u64,
        frame: &Map<String, Value>,
        out: &mut Vec<ServerAction>,
    ) {
        if self.pongs_stopped {
            return;
        }
        let mut fields: Vec<(&str, Value)> = vec![("type", "pong".into()), ("reply_to", id.into())];
        // Slack echoes the ping's extra flat fields (e.g. `time`), not nested ones.
        for (k, v) in frame {
            if k != "type" && k != "id" && !v.is_object() && !v.is_array() {
                fields.push((k.as_str(), v.clone()));
            }
        }
        self.reply(now, conn, obj(&fields), false, out);
    }
}
