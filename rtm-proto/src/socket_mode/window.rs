//! A bounded set of recent keys: the redelivery filter's memory. Oldest keys go first, so
//! memory stays within the configured size however long the session runs.

use std::collections::{HashSet, VecDeque};

#[derive(Debug)]
pub(crate) struct Window {
    cap: usize,
    order: VecDeque<String>,
    keys: HashSet<String>,
}

impl Window {
    pub(crate) fn new(cap: usize) -> Self {
        Window {
            cap: cap.max(1),
            order: VecDeque::new(),
            keys: HashSet::new(),
        }
    }

    pub(crate) fn contains(&self, key: &str) -> bool {
        self.keys.contains(key)
    }

    /// Remembers `key`; false if it was known.
    pub(crate) fn insert(&mut self, key: &str) -> bool {
        if self.keys.contains(key) {
            return false;
        }
        if self.order.len() >= self.cap
            && let Some(old) = self.order.pop_front()
        {
            self.keys.remove(&old);
        }
        self.order.push_back(key.to_owned());
        self.keys.insert(key.to_owned());
        true
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.order.len()
    }
}

#[cfg(test)]
mod tests {
    use super::Window;

    #[test]
    fn forgets_the_oldest_beyond_its_size() {
        let mut w = Window::new(2);
        assert!(w.insert("a"));
        assert!(!w.insert("a"));
        assert!(w.insert("b"));
        assert!(w.insert("c"));
        assert!(!w.contains("a"));
        assert!(w.contains("b") && w.contains("c"));
        assert_eq!(w.len(), 2);
    }
}
