//! `presence`: watches users' presence and prints each change.
//!
//! ```sh
//! SLACK_TOKEN=xoxb-… cargo run -p rtm-examples --bin presence -- U024BE7LH U0G9QF9C6
//! cargo run -p rtm-examples --bin presence          # the embedded mock Slack
//! ```
//!
//! Slack sends `presence_change` only for the users a connection subscribed to
//! (`presence_sub`), and a subscription lasts as long as its connection: so the program
//! subscribes again on every `ready`, after each reconnect. Changes come one user at a time
//! (`"user":"U1"`) or batched (`"users":["U1","U2"]`, with `--batch`); both are printed per
//! user. Without a token it runs against the embedded mock Slack, where scripted users change
//! presence, and exits after a few changes.
#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use futures::StreamExt;
use futures::channel::mpsc;
use rtm_examples::{Clock, Interrupt, describe, given, init_tracing};
use rtm_testkit::model::{DEFAULT_TOKEN, Script};
use rtm_testkit::{MockSlack, ServerOptions, Target, UserAction, Workspace};
use rtm_tokio::{BuilderExt, ClientBuilder, Event, Lagged, RtmClient, TypedEvent};
use serde_json::json;

#[derive(Debug, Parser)]
#[command(
    name = "presence",
    about = "Print the presence changes of Slack users",
    long_about = "Subscribes to the presence of the given users and prints every change, \
                  one line per user: `[time] presence   U123 is now away`. Batched events \
                  (--batch) are printed per user too, marked (batched).\n\n\
                  Without a token it runs against an embedded mock Slack, watching all its \
                  users while scripted users change presence, and exits after a few changes. \
                  Logs go to stderr (RUST_LOG)."
)]
struct Args {
    /// User ids to watch (required with a token; default with the mock: all its users).
    ids: Vec<String>,
    /// Slack token (xoxb-…); without one, the embedded mock Slack is used.
    #[arg(long, env = "SLACK_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Web API base URL.
    #[arg(long, env = "SLACK_API_URL", default_value = rtm_tokio::DEFAULT_API_URL)]
    api_url: String,
    /// Ask Slack for batched presence events (rtm.connect batch_presence_aware).
    #[arg(long)]
    batch: bool,
    /// Exit (after a clean disconnect) once this many changes were printed.
    #[arg(long)]
    count: Option<usize>,
}

/// Prints lifecycle events and presence changes; subscribes on every `ready`. Returns once
/// `limit` changes were printed (`Ok`), or when the session ends for good.
async fn watch(
    client: &RtmClient,
    ids: &[String],
    limit: Option<usize>,
    clock: Clock,
    changes: Option<mpsc::UnboundedSender<usize>>,
) -> Result<(), String> {
    // Subscribed before start(): the session's first `ready` waits in this stream.
    let mut events = client.events();
    client
        .start()
        .await
        .map_err(|e| format!("{e} ({})", e.code()))?;
    let mut printed = 0;
    loop {
        let event = match events.next().await {
            None => return Err("the client shut down".into()),
            Some(Err(Lagged(n))) => {
                clock.say("lagged", format!("missed {n} events"));
                continue;
            }
            Some(Ok(event)) => event,
        };
        match event.event() {
            Event::Ready => {
                clock.say("lifecycle", "ready");
                // The subscription belongs to the connection: renew it on each one.
                let subscribed = client.subscribe_presence(ids);
                let n = ids.len();
                tokio::spawn(async move {
                    match subscribed.await {
                        Ok(()) => clock.say("subscribe", format!("presence_sub for {n} users")),
                        Err(e) => clock.say("subscribe", format!("failed: {e}")),
                    }
                });
            }
            Event::Disconnected { error: Some(e) } => return Err(format!("{e} ({})", e.code())),
            Event::Slack(e) => {
                let Ok(TypedEvent::PresenceChange(p)) = e.typed() else {
                    continue;
                };
                let (users, batched) = match (p.users, p.user) {
                    (Some(users), _) => (users, " (batched)"),
                    (None, Some(user)) => (vec![user], ""),
                    (None, None) => continue,
                };
                for user in users {
                    clock.say("presence", format!("{user} is now {}{batched}", p.presence));
                    printed += 1;
                    if let Some(tx) = &changes {
                        let _ = tx.unbounded_send(printed);
                    }
                    if limit.is_some_and(|l| printed >= l) {
                        return Ok(());
                    }
                }
            }
            Event::OutgoingMessage { .. } => {}
            other => {
                let (label, text) = describe(other);
                clock.say(label, text);
            }
        }
    }
}

/// Runs `watch` until it is done or Ctrl-C, then disconnects cleanly.
async fn watch_then_disconnect(
    client: &RtmClient,
    ids: &[String],
    limit: Option<usize>,
    clock: Clock,
    changes: Option<mpsc::UnboundedSender<usize>>,
) -> Result<(), String> {
    let mut interrupt = Interrupt::new().map_err(|e| format!("cannot listen for Ctrl-C: {e}"))?;
    let outcome = tokio::select! {
        r = watch(client, ids, limit, clock, changes) => r,
        () = interrupt.recv() => Ok(()),
    };
    client.disconnect().await.map_err(|e| e.to_string())?;
    clock.say("lifecycle", "disconnected");
    outcome
}

/// No token: the embedded mock Slack, where alice and bob come and go.
async fn demo(ids: Vec<String>, batch: bool, limit: Option<usize>) -> Result<(), String> {
    let clock = Clock::start();
    let workspace = Workspace::default();
    let bot = workspace.bot_user_id.clone();
    let ids = if ids.is_empty() {
        let all: Vec<String> = workspace
            .users
            .iter()
            .map(|u| u.id.clone())
            .filter(|id| *id != bot)
            .collect();
        all
    } else {
        ids
    };
    let slack = MockSlack::start(ServerOptions::default().workspace(workspace))
        .map_err(|e| e.to_string())?;
    println!("No SLACK_TOKEN set: running against the embedded mock Slack.");
    println!("  API URL {}; watching {}", slack.api_url(), ids.join(", "));
    println!();
    let client = ClientBuilder::new(DEFAULT_TOKEN)
        .api_url(slack.api_url())
        .batch_presence_aware(batch)
        .build()
        .map_err(|e| e.to_string())?;

    // Four single changes (each user away, then back), then one batched event for all.
    let script: Vec<(&str, &str)> = ["away", "away", "active", "active"]
        .into_iter()
        .zip(ids.iter().cycle())
        .map(|(presence, user)| (user.as_str(), presence))
        .collect();
    let singles = script.len();
    let expected = singles + ids.len();
    let limit = limit.unwrap_or(expected);

    let (tx, mut changes) = mpsc::unbounded();
    let director = async {
        // Presence changes reach only subscribed connections: wait for the subscription.
        let subscribed = |r: &rtm_testkit::Record| {
            r.last_conn()
                .and_then(|c| c.presence_sub.as_ref())
                .is_some_and(|s| !s.is_empty())
        };
        slack
            .wait_until(Duration::from_secs(5), subscribed)
            .await
            .map_err(|e| e.to_string())?;
        let mut steps = Script::new();
        for (i, (user, presence)) in script.iter().enumerate() {
            steps = steps.then(
                Duration::from_millis(50 * (i as u64 + 1)),
                UserAction::Presence {
                    user: (*user).to_owned(),
                    presence: (*presence).to_owned(),
                },
            );
        }
        slack.run_script(&steps);
        while changes.next().await.is_some_and(|n| n < singles) {}
        // Slack batches changes for clients that asked (batch_presence_aware); the mock's
        // scripted users change one at a time, so the batch is pushed as Slack would send it.
        slack.push_event(
            Target::All,
            &json!({"type": "presence_change", "users": ids, "presence": "away"}),
        );
        Ok::<(), String>(())
    };
    let (watched, directed) = futures::join!(
        watch_then_disconnect(&client, &ids, Some(limit), clock, Some(tx)),
        director
    );
    directed?;
    watched?;
    clock.say("done", format!("{limit} presence changes seen"));
    drop(client);
    slack.shutdown();
    Ok(())
}

/// The demo must end by itself even if something is broken.
const DEMO_LIMIT: Duration = Duration::from_secs(20);

fn main() -> ExitCode {
    init_tracing();
    let args = Args::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("presence: cannot start the tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async {
        match given(args.token) {
            None => tokio::time::timeout(DEMO_LIMIT, demo(args.ids, args.batch, args.count))
                .await
                .unwrap_or_else(|_| Err(format!("the demo did not finish within {DEMO_LIMIT:?}"))),
            Some(_) if args.ids.is_empty() => {
                Err("give the ids of the users to watch, e.g. `presence U024BE7LH`".into())
            }
            Some(token) => {
                let clock = Clock::start();
                let client = ClientBuilder::new(token)
                    .api_url(args.api_url)
                    .batch_presence_aware(args.batch)
                    .build()
                    .map_err(|e| e.to_string())?;
                watch_then_disconnect(&client, &args.ids, args.count, clock, None).await
            }
        }
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("presence: {e}");
            ExitCode::FAILURE
        }
    }
}
