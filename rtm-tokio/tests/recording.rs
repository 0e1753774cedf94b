//! Recording a live session against the mock Slack with faults, and replaying it through a
//! fresh core: every step matches; the token and proxy credentials never reach the file.
//!
//! It also (re)generates the recordings that `rtm-proto/tests/recordings.rs` replays:
//!
//! ```sh
//! RTM_WRITE_RECORDINGS=1 cargo test -p rtm-tokio --test recording
//! ```
//!
//! writes `rtm-proto/tests/recordings/{reconnect_storm,rate_limited_429,flood_acks_out_of_order}.jsonl`
//! (without the variable, the same sessions are recorded in memory and replayed).

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::*;
use futures::StreamExt;
use futures::future::join_all;
use rtm_testkit::model::{Fault, WebFault};
use rtm_testkit::proxy::ConnectProxy;
use rtm_tokio::recording::{ReplayOptions, TOKEN_MARKER, replay_with};
use rtm_tokio::{BuilderExt, Events, RtmClient};
use tokio::sync::oneshot;

/// A writer into shared memory that says when the client let go of it (the session ended
/// and the last lines were written).
struct Capture {
    bytes: Arc<Mutex<Vec<u8>>>,
    dropped: Option<oneshot::Sender<()>>,
}

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.bytes.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        if let Some(tx) = self.dropped.take() {
            let _ = tx.send(());
        }
    }
}

/// A recording in progress: the builder's writer, and the way to get the file once the
/// client is gone.
struct Tape {
    bytes: Arc<Mutex<Vec<u8>>>,
    dropped: oneshot::Receiver<()>,
}

fn new_tape() -> (Capture, Tape) {
    let bytes = Arc::new(Mutex::new(Vec::new()));
    let (tx, rx) = oneshot::channel();
    (
        Capture {
            bytes: bytes.clone(),
            dropped: Some(tx),
        },
        Tape { bytes, dropped: rx },
    )
}

impl Tape {
    /// Drops the client and waits (bounded) for the recording to be complete.
    async fn finish(self, client: RtmClient) -> String {
        drop(client);
        within(self.dropped).await.expect("the writer is dropped");
        String::from_utf8(self.bytes.lock().unwrap().clone()).unwrap()
    }
}

async fn next_named(events: &mut Events, name: &str) {
    loop {
        let e = tokio::time::timeout(WAIT, events.next())
            .await
            .unwrap_or_else(|_| panic!("no {name} event"))
            .expect("events go on");
        if e.expect("lossless").event().name() == name {
            return;
        }
    }
}

/// Replays `file`, asserting that every step matches; returns the timeline.
fn assert_replays(file: &str) -> Vec<String> {
    let report = replay_with(file.as_bytes(), ReplayOptions { timeline: true })
        .unwrap_or_else(|e| panic!("{e}"));
    if let Some(d) = &report.divergence {
        panic!("the recording does not replay:\n{d}");
    }
    assert_eq!(report.steps as usize, file.lines().count() - 1);
    report.timeline
}

fn save(name: &str, file: &str) {
    if std::env::var_os("RTM_WRITE_RECORDINGS").is_some() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../rtm-proto/tests/recordings");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.jsonl")), file).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_with_faults_records_and_replays_step_for_step() {
    let slack = server();
    let (writer, tape) = new_tape();
    let client = builder(&slack).record_to(writer).build().unwrap();
    let mut lifecycle = client.subscribe_filtered(["reconnecting", "ready"]);
    within(client.start()).await.unwrap();
    within(client.send_message("before", CHANNEL))
        .await
        .unwrap();

    // Held acks, released out of order.
    slack.inject(Fault::HoldAcks { count: 3 });
    let sends = ["one", "two", "three"].map(|t| client.send_message(t, CHANNEL));
    for ack in within(join_all(sends)).await {
        ack.unwrap();
    }
    // A goodbye, and the reconnect's web call gets a 429 with Retry-After.
    slack.arm_web_fault(
        WebFault::RateLimited {
            retry_after_secs: 1,
        },
        1,
    );
    slack.inject(Fault::goodbye());
    next_named(&mut lifecycle, "reconnecting").await;
    next_named(&mut lifecycle, "ready").await;
    // A TCP drop.
    slack.inject(Fault::DropTcp);
    next_named(&mut lifecycle, "reconnecting").await;
    next_named(&mut lifecycle, "ready").await;
    within(client.send_message("after", CHANNEL)).await.unwrap();
    within(client.disconnect()).await.unwrap();

    let file = tape.finish(client).await;
    assert!(!file.contains(TOKEN), "the token is in the recording");
    assert!(file.contains(TOKEN_MARKER));
    assert!(file.contains("three"), "message contents are recorded");
    let timeline = assert_replays(&file).join("\n");
    for needle in [
        "HTTP 429, Retry-After 1",
        "because the server said goodbye",
        "reconnecting: attempt 1",
        "disconnect() settled",
    ] {
        assert!(timeline.contains(needle), "{needle:?} not in:\n{timeline}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_credentials_never_reach_the_recording() {
    const PASSWORD: &str = "pr0xy-s3cret";
    let slack = server();
    let proxy = ConnectProxy::with_credentials("alice", PASSWORD).unwrap();
    let (writer, tape) = new_tape();
    let client = builder(&slack)
        .proxy(proxy.url_with(&format!("alice:{PASSWORD}")))
        .record_to(writer)
        .build()
        .unwrap();
    within(client.start()).await.unwrap();
    within(client.send_message("via proxy", CHANNEL))
        .await
        .unwrap();
    let file = tape.finish(client).await;
    assert!(!file.contains(TOKEN));
    assert!(!file.contains(PASSWORD));
    assert!(!file.contains("alice"));
    assert_replays(&file);

    // Wrong credentials: the 407 and its errors are recorded without them.
    let (writer, tape) = new_tape();
    let client = builder(&slack)
        .proxy(proxy.url_with(&format!("alice:{PASSWORD}-wrong")))
        .record_to(writer)
        .build()
        .unwrap();
    assert!(within(client.start()).await.is_err());
    let file = tape.finish(client).await;
    assert!(!file.contains(PASSWORD), "{file}");
    assert!(!file.contains(TOKEN));
    assert_replays(&file);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_writer_ends_the_recording_not_the_session() {
    struct Broken;
    impl Write for Broken {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk full"))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Err(std::io::Error::other("disk full"))
        }
    }
    let slack = server();
    let client = builder(&slack).record_to(Broken).build().unwrap();
    within(client.start()).await.unwrap();
    for i in 0..20 {
        within(client.send_message(format!("m{i}"), CHANNEL))
            .await
            .unwrap();
    }
    assert!(client.status().ready());
}

#[tokio::test]
async fn record_to_file_that_cannot_be_created_fails_the_build() {
    let slack = server();
    let e = builder(&slack)
        .record_to_file("/nonexistent-dir/for/sure/rec.jsonl")
        .build()
        .unwrap_err();
    assert_eq!(e.code(), "slack_rtmapi_recording_error");
}

// ---- the stored recordings ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_recording_reconnect_storm() {
    let slack = server();
    let (writer, tape) = new_tape();
    // Reconnects in quick succession are one retry episode: give it room.
    let client = builder(&slack)
        .retry(
            rtm_tokio::RetryPolicy::default()
                .with_first_start(rtm_tokio::RetryLimit::Attempts(5))
                .with_reconnect(rtm_tokio::RetryLimit::Attempts(20))
                .with_initial_delay(std::time::Duration::from_millis(20))
                .with_factor(2.0)
                .with_max_delay(std::time::Duration::from_millis(200)),
        )
        .record_to(writer)
        .build()
        .unwrap();
    let mut lifecycle = client.subscribe_filtered(["reconnecting", "ready"]);
    within(client.start()).await.unwrap();
    for fault in [
        Fault::goodbye(),
        Fault::DropTcp,
        Fault::TeamMigrationStarted,
        Fault::DropTcp,
    ] {
        slack.inject(fault);
        next_named(&mut lifecycle, "reconnecting").await;
        next_named(&mut lifecycle, "ready").await;
    }
    // Web calls failing in a row while reconnecting.
    slack.arm_web_fault(WebFault::Status { status: 503 }, 2);
    slack.inject(Fault::DropTcp);
    next_named(&mut lifecycle, "ready").await;
    within(client.send_message("after the storm", CHANNEL))
        .await
        .unwrap();
    within(client.disconnect()).await.unwrap();
    let file = tape.finish(client).await;
    assert!(!file.contains(TOKEN));
    assert_replays(&file);
    save("reconnect_storm", &file);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_recording_rate_limited_429() {
    let slack = server();
    slack.arm_web_fault(
        WebFault::RateLimited {
            retry_after_secs: 1,
        },
        1,
    );
    let (writer, tape) = new_tape();
    let client = builder(&slack).record_to(writer).build().unwrap();
    within(client.start()).await.unwrap();
    // A message-level rate limit too (an error reply).
    slack.inject(Fault::RateLimit { count: 1 });
    assert!(
        within(client.send_message("too fast", CHANNEL))
            .await
            .is_err()
    );
    within(client.send_message("fine", CHANNEL)).await.unwrap();
    within(client.disconnect()).await.unwrap();
    let file = tape.finish(client).await;
    let timeline = assert_replays(&file).join("\n");
    assert!(timeline.contains("HTTP 429, Retry-After 1"), "{timeline}");
    save("rate_limited_429", &file);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_recording_flood_acks_out_of_order() {
    let slack = server();
    let (writer, tape) = new_tape();
    let client = builder(&slack)
        .event_buffer(1)
        .record_to(writer)
        .build()
        .unwrap();
    within(client.start()).await.unwrap();
    let mut messages = client.subscribe_filtered(["message"]);
    slack.inject(Fault::HoldAcks { count: 4 });
    let sends = ["a", "b", "c", "d"].map(|t| client.send_message(t, CHANNEL));
    slack.flood(60);
    let acks = tokio::spawn(join_all(sends));
    for _ in 0..60 {
        within(messages.next()).await.unwrap().unwrap();
    }
    // The echoes of our messages would fill the buffer of one: stop reading.
    drop(messages);
    for ack in within(acks).await.unwrap() {
        ack.unwrap();
    }
    within(client.disconnect()).await.unwrap();
    let file = tape.finish(client).await;
    assert_replays(&file);
    save("flood_acks_out_of_order", &file);
}

/// Log output collected in memory.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A writer that blocks until released: the queue to it fills, the recording ends with one
/// WARN line, and the session goes on (every event of a flood arrives). The driver runs on
/// this thread (current-thread runtime), so the thread's subscriber sees its lines.
#[tokio::test(flavor = "current_thread")]
async fn a_stuck_writer_ends_the_recording_not_the_session() {
    struct Stuck(std::sync::mpsc::Receiver<()>);
    impl Write for Stuck {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            // Blocks until the test lets go of the sender.
            let _ = self.0.recv();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let slack = server();
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter("rtm_driver=warn")
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let (release, stuck) = std::sync::mpsc::channel();
    let client = builder(&slack).record_to(Stuck(stuck)).build().unwrap();
    within(client.start()).await.unwrap();
    let mut messages = client.subscribe_filtered(["message"]);
    // More than the 16 MiB the queue to the writer holds.
    const FLOOD: u64 = 40_000;
    slack.flood(FLOOD);
    for _ in 0..FLOOD {
        within(messages.next()).await.unwrap().unwrap();
    }
    within(client.send_message("still here", CHANNEL))
        .await
        .unwrap();
    assert!(client.status().ready());
    let text = String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned();
    let stopped = text.matches("recording stopped").count();
    assert_eq!(stopped, 1, "{text}");
    drop(release);
}

/// `record_to_file`: once `closed()` completes, the file holds the whole session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_to_file_is_complete_when_the_client_is_closed() {
    let slack = server();
    let path = std::env::temp_dir().join(format!(
        "rtm-tokio-record-to-file-{}.jsonl",
        std::process::id()
    ));
    let client = builder(&slack).record_to_file(&path).build().unwrap();
    within(client.start()).await.unwrap();
    within(client.send_message("to a file", CHANNEL))
        .await
        .unwrap();
    within(client.disconnect()).await.unwrap();
    let closed = client.closed();
    drop(client);
    within(closed).await;
    let file = std::fs::read_to_string(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    assert!(!file.contains(TOKEN));
    assert!(file.contains("to a file"));
    let timeline = assert_replays(&file).join("\n");
    assert!(timeline.contains("disconnect() settled"), "{timeline}");
    // The session's end, fed when the last handle was dropped, is the last input.
    let last = file.lines().last().unwrap();
    assert!(last.contains(r#""type":"shutdown""#), "{last}");
}
