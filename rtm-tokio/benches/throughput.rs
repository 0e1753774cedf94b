//! Throughput and latency of the tokio adapter against the mock Slack on loopback.
//!
//! `cargo bench -p rtm-tokio --bench throughput [-- --events N --rtts N]`
//!
//! - flood: the server pushes ~360-byte `message` events as fast as the socket takes them;
//!   one subscriber counts them → events/s through socket, core, driver and fan-out; once with
//!   a lossless subscriber (the default) and once with a lossy one, twice each;
//! - send→ack: `send_message` round trips, one at a time, pacing off → median and p99;
//! - bare: a tokio-tungstenite echo server and client on loopback, same frame size, for the
//!   floor that the send→ack figure compares with.

use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use rtm_testkit::{MockSlack, ServerOptions};
use rtm_tokio::{BuilderExt, ClientBuilder, Lagged};
use tokio_tungstenite::tungstenite::Message;

#[path = "common/lean.rs"]
mod lean;

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

fn report(name: &str, mut rtts: Vec<Duration>) {
    rtts.sort();
    println!(
        "{name}: n={} median={:.1} µs p99={:.1} µs min={:.1} µs",
        rtts.len(),
        percentile(&rtts, 0.5).as_secs_f64() * 1e6,
        percentile(&rtts, 0.99).as_secs_f64() * 1e6,
        rtts[0].as_secs_f64() * 1e6,
    );
}

/// `lossy`: the subscriber drops instead of holding the session back, with a buffer deep
/// enough that it never has to (the old default view); else lossless, with the default buffer.
async fn flood(slack: &MockSlack, count: u64, lossy: bool) {
    let builder = ClientBuilder::new("xoxb-test-token")
        .api_url(slack.api_url())
        .pacing(None);
    let builder = if lossy {
        builder.event_buffer(1 << 14)
    } else {
        builder
    };
    let client = builder.build().unwrap();
    client.start().await.unwrap();
    let events = client.subscribe_filtered(["message"]);
    let mut events = if lossy { events.lossy() } else { events };
    // Warm-up.
    slack.flood(10_000);
    let (mut seen, mut missed) = (0, 0);
    while seen + missed < 10_000 {
        match events.next().await.unwrap() {
            Ok(_) => seen += 1,
            Err(Lagged(n)) => missed += n,
        }
    }
    let t = Instant::now();
    slack.flood(count);
    let (mut seen, mut missed, mut bytes) = (0u64, 0u64, 0u64);
    while seen + missed < count {
        match events.next().await.unwrap() {
            Ok(e) => {
                seen += 1;
                if let rtm_tokio::Event::Slack(s) = e.event() {
                    bytes += s.raw().len() as u64;
                }
            }
            Err(Lagged(n)) => missed += n,
        }
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "flood ({}): {count} events ({} B avg) in {:.3} s = {:.0} events/s (missed {missed})",
        if lossy {
            "lossy, buffer 16384"
        } else {
            "lossless, buffer 32"
        },
        bytes / seen.max(1),
        secs,
        count as f64 / secs
    );
}

async fn send_ack(name: &str, api_url: String, n: u64) {
    let client = ClientBuilder::new("xoxb-test-token")
        .api_url(api_url)
        .pacing(None)
        .emit_outgoing(false)
        .build()
        .unwrap();
    client.start().await.unwrap();
    for _ in 0..1000 {
        client.send_message("warm-up", "C0GENERAL").await.unwrap();
    }
    let mut rtts = Vec::with_capacity(n as usize);
    for i in 0..n {
        let t = Instant::now();
        client
            .send_message(format!("round trip {i}"), "C0GENERAL")
            .await
            .unwrap();
        rtts.push(t.elapsed());
    }
    report(name, rtts);
}

/// The lean server (`common/lean.rs`): rtm.connect over hand-rolled HTTP, then `hello` and an
/// immediate ack per frame with no model behind it. RTT against it minus the bare echo is the
/// client's cost.
fn lean_server() -> String {
    lean::start(lean::LeanOptions {
        keep_alive: false,
        small_buffers: true,
    })
    .api_url
}

/// A bare tungstenite echo over loopback: the floor for a round trip.
async fn bare_echo(n: u64) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    // The server on its own thread and runtime, as the mock Slack runs.
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            listener.set_nonblocking(true).unwrap();
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let (tcp, _) = listener.accept().await.unwrap();
            tcp.set_nodelay(true).unwrap();
            let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
            while let Some(Ok(m)) = ws.next().await {
                if m.is_text() && ws.send(m).await.is_err() {
                    break;
                }
            }
        });
    });
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    tcp.set_nodelay(true).unwrap();
    let (mut ws, _) = tokio_tungstenite::client_async(format!("ws://{addr}/"), tcp)
        .await
        .unwrap();
    let frame = r#"{"id":123,"type":"message","channel":"C0GENERAL","text":"round trip 123"}"#;
    let mut rtts = Vec::with_capacity(n as usize);
    for i in 0..(n + 1000) {
        let t = Instant::now();
        ws.send(Message::text(frame)).await.unwrap();
        loop {
            if ws.next().await.unwrap().unwrap().is_text() {
                break;
            }
        }
        if i >= 1000 {
            rtts.push(t.elapsed());
        }
    }
    report("bare tungstenite echo", rtts);
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

/// Resident memory per idle, connected client; the lean server runs in a child process, so
/// only the client side is counted.
async fn idle_memory(n: u64) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .arg("--serve-lean")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let api_url = line.trim().to_owned();
    // One client first, so lazily initialised globals are not counted.
    let warm = ClientBuilder::new("xoxb-test-token")
        .api_url(api_url.clone())
        .build()
        .unwrap();
    warm.start().await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = rss_bytes();
    let mut clients = Vec::new();
    for _ in 0..n {
        let client = ClientBuilder::new("xoxb-test-token")
            .api_url(api_url.clone())
            .build()
            .unwrap();
        client.start().await.unwrap();
        clients.push(client);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss_bytes();
    println!(
        "idle memory: {n} connected clients: {:.1} KiB RSS each",
        (after.saturating_sub(before)) as f64 / n as f64 / 1024.0
    );
    drop(clients);
    let _ = child.kill();
    let _ = child.wait();
}

fn main() {
    if std::env::args().any(|a| a == "--serve-lean") {
        println!("{}", lean_server());
        std::thread::park();
        return;
    }
    let events = arg("--events", 1_000_000);
    let n = arg("--rtts", 20_000);
    let threads = arg("--threads", 2) as usize;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .unwrap();
    let slack = MockSlack::start(ServerOptions::default()).unwrap();
    println!("client runtime: multi-thread, {threads} workers; mock Slack on its own thread");
    rt.block_on(async {
        // Side by side, in both orders, so neither gets the warmer machine.
        flood(&slack, events, false).await;
        flood(&slack, events, true).await;
        flood(&slack, events, true).await;
        flood(&slack, events, false).await;
        send_ack("send_message→ack (mock Slack)", slack.api_url(), n).await;
        send_ack("send_message→ack (lean ack server)", lean_server(), n).await;
        bare_echo(n).await;
        idle_memory(arg("--idle", 1000)).await;
    });
}
