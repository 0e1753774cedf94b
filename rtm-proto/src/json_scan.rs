//! A one-pass JSON scanner over bytes: it validates what it skips exactly as serde_json
//! does, and hands out spans of the text. The fast readers of RTM frames
//! ([`crate::frame::scan`]) and Socket Mode envelopes build on it; each answers only when it
//! is sure of serde_json's answer and otherwise declines.

/// A string field of a frame: a span of the raw text when it needed no unescaping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Field {
    Span(u32, u32),
    Owned(Box<str>),
}

impl Field {
    pub(crate) fn of(raw: &str, value: &str) -> Field {
        let base = raw.as_ptr() as usize;
        let at = value.as_ptr() as usize;
        // Borrowed strings point into `raw`; unescaped ones were copied and must be owned.
        if at >= base && at + value.len() <= base + raw.len() && raw.len() <= u32::MAX as usize {
            let start = at - base;
            Field::Span(start as u32, (start + value.len()) as u32)
        } else {
            Field::Owned(value.into())
        }
    }

    pub(crate) fn get<'a>(&'a self, raw: &'a str) -> &'a str {
        match self {
            Field::Span(a, b) => &raw[*a as usize..*b as usize],
            Field::Owned(s) => s,
        }
    }
}

/// Deeper nesting is left to serde_json (the scanner keeps its stack in a `u128`).
const MAX_DEPTH: u32 = 127;

/// The byte index of a JSON text, and the text.
pub(crate) struct Scanner<'a> {
    pub(crate) b: &'a [u8],
    pub(crate) i: usize,
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

impl<'a> Scanner<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Scanner {
            b: text.as_bytes(),
            i: 0,
        }
    }

    /// Only whitespace follows.
    pub(crate) fn at_end(&mut self) -> bool {
        self.ws().is_none()
    }

    #[inline(always)]
    pub(crate) fn byte(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    /// Skips JSON whitespace (exactly serde_json's set) and returns the next byte.
    #[inline(always)]
    pub(crate) fn ws(&mut self) -> Option<u8> {
        loop {
            let c = self.byte()?;
            match c {
                b' ' | b'\n' | b'\t' | b'\r' => self.i += 1,
                _ => return Some(c),
            }
        }
    }

    #[inline(always)]
    pub(crate) fn eat(&mut self, c: u8) -> Option<()> {
        (self.ws()? == c).then(|| self.i += 1)
    }

    /// After an opening quote: skips to the closing one and returns the content's range.
    /// With `plain`, any escape declines (the content must equal the raw bytes).
    #[inline(always)]
    pub(crate) fn string(&mut self, plain: bool) -> Option<(usize, usize)> {
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

    pub(crate) fn digits(&mut self) -> usize {
        let start = self.i;
        while self.byte().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        self.i - start
    }

    /// A number, in JSON's grammar (what follows it is checked by the caller).
    pub(crate) fn number(&mut self) -> Option<()> {
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

    pub(crate) fn literal(&mut self, word: &[u8]) -> Option<()> {
        (self.b.get(self.i..self.i + word.len())? == word).then(|| self.i += word.len())
    }

    /// `"key":` inside an object, at its opening quote (after whitespace). Returns the raw
    /// key. With `plain` (top level), a key with escapes declines: it could spell one the
    /// core reads.
    #[inline(always)]
    pub(crate) fn key(&mut self, plain: bool) -> Option<&'a [u8]> {
        self.eat(b'"')?;
        let (a, b) = self.string(plain)?;
        self.eat(b':')?;
        Some(&self.b[a..b])
    }

    /// Skips any one value, nested ones iteratively (bit n of `stack`: level n+1 is an
    /// object).
    pub(crate) fn skip_value(&mut self) -> Option<()> {
        self.skip_value_within(MAX_DEPTH)
    }

    /// [`Self::skip_value`], declining values nested deeper than `max_depth` (at most
    /// 127).
    pub(crate) fn skip_value_within(&mut self, max_depth: u32) -> Option<()> {
        let max_depth = max_depth.min(MAX_DEPTH);
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
                        if depth == max_depth {
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

    /// A string value without escapes, at its opening quote (after whitespace): the span of
    /// its content.
    #[inline(always)]
    pub(crate) fn plain_str(&mut self) -> Option<Field> {
        self.eat(b'"')?;
        let (a, b) = self.string(true)?;
        Some(Field::Span(u32::try_from(a).ok()?, u32::try_from(b).ok()?))
    }

    /// A plain unsigned integer that surely fits a `u64` (no sign, fraction, exponent or
    /// leading zero; at most 19 digits); anything else declines.
    pub(crate) fn uint(&mut self) -> Option<u64> {
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
