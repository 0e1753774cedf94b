//! Session-level figures of the tokio adapter against the mock Slack on loopback.
//!
//! `ulimit -n 65536 && cargo bench -p rtm-tokio --bench sessions [-- --reconnects N
//! --acks N --in-flight N --sessions N]`
//!
//! - reconnect: the mock Slack closes the socket (1001); time from the close until the
//!   client's `ready` event (a new `rtm.connect`, WebSocket and `hello`), median and p99;
//! - pipelined acks: `send_message` with pacing off, a fixed number in flight → acked/s;
//! - sessions: many clients connected and ready at once to one mock Slack (in a child
//!   process, so the memory figure is the clients') → time to connect all, RSS per session.

use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use rtm_testkit::model::Fault;
use rtm_testkit::{MockSlack, ServerOptions};
use rtm_tokio::{BuilderExt, ClientBuilder, Event, RetryPolicy};

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Close → ready, `n` times. The core reconnects at once only after a session that lived at
/// least `retry.initial_delay` (a young one backs off), so the client's initial delay is 1 ms
/// and each session lives 5 ms before it is closed.
async fn reconnect(slack: &MockSlack, n: u64) {
    let client = ClientBuilder::new("xoxb-test-token")
        .api_url(slack.api_url())
        .retry(RetryPolicy {
            max_retries: None,
            initial_delay: Duration::from_millis(1),
            ..RetryPolicy::default()
        })
        .build()
        .unwrap();
    let mut ready = client.subscribe_filtered(["ready"]);
    client.start().await.unwrap();
    assert!(matches!(
        *ready.next().await.unwrap().unwrap(),
        Event::Ready
    ));
    let mut times = Vec::with_capacity(n as usize);
    for i in 0..(n + 20) {
        tokio::time::sleep(Duration::from_millis(5)).await;
        let t = Instant::now();
        slack.inject(Fault::Close {
            code: 1001,
            reason: "going away".into(),
        });
        let event = ready.next().await.unwrap().unwrap();
        let elapsed = t.elapsed();
        assert!(matches!(*event, Event::Ready), "{event:?}");
        // The first reconnects warm the HTTP pool and the allocator.
        if i >= 20 {
            times.push(elapsed);
        }
    }
    times.sort();
    println!(
        "reconnect (server close → ready): n={} median={:.0} µs p99={:.0} µs min={:.0} µs",
        times.len(),
        micros(percentile(&times, 0.5)),
        micros(percentile(&times, 0.99)),
        micros(times[0]),
    );
    client.disconnect().await.unwrap();
}

/// `n` messages, `in_flight` of them outstanding at any time, each awaited to its ack.
async fn pipelined_acks(slack: &MockSlack, n: u64, in_flight: u64) {
    let client = ClientBuilder::new("xoxb-test-token")
        .api_url(slack.api_url())
        .pacing(None)
        .emit_outgoing(false)
        .build()
        .unwrap();
    client.start().await.unwrap();
    let run = |count: u64| {
        let client = client.clone();
        async move {
            let mut pending = FuturesUnordered::new();
            let (mut sent, mut acked) = (0, 0);
            while acked < count {
                while sent < count && (pending.len() as u64) < in_flight {
                    pending.push(client.send_message(format!("pipelined {sent}"), "C0GENERAL"));
                    sent += 1;
                }
                let ack = pending.next().await.expect("a send in flight");
                ack.expect("acked");
                acked += 1;
            }
        }
    };
    run(5_000).await;
    let t = Instant::now();
    run(n).await;
    let secs = t.elapsed().as_secs_f64();
    println!(
        "pipelined send_message→ack, {in_flight} in flight: {n} acked in {secs:.3} s = {:.0} acked messages/s",
        n as f64 / secs
    );
    client.disconnect().await.unwrap();
}

fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

/// `n` clients connected and ready at once; the mock Slack in a child process.
async fn sessions(n: u64) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .arg("--serve-mock")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let api_url = line.trim().to_owned();
    let build = || {
        ClientBuilder::new("xoxb-test-token")
            .api_url(api_url.clone())
            .build()
            .unwrap()
    };
    // One client first, so lazily initialised globals are not counted.
    let warm = build();
    warm.start().await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = rss_bytes();
    let t = Instant::now();
    let clients: Vec<_> = (0..n).map(|_| build()).collect();
    // Started concurrently, at most 512 connecting at a time (each start is an HTTP request
    // and a WebSocket handshake; unbounded, 10k at once only queue in the listen backlog).
    let mut starts = futures::stream::iter(clients.iter().map(|c| c.start())).buffer_unordered(512);
    let mut ready = 0;
    while let Some(result) = starts.next().await {
        result.unwrap();
        ready += 1;
    }
    drop(starts);
    let connect = t.elapsed();
    let all_ready = clients
        .iter()
        .all(|c| c.state() == rtm_tokio::State::Connected(rtm_tokio::Connected::Ready));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss_bytes();
    println!(
        "sessions: {ready} of {n} ready (all ready now: {all_ready}) in {:.2} s ({:.0} sessions/s), {:.1} KiB RSS each",
        connect.as_secs_f64(),
        n as f64 / connect.as_secs_f64(),
        after.saturating_sub(before) as f64 / n as f64 / 1024.0
    );
    drop(clients);
    let _ = child.kill();
    let _ = child.wait();
}

fn main() {
    if std::env::args().any(|a| a == "--serve-mock") {
        // Small WebSocket buffers: 10k sessions at the default 64 KiB + 64 KiB would be 1.3 GB.
        let mut opts = ServerOptions::default();
        opts.ws_config = opts.ws_config.read_buffer_size(4096).write_buffer_size(0);
        let slack = MockSlack::start(opts).unwrap();
        println!("{}", slack.api_url());
        std::thread::park();
        return;
    }
    let threads = arg("--threads", 2) as usize;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .unwrap();
    let slack = MockSlack::start(ServerOptions::default()).unwrap();
    println!("client runtime: multi-thread, {threads} workers; mock Slack on its own thread");
    rt.block_on(async {
        reconnect(&slack, arg("--reconnects", 200)).await;
        pipelined_acks(&slack, arg("--acks", 200_000), arg("--in-flight", 64)).await;
        let n = arg("--sessions", 10_000);
        if n > 0 {
            sessions(n).await;
        }
    });
}
