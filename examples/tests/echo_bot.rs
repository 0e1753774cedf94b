//! `echo_bot`: the narrated demo against its embedded mock Slack, and the real bot against a
//! mock Slack started by the test (a mention is echoed, in its thread; other messages are
//! not; Ctrl-C disconnects cleanly), and the same over Socket Mode (`--socket-mode`): the
//! demo, and the bot against a mock answering a mention in its thread and a slash command in
//! its ack.
#![forbid(unsafe_code)]

mod common;

use common::{Program, STEP};
use rtm_testkit::model::DEFAULT_TOKEN;
use rtm_testkit::{MockSlack, ServerOptions, SlashCommand, Target, UserAction};
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

#[test]
fn the_socket_mode_demo_without_tokens_runs_to_a_clean_exit() {
    let mut p = Program::start(
        "echo_bot --socket-mode",
        env!("CARGO_BIN_EXE_echo_bot"),
        &["--socket-mode"],
        &[],
    );
    let (status, stderr) = p.wait_exit();
    let out = p.transcript.join("\n");
    assert!(status.success(), "{status}\n{out}\n{stderr}");
    let find = |what: &str| {
        p.transcript
            .iter()
            .position(|l| l.contains(what))
            .unwrap_or_else(|| panic!("no line with {what:?}:\n{out}"))
    };
    // Connected, with the app id and the number of connections.
    let connected = find("connected: app A0TESTAPP on conn#1, num_connections=1");
    // The mention arrives as an envelope, is acked at once, and the reply's ts is printed.
    let mention = find(": app_mention from U0ALICE in C0GENERAL");
    let id = p.transcript[mention]
        .split_whitespace()
        .skip_while(|w| *w != "envelope")
        .nth(1)
        .and_then(|s| s.strip_suffix(':'))
        .expect("the envelope id")
        .to_owned();
    let acked = find(&format!("{id} acked"));
    let reply = find("via chat.postMessage, ts=");
    let ts = p.transcript[reply].rsplit("ts=").next().unwrap();
    assert!(is_ts(ts), "{ts:?}");
    assert!(p.transcript[reply].contains("C0GENERAL thread "), "{out}");
    assert!(
        connected < mention && mention < acked && acked < reply,
        "{out}"
    );
    assert!(
        out.contains("in the thread of") && out.contains(": yes"),
        "{out}"
    );
    // The refresh mid-session, with messages flowing and none lost.
    let refreshing = find("lifecycle  refreshing (Warning)");
    let refreshed = find("lifecycle  refreshed: conn#2 in use");
    let nothing_lost = find("refreshing … refreshed, no envelope lost");
    assert!(
        reply < refreshing && refreshing < refreshed && refreshed < nothing_lost,
        "{out}"
    );
    for n in 1..=5 {
        let msg = format!("bob's message {n} during the refresh");
        assert_eq!(
            p.transcript.iter().filter(|l| l.contains(&msg)).count(),
            1,
            "{msg} once:\n{out}"
        );
    }
    // The slash command, answered through the ack's payload.
    let slash = find("slash command /echo \"ping\" from U0ALICE");
    let answered = find("acked with the answer");
    let got = find("Slack got the slash command's answer in the ack: <@U0ALICE> ran /echo");
    assert!(
        nothing_lost < slash && slash < answered && answered < got,
        "{out}"
    );
    // A clean end.
    let disconnected = find("lifecycle  disconnected");
    assert!(got < disconnected, "{out}");
    assert!(
        p.transcript
            .last()
            .unwrap()
            .contains("disconnected cleanly"),
        "{out}"
    );
    assert!(stderr.is_empty(), "{stderr}");
}

#[test]
fn socket_mode_with_tokens_replies_in_the_thread_answers_commands_and_stops_on_ctrl_c() {
    let slack = MockSlack::start(ServerOptions::default()).expect("mock slack starts");
    let app_token = slack.app_token().expect("an app");
    let bot_token = slack.bot_token().expect("a bot token");
    let api_url = slack.api_url();
    let mut p = Program::start(
        "echo_bot --socket-mode",
        env!("CARGO_BIN_EXE_echo_bot"),
        &[
            "--socket-mode",
            "--app-token",
            &app_token,
            "--bot-token",
            &bot_token,
            "--api-url",
            &api_url,
        ],
        &[],
    );
    p.expect("the greeting", |l| {
        l.starts_with("echo_bot (Socket Mode) is app A0TESTAPP")
    });

    // The bot's own message (bot_id) is acked and ignored; a person's mention in a thread
    // is answered in that thread.
    let mention = |user: &str, bot_id: Option<&str>, text: &str, ts: &str, event_id: &str| {
        let mut event = json!({
            "type": "app_mention", "user": user, "text": text, "ts": ts,
            "thread_ts": "1700000400.000100", "channel": "C0RANDOM", "event_ts": ts,
        });
        if let Some(b) = bot_id {
            event["bot_id"] = json!(b);
        }
        let payload = json!({
            "type": "event_callback", "team_id": "T0TESTTEAM", "api_app_id": "A0TESTAPP",
            "event_id": event_id, "event": event,
            "authorizations": [{ "team_id": "T0TESTTEAM", "user_id": "U0BOT", "is_bot": true }],
        });
        slack
            .post_envelope(None, "events_api", &payload, false)
            .expect("envelope posted")
    };
    let own = mention(
        "U0BOT",
        Some("B0BOT"),
        "<@U0BOT> my own echo",
        "1700000500.000050",
        "Ev0OWN",
    );
    let theirs = mention(
        "U0BOB",
        None,
        "<@U0BOT> echo me",
        "1700000500.000100",
        "Ev0THEIRS",
    );
    let reply = p.expect("the reply", |l| {
        l.contains(" reply ") && l.contains("via chat.postMessage")
    });
    assert!(
        reply.contains("C0RANDOM thread 1700000400.000100"),
        "{reply}"
    );
    let posted = slack
        .history("C0RANDOM")
        .into_iter()
        .rfind(|m| m.user == "U0BOT")
        .expect("the bot posted");
    assert_eq!(posted.thread_ts.as_deref(), Some("1700000400.000100"));
    assert!(posted.text.contains("echo me"), "{posted:?}");
    assert!(reply.ends_with(&format!("ts={}", posted.ts)), "{reply}");
    slack
        .wait_until_blocking(STEP, |r| {
            r.socket_mode.ack_of(&own).is_some() && r.socket_mode.ack_of(&theirs).is_some()
        })
        .expect("both envelopes acked");
    let posts = slack.posts();
    assert_eq!(
        posts.len(),
        1,
        "only the person's mention got a reply: {posts:?}"
    );

    // A slash command: the answer goes in the ack's payload.
    let command = slack
        .post_slash_command(&SlashCommand::new("/echo", "hello", "U0ALICE", "C0GENERAL"))
        .expect("slash command posted");
    let answer = slack
        .wait_for_blocking(STEP, |r| {
            r.socket_mode
                .ack_of(&command)
                .and_then(|a| a.payload.clone())
        })
        .expect("the command's ack with a payload");
    assert_eq!(answer["text"], "<@U0ALICE> ran /echo: “hello”", "{answer}");
    assert_eq!(slack.posts().len(), 1, "the answer was not posted");
    let record = slack.socket_mode_record();
    assert!(!record.had_gap());
    assert!(record.envelopes_sent.iter().all(|e| e.retry_attempt == 0));

    // Ctrl-C: a clean disconnect, exit 0.
    p.signal("INT");
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

#[test]
fn socket_mode_with_only_one_token_is_an_error() {
    let mut p = Program::start(
        "echo_bot --socket-mode",
        env!("CARGO_BIN_EXE_echo_bot"),
        &["--socket-mode"],
        &[("SLACK_APP_TOKEN", "xapp-1-A0TESTAPP-1-x")],
    );
    let (status, stderr) = p.wait_exit();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("needs a bot token"), "{stderr}");
}
