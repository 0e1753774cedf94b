//! An echo bot: replies to every message that mentions it, in the same channel (and in the
//! same thread when the message is in one).
//!
//! ```sh
//! SLACK_TOKEN=xoxb-… cargo run -p rtm-examples --bin echo_bot    # a real workspace
//! cargo run -p rtm-examples --bin echo_bot                       # the embedded mock Slack
//! SLACK_APP_TOKEN=xapp-… SLACK_BOT_TOKEN=xoxb-… \
//!     cargo run -p rtm-examples --bin echo_bot -- --socket-mode    # Socket Mode, real workspace
//! cargo run -p rtm-examples --bin echo_bot -- --socket-mode        # Socket Mode, embedded mock
//! ```
//!
//! Without a token it starts the embedded mock Slack (rtm-testkit), where scripted users talk
//! to the bot, and narrates the whole session: connect, events, the bot's replies with the
//! `ts` of their acks, a server-initiated reconnect (`goodbye`) and the session resuming, then
//! a clean disconnect. It ends by itself in about a second. Logs: `RUST_LOG=rtm_driver=debug`.
//!
//! `--socket-mode` runs the same bot over Socket Mode (the code is in `socket_mode` below):
//! it answers `app_mention` events in their thread through `chat.postMessage` and slash
//! commands through the ack's payload. Without tokens it narrates a session against the
//! embedded mock, a connection refresh included.
#![forbid(unsafe_code)]

#[path = "echo_bot/socket_mode.rs"]
mod socket_mode;

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use futures::StreamExt;
use futures::channel::mpsc;
use rtm_examples::{Clock, Interrupt, describe, given, init_tracing, mentions, replace_mentions};
use rtm_testkit::model::{DEFAULT_TOKEN, Script};
use rtm_testkit::{Fault, MockSlack, ServerOptions, Target, UserAction};
use rtm_tokio::{
    BuilderExt, ClientBuilder, Event, Events, Lagged, RetryLimit, RetryPolicy, RtmClient, RtmError,
    Sent, TypedEvent,
};
use serde_json::json;

#[derive(Debug, Parser)]
#[command(
    name = "echo_bot",
    about = "A Slack RTM bot that echoes the messages that mention it",
    long_about = "A Slack RTM bot that echoes the messages that mention it, in the same \
                  channel (in the thread, when the message is in one).\n\n\
                  With no token it runs a narrated demo against an embedded mock Slack and \
                  exits. Logs go to stderr (RUST_LOG)."
)]
struct Args {
    /// Bot token (xoxb-…); without one, the demo against the embedded mock Slack runs.
    #[arg(long, env = "SLACK_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Web API base URL.
    #[arg(long, env = "SLACK_API_URL", default_value = rtm_tokio::DEFAULT_API_URL)]
    api_url: String,
    /// Run over Socket Mode (app-level token + bot token) instead of RTM.
    #[arg(long)]
    socket_mode: bool,
    /// Socket Mode: the app-level token (xapp-…, scope connections:write); without it (and
    /// --bot-token), the Socket Mode demo against the embedded mock Slack runs.
    #[arg(long, env = "SLACK_APP_TOKEN", hide_env_values = true)]
    app_token: Option<String>,
    /// Socket Mode: the bot token (xoxb-…) the replies are posted with (chat.postMessage).
    #[arg(long, env = "SLACK_BOT_TOKEN", hide_env_values = true)]
    bot_token: Option<String>,
}

/// What the bot saw and did, reported after it was printed: the demo waits on these (rather
/// than on a stream of its own) so that its narration comes in order with the bot's output.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    Ready,
    Reconnecting,
    Replied { ts: String },
    Ignored,
    Failed,
}

/// The bot: prints every event and echoes mentions, until the session ends for good
/// (`disconnected`); returns that event's error, if any.
async fn run_bot(
    client: RtmClient,
    mut events: Events,
    clock: Clock,
    seen: Option<mpsc::UnboundedSender<Seen>>,
) -> Option<RtmError> {
    let report = |h: Seen| {
        if let Some(tx) = &seen {
            let _ = tx.unbounded_send(h);
        }
    };
    while let Some(item) = events.next().await {
        let event = match item {
            Ok(event) => event,
            Err(Lagged(n)) => {
                clock.say(
                    "lagged",
                    format!("missed {n} events (this reader was too slow)"),
                );
                continue;
            }
        };
        let (label, text) = describe(&event);
        clock.say(label, text);
        match event.event() {
            // With auto-reconnect on, `disconnected` means the session is over for good.
            Event::Disconnected { error } => return error.clone(),
            Event::Ready => report(Seen::Ready),
            Event::Reconnecting { .. } => report(Seen::Reconnecting),
            Event::Slack(e) => {
                let Ok(TypedEvent::Message(m)) = e.typed() else {
                    continue;
                };
                let me = client.active_user_id().unwrap_or_default();
                let text = m.text.as_deref().unwrap_or("");
                // Plain user messages only: not edits, joins, bots (ourselves included).
                let from_a_person = matches!(m.subtype.as_deref(), None | Some("thread_broadcast"))
                    && m.bot_id.is_none()
                    && m.user.as_deref() != Some(me.as_str());
                let (Some(channel), Some(user)) = (m.channel, m.user) else {
                    continue;
                };
                if !from_a_person || me.is_empty() || !mentions(text, &me) {
                    report(Seen::Ignored);
                    continue;
                }
                // Quoted with our mention spelled out, so the echo does not mention us again.
                let name = client
                    .status()
                    .info
                    .map_or_else(|| "me".to_owned(), |i| i.self_name.clone());
                let echo = replace_mentions(text, &me, &format!("@{name}"));
                let reply = format!("<@{user}> said: “{echo}”");
                let mut body = json!({ "channel": channel, "text": reply });
                if let Some(thread) = &m.thread_ts {
                    body["thread_ts"] = json!(thread);
                }
                // Spawned, so a slow ack (or pacing) never holds up the event loop.
                let sent = client.add_outgoing_event(true, "message", body);
                let seen = seen.clone();
                let where_ = match &m.thread_ts {
                    Some(t) => format!("{channel} thread {t}"),
                    None => channel.clone(),
                };
                tokio::spawn(async move {
                    let outcome = match sent.await {
                        Ok(Sent::Replied(ack)) => {
                            let ts = ack.ts.unwrap_or_default();
                            clock.say("reply", format!("posted in {where_}, ts={ts}: {reply}"));
                            Seen::Replied { ts }
                        }
                        Ok(Sent::Written { id }) => {
                            clock.say("reply", format!("#{id} written in {where_} (no ack)"));
                            Seen::Failed
                        }
                        Err(e) => {
                            clock.say("reply", format!("failed in {where_}: {e} ({})", e.code()));
                            Seen::Failed
                        }
                    };
                    if let Some(tx) = seen {
                        let _ = tx.unbounded_send(outcome);
                    }
                });
            }
            _ => {}
        }
    }
    None
}

/// A real workspace: run until Ctrl-C, then disconnect cleanly.
async fn live(token: String, api_url: String) -> Result<(), String> {
    let clock = Clock::start();
    let mut interrupt = Interrupt::new().map_err(|e| format!("cannot listen for Ctrl-C: {e}"))?;
    let client = ClientBuilder::new(token)
        .api_url(api_url)
        .build()
        .map_err(|e| e.to_string())?;
    let bot = tokio::spawn(run_bot(client.clone(), client.events(), clock, None));
    let info = client.start().await.map_err(|e| e.to_string())?;
    println!(
        "echo_bot is {} ({}) on {} ({}); mention it to get an echo. Ctrl-C to stop.",
        info.self_name, info.self_id, info.team_name, info.team_id
    );
    let mut bot = bot;
    tokio::select! {
        ended = &mut bot => {
            return match ended {
                Ok(Some(e)) => Err(e.to_string()),
                Ok(None) => Ok(()),
                Err(e) => Err(format!("the bot task failed: {e}")),
            };
        }
        () = interrupt.recv() => {}
    }
    clock.say("signal", "Ctrl-C: disconnecting");
    client.disconnect().await.map_err(|e| e.to_string())?;
    match bot.await {
        Ok(None) => Ok(()),
        Ok(Some(e)) => Err(e.to_string()),
        Err(e) => Err(format!("the bot task failed: {e}")),
    }
}

/// Waits until the bot has reported `n` things that satisfy `want`; returns all it reported.
async fn wait_seen(
    rx: &mut mpsc::UnboundedReceiver<Seen>,
    mut n: usize,
    want: impl Fn(&Seen) -> bool,
) -> Result<Vec<Seen>, String> {
    let mut all = Vec::new();
    while n > 0 {
        let h = rx.next().await.ok_or("the bot stopped")?;
        if want(&h) {
            n -= 1;
        }
        all.push(h);
    }
    Ok(all)
}

/// No token: the narrated session against the embedded mock Slack.
async fn demo() -> Result<(), String> {
    let clock = Clock::start();
    let slack = MockSlack::start(ServerOptions::default()).map_err(|e| e.to_string())?;
    println!("No SLACK_TOKEN set: running against the embedded mock Slack.");
    println!(
        "  API URL {}  (team Test Team, users U0ALICE and U0BOB)",
        slack.api_url()
    );
    println!("  Set SLACK_TOKEN=xoxb-… to run the bot on a real workspace.");
    println!();
    let client = ClientBuilder::new(DEFAULT_TOKEN)
        .api_url(slack.api_url())
        .retry(demo_retry())
        .build()
        .map_err(|e| e.to_string())?;
    let (tx, mut seen) = mpsc::unbounded();
    let bot = tokio::spawn(run_bot(client.clone(), client.events(), clock, Some(tx)));

    let info = client.start().await.map_err(|e| e.to_string())?;
    wait_seen(&mut seen, 1, |s| s == &Seen::Ready).await?;
    clock.say(
        "demo",
        format!(
            "start() returned: the bot is {} ({}) on {} ({}, {}.slack.com)",
            info.self_name, info.self_id, info.team_name, info.team_id, info.team_domain
        ),
    );

    // Act 1: alice mentions the bot, bob chats without mentioning it.
    clock.say("demo", "alice and bob start talking in C0GENERAL");
    let me = info.self_id.clone();
    slack.run_script(
        &Script::new()
            .then(
                Duration::from_millis(50),
                UserAction::Typing {
                    user: "U0ALICE".into(),
                    channel: "C0GENERAL".into(),
                },
            )
            .then(
                Duration::from_millis(150),
                UserAction::Message {
                    user: "U0ALICE".into(),
                    channel: "C0GENERAL".into(),
                    text: format!("hey <@{me}>, can you echo this?"),
                },
            )
            .then(
                Duration::from_millis(250),
                UserAction::Message {
                    user: "U0BOB".into(),
                    channel: "C0GENERAL".into(),
                    text: "lunch at noon? (no mention: the bot stays quiet)".into(),
                },
            ),
    );
    let first = wait_seen(&mut seen, 2, |s| {
        matches!(s, Seen::Replied { .. } | Seen::Ignored)
    })
    .await?;
    if !first.iter().any(|s| matches!(s, Seen::Replied { .. })) {
        return Err("the bot did not reply to alice".into());
    }

    // Act 2: Slack says goodbye (it does so before closing a connection); the client
    // reconnects with a fresh rtm.connect and the session resumes.
    clock.say("demo", "the server sends goodbye on the bot's connection");
    slack.inject(Fault::goodbye());
    wait_seen(&mut seen, 1, |s| s == &Seen::Reconnecting).await?;
    wait_seen(&mut seen, 1, |s| s == &Seen::Ready).await?;
    clock.say(
        "demo",
        format!(
            "session resumed on a new connection ({} opened so far)",
            slack.record().connections.len()
        ),
    );

    // Act 3: alice replies in a thread under her first message; the bot answers in it.
    let parent = slack
        .history("C0GENERAL")
        .into_iter()
        .find(|m| m.user == "U0ALICE")
        .map(|m| m.ts)
        .ok_or("alice's message is not in the history")?;
    clock.say("demo", format!("alice replies in the thread of {parent}"));
    slack.push_event(
        Target::All,
        &json!({
            "type": "message", "channel": "C0GENERAL", "user": "U0ALICE",
            "text": format!("<@{me}> and once more, in the thread"),
            "ts": "1700000100.000001", "thread_ts": parent, "team": info.team_id,
        }),
    );
    wait_seen(&mut seen, 1, |s| matches!(s, Seen::Replied { .. })).await?;

    // The end: a clean disconnect; the bot's loop ends with the `disconnected` event.
    clock.say("demo", "disconnecting");
    client.disconnect().await.map_err(|e| e.to_string())?;
    match bot.await {
        Ok(None) => {}
        Ok(Some(e)) => return Err(format!("the session ended with an error: {e}")),
        Err(e) => return Err(format!("the bot task failed: {e}")),
    }
    let bot_posts = slack
        .history("C0GENERAL")
        .iter()
        .filter(|m| m.user == me)
        .count();
    clock.say(
        "demo",
        format!("done: the bot posted {bot_posts} replies; disconnected cleanly"),
    );
    drop(client);
    slack.shutdown();
    Ok(())
}

/// The demo must end by itself even if something is broken.
pub(crate) const DEMO_LIMIT: Duration = Duration::from_secs(20);

fn main() -> ExitCode {
    init_tracing();
    let args = Args::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("echo_bot: cannot start the tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async {
        if args.socket_mode {
            return match (given(args.app_token), given(args.bot_token)) {
                (Some(app), Some(bot)) => socket_mode::live(app, bot, args.api_url).await,
                (None, None) => tokio::time::timeout(DEMO_LIMIT, socket_mode::demo())
                    .await
                    .unwrap_or_else(|_| {
                        Err(format!("the demo did not finish within {DEMO_LIMIT:?}"))
                    }),
                (Some(_), None) => Err(
                    "--socket-mode needs a bot token too (SLACK_BOT_TOKEN or --bot-token): \
                     replies are posted with it"
                        .to_owned(),
                ),
                (None, Some(_)) => Err(
                    "--socket-mode needs an app-level token too (SLACK_APP_TOKEN or \
                     --app-token, xapp-…)"
                        .to_owned(),
                ),
            };
        }
        match given(args.token) {
            Some(token) => live(token, args.api_url).await,
            None => tokio::time::timeout(DEMO_LIMIT, demo())
                .await
                .unwrap_or_else(|_| Err(format!("the demo did not finish within {DEMO_LIMIT:?}"))),
        }
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("echo_bot: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The demos' retries: short delays keep them snappy, and a session older than the initial
/// delay is "stable", so a goodbye or a refresh leads to an immediate reconnect.
fn demo_retry() -> RetryPolicy {
    RetryPolicy::default()
        .with_first_start(RetryLimit::Attempts(5))
        .with_reconnect(RetryLimit::Attempts(5))
        .with_initial_delay(Duration::from_millis(50))
        .with_factor(2.0)
        .with_max_delay(Duration::from_millis(500))
}
