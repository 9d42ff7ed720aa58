//! Outage bookkeeping for the dependencies (the database, Redis): one warning when one goes
//! away and one line when it is back, saying how long it was gone, however many requests failed
//! meanwhile. Requests that fail because of an outage log at debug level only.
//!
//! Who reports what: Redis connection events ([`crate::redis`]) and database errors that mean
//! "cannot reach it" ([`crate::error::is_unavailable`]) report losses; a new database
//! connection, a successful readiness check or housekeeping probe, and Redis reconnections
//! report returns.

use std::{
    fmt::Display,
    sync::{
        atomic::{AtomicBool, Ordering},
        Mutex, PoisonError,
    },
    time::{Duration, Instant},
};

pub struct Dependency {
    name: &'static str,
    /// Mirrors `since.is_some()`, so the common case (no outage) takes no lock.
    down: AtomicBool,
    since: Mutex<Option<Instant>>,
}

impl Dependency {
    pub const fn new(name: &'static str) -> Self {
        Self {
            name,
            down: AtomicBool::new(false),
            since: Mutex::new(None),
        }
    }

    /// The dependency cannot be reached. Warns if this starts an outage; returns whether it did.
    pub fn lost(&self, cause: &dyn Display) -> bool {
        if self.down.load(Ordering::Acquire) {
            return false;
        }
        let mut since = self.since.lock().unwrap_or_else(PoisonError::into_inner);
        if since.is_some() {
            return false;
        }
        *since = Some(Instant::now());
        self.down.store(true, Ordering::Release);
        tracing::warn!(
            dependency = self.name,
            error = %cause,
            "{} unavailable: what needs it answers 503 until it is back",
            self.name
        );
        true
    }

    /// The dependency answered. Logs the end of an outage and returns how long it lasted.
    pub fn back(&self) -> Option<Duration> {
        if !self.down.load(Ordering::Acquire) {
            return None;
        }
        let mut since = self.since.lock().unwrap_or_else(PoisonError::into_inner);
        let gone = since.take()?.elapsed();
        self.down.store(false, Ordering::Release);
        tracing::info!(
            dependency = self.name,
            gone_ms = u64::try_from(gone.as_millis()).unwrap_or(u64::MAX),
            "{} is back after {:.1} s",
            self.name,
            gone.as_secs_f64()
        );
        Some(gone)
    }

    pub fn is_down(&self) -> bool {
        self.down.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::Dependency;

    #[test]
    fn an_outage_starts_once_and_ends_once() {
        let redis = Dependency::new("redis");
        assert_eq!(redis.back(), None);
        assert!(redis.lost(&"connection refused"));
        assert!(!redis.lost(&"connection refused"));
        assert!(redis.is_down());
        assert!(redis.back().is_some());
        assert_eq!(redis.back(), None);
        assert!(!redis.is_down());
        assert!(redis.lost(&"again"));
    }
}
