//! The user's handle: commands to the driver task, and reads of its status snapshot.

use std::future::Future;
use std::sync::Arc;

use rtm_proto::{
    Config, ConnectInfo, Outgoing, Reply, RtmError, SendError, SendHandle, SendMode, Sent,
    StartOptions, State,
};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot, watch};

use crate::driver::Driver;
use crate::error::Error;
use crate::events::{Events, Publisher};
use crate::runtime::Runtime;
use crate::status::Status;
use crate::transport::Connector;

/// The server's acknowledgement of a message: `ts` (its id in the channel), the stored
/// `text` and the message id.
pub type Ack = Reply;

/// A command from a handle to the driver.
pub(crate) enum Command {
    Start(
        StartOptions,
        oneshot::Sender<Result<Arc<ConnectInfo>, RtmError>>,
    ),
    Disconnect(oneshot::Sender<()>),
    /// Boxed to keep the channel's slots small (its buffer is allocated per client).
    Send(Box<SendCommand>),
}

pub(crate) struct SendCommand {
    pub(crate) kind: String,
    pub(crate) body: Value,
    pub(crate) mode: SendMode,
    pub(crate) done: oneshot::Sender<Result<Sent, SendError>>,
}

impl SendCommand {
    pub(crate) fn into_outgoing(
        self,
        handle: SendHandle,
    ) -> (Outgoing, oneshot::Sender<Result<Sent, SendError>>) {
        let outgoing = Outgoing {
            handle,
            kind: self.kind,
            body: self.body,
            mode: self.mode,
        };
        (outgoing, self.done)
    }
}

/// What the builder hands to the driver.
#[derive(Debug)]
pub(crate) struct Settings {
    pub(crate) start: StartOptions,
    pub(crate) api_url: url::Url,
    pub(crate) config: Config,
    pub(crate) allow_insecure: bool,
    pub(crate) event_buffer: usize,
}

/// Commands waiting for the driver; sends beyond it wait for room (backpressure).
const COMMAND_BUFFER: usize = 256;

/// Shared by all clones of a handle; its drop is what shuts the driver down.
#[derive(Debug)]
struct Inner {
    commands: mpsc::Sender<Command>,
    status: watch::Receiver<Status>,
    publisher: Publisher,
    start: StartOptions,
    /// Dropped with the last handle: the driver then feeds `Shutdown`. In-flight send
    /// futures hold only `commands`, so they do not keep the client alive.
    _alive: oneshot::Sender<()>,
}

/// A Slack RTM client: a cheap, cloneable handle to the driver task that runs the session.
///
/// Dropping every clone shuts the session down: pending sends settle with
/// `ClientClosed`, and event streams end.
#[derive(Debug, Clone)]
pub struct RtmClient {
    inner: Arc<Inner>,
}

impl RtmClient {
    pub(crate) fn spawn<R: Runtime, C: Connector>(
        runtime: R,
        connector: C,
        settings: Settings,
    ) -> Result<RtmClient, Error> {
        let core = rtm_proto::Client::new(settings.config)?;
        let (commands, command_rx) = mpsc::channel(COMMAND_BUFFER);
        let (status_tx, status) = watch::channel(Status::initial());
        let (alive, alive_rx) = oneshot::channel();
        let publisher = Publisher::new(settings.event_buffer);
        let timer = runtime.new_timer(std::time::Instant::now());
        let driver = Driver::new(
            core,
            connector,
            timer,
            settings.api_url,
            settings.allow_insecure,
            command_rx,
            alive_rx,
            status_tx,
            publisher.clone(),
        );
        runtime.spawn(Box::pin(driver));
        Ok(RtmClient {
            inner: Arc::new(Inner {
                commands,
                status,
                publisher,
                start: settings.start,
                _alive: alive,
            }),
        })
    }

    /// Opens the session with the builder's token and options; completes when it is ready
    /// (after `hello`), or failed for good. Reconnects keep these options.
    pub fn start(&self) -> impl Future<Output = Result<Arc<ConnectInfo>, Error>> + Send + 'static {
        self.start_with(self.inner.start.clone())
    }

    /// [`start`](Self::start) with other options (another token, presence flags).
    pub fn start_with(
        &self,
        options: StartOptions,
    ) -> impl Future<Output = Result<Arc<ConnectInfo>, Error>> + Send + 'static {
        let commands = self.inner.commands.clone();
        async move {
            let (tx, rx) = oneshot::channel();
            commands
                .send(Command::Start(options, tx))
                .await
                .map_err(|_| Error::ClientClosed)?;
            Ok(rx.await.map_err(|_| Error::ClientClosed)??)
        }
    }

    /// Ends the session; completes when it is disconnected. Queued sends stay queued for
    /// the next `start()`.
    pub fn disconnect(&self) -> impl Future<Output = Result<(), Error>> + Send + 'static {
        let commands = self.inner.commands.clone();
        async move {
            let (tx, rx) = oneshot::channel();
            commands
                .send(Command::Disconnect(tx))
                .await
                .map_err(|_| Error::ClientClosed)?;
            rx.await.map_err(|_| Error::ClientClosed)
        }
    }

    fn submit(
        &self,
        kind: String,
        body: Value,
        mode: SendMode,
    ) -> impl Future<Output = Result<Sent, Error>> + Send + 'static {
        let commands = self.inner.commands.clone();
        async move {
            let (done, rx) = oneshot::channel();
            let command = Command::Send(Box::new(SendCommand {
                kind,
                body,
                mode,
                done,
            }));
            let closed = || Error::Send(SendError::ClientClosed);
            commands.send(command).await.map_err(|_| closed())?;
            Ok(rx.await.map_err(|_| closed())??)
        }
    }

    /// Writes a frame now, unqueued (`send`): only while the session is ready. Completes
    /// with the message id once written.
    pub fn send(
        &self,
        kind: impl Into<String>,
        body: Value,
    ) -> impl Future<Output = Result<u64, Error>> + Send + 'static {
        let sent = self.submit(kind.into(), body, SendMode::Immediate);
        async move { Ok(sent.await?.id()) }
    }

    /// Queues a frame until the session is ready (`addOutgoingEvent`). With `await_reply`,
    /// completes with the server's reply (or its error); else once written.
    pub fn add_outgoing_event(
        &self,
        await_reply: bool,
        kind: impl Into<String>,
        body: Value,
    ) -> impl Future<Output = Result<Sent, Error>> + Send + 'static {
        self.submit(kind.into(), body, SendMode::Queued { await_reply })
    }

    /// Sends a message to a conversation and waits for its ack (`sendMessage`).
    pub fn send_message(
        &self,
        text: impl AsRef<str>,
        channel: impl AsRef<str>,
    ) -> impl Future<Output = Result<Ack, Error>> + Send + 'static {
        let o = Outgoing::message(SendHandle(0), channel.as_ref(), text.as_ref());
        let sent = self.submit(o.kind, o.body, o.mode);
        async move {
            match sent.await? {
                Sent::Replied(reply) => Ok(reply),
                // Unreachable (messages await their ack); an ack without fields keeps the id.
                Sent::Written { id } => Ok(Reply {
                    id,
                    ts: None,
                    text: None,
                    raw: String::new(),
                }),
            }
        }
    }

    /// Sends a typing indicator (`sendTyping`); completes once written.
    pub fn send_typing(
        &self,
        channel: impl AsRef<str>,
    ) -> impl Future<Output = Result<(), Error>> + Send + 'static {
        let o = Outgoing::typing(SendHandle(0), channel.as_ref());
        let sent = self.submit(o.kind, o.body, o.mode);
        async move { sent.await.map(drop) }
    }

    /// Subscribes to the presence of exactly these users (`subscribePresence`; replaces the
    /// previous list); completes once written.
    pub fn subscribe_presence<S: AsRef<str>>(
        &self,
        ids: &[S],
    ) -> impl Future<Output = Result<(), Error>> + Send + 'static {
        let o = Outgoing::presence_sub(SendHandle(0), ids);
        let sent = self.submit(o.kind, o.body, o.mode);
        async move { sent.await.map(drop) }
    }

    /// A new subscription to all events, from now on.
    pub fn events(&self) -> Events {
        self.inner.publisher.subscribe()
    }

    /// A new subscription to the events matching `patterns` (see [`Events::only`]).
    pub fn subscribe_filtered<I, S>(&self, patterns: I) -> Events
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.events().only(patterns)
    }

    /// A snapshot of the client's properties.
    pub fn status(&self) -> Status {
        self.inner.status.borrow().clone()
    }

    /// Waits until the status satisfies `predicate` (checked at once, then on each change).
    pub fn wait_for(
        &self,
        mut predicate: impl FnMut(&Status) -> bool + Send + 'static,
    ) -> impl Future<Output = Result<Status, Error>> + Send + 'static {
        let mut status = self.inner.status.clone();
        async move {
            let s = status
                .wait_for(|s| predicate(s))
                .await
                .map_err(|_| Error::ClientClosed)?;
            Ok(s.clone())
        }
    }

    /// The state.
    pub fn state(&self) -> State {
        self.inner.status.borrow().state
    }

    /// Whether a session is live (`connected`).
    pub fn connected(&self) -> bool {
        self.inner.status.borrow().connected()
    }

    /// Whether the current attempt has authenticated (`authenticated`).
    pub fn authenticated(&self) -> bool {
        self.inner.status.borrow().authenticated
    }

    /// The connected user (`activeUserId`).
    pub fn active_user_id(&self) -> Option<String> {
        self.inner
            .status
            .borrow()
            .active_user_id()
            .map(str::to_owned)
    }

    /// The connected team (`activeTeamId`).
    pub fn active_team_id(&self) -> Option<String> {
        self.inner
            .status
            .borrow()
            .active_team_id()
            .map(str::to_owned)
    }
}
