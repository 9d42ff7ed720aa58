//! Periodic clean-up of rows that guard nothing any more: expired sessions of the database
//! store, expired refresh tokens and revoked token ids, and spent or expired one-time e-mail
//! links. Every read already ignores such rows; the sweep only keeps the tables small.
//!
//! It runs with the background work (inside `serve` by default, in `xuecheng worker` when the
//! worker is a process of its own). Several instances may sweep at once: the deletes are
//! idempotent.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::{
    auth::{revoked::PURGE_MARGIN, session_store::DbSessionStore},
    db::{self, Db},
    error::{is_unavailable, DATABASE},
};

/// How often the sweep runs.
pub const EVERY: Duration = Duration::from_secs(15 * 60);

/// Rows removed by one sweep.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub sessions: u64,
    pub tokens: u64,
    pub email_links: u64,
}

/// One sweep, as of `now`.
pub async fn sweep(db: &Db, now: DateTime<Utc>) -> Result<Swept, sqlx::Error> {
    Ok(Swept {
        sessions: DbSessionStore::new(db.clone()).delete_expired(now).await?,
        // Revoked ids outlive their token by the clock-skew margin verification allows.
        tokens: db::tokens::purge_expired(db, now - PURGE_MARGIN).await?,
        email_links: db::email_tokens::purge_dead(db, now).await?,
    })
}

/// Sweeps every [`EVERY`] until `stop` resolves.
pub async fn run(db: Db, stop: impl std::future::Future<Output = ()>) {
    run_every(db, EVERY, stop).await
}

/// The first retry while the database is away; retries double up to [`RETRY_MAX`].
pub const RETRY_MIN: Duration = Duration::from_millis(500);
pub const RETRY_MAX: Duration = Duration::from_secs(4);

/// [`run`] with another period; the first sweep starts at once.
///
/// While the database is away the worker pauses: it tries again after [`RETRY_MIN`], doubling
/// up to [`RETRY_MAX`], and sweeps as soon as the database answers instead of waiting for the
/// next period. The outage is logged once ([`DATABASE`]); any other failure is logged and
/// retried next period. A sweep only deletes rows nothing reads, so a missed one loses nothing.
pub async fn run_every(db: Db, every: Duration, stop: impl std::future::Future<Output = ()>) {
    tokio::pin!(stop);
    let mut wait = Duration::ZERO;
    let mut retry = RETRY_MIN;
    loop {
        tokio::select! {
            _ = &mut stop => return,
            _ = tokio::time::sleep(wait) => {}
        }
        match sweep(&db, Utc::now()).await {
            Ok(swept) => {
                DATABASE.back();
                if swept != Swept::default() {
                    tracing::info!(?swept, "housekeeping");
                }
                (wait, retry) = (every, RETRY_MIN);
            }
            Err(error) if is_unavailable(&error) => {
                DATABASE.lost(&error);
                tracing::debug!(%error, ?retry, "housekeeping paused: database unavailable");
                wait = retry;
                retry = (retry * 2).min(RETRY_MAX);
            }
            Err(error) => {
                tracing::warn!(%error, "housekeeping sweep failed");
                wait = every;
            }
        }
    }
}
