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
use rtm_tokio::{BuilderExt, ClientBuilder, Event, RetryLimit, RetryPolicy};

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

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// The client ends' ports of all TCP connections to `port` in this network namespace, in any
/// state: whichever side closes first keeps its end in TIME_WAIT for a minute, so the set
/// grows by one per connection made during a run.
fn client_ports(port: u16, into: &mut std::collections::HashSet<u16>) {
    let tcp = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
    let port_of = |addr: &str| {
        addr.split_once(':')
            .and_then(|(_, p)| u16::from_str_radix(p, 16).ok())
    };
    for line in tcp.lines().skip(1) {
        let mut fields = line.split_whitespace().skip(1);
        let (Some(local), Some(remote)) = (
            fields.next().and_then(port_of),
            fields.next().and_then(port_of),
        ) else {
            continue;
        };
        if remote == port {
            into.insert(local);
        } else if local == port && remote != 0 {
            into.insert(remote);
        }
    }
}

fn port_of(url: &str) -> u16 {
    let host = url.split("://").nth(1).unwrap().split('/').next().unwrap();
    host.rsplit_once(':').unwrap().1.parse().unwrap()
}

/// Close → ready, `n` times, with the lifecycle events in between timestamped as they reach a
/// subscriber (connecting → authenticated is the `rtm.connect` web call, authenticated →
/// connected the TCP connect and WebSocket handshake, connected → ready the `hello`). The core
/// reconnects at once only after a session that lived at least `retry.initial_delay` (a young
/// one backs off), so the client's initial delay is 1 ms and each session lives 5 ms before
/// `close` closes it. `ports`: the server's ports, whose client sockets are counted.
async fn reconnect(name: &str, api_url: String, close: impl Fn(), ports: &[u16], n: u64) {
    let client = ClientBuilder::new("xoxb-test-token")
        .api_url(api_url)
        .retry(
            RetryPolicy::default()
                .with_first_start(RetryLimit::Forever)
                .with_reconnect(RetryLimit::Forever)
                .with_initial_delay(Duration::from_millis(1)),
        )
        .build()
        .unwrap();
    let mut events = client.subscribe_filtered([
        "disconnected",
        "reconnecting",
        "connecting",
        "authenticated",
        "connected",
        "ready",
    ]);
    client.start().await.unwrap();
    loop {
        if matches!(*events.next().await.unwrap().unwrap(), Event::Ready) {
            break;
        }
    }
    let mut sockets_before = std::collections::HashSet::new();
    ports
        .iter()
        .for_each(|&p| client_ports(p, &mut sockets_before));
    let mut times = Vec::with_capacity(n as usize);
    // Per phase: (from, to) → durations.
    let mut phases: Vec<(String, Vec<Duration>)> = Vec::new();
    for i in 0..(n + 20) {
        tokio::time::sleep(Duration::from_millis(5)).await;
        let t = Instant::now();
        close();
        let (mut last, mut last_name) = (t, "close".to_owned());
        let mut steps = Vec::new();
        loop {
            let event = events.next().await.unwrap().unwrap();
            let now = Instant::now();
            let name = event.name().to_owned();
            steps.push((format!("{last_name} → {name}"), now - last));
            (last, last_name) = (now, name);
            if matches!(*event, Event::Ready) {
                break;
            }
        }
        // The first reconnects warm the HTTP pool and the allocator.
        if i >= 20 {
            times.push(last - t);
            for (step, d) in steps {
                match phases.iter_mut().find(|(s, _)| *s == step) {
                    Some((_, v)) => v.push(d),
                    None => phases.push((step, vec![d])),
                }
            }
        }
    }
    let mut sockets_after = std::collections::HashSet::new();
    ports
        .iter()
        .for_each(|&p| client_ports(p, &mut sockets_after));
    let sockets = sockets_after.difference(&sockets_before).count();
    times.sort();
    println!(
        "reconnect (server close → ready), {name}: n={} median={:.0} µs p99={:.0} µs min={:.0} µs; \
         {sockets} new client TCP connections over all {} reconnects ({:.2} each)",
        times.len(),
        micros(percentile(&times, 0.5)),
        micros(percentile(&times, 0.99)),
        micros(times[0]),
        n + 20,
        sockets as f64 / (n + 20) as f64,
    );
    for (step, mut v) in phases {
        v.sort();
        println!(
            "  {step:<30} n={:<4} median={:>6.0} µs p90={:>6.0} µs min={:>6.0} µs",
            v.len(),
            micros(percentile(&v, 0.5)),
            micros(percentile(&v, 0.9)),
            micros(v[0]),
        );
    }
    client.disconnect().await.unwrap();
}

/// `n` messages, `in_flight` of them outstanding at any time, each awaited to its ack; `runs`
/// measured runs after a warm-up, each printed, then the median.
async fn pipelined_acks(name: &str, api_url: String, n: u64, in_flight: u64, runs: u64) {
    let client = ClientBuilder::new("xoxb-test-token")
        .api_url(api_url)
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
    let mut rates = Vec::new();
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        run(n).await;
        let secs = t.elapsed().as_secs_f64();
        rates.push(n as f64 / secs);
        println!(
            "pipelined send_message→ack ({name}), {in_flight} in flight: {n} acked in {secs:.3} s = {:.0} acked messages/s",
            n as f64 / secs
        );
    }
    rates.sort_by(f64::total_cmp);
    println!(
        "pipelined send_message→ack ({name}): median of {} runs {:.0} acked messages/s (min {:.0}, max {:.0})",
        rates.len(),
        rates[rates.len() / 2],
        rates[0],
        rates[rates.len() - 1]
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
    // Keep-alive, so reqwest's pool can reuse the web call's connection as with `MockSlack`.
    let lean = lean::start(lean::LeanOptions {
        keep_alive: true,
        small_buffers: false,
    });
    println!(
        "client runtime: multi-thread, {threads} workers; mock Slack and lean server each on its own thread"
    );
    rt.block_on(async {
        let reconnects = arg("--reconnects", 200);
        let slack_port = port_of(&slack.api_url());
        reconnect(
            "mock Slack",
            slack.api_url(),
            || {
                slack.inject(Fault::Close {
                    code: 1001,
                    reason: "going away".into(),
                })
            },
            &[slack_port],
            reconnects,
        )
        .await;
        reconnect(
            "lean server",
            lean.api_url.clone(),
            || lean.close_all(),
            &[lean.http_port, lean.ws_port],
            reconnects,
        )
        .await;
        println!(
            "  lean server: {} HTTP connections accepted for {} rtm.connect requests",
            lean.http_connections
                .load(std::sync::atomic::Ordering::Relaxed),
            lean.http_requests
                .load(std::sync::atomic::Ordering::Relaxed)
        );
        let (acks, in_flight, runs) = (
            arg("--acks", 200_000),
            arg("--in-flight", 64),
            arg("--ack-runs", 3),
        );
        pipelined_acks("mock Slack", slack.api_url(), acks, in_flight, runs).await;
        pipelined_acks(
            "lean ack server",
            lean.api_url.clone(),
            acks,
            in_flight,
            runs,
        )
        .await;
        let n = arg("--sessions", 10_000);
        if n > 0 {
            sessions(n).await;
        }
    });
}
