//! What a handle asks of the driver task.

use std::sync::Arc;

use rtm_proto::{ConnectInfo, Outgoing, RtmError, SendError, Sent, StartOptions};
use tokio::sync::oneshot;

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

/// A send as the core takes it, and where its outcome goes.
pub(crate) struct SendCommand {
    pub(crate) outgoing: Outgoing,
    pub(crate) done: oneshot::Sender<Result<Sent, SendError>>,
}
