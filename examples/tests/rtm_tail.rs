//! `rtm-tail` against a mock Slack started by the test: its JSON lines (lifecycle, Slack
//! events, results), commands on stdin, errors, and its exit codes.
#![forbid(unsafe_code)]

mod common;

use std::time::Duration;

use common::{Program, STEP};
use rtm_testkit::model::DEFAULT_TOKEN;
use rtm_testkit::{Fault, MockSlack, ServerOptions, Target, UserAction};
use serde_json::{Value, json};

fn mock() -> MockSlack {
    MockSlack::start(ServerOptions::default()).expect("mock slack starts")
}

fn tail(slack: &MockSlack, token: &str, args: &[&str]) -> Program {
    Program::start(
        "rtm-tail",
        env!("CARGO_BIN_EXE_rtm-tail"),
        args,
        &[("SLACK_TOKEN", token), ("SLACK_API_URL", &slack.api_url())],
    )
}

/// rtm-tail whose stdout is read by a reader that holds at most 64 lines ahead (the pipe then
/// fills, as behind a slow consumer); the tests pause it regularly, slower than the socket.
fn slow_tail(slack: &MockSlack, args: &[&str]) -> Program {
    let api_url = slack.api_url();
    let mut all = vec!["--api-url", api_url.as_str()];
    all.extend_from_slice(args);
    Program::start_buffered(
        "rtm-tail",
        env!("CARGO_BIN_EXE_rtm-tail"),
        &all,
        &[("SLACK_TOKEN", DEFAULT_TOKEN)],
        Some(64),
    )
}

/// A slow reader's pause: 20 ms every 1,000 messages.
fn pause_now_and_then(shown: u64) {
    if shown.is_multiple_of(1000) {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Every output line is one JSON object with a `kind`.
fn json(p: &mut Program, line: &str) -> Value {
    match serde_json::from_str::<Value>(line) {
        Ok(v) if v["kind"].is_string() => v,
        _ => p.fail(&format!("not a JSON line with a kind: {line}")),
    }
}

/// The next line of this kind for which `want` holds.
fn expect_json(p: &mut Program, what: &str, want: impl Fn(&Value) -> bool) -> Value {
    let line = p.expect(what, |l| {
        serde_json::from_str::<Value>(l).is_ok_and(|v| want(&v))
    });
    json(p, &line)
}

fn lifecycle(p: &mut Program, event: &str) -> Value {
    expect_json(p, event, |v| {
        v["kind"] == "lifecycle" && v["event"] == event
    })
}

fn result(p: &mut Program, tag: &Value) -> Value {
    expect_json(p, &format!("result {tag}"), |v| {
        v["kind"] == "result" && &v["tag"] == tag
    })
}

/// The whole flow on one runtime: session opening, a pushed event, a message and its ts, a
/// platform error, malformed commands, presence, a raw frame, a server-initiated reconnect,
/// then end of input and exit 0.
fn session_flow(runtime: &str) {
    let slack = mock();
    let mut p = tail(&slack, DEFAULT_TOKEN, &["--runtime", runtime]);

    // The opening, in order.
    let first = p.next_line().expect("a first line");
    let first = json(&mut p, &first);
    assert_eq!(first["kind"], "lifecycle");
    assert_eq!(first["event"], "connecting");
    assert_eq!(first["seq"], 0);
    let auth = lifecycle(&mut p, "authenticated");
    assert_eq!(auth["self"]["id"], "U0BOT");
    assert_eq!(auth["team"]["id"], "T0TESTTEAM");
    let hello = expect_json(&mut p, "hello", |v| v["kind"] == "slack");
    assert_eq!(hello["type"], "hello");
    lifecycle(&mut p, "connected");
    lifecycle(&mut p, "ready");

    // A frame pushed by Slack is printed with its type, subtype and the frame as received.
    slack.push_event(
        Target::All,
        &json!({"type": "custom_thing", "subtype": "odd", "n": 42, "nested": {"a": [1, 2]}}),
    );
    let pushed = expect_json(&mut p, "custom_thing", |v| v["type"] == "custom_thing");
    assert_eq!(pushed["kind"], "slack");
    assert_eq!(pushed["subtype"], "odd");
    assert_eq!(pushed["event"]["n"], 42);
    assert_eq!(pushed["event"]["nested"]["a"], json!([1, 2]));

    // A scripted user's message.
    slack
        .act(UserAction::Message {
            user: "U0ALICE".into(),
            channel: "C0GENERAL".into(),
            text: "hello tail".into(),
        })
        .unwrap();
    let msg = expect_json(&mut p, "alice's message", |v| v["type"] == "message");
    assert_eq!(msg["subtype"], Value::Null);
    assert_eq!(msg["event"]["user"], "U0ALICE");
    assert_eq!(msg["event"]["text"], "hello tail");

    // A message command: the result carries the ts the mock recorded.
    p.send(r#"{"cmd":"message","channel":"C0GENERAL","text":"from the tail","tag":"m1"}"#);
    let sent = result(&mut p, &json!("m1"));
    assert_eq!(sent["ok"], true, "{sent}");
    assert_eq!(sent["cmd"], "message");
    let history = slack.history("C0GENERAL");
    let posted = history
        .iter()
        .find(|m| m.user == "U0BOT" && m.text == "from the tail")
        .expect("the mock recorded the message");
    assert_eq!(sent["ts"], posted.ts.as_str());
    assert_eq!(sent["reply"]["reply_to"], sent["id"]);

    // Slack's error for an unknown channel: the library's code and Slack's own.
    p.send(r#"{"cmd":"message","channel":"C0NOPE","text":"lost","tag":2}"#);
    let refused = result(&mut p, &json!(2));
    assert_eq!(refused["ok"], false);
    assert_eq!(
        refused["error"]["code"],
        "slack_rtmapi_send_message_platform_error"
    );
    assert_eq!(refused["error"]["slack"]["code"], 4);
    assert!(refused["error"]["message"].is_string());

    // Malformed lines get an error result, and the program goes on.
    p.send("this is not json");
    let bad = expect_json(&mut p, "an error for the garbage line", |v| {
        v["kind"] == "result" && v["ok"] == false && v["cmd"].is_null()
    });
    assert_eq!(bad["error"]["code"], "invalid_command");
    p.send(r#"{"cmd":"fly","tag":"x"}"#);
    let unknown = result(&mut p, &json!("x"));
    assert_eq!(unknown["ok"], false);
    assert_eq!(unknown["cmd"], "fly");
    assert_eq!(unknown["error"]["code"], "invalid_command");
    p.send(r#"{"cmd":"message","channel":"C0GENERAL","tag":"y"}"#);
    let missing = result(&mut p, &json!("y"));
    assert_eq!(missing["error"]["code"], "invalid_command");
    assert!(
        missing["error"]["message"]
            .as_str()
            .unwrap()
            .contains("text"),
        "{missing}"
    );
    p.send("[1, 2]");
    expect_json(&mut p, "an error for a JSON array", |v| {
        v["kind"] == "result" && v["error"]["code"] == "invalid_command"
    });

    // Typing and presence subscription are written; the mock records the subscription.
    p.send(r#"{"cmd":"typing","channel":"C0GENERAL","tag":"t"}"#);
    assert_eq!(result(&mut p, &json!("t"))["ok"], true);
    p.send(r#"{"cmd":"presence_sub","ids":["U0ALICE","U0BOB"],"tag":"p"}"#);
    assert_eq!(result(&mut p, &json!("p"))["ok"], true);
    slack
        .wait_until_blocking(STEP, |r| {
            r.last_conn().and_then(|c| c.presence_sub.clone())
                == Some(vec!["U0ALICE".to_owned(), "U0BOB".to_owned()])
        })
        .expect("the subscription reached the mock");

    // A raw frame awaiting its reply: a ping, answered by a pong with the extra field.
    p.send(r#"{"cmd":"raw","type":"ping","body":{"time":7},"await_reply":true,"tag":{"n":1}}"#);
    let pong = result(&mut p, &json!({"n": 1}));
    assert_eq!(pong["ok"], true, "{pong}");
    assert_eq!(pong["reply"]["type"], "pong");
    assert_eq!(pong["reply"]["time"], 7);

    // The server closes the connection: the client reconnects, shown as lifecycle lines,
    // and commands keep working.
    slack.inject(Fault::Close {
        code: 1011,
        reason: "restart".into(),
    });
    let reconnecting = lifecycle(&mut p, "reconnecting");
    assert_eq!(
        reconnecting["reason"]["code"],
        "slack_rtmapi_websocket_error"
    );
    lifecycle(&mut p, "ready");
    p.send(r#"{"cmd":"message","channel":"C0RANDOM","text":"after the reconnect","tag":"m2"}"#);
    let again = result(&mut p, &json!("m2"));
    assert_eq!(again["ok"], true, "{again}");
    let last = slack.history("C0RANDOM").pop().expect("posted to random");
    assert_eq!(again["ts"], last.ts.as_str());

    // End of input: a clean disconnect and exit 0.
    p.close_stdin();
    let (status, stderr) = p.wait_exit();
    assert!(status.success(), "{status}: {stderr}");
    let closing: Vec<Value> = p
        .transcript
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["kind"] == "lifecycle")
        .map(|v| v["event"].clone())
        .collect();
    assert_eq!(closing.last(), Some(&json!("disconnected")), "{closing:?}");
    let disconnected = p
        .transcript
        .iter()
        .rev()
        .find_map(|l| serde_json::from_str::<Value>(l).ok())
        .unwrap();
    assert_eq!(disconnected["error"], Value::Null);
    // Every line was one JSON object.
    for line in &p.transcript {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(v["kind"].is_string(), "{line}");
    }
    slack
        .wait_until_blocking(STEP, |r| r.active_connections() == 0)
        .expect("the connection was closed");
}

#[test]
fn tokio_session_flow() {
    session_flow("tokio");
}

#[cfg(feature = "async-std")]
#[test]
fn async_std_session_flow() {
    session_flow("async-std");
}

#[test]
fn sends_before_ready_are_queued_and_settle_before_the_exit() {
    let slack = mock();
    // The first rtm.connect answers late: the command arrives before the session is ready.
    slack.arm_web_fault(
        rtm_testkit::WebFault::Slow {
            delay: Duration::from_millis(300),
        },
        1,
    );
    let mut p = tail(&slack, DEFAULT_TOKEN, &["--no-outgoing"]);
    p.send(r#"{"cmd":"message","channel":"C0GENERAL","text":"early","tag":"e"}"#);
    p.close_stdin();
    let early = result(&mut p, &json!("e"));
    assert_eq!(early["ok"], true, "{early}");
    let (status, stderr) = p.wait_exit();
    assert!(status.success(), "{status}: {stderr}");
    assert!(
        !p.transcript.iter().any(|l| l.contains("outgoing_message")),
        "--no-outgoing"
    );
    assert_eq!(slack.history("C0GENERAL").pop().unwrap().text, "early");
}

#[test]
fn the_disconnect_command_ends_the_program() {
    let slack = mock();
    let mut p = tail(&slack, DEFAULT_TOKEN, &[]);
    lifecycle(&mut p, "ready");
    // stdin stays open: the command alone ends the session and the program.
    p.send(r#"{"cmd":"disconnect","tag":"bye"}"#);
    let bye = result(&mut p, &json!("bye"));
    assert_eq!(bye["ok"], true);
    let (status, stderr) = p.wait_exit();
    assert!(status.success(), "{status}: {stderr}");
}

#[test]
fn an_invalid_token_exits_non_zero_with_a_one_line_error() {
    let slack = mock();
    // stdin stays open: the refusal alone ends the program.
    let mut p = tail(&slack, "xoxb-not-the-right-one", &[]);
    let refused = lifecycle(&mut p, "unable_to_rtm_start");
    assert_eq!(refused["error"]["slack"]["error"], "invalid_auth");
    let (status, stderr) = p.wait_exit();
    assert!(!status.success());
    assert_eq!(status.code(), Some(1));
    assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
    assert!(stderr.starts_with("rtm-tail: "), "{stderr:?}");
    assert!(stderr.contains("invalid_auth"), "{stderr:?}");
    assert!(
        !stderr.contains("xoxb-not-the-right-one"),
        "the token leaked"
    );
}

#[test]
fn plain_http_to_a_remote_host_needs_insecure() {
    // Refused before any connection is made, so no network is needed.
    let mut p = Program::start(
        "rtm-tail",
        env!("CARGO_BIN_EXE_rtm-tail"),
        &["--api-url", "http://slack.example.invalid/api/"],
        &[("SLACK_TOKEN", DEFAULT_TOKEN)],
    );
    let (status, stderr) = p.wait_exit();
    assert_eq!(status.code(), Some(1));
    assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
    assert!(stderr.contains("--insecure"), "{stderr:?}");
    assert!(p.transcript.is_empty(), "{:?}", p.transcript);
}

#[test]
fn help_documents_the_formats() {
    let mut p = Program::start("rtm-tail", env!("CARGO_BIN_EXE_rtm-tail"), &["--help"], &[]);
    let (status, _) = p.wait_exit();
    assert!(status.success());
    let help = p.transcript.join("\n");
    for needle in [
        "\"kind\":\"lifecycle\"",
        "\"kind\":\"slack\"",
        "\"kind\":\"lagged\"",
        "\"kind\":\"result\"",
        "\"cmd\":\"message\"",
        "\"cmd\":\"presence_sub\"",
        "\"cmd\":\"raw\"",
        "\"cmd\":\"disconnect\"",
        "--runtime",
        "--insecure",
        "SLACK_TOKEN",
    ] {
        assert!(help.contains(needle), "--help lacks {needle}");
    }
}

#[test]
fn a_flood_to_a_slow_stdout_is_printed_in_full() {
    const FLOOD: u64 = 20_000;
    let slack = mock();
    let mut p = slow_tail(&slack, &[]);
    lifecycle(&mut p, "ready");
    assert_eq!(slack.flood(FLOOD), 1);
    let mut next_seq: Option<u64> = None;
    let mut shown = 0u64;
    while shown < FLOOD {
        let line = p.next_line().unwrap_or_else(|| p.fail("output ended"));
        let v = json(&mut p, &line);
        match v["kind"].as_str().unwrap() {
            "lifecycle" | "slack" => {
                let seq = v["seq"].as_u64().unwrap();
                if let Some(expected) = next_seq {
                    assert_eq!(seq, expected, "no event skipped: {line}");
                }
                next_seq = Some(seq + 1);
                if v["type"] == "message" {
                    shown += 1;
                    pause_now_and_then(shown);
                }
            }
            other => p.fail(&format!("unexpected kind {other}")),
        }
        if p.transcript.len() > 100 {
            p.transcript.drain(..50);
        }
    }
    assert_eq!(slack.record().connections.len(), 1, "no reconnect");
    p.close_stdin();
    let (status, stderr) = p.wait_exit();
    assert!(status.success(), "{status}: {stderr}");
}

#[test]
fn a_lossy_flood_is_printed_in_full_or_accounted_for_by_lagged_lines() {
    const FLOOD: u64 = 20_000;
    let slack = mock();
    let mut p = slow_tail(&slack, &["--lossy"]);
    lifecycle(&mut p, "ready");
    assert_eq!(slack.flood(FLOOD), 1);
    // Every event has a seq; a lagged line accounts for the ones skipped. Nothing else is lost.
    let mut next_seq: Option<u64> = None;
    let (mut shown, mut missed) = (0u64, 0u64);
    while shown + missed < FLOOD {
        let line = p.next_line().unwrap_or_else(|| p.fail("output ended"));
        let v = json(&mut p, &line);
        match v["kind"].as_str().unwrap() {
            "lagged" => {
                let n = v["missed"].as_u64().unwrap();
                missed += n;
                next_seq = next_seq.map(|s| s + n);
            }
            "lifecycle" | "slack" => {
                let seq = v["seq"].as_u64().unwrap();
                if let Some(expected) = next_seq {
                    assert_eq!(seq, expected, "{line}");
                }
                next_seq = Some(seq + 1);
                if v["type"] == "message" {
                    shown += 1;
                    // As slow a reader as above: the lossy view drops instead of waiting.
                    pause_now_and_then(shown);
                }
            }
            other => p.fail(&format!("unexpected kind {other}")),
        }
        // Keep the transcript small: it is only for failure messages.
        if p.transcript.len() > 100 {
            p.transcript.drain(..50);
        }
    }
    p.close_stdin();
    let (status, stderr) = p.wait_exit();
    assert!(status.success(), "{status}: {stderr}");
}

#[test]
fn piped_into_head_it_exits_zero() {
    let slack = mock();
    // bash reports rtm-tail's own status, not head's.
    let script = format!(
        "'{}' | head -n 5; exit ${{PIPESTATUS[0]}}",
        env!("CARGO_BIN_EXE_rtm-tail")
    );
    let mut p = Program::start(
        "rtm-tail | head",
        "bash",
        &["-c", &script],
        &[
            ("SLACK_TOKEN", DEFAULT_TOKEN),
            ("SLACK_API_URL", &slack.api_url()),
        ],
    );
    // The first lines, through head: the session opens.
    lifecycle(&mut p, "ready");
    // More output than head takes: the writes after it exits fail, and rtm-tail winds down.
    slack.flood(5_000);
    let (status, stderr) = p.wait_exit();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert_eq!(p.transcript.len(), 5, "{:?}", p.transcript);
}

/// SIGINT (130) or SIGTERM (143) with sends in flight: the client disconnects cleanly, each
/// pending send's result is printed (it did not get its ack), and the exit code says which.
fn signal_with_sends_in_flight(runtime: &str, signal: &str, code: i32) {
    let slack = mock();
    let mut p = tail(&slack, DEFAULT_TOKEN, &["--runtime", runtime]);
    lifecycle(&mut p, "ready");
    // The server holds the acks: the sends stay pending.
    slack.inject(Fault::HoldAcks { count: 100 });
    p.send(r#"{"cmd":"message","channel":"C0GENERAL","text":"one","tag":"a"}"#);
    p.send(r#"{"cmd":"message","channel":"C0GENERAL","text":"two","tag":"b"}"#);
    for _ in 0..2 {
        expect_json(&mut p, "outgoing_message", |v| {
            v["event"] == "outgoing_message"
        });
    }
    slack
        .wait_until_blocking(STEP, |r| {
            r.last_conn().is_some_and(|c| {
                c.from_client_json()
                    .iter()
                    .filter(|f| f["type"] == "message")
                    .count()
                    == 2
            })
        })
        .expect("both messages reach the server");
    p.signal(signal);
    let (status, stderr) = p.wait_exit();
    assert_eq!(status.code(), Some(code), "{status}: {stderr}");
    // Lines in any order (a result may come before or after `disconnected`).
    let lines: Vec<Value> = p
        .transcript
        .iter()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    for tag in ["a", "b"] {
        let r = lines
            .iter()
            .find(|v| v["kind"] == "result" && v["tag"] == tag)
            .unwrap_or_else(|| panic!("a result for {tag}: {:?}", p.transcript));
        assert_eq!(r["ok"], false, "{r}");
        assert_eq!(
            r["error"]["code"], "slack_rtmapi_no_reply_received_error",
            "{r}"
        );
    }
    assert!(
        lines
            .iter()
            .any(|v| v["event"] == "disconnected" && v["error"].is_null()),
        "a clean disconnect: {:?}",
        p.transcript
    );
    // A clean close: the socket ended with a close frame from the client.
    slack
        .wait_until_blocking(STEP, |r| r.active_connections() == 0)
        .expect("the socket is closed");
}

#[test]
fn sigint_with_sends_in_flight_prints_their_results_and_exits_130() {
    signal_with_sends_in_flight("tokio", "INT", 130);
}

#[test]
fn sigterm_on_async_std_exits_143() {
    signal_with_sends_in_flight("async-std", "TERM", 143);
}

/// The mock's certificate as `mock-slack --tls --cert-out FILE` writes it.
fn cert_file(slack: &MockSlack, name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("rtm-tail-test-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("cert.pem");
    std::fs::write(&path, slack.tls_cert().unwrap().pem()).unwrap();
    path
}

fn connects_and_exits(mut p: Program) -> Program {
    lifecycle(&mut p, "ready");
    p.close_stdin();
    let (status, stderr) = p.wait_exit();
    assert!(status.success(), "{status}: {stderr}");
    p
}

#[test]
fn ca_cert_trusts_a_tls_mock_and_an_untrusted_one_fails_at_once() {
    let slack = MockSlack::start(ServerOptions::default().tls(true)).unwrap();
    let pem = cert_file(&slack, "ca");
    let pem = pem.to_str().unwrap();
    for runtime in ["tokio", "async-std"] {
        connects_and_exits(tail(
            &slack,
            DEFAULT_TOKEN,
            &["--runtime", runtime, "--ca-cert", pem],
        ));
    }
    // SSL_CERT_FILE is the system store of the default build (both connections).
    for runtime in ["tokio", "async-std"] {
        connects_and_exits(Program::start(
            "rtm-tail",
            env!("CARGO_BIN_EXE_rtm-tail"),
            &["--runtime", runtime],
            &[
                ("SLACK_TOKEN", DEFAULT_TOKEN),
                ("SLACK_API_URL", &slack.api_url()),
                ("SSL_CERT_FILE", pem),
            ],
        ));
    }
    let calls = slack.record().web_calls.len();
    assert_eq!(calls, 4);
    // Without it: one attempt, a one-line error naming the host, exit 1.
    for runtime in ["tokio", "async-std"] {
        let mut p = tail(&slack, DEFAULT_TOKEN, &["--runtime", runtime]);
        let (status, stderr) = p.wait_exit();
        assert_eq!(status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains("certificate verification failed for 127.0.0.1"),
            "{stderr}"
        );
        assert!(
            !p.transcript.iter().any(|l| l.contains("\"reconnecting\"")),
            "no retry: {:?}",
            p.transcript
        );
    }
    let _ = std::fs::remove_dir_all(std::path::Path::new(pem).parent().unwrap());
}

#[test]
fn bad_arguments_exit_2_before_any_connection() {
    let slack = mock();
    let dir = std::env::temp_dir().join(format!("rtm-tail-test-{}-bad", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let garbage = dir.join("garbage.pem");
    std::fs::write(
        &garbage,
        "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let empty = dir.join("empty.pem");
    std::fs::write(&empty, "no certificates here\n").unwrap();
    let (garbage, empty) = (garbage.to_str().unwrap(), empty.to_str().unwrap());
    let api = slack.api_url();
    /// Arguments, environment, and what the error must name.
    type Case<'a> = (Vec<&'a str>, Vec<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case> = vec![
        (vec![], vec![("SLACK_TOKEN", "")], "SLACK_TOKEN"),
        (vec![], vec![("SLACK_TOKEN", "   ")], "SLACK_TOKEN"),
        (
            vec!["--ca-cert", "/nonexistent/ca.pem"],
            vec![],
            "/nonexistent/ca.pem",
        ),
        (vec!["--ca-cert", garbage], vec![], garbage),
        (vec!["--ca-cert", empty], vec![], empty),
        (
            vec!["--proxy", "socks5://user:hunter2@127.0.0.1:1080"],
            vec![],
            "socks5",
        ),
        (
            vec![],
            vec![("http_proxy", "ftp://user:hunter2@127.0.0.1:1")],
            "ftp",
        ),
        (
            vec!["--api-url", "http//127.0.0.1/api/"],
            vec![],
            "http//127.0.0.1/api/",
        ),
    ];
    for (args, env, named) in cases {
        let mut all_env = vec![
            ("SLACK_TOKEN", DEFAULT_TOKEN),
            ("SLACK_API_URL", api.as_str()),
        ];
        all_env.retain(|(k, _)| !env.iter().any(|(e, _)| e == k));
        all_env.extend(env.iter().copied());
        let mut p = Program::start("rtm-tail", env!("CARGO_BIN_EXE_rtm-tail"), &args, &all_env);
        let (status, stderr) = p.wait_exit();
        assert_eq!(status.code(), Some(2), "{args:?} {env:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
        assert!(
            stderr.contains(named),
            "{args:?} {env:?}: names {named}: {stderr}"
        );
        assert!(!stderr.contains("hunter2"), "{stderr}");
        assert!(p.transcript.is_empty(), "{:?}", p.transcript);
    }
    assert!(slack.record().web_calls.is_empty(), "nothing was dialled");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn proxy_flag_and_proxy_environment() {
    use rtm_testkit::proxy::ConnectProxy;
    let slack = MockSlack::start(ServerOptions::default().tls(true)).unwrap();
    let pem = cert_file(&slack, "proxy");
    let pem = pem.to_str().unwrap();
    let proxy = ConnectProxy::with_credentials("u", "pw").unwrap();
    let proxy_url = proxy.url_with("u:pw");
    let tunnels = || proxy.record().iter().filter(|p| p.allowed).count();
    let api = slack.api_url();
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut all = vec![
            ("SLACK_TOKEN", DEFAULT_TOKEN),
            ("SLACK_API_URL", api.as_str()),
        ];
        all.extend_from_slice(env);
        let mut args: Vec<&str> = args.to_vec();
        args.extend(["--ca-cert", pem]);
        connects_and_exits(Program::start(
            "rtm-tail",
            env!("CARGO_BIN_EXE_rtm-tail"),
            &args,
            &all,
        ))
    };
    // --proxy: the web call and the socket are tunnelled (both https/wss here).
    for runtime in ["tokio", "async-std"] {
        let before = tunnels();
        let p = run(&["--runtime", runtime, "--proxy", &proxy_url], &[]);
        assert_eq!(tunnels(), before + 2, "{runtime}");
        assert!(
            p.transcript.iter().all(|l| !l.contains("pw@")),
            "{:?}",
            p.transcript
        );
    }
    // HTTPS_PROXY by default, as curl.
    let before = tunnels();
    run(&[], &[("HTTPS_PROXY", &proxy_url)]);
    assert_eq!(tunnels(), before + 2);
    // NO_PROXY and --no-env-proxy: direct.
    run(
        &[],
        &[("HTTPS_PROXY", &proxy_url), ("NO_PROXY", "127.0.0.1")],
    );
    run(&["--no-env-proxy"], &[("HTTPS_PROXY", &proxy_url)]);
    assert_eq!(tunnels(), before + 2);
    assert_eq!(slack.record().web_calls.len(), 5);
    let _ = std::fs::remove_dir_all(std::path::Path::new(pem).parent().unwrap());
}
