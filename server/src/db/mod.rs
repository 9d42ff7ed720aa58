//! The database: PostgreSQL or SQLite, chosen from `DATABASE_URL` at run time.
//!
//! Repositories share one SQL text per query (runtime queries with `$1` placeholders, which both
//! drivers accept) and run it on whichever pool is configured through [`on_pool!`]. They branch
//! per backend only where the dialects really differ.
//!
//! Faults: a request waits at most `DB_ACQUIRE_TIMEOUT_MS` for a connection and a PostgreSQL
//! statement runs at most `DB_STATEMENT_TIMEOUT_MS`; either failure is a 503
//! ([`crate::error::is_unavailable`]). The pool tests a connection before handing it out and
//! opens new ones as needed, so it recovers by itself when the database returns; each new
//! connection tells [`crate::error::DATABASE`] that the database is back.

pub mod audit;
pub mod catalog;
pub mod coupons;
mod course_page;
pub mod email_tokens;
pub mod enrollments;
pub mod expiry;
pub mod exports;
pub mod follows;
pub mod hosts;
pub mod job_board;
pub mod jobs;
pub mod lessons;
pub mod mail_settings;
pub mod notifications;
pub mod oauth;
pub mod orders;
pub mod paths;
pub mod payments;
pub mod price_policies;
pub mod progress;
pub mod questions;
pub mod rbac;
pub mod records;
pub mod refunds;
pub mod reminders;
pub mod reviews;
pub mod seckill;
pub mod stats;
pub mod terminals;
pub mod tokens;
pub mod users;

use std::{str::FromStr, time::Duration};

use anyhow::Context;
use sqlx::{
    postgres::{PgConnectOptions, PgPool, PgPoolOptions},
    sqlite::{
        SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
    },
};

use crate::config::{DatabaseKind, Settings};

#[derive(Debug, Clone)]
pub enum Db {
    Postgres(PgPool),
    Sqlite(SqlitePool),
}

/// Runs the same expression on either pool: `on_pool!(db, pool => query.fetch_all(pool).await)`.
/// The expression is compiled once per backend, so row types are checked against both.
#[macro_export]
macro_rules! on_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Postgres($pool) => $body,
            $crate::db::Db::Sqlite($pool) => $body,
        }
    };
}

static PG_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");
static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");

impl Db {
    #[tracing::instrument(name = "db.connect", skip_all, fields(db = %settings.database_url_redacted()))]
    pub async fn connect(settings: &Settings) -> anyhow::Result<Db> {
        let url = settings.database_url.expose();
        match settings.database_kind {
            DatabaseKind::Postgres => {
                let mut options = PgConnectOptions::from_str(url)
                    .context("DATABASE_URL: not a valid postgres:// URL")?;
                if let Some(limit) = settings.db_statement_timeout {
                    options = options
                        .options([("statement_timeout", format!("{}ms", limit.as_millis()))]);
                }
                let pool = PgPoolOptions::new()
                    .max_connections(settings.db_max_connections)
                    .acquire_timeout(settings.db_acquire_timeout)
                    .after_connect(|_, _| Box::pin(async { database_answered() }))
                    .connect_with(options)
                    .await
                    .with_context(|| {
                        format!(
                            "cannot connect to PostgreSQL at {}",
                            settings.database_url_redacted()
                        )
                    })?;
                Ok(Db::Postgres(pool))
            }
            DatabaseKind::Sqlite => {
                let options = SqliteConnectOptions::from_str(url)
                    .context("DATABASE_URL: not a valid sqlite:// URL")?
                    .create_if_missing(true)
                    // WAL lets readers proceed while one writer commits.
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(5))
                    // Reads through a memory map of the file instead of a read() call per
                    // page: each pooled connection's own page cache is 2 MB, so scans of a
                    // bigger table (a search over 10,000 courses) went to the kernel for
                    // every page. 256 MB is address space, not memory.
                    .pragma("mmap_size", "268435456");
                if let Some(dir) = options
                    .get_filename()
                    .parent()
                    .filter(|d| !d.as_os_str().is_empty())
                {
                    std::fs::create_dir_all(dir).with_context(|| {
                        format!("cannot create the database directory {}", dir.display())
                    })?;
                }
                // A local file has no outage for a short timeout to detect: its waits are lock
                // and CPU contention, so it gets at least 5 s (a busy machine opened files
                // slower than 1 s).
                let pool = SqlitePoolOptions::new()
                    .max_connections(settings.db_max_connections)
                    .acquire_timeout(
                        settings
                            .db_acquire_timeout
                            .max(std::time::Duration::from_secs(5)),
                    )
                    .connect_with(options)
                    .await
                    .with_context(|| {
                        format!(
                            "cannot open SQLite database {}",
                            settings.database_url_redacted()
                        )
                    })?;
                Ok(Db::Sqlite(pool))
            }
        }
    }

    /// Applies pending migrations of this backend (idempotent), without the statement timeout:
    /// an index built on a large table may take longer than any request should.
    #[tracing::instrument(name = "db.migrate", skip_all)]
    pub async fn migrate(&self) -> anyhow::Result<()> {
        match self {
            Db::Postgres(pool) => {
                let mut conn = unlimited(pool).await?;
                let result = PG_MIGRATIONS.run(&mut *conn).await;
                // Back to the connection's own limit before it returns to the pool.
                sqlx::query("RESET statement_timeout")
                    .execute(&mut *conn)
                    .await?;
                result
            }
            Db::Sqlite(pool) => SQLITE_MIGRATIONS.run(pool).await,
        }
        .context("database migration failed")
    }

    /// A round trip, for `/readyz` and the worker's probe; a success ends a recorded outage.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        on_pool!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))?;
        let _ = database_answered();
        Ok(())
    }

    pub fn kind(&self) -> DatabaseKind {
        match self {
            Db::Postgres(_) => DatabaseKind::Postgres,
            Db::Sqlite(_) => DatabaseKind::Sqlite,
        }
    }

    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await)
    }
}

fn database_answered() -> Result<(), sqlx::Error> {
    crate::error::DATABASE.back();
    Ok(())
}

/// A connection with the statement timeout lifted, for maintenance; `RESET statement_timeout`
/// before it goes back to the pool.
async fn unlimited(
    pool: &PgPool,
) -> Result<sqlx::pool::PoolConnection<sqlx::Postgres>, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    sqlx::query("SET statement_timeout = 0")
        .execute(&mut *conn)
        .await?;
    Ok(conn)
}

/// After a bulk load: the query planner's statistics, and on PostgreSQL the visibility map
/// that index-only scans (the back office's counts) need to skip the table. Autovacuum would
/// get there, a minute or more later, while the site is already serving. No statement timeout:
/// this is maintenance, not a request.
pub async fn tidy_after_bulk_load(db: &Db) -> Result<(), sqlx::Error> {
    match db {
        Db::Postgres(pool) => {
            let mut conn = unlimited(pool).await?;
            sqlx::query("VACUUM ANALYZE").execute(&mut *conn).await?;
            sqlx::query("RESET statement_timeout")
                .execute(&mut *conn)
                .await
                .map(|_| ())
        }
        Db::Sqlite(pool) => sqlx::query("ANALYZE").execute(pool).await.map(|_| ()),
    }
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
pub fn like_pattern(words: &str) -> String {
    let mut out = String::with_capacity(words.len() + 2);
    out.push('%');
    for c in words.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_pattern_escapes_wildcards() {
        assert_eq!(super::like_pattern("50%_OFF\\"), "%50\\%\\_off\\\\%");
    }
}
