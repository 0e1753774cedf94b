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

/// What the core reads from a frame: `type`, `subtype`, `reply_to`.
pub(crate) type Peeked = (Option<Field>, Option<Field>, Option<u64>);

/// Parses the fields the core needs; the frame is kept whole inside the event.
pub(crate) fn parse(raw: String) -> Result<SlackEvent, serde_json::Error> {
    let (kind, subtype, reply_to) = match scan::peek(&raw) {
        Some(peeked) => peeked,
        None => peek_serde(&raw)?,
    };
    Ok(SlackEvent::new(raw, kind, subtype, reply_to))
}

/// The reference reading of a frame, with serde_json: every frame the fast scanner declines
/// (malformed, or unusual: escapes in the keys or values the core reads, numbers it does not
/// take) is read here, so errors and edge cases are serde_json's.
pub(crate) fn peek_serde(raw: &str) -> Result<Peeked, serde_json::Error> {
    let peek: Peek<'_> = serde_json::from_str(raw)?;
    let field = |s: Option<Str<'_>>| s.map(|s| Field::of(raw, &s.0));
    Ok((field(peek.kind), field(peek.subtype), peek.reply_to))
}

/// The fast reading of a frame: one pass over the bytes that validates the whole frame as
/// JSON and records the top-level `type`, `subtype` and `reply_to`. It answers only when the
/// answer is certainly the one [`peek_serde`] gives; `None` means "ask serde_json" (which also
/// produces the error of a malformed frame). Why: serde_json's skipping of ignored values
/// through the visitor machinery was ~30% of a flood's client time.
pub(crate) mod scan {
    use super::{Field, Peeked};

    /// Deeper nesting is left to serde_json (the scanner keeps its stack in a `u128`).
    const MAX_DEPTH: u32 = 127;

    /// The byte index of a JSON text, and the text.
    struct Scanner<'a> {
        b: &'a [u8],
        i: usize,
    }

    /// SWAR constants: one in every byte, and the high bit of every byte.
    const ONES: u64 = u64::MAX / 255;
    const HIGHS: u64 = ONES << 7;

    /// Bytes that end a run of plain string content: `"`, `\\` and control characters.
    /// The lowest set high bit marks the first such byte exactly (borrows only spill upwards).
    #[inline]
    fn specials(chunk: u64) -> u64 {
        let ctrl = chunk.wrapping_sub(ONES * 0x20) & !chunk;
        let q = chunk ^ (ONES * u64::from(b'"'));
        let quote = q.wrapping_sub(ONES) & !q;
        let bs = chunk ^ (ONES * u64::from(b'\\'));
        let backslash = bs.wrapping_sub(ONES) & !bs;
        (ctrl | quote | backslash) & HIGHS
    }

    impl Scanner<'_> {
        #[inline]
        fn byte(&self) -> Option<u8> {
            self.b.get(self.i).copied()
        }

        /// Skips JSON whitespace (exactly serde_json's set) and returns the next byte.
        #[inline]
        fn ws(&mut self) -> Option<u8> {
            loop {
                let c = self.byte()?;
                match c {
                    b' ' | b'\n' | b'\t' | b'\r' => self.i += 1,
                    _ => return Some(c),
                }
            }
        }

        #[inline]
        fn eat(&mut self, c: u8) -> Option<()> {
            (self.ws()? == c).then(|| self.i += 1)
        }

        /// After an opening quote: skips to the closing one and returns the content's range.
        /// With `plain`, any escape declines (the content must equal the raw bytes).
        #[inline]
        fn string(&mut self, plain: bool) -> Option<(usize, usize)> {
            let start = self.i;
            loop {
                // Eight bytes at a time to the next quote, backslash or control character.
                while let Some(chunk) = self.b.get(self.i..self.i + 8) {
                    let word = u64::from_le_bytes(chunk.try_into().ok()?);
                    let hit = specials(word);
                    if hit != 0 {
                        self.i += hit.trailing_zeros() as usize / 8;
                        break;
                    }
                    self.i += 8;
                }
                match self.byte()? {
                    b'"' => {
                        self.i += 1;
                        return Some((start, self.i - 1));
                    }
                    b'\\' if !plain => {
                        self.i += 1;
                        match self.byte()? {
                            b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.i += 1,
                            // Any four hex digits, as serde_json checks in skipped strings
                            // (surrogates are not paired there).
                            b'u' => {
                                let hex = self.b.get(self.i + 1..self.i + 5)?;
                                if !hex.iter().all(u8::is_ascii_hexdigit) {
                                    return None;
                                }
                                self.i += 5;
                            }
                            _ => return None,
                        }
                    }
                    c if c >= 0x20 && c != b'\\' => self.i += 1,
                    // A control character, or an escape where none is taken.
                    _ => return None,
                }
            }
        }

        fn digits(&mut self) -> usize {
            let start = self.i;
            while self.byte().is_some_and(|c| c.is_ascii_digit()) {
                self.i += 1;
            }
            self.i - start
        }

        /// A number, in JSON's grammar (what follows it is checked by the caller).
        fn number(&mut self) -> Option<()> {
            if self.byte()? == b'-' {
                self.i += 1;
            }
            match self.byte()? {
                b'0' => self.i += 1,
                b'1'..=b'9' => {
                    self.digits();
                }
                _ => return None,
            }
            if self.byte() == Some(b'.') {
                self.i += 1;
                if self.digits() == 0 {
                    return None;
                }
            }
            if let Some(b'e' | b'E') = self.byte() {
                self.i += 1;
                if let Some(b'+' | b'-') = self.byte() {
                    self.i += 1;
                }
                if self.digits() == 0 {
                    return None;
                }
            }
            Some(())
        }

        fn literal(&mut self, word: &[u8]) -> Option<()> {
            (self.b.get(self.i..self.i + word.len())? == word).then(|| self.i += word.len())
        }

        /// `"key":` inside an object, at its opening quote (after whitespace). Returns the raw
        /// key. With `plain` (top level), a key with escapes declines: it could spell one the
        /// core reads.
        fn key(&mut self, plain: bool) -> Option<&[u8]> {
            self.eat(b'"')?;
            let (a, b) = self.string(plain)?;
            self.eat(b':')?;
            Some(&self.b[a..b])
        }

        /// Skips any one value, nested ones iteratively (bit n of `stack`: level n+1 is an
        /// object).
        fn skip_value(&mut self) -> Option<()> {
            let mut stack: u128 = 0;
            let mut depth: u32 = 0;
            loop {
                // A value.
                match self.ws()? {
                    b'"' => {
                        self.i += 1;
                        self.string(false)?;
                    }
                    open @ (b'{' | b'[') => {
                        self.i += 1;
                        let close = if open == b'{' { b'}' } else { b']' };
                        if self.ws()? == close {
                            self.i += 1;
                        } else {
                            if depth == MAX_DEPTH {
                                return None;
                            }
                            let object = open == b'{';
                            stack = (stack << 1) | u128::from(object);
                            depth += 1;
                            if object {
                                self.key(false)?;
                            }
                            continue;
                        }
                    }
                    b't' => self.literal(b"true")?,
                    b'f' => self.literal(b"false")?,
                    b'n' => self.literal(b"null")?,
                    b'-' | b'0'..=b'9' => self.number()?,
                    _ => return None,
                }
                // After a value: close what ends here, up to the next one.
                loop {
                    if depth == 0 {
                        return Some(());
                    }
                    let object = stack & 1 == 1;
                    match self.ws()? {
                        b',' => {
                            self.i += 1;
                            if object {
                                self.key(false)?;
                            }
                            break;
                        }
                        b'}' if object => {}
                        b']' if !object => {}
                        _ => return None,
                    }
                    self.i += 1;
                    stack >>= 1;
                    depth -= 1;
                }
            }
        }

        /// A string value of a key the core reads: a span of the frame, without escapes.
        fn field(&mut self) -> Option<Field> {
            self.eat(b'"')?;
            let (a, b) = self.string(true)?;
            Some(Field::Span(u32::try_from(a).ok()?, u32::try_from(b).ok()?))
        }

        /// `reply_to`: a plain unsigned integer that surely fits a `u64` (no sign, fraction,
        /// exponent or leading zero; at most 19 digits); anything else declines.
        fn reply_to(&mut self) -> Option<u64> {
            self.ws()?;
            let start = self.i;
            let n = self.digits();
            if n == 0 || n > 19 || (n > 1 && self.b[start] == b'0') {
                return None;
            }
            if let Some(b'.' | b'e' | b'E') = self.byte() {
                return None;
            }
            let mut v: u64 = 0;
            for &d in &self.b[start..self.i] {
                v = v * 10 + u64::from(d - b'0');
            }
            Some(v)
        }
    }

    /// The frame's top-level `type`, `subtype` and `reply_to`, if the frame is a well-formed
    /// JSON object read without surprises; `None` to ask serde_json.
    pub(crate) fn peek(raw: &str) -> Option<Peeked> {
        let mut s = Scanner {
            b: raw.as_bytes(),
            i: 0,
        };
        let (mut kind, mut subtype, mut reply_to) = (None, None, None);
        s.eat(b'{')?;
        if s.ws()? == b'}' {
            s.i += 1;
        } else {
            loop {
                // A repeated key: the last one counts, as with serde_json.
                match s.key(true)? {
                    b"type" => kind = Some(s.field()?),
                    b"subtype" => subtype = Some(s.field()?),
                    b"reply_to" => reply_to = Some(s.reply_to()?),
                    _ => s.skip_value()?,
                }
                match s.ws()? {
                    b',' => s.i += 1,
                    b'}' => {
                        s.i += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        // Only whitespace may follow.
        match s.ws() {
            None => Some((kind, subtype, reply_to)),
            Some(_) => None,
        }
    }
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{peek_serde, scan};

    /// The fast scanner either declines or agrees with serde_json, on `text`.
    fn agrees(text: &str) -> Result<(), TestCaseError> {
        if let Some(fast) = scan::peek(text) {
            match peek_serde(text) {
                Ok(slow) => prop_assert_eq!(fast, slow, "{:?}", text),
                Err(e) => prop_assert!(
                    false,
                    "scanner accepted what serde_json refuses ({e}): {text:?}"
                ),
            }
        }
        Ok(())
    }

    fn ws() -> impl Strategy<Value = String> {
        "[ \t\n\r]{0,2}"
    }

    /// String contents: plain ASCII, multi-byte UTF-8, every escape, surrogate pairs and a
    /// lone surrogate, long runs (the scanner reads 8 bytes at a time).
    fn string() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop_oneof![
                4 => "[a-zA-Z0-9 _:.<>|]{1,12}",
                1 => "[é日本😀]",
                1 => r#"\\["\\/bfnrt]"#,
                1 => r"\\u[0-9a-fA-F]{4}",
                1 => Just(r"\ud83d\ude00".to_owned()),
                1 => Just(r"\ud800".to_owned()),
            ],
            0..6,
        )
        .prop_map(|parts| format!("\"{}\"", parts.concat()))
    }

    /// Numbers of every form JSON has, and big ones.
    fn number() -> impl Strategy<Value = String> {
        r"-?(0|[1-9][0-9]{0,22})(\.[0-9]{1,4})?([eE][+-]?[0-9]{1,3})?"
    }

    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(r#""type""#.to_owned()),
            Just(r#""subtype""#.to_owned()),
            Just(r#""reply_to""#.to_owned()),
            Just(r#""t\u0079pe""#.to_owned()),
            Just(r#""""#.to_owned()),
            string(),
        ]
    }

    fn value() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            string(),
            number(),
            Just("true".to_owned()),
            Just("false".to_owned()),
            Just("null".to_owned()),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec((ws(), inner.clone(), ws()), 0..6).prop_map(|items| {
                    let items: Vec<String> =
                        items.into_iter().map(|(a, v, b)| a + &v + &b).collect();
                    format!("[{}]", items.join(","))
                }),
                prop::collection::vec((ws(), key(), ws(), inner, ws()), 0..6).prop_map(|items| {
                    let items: Vec<String> = items
                        .into_iter()
                        .map(|(a, k, b, v, c)| format!("{a}{k}{b}:{v}{c}"))
                        .collect();
                    format!("{{{}}}", items.join(","))
                }),
            ]
        })
    }

    /// Values the core reads, as Slack sends them (the scanner must take these itself).
    fn plain_field() -> impl Strategy<Value = (String, String)> {
        prop_oneof![
            "[a-z_]{0,16}".prop_map(|v| ("type".to_owned(), format!("\"{v}\""))),
            "[a-z_]{0,16}".prop_map(|v| ("subtype".to_owned(), format!("\"{v}\""))),
            (0..u64::MAX / 2).prop_map(|v| ("reply_to".to_owned(), v.to_string())),
        ]
    }

    /// A frame: a top-level object whose members are the keys the core reads, with values of
    /// any type, and other keys with any values.
    fn frame() -> impl Strategy<Value = String> {
        (
            ws(),
            prop::collection::vec((ws(), key(), ws(), value(), ws()), 0..8),
            ws(),
        )
            .prop_map(|(lead, members, trail)| {
                let members: Vec<String> = members
                    .into_iter()
                    .map(|(a, k, b, v, c)| format!("{a}{k}{b}:{v}{c}"))
                    .collect();
                format!("{lead}{{{}}}{trail}", members.join(","))
            })
    }

    /// A frame whose read keys hold plain values (other members anything).
    fn slack_frame() -> impl Strategy<Value = String> {
        (
            prop::collection::vec(("\"[a-z_]{0,10}\"", value()), 0..6),
            prop::collection::vec(plain_field(), 0..4),
            ws(),
        )
            .prop_map(|(others, fields, pad)| {
                let mut members: Vec<String> = Vec::new();
                for ((k, v), (fk, fv)) in others.iter().zip(fields.iter()) {
                    // Other keys never spell a read one here.
                    if !matches!(&k[1..k.len() - 1], "type" | "subtype" | "reply_to") {
                        members.push(format!("{k}:{pad}{v}"));
                    }
                    members.push(format!("\"{fk}\"{pad}:{fv}"));
                }
                format!("{{{pad}{}}}", members.join(&format!(",{pad}")))
            })
    }

    /// Edits that break a frame, or not: delete, duplicate or replace a run of characters,
    /// truncate.
    fn mutate(text: &str, at: usize, len: usize, with: &str, how: u8) -> String {
        let chars: Vec<char> = text.chars().collect();
        let at = at % (chars.len() + 1);
        let end = (at + len).min(chars.len());
        let (head, rest) = chars.split_at(at);
        let (mid, tail) = rest.split_at(end - at);
        let s = |c: &[char]| c.iter().collect::<String>();
        match how % 4 {
            0 => s(head) + &s(tail),
            1 => s(head) + &s(mid) + &s(mid) + &s(tail),
            2 => s(head) + with + &s(tail),
            _ => s(head),
        }
    }

    proptest! {
        // A fixed seed unless RTM_PROPTEST_SEED says otherwise (as in tests/proptest_interleavings.rs).
        #![proptest_config(ProptestConfig {
            rng_seed: match std::env::var("RTM_PROPTEST_SEED") {
                Ok(v) if v == "random" => proptest::test_runner::RngSeed::Random,
                Ok(v) => proptest::test_runner::RngSeed::Fixed(v.parse().expect("a u64 or `random`")),
                Err(_) => proptest::test_runner::RngSeed::Fixed(0x0072_746d),
            },
            ..ProptestConfig::with_cases(2048)
        })]

        #[test]
        fn scanner_agrees_with_serde_on_objects(text in frame()) {
            agrees(&text)?;
        }

        #[test]
        fn scanner_agrees_with_serde_on_any_value(text in value()) {
            agrees(&text)?;
        }

        #[test]
        fn scanner_takes_slack_frames_and_agrees(text in slack_frame()) {
            prop_assert!(scan::peek(&text).is_some(), "declined: {:?}", text);
            agrees(&text)?;
        }

        #[test]
        fn scanner_never_accepts_a_broken_frame(
            text in frame(),
            at in 0usize..400,
            len in 0usize..4,
            with in prop_oneof![
                Just(String::new()), "[{}\\[\\],:\"\\\\ ]", "[a-z0-9.eE+-]", "[\u{0}-\u{1f}]",
                Just("\\u".to_owned()), Just("é".to_owned()),
            ],
            how in 0u8..4,
        ) {
            agrees(&mutate(&text, at, len, &with, how))?;
        }
    }

    #[test]
    fn scanner_edge_cases() {
        let declined = [
            "",
            " ",
            "[]",
            r#"["type"]"#,
            "{",
            "{}x",
            "{} {}",
            r#"{"a":1,}"#,
            r#"{"a":[1,]}"#,
            r#"{"a":01}"#,
            r#"{"a":1.}"#,
            r#"{"a":.5}"#,
            r#"{"a":1e}"#,
            r#"{"a":-}"#,
            r#"{"a":tru}"#,
            r#"{"a":"\x"}"#,
            r#"{"a":"\u12g4"}"#,
            "{\"a\":\"\u{1}\"}",
            r#"{"a" 1}"#,
            r#"{"a":1 "b":2}"#,
            r#"{"a":{"b"}}"#,
            r#"{"a":[}"#,
            r#"{"a":{]}"#,
            // Unusual reads: serde_json answers these.
            r#"{"t\u0079pe":"x"}"#,
            r#"{"type":"a\/b"}"#,
            r#"{"type":1}"#,
            r#"{"reply_to":"1"}"#,
            r#"{"reply_to":1.0}"#,
            r#"{"reply_to":1e2}"#,
            r#"{"reply_to":-1}"#,
            r#"{"reply_to":012}"#,
            r#"{"reply_to":99999999999999999999}"#,
        ];
        for text in declined {
            assert_eq!(scan::peek(text), None, "{text:?}");
        }
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(200), "]".repeat(200));
        assert_eq!(scan::peek(&deep), None);
        assert!(
            peek_serde(&deep).is_ok(),
            "serde_json does not limit skipped nesting"
        );
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(120), "]".repeat(120));
        assert!(scan::peek(&deep).is_some());

        let taken = [
            "{}",
            " \n{ }\t\r\n",
            r#"{"type":"message","subtype":"bot_message","reply_to":7}"#,
            r#"{"type":"a","type":"b"}"#,
            r#"{"reply_to":0}"#,
            r#"{"reply_to":9999999999999999999}"#,
            r#"{"text":"a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00\udc00 日本","type":"m"}"#,
            r#"{"a":[1,-0,0.5,-1.25e+10,3E-2,1e400,123456789012345678901234567890],"b":{"c":[{},[],null,true,false]}}"#,
        ];
        for text in taken {
            let fast = scan::peek(text);
            assert!(fast.is_some(), "{text:?}");
            assert_eq!(fast, Some(peek_serde(text).unwrap()), "{text:?}");
        }
    }
}
