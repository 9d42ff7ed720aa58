//! Periodic clean-up of rows that guard nothing any more: expired sessions of the database
//! store, expired refresh tokens and revoked token ids, and spent or expired one-time e-mail
//! links. Every read already ignores such rows; the sweep only keeps the tables small.
//!
//! It is a scheduled job (`HOUSEKEEPING_CRON`, every 15 minutes by default; see
//! [`crate::jobs::schedule`]): one run per tick across all instances, retried with backoff
//! while the database is away. The deletes are idempotent, so even a repeated run is harmless.

use chrono::{DateTime, Utc};

use crate::{
    auth::{revoked::PURGE_MARGIN, session_store::DbSessionStore},
    db::{self, Db},
};

/// Failed-attempt rows of jobs are kept this long (they explain a failure; a week is plenty).
const JOB_ERRORS_KEPT: chrono::TimeDelta = chrono::TimeDelta::days(7);

/// Rows removed by one sweep.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub sessions: u64,
    pub tokens: u64,
    pub email_links: u64,
    pub job_errors: u64,
}

/// One sweep, as of `now`.
pub async fn sweep(db: &Db, now: DateTime<Utc>) -> Result<Swept, sqlx::Error> {
    Ok(Swept {
        sessions: DbSessionStore::new(db.clone()).delete_expired(now).await?,
        // Revoked ids outlive their token by the clock-skew margin verification allows.
        tokens: db::tokens::purge_expired(db, now - PURGE_MARGIN).await?,
        email_links: db::email_tokens::purge_dead(db, now).await?,
        job_errors: db::jobs::purge_errors(db, now - JOB_ERRORS_KEPT).await?,
    })
}
