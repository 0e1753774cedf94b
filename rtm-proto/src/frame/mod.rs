//! Reading incoming frames: only the fields the core decides on are parsed; the rest is
//! skipped without building values, and left to the user's lazy typed view.
//!
//! Leaf first: [`scan`] (the one-pass byte scanner), [`visitor`] (the serde_json reading the
//! scanner defers to), [`reply`] (the fields of replies and `error` frames).

pub(crate) mod reply;
pub(crate) mod scan;
#[cfg(test)]
mod tests;
pub(crate) mod visitor;

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

/// What the core reads from a frame: `type`, `subtype`, `reply_to`.
pub(crate) type Peeked = (Option<Field>, Option<Field>, Option<u64>);

/// The fields the core needs: the fast scanner's answer, or serde_json's when it declines.
pub(crate) fn peek(raw: &str) -> Result<Peeked, serde_json::Error> {
    match scan::peek(raw) {
        Some(peeked) => Ok(peeked),
        None => visitor::peek(raw),
    }
}
