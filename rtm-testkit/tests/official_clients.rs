//! Faithfulness against Slack's official clients: slack_sdk's Socket Mode client (Python)
//! and @slack/socket-mode (Node) connect to the mock, ack an `events_api` envelope and answer
//! a slash command; the mock's record must show both acks.
//!
//! Each runs only when its client is installed: `python3` importing `slack_sdk`
//! (`pip install slack_sdk aiohttp`), `node` resolving `@slack/socket-mode` (`npm install
//! @slack/socket-mode` in `tests/official/`, or `NODE_PATH` pointing at a `node_modules`);
//! otherwise the test prints `SKIPPED …` and why, and passes. Set
//! `RTM_REQUIRE_OFFICIAL_CLIENTS=1` to make a missing client a failure instead.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use rtm_testkit::{MockSlack, ServerOptions, SlashCommand, UserAction};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(20);

/// Kills the script if the test fails half way.
struct Guard(Option<Child>);

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn official(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/official")
        .join(file)
}

/// Why `program -e/-c probe` fails here, if it does.
fn missing(program: &str, args: &[&str], what: &str) -> Option<String> {
    match Command::new(program)
        .args(args)
        .current_dir(official(""))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
    {
        Ok(s) if s.success() => None,
        Ok(_) => Some(format!("{program} cannot load {what}")),
        Err(e) => Some(format!("no {program} ({e})")),
    }
}

/// Prints the skip (or fails, when official clients are required); true when skipping.
fn skip(test: &str, why: Option<String>) -> bool {
    let Some(why) = why else { return false };
    if std::env::var_os("RTM_REQUIRE_OFFICIAL_CLIENTS").is_some() {
        panic!("official client required but missing: {why}");
    }
    eprintln!("SKIPPED {test}: {why}");
    true
}

#[test]
fn slack_sdk_socket_mode_client_acks_envelopes() {
    let why = missing(
        "python3",
        &["-c", "import slack_sdk"],
        "slack_sdk (pip install slack_sdk aiohttp)",
    );
    if skip("slack_sdk_socket_mode_client_acks_envelopes", why) {
        return;
    }
    run_official_client("python3", &official("slack_sdk_socket_mode.py"));
}

#[test]
fn node_socket_mode_client_acks_envelopes() {
    let why = missing(
        "node",
        &["-e", "require.resolve('@slack/socket-mode')"],
        "@slack/socket-mode (npm install @slack/socket-mode in tests/official/)",
    );
    if skip("node_socket_mode_client_acks_envelopes", why) {
        return;
    }
    run_official_client("node", &official("slack_socket_mode.js"));
}

/// The scenario both scripts follow (see their headers): READY, an events_api envelope
/// acked, a slash command answered with a payload, exit 0.
fn run_official_client(program: &str, script: &std::path::Path) {
    let slack = MockSlack::start(ServerOptions::default()).expect("start");
    let mut child = Command::new(program)
        .arg(script)
        .current_dir(official(""))
        .env("MOCK_SLACK_API_URL", slack.api_url())
        .env("MOCK_SLACK_APP_TOKEN", slack.app_token().expect("an app"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {program}: {e}"));
    // Lines from the script, read on a thread so that every wait below stays bounded.
    let (tx, lines) = mpsc::channel::<String>();
    let stdout = child.stdout.take().expect("stdout");
    let mut guard = Guard(Some(child));
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let next_line = || {
        lines
            .recv_timeout(WAIT)
            .expect("a line from the script in time")
    };
    assert_eq!(next_line(), "READY");
    // The builtin client has no notion of hello: wait for the mock to have sent it.
    slack
        .wait_until_blocking(WAIT, |r| {
            r.connections
                .iter()
                .any(|c| c.is_open() && !c.to_client_of_type("hello").is_empty())
        })
        .expect("hello sent");
    slack
        .act(UserAction::Message {
            user: "U0ALICE".into(),
            channel: "C0GENERAL".into(),
            text: "hello from alice".into(),
        })
        .expect("act");
    let line = next_line();
    assert!(line.starts_with("ACKED events_api "), "{line}");
    assert!(line.ends_with(" message hello from alice"), "{line}");
    let event_envelope = line.split(' ').nth(2).expect("envelope id").to_string();
    let id = slack
        .post_slash_command(&SlashCommand::new("/ping", "42", "U0ALICE", "C0GENERAL"))
        .expect("slash");
    assert_eq!(next_line(), format!("ACKED slash_commands {id}"));
    let rec = slack
        .wait_for_blocking(WAIT, |r| {
            let sm = &r.socket_mode;
            (sm.ack_of(&event_envelope).is_some() && sm.ack_of(&id).is_some()).then(|| sm.clone())
        })
        .expect("both acks recorded");
    // slack_sdk acks with the envelope id alone, @slack/socket-mode adds `"payload":{}`.
    let event_ack = rec.ack_of(&event_envelope).unwrap();
    assert!(
        event_ack.payload.is_none() || event_ack.payload == Some(json!({})),
        "{event_ack:?}"
    );
    assert_eq!(
        rec.ack_of(&id).unwrap().payload,
        Some(json!({"text": "pong 42"}))
    );
    assert!(rec.abandoned.is_empty());
    // Acked in time: one delivery each.
    assert_eq!(rec.deliveries(&event_envelope).len(), 1);
    assert_eq!(rec.deliveries(&id).len(), 1);
    // Bounded wait for the script's exit, then its status.
    let mut child = guard.0.take().expect("child");
    let pid = child.id();
    let (done_tx, done) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done_tx.send(child.wait());
    });
    let Ok(status) = done.recv_timeout(WAIT) else {
        // The child is on the waiter thread: end it by its id.
        let _ = Command::new("kill").arg(pid.to_string()).status();
        panic!("the script did not exit in time");
    };
    let status = status.expect("exit status");
    assert!(status.success(), "the script failed: {status}");
    let _ = reader.join();
}
