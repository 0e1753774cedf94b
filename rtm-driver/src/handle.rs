//! What every client handle shares, whatever the protocol: spawning the driver, and the
//! commands and reads that work the same for RTM and Socket Mode (start, disconnect,
//! subscribe, status, closed).

use std::future::Future;

use rtm_proto::StartOptions;
use tokio::sync::{mpsc, oneshot, watch};
use tracing::Instrument;

use crate::command::Command;
use crate::core_trait::Core;
use crate::driver::{Driver, Endpoint, Ends, StartResult};
use crate::error::Error;
use crate::events::{Events, Publisher};
use crate::record::Recording;
use crate::runtime::Runtime;
use crate::transport::Connector;

/// Commands waiting for the driver; sends beyond it wait for room (backpressure).
const COMMAND_BUFFER: usize = 256;

/// How a driver is launched (from a builder).
pub(crate) struct Launch {
    pub(crate) endpoint: Endpoint,
    pub(crate) event_buffer: usize,
    /// The span's name, when the user chose it.
    pub(crate) name: Option<String>,
}

/// A handle's ends of the channels to its driver. Its drop (with the last handle) shuts the
/// driver down.
#[derive(Debug)]
pub(crate) struct Handles<K: Core> {
    pub(crate) commands: mpsc::Sender<Command<StartResult<K>>>,
    pub(crate) status: watch::Receiver<K::Status>,
    pub(crate) publisher: Publisher<K::Event>,
    /// Dropped with the last handle: the driver then feeds `Shutdown`. In-flight command
    /// futures hold only `commands`, so they do not keep the client alive.
    _alive: oneshot::Sender<()>,
}

impl<K: Core> Handles<K> {
    /// Spawns the driver of `core` on `runtime`; `recording` is asked for the recording,
    /// given the client's span.
    pub(crate) fn spawn<R: Runtime, C: Connector>(
        core: K,
        runtime: R,
        connector: C,
        launch: Launch,
        recording: impl FnOnce(&tracing::Span) -> Option<Recording>,
    ) -> Self {
        let (commands, command_rx) = mpsc::channel(COMMAND_BUFFER);
        let (status_tx, status) = watch::channel(core.status());
        let (alive, alive_rx) = oneshot::channel();
        let publisher = Publisher::new(launch.event_buffer);
        let runtime: std::sync::Arc<dyn Runtime> = std::sync::Arc::new(runtime);
        let ends = Ends {
            commands: command_rx,
            alive: alive_rx,
            status: status_tx,
            publisher: publisher.clone(),
        };
        // Every line the driver logs carries the client's name (set now, or once known).
        let span = match &launch.name {
            Some(name) => tracing::info_span!("rtm", name = %name),
            None => tracing::info_span!("rtm", name = tracing::field::Empty),
        };
        let named = launch.name.is_some();
        let recording = recording(&span);
        let driver = Driver::new(core, connector, runtime.clone(), launch.endpoint, ends)
            .in_span(span.clone(), named)
            .with_recording(recording);
        runtime.spawn(Box::pin(driver.instrument(span)));
        Handles {
            commands,
            status,
            publisher,
            _alive: alive,
        }
    }

    /// Feeds `Start(options)`; completes with the core's answer.
    pub(crate) fn start(
        &self,
        options: StartOptions,
    ) -> impl Future<Output = Result<StartResult<K>, Error>> + Send + 'static {
        let commands = self.commands.clone();
        async move {
            let (tx, rx) = oneshot::channel();
            commands
                .send(Command::Start(options, tx))
                .await
                .map_err(|_| Error::ClientClosed)?;
            rx.await.map_err(|_| Error::ClientClosed)
        }
    }

    /// Feeds `Disconnect`; completes when the core says it is disconnected.
    pub(crate) fn disconnect(&self) -> impl Future<Output = Result<(), Error>> + Send + 'static {
        let commands = self.commands.clone();
        async move {
            let (tx, rx) = oneshot::channel();
            commands
                .send(Command::Disconnect(tx))
                .await
                .map_err(|_| Error::ClientClosed)?;
            rx.await.map_err(|_| Error::ClientClosed)
        }
    }

    /// Sends a command made with a fresh reply channel; completes with the reply, or
    /// `closed` when the driver is gone.
    pub(crate) fn ask<T: Send + 'static>(
        &self,
        make: impl FnOnce(oneshot::Sender<T>) -> Command<StartResult<K>>,
        closed: impl Fn() -> Error + Send + 'static,
    ) -> impl Future<Output = Result<T, Error>> + Send + 'static {
        let commands = self.commands.clone();
        let (tx, rx) = oneshot::channel();
        let command = make(tx);
        async move {
            commands.send(command).await.map_err(|_| closed())?;
            rx.await.map_err(|_| closed())
        }
    }

    pub(crate) fn events(&self) -> Events<K::Event> {
        self.publisher.subscribe()
    }

    /// Completes when the driver task has ended (see `RtmClient::closed`).
    pub(crate) fn closed(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut status = self.status.clone();
        async move { while status.changed().await.is_ok() {} }
    }

    /// Waits until the status satisfies `predicate` (checked at once, then on each change).
    pub(crate) fn wait_for(
        &self,
        mut predicate: impl FnMut(&K::Status) -> bool + Send + 'static,
    ) -> impl Future<Output = Result<K::Status, Error>> + Send + 'static {
        let mut status = self.status.clone();
        async move {
            let s = status
                .wait_for(|s| predicate(s))
                .await
                .map_err(|_| Error::ClientClosed)?;
            Ok(s.clone())
        }
    }
}
