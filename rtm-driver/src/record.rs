//! Recording a session (builder `record_to` / `record_to_file`): every input the driver
//! feeds the core, with its time and a digest of the actions, as JSON lines (the format is
//! `rtm_proto::recording`'s). The lines are built on the driver's task into a buffer and
//! written by a thread of their own, so a slow or failing writer never stalls the session: a
//! writer that falls too far behind, or fails, ends the recording (reported once, at WARN)
//! and the session goes on.

use std::fmt;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rtm_proto::recording::Recorder;
use rtm_proto::{Action, Config, Input};

/// Bytes gathered before a chunk goes to the writer thread.
const CHUNK: usize = 64 * 1024;
/// Chunks in flight to the writer thread; more means it is stuck, and the recording ends.
const CHUNKS_IN_FLIGHT: usize = 256;
/// How long the end of a session waits for the writer to take the last lines.
const FINISH_TIMEOUT: Duration = Duration::from_secs(5);

/// A writer given to the builder (shared by the builder's clones; the first client built
/// takes it).
pub(crate) type SharedWriter = Arc<Mutex<Option<Box<dyn Write + Send>>>>;

/// Where a recording goes.
#[derive(Clone)]
pub(crate) enum RecordTo {
    Writer(SharedWriter),
    File(PathBuf),
}

impl fmt::Debug for RecordTo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordTo::Writer(_) => f.write_str("RecordTo::Writer(..)"),
            RecordTo::File(p) => f.debug_tuple("RecordTo::File").field(p).finish(),
        }
    }
}

impl RecordTo {
    /// The writer: the file created (truncated) now, or the builder's writer if no other
    /// client took it yet.
    pub(crate) fn open(&self) -> Result<Option<Box<dyn Write + Send>>, std::io::Error> {
        match self {
            RecordTo::Writer(w) => Ok(w.lock().map(|mut w| w.take()).unwrap_or(None)),
            RecordTo::File(path) => Ok(Some(
                Box::new(std::fs::File::create(path)?) as Box<dyn Write + Send>
            )),
        }
    }
}

/// The driver's end of a recording.
pub(crate) struct Recording {
    recorder: Recorder,
    buf: Vec<u8>,
    tx: Option<SyncSender<Vec<u8>>>,
    done: Receiver<()>,
    span: tracing::Span,
}

impl fmt::Debug for Recording {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recording")
            .field("steps", &self.recorder.steps())
            .finish_non_exhaustive()
    }
}

impl Recording {
    /// Starts the writer thread and writes the header. `secrets` never reach the file.
    pub(crate) fn start(
        writer: Box<dyn Write + Send>,
        config: &Config,
        secrets: Vec<String>,
        span: tracing::Span,
    ) -> Option<Recording> {
        let (tx, rx) = mpsc::sync_channel::<Vec<u8>>(CHUNKS_IN_FLIGHT);
        let (done_tx, done) = mpsc::channel();
        let thread_span = span.clone();
        let spawned = std::thread::Builder::new()
            .name("rtm-record".to_owned())
            .spawn(move || {
                let _entered = thread_span.enter();
                let mut w = BufWriter::with_capacity(CHUNK, writer);
                for chunk in rx {
                    if let Err(e) = w.write_all(&chunk) {
                        tracing::warn!(error = %e, "recording failed; recording stopped");
                        return;
                    }
                }
                if let Err(e) = w.flush() {
                    tracing::warn!(error = %e, "recording failed at its end");
                }
                drop(w);
                let _ = done_tx.send(());
            });
        if let Err(e) = spawned {
            let _entered = span.enter();
            tracing::warn!(error = %e, "cannot start the recording thread; not recording");
            return None;
        }
        let recorder = Recorder::new(secrets);
        let mut buf = Vec::with_capacity(CHUNK * 2);
        recorder.header(config, &mut buf);
        Some(Recording {
            recorder,
            buf,
            tx: Some(tx),
            done,
            span,
        })
    }

    /// Before the core handles `input` at `now`.
    pub(crate) fn begin(&mut self, now: Instant, input: &Input) {
        self.recorder.begin(now, input, &mut self.buf);
    }

    /// After: the digest of the actions. False once the recording has ended.
    pub(crate) fn end(&mut self, actions: &[Action]) -> bool {
        self.recorder.end(actions, &mut self.buf);
        self.buf.len() < CHUNK || self.flush()
    }

    /// Hands the buffered lines to the writer thread. False once the recording has ended.
    pub(crate) fn flush(&mut self) -> bool {
        if self.buf.is_empty() {
            return self.tx.is_some();
        }
        let Some(tx) = &self.tx else { return false };
        // A full chunk is followed by more (a flood); an idle flush by a few lines.
        let next = if self.buf.len() >= CHUNK {
            CHUNK * 2
        } else {
            4096
        };
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(next));
        match tx.try_send(chunk) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) => {
                let _entered = self.span.enter();
                tracing::warn!("the recording's writer is too far behind; recording stopped");
                self.tx = None;
                false
            }
            // The writer failed (and said so).
            Err(TrySendError::Disconnected(_)) => {
                self.tx = None;
                false
            }
        }
    }
}

impl Drop for Recording {
    /// The session ends: the last lines go out, and the writer gets a bounded time to take
    /// them, so a process that exits after its client does keeps the whole recording.
    fn drop(&mut self) {
        if self.flush() {
            self.tx = None;
            let _ = self.done.recv_timeout(FINISH_TIMEOUT);
        }
    }
}
