//! `rtm-tail --record FILE` against a mock Slack (token from the environment), then
//! `rtm-replay FILE`: exit 0 when it matches, 1 on a tampered input (named), 2 on a file it
//! cannot read (truncated, not JSON, unknown version), with the line and why.
#![forbid(unsafe_code)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::Program;
use rtm_testkit::model::DEFAULT_TOKEN;
use rtm_testkit::{Fault, MockSlack, ServerOptions};
use serde_json::{Value, json};

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "rtm-replay-test-{}-{name}.jsonl",
        std::process::id()
    ))
}

/// Runs rtm-replay: (exit code, stdout, stderr).
fn replay(file: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rtm-replay"))
        .arg(file)
        .args(args)
        .output()
        .expect("rtm-replay runs");
    (
        out.status.code().expect("an exit code"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A session recorded by rtm-tail: ready, a message, a goodbye and its reconnect, the end.
fn record(path: &Path, runtime: &str) -> String {
    let slack = MockSlack::start(ServerOptions::default()).expect("mock slack starts");
    let path_arg = path.to_str().unwrap();
    let mut p = Program::start(
        "rtm-tail",
        env!("CARGO_BIN_EXE_rtm-tail"),
        &["--record", path_arg, "--runtime", runtime],
        &[
            ("SLACK_TOKEN", DEFAULT_TOKEN),
            ("SLACK_API_URL", &slack.api_url()),
        ],
    );
    let ready = |v: &Value| v["kind"] == "lifecycle" && v["event"] == "ready";
    p.expect("ready", |l| {
        serde_json::from_str::<Value>(l).is_ok_and(|v| ready(&v))
    });
    p.send(
        &json!({"cmd":"message","channel":"C0GENERAL","text":"recorded words","tag":"m"})
            .to_string(),
    );
    p.expect("the ack", |l| {
        serde_json::from_str::<Value>(l).is_ok_and(|v| v["kind"] == "result" && v["tag"] == "m")
    });
    slack.inject(Fault::goodbye());
    p.expect("reconnected", |l| {
        serde_json::from_str::<Value>(l).is_ok_and(|v| ready(&v))
    });
    p.close_stdin();
    let (status, stderr) = p.wait_exit();
    assert!(status.success(), "{status}: {stderr}");
    std::fs::read_to_string(path).expect("the recording exists")
}

#[test]
fn rtm_tail_records_and_rtm_replay_checks_every_step() {
    let path = temp("session");
    let file = record(&path, "tokio");
    // The token came through the environment: it is not in the file; the words are.
    assert!(
        !file.contains(DEFAULT_TOKEN),
        "the token is in the recording"
    );
    assert!(file.contains("recorded words"));

    let (code, stdout, stderr) = replay(&path, &[]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("every step matches"), "{stdout}");

    let (code, stdout, _) = replay(&path, &["--timeline"]);
    assert_eq!(code, 0);
    for needle in [
        "start()",
        "reconnecting: attempt 1",
        "because the server said goodbye",
        "acked",
    ] {
        assert!(stdout.contains(needle), "{needle:?} not in:\n{stdout}");
    }

    // Tampering with one input: the acked message's reply reads differently.
    let lines: Vec<&str> = file.lines().collect();
    let n = lines
        .iter()
        .position(|l| l.contains("ws_text") && l.contains(r#"reply_to\":1"#))
        .expect("the ack's frame");
    let mut tampered: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    tampered[n] = tampered[n].replace("recorded words", "forged words");
    let forged = temp("forged");
    std::fs::write(&forged, tampered.join("\n") + "\n").unwrap();
    let (code, stdout, _) = replay(&forged, &[]);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains(&format!("divergence at input {n} ")),
        "{stdout}"
    );
    assert!(stdout.contains("forged words"), "{stdout}");

    // Files it cannot read: exit 2, the line and why.
    let cut = temp("cut");
    std::fs::write(&cut, &file[..file.len() - 5]).unwrap();
    let (code, _, stderr) = replay(&cut, &[]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains(&format!("line {}: truncated", lines.len())),
        "{stderr}"
    );

    let garbled = temp("garbled");
    let mut g: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    g[2] = "}{ not json".to_owned();
    std::fs::write(&garbled, g.join("\n") + "\n").unwrap();
    let (code, _, stderr) = replay(&garbled, &[]);
    assert_eq!(code, 2);
    assert!(stderr.contains("line 3: not JSON"), "{stderr}");

    let future = temp("future");
    std::fs::write(
        &future,
        file.replacen("\"rtm_recording\":1", "\"rtm_recording\":7", 1),
    )
    .unwrap();
    let (code, _, stderr) = replay(&future, &[]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("line 1: unknown recording version 7"),
        "{stderr}"
    );

    let (code, _, stderr) = replay(&temp("missing"), &[]);
    assert_eq!(code, 2, "{stderr}");

    for p in [path, forged, cut, garbled, future] {
        let _ = std::fs::remove_file(p);
    }
}

/// The same on async-std: the driver is shared, and the program waits for the last lines.
#[test]
fn rtm_tail_records_on_async_std_too() {
    let path = temp("async-std");
    let file = record(&path, "async-std");
    assert!(!file.contains(DEFAULT_TOKEN));
    let (code, stdout, stderr) = replay(&path, &[]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    // The session's end is in the file: the disconnect settled.
    let (_, timeline, _) = replay(&path, &["--timeline"]);
    assert!(timeline.contains("disconnect() settled"), "{timeline}");
    let _ = std::fs::remove_file(path);
}

/// The proxy from the environment, with credentials: they never reach the recording.
#[test]
fn proxy_credentials_from_the_environment_stay_out_of_the_recording() {
    const PASSWORD: &str = "env-pr0xy-s3cret";
    let slack = MockSlack::start(ServerOptions::default()).expect("mock slack starts");
    let proxy = rtm_testkit::proxy::ConnectProxy::with_credentials("envuser", PASSWORD).unwrap();
    let path = temp("env-proxy");
    let proxy_url = proxy.url_with(&format!("envuser:{PASSWORD}"));
    let mut p = Program::start(
        "rtm-tail",
        env!("CARGO_BIN_EXE_rtm-tail"),
        &["--record", path.to_str().unwrap()],
        &[
            ("SLACK_TOKEN", DEFAULT_TOKEN),
            ("SLACK_API_URL", &slack.api_url()),
            ("http_proxy", &proxy_url),
            ("ALL_PROXY", &proxy_url),
        ],
    );
    p.expect("ready", |l| {
        serde_json::from_str::<Value>(l)
            .is_ok_and(|v| v["kind"] == "lifecycle" && v["event"] == "ready")
    });
    p.close_stdin();
    let (status, stderr) = p.wait_exit();
    assert!(status.success(), "{status}: {stderr}");
    assert!(
        proxy.record().iter().any(|r| r.authorization.is_some()),
        "the session went through the proxy"
    );
    let file = std::fs::read_to_string(&path).unwrap();
    assert!(!file.contains(PASSWORD), "{file}");
    assert!(!file.contains("envuser"), "{file}");
    assert!(!file.contains(DEFAULT_TOKEN), "{file}");
    let (code, stdout, stderr) = replay(&path, &[]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let _ = std::fs::remove_file(path);
}
