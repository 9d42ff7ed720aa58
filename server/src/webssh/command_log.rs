//! The writer of the command audit: sessions hand it their entered lines through one bounded
//! queue, and a single task writes what has queued up in one statement per batch. A user who
//! pastes thousands of lines therefore costs a few INSERTs, not a task and a connection each;
//! when the database falls so far behind that the queue is full, lines are dropped and counted
//! (the recording still has every keystroke) rather than memory growing without bound.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::sync::mpsc;

use crate::db::terminals::{insert_commands, CommandLine};
use crate::db::Db;

/// Lines waiting for the writer; past this, new lines are dropped.
const QUEUE: usize = 4_096;
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

    /// Queues a line; never waits (a session must not stall on the audit).
    pub fn push(&self, line: CommandLine) {
        if self.queue.try_send(line).is_err() {
            let n = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if n.is_power_of_two() {
                tracing::warn!(dropped = n, "command audit queue full: lines dropped");
            }
        }
    }

    /// Lines dropped since start because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}
