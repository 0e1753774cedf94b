//! Flood throughput as seen by a raw tokio-tungstenite reader (no JSON parsing).
//! Ignored by default; run in release:
//! `cargo test -p rtm-testkit --release --test throughput -- --ignored --nocapture`

mod common;

use std::time::Instant;

use common::*;
use futures::StreamExt;
use rtm_testkit::{MockSlack, ServerOptions};

#[tokio::test(flavor = "current_thread")]
#[ignore = "measurement; run in release"]
async fn flood_throughput() {
    let slack = MockSlack::start(ServerOptions::default()).unwrap();
    let mut ws = open_ready(&slack.api_url()).await;
    const N: u64 = 2_000_000;
    let t0 = Instant::now();
    slack.flood(N);
    let (mut n, mut bytes) = (0u64, 0usize);
    while n < N {
        let msg = ws.next().await.unwrap().unwrap();
        bytes += msg.len();
        n += 1;
    }
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "{N} events, {:.0} bytes avg, {secs:.2} s: {:.0} events/s, {:.0} MB/s",
        bytes as f64 / N as f64,
        N as f64 / secs,
        bytes as f64 / secs / 1e6
    );
}
