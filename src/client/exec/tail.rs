//! The bounded tail of a client's stderr: the last lines it wrote since the tail was last taken,
//! at most [`MAX_LINES`] lines and [`MAX_BYTES`] bytes, each line cut at [`MAX_LINE_BYTES`]. A
//! client that floods its log costs a fixed amount of memory; what was dropped is counted and
//! said.

use std::collections::VecDeque;

/// Most lines kept.
pub const MAX_LINES: usize = 40;
/// Most bytes kept over all lines.
pub const MAX_BYTES: usize = 8 * 1024;
/// Longest line kept; the rest of a longer one is dropped.
pub const MAX_LINE_BYTES: usize = 1024;

/// The tail of a log, fed with bytes as they arrive.
#[derive(Debug, Default)]
pub struct LogTail {
    lines: VecDeque<String>,
    bytes: usize,
    partial: Vec<u8>,
    partial_cut: bool,
    dropped: u64,
}

impl LogTail {
    /// Appends bytes the client wrote.
    pub fn push(&mut self, mut bytes: &[u8]) {
        while let Some(end) = bytes.iter().position(|&b| b == b'\n') {
            self.extend_partial(&bytes[..end]);
            self.end_line();
            bytes = &bytes[end + 1..];
        }
        self.extend_partial(bytes);
    }

    /// The lines written since the last call (a last unterminated line included), with a note
    /// of how many earlier ones were dropped; `None` when nothing was written. The tail is empty
    /// afterwards.
    pub fn take(&mut self) -> Option<String> {
        if !self.partial.is_empty() {
            self.end_line();
        }
        if self.lines.is_empty() && self.dropped == 0 {
            return None;
        }
        let mut text = match self.dropped {
            0 => String::new(),
            1 => "[1 earlier line not kept]\n".to_string(),
            n => format!("[{n} earlier lines not kept]\n"),
        };
        for line in self.lines.drain(..) {
            text.push_str(&line);
            text.push('\n');
        }
        self.bytes = 0;
        self.dropped = 0;
        Some(text)
    }

    fn extend_partial(&mut self, bytes: &[u8]) {
        let room = MAX_LINE_BYTES.saturating_sub(self.partial.len());
        if bytes.len() > room {
            self.partial_cut = true;
        }
        self.partial
            .extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    fn end_line(&mut self) {
        let mut line = String::from_utf8_lossy(&self.partial)
            .trim_end_matches('\r')
            .to_string();
        if std::mem::take(&mut self.partial_cut) {
            line.push_str(" [line cut]");
        }
        self.partial.clear();
        self.bytes += line.len();
        self.lines.push_back(line);
        while self.lines.len() > MAX_LINES || self.bytes > MAX_BYTES {
            if let Some(old) = self.lines.pop_front() {
                self.bytes -= old.len();
                self.dropped += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_lines_across_chunks_and_empties_when_taken() {
        let mut tail = LogTail::default();
        assert_eq!(tail.take(), None);
        tail.push(b"starting\nconn");
        tail.push(b"ected\r\nhalf");
        assert_eq!(tail.take().as_deref(), Some("starting\nconnected\nhalf\n"));
        assert_eq!(tail.take(), None);
    }

    #[test]
    fn a_flood_keeps_the_last_lines_and_counts_the_rest() {
        let mut tail = LogTail::default();
        for n in 0..1000 {
            tail.push(format!("line {n}\n").as_bytes());
        }
        tail.push(&vec![b'x'; 100_000]);
        let text = tail.take().unwrap_or_default();
        assert!(
            text.starts_with("[961 earlier lines not kept]\nline 961\n"),
            "{text}"
        );
        assert!(text.ends_with(" [line cut]\n"), "{text}");
        assert_eq!(text.lines().count(), 1 + MAX_LINES);
        assert!(text.len() <= MAX_BYTES + 100);
    }

    #[test]
    fn long_lines_are_bounded_by_bytes_too() {
        let mut tail = LogTail::default();
        for _ in 0..20 {
            tail.push(&[b'y'; 2000]);
            tail.push(b"\n");
        }
        let text = tail.take().unwrap_or_default();
        assert!(text.len() <= MAX_BYTES + 100, "{}", text.len());
        assert!(text.starts_with("[13 earlier lines not kept]\n"), "{text}");
    }
}
