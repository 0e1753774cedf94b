//! The cost of recording (`ClientBuilder::record_to_file`): a flood through rtm-tokio from
//! the mock Slack on loopback, unrecorded and recorded to a file, alternating.
//!
//! `cargo bench -p rtm-tokio --bench recording [-- --events N]`
//!
//! Per run: the flood's time (until the subscriber has every event) and, recorded, the time
//! until the recording is complete on disk (the client dropped, the writer let go).

use std::io::Write;
use std::time::Instant;

use futures::StreamExt;
use rtm_testkit::{MockSlack, ServerOptions};
use rtm_tokio::{BuilderExt, ClientBuilder};

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A file that says when it is dropped.
struct Signalled(
    std::io::BufWriter<std::fs::File>,
    Option<std::sync::mpsc::Sender<()>>,
);

impl Write for Signalled {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

impl Drop for Signalled {
    fn drop(&mut self) {
        let _ = self.0.flush();
        if let Some(tx) = self.1.take() {
            let _ = tx.send(());
        }
    }
}

async fn flood(slack: &MockSlack, count: u64, record: Option<&std::path::Path>) -> f64 {
    let mut builder = ClientBuilder::new("xoxb-test-token")
        .api_url(slack.api_url())
        .pacing(None);
    let mut done = None;
    if let Some(path) = record {
        let (tx, rx) = std::sync::mpsc::channel();
        let file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
        builder = builder.record_to(Signalled(file, Some(tx)));
        done = Some(rx);
    }
    let client = builder.build().unwrap();
    client.start().await.unwrap();
    let mut events = client.subscribe_filtered(["message"]);
    slack.flood(10_000);
    for _ in 0..10_000 {
        events.next().await.unwrap().unwrap();
    }
    let t = Instant::now();
    slack.flood(count);
    for _ in 0..count {
        events.next().await.unwrap().unwrap();
    }
    let secs = t.elapsed().as_secs_f64();
    drop(events);
    drop(client);
    match (done, record) {
        (Some(rx), Some(path)) => {
            rx.recv_timeout(std::time::Duration::from_secs(120))
                .unwrap();
            let all = t.elapsed().as_secs_f64();
            let bytes = std::fs::metadata(path).unwrap().len();
            let lines = std::fs::read(path)
                .unwrap()
                .iter()
                .filter(|b| **b == b'\n')
                .count();
            println!(
                "recorded:   {count} events in {secs:.3} s = {:.0} events/s; recording complete after {all:.3} s: {lines} lines, {:.1} MB",
                count as f64 / secs,
                bytes as f64 / 1e6
            );
            let _ = std::fs::remove_file(path);
        }
        _ => println!(
            "unrecorded: {count} events in {secs:.3} s = {:.0} events/s",
            count as f64 / secs
        ),
    }
    secs
}

fn main() {
    let count = arg("--events", 1_000_000);
    let slack = MockSlack::start(ServerOptions::default()).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let path =
        std::env::temp_dir().join(format!("rtm-recording-bench-{}.jsonl", std::process::id()));
    rt.block_on(async {
        let (mut off, mut on) = (Vec::new(), Vec::new());
        for _ in 0..2 {
            off.push(flood(&slack, count, None).await);
            on.push(flood(&slack, count, Some(&path)).await);
        }
        let best = |v: &[f64]| v.iter().cloned().fold(f64::INFINITY, f64::min);
        println!(
            "recorded / unrecorded (best of 2 each): {:.2}x",
            best(&on) / best(&off)
        );
    });
}
