//! One live terminal: the task that owns the SSH channel and outlives its websockets.
//!
//! It forwards input and resizes to the host, output to the attached bridge (or, while none is
//! attached, into a bounded backlog that a resuming websocket receives first), records
//! everything, queues entered lines for the audit writer ([`super::command_log`]), and ends the session on exit, idle timeout, maximum
//! length, a resume grace period that ran out, or a kill. Output is read from the host only
//! when the attached bridge has room for it, so a slow browser back-pressures the host while
//! input and control messages keep flowing (no deadlock between the two bounded channels).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use chrono::Utc;
use russh::ChannelMsg;
use tokio::sync::mpsc;
use tokio::time::{sleep_until, Instant};

use super::audit::LineAudit;
use super::command_log::CommandLog;
use super::protocol::{FromSession, ToSession};
use super::recording::{Event, Recording};
use super::ssh::Shell;
use crate::db::terminals::CommandLine;
use crate::db::{self, Db};
use crate::metrics::DirectionLabels;

/// The registry of live sessions on this instance, by public id.
pub type Registry = Arc<Mutex<HashMap<String, Live>>>;

/// What the service keeps of a live session.
#[derive(Clone)]
pub struct Live {
    pub to_session: mpsc::Sender<ToSession>,
    pub user_id: i64,
    pub host_id: i64,
    /// Bumped per attach, so a late detach of a replaced websocket is ignored.
    pub generations: Arc<std::sync::atomic::AtomicU64>,
}

pub struct Limits {
    pub idle: Duration,
    pub max: Duration,
    pub grace: Duration,
    pub backlog: usize,
}

pub struct Identity {
    pub row_id: i64,
    pub public_id: String,
    pub user_id: i64,
    pub host_id: i64,
}

/// Where a session's traces go: its row, its audit lines, this instance's registry.
/// Where a session writes: its row, the command audit, the live registry and the metrics.
pub struct Stores {
    pub db: Db,
    pub commands: CommandLog,
    pub registry: Registry,
    pub metrics: crate::metrics::Metrics,
}

/// Output kept while no websocket is attached; the oldest bytes go when it is full.
struct Backlog {
    bytes: VecDeque<u8>,
    cap: usize,
}

impl Backlog {
    fn push(&mut self, chunk: &[u8]) {
        self.bytes.extend(chunk);
        let over = self.bytes.len().saturating_sub(self.cap);
        self.bytes.drain(..over);
    }

    fn take(&mut self) -> Option<Bytes> {
        if self.bytes.is_empty() {
            return None;
        }
        Some(Bytes::from(self.bytes.drain(..).collect::<Vec<u8>>()))
    }
}

/// Registers the session (before it can end and unregister itself) and starts its task;
/// returns the session's inbox.
pub fn spawn(
    shell: Shell,
    who: Identity,
    limits: Limits,
    recorder: Option<Recording>,
    stores: Stores,
) -> mpsc::Sender<ToSession> {
    let (tx, rx) = mpsc::channel(64);
    if let Ok(mut live) = stores.registry.lock() {
        live.insert(
            who.public_id.clone(),
            Live {
                to_session: tx.clone(),
                user_id: who.user_id,
                host_id: who.host_id,
                generations: Default::default(),
            },
        );
    }
    tokio::spawn(run(shell, who, limits, recorder, stores, rx));
    tx
}

async fn run(
    shell: Shell,
    who: Identity,
    limits: Limits,
    recorder: Option<Recording>,
    stores: Stores,
    mut rx: mpsc::Receiver<ToSession>,
) {
    let Stores {
        db,
        commands,
        registry,
        metrics,
    } = stores;
    let output = metrics
        .terminal_bytes
        .get_or_create(&DirectionLabels {
            direction: "output",
        })
        .clone();
    let input = metrics
        .terminal_bytes
        .get_or_create(&DirectionLabels { direction: "input" })
        .clone();
    let Shell {
        handle,
        mut channel,
        ..
    } = shell;
    let opened = Instant::now();
    let max_deadline = opened + limits.max;
    let mut idle_deadline = opened + limits.idle;
    // Not attached yet: the first websocket must come within the grace period too.
    let mut detached_since = Some(opened);
    let mut attached: Option<(u64, mpsc::Sender<FromSession>)> = None;
    let mut pending: Option<Bytes> = None;
    let mut backlog = Backlog {
        bytes: VecDeque::new(),
        cap: limits.backlog,
    };
    let mut audit = LineAudit::default();
    let (mut bytes_in, mut bytes_out) = (0i64, 0i64);
    let mut exit_code: Option<u32> = None;
    let reason: String = loop {
        let out = attached.as_ref().map(|(_, o)| o.clone());
        let room = async move {
            match out {
                Some(tx) => tx.reserve_owned().await.ok(),
                None => std::future::pending().await,
            }
        };
        let grace_deadline = detached_since.map(|t| t + limits.grace);
        tokio::select! {
            permit = room, if pending.is_some() => match (permit, pending.take()) {
                (Some(permit), Some(chunk)) => { permit.send(FromSession::Output(chunk)); }
                (None, chunk) => {
                    // The bridge went away without a detach (its task ended).
                    attached = None;
                    detached_since = Some(Instant::now());
                    if let Some(chunk) = chunk { backlog.push(&chunk); }
                }
                (Some(_), None) => {}
            },
            msg = channel.wait(), if pending.is_none() => match msg {
                Some(ChannelMsg::Data { data }) | Some(ChannelMsg::ExtendedData { data, .. }) => {
                    bytes_out += i64::try_from(data.len()).unwrap_or(0);
                    output.inc_by(data.len() as u64);
                    let chunk = Bytes::copy_from_slice(&data);
                    if let Some(r) = &recorder { r.record(Event::Output(r.now(), chunk.clone())).await; }
                    if attached.is_some() {
                        pending = Some(chunk);
                    } else {
                        backlog.push(&chunk);
                    }
                }
                Some(ChannelMsg::ExitStatus { exit_status }) => exit_code = Some(exit_status),
                // OpenSSH sends the exit status after EOF: wait for the close.
                Some(ChannelMsg::Close) | None => break "exited".into(),
                Some(_) => {}
            },
            cmd = rx.recv() => match cmd {
                Some(ToSession::Input(bytes)) => {
                    idle_deadline = Instant::now() + limits.idle;
                    bytes_in += i64::try_from(bytes.len()).unwrap_or(0);
                    input.inc_by(bytes.len() as u64);
                    if let Some(r) = &recorder { r.record(Event::Input(r.now(), bytes.clone())).await; }
                    for line in audit.feed(&bytes) {
                        commands.push(CommandLine {
                            session_id: who.row_id,
                            host_id: who.host_id,
                            user_id: who.user_id,
                            line,
                            at: Utc::now(),
                        }).await;
                    }
                    if channel.data_bytes(bytes).await.is_err() {
                        break "the host connection was lost".into();
                    }
                }
                Some(ToSession::Resize { cols, rows }) => {
                    if let Some(r) = &recorder { r.record(Event::Resize(r.now(), cols, rows)).await; }
                    let _ = channel.window_change(u32::from(cols), u32::from(rows), 0, 0).await;
                }
                Some(ToSession::Attach { generation, out }) => {
                    let mut missed = backlog.take();
                    if let Some(chunk) = pending.take() {
                        missed = Some(match missed {
                            Some(m) => [m, chunk].concat().into(),
                            None => chunk,
                        });
                    }
                    // The new bridge's inbox is empty: the backlog fits as its first message.
                    if let Some(missed) = missed {
                        let _ = out.try_send(FromSession::Output(missed));
                    }
                    attached = Some((generation, out));
                    detached_since = None;
                }
                Some(ToSession::Detach { generation }) => {
                    if attached.as_ref().is_some_and(|(g, _)| *g == generation) {
                        attached = None;
                        detached_since = Some(Instant::now());
                        if let Some(chunk) = pending.take() { backlog.push(&chunk); }
                    }
                }
                Some(ToSession::Kill(why)) => break why,
                None => break "the server is shutting down".into(),
            },
            _ = sleep_until(idle_deadline) => break "idle timeout".into(),
            _ = sleep_until(max_deadline) => break "maximum session length reached".into(),
            _ = sleep_until(grace_deadline.unwrap_or(max_deadline)), if grace_deadline.is_some() => {
                break "disconnected (not resumed in time)".into();
            }
        }
    };
    if let Ok(mut live) = registry.lock() {
        live.remove(&who.public_id);
    }
    if let Some((_, out)) = attached {
        if let Some(chunk) = pending.take() {
            let _ = out.send(FromSession::Output(chunk)).await;
        }
        let _ = out
            .send(FromSession::Exit {
                code: exit_code,
                reason: reason.clone(),
            })
            .await;
    }
    let _ = channel.close().await;
    let _ = handle
        .disconnect(russh::Disconnect::ByApplication, "terminal closed", "en")
        .await;
    let recording = match recorder {
        Some(r) => r.finish().await,
        None => None,
    };
    if recording.is_some() {
        metrics.recordings_written.inc();
    }
    let path = recording.as_ref().map(|p| p.display().to_string());
    let ended = db::terminals::Ended {
        at: Utc::now(),
        bytes_in,
        bytes_out,
        exit_code: exit_code.map(i64::from),
        reason: &reason,
        recording_path: path.as_deref(),
    };
    if let Err(e) = db::terminals::end(&db, who.row_id, &ended).await {
        tracing::warn!(error = %e, session = %who.public_id, "terminal end not recorded");
    }
    tracing::info!(session = %who.public_id, reason = %reason, "terminal ended");
}
