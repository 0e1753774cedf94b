//! The user's handle: commands to the driver task, and reads of its status snapshot.

use std::future::Future;
use std::sync::Arc;

use rtm_proto::{
    Config, ConnectInfo, Outgoing, PostedMessage, Reply, SendError, SendMode, Sent, StartOptions,
    State,
};
use serde_json::Value;

use crate::command::{Command, SendCommand};
use crate::driver::Endpoint;
use crate::error::Error;
use crate::events::Events;
use crate::handle::{Handles, Launch};
use crate::record::Recording;
use crate::runtime::Runtime;
use crate::status::Status;
use crate::transport::Connector;
use crate::web_api::WebApi;

/// What the builder hands to the driver.
pub(crate) struct Settings {
    pub(crate) start: StartOptions,
    pub(crate) endpoint: Endpoint,
    pub(crate) config: Config,
    pub(crate) event_buffer: usize,
    pub(crate) name: Option<String>,
    /// Where to record the session, and the secrets to keep out of it.
    pub(crate) record: Option<(Box<dyn std::io::Write + Send>, Vec<String>)>,
}

/// Shared by all clones of a handle; its drop is what shuts the driver down.
#[derive(Debug)]
struct Inner {
    handles: Handles<rtm_proto::Client>,
    start: StartOptions,
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
        let launch = Launch {
            endpoint: settings.endpoint,
            event_buffer: settings.event_buffer,
            name: settings.name,
        };
        let (record, config) = (settings.record, settings.config);
        let handles = Handles::spawn(core, runtime, connector, launch, |span| {
            record.and_then(|(writer, secrets)| {
                Recording::start(writer, &config, secrets, span.clone())
            })
        });
        Ok(RtmClient {
            inner: Arc::new(Inner {
                handles,
                start: settings.start,
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
        let started = self.inner.handles.start(options);
        async move { Ok(started.await??) }
    }

    /// Ends the session; completes when it is disconnected. Queued sends stay queued for
    /// the next `start()`.
    pub fn disconnect(&self) -> impl Future<Output = Result<(), Error>> + Send + 'static {
        self.inner.handles.disconnect()
    }

    fn submit(
        &self,
        outgoing: Outgoing,
    ) -> impl Future<Output = Result<Sent, Error>> + Send + 'static {
        let sent = self.inner.handles.ask(
            |done| Command::Send(Box::new(SendCommand { outgoing, done })),
            || Error::Send(SendError::ClientClosed),
        );
        async move { Ok(sent.await??) }
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
        self.replied(Outgoing::message(text.as_ref(), channel.as_ref()))
    }

    /// [`send_message`](Self::send_message) as a reply in the thread of `thread_ts` (the
    /// parent message's `ts`).
    pub fn send_message_in_thread(
        &self,
        text: impl AsRef<str>,
        channel: impl AsRef<str>,
        thread_ts: impl AsRef<str>,
    ) -> impl Future<Output = Result<Reply, Error>> + Send + 'static {
        self.replied(Outgoing::message_in_thread(
            text.as_ref(),
            channel.as_ref(),
            thread_ts.as_ref(),
        ))
    }

    /// Submits a message and waits for its ack.
    fn replied(
        &self,
        outgoing: Outgoing,
    ) -> impl Future<Output = Result<Reply, Error>> + Send + 'static {
        let sent = self.submit(outgoing);
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

    /// The Web API with this client's token (see [`WebApi`]): `call(method, params)`,
    /// `chat_post_message(channel, text)`, `post_message(..)`.
    pub fn web_api(&self) -> WebApi {
        WebApi::new(
            self.inner.handles.commands.clone(),
            Some(self.inner.start.token.clone()),
        )
    }

    /// Posts `text` to `channel` through the Web API (`chat.postMessage`, paced per channel;
    /// see [`WebApi`]); completes with the message's `ts`.
    pub fn chat_post_message<C: Into<String>, T: Into<String>>(
        &self,
        channel: C,
        text: T,
    ) -> impl Future<Output = Result<PostedMessage, Error>> + Send + 'static + use<C, T> {
        self.web_api().chat_post_message(channel, text)
    }

    /// A new subscription to all events, from now on.
    pub fn events(&self) -> Events {
        self.inner.handles.events()
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
        self.inner.handles.closed()
    }

    /// A snapshot of the client's properties.
    pub fn status(&self) -> Status {
        self.inner.handles.status.borrow().clone()
    }

    /// Waits until the status satisfies `predicate` (checked at once, then on each change).
    pub fn wait_for(
        &self,
        predicate: impl FnMut(&Status) -> bool + Send + 'static,
    ) -> impl Future<Output = Result<Status, Error>> + Send + 'static {
        self.inner.handles.wait_for(predicate)
    }

    /// The state.
    pub fn state(&self) -> State {
        self.inner.handles.status.borrow().state
    }

    /// Whether a session is live (`connected`).
    pub fn connected(&self) -> bool {
        self.inner.handles.status.borrow().connected()
    }

    /// Whether the current attempt has authenticated (`authenticated`).
    pub fn authenticated(&self) -> bool {
        self.inner.handles.status.borrow().authenticated
    }

    /// The connected user (`activeUserId`).
    pub fn active_user_id(&self) -> Option<String> {
        self.inner
            .handles
            .status
            .borrow()
            .active_user_id()
            .map(str::to_owned)
    }

    /// The connected team (`activeTeamId`).
    pub fn active_team_id(&self) -> Option<String> {
        self.inner
            .handles
            .status
            .borrow()
            .active_team_id()
            .map(str::to_owned)
    }
}
