//! `echo_bot --socket-mode`: the echo bot over Socket Mode. Mentions arrive as `app_mention`
//! events in `events_api` envelopes; each envelope is acked at once, and the echo is posted
//! with the bot token (`chat.postMessage`) in the mention's thread. A slash command is
//! answered through its ack's payload (`ack_with`), which Slack shows to the user who typed it.

use std::collections::HashSet;
use std::time::Duration;

use futures::StreamExt;
use futures::channel::mpsc;
use rtm_examples::{Clock, Interrupt, replace_mentions};
use rtm_testkit::{
    Fault, MockSlack, ServerOptions, SlashCommand as MockSlashCommand, SocketModeConfig, Target,
    UserAction,
};
use rtm_tokio::{
    BuilderExt, ChatPostMessage, Envelope, EnvelopeType, Lagged, SocketModeBuilder,
    SocketModeClient, SocketModeError, SocketModeEvent,
};
use serde_json::{Value, json};

/// What the bot saw and did, reported after it was printed (as in the RTM demo).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    Connected,
    Refreshing,
    Refreshed,
    /// An envelope arrived (its id).
    Envelope(String),
    /// Its ack was written.
    Acked(String),
    Replied {
        ts: String,
    },
    /// A slash command answered through the ack's payload.
    Answered(String),
    Failed,
}

/// One line for a lifecycle event, or `None` for those the bot does not narrate.
fn describe(event: &SocketModeEvent) -> Option<String> {
    Some(match event {
        SocketModeEvent::Connecting { conn, refresh } => format!(
            "connecting {conn} (apps.connections.open){}",
            if *refresh { ", a replacement" } else { "" }
        ),
        SocketModeEvent::Connected(hello) => format!(
            "connected: app {} on {}, num_connections={}",
            hello.app_id.as_deref().unwrap_or("?"),
            hello.conn,
            hello
                .num_connections
                .map_or("?".to_owned(), |n| n.to_string()),
        ),
        SocketModeEvent::Refreshing { reason } => {
            format!("refreshing ({reason:?}): opening a replacement beside the live connection")
        }
        SocketModeEvent::Refreshed { old, new } => {
            format!("refreshed: {new} in use; {old} is drained, then closed")
        }
        SocketModeEvent::Disconnect { conn, reason } => {
            format!("Slack sent disconnect ({reason:?}) on {conn}")
        }
        SocketModeEvent::Reconnecting {
            attempt,
            delay,
            reason,
        } => format!(
            "reconnecting (attempt {attempt}, in {} ms): {reason}",
            delay.as_millis()
        ),
        SocketModeEvent::Disconnected { error: None } => "disconnected".to_owned(),
        SocketModeEvent::Disconnected { error: Some(e) } => format!("disconnected: {e}"),
        SocketModeEvent::Redelivered {
            envelope_id,
            retry_attempt,
        } => format!("redelivery {retry_attempt} of {envelope_id} filtered out (acked again)"),
        SocketModeEvent::AckLate { envelope_id } => {
            format!("{envelope_id} is not acked yet: Slack will redeliver it")
        }
        SocketModeEvent::Error(e) => format!("error: {e}"),
        _ => return None,
    })
}

/// The user who wrote the event, and whether it is a bot (the bot itself included).
fn from_a_bot(event: &Value, me: Option<&str>) -> bool {
    event.get("bot_id").is_some_and(|b| !b.is_null())
        || event.get("subtype").and_then(Value::as_str) == Some("bot_message")
        || (me.is_some() && event.get("user").and_then(Value::as_str) == me)
}

/// The bot user the envelope was delivered for (`authorizations[0].user_id`).
fn bot_user(payload: &Value) -> Option<String> {
    payload["authorizations"][0]["user_id"]
        .as_str()
        .map(str::to_owned)
}

/// The bot: narrates the lifecycle, acks every envelope at once, echoes mentions in their
/// thread and answers slash commands in the ack, until the session ends for good
/// (`disconnected`); returns that event's error, if any.
async fn run_bot(
    client: SocketModeClient,
    clock: Clock,
    seen: Option<mpsc::UnboundedSender<Seen>>,
) -> Option<SocketModeError> {
    let report = move |tx: &Option<mpsc::UnboundedSender<Seen>>, s: Seen| {
        if let Some(tx) = tx {
            let _ = tx.unbounded_send(s);
        }
    };
    // Lossless: every envelope is seen, so every envelope is acked.
    let mut events = client.events();
    while let Some(item) = events.next().await {
        let event = match item {
            Ok(event) => event,
            Err(Lagged(n)) => {
                clock.say("lagged", format!("missed {n} events"));
                continue;
            }
        };
        let envelope = match event.event() {
            SocketModeEvent::Envelope(envelope) => envelope.clone(),
            other => {
                if let Some(text) = describe(other) {
                    clock.say("lifecycle", text);
                }
                match other {
                    SocketModeEvent::Disconnected { error } => return error.clone(),
                    SocketModeEvent::Connected(_) => report(&seen, Seen::Connected),
                    SocketModeEvent::Refreshing { .. } => report(&seen, Seen::Refreshing),
                    SocketModeEvent::Refreshed { .. } => report(&seen, Seen::Refreshed),
                    _ => {}
                }
                continue;
            }
        };
        report(&seen, Seen::Envelope(envelope.envelope_id().to_owned()));
        handle(&client, envelope, clock, seen.clone());
    }
    None
}

/// One envelope: acked at once (spawned, so the event loop never waits on the socket), then
/// answered.
fn handle(
    client: &SocketModeClient,
    envelope: Envelope,
    clock: Clock,
    seen: Option<mpsc::UnboundedSender<Seen>>,
) {
    let report = move |s: Seen| {
        if let Some(tx) = &seen {
            let _ = tx.unbounded_send(s);
        }
    };
    let id = envelope.envelope_id().to_owned();
    if envelope.envelope_type() == &EnvelopeType::SlashCommands {
        // Answered in the ack itself: Slack shows the payload to whoever typed the command.
        let Some(Ok(cmd)) = envelope.slash_command() else {
            clock.say(
                "envelope",
                format!("{id}: a slash command that does not parse"),
            );
            let acked = client.ack(&envelope);
            tokio::spawn(async move {
                let _ = acked.await;
                report(Seen::Failed);
            });
            return;
        };
        let who = cmd.user_id.as_deref().unwrap_or("?");
        clock.say(
            "envelope",
            format!(
                "{id}: slash command {} {:?} from {who} in {}",
                cmd.command,
                cmd.text,
                cmd.channel_id.as_deref().unwrap_or("?")
            ),
        );
        let answer = json!({
            "response_type": "ephemeral",
            "text": format!("<@{who}> ran {}: “{}”", cmd.command, cmd.text),
        });
        let acked = client.ack_with(&envelope, &answer);
        tokio::spawn(async move {
            match acked.await {
                Ok(()) => {
                    clock.say("ack", format!("{id} acked with the answer {answer}"));
                    report(Seen::Acked(id.clone()));
                    report(Seen::Answered(id));
                }
                Err(e) => {
                    clock.say("ack", format!("{id} failed: {e} ({})", e.code()));
                    report(Seen::Failed);
                }
            }
        });
        return;
    }

    // Everything else: acked at once (within Slack's 3 s), whatever it holds.
    let acked = client.ack(&envelope);
    let inner = envelope.events_api().and_then(Result::ok);
    let kind = inner
        .as_ref()
        .and_then(|e| e.event_type.clone())
        .unwrap_or_else(|| envelope.envelope_type().as_str().to_owned());
    let event: Value = inner
        .as_ref()
        .and_then(|e| serde_json::from_str(&e.event).ok())
        .unwrap_or(Value::Null);
    let me = envelope.payload_json().ok().as_ref().and_then(bot_user);
    let field = |k: &str| event.get(k).and_then(Value::as_str).map(str::to_owned);
    let (user, channel, text) = (field("user"), field("channel"), field("text"));
    clock.say(
        "envelope",
        format!(
            "{id}: {kind} from {} in {}: {}",
            user.as_deref()
                .or(field("bot_id").as_deref())
                .unwrap_or("?"),
            channel.as_deref().unwrap_or("?"),
            text.as_deref().unwrap_or(""),
        ),
    );
    // The echo: app mentions from a person only (never the bot's own messages).
    let reply = match (kind.as_str(), channel, user) {
        ("app_mention", Some(channel), Some(user)) if !from_a_bot(&event, me.as_deref()) => {
            let echo = match &me {
                Some(me) => replace_mentions(text.as_deref().unwrap_or(""), me, "@echo_bot"),
                None => text.unwrap_or_default(),
            };
            // In the thread: the mention's own thread, or a new one under the mention.
            let thread = field("thread_ts").or_else(|| field("ts"));
            let mut message =
                ChatPostMessage::new(channel.clone(), format!("<@{user}> said: “{echo}”"));
            if let Some(t) = &thread {
                message = message.thread_ts(t.clone());
            }
            let where_ = match &thread {
                Some(t) => format!("{channel} thread {t}"),
                None => channel,
            };
            Some((client.web_api().post_message(message), where_))
        }
        _ => None,
    };
    tokio::spawn(async move {
        match acked.await {
            Ok(()) => {
                clock.say("ack", format!("{id} acked"));
                report(Seen::Acked(id));
            }
            Err(e) => {
                clock.say("ack", format!("{id} failed: {e} ({})", e.code()));
                report(Seen::Failed);
            }
        }
        let Some((posted, where_)) = reply else {
            return;
        };
        match posted.await {
            Ok(p) => {
                clock.say(
                    "reply",
                    format!("posted in {where_} via chat.postMessage, ts={}", p.ts),
                );
                report(Seen::Replied { ts: p.ts });
            }
            Err(e) => {
                clock.say("reply", format!("failed in {where_}: {e} ({})", e.code()));
                report(Seen::Failed);
            }
        }
    });
}

/// A real workspace: run until Ctrl-C, then disconnect cleanly (exit 0).
pub(crate) async fn live(
    app_token: String,
    bot_token: String,
    api_url: String,
) -> Result<(), String> {
    let clock = Clock::start();
    let mut interrupt = Interrupt::new().map_err(|e| format!("cannot listen for Ctrl-C: {e}"))?;
    let client = SocketModeBuilder::new(app_token)
        .bot_token(bot_token)
        .api_url(api_url)
        .auto_ack(false)
        .build()
        .map_err(|e| e.to_string())?;
    let mut bot = tokio::spawn(run_bot(client.clone(), clock, None));
    let hello = tokio::select! {
        started = client.start() => started.map_err(|e| e.to_string())?,
        () = interrupt.recv() => {
            clock.say("signal", "Ctrl-C: disconnecting");
            client.disconnect().await.map_err(|e| e.to_string())?;
            return Ok(());
        }
    };
    println!(
        "echo_bot (Socket Mode) is app {} ({} connection(s)); mention it or run its slash \
         command. Ctrl-C to stop.",
        hello.app_id.as_deref().unwrap_or("?"),
        hello.num_connections.unwrap_or(1),
    );
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

/// What the bot reported, as the demo reads it: every ack is remembered, whatever the demo
/// was waiting for when it came.
struct Reports {
    rx: mpsc::UnboundedReceiver<Seen>,
    acked: HashSet<String>,
    /// Every envelope the bot got, in order.
    delivered: Vec<String>,
}

impl Reports {
    /// Waits until the bot has reported something that satisfies `want`; returns it.
    async fn wait(&mut self, want: impl Fn(&Seen) -> bool) -> Result<Seen, String> {
        loop {
            let s = self.rx.next().await.ok_or("the bot stopped")?;
            match &s {
                Seen::Failed => return Err("the bot failed to ack or reply (see above)".into()),
                Seen::Acked(id) => {
                    self.acked.insert(id.clone());
                }
                Seen::Envelope(id) => self.delivered.push(id.clone()),
                _ => {}
            }
            if want(&s) {
                return Ok(s);
            }
        }
    }

    /// Waits until each of these envelopes is acked.
    async fn acked(&mut self, ids: &[String]) -> Result<(), String> {
        while !ids.iter().all(|id| self.acked.contains(id)) {
            self.wait(|s| matches!(s, Seen::Acked(_))).await?;
        }
        Ok(())
    }
}

/// An `events_api` envelope's payload around one `app_mention` event, shaped as Slack's
/// (the mock turns scripted messages into `message` events only).
fn app_mention_payload(
    api_app_id: &str,
    user: &str,
    channel: &str,
    text: &str,
    ts: &str,
    event_id: &str,
) -> Value {
    json!({
        "token": "mock-verification-token",
        "team_id": "T0TESTTEAM",
        "api_app_id": api_app_id,
        "event": {
            "type": "app_mention", "user": user, "text": text, "ts": ts,
            "channel": channel, "event_ts": ts, "team": "T0TESTTEAM",
        },
        "type": "event_callback",
        "event_id": event_id,
        "event_time": 1_700_000_000,
        "authorizations": [{ "team_id": "T0TESTTEAM", "user_id": "U0BOT", "is_bot": true }],
    })
}

/// No tokens: the narrated Socket Mode session against the embedded mock Slack.
pub(crate) async fn demo() -> Result<(), String> {
    let clock = Clock::start();
    let slack = MockSlack::start(ServerOptions::default()).map_err(|e| e.to_string())?;
    // Slack warns ~10 s before a refresh and closes 1 s after; shortened for the demo.
    slack.set_socket_mode_config(SocketModeConfig {
        warning_lead: Duration::from_millis(300),
        close_grace: Duration::from_millis(200),
        ..SocketModeConfig::default()
    });
    let app_token = slack.app_token().ok_or("the mock has no app")?;
    let bot_token = slack.bot_token().ok_or("the mock's app has no bot token")?;
    let app_id = slack.app_id().ok_or("the mock has no app")?;
    println!("No SLACK_APP_TOKEN/SLACK_BOT_TOKEN set: running against the embedded mock Slack.");
    println!(
        "  API URL {}  (app {app_id}, bot user U0BOT, users U0ALICE and U0BOB)",
        slack.api_url()
    );
    println!(
        "  Set SLACK_APP_TOKEN=xapp-… and SLACK_BOT_TOKEN=xoxb-… to run it on a real workspace."
    );
    println!();
    let client = SocketModeBuilder::new(app_token)
        .bot_token(bot_token)
        .api_url(slack.api_url())
        .auto_ack(false)
        .drain_timeout(Duration::from_millis(500))
        .retry(super::demo_retry())
        .build()
        .map_err(|e| e.to_string())?;
    let (tx, rx) = mpsc::unbounded();
    let mut seen = Reports {
        rx,
        acked: HashSet::new(),
        delivered: Vec::new(),
    };
    let bot = tokio::spawn(run_bot(client.clone(), clock, Some(tx)));

    let hello = client.start().await.map_err(|e| e.to_string())?;
    seen.wait(|s| s == &Seen::Connected).await?;
    clock.say(
        "demo",
        format!(
            "start() returned: app {} with {} connection(s)",
            hello.app_id.as_deref().unwrap_or("?"),
            hello.num_connections.unwrap_or(0)
        ),
    );

    // Act 1: alice mentions the bot. Slack sends the channel message (a `message` event) and
    // an `app_mention` event; the bot acks both at once and answers the mention in its thread.
    clock.say("demo", "alice mentions the bot in C0GENERAL");
    let text = "hey <@U0BOT>, can you echo this?";
    slack
        .act(UserAction::Message {
            user: "U0ALICE".into(),
            channel: "C0GENERAL".into(),
            text: text.into(),
        })
        .map_err(|e| e.to_string())?;
    let ts = slack
        .history("C0GENERAL")
        .into_iter()
        .rfind(|m| m.user == "U0ALICE")
        .map(|m| m.ts)
        .ok_or("alice's message is not in the history")?;
    let mention = slack
        .post_envelope(
            None,
            "events_api",
            &app_mention_payload(&app_id, "U0ALICE", "C0GENERAL", text, &ts, "Ev0MENTION1"),
            false,
        )
        .map_err(|e| e.to_string())?;
    seen.acked(std::slice::from_ref(&mention)).await?;
    let Seen::Replied { ts: reply_ts } = seen.wait(|s| matches!(s, Seen::Replied { .. })).await?
    else {
        unreachable!("waited for a reply");
    };
    let in_thread = slack
        .history("C0GENERAL")
        .iter()
        .any(|m| m.ts == reply_ts && m.thread_ts.as_deref() == Some(ts.as_str()));
    clock.say(
        "demo",
        format!(
            "the reply {reply_ts} is in the thread of {ts}: {}",
            if in_thread { "yes" } else { "NO" }
        ),
    );
    if !in_thread {
        return Err("the reply is not in the mention's thread".into());
    }

    // Act 2: Slack refreshes the connection (warning, refresh_requested, close) while bob
    // keeps talking; the client opens the replacement first, so no envelope is lost.
    let live = slack.live_app_connections(&app_id);
    let conn = *live.first().ok_or("the app has no live connection")?;
    clock.say(
        "demo",
        format!("Slack refreshes the live connection {conn} while bob keeps talking"),
    );
    let before = slack.socket_mode_record().envelopes_sent.len();
    let say = |n: usize| {
        slack.act(UserAction::Message {
            user: "U0BOB".into(),
            channel: "C0GENERAL".into(),
            text: format!("bob's message {n} during the refresh"),
        })
    };
    slack.inject_on(Target::Conn(conn), Fault::Refresh);
    say(1).map_err(|e| e.to_string())?;
    seen.wait(|s| s == &Seen::Refreshing).await?;
    say(2).map_err(|e| e.to_string())?;
    say(3).map_err(|e| e.to_string())?;
    seen.wait(|s| s == &Seen::Refreshed).await?;
    say(4).map_err(|e| e.to_string())?;
    say(5).map_err(|e| e.to_string())?;
    // The old connection is closed by Slack after close_grace; then the record is final.
    slack
        .wait_until(Duration::from_secs(10), |r| r.active_connections() == 1)
        .await
        .map_err(|e| format!("the old connection was not closed: {e}"))?;
    let sent_during: Vec<String> = slack.socket_mode_record().envelopes_sent[before..]
        .iter()
        .map(|e| e.envelope_id.clone())
        .collect();
    seen.acked(&sent_during).await?;
    let record = slack.socket_mode_record();
    let ids: Vec<&str> = record
        .envelopes_sent
        .iter()
        .map(|e| e.envelope_id.as_str())
        .collect();
    let unique: HashSet<&str> = ids.iter().copied().collect();
    let each_once = unique.len() == ids.len()
        && record.envelopes_sent.iter().all(|e| e.retry_attempt == 0)
        && ids
            .iter()
            .all(|id| record.ack_of(id).is_some_and(|a| a.first))
        // And the bot got each exactly once.
        && seen.delivered.len() == ids.len()
        && ids.iter().all(|id| seen.delivered.iter().filter(|d| d == id).count() == 1);
    if record.had_gap() || !each_once {
        return Err(format!(
            "envelopes were lost or redelivered during the refresh: gap={}, {} sent, {} unique",
            record.had_gap(),
            ids.len(),
            unique.len()
        ));
    }
    clock.say(
        "demo",
        format!(
            "refreshing … refreshed, no envelope lost: {} envelopes during the refresh, \
             {} in all, each delivered once and acked (no gap in the mock's record)",
            sent_during.len(),
            ids.len()
        ),
    );

    // Act 3: alice runs a slash command; the answer travels in the ack.
    clock.say("demo", "alice runs /echo in C0GENERAL");
    let command = slack
        .post_slash_command(&MockSlashCommand::new(
            "/echo",
            "ping",
            "U0ALICE",
            "C0GENERAL",
        ))
        .map_err(|e| e.to_string())?;
    seen.wait(|s| s == &Seen::Answered(command.clone())).await?;
    slack
        .wait_until(Duration::from_secs(10), |r| {
            r.socket_mode.ack_of(&command).is_some()
        })
        .await
        .map_err(|e| format!("Slack did not get the ack: {e}"))?;
    let answer = slack
        .socket_mode_record()
        .ack_of(&command)
        .and_then(|a| a.payload.clone())
        .ok_or("the ack carried no payload")?;
    clock.say(
        "demo",
        format!(
            "Slack got the slash command's answer in the ack: {}",
            answer["text"].as_str().unwrap_or("?")
        ),
    );

    // The end: a clean disconnect; the bot's loop ends with the `disconnected` event.
    clock.say("demo", "disconnecting");
    client.disconnect().await.map_err(|e| e.to_string())?;
    match bot.await {
        Ok(None) => {}
        Ok(Some(e)) => return Err(format!("the session ended with an error: {e}")),
        Err(e) => return Err(format!("the bot task failed: {e}")),
    }
    let posts = slack.posts().iter().filter(|p| p.posted()).count();
    clock.say(
        "demo",
        format!(
            "done: the bot posted {posts} reply, answered 1 slash command; disconnected cleanly"
        ),
    );
    drop(client);
    slack.shutdown();
    Ok(())
}
