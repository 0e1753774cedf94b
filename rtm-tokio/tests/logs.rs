//! What an operator reads: reconnects at WARN with reason, attempt and delay, inside a span
//! that names the client.

mod common;

use common::*;
use futures::StreamExt;
use rtm_testkit::Fault;
use rtm_testkit::logs::Captured;
use rtm_tokio::BuilderExt;

fn capture() -> (Captured, tracing::subscriber::DefaultGuard) {
    let captured = Captured::new();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter("rtm_driver=info")
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    (captured, tracing::subscriber::set_default(subscriber))
}

/// The driver runs on this thread (a current-thread runtime), so the thread's subscriber
/// sees its lines.
#[tokio::test(flavor = "current_thread")]
async fn reconnect_lines_carry_the_clients_span_and_name() {
    let slack = server();
    let (logs, _guard) = capture();
    let client = builder(&slack).name("bot-7").build().unwrap();
    let mut events = client.subscribe_filtered(["ready"]);
    within(client.start()).await.unwrap();
    within(events.next()).await.unwrap().unwrap();
    slack.inject(Fault::goodbye());
    within(events.next()).await.unwrap().unwrap();
    let text = logs.text();
    let reconnect = text
        .lines()
        .find(|l| l.contains("reconnecting"))
        .unwrap_or_else(|| panic!("no reconnect line in:\n{text}"));
    assert!(reconnect.contains("WARN"), "{reconnect}");
    assert!(reconnect.contains("rtm{name=bot-7}"), "{reconnect}");
    assert!(reconnect.contains("attempt=1"), "{reconnect}");
    assert!(reconnect.contains("delay_ms="), "{reconnect}");
    assert!(reconnect.contains("goodbye"), "the reason: {reconnect}");
    let ready = text
        .lines()
        .filter(|l| l.contains("INFO") && l.contains("ready"));
    assert_eq!(ready.count(), 2, "{text}");
    assert!(!text.contains(TOKEN), "the token never reaches a log");
}

#[tokio::test(flavor = "current_thread")]
async fn an_unnamed_client_is_named_by_its_team_and_user() {
    let slack = server();
    let (logs, _guard) = capture();
    let client = builder(&slack).build().unwrap();
    let info = within(client.start()).await.unwrap();
    let text = logs.text();
    let name = format!("rtm{{name={}/{}}}", info.team_id, info.self_id);
    let ready = text
        .lines()
        .find(|l| l.contains("ready"))
        .unwrap_or_else(|| panic!("no ready line in:\n{text}"));
    assert!(ready.contains(&name), "{ready}");
}
