//! What a handle asks of the driver task.

use rtm_proto::{
    AckError, ApiAnswer, ApiError, ApiRequest, Outgoing, SendError, Sent, StartOptions,
};
use tokio::sync::oneshot;

/// A command from a handle to the driver; `T` is what `start()` completes with.
pub(crate) enum Command<T> {
    Start(StartOptions, oneshot::Sender<T>),
    Disconnect(oneshot::Sender<()>),
    /// Boxed to keep the channel's slots small (its buffer is allocated per client).
    Send(Box<SendCommand>),
    /// Socket Mode: acknowledge an envelope.
    Ack(Box<AckCommand>),
    /// A Web API call.
    Api(Box<ApiCommand>),
}

/// A Web API call as the core takes it, and where its answer goes.
pub(crate) struct ApiCommand {
    pub(crate) request: ApiRequest,
    pub(crate) done: oneshot::Sender<Result<ApiAnswer, ApiError>>,
}

/// A send as the core takes it, and where its outcome goes.
pub(crate) struct SendCommand {
    pub(crate) outgoing: Outgoing,
    pub(crate) done: oneshot::Sender<Result<Sent, SendError>>,
}

/// An ack as the core takes it, and where its outcome goes.
pub(crate) struct AckCommand {
    pub(crate) envelope_id: String,
    pub(crate) payload: Option<String>,
    pub(crate) done: oneshot::Sender<Result<(), AckError>>,
}
