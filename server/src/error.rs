//! Turning internal failures into the client-facing [`AppError`], logged exactly once here.
//!
//! Causes (driver messages, I/O errors) go to the log with the request's span; clients get the
//! kind only. `RowNotFound` becomes `NotFound` and unique violations become `Conflict` in this one
//! place, so repositories can use `?` freely.
//!
//! A database that cannot be reached (no connection within the acquire timeout, a connection
//! refused or cut, a statement timeout) is [`AppError::Unavailable`]: 503 with `Retry-After`. It
//! is logged once per outage by [`DATABASE`] (see [`crate::outage`]), not once per request.

use std::{any::Any, sync::Arc};

use app::error::AppError;

use crate::outage::Dependency;

/// The database's outage log: one warning when it goes away, one line when it is back.
/// Process-wide: a process serves one database.
pub static DATABASE: Dependency = Dependency::new("database");

pub trait ResultExt<T> {
    /// Maps a database error to its client-facing kind; `what` names the object ("course").
    fn db_err(self, what: &str) -> Result<T, AppError>;
    /// Logs any other failure and answers `Internal`.
    fn internal(self, context: &str) -> Result<T, AppError>;
}

impl<T> ResultExt<T> for Result<T, sqlx::Error> {
    fn db_err(self, what: &str) -> Result<T, AppError> {
        self.map_err(|err| db_error(err, what))
    }

    fn internal(self, context: &str) -> Result<T, AppError> {
        self.map_err(|err| {
            if is_unavailable(&err) {
                DATABASE.lost(&err);
                tracing::debug!(error = %err, "{context}: database unavailable");
                return AppError::Unavailable;
            }
            tracing::error!(error = %err, "{context}");
            AppError::Internal
        })
    }
}

pub fn db_error(err: sqlx::Error, what: &str) -> AppError {
    if is_unavailable(&err) {
        DATABASE.lost(&err);
        tracing::debug!(error = %err, object = what, "database unavailable");
        return AppError::Unavailable;
    }
    match &err {
        sqlx::Error::RowNotFound => AppError::NotFound(what.to_string()),
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            AppError::Conflict(format!("this {what} already exists"))
        }
        // SQLite reports an `ON DELETE RESTRICT` refusal as a trigger constraint (1811), not
        // as a foreign-key one, with the same message.
        sqlx::Error::Database(db)
            if db.is_foreign_key_violation()
                || db.message().contains("FOREIGN KEY constraint failed") =>
        {
            AppError::Conflict(format!("this {what} is still referenced by other records"))
        }
        // A CHECK the service's own validation did not catch (a coupon's quantity lowered
        // while an order reserved it): the write is refused, nothing changed.
        sqlx::Error::Database(db) if db.kind() == sqlx::error::ErrorKind::CheckViolation => {
            AppError::Conflict(format!("this {what} conflicts with a rule of its records"))
        }
        _ => {
            tracing::error!(error = %err, object = what, "database error");
            AppError::Internal
        }
    }
}

/// For any other failure: `Internal`, logged here; but a database or Redis error (also one
/// shared through a cache, as `Arc`) that says the dependency is away, or a session store whose
/// backend failed, is `Unavailable`, logged once per outage, wherever it was mapped.
pub fn internal<E: std::fmt::Display + 'static>(err: E, context: &str) -> AppError {
    let any = &err as &dyn Any;
    let database = any
        .downcast_ref::<sqlx::Error>()
        .or_else(|| any.downcast_ref::<Arc<sqlx::Error>>().map(|e| &**e));
    if let Some(db) = database.filter(|e| is_unavailable(e)) {
        DATABASE.lost(db);
        tracing::debug!(error = %err, "{context}: database unavailable");
        return AppError::Unavailable;
    }
    if let Some(redis) = any.downcast_ref::<fred::error::Error>() {
        return crate::redis::app_error(redis.clone(), context);
    }
    // The session store's backend (Redis or the database) failed: sessions fail closed.
    if let Some(tower_sessions::session::Error::Store(
        tower_sessions::session_store::Error::Backend(_),
    )) = any.downcast_ref::<tower_sessions::session::Error>()
    {
        tracing::debug!(error = %err, "{context}: session store unavailable");
        return AppError::Unavailable;
    }
    tracing::error!(error = %err, "{context}");
    AppError::Internal
}

/// Whether the error says the database cannot be reached right now (as opposed to a bad query):
/// the same request will work once it is back.
pub fn is_unavailable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            matches!(
                code.as_ref(),
                // PostgreSQL: refused because the database does not allow connections (55000),
                // too many connections (53300), cancelled by the statement timeout (57014),
                // shut down or starting (57P01..57P03), any connection exception (08xxx).
                "55000" | "53300" | "57014" | "57P01" | "57P02" | "57P03"
                    // SQLite: still busy (locked) after the busy timeout.
                    | "5" | "261" | "517"
            ) || code.starts_with("08")
        }),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_failures_are_unavailable_and_query_failures_are_not() {
        assert_eq!(
            db_error(sqlx::Error::PoolTimedOut, "course"),
            AppError::Unavailable
        );
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert_eq!(
            db_error(sqlx::Error::Io(refused), "course"),
            AppError::Unavailable
        );
        assert_eq!(
            db_error(sqlx::Error::RowNotFound, "course"),
            AppError::NotFound("course".into())
        );
        assert_eq!(
            db_error(sqlx::Error::ColumnNotFound("x".into()), "course"),
            AppError::Internal
        );
        // Through a cache's shared error, too.
        let cached = Arc::new(sqlx::Error::PoolTimedOut);
        assert_eq!(internal(cached, "listing courses"), AppError::Unavailable);
        assert_eq!(
            internal("a broken template", "rendering"),
            AppError::Internal
        );
    }
}
