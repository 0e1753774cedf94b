//! The fast reading of a frame: one pass over the bytes that validates the whole frame as
//! JSON and records the top-level `type`, `subtype` and `reply_to`. It answers only when the
//! answer is certainly the one [`super::visitor::peek`] gives; `None` means "ask serde_json" (which
//! also produces the error of a malformed frame). Why: serde_json's skipping of ignored values
//! through the visitor machinery was ~30% of a flood's client time.

use super::Peeked;
use crate::json_scan::Scanner;

/// The frame's top-level `type`, `subtype` and `reply_to`, if the frame is a well-formed
/// JSON object read without surprises; `None` to ask serde_json.
pub(crate) fn peek(raw: &str) -> Option<Peeked> {
    let mut s = Scanner::new(raw);
    let (mut kind, mut subtype, mut reply_to) = (None, None, None);
    s.eat(b'{')?;
    if s.ws()? == b'}' {
        s.i += 1;
    } else {
        loop {
            // A repeated key: the last one counts, as with serde_json.
            match s.key(true)? {
                b"type" => kind = Some(s.plain_str()?),
                b"subtype" => subtype = Some(s.plain_str()?),
                b"reply_to" => reply_to = Some(s.uint()?),
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
    s.at_end().then_some((kind, subtype, reply_to))
}
