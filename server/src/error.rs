//! Turning internal failures into the client-facing [`AppError`], logged exactly once here.
//!
//! Causes (driver messages, I/O errors) go to the log with the request's span; clients get the
//! kind only. `RowNotFound` becomes `NotFound` and unique violations become `Conflict` in this one
//! place, so repositories can use `?` freely.

use app::error::AppError;

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
            tracing::error!(error = %err, "{context}");
            AppError::Internal
        })
    }
}

pub fn db_error(err: sqlx::Error, what: &str) -> AppError {
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
        _ => {
            tracing::error!(error = %err, object = what, "database error");
            AppError::Internal
        }
    }
}

/// For any error type that is not a database error.
pub fn internal(err: impl std::fmt::Display, context: &str) -> AppError {
    tracing::error!(error = %err, "{context}");
    AppError::Internal
}
