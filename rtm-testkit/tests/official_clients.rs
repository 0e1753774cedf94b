//! Faithfulness against Slack's official clients: slack_sdk's Socket Mode client (Python)
//! connects to the mock, acks an `events_api` envelope and answers a slash command; the
//! mock's record must show both acks.
//!
//! Runs only when `python3` can import `slack_sdk` (`pip install slack_sdk aiohttp`);
//! otherwise it prints why and passes. Set `RTM_REQUIRE_OFFICIAL_CLIENTS=1` to make a
//! missing client a failure instead (for machines that are meant to have it).

use std::io::{BufRead, BufReader};
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

fn script() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/official/slack_sdk_socket_mode.py")
}

/// Why the official Python client cannot run here, if it cannot.
fn python_missing() -> Option<String> {
    match Command::new("python3")
        .args(["-c", "import slack_sdk"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
    {
        Ok(s) if s.success() => None,
        Ok(_) => Some("python3 cannot import slack_sdk (pip install slack_sdk aiohttp)".into()),
        Err(e) => Some(format!("no python3 ({e})")),
    }
}

#[test]
fn slack_sdk_socket_mode_client_acks_envelopes() {
    if let Some(why) = python_missing() {
        if std::env::var_os("RTM_REQUIRE_OFFICIAL_CLIENTS").is_some() {
            panic!("official client required but missing: {why}");
        }
        eprintln!("SKIPPED slack_sdk_socket_mode_client_acks_envelopes: {why}");
        return;
    }
    let slack = MockSlack::start(ServerOptions::default()).expect("start");
    let mut child = Command::new("python3")
        .arg(script())
        .env("MOCK_SLACK_API_URL", slack.api_url())
        .env("MOCK_SLACK_APP_TOKEN", slack.app_token().expect("an app"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn python3");
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
    assert_eq!(rec.ack_of(&event_envelope).unwrap().payload, None);
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
