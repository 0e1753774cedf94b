//! Slack's event and reply JSON, plus the deterministic sources of `ts` values and ids.

use std::time::Instant;

use serde_json::{Value, json};

use super::wire::obj;

/// Hands out strictly increasing `ts` strings ("<secs>.<micros>") from virtual time, as
/// Slack's `ts` double as message ids and must never repeat.
#[derive(Debug, Clone)]
pub(crate) struct TsClock {
    epoch_micros: u64,
    origin: Option<Instant>,
    last: u64,
}

impl TsClock {
    pub(crate) fn new(unix_epoch_secs: u64) -> Self {
        TsClock {
            epoch_micros: unix_epoch_secs.saturating_mul(1_000_000),
            origin: None,
            last: 0,
        }
    }

    pub(crate) fn next(&mut self, now: Instant) -> String {
        let origin = *self.origin.get_or_insert(now);
        let elapsed = u64::try_from(now.saturating_duration_since(origin).as_micros()).unwrap_or(0);
        let candidate = self.epoch_micros + elapsed;
        self.last = candidate.max(self.last + 1);
        format_ts(self.last)
    }
}

pub(crate) fn format_ts(micros: u64) -> String {
    format!("{}.{:06}", micros / 1_000_000, micros % 1_000_000)
}

/// SplitMix64: tiny, seedable, good enough for tickets that only need to look random.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// 32 hex characters.
    pub(crate) fn ticket(&mut self) -> String {
        format!("{:016x}{:016x}", self.next_u64(), self.next_u64())
    }

    /// A UUID-shaped id, like Slack's `client_msg_id`.
    pub(crate) fn uuid(&mut self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        format!(
            "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            (b >> 48) & 0xfff,
            b & 0xffff_ffff_ffff
        )
    }

    /// A short block id as Slack puts in `rich_text` blocks.
    pub(crate) fn block_id(&mut self) -> String {
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        let mut v = self.next_u64();
        (0..5)
            .map(|_| {
                let c = ALPHABET[(v % ALPHABET.len() as u64) as usize] as char;
                v /= ALPHABET.len() as u64;
                c
            })
            .collect()
    }
}

pub(crate) fn hello() -> String {
    r#"{"type":"hello"}"#.into()
}

pub(crate) fn goodbye() -> String {
    r#"{"type":"goodbye"}"#.into()
}

pub(crate) fn team_migration_started() -> String {
    r#"{"type":"team_migration_started"}"#.into()
}

/// `{"ok":true,"reply_to":id,"ts":"…","text":"…"}`
pub(crate) fn ack(id: u64, ts: &str, text: &str) -> String {
    obj(&[
        ("ok", true.into()),
        ("reply_to", id.into()),
        ("ts", ts.into()),
        ("text", text.into()),
    ])
}

/// Slack rewrites `&`, `<` and `>` in posted text (its "text may be rewritten" case), but
/// leaves its control sequences alone: mentions `<@U…>`, channels `<#C…>`, `<!here>`, links.
pub(crate) fn escape_text(text: &str) -> String {
    fn is_control(inner: &str) -> bool {
        !inner.is_empty()
            && (inner.starts_with(['@', '#', '!'])
                || ["http://", "https://", "mailto:"]
                    .iter()
                    .any(|p| inner.starts_with(p)))
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if let Some(end) = rest.strip_prefix('<').and_then(|r| r.find(['<', '>']))
            && rest.as_bytes()[1 + end] == b'>'
            && is_control(&rest[1..1 + end])
        {
            out.push_str(&rest[..end + 2]);
            rest = &rest[end + 2..];
            continue;
        }
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Fields of a `message` event.
pub(crate) struct MessageEvent<'a> {
    pub(crate) user: &'a str,
    pub(crate) text: &'a str,
    pub(crate) channel: &'a str,
    pub(crate) team: &'a str,
    pub(crate) ts: &'a str,
    pub(crate) client_msg_id: Option<&'a str>,
    pub(crate) block_id: &'a str,
    pub(crate) bot_id: Option<&'a str>,
    /// Set for a reply in a thread.
    pub(crate) thread_ts: Option<&'a str>,
    /// The message's own blocks; `None` gives the `rich_text` block Slack derives from text.
    pub(crate) blocks: Option<&'a Value>,
}

/// A `message` event shaped like Slack's (≈360 bytes for a short text).
pub(crate) fn message(m: &MessageEvent<'_>) -> String {
    let blocks = match m.blocks {
        Some(b) => b.clone(),
        None => json!([{
            "type": "rich_text", "block_id": m.block_id,
            "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": m.text}]}],
        }]),
    };
    let mut fields: Vec<(&str, Value)> = Vec::with_capacity(10);
    if let Some(id) = m.client_msg_id {
        fields.push(("client_msg_id", id.into()));
    }
    fields.push(("type", "message".into()));
    fields.push(("text", m.text.into()));
    fields.push(("user", m.user.into()));
    if let Some(b) = m.bot_id {
        fields.push(("bot_id", b.into()));
    }
    fields.push(("ts", m.ts.into()));
    if let Some(t) = m.thread_ts {
        fields.push(("thread_ts", t.into()));
    }
    fields.push(("blocks", blocks));
    fields.push(("team", m.team.into()));
    fields.push(("channel", m.channel.into()));
    fields.push(("event_ts", m.ts.into()));
    obj(&fields)
}

pub(crate) fn user_typing(channel: &str, user: &str) -> String {
    obj(&[
        ("type", "user_typing".into()),
        ("channel", channel.into()),
        ("user", user.into()),
    ])
}

pub(crate) fn reaction_added(
    user: &str,
    reaction: &str,
    channel: &str,
    item_ts: &str,
    item_user: Option<&str>,
    event_ts: &str,
) -> String {
    let mut fields: Vec<(&str, Value)> = vec![
        ("type", "reaction_added".into()),
        ("user", user.into()),
        (
            "item",
            json!({"type": "message", "channel": channel, "ts": item_ts}),
        ),
        ("reaction", reaction.into()),
    ];
    if let Some(u) = item_user {
        fields.push(("item_user", u.into()));
    }
    fields.push(("event_ts", event_ts.into()));
    fields.push(("ts", event_ts.into()));
    obj(&fields)
}

pub(crate) fn member_joined_channel(
    user: &str,
    channel: &str,
    channel_type: &str,
    team: &str,
    event_ts: &str,
) -> String {
    obj(&[
        ("type", "member_joined_channel".into()),
        ("user", user.into()),
        ("channel", channel.into()),
        ("channel_type", channel_type.into()),
        ("team", team.into()),
        ("event_ts", event_ts.into()),
    ])
}

pub(crate) fn presence_change(user: &str, presence: &str) -> String {
    obj(&[
        ("type", "presence_change".into()),
        ("user", user.into()),
        ("presence", presence.into()),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn ts_strictly_increases_even_at_the_same_instant() {
        let t0 = Instant::now();
        let mut c = TsClock::new(1_700_000_000);
        assert_eq!(c.next(t0), "1700000000.000000");
        assert_eq!(c.next(t0), "1700000000.000001");
        assert_eq!(
            c.next(t0 + Duration::from_millis(1500)),
            "1700000001.500000"
        );
    }

    #[test]
    fn rng_is_deterministic() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        assert_eq!(a.ticket(), b.ticket());
        assert_eq!(a.uuid().len(), 36);
    }

    #[test]
    fn message_event_is_slack_sized() {
        let m = message(&MessageEvent {
            user: "U0ALICE",
            text: "Hello, is the deploy finished yet?",
            channel: "C0GENERAL",
            team: "T0TESTTEAM",
            ts: "1700000000.000100",
            client_msg_id: Some("8f3e9a2c-1b4d-4e5f-a6b7-c8d9e0f1a2b3"),
            block_id: "aB3dE",
            bot_id: None,
            thread_ts: None,
            blocks: None,
        });
        let v: Value = serde_json::from_str(&m).unwrap();
        assert_eq!(v["type"], "message");
        assert_eq!(v["event_ts"], v["ts"]);
        assert!((330..=420).contains(&m.len()), "{} bytes: {m}", m.len());
    }
}

#[cfg(test)]
mod escape_tests {
    use super::escape_text;

    #[test]
    fn escapes_text_but_keeps_control_sequences() {
        assert_eq!(escape_text("Hi <all> & co"), "Hi &lt;all&gt; &amp; co");
        assert_eq!(
            escape_text("<@U0BOT> see <#C0GENERAL> & <https://x.y|x> <!here> 1<2>3"),
            "<@U0BOT> see <#C0GENERAL> &amp; <https://x.y|x> <!here> 1&lt;2&gt;3"
        );
        assert_eq!(escape_text("<@U0BOT"), "&lt;@U0BOT");
        assert_eq!(escape_text("<<@U1>>"), "&lt;<@U1>&gt;");
        assert_eq!(escape_text("é<>"), "é&lt;&gt;");
    }
}
