//! Recordings: what the recorder writes replays step for step; a tampered input, a cut-off
//! file, an unknown version and a line that is not JSON are each reported precisely; no
//! secret reaches the file.
// Needs the `recording` feature (on through the dev-dependency on this crate; not in the packaged crate).
#![cfg(feature = "recording")]

mod common;

use std::time::{Duration, Instant};

use common::*;
use rtm_proto::recording::{
    self, FORMAT_VERSION, Recorder, ReplayError, ReplayOptions, TOKEN_MARKER, config_from_json,
    config_to_json, replay, replay_with,
};
use rtm_proto::{Action, Client, Config, Input, Pacing, RetryLimit, RetryPolicy, StartOptions};

/// A core with a recorder beside it, on virtual time.
struct Rec {
    client: Client,
    recorder: Recorder,
    out: Vec<u8>,
    now: Instant,
}

impl Rec {
    fn new(config: Config, secrets: &[&str]) -> Rec {
        let recorder = Recorder::new(secrets.iter().map(|s| s.to_string()));
        let mut out = Vec::new();
        recorder.header(&config, &mut out);
        Rec {
            client: Client::new(config).unwrap(),
            recorder,
            out,
            now: Instant::now(),
        }
    }

    fn feed(&mut self, after: Duration, input: Input) -> Vec<Action> {
        self.now += after;
        self.recorder.begin(self.now, &input, &mut self.out);
        let actions = self.client.handle_input(self.now, input);
        self.recorder.end(&actions, &mut self.out);
        actions
    }

    fn text(&self) -> String {
        String::from_utf8(self.out.clone()).unwrap()
    }
}

/// A session: start, ready, sends with acks out of order, a goodbye, a 429 with
/// Retry-After, a reconnect, ticks, disconnect.
fn session() -> Rec {
    let mut r = Rec::new(Config::default(), &[]);
    let a = r.feed(ms(0), Input::Start(StartOptions::new(TOKEN)));
    let c1 = web_call(&a).unwrap();
    r.feed(ms(3), web_ok(c1));
    r.feed(ms(2), Input::WsOpened { conn: c1 });
    r.feed(ms(1), hello(c1));
    r.feed(ms(1), message(1, "C1", "first"));
    r.feed(ms(1), message(2, "C2", "second"));
    r.feed(ms(1), text(c1, &ack(2)));
    r.feed(ms(1), text(c1, &ack(1)));
    r.feed(
        ms(5),
        text(c1, r#"{"type":"message","channel":"C1","text":"hi there"}"#),
    );
    r.feed(ms(1), text(c1, r#"{"type":"goodbye"}"#));
    r.feed(ms(1), closed(c1, 1000));
    // Reconnect: the first web call is rate limited.
    for _ in 0..3 {
        let deadline = r.client.next_deadline().unwrap();
        let d = deadline.saturating_duration_since(r.now);
        let a = r.feed(d, Input::Tick);
        if let Some(c) = web_call(&a) {
            r.feed(ms(1), web_status(c, 429, Some("2"), r#"{"ok":false}"#));
            break;
        }
    }
    let deadline = r.client.next_deadline().unwrap();
    let a = r.feed(deadline.saturating_duration_since(r.now), Input::Tick);
    let c2 = web_call(&a).expect("a second web call after Retry-After");
    r.feed(ms(2), web_ok(c2));
    r.feed(ms(1), Input::WsOpened { conn: c2 });
    r.feed(ms(1), hello(c2));
    r.feed(secs(7), Input::Tick); // a ping
    r.feed(ms(1), Input::Disconnect);
    r.feed(ms(1), closed(c2, 1000));
    r
}

#[test]
fn a_recorded_session_replays_step_for_step() {
    let r = session();
    let steps = r.recorder.steps();
    let report = replay(r.out.as_slice()).unwrap();
    assert!(report.matches(), "{:?}", report.divergence);
    assert_eq!(report.steps, steps);
    assert_eq!(report.config, Config::default());
    assert_eq!(report.library, recording::LIBRARY);
}

#[test]
fn the_timeline_tells_the_session() {
    let r = session();
    let report = replay_with(r.out.as_slice(), ReplayOptions { timeline: true }).unwrap();
    let timeline = report.timeline.join("\n");
    for needle in [
        "start()",
        "state Disconnected -> ",
        "send #1 message",
        "send #2 message acked: id 2",
        "reconnecting: attempt 1",
        "goodbye",
        "HTTP 429, Retry-After 2",
        "start() settled: ready",
        "disconnect() settled",
    ] {
        assert!(timeline.contains(needle), "{needle:?} not in:\n{timeline}");
    }
    // Without asking, no timeline.
    assert!(replay(r.out.as_slice()).unwrap().timeline.is_empty());
}

#[test]
fn tampering_with_one_input_is_reported_at_that_input() {
    let r = session();
    let text = r.text();
    let lines: Vec<&str> = text.lines().collect();
    // The incoming message "hi there" (line n+1 for input n).
    let (i, line) = lines
        .iter()
        .enumerate()
        .find(|(_, l)| l.contains("hi there"))
        .unwrap();
    let tampered = line.replace("hi there", "hi thar");
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    out[i] = tampered;
    let file = out.join("\n") + "\n";
    let report = replay(file.as_bytes()).unwrap();
    let d = report.divergence.expect("a divergence");
    assert_eq!(d.input_number, i as u64);
    assert_eq!(report.steps, i as u64);
    assert!(d.input.contains("hi thar"), "{}", d.input);
    assert_ne!(d.recorded_digest, d.replayed_digest);
    assert_eq!(d.recorded_actions, ["emit:slack"]);
    assert!(d.replayed_actions[0].contains("hi thar"), "{d}");
    let shown = d.to_string();
    assert!(
        shown.contains(&format!("divergence at input {i} ")),
        "{shown}"
    );

    // A different time is a divergence too: the tick that pings, moved back to the time
    // of the input before it, finds nothing due.
    let j = lines
        .iter()
        .rposition(|l| l.contains(r#""type":"tick""#) && l.contains("send_text"))
        .expect("the ping's tick");
    let before: serde_json::Value = serde_json::from_str(lines[j - 1]).unwrap();
    let mut tick: serde_json::Value = serde_json::from_str(lines[j]).unwrap();
    tick["t"] = before["t"].clone();
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    out[j] = tick.to_string();
    let file = out.join("\n") + "\n";
    let d = replay(file.as_bytes())
        .unwrap()
        .divergence
        .expect("a divergence");
    assert_eq!(d.input_number, j as u64);
    assert_eq!(d.recorded_actions, ["send_text"]);
    assert!(d.replayed_actions.is_empty(), "{d}");
}

#[test]
fn no_secret_reaches_the_recording() {
    let proxy_password = "pr0xy-pa55word";
    let mut r = Rec::new(Config::default(), &[proxy_password]);
    let a = r.feed(ms(0), Input::Start(StartOptions::new(TOKEN)));
    let c = web_call(&a).unwrap();
    // A transport error that quotes the secrets, and a server that echoes the token.
    r.feed(
        ms(1),
        Input::WebApiResult {
            conn: c,
            result: Err(format!(
                "proxy http://user:{proxy_password}@proxy:3128 refused Authorization: Bearer {TOKEN}"
            )
            .into()),
        },
    );
    let deadline = r.client.next_deadline().unwrap();
    let a = r.feed(deadline.saturating_duration_since(r.now), Input::Tick);
    let c = web_call(&a).unwrap();
    r.feed(ms(1), web_ok(c));
    r.feed(ms(1), Input::WsOpened { conn: c });
    r.feed(ms(1), hello(c));
    r.feed(
        ms(1),
        text(
            c,
            &format!(r#"{{"type":"message","text":"my token is {TOKEN}"}}"#),
        ),
    );
    let file = r.text();
    assert!(!file.contains(TOKEN), "{file}");
    assert!(!file.contains("SECRET"), "{file}");
    assert!(!file.contains(proxy_password), "{file}");
    assert!(file.contains(TOKEN_MARKER));
    // Message contents are kept.
    assert!(file.contains("my token is"));
}

#[test]
fn a_truncated_file_is_reported_with_its_line() {
    let text = session().text();
    let lines = text.lines().count() as u64;
    let cut = &text.as_bytes()[..text.len() - 10];
    assert_eq!(
        replay(cut).unwrap_err(),
        ReplayError::Truncated { line: lines }
    );
    assert_eq!(replay(&b""[..]).unwrap_err(), ReplayError::Empty);
    let header_only = text.lines().next().unwrap();
    assert_eq!(
        replay(header_only.as_bytes()).unwrap_err(),
        ReplayError::Truncated { line: 1 }
    );
}

#[test]
fn an_unknown_version_is_reported() {
    let text = session().text();
    let future = text.replacen(
        &format!("\"rtm_recording\":{FORMAT_VERSION}"),
        "\"rtm_recording\":99",
        1,
    );
    let e = replay(future.as_bytes()).unwrap_err();
    assert_eq!(
        e,
        ReplayError::UnknownVersion {
            line: 1,
            found: Some(99)
        }
    );
    assert!(
        e.to_string().contains("unknown recording version 99"),
        "{e}"
    );
    // A recording of another core.
    let other = text.replacen("\"core\":\"rtm\"", "\"core\":\"socket_mode\"", 1);
    assert!(matches!(
        replay(other.as_bytes()).unwrap_err(),
        ReplayError::Malformed { line: 1, .. }
    ));
    let not_a_recording = "{\"hello\":1}\n";
    assert_eq!(
        replay(not_a_recording.as_bytes()).unwrap_err(),
        ReplayError::UnknownVersion {
            line: 1,
            found: None
        }
    );
}

#[test]
fn a_line_that_is_not_json_is_reported_with_its_line() {
    let text = session().text();
    let mut lines: Vec<&str> = text.lines().collect();
    lines[3] = "this is not json";
    let file = lines.join("\n") + "\n";
    let e = replay(file.as_bytes()).unwrap_err();
    assert!(matches!(e, ReplayError::NotJson { line: 4, .. }), "{e:?}");
    assert!(e.to_string().starts_with("line 4: not JSON"), "{e}");
    // JSON, but not a step.
    lines[3] = r#"{"n":3,"t":0}"#;
    let file = lines.join("\n") + "\n";
    assert!(matches!(
        replay(file.as_bytes()).unwrap_err(),
        ReplayError::Malformed { line: 4, .. }
    ));
}

#[test]
fn the_configuration_round_trips() {
    let config = Config::default()
        .with_auto_reconnect(false)
        .with_client_ping_timeout(Duration::new(7, 123_456_789))
        .with_reply_timeout(None)
        .with_send_timeout(Some(ms(1500)))
        .with_retry(
            RetryPolicy::attempts(3)
                .with_first_start(RetryLimit::Forever)
                .with_reconnect(RetryLimit::Elapsed(secs(90)))
                .with_factor(1.7),
        )
        .with_pacing(Some(
            Pacing::default().with_per_second(0.1 + 0.2).with_burst(7),
        ))
        .with_max_message_chars(None)
        .with_seed(u64::MAX)
        .with_web_api(
            rtm_proto::WebApiConfig::default()
                .with_timeout(ms(2500))
                .with_max_retries(0)
                .with_rate_limit_retries(99)
                .with_retry(
                    rtm_proto::Backoff::default()
                        .with_initial_delay(ms(10))
                        .with_factor(1.3)
                        .with_max_delay(secs(7)),
                )
                .with_pacing(None)
                .with_max_in_flight(1),
        );
    assert_eq!(config_from_json(&config_to_json(&config)).unwrap(), config);
    // A header from before the Web API reads as its default.
    let mut old = config_to_json(&Config::default());
    old.as_object_mut().unwrap().remove("web_api");
    assert_eq!(config_from_json(&old).unwrap(), Config::default());
    assert_eq!(
        config_from_json(&config_to_json(&Config::default())).unwrap(),
        Config::default()
    );
}

#[test]
fn every_input_round_trips_through_its_json() {
    use rtm_proto::ConnId;
    use rtm_proto::recording::{input_from_json, input_to_json};
    let c = ConnId(3);
    let inputs = vec![
        Input::Start(
            StartOptions::new(TOKEN_MARKER)
                .with_batch_presence_aware(Some(true))
                .with_presence_sub(None),
        ),
        Input::Disconnect,
        Input::Shutdown,
        Input::Tick,
        message(4, "C1", "hello \"quoted\" \u{1F600}"),
        immediate(5, "ping", serde_json::json!({"x": [1, 2]})),
        queued(6, "typing", serde_json::Value::Null, false),
        web_status(c, 429, Some("3"), "{}"),
        Input::WebApiResult {
            conn: c,
            result: Err("dns".into()),
        },
        Input::WsOpened { conn: c },
        text(c, "{\"type\":\"hello\"}"),
        Input::WsBinary { conn: c, len: 7 },
        Input::WsClosed {
            conn: c,
            code: 1006,
            reason: "gone".into(),
        },
        Input::WsRefused {
            conn: c,
            reason: "policy".into(),
        },
        Input::TransportFatal {
            conn: c,
            error: rtm_proto::TransportError::fatal("cert")
                .with_kind(rtm_proto::TransportErrorKind::Tls),
        },
        Input::WsError {
            conn: c,
            error: rtm_proto::TransportError::new(
                rtm_proto::TransportErrorKind::WebSocket,
                "reset",
            ),
        },
        Input::WsPing { conn: c },
        Input::WsPong { conn: c },
        Input::Ack {
            envelope_id: "e-1".into(),
            payload: Some("{\"ok\":1}".into()),
        },
        Input::Ack {
            envelope_id: "e-2".into(),
            payload: None,
        },
        Input::ReadPaused { conn: c },
        Input::ReadResumed { conn: c },
        Input::ApiCall {
            call: rtm_proto::CallId(7),
            request: rtm_proto::ApiRequest::chat_post_message(
                TOKEN_MARKER,
                &rtm_proto::ChatPostMessage::new("C1", "hi \"there\"")
                    .thread_ts("1.2")
                    .blocks(serde_json::json!([{"type": "divider"}])),
            ),
        },
        Input::ApiCall {
            call: rtm_proto::CallId(8),
            request: rtm_proto::ApiRequest::new("users.info", TOKEN_MARKER).param("user", "U1"),
        },
        Input::ApiResult {
            call: rtm_proto::CallId(7),
            result: Ok(rtm_proto::WebResponse {
                status: 429,
                retry_after: Some("3".into()),
                location: None,
                body: String::new(),
            }),
        },
        Input::ApiResult {
            call: rtm_proto::CallId(8),
            result: Err(rtm_proto::TransportError::fatal("cert")),
        },
        Input::ApiResult {
            call: rtm_proto::CallId(8),
            result: Err(rtm_proto::TransportError::retryable("reset")),
        },
    ];
    for input in inputs {
        let json = input_to_json(&input, &[]);
        assert_eq!(input_from_json(&json).unwrap(), input, "{json}");
    }
    // A real token becomes the marker.
    let json = input_to_json(&Input::Start(StartOptions::new(TOKEN)), &[]);
    assert_eq!(json["token"], TOKEN_MARKER);
    let json = input_to_json(
        &Input::ApiCall {
            call: rtm_proto::CallId(1),
            request: rtm_proto::ApiRequest::new("auth.test", TOKEN),
        },
        &[],
    );
    assert_eq!(json["token"], TOKEN_MARKER);
}

#[test]
fn a_session_with_web_api_calls_replays_and_keeps_the_bot_token_out() {
    use rtm_proto::{ApiRequest, CallId, ChatPostMessage, TransportError, WebApiConfig};
    const BOT: &str = "xoxb-99-BOT-SECRET-TOKEN";
    let config = Config::default().with_web_api(WebApiConfig::default().with_max_in_flight(2));
    let mut r = Rec::new(config, &[]);
    let post = |text: &str| ApiRequest::chat_post_message(BOT, &ChatPostMessage::new("C1", text));
    for id in 1..=4 {
        r.feed(
            ms(0),
            Input::ApiCall {
                call: CallId(id),
                request: post("hi"),
            },
        );
    }
    r.feed(
        ms(1),
        Input::ApiCall {
            call: CallId(5),
            request: ApiRequest::new("users.info", BOT).param("user", "U1"),
        },
    );
    r.feed(ms(2), web_api_result(1, 429, Some("2"), ""));
    r.feed(
        ms(1),
        Input::ApiResult {
            call: CallId(5),
            result: Err(TransportError::retryable("reset")),
        },
    );
    for _ in 0..4 {
        let d = r
            .client
            .next_deadline()
            .unwrap()
            .saturating_duration_since(r.now);
        r.feed(d, Input::Tick);
        r.feed(
            ms(1),
            web_api_result(1, 200, None, r#"{"ok":true,"channel":"C1","ts":"1.1"}"#),
        );
        r.feed(ms(1), web_api_result(5, 503, None, ""));
    }
    r.feed(ms(1), Input::Shutdown);
    let file = r.text();
    assert!(
        !file.contains("BOT-SECRET"),
        "the bot token reached the file"
    );
    assert!(
        file.contains("\"web_api\""),
        "the header holds the Web API's configuration"
    );
    let report = replay(file.as_bytes()).unwrap();
    assert!(report.matches(), "{:?}", report.divergence);
    assert_eq!(report.config.web_api.max_in_flight, 2);
}

fn web_api_result(call: u64, status: u16, retry_after: Option<&str>, body: &str) -> Input {
    Input::ApiResult {
        call: rtm_proto::CallId(call),
        result: Ok(rtm_proto::WebResponse {
            status,
            retry_after: retry_after.map(str::to_owned),
            location: None,
            body: body.to_owned(),
        }),
    }
}
