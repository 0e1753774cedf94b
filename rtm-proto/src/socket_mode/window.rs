//! A bounded set of recent keys: the redelivery filter's memory. Oldest keys go first, so
//! memory stays within the configured size however long the session runs.

use std::collections::{HashSet, VecDeque};
use std::hash::{BuildHasherDefault, DefaultHasher, Hash, Hasher};

/// An id as the window keeps it: a 64-bit hash of its kind and text (no allocation per id;
/// two ids of a window of thousands collide with odds of about 2^-40).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Key(u64);

impl Key {
    fn of(kind: u8, id: &str) -> Key {
        // Fixed keys: the same id hashes the same in every run (deterministic core).
        let mut h = DefaultHasher::new();
        kind.hash(&mut h);
        id.hash(&mut h);
        Key(h.finish())
    }

    /// An `envelope_id`.
    pub(crate) fn envelope(id: &str) -> Key {
        Key::of(0, id)
    }

    /// An Events API `event_id`.
    pub(crate) fn event(id: &str) -> Key {
        Key::of(1, id)
    }
}

/// Keys are hashes already: the set uses them as they are.
#[derive(Debug, Default)]
pub(crate) struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used (by `Key`'s derived `Hash`); kept correct for any input.
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

#[derive(Debug)]
pub(crate) struct Window {
    cap: usize,
    order: VecDeque<Key>,
    keys: HashSet<Key, BuildHasherDefault<KeyHasher>>,
}

impl Window {
    pub(crate) fn new(cap: usize) -> Self {
        Window {
            cap: cap.max(1),
            order: VecDeque::new(),
            keys: HashSet::default(),
        }
    }

    pub(crate) fn contains(&self, key: Key) -> bool {
        self.keys.contains(&key)
    }

    /// Remembers `key`; false if it was known.
    pub(crate) fn insert(&mut self, key: Key) -> bool {
        // One probe for the lookup and the insertion (this runs for every envelope).
        if !self.keys.insert(key) {
            return false;
        }
        if self.order.len() >= self.cap
            && let Some(old) = self.order.pop_front()
        {
            self.keys.remove(&old);
        }
        self.order.push_back(key);
        true
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.order.len()
    }
}

#[cfg(test)]
mod tests {
    use super::{Key, Window};

    #[test]
    fn forgets_the_oldest_beyond_its_size() {
        let [a, b, c] = ["a", "b", "c"].map(Key::envelope);
        let mut w = Window::new(2);
        assert!(w.insert(a));
        assert!(!w.insert(a));
        assert!(w.insert(b));
        assert!(w.insert(c));
        assert!(!w.contains(a));
        assert!(w.contains(b) && w.contains(c));
        assert_eq!(w.len(), 2);
    }

    #[test]
    fn an_envelope_id_and_an_event_id_of_the_same_text_are_different_keys() {
        assert_ne!(Key::envelope("x"), Key::event("x"));
        assert_eq!(Key::envelope("x"), Key::envelope("x"));
    }
}
