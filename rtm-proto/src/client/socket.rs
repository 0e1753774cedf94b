//! The socket: RTM's frames (replies, `hello`, `goodbye`, errors), its end, and time.

use std::time::Instant;

use super::{Client, Link};
use crate::action::Action;
use crate::error::{NoReplyReason, RtmError};
use crate::event::{Event, SlackEvent};
use crate::frame;
use crate::ids::ConnId;
use crate::keepalive::Due;
use crate::session::{Phase, Timeout};
use crate::time::after;

impl Client {
    // ---- the socket ----

    pub(super) fn frame(
        &mut self,
        now: Instant,
        conn: ConnId,
        text: String,
        out: &mut Vec<Action>,
    ) -> bool {
        if self.session.socket() != Some(conn) {
            return false;
        }
        let event = match SlackEvent::from_json(text) {
            Ok(e) => e,
            Err(e) => {
                out.push(Action::Emit(Event::Error(RtmError::MalformedFrame {
                    detail: e.to_string(),
                })));
                return true;
            }
        };
        // Replies settle their sends even while closing: the ack is as good as before.
        if let Some(reply_to) = event.reply_to() {
            if let Some((_, keepalive, _)) = self.session.live_mut() {
                keepalive.replied(reply_to);
            }
            self.outbox.reply(reply_to, event.raw(), out);
            self.resume_if_answered(now, out);
        }
        if matches!(self.session.phase(), Phase::Closing { .. }) {
            out.push(Action::Emit(Event::Slack(event)));
            return true;
        }
        let lost = match (event.event_type(), event.reply_to()) {
            (Some("hello"), _) => None,
            (Some("goodbye"), _) => Some(RtmError::Goodbye),
            (Some("team_migration_started"), _) => Some(RtmError::TeamMigration),
            (Some("error"), None) => {
                let (code, msg) = frame::reply::error_frame(event.raw());
                Some(RtmError::Server { code, msg })
            }
            _ => {
                out.push(Action::Emit(Event::Slack(event)));
                return true;
            }
        };
        out.push(Action::Emit(Event::Slack(event)));
        match lost {
            None => self.hello(now, conn, out),
            Some(e) => {
                if let RtmError::Server { .. } = e {
                    out.push(Action::Emit(Event::Error(e.clone())));
                }
                self.lost(now, e, false, out);
            }
        }
        true
    }

    pub(super) fn hello(&mut self, now: Instant, conn: ConnId, out: &mut Vec<Action>) {
        if !self.session.awaits_hello(conn) {
            return;
        }
        out.push(Action::Emit(Event::Connected));
        if self.outbox.awaiting_reply() == 0 {
            self.session.hello(now, Link::Ready { paced_until: None });
            self.ready(now, out);
        } else {
            let until = after(now, self.config.reply_ack_on_reconnect_timeout);
            self.session.hello(now, Link::Resuming { until });
        }
    }

    /// The socket closed or failed: the end of a close, or a loss.
    pub(super) fn socket_ended(
        &mut self,
        now: Instant,
        conn: ConnId,
        error: RtmError,
        out: &mut Vec<Action>,
    ) -> bool {
        if self.session.socket() != Some(conn) {
            return false;
        }
        // A failed socket is unusable, so it is dropped; a closed one is already gone.
        let failed = matches!(error, RtmError::Websocket { .. });
        if failed {
            out.push(Action::Emit(Event::Error(error.clone())));
        }
        if matches!(self.session.phase(), Phase::Closing { .. }) {
            self.finish_disconnect(now, failed, out);
        } else {
            self.lost(now, error, !failed, out);
        }
        true
    }

    pub(super) fn finish_disconnect(
        &mut self,
        now: Instant,
        drop_socket: bool,
        out: &mut Vec<Action>,
    ) {
        let Some((conn, restart)) = self.session.closed() else {
            return;
        };
        if drop_socket {
            out.push(Action::DropWebSocket { conn });
        }
        // A start that arrived while closing must outlive `end`.
        let start_pending = std::mem::take(&mut self.start_pending);
        self.end(None, out);
        if let Some(options) = restart {
            self.start_pending = start_pending;
            self.options = Some(options);
            self.session.restart_episode();
            self.attempt(now, out);
        }
    }

    // ---- time ----

    pub(super) fn tick(&mut self, now: Instant, out: &mut Vec<Action>) {
        self.outbox.expire(now, out);
        if let Some((_, _, link)) = self.session.live_mut() {
            match *link {
                Link::Resuming { until } if until <= now => {
                    self.outbox.fail_pending(NoReplyReason::ConnectionLost, out);
                    self.ready(now, out);
                }
                Link::Ready {
                    paced_until: Some(at),
                } if at <= now => self.flush(now, out),
                _ => {}
            }
        }
        match self.session.due(now) {
            Some(Timeout::WebCall) => self.retry(now, RtmError::WebCallTimeout, None, out),
            Some(Timeout::Hello) => self.lost(now, RtmError::HelloTimeout, false, out),
            Some(Timeout::Close) => self.finish_disconnect(now, true, out),
            Some(Timeout::Retry) => self.attempt(now, out),
            Some(Timeout::Keepalive(Due::Ping)) => self.ping(now, out),
            Some(Timeout::Keepalive(Due::Dead)) => {
                self.lost(now, RtmError::PongTimeout, false, out)
            }
            None => {}
        }
        // A reply may have emptied the awaited set by timing out above.
        self.resume_if_answered(now, out);
    }
}
