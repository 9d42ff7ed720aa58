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

/// Sweeps every [`EVERY`] until `stop` resolves; a failed sweep is logged and retried next time.
pub async fn run(db: Db, stop: impl std::future::Future<Output = ()>) {
    let mut ticks = tokio::time::interval(EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => return,
            _ = ticks.tick() => match sweep(&db, Utc::now()).await {
                Ok(swept) if swept != Swept::default() => tracing::info!(?swept, "housekeeping"),
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "housekeeping sweep failed"),
            },
        }
    }
}
