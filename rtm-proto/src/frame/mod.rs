//! Reading incoming frames: only the fields the core decides on are parsed; the rest is
//! skipped without building values, and left to the user's lazy typed view.
//!
//! Leaf first: [`scan`] (the one-pass byte scanner), [`visitor`] (the serde_json reading the
//! scanner defers to), [`reply`] (the fields of replies and `error` frames).

pub(crate) mod reply;
pub(crate) mod scan;
#[cfg(test)]
pub(crate) mod tests;
pub(crate) mod visitor;

pub(crate) use crate::json_scan::Field;

/// What the core reads from a frame: `type`, `subtype`, `reply_to`.
pub(crate) type Peeked = (Option<Field>, Option<Field>, Option<u64>);

/// The fields the core needs: the fast scanner's answer, or serde_json's when it declines.
pub(crate) fn peek(raw: &str) -> Result<Peeked, serde_json::Error> {
    match scan::peek(raw) {
        Some(peeked) => Ok(peeked),
        None => visitor::peek(raw),
    }
}
