//! The model behind a real server on loopback: HTTP web calls, WebSocket sessions, optional
//! TLS, and a control handle usable from any async runtime or from blocking code.
//!
//! The server runs on its own thread with its own (current-thread) tokio runtime, so
//! tests on tokio, async-std or no runtime at all drive it the same way.

mod admin;
mod conn;
mod flood;
mod http;
mod shared;
mod tls;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::pin;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use futures::future::{Either, select};
use serde_json::Value;
use tokio::sync::oneshot;
use tokio_rustls::TlsAcceptor;
use tungstenite::protocol::WebSocketConfig;

pub use tls::TlsCert;

use crate::model::{
    BlockAction, ChatConfig, Fault, HistoryEntry, ModelError, PostRecord, Record, Script,
    ServerAction, SlackModel, SlashCommand, SocketId, SocketModeConfig, SocketModeRecord, Target,
    UserAction, WebFault, WireFrame, Workspace,
};
use http::Ctx;
use shared::Shared;

/// Errors of the server and its control handle.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Binding the port, or starting the server's thread or runtime, failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The self-signed certificate or the TLS configuration could not be made.
    #[error("TLS setup failed: {0}")]
    Tls(String),
    /// A wait on the record ran out of time.
    #[error("condition not met within {0:?}")]
    Timeout(Duration),
    /// A scripted act or a Socket Mode post named a user, channel or app the workspace lacks.
    #[error(transparent)]
    Model(#[from] ModelError),
}

/// How to start a [`MockSlack`].
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// The workspace served: team, users, channels, tokens, apps.
    pub workspace: Workspace,
    /// Serve https/wss with a fresh self-signed certificate (see [`MockSlack::tls_cert`]).
    pub tls: bool,
    /// Port on [`host`](Self::host); 0 picks a free one.
    pub port: u16,
    /// The address to listen on: 127.0.0.1 (default), or e.g. `0.0.0.0` to be reachable from
    /// outside (a container). The URLs handed out name this address, or 127.0.0.1 (::1) when
    /// it is unspecified.
    pub host: IpAddr,
    /// WebSocket buffers and limits. Frames over 16 KB must still reach the model (it closes
    /// with 1009 as Slack does), so the message limit is well above that.
    pub ws_config: WebSocketConfig,
    /// Socket Mode timings (ack timeout, retries, connection lifetime, refresh).
    pub socket_mode: SocketModeConfig,
    /// `chat.postMessage` (its per-channel rate limit; [`ChatConfig::unthrottled`] for
    /// benchmarks).
    pub chat: ChatConfig,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            workspace: Workspace::default(),
            tls: false,
            port: 0,
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            ws_config: WebSocketConfig::default()
                .read_buffer_size(64 * 1024)
                .write_buffer_size(64 * 1024)
                .max_message_size(Some(1024 * 1024))
                .max_frame_size(Some(1024 * 1024)),
            socket_mode: SocketModeConfig::default(),
            chat: ChatConfig::default(),
        }
    }
}

impl ServerOptions {
    /// Serve https/wss with a fresh self-signed certificate (see [`MockSlack::tls_cert`]).
    pub fn tls(mut self, on: bool) -> Self {
        self.tls = on;
        self
    }

    /// The workspace served.
    pub fn workspace(mut self, workspace: Workspace) -> Self {
        self.workspace = workspace;
        self
    }

    /// The port (0 picks a free one).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// The address to listen on (see [`ServerOptions::host`]).
    pub fn host(mut self, host: IpAddr) -> Self {
        self.host = host;
        self
    }

    /// Socket Mode timings (ack timeout, retries, connection lifetime, refresh).
    pub fn socket_mode(mut self, config: SocketModeConfig) -> Self {
        self.socket_mode = config;
        self
    }

    /// How `chat.postMessage` behaves (rate limit).
    pub fn chat(mut self, config: ChatConfig) -> Self {
        self.chat = config;
        self
    }
}

/// A running mock Slack. Dropping it shuts the server down (sockets closed, thread joined).
///
/// A client is pointed at it with two values: [`api_url`](Self::api_url) in place of
/// `https://slack.com/api/`, and a token the workspace accepts ([`bot_token`](Self::bot_token)
/// for RTM and `chat.postMessage`, [`app_token`](Self::app_token) for Socket Mode). The rest
/// is the admin side: scripted users, faults, pushed frames, and the record to assert on.
///
/// ```
/// use rtm_testkit::{Fault, MockSlack, ServerOptions, Target, UserAction};
///
/// fn main() -> Result<(), rtm_testkit::Error> {
///     let slack = MockSlack::start(ServerOptions::default())?;
///     let api_url = slack.api_url(); // http://127.0.0.1:PORT/api/
///     let token = slack.bot_token().unwrap(); // xoxb-test-token
///     assert!(api_url.starts_with("http://127.0.0.1:"));
///     assert_eq!(token, "xoxb-test-token");
///     // e.g. rtm_tokio::ClientBuilder::new(token).api_url(api_url).build()?, then start()
///
///     // A scripted user posts: every RTM connection gets the `message` event.
///     slack.act(UserAction::Message {
///         user: "U0ALICE".into(),
///         channel: "C0GENERAL".into(),
///         text: "hello".into(),
///     })?;
///     assert_eq!(slack.history("C0GENERAL")[0].text, "hello");
///     // Any frame, and faults: here Slack's `goodbye` on every open connection.
///     slack.push_event(Target::All, &serde_json::json!({"type": "team_rename", "name": "New"}));
///     slack.inject(Fault::goodbye());
///     assert_eq!(slack.active_connections(), 0); // no client in this example
///
///     slack.shutdown(); // or drop it
///     Ok(())
/// }
/// ```
#[derive(Debug)]
pub struct MockSlack {
    shared: Arc<Shared>,
    rt: tokio::runtime::Handle,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    addr: SocketAddr,
    cert: Option<TlsCert>,
}

impl MockSlack {
    /// Binds [`ServerOptions::host`] (127.0.0.1 by default) and starts serving on a
    /// background thread.
    pub fn start(opts: ServerOptions) -> Result<MockSlack, Error> {
        let listener = std::net::TcpListener::bind((opts.host, opts.port))?;
        listener.set_nonblocking(true)?;
        let bound = listener.local_addr()?;
        // The address in the URLs: a wildcard bind is reached through loopback here.
        let addr = match bound.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => (Ipv4Addr::LOCALHOST, bound.port()).into(),
            IpAddr::V6(ip) if ip.is_unspecified() => (Ipv6Addr::LOCALHOST, bound.port()).into(),
            _ => bound,
        };
        let (cert, acceptor) = match opts.tls {
            true => {
                let (c, a) = tls::self_signed()?;
                (Some(c), Some(a))
            }
            false => (None, None),
        };
        let ws_scheme = if opts.tls { "wss" } else { "ws" };
        let mut model = SlackModel::new(opts.workspace);
        model.set_ws_base_url(format!("{ws_scheme}://{addr}{}", http::WS_PATH));
        model.set_link_base_url(format!("{ws_scheme}://{addr}{}", http::LINK_PATH));
        model.set_socket_mode_config(opts.socket_mode);
        model.set_chat_config(opts.chat);
        let shared = Arc::new(Shared::new(model));
        let ctx = Arc::new(Ctx {
            shared: shared.clone(),
            ws_config: opts.ws_config,
            cert_pem: cert.as_ref().map(|c| c.pem().to_string()),
        });
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let handle = rt.handle().clone();
        let (stop_tx, stop_rx) = oneshot::channel();
        let thread = std::thread::Builder::new()
            .name(format!("mock-slack-{}", addr.port()))
            .spawn(move || {
                rt.block_on(serve_main(listener, ctx, acceptor, stop_rx));
                rt.shutdown_timeout(Duration::from_secs(1));
            })?;
        tracing::info!(%bound, tls = opts.tls, "mock slack listening");
        Ok(MockSlack {
            shared,
            rt: handle,
            stop: Some(stop_tx),
            thread: Some(thread),
            addr,
            cert,
        })
    }

    /// The address in the URLs (127.0.0.1:port by default; loopback for a wildcard bind).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn scheme(&self) -> &'static str {
        if self.cert.is_some() { "https" } else { "http" }
    }

    /// The Slack API base URL, e.g. `http://127.0.0.1:41234/api/` (`POST {api_url}rtm.connect`).
    pub fn api_url(&self) -> String {
        format!("{}://{}/api/", self.scheme(), self.addr)
    }

    /// The admin interface base URL, e.g. `http://127.0.0.1:41234/admin/`.
    pub fn admin_url(&self) -> String {
        format!("{}://{}/admin/", self.scheme(), self.addr)
    }

    /// The certificate to trust, when serving TLS.
    pub fn tls_cert(&self) -> Option<&TlsCert> {
        self.cert.as_ref()
    }

    // ---- control ----

    /// Runs `f` on the model and performs the actions it returns (escape hatch).
    pub fn with_model<R>(
        &self,
        f: impl FnOnce(&mut SlackModel, Instant) -> (R, Vec<ServerAction>),
    ) -> R {
        self.shared.with_model(f)
    }

    /// Injects a fault on every connection (or arms it, see [`Fault`]).
    pub fn inject(&self, fault: Fault) {
        self.inject_on(Target::All, fault);
    }

    /// Injects a fault on the target connections.
    pub fn inject_on(&self, target: Target, fault: Fault) {
        self.shared
            .with_model(|m, now| ((), m.inject(now, target, fault)));
    }

    /// Arms a web-call fault for the next `times` session-opening calls (`rtm.connect`,
    /// `rtm.start`, `apps.connections.open`).
    pub fn arm_web_fault(&self, fault: WebFault, times: u32) {
        self.shared
            .with_model(|m, _| (m.arm_web_fault(fault, times), Vec::new()));
    }

    /// Arms a web-call fault for the next `times` calls of one API method (e.g.
    /// `chat.postMessage`), or of any method with `"*"`.
    pub fn arm_web_fault_for(&self, api_method: &str, fault: WebFault, times: u32) {
        self.shared
            .with_model(|m, _| (m.arm_web_fault_for(api_method, fault, times), Vec::new()));
    }

    // ---- chat.postMessage ----

    /// The bot token (`xoxb-…`) a bot replies with through `chat.postMessage`: the first
    /// app's bot token, else the workspace's first token (default `xoxb-test-token`).
    pub fn bot_token(&self) -> Option<String> {
        self.shared.read(SlackModel::bot_token)
    }

    /// Every `chat.postMessage` attempt so far, oldest first, with its answer.
    pub fn posts(&self) -> Vec<PostRecord> {
        self.with_record(|r| r.posts.clone())
    }

    /// How `chat.postMessage` behaves now.
    pub fn chat_config(&self) -> ChatConfig {
        self.shared.read(|m| m.chat_config().clone())
    }

    /// Changes how `chat.postMessage` behaves from now on (e.g. switches the rate limit off).
    pub fn set_chat_config(&self, config: ChatConfig) {
        self.shared
            .with_model(|m, _| (m.set_chat_config(config), Vec::new()));
    }

    /// Pushes a raw frame (any text, or binary).
    pub fn push(&self, target: Target, frame: WireFrame) {
        self.shared
            .with_model(|m, now| ((), m.push(now, target, frame)));
    }

    /// Pushes a JSON event.
    pub fn push_event(&self, target: Target, event: &Value) {
        self.push(target, WireFrame::Text(event.to_string()));
    }

    /// A scripted user acts now.
    pub fn act(&self, action: UserAction) -> Result<(), Error> {
        self.shared.with_model(|m, now| match m.act(now, action) {
            Ok(actions) => (Ok(()), actions),
            Err(e) => (Err(Error::Model(e)), Vec::new()),
        })
    }

    /// Runs a script of user acts from now on.
    pub fn run_script(&self, script: &Script) {
        self.shared
            .with_model(|m, now| (m.run_script(now, script), Vec::new()));
    }

    /// Floods every open connection with `count` ~360-byte message events; returns how many
    /// connections were flooded.
    pub fn flood(&self, count: u64) -> usize {
        self.flood_on(Target::All, count)
    }

    /// Floods the target connections.
    pub fn flood_on(&self, target: Target, count: u64) -> usize {
        self.shared.with_model(|m, now| {
            let actions = m.inject(now, target, Fault::Flood { count });
            (actions.len(), actions)
        })
    }

    // ---- Socket Mode ----

    /// The app-level token (`xapp-…`) of the workspace's first app.
    pub fn app_token(&self) -> Option<String> {
        self.shared
            .read(|m| m.workspace().apps.first().map(|a| a.token.clone()))
    }

    /// The id (`A…`) of the workspace's first app.
    pub fn app_id(&self) -> Option<String> {
        self.shared
            .read(|m| m.workspace().apps.first().map(|a| a.id.clone()))
    }

    /// A user runs a slash command; returns the `slash_commands` envelope's id.
    pub fn post_slash_command(&self, command: &SlashCommand) -> Result<String, Error> {
        self.shared
            .with_model(|m, now| match m.post_slash_command(now, command) {
                Ok((id, actions)) => (Ok(id), actions),
                Err(e) => (Err(Error::Model(e)), Vec::new()),
            })
    }

    /// A user clicks a button; returns the `interactive` envelope's id.
    pub fn post_block_action(&self, action: &BlockAction) -> Result<String, Error> {
        self.shared
            .with_model(|m, now| match m.post_block_action(now, action) {
                Ok((id, actions)) => (Ok(id), actions),
                Err(e) => (Err(Error::Model(e)), Vec::new()),
            })
    }

    /// Sends an envelope of any `envelope_type` to an app (default: the first); returns its id.
    pub fn post_envelope(
        &self,
        app_id: Option<&str>,
        envelope_type: &str,
        payload: &Value,
        accepts_response_payload: bool,
    ) -> Result<String, Error> {
        self.shared.with_model(|m, now| {
            match m.post_envelope(
                now,
                app_id,
                envelope_type,
                payload,
                accepts_response_payload,
            ) {
                Ok((id, actions)) => (Ok(id), actions),
                Err(e) => (Err(Error::Model(e)), Vec::new()),
            }
        })
    }

    /// An app's open Socket Mode connections that said `hello` and take envelopes.
    pub fn live_app_connections(&self, app_id: &str) -> Vec<SocketId> {
        self.shared.read(|m| m.live_app_connections(app_id))
    }

    /// A copy of the Socket Mode record (envelopes sent, acks, offline intervals).
    pub fn socket_mode_record(&self) -> SocketModeRecord {
        self.with_record(|r| r.socket_mode.clone())
    }

    /// Changes Socket Mode timings from now on (connections already open keep their lifetime).
    pub fn set_socket_mode_config(&self, config: SocketModeConfig) {
        self.shared
            .with_model(|m, _| (m.set_socket_mode_config(config), Vec::new()));
    }

    // ---- queries ----

    /// Reads the record without copying it.
    pub fn with_record<R>(&self, f: impl FnOnce(&Record) -> R) -> R {
        self.shared.read(|m| f(m.record()))
    }

    /// A copy of the whole record.
    pub fn record(&self) -> Record {
        self.with_record(Record::clone)
    }

    /// Open connections, oldest first.
    pub fn open_connections(&self) -> Vec<SocketId> {
        self.shared.read(SlackModel::open_connections)
    }

    /// How many connections are open.
    pub fn active_connections(&self) -> usize {
        self.open_connections().len()
    }

    /// The last `presence_sub` list of a connection.
    pub fn presence_subscription(&self, conn: SocketId) -> Option<Vec<String>> {
        self.shared
            .read(|m| m.presence_subscription(conn).map(<[String]>::to_vec))
    }

    /// Messages posted to a channel.
    pub fn history(&self, channel: &str) -> Vec<HistoryEntry> {
        self.shared.read(|m| m.history(channel).to_vec())
    }

    // ---- waiting ----

    /// Resolves with `f`'s value once it returns `Some` for the record, re-checking after
    /// every change; fails after `timeout`. Works on any executor: the timer runs on the
    /// server's own runtime.
    pub fn wait_for<'a, T: 'a>(
        &'a self,
        timeout: Duration,
        mut f: impl FnMut(&Record) -> Option<T> + 'a,
    ) -> impl Future<Output = Result<T, Error>> + 'a {
        let (tx, rx) = oneshot::channel::<()>();
        let timer = self.rt.spawn(async move {
            tokio::time::sleep(timeout).await;
            let _ = tx.send(());
        });
        let shared = self.shared.clone();
        async move {
            let check = async {
                loop {
                    let mut notified = pin!(shared.changed.notified());
                    notified.as_mut().enable();
                    if let Some(v) = shared.read(|m| f(m.record())) {
                        return v;
                    }
                    notified.await;
                }
            };
            match select(pin!(check), rx).await {
                Either::Left((v, _)) => {
                    timer.abort();
                    Ok(v)
                }
                Either::Right(_) => Err(Error::Timeout(timeout)),
            }
        }
    }

    /// [`MockSlack::wait_for`] with a yes/no predicate.
    pub fn wait_until<'a>(
        &'a self,
        timeout: Duration,
        mut pred: impl FnMut(&Record) -> bool + 'a,
    ) -> impl Future<Output = Result<(), Error>> + 'a {
        self.wait_for(timeout, move |r| pred(r).then_some(()))
    }

    /// Blocking [`MockSlack::wait_for`], for code without a runtime.
    pub fn wait_for_blocking<T>(
        &self,
        timeout: Duration,
        f: impl FnMut(&Record) -> Option<T>,
    ) -> Result<T, Error> {
        futures::executor::block_on(self.wait_for(timeout, f))
    }

    /// Blocking [`MockSlack::wait_until`].
    pub fn wait_until_blocking(
        &self,
        timeout: Duration,
        pred: impl FnMut(&Record) -> bool,
    ) -> Result<(), Error> {
        futures::executor::block_on(self.wait_until(timeout, pred))
    }

    /// Resolves when `POST /admin/shutdown` is called (the standalone binary waits on it).
    pub fn shutdown_requested(&self) -> impl Future<Output = ()> + '_ {
        self.shared.shutdown_requested.notified()
    }

    /// Closes every socket (1001), stops listening and joins the server thread.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take()
            && t.join().is_err()
        {
            tracing::error!("mock slack thread panicked");
        }
    }
}

impl Drop for MockSlack {
    fn drop(&mut self) {
        self.stop();
    }
}

/// How long a shutdown waits for the clients to answer their close frames.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(100);

async fn serve_main(
    listener: std::net::TcpListener,
    ctx: Arc<Ctx>,
    acceptor: Option<TlsAcceptor>,
    mut stop: oneshot::Receiver<()>,
) {
    let listener = match tokio::net::TcpListener::from_std(listener) {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(error = %e, "cannot register listener");
            return;
        }
    };
    let ticker = tokio::spawn(ticker(ctx.shared.clone()));
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => {
                let (tcp, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        continue;
                    }
                };
                // Small frames (acks, pongs) must not wait for Nagle.
                let _ = tcp.set_nodelay(true);
                let ctx = ctx.clone();
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    match acceptor {
                        Some(acc) => match acc.accept(tcp).await {
                            Ok(tls) => http::serve(tls, ctx).await,
                            Err(e) => tracing::debug!(error = %e, %peer, "TLS handshake failed"),
                        },
                        None => http::serve(tcp, ctx).await,
                    }
                });
            }
        }
    }
    drop(listener);
    let shared = &ctx.shared;
    shared.shutdown_all();
    let all_gone = async {
        loop {
            let mut gone = pin!(shared.conn_gone.notified());
            gone.as_mut().enable();
            if shared.live_tasks() == 0 {
                return;
            }
            gone.await;
        }
    };
    // Every socket has been sent its close frame; a client that answers does so within
    // milliseconds on loopback. One that does not is not waited for (its TCP connection is
    // dropped with the runtime): a shutdown, and the binary's exit, stay prompt.
    if tokio::time::timeout(SHUTDOWN_GRACE, all_gone)
        .await
        .is_err()
    {
        tracing::debug!("connections still closing at shutdown: dropped");
    }
    ticker.abort();
}

/// Calls the model's `tick` at its next deadline; re-plans whenever the model changes.
async fn ticker(shared: Arc<Shared>) {
    loop {
        let mut changed = pin!(shared.changed.notified());
        changed.as_mut().enable();
        match shared.read(SlackModel::next_deadline) {
            Some(at) => {
                tokio::select! {
                    _ = tokio::time::sleep_until(tokio::time::Instant::from_std(at)) => {
                        shared.with_model(|m, now| ((), m.tick(now)));
                    }
                    _ = changed => {}
                }
            }
            None => changed.await,
        }
    }
}
