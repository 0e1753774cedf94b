//! The `blocking_transport` example against the real loopback mock Slack: ready, a message
//! acked, a server-initiated reconnect, a second message acked, a clean disconnect, exit 0;
//! and the same by itself, with no arguments (its own mock).
//! Every wait is bounded; nothing sleeps to wait for something.
#![forbid(unsafe_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use rtm_testkit::{Fault, MockSlack, ServerOptions};

/// Generous for CI; the whole run normally takes about half a second.
const STEP: Duration = Duration::from_secs(15);

/// The running example, its stdout read line by line on a thread.
struct Program {
    child: Child,
    lines: Receiver<String>,
    transcript: Vec<String>,
}

impl Program {
    /// Starts the example with `args` and `SLACK_TOKEN` set to `token`.
    fn start(args: &[&str], token: Option<&str>) -> Program {
        let mut command = Command::new(env!("CARGO_BIN_EXE_blocking_transport"));
        match token {
            Some(token) => command.env("SLACK_TOKEN", token),
            None => command.env_remove("SLACK_TOKEN"),
        };
        let mut child = command
            .args(args)
            .env_remove("SLACK_API_URL")
            .env_remove("SLACK_CHANNEL")
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the example");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let transcript = Vec::new();
        Program {
            child,
            lines,
            transcript,
        }
    }

    /// The next line starting with `prefix`, skipping others; fails after `STEP`.
    fn expect(&mut self, prefix: &str) -> String {
        let deadline = Instant::now() + STEP;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.transcript.push(line.clone());
                    if line.starts_with(prefix) {
                        return line;
                    }
                }
                Err(e) => self.fail(&format!("no line starting with {prefix:?} ({e:?})")),
            }
        }
    }

    /// Waits for stdout to close (the process ended), then for its status.
    fn exit_status(&mut self) -> ExitStatus {
        let deadline = Instant::now() + STEP;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.transcript.push(line),
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => self.fail("the program did not exit"),
            }
        }
        self.child.wait().expect("wait for the example")
    }

    fn fail(&self, why: &str) -> ! {
        panic!("{why}; output so far:\n{}", self.transcript.join("\n"))
    }
}

impl Drop for Program {
    fn drop(&mut self) {
        // A failed test must not leave the example running.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The `ts` of an `ack N id=I ts=T` line, and the message id.
fn ack(line: &str) -> (u64, String) {
    let field = |name: &str| {
        let found = line.split(' ').find_map(|w| w.strip_prefix(name));
        found
            .unwrap_or_else(|| panic!("no {name} in {line:?}"))
            .to_owned()
    };
    let id = field("id=").parse().expect("numeric id");
    let ts = field("ts=");
    assert!(
        ts.contains('.') && ts != "(none)",
        "ack without a ts: {line:?}"
    );
    (id, ts)
}

/// `cause`: how the `reconnecting` line names the fault.
fn survives_a_server_initiated_reconnect(fault: Fault, cause: &str) {
    let slack = MockSlack::start(ServerOptions::default()).expect("start the mock");
    let mut program = Program::start(&[&slack.api_url()], Some("xoxb-test-token"));

    program.expect("ready 1");
    let (id1, ts1) = ack(&program.expect("ack 1 "));

    slack.inject(fault);
    let reconnecting = program.expect("reconnecting");
    assert!(
        reconnecting.contains(cause),
        "{reconnecting:?} should name {cause:?}"
    );
    program.expect("ready 2");
    let (id2, ts2) = ack(&program.expect("ack 2 "));
    program.expect("disconnected");
    let status = program.exit_status();
    assert!(
        status.success(),
        "exit status {status}; output:\n{}",
        program.transcript.join("\n")
    );

    // The server saw the program close the second connection (the close frame is answered).
    slack
        .wait_until_blocking(STEP, |r| {
            r.connections.len() == 2 && r.connections.iter().all(|c| !c.is_open())
        })
        .expect("both connections closed");
    let record = slack.record();
    assert_eq!(record.web_calls.len(), 2, "one rtm.connect per connection");
    assert!(
        record
            .web_calls
            .iter()
            .all(|c| c.status == 200 && c.token.as_deref() == Some("xoxb-test-token"))
    );
    // Each message went on its own connection, and the ts printed is the one the server sent.
    for (conn, (id, ts)) in record.connections.iter().zip([(id1, ts1), (id2, ts2)]) {
        let messages: Vec<_> = conn
            .from_client_json()
            .into_iter()
            .filter(|f| f["type"] == "message")
            .collect();
        assert_eq!(
            messages.len(),
            1,
            "one message on {}: {messages:?}",
            conn.conn
        );
        assert_eq!(messages[0]["id"], id);
        assert_eq!(messages[0]["channel"], "C0GENERAL");
        let reply = conn.reply_to(id).expect("the server acked it");
        assert_eq!(reply["ts"], ts.as_str());
    }
    assert_eq!(slack.history("C0GENERAL").len(), 2);
}

#[test]
fn reconnects_after_goodbye() {
    survives_a_server_initiated_reconnect(Fault::goodbye(), "goodbye");
}

#[test]
fn reconnects_after_server_close() {
    let reason = "server restarting".to_owned();
    survives_a_server_initiated_reconnect(Fault::Close { code: 4000, reason }, "code 4000");
}

/// With no arguments the example starts its own mock Slack, which says goodbye after the first
/// ack: the whole path runs, and the program ends by itself with 0.
#[test]
fn runs_by_itself_against_its_own_mock() {
    let started = Instant::now();
    let mut program = Program::start(&[], None);
    let banner = program.expect("no API URL given: started a mock Slack at http://127.0.0.1:");
    assert!(banner.ends_with("/api/"), "{banner:?}");
    program.expect("ready 1");
    ack(&program.expect("ack 1 "));
    program.expect("demo: the mock Slack sends goodbye");
    let reconnecting = program.expect("reconnecting");
    assert!(reconnecting.contains("goodbye"), "{reconnecting:?}");
    program.expect("ready 2");
    ack(&program.expect("ack 2 "));
    program.expect("disconnected");
    let status = program.exit_status();
    assert!(
        status.success(),
        "exit status {status}; output:\n{}",
        program.transcript.join("\n")
    );
    // Bounded by STEP per line above; the whole run normally takes well under a second.
    eprintln!(
        "blocking_transport ran by itself in {:?}",
        started.elapsed()
    );
}

/// A token and no API URL: Slack's API, never the example's own mock (a real token must not
/// go to a stand-in).
#[test]
fn a_token_without_a_url_goes_to_slack_not_to_a_mock() {
    let mut program = Program::start(&[], Some("xoxb-not-for-a-mock"));
    let first = program.expect("no API URL given:");
    assert!(first.contains("https://slack.com/api/"), "{first:?}");
    assert!(!first.contains("mock"), "{first:?}");
}
