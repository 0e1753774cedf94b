//! `socket-tail` against a mock Slack started by the test: envelopes as JSON lines, automatic
//! and manual acks (with payloads), `post` through chat.postMessage and its typed errors,
//! bad tokens, a closed stdout, signals, and its exit codes.
#![forbid(unsafe_code)]

mod common;

use common::{Program, STEP};
use rtm_testkit::{MockSlack, ServerOptions, SlashCommand, UserAction};
use serde_json::{Value, json};

fn mock() -> MockSlack {
    MockSlack::start(ServerOptions::default()).expect("mock slack starts")
}

/// socket-tail with the mock's tokens (from the environment) and `args`.
fn tail(slack: &MockSlack, args: &[&str]) -> Program {
    let app = slack.app_token().expect("an app");
    let bot = slack.bot_token().expect("a bot token");
    Program::start(
        "socket-tail",
        env!("CARGO_BIN_EXE_socket-tail"),
        args,
        &[
            ("SLACK_APP_TOKEN", &app),
            ("SLACK_BOT_TOKEN", &bot),
            ("SLACK_API_URL", &slack.api_url()),
        ],
    )
}

/// Every output line is one JSON object with a `kind`.
fn json(p: &mut Program, line: &str) -> Value {
    match serde_json::from_str::<Value>(line) {
        Ok(v) if v["kind"].is_string() => v,
        _ => p.fail(&format!("not a JSON line with a kind: {line}")),
    }
}

/// The next line for which `want` holds.
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

fn envelope(p: &mut Program, kind: &str) -> Value {
    expect_json(p, &format!("a {kind} envelope"), |v| {
        v["kind"] == "envelope" && v["type"] == kind
    })
}

fn result(p: &mut Program, cmd: &str) -> Value {
    expect_json(p, &format!("a {cmd} result"), |v| {
        v["kind"] == "result" && v["cmd"] == cmd
    })
}

fn message(slack: &MockSlack, text: &str) {
    slack
        .act(UserAction::Message {
            user: "U0ALICE".into(),
            channel: "C0GENERAL".into(),
            text: text.into(),
        })
        .expect("a message");
}

#[test]
fn prints_envelopes_auto_acks_posts_and_exits_zero_at_end_of_input() {
    let slack = mock();
    let mut p = tail(&slack, &[]);
    let connected = lifecycle(&mut p, "connected");
    assert_eq!(connected["app_id"], "A0TESTAPP");
    assert_eq!(connected["num_connections"], 1);

    // An envelope: one JSON line with its id, type, retry_attempt and payload; acked on
    // arrival.
    message(&slack, "hello socket mode");
    let e = envelope(&mut p, "events_api");
    let id = e["envelope_id"]
        .as_str()
        .expect("an envelope_id")
        .to_owned();
    assert_eq!(e["retry_attempt"], 0);
    assert_eq!(e["accepts_response_payload"], false);
    assert_eq!(e["payload"]["type"], "event_callback");
    assert_eq!(e["payload"]["event"]["type"], "message");
    assert_eq!(e["payload"]["event"]["text"], "hello socket mode");
    let ack = slack
        .wait_for_blocking(STEP, |r| r.socket_mode.ack_of(&id).cloned())
        .expect("acked automatically");
    assert!(ack.payload.is_none() && ack.first);

    // `ack` of an envelope already acked: a typed error.
    p.send(&format!("ack {id}"));
    let refused = result(&mut p, "ack");
    assert_eq!(refused["ok"], false);
    assert_eq!(refused["error"]["code"], "unknown_envelope");

    // post, in the channel and in a thread: the answer and the mock's history agree.
    p.send("post C0GENERAL hi from socket-tail");
    let posted = result(&mut p, "post");
    assert_eq!(posted["ok"], true, "{posted}");
    assert_eq!(posted["posted"]["channel"], "C0GENERAL");
    let ts = posted["posted"]["ts"].as_str().expect("a ts").to_owned();
    p.send(&format!("post C0GENERAL {ts} and a reply in its thread"));
    let reply = result(&mut p, "post");
    assert_eq!(reply["ok"], true, "{reply}");
    let history = slack.history("C0GENERAL");
    let first = history.iter().find(|m| m.ts == ts).expect("posted");
    assert_eq!(first.user, "U0BOT");
    assert_eq!(first.text, "hi from socket-tail");
    let second = history
        .iter()
        .find(|m| m.ts == reply["posted"]["ts"].as_str().unwrap())
        .expect("the reply posted");
    assert_eq!(second.thread_ts.as_deref(), Some(ts.as_str()));
    assert_eq!(second.text, "and a reply in its thread");

    // Slack's errors are typed; so are lines that are no command.
    p.send("post C0NOWHERE hello?");
    let failed = result(&mut p, "post");
    assert_eq!(failed["ok"], false);
    assert_eq!(
        failed["error"]["slack"]["error"], "channel_not_found",
        "{failed}"
    );
    assert_eq!(
        failed["error"]["code"], "slack_webapi_platform_error",
        "{failed}"
    );
    p.send("frobnicate");
    let bad = expect_json(&mut p, "an invalid command", |v| {
        v["kind"] == "result" && v["error"]["code"] == "invalid_command"
    });
    assert_eq!(bad["cmd"], Value::Null);
    p.send("post C0GENERAL");
    let bad = result(&mut p, "post");
    assert_eq!(bad["error"]["code"], "invalid_command");

    // End of input: a clean disconnect, exit 0; every line was JSON.
    p.close_stdin();
    let (status, stderr) = p.wait_exit();
    assert_eq!(status.code(), Some(0), "{stderr}");
    let last = p.transcript.last().cloned().unwrap_or_default();
    let last = json(&mut p, &last);
    assert_eq!(last["event"], "disconnected");
    assert_eq!(last["error"], Value::Null);
    for line in p.transcript.clone() {
        json(&mut p, &line);
    }
    slack
        .wait_until_blocking(STEP, |r| r.active_connections() == 0)
        .expect("the connection is closed");
}

#[test]
fn manual_ack_acks_from_stdin_with_and_without_a_payload() {
    let slack = mock();
    let mut p = tail(&slack, &["--manual-ack"]);
    lifecycle(&mut p, "connected");

    message(&slack, "ack me by hand");
    let e = envelope(&mut p, "events_api");
    let id = e["envelope_id"].as_str().unwrap().to_owned();
    let command = slack
        .post_slash_command(&SlashCommand::new(
            "/deploy",
            "prod",
            "U0ALICE",
            "C0GENERAL",
        ))
        .expect("a slash command");
    let s = envelope(&mut p, "slash_commands");
    assert_eq!(s["envelope_id"], command.as_str());
    assert_eq!(s["accepts_response_payload"], true);
    assert_eq!(s["payload"]["command"], "/deploy");
    assert_eq!(s["payload"]["text"], "prod");
    // Nothing acked yet: the acks come from stdin.
    assert!(slack.socket_mode_record().acks.is_empty());

    p.send(&format!("ack {id}"));
    let acked = result(&mut p, "ack");
    assert_eq!(acked["ok"], true, "{acked}");
    assert_eq!(acked["envelope_id"], id.as_str());
    p.send(&format!(r#"ack {command} {{"text":"deploying prod"}}"#));
    let answered = result(&mut p, "ack");
    assert_eq!(answered["ok"], true, "{answered}");
    let record = slack
        .wait_for_blocking(STEP, |r| {
            (r.socket_mode.ack_of(&id).is_some() && r.socket_mode.ack_of(&command).is_some())
                .then(|| r.socket_mode.clone())
        })
        .expect("both acks reached Slack");
    assert!(record.ack_of(&id).unwrap().payload.is_none());
    assert_eq!(
        record.ack_of(&command).unwrap().payload,
        Some(json!({"text": "deploying prod"}))
    );
    // Acked once: a second ack is refused, and so is a bad payload.
    p.send(&format!("ack {id}"));
    assert_eq!(result(&mut p, "ack")["error"]["code"], "unknown_envelope");
    p.send("ack whatever [1,2]");
    assert_eq!(result(&mut p, "ack")["error"]["code"], "invalid_command");

    p.send("disconnect");
    let done = result(&mut p, "disconnect");
    assert_eq!(done["ok"], true);
    let (status, stderr) = p.wait_exit();
    assert_eq!(status.code(), Some(0), "{stderr}");
}

#[test]
fn a_bad_app_token_exits_1_with_a_one_line_error() {
    let slack = mock();
    let mut p = Program::start(
        "socket-tail",
        env!("CARGO_BIN_EXE_socket-tail"),
        &["--api-url", &slack.api_url()],
        &[("SLACK_APP_TOKEN", "xapp-1-not-the-right-one")],
    );
    // stdin stays open: the refusal alone ends the program.
    let (status, stderr) = p.wait_exit();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
    assert!(stderr.starts_with("socket-tail: "), "{stderr:?}");
    assert!(stderr.contains("invalid_auth"), "{stderr:?}");
    assert!(!stderr.contains("not-the-right-one"), "the token leaked");
}

#[test]
fn no_app_token_or_a_wrong_kind_of_token_exits_2() {
    for (args, env, says) in [
        (vec![], vec![], "no app-level token"),
        (vec![], vec![("SLACK_APP_TOKEN", " ")], "no app-level token"),
        (
            vec!["--app-token", "xoxb-a-bot-token"],
            vec![],
            "wrong kind of token",
        ),
    ] {
        let mut p = Program::start(
            "socket-tail",
            env!("CARGO_BIN_EXE_socket-tail"),
            &args,
            &env,
        );
        let (status, stderr) = p.wait_exit();
        assert_eq!(status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(p.transcript.is_empty(), "{:?}", p.transcript);
    }
}

#[test]
fn without_a_bot_token_post_fails_typed() {
    let slack = mock();
    let app = slack.app_token().unwrap();
    let mut p = Program::start(
        "socket-tail",
        env!("CARGO_BIN_EXE_socket-tail"),
        &["--app-token", &app, "--api-url", &slack.api_url()],
        &[],
    );
    lifecycle(&mut p, "connected");
    p.send("post C0GENERAL hi");
    let failed = result(&mut p, "post");
    assert_eq!(failed["error"]["code"], "slack_webapi_no_bot_token_error");
    assert!(slack.posts().is_empty());
}

#[test]
fn piped_into_head_it_exits_zero() {
    let slack = mock();
    // bash reports socket-tail's own status, not head's.
    let script = format!(
        "'{}' | head -n 1; exit ${{PIPESTATUS[0]}}",
        env!("CARGO_BIN_EXE_socket-tail")
    );
    let mut p = Program::start(
        "socket-tail | head -n 1",
        "bash",
        &["-c", &script],
        &[
            ("SLACK_APP_TOKEN", &slack.app_token().unwrap()),
            ("SLACK_API_URL", &slack.api_url()),
        ],
    );
    // The first line, through head: the session opens.
    lifecycle(&mut p, "connecting");
    // More output than head takes: the writes after it exits fail, and socket-tail winds
    // down (its connection closed).
    slack
        .wait_until_blocking(STEP, |r| r.active_connections() == 1)
        .expect("socket-tail connected");
    for n in 0..20 {
        message(&slack, &format!("message {n}"));
    }
    let (status, stderr) = p.wait_exit();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert_eq!(p.transcript.len(), 1, "{:?}", p.transcript);
    slack
        .wait_until_blocking(STEP, |r| r.active_connections() == 0)
        .expect("socket-tail closed its connection");
}

/// SIGINT (130) or SIGTERM (143): a clean disconnect, exit code as documented.
fn signalled(signal: &str, code: i32) {
    let slack = mock();
    let mut p = tail(&slack, &["--manual-ack"]);
    lifecycle(&mut p, "connected");
    p.signal(signal);
    let (status, stderr) = p.wait_exit();
    assert_eq!(status.code(), Some(code), "{stderr}");
    let last = p.transcript.last().cloned().unwrap_or_default();
    let last = json(&mut p, &last);
    assert_eq!(last["event"], "disconnected", "{:?}", p.transcript);
    assert_eq!(last["error"], Value::Null);
    slack
        .wait_until_blocking(STEP, |r| r.active_connections() == 0)
        .expect("the connection is closed");
}

#[test]
fn sigint_exits_130() {
    signalled("INT", 130);
}

#[test]
fn sigterm_exits_143() {
    signalled("TERM", 143);
}

#[test]
fn help_documents_the_formats() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_socket-tail"))
        .arg("--help")
        .output()
        .expect("run --help");
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "\"kind\":\"envelope\"",
        "ack <envelope_id>",
        "post <channel> <thread_ts> <text>",
        "\"posted\":{",
        "--manual-ack",
        "--lossy",
        "130 after SIGINT and 143 after SIGTERM",
    ] {
        assert!(
            help.contains(needle),
            "{needle:?} missing from --help:\n{help}"
        );
    }
}

#[test]
fn with_stdin_closed_it_checks_the_token_and_exits() {
    let slack = mock();
    let mut p = tail(&slack, &[]);
    p.close_stdin();
    let (status, stderr) = p.wait_exit();
    assert_eq!(status.code(), Some(0), "{stderr}");
    let events: Vec<String> = p
        .transcript
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["event"].to_string())
        .collect();
    assert_eq!(
        events,
        [r#""connecting""#, r#""connected""#, r#""disconnected""#],
        "{:?}",
        p.transcript
    );
}
