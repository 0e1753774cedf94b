//! Connection attempts and their end: the web call, retries, the loss of a socket, the end
//! of the session.

use std::sync::Arc;
use std::time::Instant;

use super::{Client, Link};
use crate::action::{Action, WebMethod};
use crate::connect;
use crate::error::{NoReplyReason, RtmError};
use crate::event::{ConnectInfo, Event};
use crate::ids::ConnId;
use crate::input::WebResponse;
use crate::session::{Next, Phase};

impl Client {
    // ---- connection attempts ----

    pub(super) fn attempt(&mut self, now: Instant, out: &mut Vec<Action>) {
        let Some(options) = self.options.clone() else {
            // Unreachable by construction (attempts follow a start); end rather than hang.
            return self.end(Some(RtmError::Disconnected), out);
        };
        let conn = self.session.begin(now);
        let method = if self.config.use_rtm_connect {
            WebMethod::RtmConnect
        } else {
            WebMethod::RtmStart
        };
        let mut form = Vec::new();
        if let Some(b) = options.batch_presence_aware {
            form.push(("batch_presence_aware", b.to_string()));
        }
        if let Some(b) = options.presence_sub {
            form.push(("presence_sub", b.to_string()));
        }
        out.push(Action::Emit(Event::Connecting));
        out.push(Action::CallWebApi {
            conn,
            method,
            token: options.token,
            form,
        });
    }

    pub(super) fn web_result(
        &mut self,
        now: Instant,
        conn: ConnId,
        result: Result<WebResponse, crate::TransportError>,
        out: &mut Vec<Action>,
    ) -> bool {
        if self.session.authenticating() != Some(conn) {
            return false;
        }
        let info = result
            .map_err(|error| RtmError::Request { error })
            .and_then(connect::read);
        match info {
            Ok(info) => {
                let info = Arc::new(info);
                self.info = Some(info.clone());
                out.push(Action::Emit(Event::Authenticated(info.clone())));
                out.push(Action::OpenWebSocket {
                    conn,
                    url: info.url.clone(),
                });
                self.session.authenticated(now, conn);
            }
            Err(e) => self.retry(now, e, None, out),
        }
        true
    }

    /// The current attempt failed, or the live session was lost (`live_since` is when it
    /// became live). Retries, or ends the session.
    pub(super) fn retry(
        &mut self,
        now: Instant,
        error: RtmError,
        live_since: Option<Instant>,
        out: &mut Vec<Action>,
    ) {
        let retry_after = match error {
            RtmError::RateLimited { retry_after } => retry_after,
            _ => None,
        };
        let next = self
            .session
            .retry(now, error.is_recoverable(), live_since, retry_after);
        match next {
            Next::End => self.end(Some(error), out),
            Next::GiveUp { failed, .. } => self.end(
                Some(RtmError::RetriesExhausted {
                    attempts: failed,
                    last: Box::new(error),
                }),
                out,
            ),
            Next::Reconnect { attempt, delay } => {
                out.push(Action::Emit(Event::Reconnecting {
                    attempt,
                    delay,
                    reason: error,
                }));
                if delay.is_zero() {
                    self.attempt(now, out);
                }
            }
        }
    }

    /// The socket in use is lost: let go of it (unless it is already gone), then retry.
    pub(super) fn lost(
        &mut self,
        now: Instant,
        error: RtmError,
        socket_gone: bool,
        out: &mut Vec<Action>,
    ) {
        if let (Some(conn), false) = (self.session.socket(), socket_gone) {
            out.push(Action::DropWebSocket { conn });
        }
        let live_since = self.session.lose();
        self.retry(now, error, live_since, out);
    }

    /// The session ends: awaited replies fail; queued sends stay for the next start after
    /// `disconnect()`, and fail with the error when the session ended for good.
    pub(super) fn end(&mut self, error: Option<RtmError>, out: &mut Vec<Action>) {
        self.outbox.fail_pending(NoReplyReason::SessionEnded, out);
        if let Some(e) = &error {
            self.outbox.fail_queued(e, out);
        }
        if let Some(e) = &error
            && self.start_pending
        {
            out.push(Action::Emit(Event::UnableToRtmStart(e.clone())));
        }
        self.settle_start(Err(error.clone().unwrap_or(RtmError::Disconnected)), out);
        out.push(Action::Emit(Event::Disconnected { error }));
        self.session.end();
        self.settle_disconnect(out);
    }

    pub(super) fn settle_start(
        &mut self,
        result: Result<Arc<ConnectInfo>, RtmError>,
        out: &mut Vec<Action>,
    ) {
        if std::mem::take(&mut self.start_pending) {
            out.push(Action::StartSettled(result));
        }
    }

    pub(super) fn settle_disconnect(&mut self, out: &mut Vec<Action>) {
        if std::mem::take(&mut self.disconnect_pending) {
            out.push(Action::DisconnectSettled);
        }
    }

    /// The session is ready: the start settles and the queue flows.
    pub(super) fn ready(&mut self, now: Instant, out: &mut Vec<Action>) {
        let Some((_, _, link)) = self.session.live_mut() else {
            return;
        };
        *link = Link::Ready { paced_until: None };
        out.push(Action::Emit(Event::Ready));
        if let Some(info) = self.info.clone() {
            self.settle_start(Ok(info), out);
        }
        self.flush(now, out);
    }

    /// While resuming: ready once no reply from the previous connection is awaited.
    pub(super) fn resume_if_answered(&mut self, now: Instant, out: &mut Vec<Action>) {
        if let Phase::Live {
            link: Link::Resuming { .. },
            ..
        } = self.session.phase()
            && self.outbox.awaiting_reply() == 0
        {
            self.ready(now, out);
        }
    }
}
