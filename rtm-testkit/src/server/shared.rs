//! State shared by the server's tasks and the control handle: the model, the live
//! connections' command channels, and the notifications waiters and the ticker sleep on.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use tokio::sync::{Notify, mpsc};
use tungstenite::Message;

use super::flood::EncodedFlood;
use crate::model::{Reject, ServerAction, SlackModel, SocketId, WireFrame};

/// What a connection task is told to do, in order.
#[derive(Debug)]
pub(crate) enum ConnCmd {
    Frame(Message),
    Close(u16, String),
    Drop,
    Flood(Arc<EncodedFlood>, u64),
    /// Stop reading and writing, keep the TCP connection (half-open fault).
    HalfOpen,
    Shutdown,
}

/// Which kind of URL a WebSocket upgrade asked for.
#[derive(Debug)]
pub(crate) enum Opening {
    /// RTM: `/websocket/<ticket>`.
    Rtm(String),
    /// Socket Mode: `/link/?ticket=…&app_id=…`, with its query string.
    Link(String),
}

pub(crate) struct State {
    pub(crate) model: SlackModel,
    conns: HashMap<SocketId, mpsc::UnboundedSender<ConnCmd>>,
    flood: Option<(Arc<[String]>, Arc<EncodedFlood>)>,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("conns", &self.conns.len())
            .finish_non_exhaustive()
    }
}

#[derive(Debug)]
pub(crate) struct Shared {
    state: Mutex<State>,
    /// Poked after every change of the model: wakes waiters and the ticker.
    pub(crate) changed: Notify,
    /// Poked when a connection task ends (shutdown waits on it).
    pub(crate) conn_gone: Notify,
    /// `POST /admin/shutdown` was called (the binary waits on it).
    pub(crate) shutdown_requested: Notify,
    pub(crate) origin: Instant,
}

impl Shared {
    pub(crate) fn new(model: SlackModel) -> Self {
        Shared {
            state: Mutex::new(State {
                model,
                conns: HashMap::new(),
                flood: None,
            }),
            changed: Notify::new(),
            conn_gone: Notify::new(),
            shutdown_requested: Notify::new(),
            origin: Instant::now(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere must not take the mock down with it: the model stays usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` on the model, performs the actions it returns, and wakes waiters.
    /// Actions are dispatched under the lock so that every connection gets them in model order.
    pub(crate) fn with_model<R>(
        &self,
        f: impl FnOnce(&mut SlackModel, Instant) -> (R, Vec<ServerAction>),
    ) -> R {
        let r = {
            let mut st = self.lock();
            let (r, actions) = f(&mut st.model, Instant::now());
            st.dispatch(actions);
            r
        };
        self.changed.notify_waiters();
        r
    }

    /// Reads the model without changing it.
    pub(crate) fn read<R>(&self, f: impl FnOnce(&SlackModel) -> R) -> R {
        f(&self.lock().model)
    }

    /// Opens a connection in the model and registers its command channel.
    pub(crate) fn open(
        &self,
        opening: &Opening,
        tx: mpsc::UnboundedSender<ConnCmd>,
    ) -> Result<SocketId, Reject> {
        let r = {
            let mut st = self.lock();
            let now = Instant::now();
            let opened = match opening {
                Opening::Rtm(ticket) => st.model.ws_open(now, ticket),
                Opening::Link(query) => st.model.ws_open_link(now, query),
            };
            opened.map(|(conn, actions)| {
                st.conns.insert(conn, tx);
                st.dispatch(actions);
                conn
            })
        };
        self.changed.notify_waiters();
        r
    }

    /// The connection task ended.
    pub(crate) fn gone(&self, conn: SocketId) {
        {
            let mut st = self.lock();
            st.model.ws_closed(Instant::now(), conn);
            st.conns.remove(&conn);
        }
        self.changed.notify_waiters();
        self.conn_gone.notify_waiters();
    }

    pub(crate) fn live_tasks(&self) -> usize {
        self.lock().conns.len()
    }

    /// Tells every connection task to close (server shutdown).
    pub(crate) fn shutdown_all(&self) {
        let st = self.lock();
        for tx in st.conns.values() {
            let _ = tx.send(ConnCmd::Shutdown);
        }
    }
}

impl State {
    fn dispatch(&mut self, actions: Vec<ServerAction>) {
        for action in actions {
            let conn = action.conn();
            let cmd = match action {
                ServerAction::Send { frame, .. } => ConnCmd::Frame(match frame {
                    WireFrame::Text(t) => Message::text(t),
                    WireFrame::Binary(b) => Message::binary(b),
                }),
                ServerAction::Close { code, reason, .. } => ConnCmd::Close(code, reason),
                ServerAction::DropTcp { .. } => ConnCmd::Drop,
                ServerAction::HalfOpen { .. } => ConnCmd::HalfOpen,
                ServerAction::Flood { count, events, .. } => {
                    ConnCmd::Flood(self.encoded_flood(&events), count)
                }
            };
            match self.conns.get(&conn) {
                Some(tx) => {
                    let _ = tx.send(cmd);
                }
                None => tracing::debug!(%conn, "action for a connection without a task"),
            }
        }
    }

    /// Encodes flood frames once per event set.
    fn encoded_flood(&mut self, events: &Arc<[String]>) -> Arc<EncodedFlood> {
        match &self.flood {
            Some((e, enc)) if Arc::ptr_eq(e, events) => enc.clone(),
            _ => {
                let enc = Arc::new(EncodedFlood::new(events));
                self.flood = Some((events.clone(), enc.clone()));
                enc
            }
        }
    }
}
