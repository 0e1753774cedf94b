//! The Web API from a client handle: any method with [`WebApi::call`], and
//! `chat.postMessage` typed. The core decides everything (pacing per channel, 429
//! `Retry-After`, retries of 5xx with backoff, timeouts); this only submits the call and
//! awaits its one answer. RTM and Socket Mode clients share it: one Web API, two sessions.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use rtm_proto::{ApiAnswer, ApiError, ApiRequest, ChatPostMessage, PostedMessage, Token};
use tokio::sync::{mpsc, oneshot};

use crate::command::{ApiCommand, Command};
use crate::error::Error;
use crate::runtime::BoxFuture;

/// Where calls go: the driver's command channel, whatever its core.
trait Submit: Send + Sync {
    fn submit(&self, command: ApiCommand) -> BoxFuture<Result<(), ()>>;
}

impl<T: Send + 'static> Submit for mpsc::Sender<Command<T>> {
    fn submit(&self, command: ApiCommand) -> BoxFuture<Result<(), ()>> {
        let tx = self.clone();
        Box::pin(async move { tx.send(Command::Api(Box::new(command))).await.map_err(drop) })
    }
}

/// The Web API of a client (from `RtmClient::web_api` or `SocketModeClient::web_api`),
/// with its token: cheap to clone, usable from any task.
///
/// Calls work in every state of the session (they need no socket); they end with the client
/// (`ApiError::ClientClosed`). Posts to one channel go out one at a time, in the order they
/// were made, paced to about one per second with short bursts, as Slack requires.
#[derive(Clone)]
pub struct WebApi {
    sink: Arc<dyn Submit>,
    /// `None`: a Socket Mode client built without a bot token.
    token: Option<Token>,
}

impl fmt::Debug for WebApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebApi")
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

impl WebApi {
    pub(crate) fn new<T: Send + 'static>(
        commands: mpsc::Sender<Command<T>>,
        token: Option<Token>,
    ) -> Self {
        WebApi {
            sink: Arc::new(commands),
            token,
        }
    }

    /// Calls `method` (e.g. `conversations.info`) with these form parameters; completes
    /// with the `ok: true` answer, or the typed reason it failed ([`ApiError`], as
    /// [`Error::Api`]).
    pub fn call<P, K, V>(
        &self,
        method: &str,
        params: P,
    ) -> impl Future<Output = Result<ApiAnswer, Error>> + Send + 'static + use<P, K, V>
    where
        P: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let request = self
            .token
            .clone()
            .map(|token| ApiRequest::new(method, token).params(params));
        self.submit(request)
    }

    /// Posts `text` to `channel` (`chat.postMessage`); completes with the message's `ts`.
    pub fn chat_post_message<C: Into<String>, T: Into<String>>(
        &self,
        channel: C,
        text: T,
    ) -> impl Future<Output = Result<PostedMessage, Error>> + Send + 'static + use<C, T> {
        self.post_message(ChatPostMessage::new(channel, text))
    }

    /// Posts a message with every option (`thread_ts` for a reply in a thread, `blocks`).
    pub fn post_message(
        &self,
        message: ChatPostMessage,
    ) -> impl Future<Output = Result<PostedMessage, Error>> + Send + 'static + use<> {
        let request = self
            .token
            .clone()
            .map(|token| ApiRequest::chat_post_message(token, &message));
        let answer = self.submit(request);
        async move { Ok(PostedMessage::from_answer(answer.await?)?) }
    }

    fn submit(
        &self,
        request: Option<ApiRequest>,
    ) -> impl Future<Output = Result<ApiAnswer, Error>> + Send + 'static + use<> {
        let sink = self.sink.clone();
        async move {
            let request = request.ok_or(Error::NoBotToken)?;
            let (done, answer) = oneshot::channel();
            let closed = || Error::Api(ApiError::ClientClosed);
            sink.submit(ApiCommand { request, done })
                .await
                .map_err(|()| closed())?;
            Ok(answer.await.map_err(|_| closed())??)
        }
    }
}
