//! Reading incoming frames: only the fields the core decides on are parsed; the rest is
//! skipped without building values, and left to the user's lazy typed view.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use serde_json::Value;

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

/// The fields the core decides on. Only a JSON object is a frame: serde's derived structs
/// would also accept an array (`["hello"]` would read as a hello), so the visitor is written
/// out, and it tolerates fields of unexpected types (they read as absent) rather than failing
/// the whole frame.
struct Peek<'a> {
    kind: Option<Str<'a>>,
    subtype: Option<Str<'a>>,
    reply_to: Option<u64>,
}

/// The keys the core reads, recognised without allocating.
enum Key {
    Type,
    Subtype,
    ReplyTo,
    Other,
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(match v {
                    "type" => Key::Type,
                    "subtype" => Key::Subtype,
                    "reply_to" => Key::ReplyTo,
                    _ => Key::Other,
                })
            }
        }
        d.deserialize_identifier(V)
    }
}

/// A value that is read when it has the expected type, and skipped (as `None`) otherwise.
struct Loose<T>(Option<T>);

/// Skips whatever value follows, for the visitors below.
macro_rules! absent_otherwise {
    () => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(Loose(None))
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok(Loose(None))
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok(Loose(None))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Loose(None))
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Loose(None))
        }
        fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<de::IgnoredAny>()?.is_some() {}
            Ok(Loose(None))
        }
        fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while map
                .next_entry::<de::IgnoredAny, de::IgnoredAny>()?
                .is_some()
            {}
            Ok(Loose(None))
        }
    };
}

impl<'de: 'a, 'a> Deserialize<'de> for Loose<Str<'a>> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Loose<Str<'a>>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Loose(Some(Str(Cow::Borrowed(v)))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Loose(Some(Str(Cow::Owned(v.to_owned())))))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Loose(None))
            }
            absent_otherwise!();
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

impl<'de> Deserialize<'de> for Loose<u64> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Loose<u64>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Loose(Some(v)))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(Loose(None))
            }
            absent_otherwise!();
        }
        d.deserialize_any(V)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Peek<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Peek<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Peek<'a>, A::Error> {
                let mut peek = Peek {
                    kind: None,
                    subtype: None,
                    reply_to: None,
                };
                // A repeated key: the last one counts, as in serde_json's `Value`.
                while let Some(key) = map.next_key::<Key>()? {
                    match key {
                        Key::Type => peek.kind = map.next_value::<Loose<Str<'a>>>()?.0,
                        Key::Subtype => peek.subtype = map.next_value::<Loose<Str<'a>>>()?.0,
                        Key::ReplyTo => peek.reply_to = map.next_value::<Loose<u64>>()?.0,
                        Key::Other => {
                            map.next_value::<de::IgnoredAny>()?;
                        }
                    }
                }
                Ok(peek)
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
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

/// The fields of a reply; read loosely, since a reply of an unexpected shape is still the
/// answer to its send.
#[derive(Deserialize)]
struct ReplyBody {
    #[serde(default)]
    ok: Option<Value>,
    #[serde(default)]
    ts: Option<Value>,
    #[serde(default)]
    text: Option<Value>,
    #[serde(default)]
    error: Option<Value>,
}

/// A reply's outcome: the reply, or Slack's error code and message.
pub(crate) fn reply(id: u64, raw: &str) -> Result<Reply, (i64, String)> {
    let body = match serde_json::from_str::<ReplyBody>(raw) {
        Ok(body) => body,
        // The frame parsed as a JSON object before, so this cannot happen; still a reply.
        Err(e) => return Err((0, format!("unreadable reply: {e}"))),
    };
    let error = body.error.filter(|e| !e.is_null());
    // `ok` decides; without it, an `error` means failure.
    let failed = match (&body.ok, &error) {
        (Some(Value::Bool(ok)), _) => !ok,
        (_, error) => error.is_some(),
    };
    if failed {
        return Err(match error {
            Some(Value::Object(e)) => (
                e.get("code").and_then(Value::as_i64).unwrap_or(0),
                e.get("msg")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
            ),
            Some(Value::String(s)) => (0, s),
            Some(other) => (0, other.to_string()),
            None => (0, String::new()),
        });
    }
    Ok(Reply {
        id,
        ts: match body.ts {
            Some(Value::String(s)) => Some(s),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        },
        text: match body.text {
            Some(Value::String(s)) => Some(s),
            _ => None,
        },
        raw: raw.to_owned(),
    })
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
