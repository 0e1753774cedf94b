//! Reading incoming frames: only the fields the core decides on are parsed; the rest is
//! skipped without building values, and left to the user's lazy typed view.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use crate::event::{Field, Reply, SlackEvent};
use crate::typed::ErrorBody;

/// A string that borrows from the frame unless it had escapes.
struct Str<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Str<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V(std::marker::PhantomData))
    }
}

#[derive(Deserialize)]
struct Peek<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<Str<'a>>,
    #[serde(borrow, default)]
    subtype: Option<Str<'a>>,
    #[serde(default)]
    reply_to: Option<u64>,
}

/// Parses the fields the core needs; the frame is kept whole inside the event.
pub(crate) fn parse(raw: String) -> Result<SlackEvent, serde_json::Error> {
    let (kind, subtype, reply_to) = {
        let peek: Peek<'_> = serde_json::from_str(&raw)?;
        let field = |s: Option<Str<'_>>| s.map(|s| Field::of(&raw, &s.0));
        (field(peek.kind), field(peek.subtype), peek.reply_to)
    };
    Ok(SlackEvent::new(raw, kind, subtype, reply_to))
}

#[derive(Deserialize)]
struct ReplyBody {
    ok: Option<bool>,
    ts: Option<String>,
    text: Option<String>,
    error: Option<ReplyError>,
}

#[derive(Deserialize)]
struct ReplyError {
    #[serde(default)]
    code: i64,
    #[serde(default)]
    msg: String,
}

/// A reply's outcome: the reply, or Slack's error code and message.
pub(crate) fn reply(id: u64, raw: &str) -> Result<Reply, (i64, String)> {
    match serde_json::from_str::<ReplyBody>(raw) {
        Ok(body) => match (body.ok, body.error) {
            (Some(false), err) | (None, err @ Some(_)) => {
                let err = err.unwrap_or(ReplyError {
                    code: 0,
                    msg: String::new(),
                });
                Err((err.code, err.msg))
            }
            _ => Ok(Reply {
                id,
                ts: body.ts,
                text: body.text,
                raw: raw.to_owned(),
            }),
        },
        // The frame parsed as JSON before; a reply of an unexpected shape is still a reply.
        Err(e) => Err((0, format!("unreadable reply: {e}"))),
    }
}

#[derive(Deserialize)]
struct ErrorFrameBody {
    error: Option<ErrorBody>,
}

/// The code and message of an `error` frame.
pub(crate) fn error_frame(raw: &str) -> (i64, String) {
    match serde_json::from_str::<ErrorFrameBody>(raw) {
        Ok(ErrorFrameBody { error: Some(e) }) => (e.code, e.msg),
        _ => (0, "error frame without details".to_owned()),
    }
}
