//! Socket Mode and the Web API against a lean loopback server (`common/lean_sm.rs`).
//!
//! `cargo bench -p rtm-tokio --bench socket_mode -- [--only flood,refresh,web] [--runs N]
//! [--envelopes N] [--refreshes N] [--rate N] [--calls N]` (results: BENCHMARKS.md)
//!
//! - flood: the server writes ~470-byte `events_api` envelopes as fast as the socket takes
//!   them; one `envelopes()` subscriber receives each and acks it (awaited one at a time,
//!   pipelined, or `auto_ack`), and the run ends when the server has read every ack. The
//!   same server against a raw tokio-tungstenite reader that acks shows its own ceiling;
//! - refresh: ~`--rate` envelopes/s round-robin over the open connections while the server
//!   refreshes the connection in use `--refreshes` times (`warning`, `refresh_requested`
//!   after `--lead` ms, close after `--grace` ms more); envelopes lost and duplicated, acks
//!   missing, the replacement time (warning → the new socket's hello) and the longest time
//!   with no connection that had said hello open, all from the server's timestamps;
//! - web: `chat_post_message` → answer round trips one at a time (pacing off) through the
//!   Socket Mode and the RTM client's Web API, and the same request with reqwest alone.
//!
//! Also `--modes raw,awaited,pipelined,auto` (flood), `--dedup-window N` (flood; 0: the
//! core's default), `--lead MS --grace MS` (refresh), `--threads N`. Without any argument
//! (as `cargo test --benches` runs bench targets): a smoke run of a few seconds.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::stream::FuturesUnordered;
use futures::{FutureExt, SinkExt, StreamExt};
use rtm_tokio::{BuilderExt, ClientBuilder, SocketModeBuilder, WebApiConfig};
use tokio_tungstenite::tungstenite::Message;

#[path = "common/lean_sm.rs"]
mod lean_sm;

use lean_sm::{Order, WsMode};

/// The command line; without any argument (`cargo test --benches` runs bench targets so,
/// while `cargo bench` passes `--bench`), a short smoke run instead of the measurement.
fn args() -> Vec<String> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() > 1 {
        return args;
    }
    let smoke = "--runs 1 --warm 1000 --envelopes 2000 --refreshes 2 --rate 2000 --calls 50";
    std::iter::once(args[0].clone())
        .chain(smoke.split(' ').map(str::to_owned))
        .collect()
}

fn arg(name: &str, default: u64) -> u64 {
    let args = args();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn arg_str(name: &str) -> Option<String> {
    let args = args();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

// ---------------------------------------------------------------------------------------
// Flood

#[derive(Debug, Clone, Copy, PartialEq)]
enum AckMode {
    /// `client.ack(&e).await` before taking the next envelope.
    Awaited,
    /// `client.ack(&e)` futures polled together, up to 1024 in flight.
    Pipelined,
    /// `auto_ack(true)`: the driver acks before delivering.
    Auto,
    /// No client: a raw tokio-tungstenite reader that acks each frame (the server's ceiling).
    Raw,
}

/// Warm-up envelopes before the timed ones (`--warm`).
fn warm() -> u64 {
    arg("--warm", 20_000)
}

/// Waits until the server has read `total` unique acks (or `wait`); the instant it saw them.
async fn acks_in(
    server: &lean_sm::LeanSm,
    total: u64,
    wait: Duration,
) -> (Arc<lean_sm::AckCount>, Instant) {
    let count = server.flood.lock().unwrap().clone();
    let deadline = Instant::now() + wait;
    while count.unique.load(Ordering::Relaxed) < total && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
    (count, Instant::now())
}

/// `dedup_window`: the size of the redelivery filter (`None`: the core's default).
async fn flood(
    server: &lean_sm::LeanSm,
    n: u64,
    mode: AckMode,
    dedup_window: Option<usize>,
) -> Option<f64> {
    let warm = warm();
    let total = warm + n;
    let (delivered, dups, t0, t_delivered);
    let ack_errors = Arc::new(Mutex::new(HashMap::<String, u64>::new()));
    let failed = |e: rtm_tokio::Error| {
        *ack_errors.lock().unwrap().entry(e.to_string()).or_default() += 1;
    };
    let client;
    if mode == AckMode::Raw {
        let (mut ws, _) = tokio_tungstenite::connect_async(server.ws_url.clone())
            .await
            .unwrap();
        let mut seen = vec![false; total as usize];
        let (mut count, mut dup) = (0u64, 0u64);
        let mut start = None;
        while count < total {
            let m = match ws.next().now_or_never() {
                Some(m) => m,
                None => {
                    ws.flush().await.unwrap();
                    ws.next().await
                }
            };
            let Message::Text(t) = m.unwrap().unwrap() else {
                continue;
            };
            let Some(seq) = lean_sm::acked_seq(&t) else {
                continue; // hello
            };
            if std::mem::replace(&mut seen[seq as usize], true) {
                dup += 1;
            } else {
                count += 1;
            }
            let id = &t[16..52];
            ws.feed(Message::text(format!(r#"{{"envelope_id":"{id}"}}"#)))
                .await
                .unwrap();
            if count == warm {
                start = Some(Instant::now());
            }
        }
        ws.flush().await.unwrap();
        (delivered, dups, t0, t_delivered) = (count, dup, start.unwrap(), Instant::now());
        client = None;
    } else {
        let mut builder = SocketModeBuilder::new("xapp-1-A1-bench");
        if let Some(w) = dedup_window {
            builder = builder.dedup_window(w);
        }
        let c = builder
            .api_url(server.api_url.clone())
            .allow_insecure(true)
            .auto_ack(mode == AckMode::Auto)
            .build()
            .unwrap();
        let mut envelopes = c.envelopes();
        c.start().await.unwrap();
        let mut seen = vec![false; total as usize];
        let (mut count, mut dup) = (0u64, 0u64);
        let mut start = None;
        let mut pending = FuturesUnordered::new();
        while count < total {
            let e = envelopes.next().await.unwrap().unwrap();
            let seq = lean_sm::seq_of(e.envelope_id()).unwrap();
            if std::mem::replace(&mut seen[seq as usize], true) {
                dup += 1;
            } else {
                count += 1;
            }
            match mode {
                AckMode::Awaited => c.ack(&e).await.unwrap_or_else(failed),
                AckMode::Pipelined => {
                    pending.push(c.ack(&e));
                    while let Some(Some(r)) = pending.next().now_or_never() {
                        r.unwrap_or_else(failed);
                    }
                    if pending.len() >= 256 {
                        pending.next().await.unwrap().unwrap_or_else(failed);
                    }
                }
                AckMode::Auto | AckMode::Raw => {}
            }
            if count == warm {
                start = Some(Instant::now());
            }
        }
        while let Some(r) = pending.next().await {
            r.unwrap_or_else(failed);
        }
        (delivered, dups, t0, t_delivered) = (count, dup, start.unwrap(), Instant::now());
        client = Some(c);
    }
    let errors: u64 = ack_errors.lock().unwrap().values().sum();
    let wait = Duration::from_secs(if errors > 0 { 2 } else { 30 });
    let (acks, t_acked) = acks_in(server, total, wait).await;
    let secs = (t_acked - t0).as_secs_f64();
    let rate = n as f64 / secs;
    let window = dedup_window.map_or("default".to_owned(), |w| w.to_string());
    println!(
        "flood ({mode:?}, dedup_window {window}): {n} envelopes delivered in {:.3} s, acked by {:.3} s = {rate:.0} envelopes/s; \
         delivered {delivered}/{total} once (duplicates {dups}), server read {} acks (duplicates {}, other {})",
        (t_delivered - t0).as_secs_f64(),
        secs,
        acks.unique.load(Ordering::Relaxed),
        acks.duplicate.load(Ordering::Relaxed),
        acks.other.load(Ordering::Relaxed),
    );
    if let Some(c) = client {
        let _ = c.disconnect().await;
    }
    assert_eq!(delivered, total);
    assert_eq!(dups, 0);
    if errors > 0 {
        println!(
            "  ack errors: {:?}; server read {} of {total} acks: run not counted",
            ack_errors.lock().unwrap(),
            acks.unique.load(Ordering::Relaxed)
        );
        return None;
    }
    assert_eq!(acks.unique.load(Ordering::Relaxed), total);
    Some(rate)
}

fn run_flood(rt: &tokio::runtime::Runtime, runs: u64) {
    let n = arg("--envelopes", 500_000);
    let modes: Vec<AckMode> = match arg_str("--modes").as_deref() {
        Some(s) => s
            .split(',')
            .map(|m| match m {
                "awaited" => AckMode::Awaited,
                "pipelined" => AckMode::Pipelined,
                "auto" => AckMode::Auto,
                "raw" => AckMode::Raw,
                other => panic!("unknown mode {other}"),
            })
            .collect(),
        None => vec![
            AckMode::Raw,
            AckMode::Awaited,
            AckMode::Pipelined,
            AckMode::Auto,
        ],
    };
    // The core's defaults (`--dedup-window 0`); `--dedup-window N` sets the redelivery
    // filter's size (envelopes awaiting an ack have their own bound, `max_pending_acks`,
    // above what the driver reads ahead, so acking in order is never refused).
    let window = match arg("--dedup-window", 0) {
        0 => None,
        w => Some(w as usize),
    };
    let server = lean_sm::start(WsMode::Flood(warm() + n));
    let mut rates: HashMap<String, Vec<f64>> = HashMap::new();
    rt.block_on(async {
        for _ in 0..runs {
            for &mode in &modes {
                if let Some(r) = flood(&server, n, mode, window).await {
                    rates.entry(format!("{mode:?}")).or_default().push(r);
                }
            }
        }
    });
    for mode in &modes {
        let Some(v) = rates.get(&format!("{mode:?}")) else {
            println!("flood summary ({mode:?}): no complete run");
            continue;
        };
        let (lo, hi) = v
            .iter()
            .fold((f64::MAX, 0f64), |(l, h), &x| (l.min(x), h.max(x)));
        println!(
            "flood summary ({mode:?}): runs={} median={:.0}/s min={lo:.0}/s max={hi:.0}/s",
            v.len(),
            median(v.clone())
        );
    }
}

// ---------------------------------------------------------------------------------------
// Refresh under load

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Mark {
    Hello,
    Warned,
    Requested,
    Closed,
}

#[derive(Debug, Default)]
struct RefreshReport {
    sent: u64,
    /// Per seq: the connection it was written to, and when.
    sent_on: Vec<(u64, Instant)>,
    replacement: Vec<Duration>,
    timeline: Vec<(Instant, u64, Mark)>,
    late_hellos: u64,
}

/// The longest time, from the first hello to `end`, with no connection in [hello, until).
fn longest_gap(timeline: &[(Instant, u64, Mark)], until: &[Mark], end: Instant) -> Duration {
    let mut edges: Vec<(Instant, i32)> = Vec::new();
    let mut ends: HashMap<u64, Instant> = HashMap::new();
    for &(t, c, m) in timeline {
        if until.contains(&m) {
            let e = ends.entry(c).or_insert(t);
            *e = (*e).min(t);
        }
    }
    for &(t, c, m) in timeline {
        if m == Mark::Hello {
            edges.push((t, 1));
            edges.push((ends.get(&c).copied().unwrap_or(end), -1));
        }
    }
    edges.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    let (mut open, mut since, mut longest) = (0, None::<Instant>, Duration::ZERO);
    for (t, d) in edges {
        if open == 0
            && let Some(s) = since.take()
        {
            longest = longest.max(t - s);
        }
        open += d;
        if open == 0 {
            since = Some(t);
        }
    }
    if let Some(s) = since {
        longest = longest.max(end.saturating_duration_since(s));
    }
    longest
}

/// The server's side: the envelope generator and the refreshes, on the server's runtime.
async fn refresh_controller(
    mut conns: tokio::sync::mpsc::UnboundedReceiver<lean_sm::Conn>,
    refreshes: u64,
    rate: u64,
    lead: Duration,
    grace: Duration,
) -> RefreshReport {
    type Active = Arc<Mutex<Vec<(u64, tokio::sync::mpsc::UnboundedSender<Order>)>>>;
    let active: Active = Arc::default();
    let timeline = Arc::new(Mutex::new(Vec::new()));
    let hellos = Arc::new(Mutex::new(HashMap::<u64, Instant>::new()));
    let (count_tx, mut count_rx) = tokio::sync::watch::channel(0u64);
    {
        let (active, timeline, hellos) = (active.clone(), timeline.clone(), hellos.clone());
        tokio::spawn(async move {
            while let Some(c) = conns.recv().await {
                timeline
                    .lock()
                    .unwrap()
                    .push((c.hello_at, c.id, Mark::Hello));
                hellos.lock().unwrap().insert(c.id, c.hello_at);
                active.lock().unwrap().push((c.id, c.orders));
                count_tx.send_modify(|n| *n += 1);
            }
        });
    }
    // ~`rate`/s: each millisecond, the envelopes due by then, round-robin over the open ones.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let generator = {
        let (active, stop) = (active.clone(), stop.clone());
        tokio::spawn(async move {
            let start = Instant::now();
            let mut tick = tokio::time::interval(Duration::from_millis(1));
            let mut seq = 0u64;
            let mut sent_on = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                tick.tick().await;
                let due = (start.elapsed().as_secs_f64() * rate as f64) as u64;
                let active = active.lock().unwrap();
                if active.is_empty() {
                    continue;
                }
                while seq < due {
                    let (conn, orders) = &active[seq as usize % active.len()];
                    let _ = orders.send(Order::Send(lean_sm::envelope(seq)));
                    sent_on.push((*conn, Instant::now()));
                    seq += 1;
                }
            }
            (seq, sent_on)
        })
    };
    count_rx.wait_for(|n| *n >= 1).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut report = RefreshReport::default();
    for _ in 0..refreshes {
        let (id, orders) = active.lock().unwrap().last().cloned().unwrap();
        let before = *count_rx.borrow();
        let warned = Instant::now();
        let _ = orders.send(Order::Send(
            r#"{"type":"disconnect","reason":"warning","debug_info":{"host":"applink-lean"}}"#
                .into(),
        ));
        timeline.lock().unwrap().push((warned, id, Mark::Warned));
        tokio::time::sleep(lead).await;
        let _ = orders.send(Order::Send(
            r#"{"type":"disconnect","reason":"refresh_requested","debug_info":{"host":"applink-lean"}}"#
                .into(),
        ));
        timeline
            .lock()
            .unwrap()
            .push((Instant::now(), id, Mark::Requested));
        tokio::time::sleep(grace).await;
        if *count_rx.borrow() == before {
            report.late_hellos += 1;
        }
        // Closed whether or not the replacement said hello (as Slack does).
        active.lock().unwrap().retain(|(c, _)| *c != id);
        timeline
            .lock()
            .unwrap()
            .push((Instant::now(), id, Mark::Closed));
        let _ = orders.send(Order::Close);
        // The next refresh once the replacement is in use.
        let _ =
            tokio::time::timeout(Duration::from_secs(10), count_rx.wait_for(|n| *n > before)).await;
        let newest = *hellos.lock().unwrap().values().max().unwrap();
        report.replacement.push(newest - warned);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    (report.sent, report.sent_on) = generator.await.unwrap();
    report.timeline = std::mem::take(&mut *timeline.lock().unwrap());
    report
}

fn run_refresh(rt: &tokio::runtime::Runtime, runs: u64) {
    let refreshes = arg("--refreshes", 20);
    let rate = arg("--rate", 10_000);
    let lead = Duration::from_millis(arg("--lead", 100));
    let grace = Duration::from_millis(arg("--grace", 100));
    let mut all_replacements = Vec::new();
    for run in 1..=runs {
        let mut server = lean_sm::start(WsMode::Controlled);
        let conns = std::mem::replace(&mut server.conns, tokio::sync::mpsc::unbounded_channel().1);
        let done = server
            .runtime
            .spawn(refresh_controller(conns, refreshes, rate, lead, grace));
        let (report, seen, refreshed, ack_errors) = rt.block_on(async {
            let client = SocketModeBuilder::new("xapp-1-A1-bench")
                .api_url(server.api_url.clone())
                .allow_insecure(true)
                .build()
                .unwrap();
            let mut envelopes = client.envelopes();
            let mut life = client.subscribe_filtered(["refreshed"]);
            let refreshed = tokio::spawn(async move {
                let mut n = 0u64;
                while let Some(Ok(_)) = life.next().await {
                    n += 1;
                }
                n
            });
            client.start().await.unwrap();
            let ack_errors = Arc::new(AtomicU64::new(0));
            let mut seen: Vec<u32> = Vec::new();
            let mut done = done;
            let report = loop {
                tokio::select! {
                    e = envelopes.next() => {
                        let e = e.unwrap().unwrap();
                        let seq = lean_sm::seq_of(e.envelope_id()).unwrap() as usize;
                        if seen.len() <= seq {
                            seen.resize(seq + 1, 0);
                        }
                        seen[seq] += 1;
                        let ack = client.ack(&e);
                        let errors = ack_errors.clone();
                        tokio::spawn(async move {
                            if ack.await.is_err() {
                                errors.fetch_add(1, Ordering::Relaxed);
                            }
                        });
                    }
                    r = &mut done => break r.unwrap(),
                }
            };
            // Envelopes written just before the end.
            let deadline = Instant::now() + Duration::from_millis(500);
            while let Ok(Some(Ok(e))) =
                tokio::time::timeout_at(deadline.into(), envelopes.next()).await
            {
                let seq = lean_sm::seq_of(e.envelope_id()).unwrap() as usize;
                if seen.len() <= seq {
                    seen.resize(seq + 1, 0);
                }
                seen[seq] += 1;
                let _ = client.ack(&e).await;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
            let _ = client.disconnect().await;
            drop(client);
            let refreshed = refreshed.await.unwrap();
            (report, seen, refreshed, ack_errors.load(Ordering::Relaxed))
        });
        let sent = report.sent as usize;
        let lost = (0..sent)
            .filter(|&s| seen.get(s).copied().unwrap_or(0) == 0)
            .count();
        let duplicated = seen.iter().filter(|&&n| n > 1).count();
        let acks = server.acks.lock().unwrap();
        let unacked = (0..sent)
            .filter(|&s| acks.per_seq.get(s).copied().unwrap_or(0) == 0)
            .count();
        let acked_twice = acks.per_seq.iter().filter(|&&n| n > 1).count();
        // Where the envelopes whose ack never reached the server were written.
        let closed_at: HashMap<u64, Instant> = report
            .timeline
            .iter()
            .filter(|e| e.2 == Mark::Closed)
            .map(|e| (e.1, e.0))
            .collect();
        let mut where_unacked: HashMap<String, u64> = HashMap::new();
        for s in (0..sent).filter(|&s| acks.per_seq.get(s).copied().unwrap_or(0) == 0) {
            let (conn, at) = report.sent_on[s];
            let key = match closed_at.get(&conn) {
                Some(&c) if c > at => {
                    let before = c - at;
                    if before < Duration::from_millis(5) {
                        "written < 5 ms before its socket's close".to_owned()
                    } else {
                        "written >= 5 ms before its socket's close".to_owned()
                    }
                }
                Some(_) => "written after its socket's close was ordered".to_owned(),
                None => "on a socket never closed".to_owned(),
            };
            *where_unacked.entry(key).or_default() += 1;
        }
        if !where_unacked.is_empty() {
            println!("  unacked envelopes: {where_unacked:?}");
        }
        let end = report.timeline.iter().map(|e| e.0).max().unwrap();
        let gap_open = longest_gap(&report.timeline, &[Mark::Closed], end);
        let gap_told = longest_gap(&report.timeline, &[Mark::Requested, Mark::Closed], end);
        let gap_warned = longest_gap(
            &report.timeline,
            &[Mark::Warned, Mark::Requested, Mark::Closed],
            end,
        );
        let mut rep = report.replacement.clone();
        rep.sort();
        println!(
            "refresh run {run}: {} refreshes (client saw {refreshed} `refreshed`), {sent} envelopes sent at ~{rate}/s; \
             lost {lost}, duplicated {duplicated}, unacked at the server {unacked}, acked twice {acked_twice}, \
             ack errors {ack_errors}; replacement (warning → new hello) median {:.2} ms max {:.2} ms min {:.2} ms; \
             longest with no hello'd connection open: {:.3} ms; … open and not told refresh_requested: {:.3} ms; \
             … not warned: {:.2} ms; replacements later than lead+grace: {}",
            rep.len(),
            ms(percentile(&rep, 0.5)),
            ms(*rep.last().unwrap()),
            ms(rep[0]),
            ms(gap_open),
            ms(gap_told),
            ms(gap_warned),
            report.late_hellos,
        );
        all_replacements.extend(rep);
    }
    all_replacements.sort();
    println!(
        "refresh summary: {} replacements over {runs} runs: median {:.2} ms p90 {:.2} ms max {:.2} ms",
        all_replacements.len(),
        ms(percentile(&all_replacements, 0.5)),
        ms(percentile(&all_replacements, 0.9)),
        ms(*all_replacements.last().unwrap()),
    );
}

// ---------------------------------------------------------------------------------------
// Web API round trip

fn report(name: &str, mut rtts: Vec<Duration>) -> (f64, f64) {
    rtts.sort();
    let (m, p99) = (us(percentile(&rtts, 0.5)), us(percentile(&rtts, 0.99)));
    println!(
        "{name}: n={} median={m:.1} µs p99={p99:.1} µs min={:.1} µs",
        rtts.len(),
        us(rtts[0]),
    );
    (m, p99)
}

fn no_pacing() -> WebApiConfig {
    WebApiConfig::default().with_pacing(None)
}

async fn web_raw(api_url: &str, n: u64) -> (f64, f64) {
    // reqwest is built here without a crypto provider (as the client's own): ring, as theirs.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let url = format!("{api_url}chat.postMessage");
    let mut rtts = Vec::with_capacity(n as usize);
    for i in 0..(n + 500) {
        let t = Instant::now();
        let body = http
            .post(&url)
            .bearer_auth("xoxb-bench")
            .form(&[("channel", "C1"), ("text", &format!("round trip {i}"))])
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert!(v["ts"].is_string());
        if i >= 500 {
            rtts.push(t.elapsed());
        }
    }
    report("reqwest alone, POST chat.postMessage → body parsed", rtts)
}

async fn web_client(api: rtm_tokio::WebApi, name: &str, n: u64) -> (f64, f64) {
    let mut rtts = Vec::with_capacity(n as usize);
    for i in 0..(n + 500) {
        let t = Instant::now();
        let posted = api
            .chat_post_message("C1", format!("round trip {i}"))
            .await
            .unwrap();
        assert!(!posted.ts.is_empty());
        if i >= 500 {
            rtts.push(t.elapsed());
        }
    }
    report(name, rtts)
}

fn run_web(rt: &tokio::runtime::Runtime, runs: u64) {
    let n = arg("--calls", 5_000);
    let server = lean_sm::start(WsMode::Controlled);
    let mut results: HashMap<&str, Vec<(f64, f64)>> = HashMap::new();
    rt.block_on(async {
        let sm = SocketModeBuilder::new("xapp-1-A1-bench")
            .api_url(server.api_url.clone())
            .allow_insecure(true)
            .bot_token("xoxb-bench")
            .web_api(no_pacing())
            .build()
            .unwrap();
        sm.start().await.unwrap();
        let rtm = ClientBuilder::new("xoxb-bench")
            .api_url(server.api_url.clone())
            .allow_insecure(true)
            .web_api(no_pacing())
            .build()
            .unwrap();
        for _ in 0..runs {
            let r = web_raw(&server.api_url, n).await;
            results.entry("raw").or_default().push(r);
            let r = web_client(
                sm.web_api(),
                "Socket Mode client web_api().chat_post_message",
                n,
            )
            .await;
            results.entry("sm").or_default().push(r);
            let r = web_client(
                rtm.web_api(),
                "RTM client (not started) web_api().chat_post_message",
                n,
            )
            .await;
            results.entry("rtm").or_default().push(r);
        }
    });
    for k in ["raw", "sm", "rtm"] {
        let v = &results[k];
        println!(
            "web summary ({k}): runs={} median of medians={:.1} µs (runs: {}) median of p99s={:.1} µs",
            v.len(),
            median(v.iter().map(|r| r.0).collect()),
            v.iter()
                .map(|r| format!("{:.1}", r.0))
                .collect::<Vec<_>>()
                .join(", "),
            median(v.iter().map(|r| r.1).collect()),
        );
    }
}

fn main() {
    let threads = arg("--threads", 2) as usize;
    let runs = arg("--runs", 3);
    let only = arg_str("--only");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .unwrap();
    println!("client runtime: multi-thread, {threads} workers; lean server on its own thread");
    let want = |s: &str| only.as_deref().is_none_or(|o| o.split(',').any(|x| x == s));
    if want("flood") {
        run_flood(&rt, runs);
    }
    if want("refresh") {
        run_refresh(&rt, runs);
    }
    if want("web") {
        run_web(&rt, runs);
    }
}
