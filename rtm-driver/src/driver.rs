//! The driver task: owns the core, waits on everything at once, feeds what happened, and
//! performs the actions. Written once for every runtime and every core.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use futures::future::{AbortHandle, Abortable};
use futures::stream::FuturesUnordered;
use futures::{Sink, Stream};
use rtm_proto::{Action, CallId, ConnId, Input};
use tokio::sync::{mpsc, oneshot, watch};
use tungstenite::Message;
use tungstenite::protocol::CloseFrame;
use tungstenite::protocol::frame::coding::CloseCode;

use crate::batcher::Batcher;
use crate::command::{AckCommand, ApiCommand, Command};
use crate::completions::Completions;
use crate::core_trait::{Core, Report};
use crate::events::Publisher;
use crate::record::Recording;
use crate::runtime::{AsyncTimer, BoxFuture, Runtime};
use crate::transport::{
    Connector, TransportError, TransportErrorKind, WebRequest, websocket_config, websocket_error,
};
use crate::url_policy::{self, Kind};

/// Frames read per round before the other sources get a turn.
const READ_BUDGET: usize = 256;
/// Commands taken per round.
const COMMAND_BUDGET: usize = 128;
/// Rounds per wake-up before yielding to the executor (fairness to other tasks).
const MAX_ROUNDS: usize = 16;
/// Frames waiting to be written beyond which user commands wait (backpressure to `send`).
const WRITE_HIGH_WATER: usize = 512;

type WebCall = BoxFuture<Result<rtm_proto::WebResponse, TransportError>>;
type Opening<S> = BoxFuture<Result<S, TransportError>>;
/// A Web API call's attempt under way, abortable when the core gives up on it (timeout,
/// shutdown).
type ApiAttempt = Abortable<BoxFuture<(CallId, Result<rtm_proto::WebResponse, TransportError>)>>;
/// What `start()` completes with, for core `K`.
pub(crate) type StartResult<K> = Result<<K as Core>::Started, <K as Core>::StartError>;

/// A socket the core holds (RTM: one; Socket Mode: up to three during a refresh).
struct Socket<S> {
    conn: ConnId,
    io: S,
    /// Frames the core wrote that the sink has not taken yet.
    out: VecDeque<Message>,
    needs_flush: bool,
    /// Its end was reported to the core; it is only drained (to send the close reply).
    ended: bool,
    /// Not read for a lossless subscriber that is behind (the core was told).
    paused: bool,
}

impl<S> Socket<S> {
    fn new(conn: ConnId, io: S) -> Self {
        Socket {
            conn,
            io,
            out: VecDeque::new(),
            needs_flush: false,
            ended: false,
            paused: false,
        }
    }
}

/// Where the driver reaches the network.
#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    /// Parsed and checked by the URL policy at build time.
    pub(crate) api_url: url::Url,
    pub(crate) allow_insecure: bool,
}

/// The driver's ends of the channels to the handles.
pub(crate) struct Ends<K: Core> {
    pub(crate) commands: mpsc::Receiver<Command<StartResult<K>>>,
    pub(crate) alive: oneshot::Receiver<()>,
    pub(crate) status: watch::Sender<K::Status>,
    pub(crate) publisher: Publisher<K::Event>,
}

pub(crate) struct Driver<K: Core, C: Connector> {
    /// Every input fed and a digest of its actions, when the builder asked for it. First, so
    /// that it is dropped (its last lines written) before `status`, whose end
    /// [`RtmClient::closed`](crate::RtmClient::closed) waits for.
    recording: Option<Recording>,
    core: K,
    connector: C,
    runtime: Arc<dyn Runtime>,
    endpoint: Endpoint,

    commands: mpsc::Receiver<Command<StartResult<K>>>,
    alive: Option<oneshot::Receiver<()>>,
    status: watch::Sender<K::Status>,
    last_status: K::Status,
    events: Batcher<K::Event>,
    completions: Completions<StartResult<K>>,

    /// Reused buffers: the core's actions, and inputs born of performing them.
    actions: Vec<Action>,
    inputs: VecDeque<Input>,

    /// The session-opening web calls under way, by attempt.
    web: Vec<(ConnId, WebCall)>,
    /// The Web API calls under way, and how to abort each.
    api: FuturesUnordered<ApiAttempt>,
    api_aborts: HashMap<CallId, AbortHandle>,
    opening: Vec<(ConnId, Opening<C::Socket>)>,
    /// At most `K::MAX_SOCKETS`, oldest first.
    sockets: Vec<Socket<C::Socket>>,
    timer: Pin<Box<dyn AsyncTimer>>,
    timer_at: Option<Instant>,
    /// The span every line is logged in, and whether the user named it.
    span: tracing::Span,
    named: bool,
}

impl<K: Core, C: Connector> Driver<K, C> {
    pub(crate) fn new(
        core: K,
        connector: C,
        runtime: Arc<dyn Runtime>,
        endpoint: Endpoint,
        ends: Ends<K>,
    ) -> Self {
        let timer = runtime.new_timer(runtime.now());
        Driver {
            last_status: core.status(),
            core,
            connector,
            runtime,
            endpoint,
            commands: ends.commands,
            alive: Some(ends.alive),
            status: ends.status,
            events: Batcher::new(ends.publisher),
            completions: Completions::default(),
            actions: Vec::new(),
            inputs: VecDeque::new(),
            web: Vec::new(),
            api: FuturesUnordered::new(),
            api_aborts: HashMap::new(),
            opening: Vec::new(),
            sockets: Vec::new(),
            timer,
            timer_at: None,
            span: tracing::Span::none(),
            named: false,
            recording: None,
        }
    }

    /// The span the driver runs in (`named`: the user chose its name, else it is set to
    /// `TEAM/USER` once authenticated).
    pub(crate) fn in_span(mut self, span: tracing::Span, named: bool) -> Self {
        self.span = span;
        self.named = named;
        self
    }

    /// Records every input fed from now on (the header is already written).
    pub(crate) fn with_recording(mut self, recording: Option<Recording>) -> Self {
        self.recording = recording;
        self
    }

    /// Logs the event, and names the span when it tells the client's name.
    fn log(&mut self, event: &K::Event) {
        if let Some(name) = K::log(event)
            && !self.named
        {
            self.named = true;
            self.span.record("name", tracing::field::display(&name));
        }
    }

    /// Feeds one input, performs its actions, and feeds the inputs they caused.
    fn feed(&mut self, input: Input) {
        self.inputs.push_back(input);
        while let Some(input) = self.inputs.pop_front() {
            let mut actions = std::mem::take(&mut self.actions);
            let now = self.runtime.now();
            if let Some(r) = &mut self.recording {
                r.begin(now, &input);
            }
            self.core.handle_input(now, input, &mut actions);
            if let Some(r) = &mut self.recording
                && !r.end(&actions)
            {
                self.recording = None;
            }
            // Before completing anything: whoever is woken must see the new status.
            self.refresh_status();
            for action in actions.drain(..) {
                self.perform(action);
            }
            self.actions = actions;
        }
    }

    fn refresh_status(&mut self) {
        if self.core.status_changed(&self.last_status) {
            let now = self.core.status();
            self.last_status = now.clone();
            self.status.send_replace(now);
        }
    }

    fn socket_mut(&mut self, conn: ConnId) -> Option<&mut Socket<C::Socket>> {
        self.sockets.iter_mut().find(|s| s.conn == conn)
    }

    fn remove_socket(&mut self, conn: ConnId) -> Option<Socket<C::Socket>> {
        let i = self.sockets.iter().position(|s| s.conn == conn)?;
        Some(self.sockets.remove(i))
    }

    fn perform(&mut self, action: Action) {
        match action {
            Action::CallWebApi {
                conn,
                method,
                token,
                form,
            } => {
                // The base was parsed and checked once, at build time; the method is ours.
                let Ok(url) = self.endpoint.api_url.join(method.as_str()) else {
                    let result = Err(TransportError::new(
                        TransportErrorKind::Request,
                        format!("cannot join {} to the API URL", method.as_str()),
                    ));
                    self.inputs.push_back(Input::WebApiResult { conn, result });
                    return;
                };
                let form = form.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
                let request = WebRequest { url, token, form };
                tracing::debug!(%conn, url = %request.url, "web call");
                // A newer attempt of a one-socket core replaces an older call (whose answer
                // the core would ignore anyway); a call for the same attempt replaces its own.
                if K::MAX_SOCKETS == 1 {
                    self.web.clear();
                }
                self.web.retain(|(c, _)| *c != conn);
                self.web.push((conn, self.connector.web_call(request)));
            }
            Action::CallApi {
                call,
                method,
                token,
                form,
            } => self.call_api(call, &method, token, form),
            Action::ApiSettled { call, result } => {
                // An attempt still under way is of no use any more (timed out, shut down).
                if let Some(abort) = self.api_aborts.remove(&call) {
                    abort.abort();
                }
                self.completions.call_settled(call, result);
            }
            Action::OpenWebSocket { conn, url } => {
                if K::MAX_SOCKETS == 1 {
                    // One socket at a time: the new one replaces the old.
                    self.sockets.clear();
                    self.opening.clear();
                }
                match url_policy::check(&url, Kind::Socket, self.endpoint.allow_insecure) {
                    Ok(url) => {
                        tracing::debug!(%conn, "opening WebSocket");
                        self.opening.retain(|(c, _)| *c != conn);
                        let config = websocket_config(K::WS_READ_BUFFER);
                        self.opening
                            .push((conn, self.connector.open_websocket(url, config)));
                    }
                    Err(e) => {
                        tracing::warn!(%conn, error = %e, "refusing WebSocket URL");
                        // For good: retrying cannot change the policy.
                        self.inputs.push_back(Input::WsRefused {
                            conn,
                            reason: e.to_string(),
                        });
                    }
                }
            }
            Action::SendText { conn, text } => match self.socket_mut(conn) {
                Some(s) if !s.ended => s.out.push_back(Message::text(text)),
                _ => tracing::debug!(%conn, "frame for a socket that is gone; dropped"),
            },
            Action::CloseWebSocket { conn, code } => {
                if let Some(s) = self.socket_mut(conn).filter(|s| !s.ended) {
                    s.out.push_back(Message::Close(Some(CloseFrame {
                        code: CloseCode::from(code),
                        reason: "".into(),
                    })));
                } else if let Some(i) = self.opening.iter().position(|(c, _)| *c == conn) {
                    // Not open yet: abandoning the handshake is the whole close.
                    drop(self.opening.remove(i));
                    self.inputs.push_back(Input::WsClosed {
                        conn,
                        code: 1006,
                        reason: "closed before the WebSocket opened".to_owned(),
                    });
                }
            }
            Action::SendPing { conn } => match self.socket_mut(conn) {
                Some(s) if !s.ended => s.out.push_back(Message::Ping(Default::default())),
                _ => tracing::debug!(%conn, "ping for a socket that is gone; dropped"),
            },
            Action::DropWebSocket { conn } => {
                self.remove_socket(conn);
                self.opening.retain(|(c, _)| *c != conn);
            }
            Action::Settle { handle, result } => self.completions.settle(handle, result),
            Action::DisconnectSettled => self.completions.disconnect_settled(),
            Action::Ignored { input, state } => {
                tracing::debug!(input, ?state, "input ignored in this state");
            }
            // The protocol's own reports: events, the end of `start()`, acks.
            other => match K::report(other) {
                Some(Report::Event(event)) => {
                    self.log(&event);
                    self.events.push(event);
                }
                Some(Report::StartSettled(result)) => self.completions.start_settled(&result),
                Some(Report::AckSettled {
                    envelope_id,
                    result,
                }) => self.completions.ack_settled(&envelope_id, result),
                None => tracing::debug!("an action of another protocol; ignored"),
            },
        }
    }

    /// Starts one attempt of a Web API call.
    fn call_api(
        &mut self,
        call: CallId,
        method: &str,
        token: rtm_proto::Token,
        form: Vec<(String, String)>,
    ) {
        // The core checked the method's characters; the join must still stay under the API
        // URL (a `..` would climb out of it with the token).
        let base = &self.endpoint.api_url;
        let url = base
            .join(method)
            .ok()
            .filter(|u| u.as_str().starts_with(base.as_str()) && u.path() != base.path());
        let Some(url) = url else {
            let failure = TransportError::new(
                TransportErrorKind::Request,
                format!("{method:?} is not a Web API method"),
            )
            .with_fatal(true);
            self.inputs.push_back(Input::ApiResult {
                call,
                result: Err(failure),
            });
            return;
        };
        tracing::debug!(%call, %url, "Web API call");
        let answer = self.connector.web_call(WebRequest { url, token, form });
        let attempt: BoxFuture<_> = Box::pin(async move { (call, answer.await) });
        let (abort, registration) = AbortHandle::new_pair();
        if let Some(previous) = self.api_aborts.insert(call, abort) {
            previous.abort();
        }
        self.api.push(Abortable::new(attempt, registration));
    }

    fn command(&mut self, command: Command<StartResult<K>>) {
        match command {
            Command::Start(options, done) => {
                self.completions.start(done);
                self.feed(Input::Start(options));
            }
            Command::Disconnect(done) => {
                self.completions.disconnect(done);
                self.feed(Input::Disconnect);
            }
            Command::Send(send) => {
                let handle = self.completions.send(send.done);
                self.feed(Input::Send {
                    handle,
                    outgoing: send.outgoing,
                });
            }
            Command::Api(api) => {
                let ApiCommand { request, done } = *api;
                let call = self.completions.call(done);
                self.feed(Input::ApiCall { call, request });
            }
            Command::Ack(ack) => {
                let AckCommand {
                    envelope_id,
                    payload,
                    done,
                } = *ack;
                self.completions.ack(envelope_id.clone(), done);
                self.feed(Input::Ack {
                    envelope_id,
                    payload,
                });
            }
        }
    }

    /// One pass over every source. Returns whether anything happened.
    fn round(&mut self, cx: &mut Context<'_>) -> bool {
        let mut progress = false;

        // User commands, unless a socket is backed up.
        let backlog = self.sockets.iter().map(|s| s.out.len()).max().unwrap_or(0);
        if backlog < WRITE_HIGH_WATER {
            for _ in 0..COMMAND_BUDGET {
                match self.commands.poll_recv(cx) {
                    Poll::Ready(Some(command)) => {
                        progress = true;
                        self.command(command);
                    }
                    // Unreachable while a handle lives (it holds a sender); treated as shutdown.
                    // Progress, so that `poll` goes round once more and shuts down: nothing
                    // would wake it again (this was a lost shutdown when the last handle's
                    // channel closed before its `alive` signal dropped).
                    Poll::Ready(None) => {
                        self.alive = None;
                        progress = true;
                        break;
                    }
                    Poll::Pending => break,
                }
            }
        }

        let mut i = 0;
        while i < self.web.len() {
            let (conn, call) = &mut self.web[i];
            let Poll::Ready(result) = call.as_mut().poll(cx) else {
                i += 1;
                continue;
            };
            let conn = *conn;
            drop(self.web.remove(i));
            progress = true;
            match result {
                Err(error) if error.is_fatal() => {
                    tracing::warn!(%conn, %error, "web call failed for good");
                    self.feed(Input::TransportFatal { conn, error });
                }
                result => {
                    if let Err(e) = &result {
                        tracing::debug!(%conn, error = %e, "web call failed");
                    }
                    self.feed(Input::WebApiResult { conn, result });
                }
            }
        }

        while let Poll::Ready(Some(attempt)) = Pin::new(&mut self.api).poll_next(cx) {
            progress = true;
            // Aborted attempts are the core's decision already; only answers are fed.
            let Ok((call, result)) = attempt else {
                continue;
            };
            self.api_aborts.remove(&call);
            self.feed(Input::ApiResult { call, result });
        }

        let mut i = 0;
        while i < self.opening.len() {
            let (conn, open) = &mut self.opening[i];
            let Poll::Ready(result) = open.as_mut().poll(cx) else {
                i += 1;
                continue;
            };
            let conn = *conn;
            drop(self.opening.remove(i));
            progress = true;
            match result {
                Ok(io) => {
                    tracing::debug!(%conn, "WebSocket open");
                    if self.sockets.len() >= K::MAX_SOCKETS {
                        // The core holds no more than this; the oldest is the one let go.
                        let old = self.sockets.remove(0);
                        tracing::warn!(conn = %old.conn, "too many sockets; the oldest dropped");
                    }
                    self.sockets.push(Socket::new(conn, io));
                    self.feed(Input::WsOpened { conn });
                }
                Err(error) if error.is_fatal() => {
                    tracing::warn!(%conn, %error, "WebSocket failed for good");
                    self.feed(Input::TransportFatal { conn, error });
                }
                Err(error) => self.feed(Input::WsError { conn, error }),
            }
        }

        progress |= self.read(cx);
        progress |= self.write(cx);

        // Time: Tick when the core's next deadline has passed.
        if let Some(deadline) = self.core.next_deadline() {
            let due = if deadline <= self.runtime.now() {
                true
            } else {
                if self.timer_at != Some(deadline) {
                    self.timer.as_mut().reset(deadline);
                    self.timer_at = Some(deadline);
                }
                self.timer.as_mut().poll(cx).is_ready()
            };
            if due {
                self.timer_at = None;
                progress = true;
                self.feed(Input::Tick);
            }
        }

        self.events.publish();
        progress
    }

    /// Whether every lossless subscriber has room for what the next frames cause. When one
    /// has not, every socket is paused (and the core told, so that the wait does not count
    /// against its deadlines); when room returns, they resume.
    fn may_read(&mut self, cx: &mut Context<'_>, progress: &mut bool) -> bool {
        let room = self.events.has_room(cx);
        let mut changed = Vec::new();
        for s in &mut self.sockets {
            if s.paused == room && !s.ended {
                s.paused = !room;
                changed.push(s.conn);
            }
        }
        for conn in changed {
            *progress = true;
            if room {
                tracing::debug!(%conn, "reading resumed");
                self.feed(Input::ReadResumed { conn });
            } else {
                // A lossless subscriber is full: TCP pushes back on the server.
                tracing::debug!(%conn, "a subscriber is behind; reading paused");
                self.feed(Input::ReadPaused { conn });
            }
        }
        room
    }

    /// Drains the frames that are ready on every socket (up to a budget each).
    fn read(&mut self, cx: &mut Context<'_>) -> bool {
        let mut progress = false;
        // Room is asked at first, then after each published batch.
        if self.sockets.is_empty() || !self.may_read(cx, &mut progress) {
            return progress;
        }
        let conns: Vec<ConnId> = self.sockets.iter().map(|s| s.conn).collect();
        for conn in conns {
            if !self.read_socket(conn, cx, &mut progress) {
                break;
            }
        }
        progress
    }

    /// Reads `conn` up to the budget; false when reading must stop (no room).
    fn read_socket(&mut self, conn: ConnId, cx: &mut Context<'_>, progress: &mut bool) -> bool {
        for _ in 0..READ_BUDGET {
            if self.events.take_published() && !self.may_read(cx, progress) {
                return false;
            }
            let Some(s) = self.socket_mut(conn) else {
                return true;
            };
            let ended = s.ended;
            let input = match Pin::new(&mut s.io).poll_next(cx) {
                Poll::Pending => return true,
                Poll::Ready(Some(Ok(message))) => match message {
                    Message::Text(text) => Input::WsText {
                        conn,
                        text: text.as_str().to_owned(),
                    },
                    Message::Binary(data) => Input::WsBinary {
                        conn,
                        len: data.len(),
                    },
                    Message::Close(frame) => {
                        // tungstenite queues the close reply; keep polling to send it.
                        s.ended = true;
                        let (code, reason) = frame.map_or((1005, String::new()), |f| {
                            (u16::from(f.code), f.reason.as_str().to_owned())
                        });
                        Input::WsClosed { conn, code, reason }
                    }
                    // tungstenite answers pings itself; Socket Mode's idle deadline counts them.
                    Message::Ping(_) if K::FEEDS_WS_CONTROL => Input::WsPing { conn },
                    Message::Pong(_) if K::FEEDS_WS_CONTROL => Input::WsPong { conn },
                    Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {
                        *progress = true;
                        continue;
                    }
                },
                Poll::Ready(Some(Err(e))) => {
                    self.remove_socket(conn);
                    Input::WsError {
                        conn,
                        error: websocket_error(e),
                    }
                }
                Poll::Ready(None) => {
                    self.remove_socket(conn);
                    Input::WsClosed {
                        conn,
                        code: 1006,
                        reason: "connection dropped without a close frame".to_owned(),
                    }
                }
            };
            *progress = true;
            if !ended {
                self.feed(input);
            }
        }
        true
    }

    /// Hands queued frames to each socket's sink and flushes them.
    fn write(&mut self, cx: &mut Context<'_>) -> bool {
        let mut progress = false;
        let mut failed = Vec::new();
        for s in &mut self.sockets {
            let mut failure = None;
            while !s.out.is_empty() {
                match Pin::new(&mut s.io).poll_ready(cx) {
                    Poll::Ready(Ok(())) => {
                        let frame = s.out.pop_front().expect("not empty");
                        progress = true;
                        s.needs_flush = true;
                        if let Err(e) = Pin::new(&mut s.io).start_send(frame) {
                            failure = Some(e);
                            break;
                        }
                    }
                    Poll::Ready(Err(e)) => {
                        failure = Some(e);
                        break;
                    }
                    Poll::Pending => break,
                }
            }
            if failure.is_none() && s.needs_flush {
                match Pin::new(&mut s.io).poll_flush(cx) {
                    Poll::Ready(Ok(())) => s.needs_flush = false,
                    Poll::Ready(Err(e)) => failure = Some(e),
                    Poll::Pending => {}
                }
            }
            if let Some(e) = failure {
                failed.push((s.conn, s.ended, e));
            }
        }
        for (conn, ended, e) in failed {
            self.remove_socket(conn);
            progress = true;
            if !ended {
                self.feed(Input::WsError {
                    conn,
                    error: websocket_error(e),
                });
            }
        }
        progress
    }

    fn shutdown(&mut self) {
        tracing::debug!("every client handle is gone; shutting down");
        self.feed(Input::Shutdown);
        self.events.publish();
        self.events.idle();
        self.completions.clear();
        // The last lines, and a bounded wait for the writer to take them.
        self.recording = None;
    }

    /// Hands the recorded lines to the writer thread (when the driver goes idle).
    fn flush_recording(&mut self) {
        if let Some(r) = &mut self.recording
            && !r.flush()
        {
            self.recording = None;
        }
    }
}

// The connector is never pinned (only `&self` is used), and every future is boxed.
impl<K: Core, C: Connector> Unpin for Driver<K, C> {}

impl<K: Core, C: Connector> Future for Driver<K, C> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        for _ in 0..MAX_ROUNDS {
            if let Some(alive) = &mut this.alive
                && Pin::new(alive).poll(cx).is_ready()
            {
                this.alive = None;
            }
            if this.alive.is_none() {
                this.shutdown();
                return Poll::Ready(());
            }
            if !this.round(cx) {
                this.events.idle();
                this.flush_recording();
                return Poll::Pending;
            }
        }
        // Still busy: let other tasks run, and come back at once.
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
