//! The writer of the command audit: sessions hand it their entered lines through one bounded
//! queue, and a single task writes what has queued up in one statement per batch. A user who
//! pastes thousands of lines therefore costs a few INSERTs, not a task and a connection each.
//! A full queue makes the typing session wait (its own input slows), so a flood cannot push
//! lines out of the audit; only a writer stuck for seconds (the database away) loses lines,
//! counted and logged (the recording still has every keystroke), and memory stays bounded.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::sync::mpsc;

use crate::db::terminals::{insert_commands, CommandLine};
use crate::db::Db;

/// Lines waiting for the writer; past this, new lines are dropped.
const QUEUE: usize = 4_096;
/// How long a session waits for room in a full queue before its line is dropped.
const FULL_WAIT: std::time::Duration = std::time::Duration::from_secs(2);
/// Lines per INSERT (5 parameters each: well under both backends' limits).
const BATCH: usize = 200;

#[derive(Clone)]
pub struct CommandLog {
    queue: mpsc::Sender<CommandLine>,
    dropped: Arc<AtomicU64>,
}

impl CommandLog {
    /// Starts the writer task (it ends when the last `CommandLog` clone is dropped).
    pub fn start(db: Db) -> Self {
        let (queue, mut rx) = mpsc::channel::<CommandLine>(QUEUE);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(BATCH);
            while rx.recv_many(&mut batch, BATCH).await > 0 {
                if let Err(e) = insert_commands(&db, &batch).await {
                    tracing::warn!(error = %e, lines = batch.len(), "command audit lines not written");
                }
                batch.clear();
            }
        });
        Self {
            queue,
            dropped: Default::default(),
        }
    }

    /// Queues a line. When the queue is full the session that typed it waits (up to
    /// [`FULL_WAIT`]) instead of its line being dropped: a pasted flood slows its own terminal,
    /// and cannot push a later command, or another user's, out of the audit. Only a writer stuck
    /// that long (the database away) loses lines, counted and logged.
    pub async fn push(&self, line: CommandLine) {
        let line = match self.queue.try_send(line) {
            Ok(()) => return,
            Err(mpsc::error::TrySendError::Closed(_)) => None,
            Err(mpsc::error::TrySendError::Full(line)) => Some(line),
        };
        let sent = match line {
            Some(line) => self.queue.send_timeout(line, FULL_WAIT).await.is_ok(),
            None => false,
        };
        if !sent {
            let n = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if n.is_power_of_two() {
                tracing::warn!(dropped = n, "command audit writer stuck: lines dropped");
            }
        }
    }

    /// Lines dropped since start because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}
