//! Log output captured in memory, for tests that read what a client logs: hand
//! `move || captured.clone()` to `tracing_subscriber::fmt().with_writer(..)`.

use std::io::Write;
use std::sync::{Arc, Mutex};

/// A shared in-memory writer; every clone appends to the same buffer.
#[derive(Debug, Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    /// An empty capture.
    pub fn new() -> Self {
        Captured::default()
    }

    /// Everything written so far, as text.
    pub fn text(&self) -> String {
        let bytes = self.0.lock().unwrap_or_else(|e| e.into_inner());
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_one_buffer() {
        let c = Captured::new();
        let mut w = c.clone();
        write!(w, "a line").unwrap();
        assert_eq!(c.text(), "a line");
    }
}
