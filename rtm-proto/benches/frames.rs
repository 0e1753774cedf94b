//! Incoming frame handling by the core on a ready client, against a plain
//! `serde_json::from_str::<serde_json::Value>` of the same bytes; and the core's cost of one
//! `send_message` and its ack; a Socket Mode client's handling of `events_api` envelopes
//! (auto-ack: read, redelivery filter, ack written, envelope emitted).
//!
//! Run: `cargo bench -p rtm-proto --bench frames`

use std::hint::black_box;
use std::time::Instant;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use rtm_proto::{
    Action, Client, Config, ConnId, Connected, Input, Outgoing, SendHandle, SocketModeClient,
    SocketModeConfig, StartOptions, State, WebResponse,
};

/// Frames as Slack sends them: messages with and without subtypes (~360 bytes), reactions,
/// typing, presence changes, acks and pongs.
fn corpus() -> Vec<String> {
    let mut frames = Vec::new();
    for i in 0..8 {
        frames.push(format!(
            r#"{{"client_msg_id":"4f2c6a1e-9b3d-4c1f-8e0a-2d5b7c9e1f{i:02}","suppress_notification":false,"type":"message","text":"Deploy {i} finished for <https://ci.example.com/build/1234|build 1234> :tada: all checks passed","user":"U024BE7LH","team":"T024BE7LD","source_team":"T024BE7LD","user_team":"T024BE7LD","channel":"C024BE91L","event_ts":"1700000000.00020{i}","ts":"1700000000.00020{i}"}}"#
        ));
        frames.push(format!(
            r#"{{"type":"message","subtype":"bot_message","text":"Build #{i}234 passed on main in 4m 12s, 1432 tests, coverage 87.3%","ts":"1700000001.00030{i}","username":"ci-bot","bot_id":"B0123ABCD","icons":{{"image_48":"https://example.com/bot_48.png"}},"channel":"C024BE91L","event_ts":"1700000001.00030{i}","team":"T024BE7LD"}}"#
        ));
        frames.push(format!(
            r#"{{"type":"message","subtype":"message_changed","hidden":true,"message":{{"type":"message","text":"edited text {i}","user":"U024BE7LH","ts":"1700000000.000200","edited":{{"user":"U024BE7LH","ts":"1700000005.000000"}}}},"channel":"C024BE91L","previous_message":{{"type":"message","text":"original text","user":"U024BE7LH","ts":"1700000000.000200"}},"event_ts":"1700000005.00010{i}","ts":"1700000005.00010{i}"}}"#
        ));
        frames.push(format!(
            r#"{{"type":"reaction_added","user":"U024BE7LH","item":{{"type":"message","channel":"C024BE91L","ts":"1700000000.000200"}},"reaction":"thumbsup","item_user":"U0G9QF9C6","event_ts":"1700000002.00040{i}","ts":"1700000002.00040{i}"}}"#
        ));
        frames.push(r#"{"type":"user_typing","channel":"C024BE91L","user":"U024BE7LH"}"#.into());
        frames.push(format!(
            r#"{{"type":"presence_change","presence":"{}","user":"U024BE7L{i}"}}"#,
            if i % 2 == 0 { "away" } else { "active" }
        ));
        // Replies to ids this client never sent (the pending-reply path is the other bench).
        frames.push(format!(
            r#"{{"ok":true,"reply_to":{},"ts":"1700000003.00050{i}","text":"Hello world"}}"#,
            1_000_000 + i
        ));
        frames.push(format!(
            r#"{{"type":"pong","reply_to":{},"time":1403299273342}}"#,
            2_000_000 + i
        ));
    }
    frames
}

/// What opens a connection: the web call's `answer`, the socket open, its `hello`.
fn opening(conn: ConnId, answer: &str, hello: &str) -> [Input; 3] {
    [
        Input::WebApiResult {
            conn,
            result: Ok(WebResponse {
                status: 200,
                retry_after: None,
                location: None,
                body: answer.to_owned(),
            }),
        },
        Input::WsOpened { conn },
        Input::WsText {
            conn,
            text: hello.to_owned(),
        },
    ]
}

fn ready_client(now: Instant) -> (Client, ConnId) {
    let config = Config::default()
        .with_pacing(None)
        .with_emit_outgoing(false);
    let mut client = Client::new(config).expect("valid config");
    let conn = match &client.handle_input(now, Input::Start(StartOptions::new("xoxb-bench")))[..] {
        [.., Action::CallWebApi { conn, .. }] => *conn,
        other => panic!("{other:?}"),
    };
    let answer = r#"{"ok":true,"url":"wss://bench/","self":{"id":"U1","name":"b"},"team":{"id":"T1","name":"t","domain":"t"}}"#;
    for input in opening(conn, answer, r#"{"type":"hello"}"#) {
        client.handle_input(now, input);
    }
    assert_eq!(client.state(), State::Connected(Connected::Ready));
    (client, conn)
}

fn frames(c: &mut Criterion) {
    let corpus = corpus();
    let bytes: usize = corpus.iter().map(String::len).sum();
    eprintln!(
        "corpus: {} frames, {} bytes on average",
        corpus.len(),
        bytes / corpus.len()
    );
    let now = Instant::now();
    let mut group = c.benchmark_group("frames");
    group.throughput(Throughput::Elements(corpus.len() as u64));

    let (mut client, conn) = ready_client(now);
    let mut out = Vec::with_capacity(8);
    group.bench_function("core_handle_input_into", |b| {
        // The frames are owned Strings, as a WebSocket library hands them over; making the
        // copies is setup, not measured.
        b.iter_batched(
            || corpus.clone(),
            |frames| {
                for text in frames {
                    client.handle_input_into(now, Input::WsText { conn, text }, &mut out);
                    black_box(&out);
                    out.clear();
                }
            },
            BatchSize::SmallInput,
        )
    });
    assert_eq!(client.state(), State::Connected(Connected::Ready));

    group.bench_function("serde_json_value", |b| {
        b.iter(|| {
            for text in &corpus {
                black_box(serde_json::from_str::<serde_json::Value>(black_box(text)).unwrap());
            }
        })
    });
    group.finish();
}

fn send_ack(c: &mut Criterion) {
    let now = Instant::now();
    let (mut client, conn) = ready_client(now);
    let mut out = Vec::with_capacity(8);
    let mut handle = 0;
    let mut group = c.benchmark_group("send_ack");
    group.throughput(Throughput::Elements(1));
    group.bench_function("message_then_ack", |b| {
        b.iter(|| {
            handle += 1;
            let id = client.next_message_id();
            client.handle_input_into(
                now,
                Input::Send {
                    handle: SendHandle(handle),
                    outgoing: Outgoing::message("Hello world", "C024BE91L"),
                },
                &mut out,
            );
            out.clear();
            let text = format!(
                r#"{{"ok":true,"reply_to":{id},"ts":"1355517523.000005","text":"Hello world"}}"#
            );
            client.handle_input_into(now, Input::WsText { conn, text }, &mut out);
            debug_assert!(matches!(out[0], Action::Settle { .. }));
            black_box(&out);
            out.clear();
        })
    });
    group.finish();
    assert_eq!(client.awaiting_reply(), 0);
}

/// The lean bench server's ~470-byte `events_api` envelope (rtm-tokio/benches/common).
fn envelope(seq: u64) -> String {
    format!(
        r#"{{"envelope_id":"{seq:010}-4d35-4d0f-b8d0-a78d4a5a3c52","payload":{{"token":"XXYYZZ","team_id":"T0","api_app_id":"A1","event":{{"type":"message","text":"message {seq} from the lean socket mode server","user":"U1","channel":"C1","ts":"1700000000.{seq:06}","event_ts":"1700000000.{seq:06}","channel_type":"channel"}},"type":"event_callback","event_id":"Ev{seq:010}","event_time":1700000000}},"type":"events_api","accepts_response_payload":false,"retry_attempt":0,"retry_reason":""}}"#
    )
}

fn socket_mode(c: &mut Criterion) {
    let now = Instant::now();
    let mut client = SocketModeClient::new(SocketModeConfig::default().with_auto_ack(true))
        .expect("valid config");
    let mut out = Vec::with_capacity(8);
    client.handle_input_into(
        now,
        Input::Start(StartOptions::new("xapp-1-A1-bench")),
        &mut out,
    );
    let conn = match out[..] {
        [.., Action::CallWebApi { conn, .. }] => conn,
        ref other => panic!("{other:?}"),
    };
    let ok = r#"{"ok":true,"url":"wss://wss-primary.slack.com/link/?ticket=t1&app_id=A1"}"#;
    let hello = r#"{"type":"hello","num_connections":1,"debug_info":{"host":"h","approximate_connection_time":18060},"connection_info":{"app_id":"A1"}}"#;
    for input in opening(conn, ok, hello) {
        client.handle_input_into(now, input, &mut out);
    }
    assert!(client.is_connected());
    const BATCH: u64 = 1000;
    let mut seq = 0;
    let mut group = c.benchmark_group("socket_mode");
    group.throughput(Throughput::Elements(BATCH));
    group.bench_function("events_api_envelope_auto_ack", |b| {
        // Each envelope new (the filter would drop a repeat); making the frames is setup.
        b.iter_batched(
            || {
                let frames: Vec<String> = (seq..seq + BATCH).map(envelope).collect();
                seq += BATCH;
                frames
            },
            |frames| {
                for text in frames {
                    client.handle_input_into(now, Input::WsText { conn, text }, &mut out);
                    debug_assert_eq!(out.len(), 2, "the ack and the envelope");
                    black_box(&out);
                    out.clear();
                }
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, frames, send_ack, socket_mode);
criterion_main!(benches);
