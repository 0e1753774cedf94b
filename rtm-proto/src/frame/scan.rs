//! The fast reading of a frame: one pass over the bytes that validates the whole frame as
//! JSON and records the top-level `type`, `subtype` and `reply_to`. It answers only when the
//! answer is certainly the one [`super::visitor::peek`] gives; `None` means "ask serde_json" (which
//! also produces the error of a malformed frame). Why: serde_json's skipping of ignored values
//! through the visitor machinery was ~30% of a flood's client time.

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
