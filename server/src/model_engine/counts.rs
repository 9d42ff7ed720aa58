//! Recent counts of the back office's searches. A search reads every candidate row to count
//! its matches (`LIKE '%term%'` has no index to use): 3 ms of SQLite and 6 ms of PostgreSQL
//! over 10,000 courses, repeated for every page of the same search. Its count is kept here
//! for a few seconds instead, keyed by the exact conditions and values, so the next page or a
//! reload reads only its rows.
//!
//! Any write through the model engine on this instance forgets every count at once. A write
//! elsewhere (another instance, a sign-up) shows in the total within [`TTL`]; the rows of a
//! page are always read fresh, and a page that is not full gives the exact count anyway.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::sql::SqlValue;

/// How long a count is trusted.
pub const TTL: Duration = Duration::from_secs(10);
/// Different searches kept at most; a full cache starts over.
const MAX_ENTRIES: usize = 256;

#[derive(Clone, Default)]
pub struct RecentCounts(Arc<Mutex<HashMap<String, (Instant, u64)>>>);

impl RecentCounts {
    pub fn key(table: &str, conditions: &str, values: &[SqlValue]) -> String {
        format!("{table}\u{0}{conditions}\u{0}{values:?}")
    }

    pub fn get(&self, key: &str) -> Option<u64> {
        let counts = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        counts
            .get(key)
            .filter(|(at, _)| at.elapsed() < TTL)
            .map(|(_, count)| *count)
    }

    pub fn put(&self, key: String, count: u64) {
        let mut counts = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if counts.len() >= MAX_ENTRIES {
            counts.retain(|_, (at, _)| at.elapsed() < TTL);
        }
        if counts.len() >= MAX_ENTRIES {
            counts.clear();
        }
        counts.insert(key, (Instant::now(), count));
    }

    pub fn forget_all(&self) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_kept_per_key_until_forgotten() {
        let counts = RecentCounts::default();
        let a = RecentCounts::key("courses", "title LIKE $1", &[SqlValue::Text("%a%".into())]);
        let b = RecentCounts::key("courses", "title LIKE $1", &[SqlValue::Text("%b%".into())]);
        counts.put(a.clone(), 3);
        assert_eq!((counts.get(&a), counts.get(&b)), (Some(3), None));
        counts.clone().forget_all();
        assert_eq!(counts.get(&a), None);
    }

    #[test]
    fn a_full_cache_starts_over() {
        let counts = RecentCounts::default();
        for i in 0..=MAX_ENTRIES {
            counts.put(format!("k{i}"), 1);
        }
        assert_eq!(counts.get("k0"), None);
        assert_eq!(counts.get(&format!("k{MAX_ENTRIES}")), Some(1));
    }
}
