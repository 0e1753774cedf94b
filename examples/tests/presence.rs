//! `presence`: the demo against its embedded mock Slack, and watching given users against a
//! mock Slack started by the test, including the renewed subscription after a reconnect.
#![forbid(unsafe_code)]

mod common;

use common::{Program, STEP};
use rtm_testkit::model::DEFAULT_TOKEN;
use rtm_testkit::{Fault, MockSlack, ServerOptions, Target, UserAction};
use serde_json::json;

#[test]
fn the_demo_without_a_token_prints_changes_and_exits() {
    let mut p = Program::start("presence", env!("CARGO_BIN_EXE_presence"), &[], &[]);
    let (status, stderr) = p.wait_exit();
    let out = p.transcript.join("\n");
    assert!(status.success(), "{status}\n{out}\n{stderr}");
    let changes: Vec<&String> = p
        .transcript
        .iter()
        .filter(|l| l.contains("] presence "))
        .collect();
    assert_eq!(changes.len(), 6, "{out}");
    assert!(changes[0].ends_with("U0ALICE is now away"), "{out}");
    assert!(changes[1].ends_with("U0BOB is now away"), "{out}");
    assert!(changes[2].ends_with("U0ALICE is now active"), "{out}");
    assert!(changes[3].ends_with("U0BOB is now active"), "{out}");
    assert!(
        changes[4].ends_with("U0ALICE is now away (batched)"),
        "{out}"
    );
    assert!(changes[5].ends_with("U0BOB is now away (batched)"), "{out}");
}

fn subscribed_on(slack: &MockSlack, conn_index: usize) {
    slack
        .wait_until_blocking(STEP, |r| {
            r.connections.get(conn_index).is_some_and(|c| {
                c.is_open() && c.presence_sub.as_deref() == Some(&["U0ALICE".to_owned()][..])
            })
        })
        .unwrap_or_else(|e| panic!("no presence_sub on connection #{}: {e}", conn_index + 1));
}

#[test]
fn watches_the_given_users_and_resubscribes_after_a_reconnect() {
    let slack = MockSlack::start(ServerOptions::default()).expect("mock slack starts");
    let mut p = Program::start(
        "presence",
        env!("CARGO_BIN_EXE_presence"),
        &["U0ALICE", "--count", "3"],
        &[
            ("SLACK_TOKEN", DEFAULT_TOKEN),
            ("SLACK_API_URL", &slack.api_url()),
        ],
    );
    subscribed_on(&slack, 0);
    let presence = |user: &str, presence: &str| UserAction::Presence {
        user: user.into(),
        presence: presence.into(),
    };
    // bob is not watched: the mock, like Slack, does not even send his change.
    slack.act(presence("U0BOB", "away")).unwrap();
    slack.act(presence("U0ALICE", "away")).unwrap();
    p.expect("alice away", |l| l.ends_with("U0ALICE is now away"));

    // A new connection has no subscription: the program renews it on `ready`.
    slack.inject(Fault::Close {
        code: 1012,
        reason: "restart".into(),
    });
    subscribed_on(&slack, 1);
    slack.act(presence("U0ALICE", "active")).unwrap();
    p.expect("alice active", |l| l.ends_with("U0ALICE is now active"));

    // A batched change counts per user; the third change ends the program.
    slack.push_event(
        Target::All,
        &json!({"type": "presence_change", "users": ["U0ALICE"], "presence": "away"}),
    );
    p.expect("the batch", |l| {
        l.ends_with("U0ALICE is now away (batched)")
    });
    let (status, stderr) = p.wait_exit();
    assert!(status.success(), "{status}: {stderr}");
    assert!(
        !p.transcript.iter().any(|l| l.contains("U0BOB")),
        "{:?}",
        p.transcript
    );
    slack
        .wait_until_blocking(STEP, |r| r.active_connections() == 0)
        .expect("disconnected");
}

#[test]
fn a_token_without_ids_is_a_usage_error() {
    let slack = MockSlack::start(ServerOptions::default()).expect("mock slack starts");
    let mut p = Program::start(
        "presence",
        env!("CARGO_BIN_EXE_presence"),
        &[],
        &[
            ("SLACK_TOKEN", DEFAULT_TOKEN),
            ("SLACK_API_URL", &slack.api_url()),
        ],
    );
    let (status, stderr) = p.wait_exit();
    assert_eq!(status.code(), Some(1));
    assert!(stderr.contains("give the ids"), "{stderr}");
}
