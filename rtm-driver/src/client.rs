//! The user's handle: commands to the driver task, and reads of its status snapshot.

use std::future::Future;
use std::sync::Arc;

use rtm_proto::{
    Config, ConnectInfo, Outgoing, Reply, SendError, SendMode, Sent, StartOptions, State,
};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot, watch};
use tracing::Instrument;

use crate::command::{Command, SendCommand};
use crate::driver::{Driver, Endpoint, Ends};
use crate::error::Error;
use crate::events::{Events, Publisher};
use crate::record::Recording;
use crate::runtime::Runtime;
use crate::status::Status;
use crate::transport::Connector;

/// What the builder hands to the driver.
pub(crate) struct Settings {
    pub(crate) start: StartOptions,
    pub(crate) api_url: url::Url,
    pub(crate) config: Config,
    pub(crate) allow_insecure: bool,
    pub(crate) event_buffer: usize,
    pub(crate) name: Option<String>,
    /// Where to record the session, and the secrets to keep out of it.
    pub(crate) record: Option<(Box<dyn std::io::Write + Send>, Vec<String>)>,
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
        let core = rtm_proto::Client::new(settings.config.clone())?;
        let (commands, command_rx) = mpsc::channel(COMMAND_BUFFER);
        let (status_tx, status) = watch::channel(Status::initial());
        let (alive, alive_rx) = oneshot::channel();
        let publisher = Publisher::new(settings.event_buffer);
        let runtime: Arc<dyn Runtime> = Arc::new(runtime);
        let endpoint = Endpoint {
            api_url: settings.api_url,
            allow_insecure: settings.allow_insecure,
        };
        let ends = Ends {
            commands: command_rx,
            alive: alive_rx,
            status: status_tx,
            publisher: publisher.clone(),
        };
        // Every line the driver logs carries the client's name (set now, or once authenticated).
        let span = match &settings.name {
            Some(name) => tracing::info_span!("rtm", name = %name),
            None => tracing::info_span!("rtm", name = tracing::field::Empty),
        };
        let named = settings.name.is_some();
        let recording = settings.record.and_then(|(writer, secrets)| {
            Recording::start(writer, &settings.config, secrets, span.clone())
        });
        let driver = Driver::new(core, connector, runtime.clone(), endpoint, ends)
            .in_span(span.clone(), named)
            .with_recording(recording);
        runtime.spawn(Box::pin(driver.instrument(span)));
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
        outgoing: Outgoing,
    ) -> impl Future<Output = Result<Sent, Error>> + Send + 'static {
        let commands = self.inner.commands.clone();
        async move {
            let (done, rx) = oneshot::channel();
            let command = Command::Send(Box::new(SendCommand { outgoing, done }));
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
        let sent = self.submit(Outgoing {
            kind: kind.into(),
            body,
            mode: SendMode::Immediate,
        });
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
        self.submit(Outgoing {
            kind: kind.into(),
            body,
            mode: SendMode::Queued { await_reply },
        })
    }

    /// Sends a message to a conversation and waits for the server's reply, its ack: `ts`
    /// (the message's id in the channel) and the stored `text` (`sendMessage`).
    pub fn send_message(
        &self,
        text: impl AsRef<str>,
        channel: impl AsRef<str>,
    ) -> impl Future<Output = Result<Reply, Error>> + Send + 'static {
        let sent = self.submit(Outgoing::message(text.as_ref(), channel.as_ref()));
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
        let sent = self.submit(Outgoing::typing(channel.as_ref()));
        async move { sent.await.map(drop) }
    }

    /// Subscribes to the presence of exactly these users (`subscribePresence`; replaces the
    /// previous list); completes once written.
    pub fn subscribe_presence<S: AsRef<str>>(
        &self,
        ids: &[S],
    ) -> impl Future<Output = Result<(), Error>> + Send + 'static {
        let sent = self.submit(Outgoing::presence_sub(ids));
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

    /// Completes when the driver task has ended: after every handle is dropped (this future
    /// does not keep the client alive) and the session is shut down, or when its runtime
    /// drops it. A recording (`record_to`) is complete by then:
    /// `let closed = client.closed(); drop(client); closed.await;`.
    pub fn closed(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut status = self.inner.status.clone();
        async move { while status.changed().await.is_ok() {} }
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
