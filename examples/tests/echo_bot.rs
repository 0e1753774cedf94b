//! `echo_bot`: the narrated demo against its embedded mock Slack, and the real bot against a
//! mock Slack started by the test (a mention is echoed, in its thread; other messages are
//! not; Ctrl-C disconnects cleanly).
#![forbid(unsafe_code)]

mod common;

use common::{Program, STEP};
use rtm_testkit::model::DEFAULT_TOKEN;
use rtm_testkit::{MockSlack, ServerOptions, Target, UserAction};
use serde_json::{Value, json};

fn is_ts(s: &str) -> bool {
    s.split_once('.').is_some_and(|(a, b)| {
        !a.is_empty()
            && !b.is_empty()
            && a.bytes().all(|c| c.is_ascii_digit())
            && b.bytes().all(|c| c.is_ascii_digit())
    })
}

#[test]
fn the_demo_without_a_token_runs_to_a_clean_exit() {
    let mut p = Program::start("echo_bot", env!("CARGO_BIN_EXE_echo_bot"), &[], &[]);
    let (status, stderr) = p.wait_exit();
    let out = p.transcript.join("\n");
    assert!(status.success(), "{status}\n{out}\n{stderr}");
    // The connect: who and which team.
    assert!(
        out.contains("authenticated as testbot (U0BOT) on team Test Team (T0TESTTEAM)"),
        "{out}"
    );
    // The bot's replies, with the ts of their acks: one in the channel, one in a thread.
    let replies: Vec<&str> = p
        .transcript
        .iter()
        .filter(|l| l.contains(" reply ") && l.contains("posted in"))
        .map(String::as_str)
        .collect();
    assert_eq!(replies.len(), 2, "{out}");
    for reply in &replies {
        let ts = reply
            .split("ts=")
            .nth(1)
            .and_then(|rest| rest.split(':').next())
            .unwrap_or_else(|| panic!("no ts in {reply}"));
        assert!(is_ts(ts), "{ts:?} in {reply}");
    }
    assert!(replies[1].contains("thread"), "{out}");
    // The server-initiated reconnect, and the session resuming.
    let goodbye = p
        .transcript
        .iter()
        .position(|l| l.contains("goodbye"))
        .expect("goodbye");
    let reconnecting = p
        .transcript
        .iter()
        .position(|l| l.contains("reconnecting"))
        .expect("reconnecting");
    let resumed = p
        .transcript
        .iter()
        .rposition(|l| l.contains("lifecycle") && l.ends_with(" ready"))
        .expect("ready again");
    assert!(goodbye < reconnecting && reconnecting < resumed, "{out}");
    // Bob's message, which does not mention the bot, got no reply: two replies in all.
    assert!(out.contains("lunch at noon?"), "{out}");
    // A clean end.
    assert!(
        out.contains("lifecycle  disconnected\n") || out.contains("lifecycle  disconnected"),
        "{out}"
    );
    assert!(stderr.is_empty(), "{stderr}");
}

#[test]
fn with_a_token_it_echoes_mentions_and_stops_on_ctrl_c() {
    let slack = MockSlack::start(ServerOptions::default()).expect("mock slack starts");
    let mut p = Program::start(
        "echo_bot",
        env!("CARGO_BIN_EXE_echo_bot"),
        &[],
        &[
            ("SLACK_TOKEN", DEFAULT_TOKEN),
            ("SLACK_API_URL", &slack.api_url()),
        ],
    );
    p.expect("the greeting", |l| {
        l.starts_with("echo_bot is testbot (U0BOT)")
    });

    // Not a mention: no reply. Then a mention in a thread: a reply in the same thread.
    slack
        .act(UserAction::Message {
            user: "U0ALICE".into(),
            channel: "C0GENERAL".into(),
            text: "just chatting".into(),
        })
        .unwrap();
    slack.push_event(
        Target::All,
        &json!({
            "type": "message", "channel": "C0RANDOM", "user": "U0BOB",
            "text": "<@U0BOT> echo me", "ts": "1700000500.000100",
            "thread_ts": "1700000400.000100",
        }),
    );
    let reply = p.expect("the reply", |l| {
        l.contains(" reply ") && l.contains("posted in")
    });
    assert!(
        reply.contains("C0RANDOM thread 1700000400.000100"),
        "{reply}"
    );
    let posted = slack.history("C0RANDOM").pop().expect("the bot posted");
    assert_eq!(posted.user, "U0BOT");
    assert!(reply.contains(&format!("ts={}", posted.ts)), "{reply}");
    assert!(posted.text.contains("echo me"), "{posted:?}");
    let frames: Vec<Value> = slack.with_record(|r| r.last_conn().unwrap().from_client_json());
    let messages: Vec<&Value> = frames.iter().filter(|f| f["type"] == "message").collect();
    assert_eq!(
        messages.len(),
        1,
        "only the mention got a reply: {messages:?}"
    );
    assert_eq!(messages[0]["thread_ts"], "1700000400.000100");
    assert_eq!(messages[0]["channel"], "C0RANDOM");
    assert!(slack.history("C0GENERAL").iter().all(|m| m.user != "U0BOT"));

    // Ctrl-C: a clean disconnect, exit 0.
    let killed = std::process::Command::new("kill")
        .args(["-INT", &p.pid().to_string()])
        .status()
        .expect("run kill");
    assert!(killed.success());
    let (status, stderr) = p.wait_exit();
    assert!(status.success(), "{status}: {stderr}");
    assert!(
        p.transcript
            .iter()
            .any(|l| l.ends_with("lifecycle  disconnected")),
        "{:?}",
        p.transcript
    );
    slack
        .wait_until_blocking(STEP, |r| r.active_connections() == 0)
        .expect("the bot closed its connection");
}
