//! Outgoing frames: what the user sends, checked and serialized once when the send arrives,
//! so that writing it later is a prefix and a copy.

use serde_json::Value;

use crate::config::Config;
use crate::error::SendError;
use crate::ids::SendHandle;

/// How a send is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendMode {
    /// `send()`: written now if the session is ready, else refused; settles when written.
    Immediate,
    /// `add_outgoing_event()`: waits in the queue until the session is ready.
    Queued {
        /// Settle with the server's reply (`reply_to`) instead of when written.
        await_reply: bool,
    },
}

/// An outgoing frame: `{"id":…,"type":kind,…body}`; the core assigns the id. It is given
/// to the core with the caller's [`SendHandle`] in [`Input::Send`](crate::Input::Send).
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    /// The frame's `type`.
    pub kind: String,
    /// The other fields: a JSON object (or `null` for none). `id` and `type` in it are ignored.
    pub body: Value,
    /// How it is sent.
    pub mode: SendMode,
}

impl Outgoing {
    /// `send_message(text, channel)`: a queued `message` awaiting its ack.
    pub fn message(text: &str, channel: &str) -> Self {
        Outgoing {
            kind: "message".to_owned(),
            body: serde_json::json!({ "channel": channel, "text": text }),
            mode: SendMode::Queued { await_reply: true },
        }
    }

    /// A message in the thread of `thread_ts` (a reply), else as [`message`](Self::message).
    pub fn message_in_thread(text: &str, channel: &str, thread_ts: &str) -> Self {
        Outgoing {
            kind: "message".to_owned(),
            body: serde_json::json!({ "channel": channel, "text": text, "thread_ts": thread_ts }),
            mode: SendMode::Queued { await_reply: true },
        }
    }

    /// `send_typing(channel)`: a queued `typing`, no reply awaited.
    pub fn typing(channel: &str) -> Self {
        Outgoing {
            kind: "typing".to_owned(),
            body: serde_json::json!({ "channel": channel }),
            mode: SendMode::Queued { await_reply: false },
        }
    }

    /// `subscribe_presence(ids)`: a queued `presence_sub` (the complete list), no reply awaited.
    pub fn presence_sub<S: AsRef<str>>(ids: &[S]) -> Self {
        let ids: Vec<&str> = ids.iter().map(AsRef::as_ref).collect();
        Outgoing {
            kind: "presence_sub".to_owned(),
            body: serde_json::json!({ "ids": ids }),
            mode: SendMode::Queued { await_reply: false },
        }
    }
}

/// The longest `{"id":<u64>,` prefix.
const ID_PREFIX_MAX: usize = r#"{"id":18446744073709551615,"#.len();

/// A checked send waiting for its id.
#[derive(Debug)]
pub(crate) struct Prepared {
    pub(crate) handle: SendHandle,
    /// The frame after `{"id":N,`.
    tail: String,
    /// The channel of a `message`, for pacing.
    pub(crate) paced_channel: Option<String>,
    /// Settle with the reply rather than when written.
    pub(crate) await_reply: bool,
    /// When a queued send gives up waiting (`send_timeout`).
    pub(crate) expires: Option<std::time::Instant>,
}

impl Prepared {
    /// Checks a send against the limits and serializes everything but its id.
    pub(crate) fn new(
        handle: SendHandle,
        send: &Outgoing,
        config: &Config,
    ) -> Result<Prepared, SendError> {
        let invalid = |detail: &str| SendError::InvalidFrame {
            detail: detail.to_owned(),
        };
        if send.kind.is_empty() {
            return Err(invalid("the type is empty"));
        }
        let empty = serde_json::Map::new();
        let body = match &send.body {
            Value::Object(map) => map,
            Value::Null => &empty,
            _ => return Err(invalid("the body must be a JSON object")),
        };
        let is_message = send.kind == "message";
        if is_message
            && let (Some(limit), Some(Value::String(text))) =
                (config.max_message_chars, body.get("text"))
        {
            let chars = text.chars().count();
            if chars > limit {
                return Err(SendError::TextTooLong { chars, limit });
            }
        }
        let mut tail = String::with_capacity(64);
        tail.push_str("\"type\":");
        push_json(&mut tail, &Value::String(send.kind.clone()));
        for (k, v) in body {
            if k == "id" || k == "type" {
                continue;
            }
            tail.push(',');
            push_json(&mut tail, &Value::String(k.clone()));
            tail.push(':');
            push_json(&mut tail, v);
        }
        tail.push('}');
        // With the shortest id; the exact size is checked again when the id is known.
        let size = id_prefix_len(1) + tail.len();
        if size > config.max_frame_bytes {
            return Err(SendError::TooLarge {
                size,
                limit: config.max_frame_bytes,
            });
        }
        let paced_channel = match (is_message && config.pacing.is_some(), body.get("channel")) {
            (true, Some(Value::String(c))) => Some(c.clone()),
            _ => None,
        };
        Ok(Prepared {
            handle,
            tail,
            paced_channel,
            await_reply: matches!(send.mode, SendMode::Queued { await_reply: true }),
            expires: None,
        })
    }

    /// The size in bytes of the frame with this id.
    pub(crate) fn size(&self, id: u64) -> usize {
        id_prefix_len(id) + self.tail.len()
    }

    /// The frame with its id.
    pub(crate) fn frame(&self, id: u64) -> String {
        frame(id, &self.tail)
    }
}

/// The length of `{"id":N,`.
fn id_prefix_len(id: u64) -> usize {
    let digits = id.checked_ilog10().unwrap_or(0) as usize + 1;
    r#"{"id":,"#.len() + digits
}

/// `{"id":N,` + tail.
pub(crate) fn frame(id: u64, tail: &str) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(ID_PREFIX_MAX + tail.len());
    let _ = write!(s, "{{\"id\":{id},");
    s.push_str(tail);
    s
}

fn push_json(out: &mut String, v: &Value) {
    // Serializing a Value cannot fail (its keys are strings).
    out.push_str(&serde_json::to_string(v).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(kind: &str, body: Value) -> Outgoing {
        Outgoing {
            kind: kind.into(),
            body,
            mode: SendMode::Immediate,
        }
    }

    #[test]
    fn builds_the_frame_with_id_first_and_ignores_id_and_type_in_the_body() {
        let p = Prepared::new(
            SendHandle(1),
            &out(
                "message",
                serde_json::json!({"id": 99, "type": "x", "channel": "C1", "text": "hi \"you\""}),
            ),
            &Config::default(),
        )
        .unwrap();
        let f = p.frame(7);
        let v: Value = serde_json::from_str(&f).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"id": 7, "type": "message", "channel": "C1", "text": "hi \"you\""})
        );
        assert!(f.starts_with(r#"{"id":7,"type":"message""#));
        assert_eq!(p.paced_channel.as_deref(), Some("C1"));
    }

    #[test]
    fn refuses_bad_and_oversized_frames() {
        let c = Config::default();
        assert!(matches!(
            Prepared::new(SendHandle(1), &out("", Value::Null), &c),
            Err(SendError::InvalidFrame { .. })
        ));
        assert!(matches!(
            Prepared::new(SendHandle(1), &out("x", serde_json::json!([1])), &c),
            Err(SendError::InvalidFrame { .. })
        ));
        let big = "a".repeat(17_000);
        assert!(matches!(
            Prepared::new(
                SendHandle(1),
                &out("custom", serde_json::json!({"blob": big})),
                &c
            ),
            Err(SendError::TooLarge { limit: 16384, .. })
        ));
        let long = "é".repeat(4001);
        assert_eq!(
            Prepared::new(
                SendHandle(1),
                &out("message", serde_json::json!({"channel": "C", "text": long})),
                &c
            )
            .unwrap_err(),
            SendError::TextTooLong {
                chars: 4001,
                limit: 4000
            }
        );
        let ok = "é".repeat(4000);
        assert!(
            Prepared::new(
                SendHandle(1),
                &out("message", serde_json::json!({"channel": "C", "text": ok})),
                &c
            )
            .is_ok()
        );
    }
}
