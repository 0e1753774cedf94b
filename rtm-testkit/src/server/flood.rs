//! Floods: message events pre-encoded once as WebSocket frames, written in large batches
//! straight to the socket, so a client benchmark measures the client, not this server.

use bytes::Bytes;

/// Frames per write: ~180 KB, few syscalls, yet control commands are checked often.
pub(crate) const BATCH_FRAMES: usize = 512;

/// Server-to-client frames (unmasked), back to back.
#[derive(Debug)]
pub(crate) struct EncodedFlood {
    bytes: Bytes,
    /// Start of every frame, plus the end of the last one.
    bounds: Vec<usize>,
}

impl EncodedFlood {
    pub(crate) fn new(events: &[String]) -> Self {
        let mut buf = Vec::with_capacity(events.iter().map(|e| e.len() + 10).sum());
        let mut bounds = Vec::with_capacity(events.len() + 1);
        for e in events {
            bounds.push(buf.len());
            buf.push(0x81); // FIN + text
            let len = e.len();
            if len < 126 {
                buf.push(len as u8);
            } else if let Ok(len16) = u16::try_from(len) {
                buf.push(126);
                buf.extend_from_slice(&len16.to_be_bytes());
            } else {
                buf.push(127);
                buf.extend_from_slice(&(len as u64).to_be_bytes());
            }
            buf.extend_from_slice(e.as_bytes());
        }
        bounds.push(buf.len());
        EncodedFlood {
            bytes: Bytes::from(buf),
            bounds,
        }
    }

    pub(crate) fn frames(&self) -> usize {
        self.bounds.len() - 1
    }

    /// Bytes of frames `from..to` (indices within one cycle).
    pub(crate) fn slice(&self, from: usize, to: usize) -> Bytes {
        self.bytes.slice(self.bounds[from]..self.bounds[to])
    }
}

/// Walks `count` frames in batches over the cycle of pre-encoded frames.
#[derive(Debug)]
pub(crate) struct FloodCursor {
    left: u64,
    pos: usize,
}

impl FloodCursor {
    pub(crate) fn new(count: u64) -> Self {
        FloodCursor {
            left: count,
            pos: 0,
        }
    }

    /// The next batch, or None when done.
    pub(crate) fn next_batch(&mut self, enc: &EncodedFlood) -> Option<(Bytes, u64)> {
        if self.left == 0 || enc.frames() == 0 {
            return None;
        }
        let room = (enc.frames() - self.pos).min(BATCH_FRAMES);
        let n = room.min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let bytes = enc.slice(self.pos, self.pos + n);
        self.pos = (self.pos + n) % enc.frames();
        self.left -= n as u64;
        Some((bytes, n as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_decode_with_tungstenite() {
        let events: Vec<String> = vec!["a".repeat(10), "b".repeat(300), "c".repeat(70000)];
        let enc = EncodedFlood::new(&events);
        let mut cursor = FloodCursor::new(7);
        let mut wire = Vec::new();
        let mut sent = 0;
        while let Some((b, n)) = cursor.next_batch(&enc) {
            wire.extend_from_slice(&b);
            sent += n;
        }
        assert_eq!(sent, 7);
        let mut ws = tungstenite::WebSocket::from_raw_socket(
            std::io::Cursor::new(wire),
            tungstenite::protocol::Role::Client,
            None,
        );
        for i in 0..7 {
            let msg = ws.read().unwrap();
            assert_eq!(msg.into_text().unwrap().as_str(), events[i % 3]);
        }
    }
}
