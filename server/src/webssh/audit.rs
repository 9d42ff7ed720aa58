//! The command audit: the lines a user entered, rebuilt from keystrokes (printable characters
//! up to Enter, with backspace and Ctrl-C/Ctrl-U applied, escape sequences such as arrow keys
//! skipped). Tab completion and history recall happen on the host, so a recalled or completed
//! line shows as typed, not as run; the recording has the whole truth.

const MAX_LINE: usize = 4_000;

#[derive(Default)]
pub struct LineAudit {
    line: String,
    /// Inside an escape sequence (ESC seen; `[` seen for CSI).
    escape: Escape,
    /// A multi-byte UTF-8 character in progress.
    partial: Vec<u8>,
}

#[derive(Default, Clone, Copy, PartialEq, Eq)]
enum Escape {
    #[default]
    None,
    Started,
    Csi,
}

impl LineAudit {
    /// Feeds keystrokes; returns the lines completed by them (blank ones left out).
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<String> {
        let mut done = Vec::new();
        for &b in bytes {
            match self.escape {
                Escape::Started => {
                    self.escape = if b == b'[' || b == b'O' {
                        Escape::Csi
                    } else {
                        Escape::None
                    };
                    continue;
                }
                Escape::Csi => {
                    if (0x40..=0x7e).contains(&b) {
                        self.escape = Escape::None;
                    }
                    continue;
                }
                Escape::None => {}
            }
            match b {
                0x1b => self.escape = Escape::Started,
                b'\r' | b'\n' => {
                    let line = std::mem::take(&mut self.line);
                    if !line.trim().is_empty() {
                        done.push(line);
                    }
                }
                0x7f | 0x08 => {
                    self.line.pop();
                }
                0x03 | 0x15 => self.line.clear(),
                0x00..=0x1f => {}
                _ => {
                    self.partial.push(b);
                    match std::str::from_utf8(&self.partial) {
                        Ok(s) => {
                            if self.line.len() + s.len() <= MAX_LINE {
                                self.line.push_str(s);
                            }
                            self.partial.clear();
                        }
                        Err(e) if e.error_len().is_some() || self.partial.len() >= 4 => {
                            self.partial.clear();
                        }
                        Err(_) => {}
                    }
                }
            }
        }
        done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_rebuilt_from_keystrokes() {
        let mut a = LineAudit::default();
        assert!(a.feed(b"ls -").is_empty());
        assert_eq!(a.feed(b"la\r"), vec!["ls -la"]);
        // Backspace, an arrow key and Ctrl-C.
        assert_eq!(a.feed(b"rmx\x7f\x1b[D -r /tmp/a\r"), vec!["rm -r /tmp/a"]);
        assert!(a.feed(b"oops\x03\r").is_empty());
        assert_eq!(a.feed("echo 学城\r".as_bytes()), vec!["echo 学城"]);
    }
}
