//! Helpers shared by the runnable examples (`echo_bot`, `presence`, `socket-tail`): logging
//! setup, a readable, one-line rendering of the client's events for demo output, and JSON
//! lines written field by field.
//!
//! The examples themselves are in `src/bin/`; see README.md.
#![forbid(unsafe_code)]

/// The code blocks of the workspace's README.md, compiled as doctests (this package is not
/// published, so the path outside it is fine).
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct WorkspaceReadmeDoctests;

/// The code blocks of this package's README.md, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

use std::fmt::Write as _;
use std::time::Instant;

use rtm_driver::{Event, SlackEvent, TypedEvent};

/// Logs go to stderr through `tracing`, filtered by `RUST_LOG` (default: warnings, the driver's
/// own lines off), so that
/// stdout stays the program's own output.
pub fn init_tracing() {
    use std::io::IsTerminal;
    // The examples report the session's lifecycle themselves (reconnects and their reasons
    // included), so the driver's own lines are off unless RUST_LOG asks for them (e.g.
    // RUST_LOG=rtm_driver=warn shows the reconnect warnings an operator would log).
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,rtm_driver=off"));
    // `try_init`: a second call (tests, embedding) must not panic. Colour only on a terminal,
    // never in a log file.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .try_init();
}

/// The token from the environment or the command line, if one was really given: an empty
/// `SLACK_TOKEN=` counts as none (a common way to unset it in a shell).
pub fn given(token: Option<String>) -> Option<String> {
    token.filter(|t| !t.trim().is_empty())
}

/// Ctrl-C (SIGINT), listened for from the moment this is created: a signal that arrives
/// before the program starts waiting for it is not lost (and does not kill the program).
#[derive(Debug)]
pub struct Interrupt {
    #[cfg(unix)]
    signal: tokio::signal::unix::Signal,
}

impl Interrupt {
    /// Starts listening (needs a tokio runtime with I/O enabled).
    pub fn new() -> std::io::Result<Self> {
        Ok(Interrupt {
            #[cfg(unix)]
            signal: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?,
        })
    }

    /// The next Ctrl-C.
    pub async fn recv(&mut self) {
        #[cfg(unix)]
        self.signal.recv().await;
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Time since the program started, for demo output.
#[derive(Debug, Clone, Copy)]
pub struct Clock(Instant);

impl Clock {
    /// Starts counting now.
    pub fn start() -> Self {
        Clock(Instant::now())
    }

    /// `[  1.234s]`.
    pub fn stamp(&self) -> String {
        format!("[{:>8.3}s]", self.0.elapsed().as_secs_f64())
    }

    /// Prints one demo line: time, a label column, the text.
    pub fn say(&self, label: &str, text: impl AsRef<str>) {
        println!("{} {label:<10} {}", self.stamp(), text.as_ref());
    }
}

/// A label (`lifecycle`, `event`, `outgoing`, ...) and one line of text for an event.
pub fn describe(event: &Event) -> (&'static str, String) {
    match event {
        Event::Connecting => ("lifecycle", "connecting (rtm.connect)".to_owned()),
        Event::Authenticated(info) => (
            "lifecycle",
            format!(
                "authenticated as {} ({}) on team {} ({})",
                info.self_name, info.self_id, info.team_name, info.team_id
            ),
        ),
        Event::Connected => ("lifecycle", "connected (WebSocket open, hello)".to_owned()),
        Event::Ready => ("lifecycle", "ready".to_owned()),
        Event::Disconnecting => ("lifecycle", "disconnecting".to_owned()),
        Event::Reconnecting {
            attempt,
            delay,
            reason,
        } => (
            "lifecycle",
            format!(
                "reconnecting (attempt {attempt}, in {} ms): {reason}",
                delay.as_millis()
            ),
        ),
        Event::Disconnected { error: None } => ("lifecycle", "disconnected".to_owned()),
        Event::Disconnected { error: Some(e) } => ("lifecycle", format!("disconnected: {e}")),
        Event::UnableToRtmStart(e) => ("lifecycle", format!("unable to start: {e}")),
        Event::Error(e) => ("error", e.to_string()),
        Event::OutgoingMessage { id, frame } => ("outgoing", format!("#{id} {frame}")),
        Event::Slack(e) => ("event", describe_slack(e)),
        // `Event` may grow; show the name at least.
        #[allow(unreachable_patterns)]
        other => ("event", other.name().to_owned()),
    }
}

/// One line for a frame from Slack: the common events in words, the rest raw.
pub fn describe_slack(e: &SlackEvent) -> String {
    let Some(kind) = e.event_type() else {
        // A reply (`reply_to`) to one of our frames.
        return match e.reply_to() {
            Some(id) => format!("reply to #{id}: {}", e.raw()),
            None => e.raw().to_owned(),
        };
    };
    let mut line = String::new();
    match e.typed() {
        Ok(TypedEvent::Hello) => line.push_str("hello"),
        Ok(TypedEvent::Goodbye) => {
            line.push_str("goodbye (the server is about to close this connection)")
        }
        Ok(TypedEvent::Message(m)) => {
            let _ = write!(
                line,
                "message{} from {} in {}",
                m.subtype.map(|s| format!("/{s}")).unwrap_or_default(),
                m.user.or(m.bot_id).as_deref().unwrap_or("?"),
                m.channel.as_deref().unwrap_or("?"),
            );
            if let Some(t) = m.thread_ts {
                let _ = write!(line, " (thread {t})");
            }
            let _ = write!(line, ": {}", m.text.as_deref().unwrap_or(""));
        }
        Ok(TypedEvent::UserTyping(t)) => {
            let _ = write!(line, "{} is typing in {}", t.user, t.channel);
        }
        Ok(TypedEvent::PresenceChange(p)) => {
            let who = match (p.user, p.users) {
                (_, Some(users)) => format!("{} (batched)", users.join(", ")),
                (Some(user), None) => user,
                (None, None) => "?".to_owned(),
            };
            let _ = write!(line, "presence of {who}: {}", p.presence);
        }
        Ok(TypedEvent::ReactionAdded(r)) => {
            let _ = write!(line, "{} reacted :{}:", r.user, r.reaction);
        }
        Ok(TypedEvent::MemberJoinedChannel(m)) => {
            let _ = write!(line, "{} joined {}", m.user, m.channel);
        }
        // Everything else, and frames that do not have the usual fields: raw.
        _ => {
            let _ = write!(line, "{kind}: {}", e.raw());
        }
    }
    line
}

/// Whether `text` mentions the user: `<@U123>` or `<@U123|name>`, as Slack encodes mentions.
pub fn mentions(text: &str, user_id: &str) -> bool {
    text.match_indices("<@")
        .any(|(i, _)| match text[i + 2..].strip_prefix(user_id) {
            Some(rest) => rest.starts_with('>') || rest.starts_with('|'),
            None => false,
        })
}

/// `text` with the mentions of `user_id` (`<@U123>`, `<@U123|name>`) replaced by `with`.
pub fn replace_mentions(text: &str, user_id: &str, with: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("<@") {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let end = tail.find('>').map(|j| j + 1);
        match (end, tail[2..].strip_prefix(user_id)) {
            (Some(end), Some(after)) if after.starts_with('>') || after.starts_with('|') => {
                out.push_str(with);
                rest = &tail[end..];
            }
            _ => {
                out.push_str("<@");
                rest = &tail[2..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// One JSON object for a JSON-lines output, written field by field so keys keep their order
/// (`kind` first) and raw payloads are copied as received, without a parse.
#[derive(Debug, Clone)]
pub struct JsonLine(String);

impl JsonLine {
    /// `{"kind":kind`.
    pub fn new(kind: &str) -> JsonLine {
        JsonLine(String::from("{")).field("kind", kind)
    }

    fn key(mut self, key: &str) -> JsonLine {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        self.0.push_str(&json_text(&key));
        self.0.push(':');
        self
    }

    /// A field with any serializable value.
    pub fn field(self, key: &str, value: impl serde::Serialize) -> JsonLine {
        let mut o = self.key(key);
        o.0.push_str(&json_text(&value));
        o
    }

    /// A JSON text received from the wire. A JSON object on one line is copied as is;
    /// anything else is re-encoded, so the output stays one object per line.
    pub fn raw(self, key: &str, text: &str) -> JsonLine {
        let text = text.trim();
        if text.starts_with('{')
            && !text.contains(['\n', '\r'])
            && serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
        {
            let mut o = self.key(key);
            o.0.push_str(text);
            return o;
        }
        match serde_json::from_str::<serde_json::Value>(text) {
            Ok(v) => self.field(key, v),
            Err(_) => self.field(key, text),
        }
    }

    /// The line.
    pub fn finish(mut self) -> String {
        self.0.push('}');
        self.0
    }
}

fn json_text(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

/// Whether `s` is shaped like a Slack `ts` (`1700000000.000100`).
pub fn is_ts(s: &str) -> bool {
    s.split_once('.').is_some_and(|(a, b)| {
        !a.is_empty()
            && !b.is_empty()
            && a.bytes().all(|c| c.is_ascii_digit())
            && b.bytes().all(|c| c.is_ascii_digit())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_keep_their_order_and_raw_objects() {
        let line = JsonLine::new("envelope")
            .field("n", 1)
            .raw("payload", r#"{"b":1,"a":2}"#)
            .raw("bad", "not json")
            .finish();
        assert_eq!(
            line,
            r#"{"kind":"envelope","n":1,"payload":{"b":1,"a":2},"bad":"not json"}"#
        );
        assert!(is_ts("1700000000.000100"));
        assert!(!is_ts("C0GENERAL") && !is_ts("1.") && !is_ts(".1"));
    }

    #[test]
    fn finds_mentions() {
        assert!(mentions("hi <@U0BOT>!", "U0BOT"));
        assert!(mentions("<@U0BOT|testbot> hi", "U0BOT"));
        assert!(!mentions("hi <@U0BOTX>", "U0BOT"));
        assert!(!mentions("hi U0BOT", "U0BOT"));
        assert!(!mentions("<@", "U0BOT"));
    }

    #[test]
    fn replaces_only_our_mentions() {
        assert_eq!(
            replace_mentions("hey <@U0BOT>, echo <@U0ALICE> this", "U0BOT", "@bot"),
            "hey @bot, echo <@U0ALICE> this"
        );
        assert_eq!(
            replace_mentions("<@U0BOT|x> hi", "U0BOT", "@bot"),
            "@bot hi"
        );
        assert_eq!(replace_mentions("<@U0BOT", "U0BOT", "@bot"), "<@U0BOT");
        assert_eq!(
            replace_mentions("<@U0BOTX> <@", "U0BOT", "@bot"),
            "<@U0BOTX> <@"
        );
    }
}
