//! The fast reading of an envelope: one pass over the frame that validates it as JSON and
//! records the fields the client reads, as spans of the frame. It answers only when its
//! answer is certainly the serde reader's; `None` hands the frame to it. Why: serde_json
//! scanned each envelope twice (the frame for its head, then the payload for its event id
//! and inner type), about a third of the client's time in a flood.

use crate::json_scan::{Field, Scanner};

/// An envelope's fields, as spans of its frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Scanned {
    pub(crate) kind: Field,
    pub(crate) envelope_id: Field,
    pub(crate) retry_attempt: u32,
    pub(crate) retry_reason: Option<Field>,
    pub(crate) accepts_response_payload: bool,
    /// The payload object's text, braces included.
    pub(crate) payload: Field,
    pub(crate) event_id: Option<Field>,
    pub(crate) inner: Option<(Field, Option<Field>)>,
}

/// Values nested deeper than this are left to serde_json (the scanner's stack is bounded).
const SKIP_DEPTH: u32 = 100;

/// Sets `slot` once; a repeated key declines (serde's derived reader refuses it).
fn once<T>(slot: &mut Option<T>, value: T) -> Option<()> {
    slot.is_none().then(|| *slot = Some(value))
}

/// Reads a `null` if one comes next: whether it did.
fn null(s: &mut Scanner<'_>) -> Option<bool> {
    if s.ws()? != b'n' {
        return Some(false);
    }
    s.literal(b"null")?;
    Some(true)
}

/// `null`, or a string without escapes.
fn opt_str(s: &mut Scanner<'_>) -> Option<Option<Field>> {
    if null(s)? {
        return Some(None);
    }
    s.plain_str().map(Some)
}

/// An object's members, each handed to `member` at its value (after the colon); `false`
/// from it declines. Keys with escapes decline: they could spell one that is read.
fn members<'a>(
    s: &mut Scanner<'a>,
    mut member: impl FnMut(&mut Scanner<'a>, &'a [u8]) -> Option<()>,
) -> Option<()> {
    s.eat(b'{')?;
    if s.ws()? == b'}' {
        s.i += 1;
        return Some(());
    }
    loop {
        let key = s.key(true)?;
        member(s, key)?;
        match s.ws()? {
            b',' => s.i += 1,
            b'}' => {
                s.i += 1;
                return Some(());
            }
            _ => return None,
        }
    }
}

/// The inner event's `type` and `subtype`.
fn event(s: &mut Scanner<'_>) -> Option<Option<(Field, Option<Field>)>> {
    if null(s)? {
        return Some(None);
    }
    let (mut kind, mut subtype) = (None, None);
    members(s, |s, key| match key {
        b"type" => once(&mut kind, opt_str(s)?),
        b"subtype" => once(&mut subtype, opt_str(s)?),
        _ => s.skip_value_within(SKIP_DEPTH),
    })?;
    Some(kind.flatten().map(|k| (k, subtype.flatten())))
}

/// The payload: its span, `event_id`, and the inner event's type.
type Payload = (Field, Option<Field>, Option<(Field, Option<Field>)>);

fn payload(s: &mut Scanner<'_>) -> Option<Payload> {
    if s.ws()? != b'{' {
        return None;
    }
    let start = s.i;
    let (mut event_id, mut inner) = (None, None);
    members(s, |s, key| match key {
        b"event_id" => once(&mut event_id, opt_str(s)?),
        b"event" => once(&mut inner, event(s)?),
        _ => s.skip_value_within(SKIP_DEPTH),
    })?;
    let span = Field::Span(u32::try_from(start).ok()?, u32::try_from(s.i).ok()?);
    Some((span, event_id.flatten(), inner.flatten()))
}

/// The envelope in `text`, if it is one and reads without surprises.
pub(crate) fn envelope(text: &str) -> Option<Scanned> {
    let mut s = Scanner::new(text);
    let (mut kind, mut id, mut attempt, mut reason, mut accepts, mut body) =
        (None, None, None, None, None, None);
    members(&mut s, |s, key| match key {
        b"type" => once(&mut kind, s.plain_str()?),
        b"envelope_id" => once(&mut id, s.plain_str()?),
        b"retry_attempt" => {
            let n = if null(s)? {
                0
            } else {
                u32::try_from(s.uint()?).ok()?
            };
            once(&mut attempt, n)
        }
        b"retry_reason" => once(&mut reason, opt_str(s)?),
        b"accepts_response_payload" => {
            let b = match s.ws()? {
                b't' => s.literal(b"true").map(|()| true)?,
                b'f' => s.literal(b"false").map(|()| false)?,
                _ => s.literal(b"null").map(|()| false)?,
            };
            once(&mut accepts, b)
        }
        b"payload" => once(&mut body, payload(s)?),
        _ => s.skip_value_within(SKIP_DEPTH),
    })?;
    if !s.at_end() {
        return None;
    }
    let kind = kind?;
    // `hello` and `disconnect` are read by the general reader.
    if matches!(kind.get(text), "hello" | "disconnect") {
        return None;
    }
    let envelope_id = id?;
    if envelope_id.get(text).is_empty() {
        return None;
    }
    let (payload, event_id, inner) = body?;
    Some(Scanned {
        kind,
        envelope_id,
        retry_attempt: attempt.unwrap_or(0),
        retry_reason: reason.flatten(),
        accepts_response_payload: accepts.unwrap_or(false),
        payload,
        event_id,
        inner,
    })
}
