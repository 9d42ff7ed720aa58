//! Recordings in asciicast v2 (see PROTOCOLS.md), gzip-compressed at rest: a header line, then
//! `[seconds, "o"|"i"|"r", data]` per event.
//!
//! Events are written through a buffer into the gzip stream as they happen; the file is a
//! valid gzip member only after [`Recorder::finish`]. Writes are small and buffered (64 KiB), so
//! the session task rarely reaches the file system; a failed write stops the recording (logged
//! once) without ending the terminal.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use flate2::{write::GzEncoder, Compression};
use serde_json::json;

pub struct Recorder {
    out: Option<GzEncoder<BufWriter<File>>>,
    path: PathBuf,
    started: Instant,
    /// The start of a UTF-8 character split across two output chunks, kept for the next one
    /// (so a replay shows the character, not two replacement marks).
    carry: Vec<u8>,
}

impl Recorder {
    /// `dir/<yyyy>/<mm>/<session>.cast.gz`.
    pub fn create(dir: &Path, session: &str, cols: u16, rows: u16) -> std::io::Result<Self> {
        let now = chrono::Utc::now();
        let dir = dir.join(now.format("%Y/%m").to_string());
        fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{session}.cast.gz"));
        let file = File::create(&path)?;
        let mut out = GzEncoder::new(
            BufWriter::with_capacity(64 * 1024, file),
            Compression::fast(),
        );
        let header = json!({"version": 2, "width": cols, "height": rows,
            "timestamp": now.timestamp(), "env": {"TERM": "xterm-256color"}});
        writeln!(out, "{header}")?;
        Ok(Self {
            out: Some(out),
            path,
            started: Instant::now(),
            carry: Vec::new(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn event(&mut self, code: &str, data: &str) {
        let Some(out) = self.out.as_mut() else { return };
        let line = json!([self.started.elapsed().as_secs_f64(), code, data]);
        if let Err(e) = writeln!(out, "{line}") {
            tracing::warn!(error = %e, path = %self.path.display(), "recording stopped");
            self.out = None;
        }
    }

    pub fn output(&mut self, bytes: &[u8]) {
        let mut joined = std::mem::take(&mut self.carry);
        joined.extend_from_slice(bytes);
        let keep = match std::str::from_utf8(&joined) {
            Ok(_) => 0,
            // An incomplete character at the very end (at most 3 bytes) waits for the rest.
            Err(e) if e.error_len().is_none() => joined.len() - e.valid_up_to(),
            Err(_) => 0,
        };
        let split = joined.len() - keep;
        self.carry = joined.split_off(split);
        if !joined.is_empty() {
            self.event("o", &String::from_utf8_lossy(&joined));
        }
    }

    pub fn input(&mut self, bytes: &[u8]) {
        self.event("i", &String::from_utf8_lossy(bytes));
    }

    pub fn resize(&mut self, cols: u16, rows: u16) {
        self.event("r", &format!("{cols}x{rows}"));
    }

    /// Completes the gzip stream and flushes it to disk.
    pub fn finish(mut self) -> Option<PathBuf> {
        let out = self.out.take()?;
        let done = out
            .finish()
            .and_then(|mut w| w.flush().map(|()| w))
            .and_then(|w| w.into_inner().map_err(|e| e.into_error()))
            .and_then(|f| f.sync_all());
        match done {
            Ok(()) => Some(self.path),
            Err(e) => {
                tracing::warn!(error = %e, path = %self.path.display(), "recording not completed");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn a_recording_is_gzipped_asciicast_v2() {
        let dir = std::env::temp_dir().join(format!("xc-rec-{}", uuid::Uuid::new_v4()));
        let mut r = Recorder::create(&dir, "abc", 80, 24).unwrap();
        r.output(b"$ ");
        // 学 split over two chunks still records as one character.
        r.output(&"学".as_bytes()[..1]);
        r.output(&"学".as_bytes()[1..]);
        r.input(b"ls\r");
        r.resize(100, 30);
        let path = r.finish().unwrap();
        let mut text = String::new();
        flate2::read::GzDecoder::new(File::open(&path).unwrap())
            .read_to_string(&mut text)
            .unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines[0]["version"], 2);
        assert_eq!(lines[0]["width"], 80);
        assert_eq!(lines[1][1], "o");
        assert_eq!(lines[1][2], "$ ");
        assert_eq!(lines[2][2], "学");
        assert_eq!(lines[3][1], "i");
        assert_eq!(lines[4][2], "100x30");
        let _ = fs::remove_dir_all(&dir);
    }
}
