//! The reference reading of a frame, with serde_json: a hand-written visitor that reads
//! `type`, `subtype` and `reply_to` and skips the rest without building values.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use super::{Field, Peeked};

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

/// The reference reading of a frame, with serde_json: every frame the fast scanner declines
/// (malformed, or unusual: escapes in the keys or values the core reads, numbers it does not
/// take) is read here, so errors and edge cases are serde_json's.
pub(crate) fn peek(raw: &str) -> Result<Peeked, serde_json::Error> {
    let peek: Peek<'_> = serde_json::from_str(raw)?;
    let field = |s: Option<Str<'_>>| s.map(|s| Field::of(raw, &s.0));
    Ok((field(peek.kind), field(peek.subtype), peek.reply_to))
}
