//! The Socket Mode client: the same driver loop and adapters as RTM, around
//! [`rtm_proto::SocketModeClient`]. Envelopes come as a lossless stream, each once (Slack's
//! redeliveries are filtered out and acked again), and connection refreshes overlap the old
//! and the new socket, so none is lost in between.

use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::Stream;
use rtm_proto::{Envelope, Hello, PostedMessage, SocketModeEvent, StartOptions, State, Token};
use serde_json::Value;

use crate::command::{AckCommand, Command};
use crate::error::Error;
use crate::events::{Events, Lagged, SharedEvent};
use crate::handle::Handles;
use crate::status::SocketModeStatus;
use crate::web_api::WebApi;

/// Shared by all clones of a handle; its drop is what shuts the driver down.
#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) handles: Handles<rtm_proto::SocketModeClient>,
    pub(crate) start: StartOptions,
    /// For the Web API (`chat.postMessage`): a bot token, separate from the app token.
    pub(crate) bot_token: Option<Token>,
}

/// A Slack Socket Mode client: a cheap, cloneable handle to the driver task that runs the
/// session (build it with [`SocketModeBuilder`](crate::SocketModeBuilder)).
///
/// `start()` opens a connection with the app-level token (`xapp-…`) and completes at its
/// `hello`. Envelopes ([`envelopes`](Self::envelopes)) arrive each once on a lossless
/// stream, in the order each connection delivers them (during a refresh Slack spreads them
/// over two connections, with no order between them); ack each within 3 s ([`ack`](Self::ack), [`ack_with`](Self::ack_with)),
/// or let the client do it on arrival (`auto_ack`). Slack refreshes connections every few
/// hours: the client opens the replacement before the old one closes, so envelopes keep
/// flowing and none is lost. Dropping every clone shuts the session down.
#[derive(Debug, Clone)]
pub struct SocketModeClient {
    pub(crate) inner: Arc<Inner>,
}

impl SocketModeClient {
    /// Opens the session; completes at the first connection's `hello`, or when the attempts
    /// failed for good (a wrong token fails at once). Reconnects and refreshes follow.
    pub fn start(&self) -> impl Future<Output = Result<Arc<Hello>, Error>> + Send + 'static {
        let started = self.inner.handles.start(self.inner.start.clone());
        async move { Ok(started.await??) }
    }

    /// Ends the session from any state; completes when it is disconnected. Envelopes not
    /// acked are redelivered by Slack to the next connection.
    pub fn disconnect(&self) -> impl Future<Output = Result<(), Error>> + Send + 'static {
        self.inner.handles.disconnect()
    }

    /// A new subscription to the envelopes, from now on: lossless (a subscriber that falls
    /// behind pauses reading, never loses one); see [`Envelopes::only`] to filter.
    pub fn envelopes(&self) -> Envelopes {
        Envelopes {
            events: self.inner.handles.events().only(["envelope"]),
        }
    }

    /// A new subscription to everything the client reports: lifecycle (`connecting`,
    /// `connected`, `refreshing`, `refreshed`, `reconnecting`, `disconnected`, ...),
    /// envelopes, redeliveries filtered out, late acks and errors.
    pub fn events(&self) -> Events<SocketModeEvent> {
        self.inner.handles.events()
    }

    /// A new subscription to the events matching `patterns` (see [`Events::only`]).
    pub fn subscribe_filtered<I, S>(&self, patterns: I) -> Events<SocketModeEvent>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.events().only(patterns)
    }

    /// Acknowledges an envelope (Slack redelivers one not acked within about 3 s);
    /// completes once the ack is written, or with why it cannot be
    /// ([`AckError`](crate::AckError): already acked, unknown, connection gone).
    pub fn ack(
        &self,
        envelope: &Envelope,
    ) -> impl Future<Output = Result<(), Error>> + Send + 'static {
        self.ack_inner(envelope.envelope_id().to_owned(), None)
    }

    /// Acknowledges an envelope with a response payload (a JSON object: a slash command's
    /// reply, a modal's `response_action`), when it `accepts_response_payload`.
    pub fn ack_with(
        &self,
        envelope: &Envelope,
        payload: &Value,
    ) -> impl Future<Output = Result<(), Error>> + Send + 'static {
        self.ack_inner(envelope.envelope_id().to_owned(), Some(payload.to_string()))
    }

    fn ack_inner(
        &self,
        envelope_id: String,
        payload: Option<String>,
    ) -> impl Future<Output = Result<(), Error>> + Send + 'static {
        let acked = self.inner.handles.ask(
            |done| {
                Command::Ack(Box::new(AckCommand {
                    envelope_id,
                    payload,
                    done,
                }))
            },
            || Error::ClientClosed,
        );
        async move { Ok(acked.await??) }
    }

    /// The Web API with the bot token (see [`WebApi`]); without one (no
    /// `SocketModeBuilder::bot_token`), its calls fail with [`Error::NoBotToken`].
    pub fn web_api(&self) -> WebApi {
        WebApi::new(
            self.inner.handles.commands.clone(),
            self.inner.bot_token.clone(),
        )
    }

    /// Posts `text` to `channel` with the bot token (`chat.postMessage`, paced per channel;
    /// see [`WebApi`]); completes with the message's `ts`.
    pub fn chat_post_message<C: Into<String>, T: Into<String>>(
        &self,
        channel: C,
        text: T,
    ) -> impl Future<Output = Result<PostedMessage, Error>> + Send + 'static + use<C, T> {
        self.web_api().chat_post_message(channel, text)
    }

    /// Completes when the driver task has ended (see
    /// [`RtmClient::closed`](crate::RtmClient::closed)).
    pub fn closed(&self) -> impl Future<Output = ()> + Send + 'static {
        self.inner.handles.closed()
    }

    /// A snapshot of the client's properties.
    pub fn status(&self) -> SocketModeStatus {
        self.inner.handles.status.borrow().clone()
    }

    /// Waits until the status satisfies `predicate` (checked at once, then on each change).
    pub fn wait_for(
        &self,
        predicate: impl FnMut(&SocketModeStatus) -> bool + Send + 'static,
    ) -> impl Future<Output = Result<SocketModeStatus, Error>> + Send + 'static {
        self.inner.handles.wait_for(predicate)
    }

    /// The state of the connection in use.
    pub fn state(&self) -> State {
        self.inner.handles.status.borrow().state
    }

    /// Whether a connection that said `hello` is in use.
    pub fn connected(&self) -> bool {
        self.inner.handles.status.borrow().connected()
    }

    /// Whether a replacement connection is being opened beside the one in use.
    pub fn refreshing(&self) -> bool {
        self.inner.handles.status.borrow().refreshing
    }

    /// `connection_info.app_id` of the last `hello`.
    pub fn app_id(&self) -> Option<String> {
        self.inner
            .handles
            .status
            .borrow()
            .app_id()
            .map(str::to_owned)
    }

    /// `num_connections` of the last `hello`.
    pub fn num_connections(&self) -> Option<u64> {
        self.inner.handles.status.borrow().num_connections()
    }
}

/// One envelope as delivered: dereferences to the [`Envelope`]; cloning it is cheap.
#[derive(Clone)]
pub struct SharedEnvelope {
    event: SharedEvent<SocketModeEvent>,
}

impl SharedEnvelope {
    /// The envelope.
    pub fn envelope(&self) -> &Envelope {
        match self.event.event() {
            SocketModeEvent::Envelope(e) => e,
            // Made only from envelope events (see `Envelopes::poll_next`).
            _ => unreachable!("a SharedEnvelope holds an envelope"),
        }
    }

    /// Its position in the client's event sequence.
    pub fn seq(&self) -> u64 {
        self.event.seq()
    }
}

impl Deref for SharedEnvelope {
    type Target = Envelope;

    fn deref(&self) -> &Envelope {
        self.envelope()
    }
}

impl fmt::Debug for SharedEnvelope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.envelope().fmt(f)
    }
}

/// A subscription to a Socket Mode client's envelopes: a [`Stream`] of
/// `Result<SharedEnvelope, Lagged>`, lossless by default (it never yields `Err` then).
/// Ends when the client is shut down.
#[derive(Debug)]
pub struct Envelopes {
    events: Events<SocketModeEvent>,
}

impl Envelopes {
    /// Only the envelopes matching one of the patterns from now on: envelope types
    /// (`events_api`, `slash_commands`, `interactive`), inner event types of events API
    /// envelopes (`app_mention`, `message`) or `type::subtype` (`message::bot_message`).
    pub fn only<I, S>(mut self, patterns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.events = self.events.only(patterns);
        self
    }

    /// Drops the oldest envelopes when this subscriber falls behind, reporting each loss as
    /// `Err(Lagged(n))`, rather than pausing the session. Not for a bot that acks: an
    /// envelope it never sees is never acked, and Slack redelivers it in vain.
    pub fn lossy(mut self) -> Self {
        self.events = self.events.lossy();
        self
    }
}

impl Stream for Envelopes {
    type Item = Result<SharedEnvelope, Lagged>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            match Pin::new(&mut this.events).poll_next(cx) {
                Poll::Ready(Some(Ok(event))) => {
                    if matches!(event.event(), SocketModeEvent::Envelope(_)) {
                        return Poll::Ready(Some(Ok(SharedEnvelope { event })));
                    }
                }
                Poll::Ready(Some(Err(lagged))) => return Poll::Ready(Some(Err(lagged))),
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}
