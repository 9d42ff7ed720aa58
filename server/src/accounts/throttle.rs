//! Login throttling: failed sign-ins are counted per account and per client IP in fixed
//! windows. Past the limit, sign-in answers "try again in N s" *before* any password hashing, so
//! guessing costs the attacker time and costs us nothing.
//!
//! With Redis the counters are shared by every instance (one atomic script per hit); in
//! embedded mode they live in this process. When Redis cannot be asked, the check fails closed
//! ([`AppError::Unavailable`], 503): an outage never lifts the limits.

use std::{sync::Arc, time::Duration};

use app::error::AppError;
use fred::prelude::*;
use moka::future::Cache;

use crate::redis::Redis;

pub const ACCOUNT_LIMIT: u64 = 5;
pub const IP_LIMIT: u64 = 20;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

/// INCR with the window's expiry set on the first hit; returns the count and the ms left.
pub(crate) const HIT: &str = "local n = redis.call('INCR', KEYS[1]) \
    if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end \
    return {n, redis.call('PTTL', KEYS[1])}";

#[derive(Clone)]
pub struct LoginThrottle {
    counters: Counters,
    prefix: String,
}

#[derive(Clone)]
enum Counters {
    Redis(Redis),
    Local(Cache<String, Arc<std::sync::Mutex<(u64, std::time::Instant)>>>),
}

impl LoginThrottle {
    pub fn new(redis: Option<Redis>, prefix: &str) -> Self {
        Self::scoped(redis, prefix, "login")
    }

    /// The same counters for another guarded action (`scope` keeps their keys apart), such as
    /// password-reset mails.
    pub fn scoped(redis: Option<Redis>, prefix: &str, scope: &str) -> Self {
        let counters = match redis {
            Some(redis) => Counters::Redis(redis),
            None => Counters::Local(
                Cache::builder()
                    .max_capacity(100_000)
                    .time_to_live(WINDOW)
                    .build(),
            ),
        };
        Self {
            counters,
            prefix: format!("{prefix}throttle:{scope}:"),
        }
    }

    fn account_key(&self, login: &str) -> String {
        format!("{}acct:{}", self.prefix, login.trim().to_lowercase())
    }

    fn keys(&self, login: &str, ip: Option<&str>) -> Vec<(String, u64)> {
        let mut keys = vec![(self.account_key(login), ACCOUNT_LIMIT)];
        if let Some(ip) = ip {
            keys.push((format!("{}ip:{ip}", self.prefix), IP_LIMIT));
        }
        keys
    }

    /// Seconds to wait when a limit is reached, else `None`; `Unavailable` when the counters
    /// cannot be read.
    pub async fn blocked_for(
        &self,
        login: &str,
        ip: Option<&str>,
    ) -> Result<Option<u64>, AppError> {
        let mut wait = None;
        for (key, limit) in self.keys(login, ip) {
            if let Some((count, left)) = self.peek(&key).await? {
                if count >= limit {
                    wait = Some(wait.unwrap_or(0).max(left.as_secs().max(1)));
                }
            }
        }
        Ok(wait)
    }

    pub async fn record_failure(&self, login: &str, ip: Option<&str>) {
        for (key, _) in self.keys(login, ip) {
            self.hit(&key).await;
        }
    }

    /// A successful sign-in clears the account's counter (not the IP's).
    pub async fn record_success(&self, login: &str) {
        let key = self.account_key(login);
        match &self.counters {
            Counters::Redis(redis) => {
                if let Err(error) = redis.pool().del::<i64, _>(&key).await {
                    tracing::debug!(%error, "login throttle: cannot clear a counter");
                }
            }
            Counters::Local(cache) => cache.invalidate(&key).await,
        }
    }

    async fn peek(&self, key: &str) -> Result<Option<(u64, Duration)>, AppError> {
        match &self.counters {
            Counters::Redis(redis) => {
                let read = |e| crate::redis::app_error(e, "login throttle: reading a counter");
                let count: Option<u64> = redis.pool().get(key).await.map_err(read)?;
                let Some(count) = count else {
                    return Ok(None);
                };
                let ttl: i64 = redis.pool().pttl(key).await.map_err(read)?;
                Ok(Some((
                    count,
                    Duration::from_millis(u64::try_from(ttl).unwrap_or(0)),
                )))
            }
            Counters::Local(cache) => {
                let Some(slot) = cache.get(key).await else {
                    return Ok(None);
                };
                let counted = slot
                    .lock()
                    .ok()
                    .map(|s| (s.0, WINDOW.saturating_sub(s.1.elapsed())));
                Ok(counted)
            }
        }
    }

    async fn hit(&self, key: &str) {
        match &self.counters {
            Counters::Redis(redis) => {
                let window_ms = i64::try_from(WINDOW.as_millis()).unwrap_or(i64::MAX);
                let result: Result<Vec<i64>, _> = redis
                    .pool()
                    .eval(HIT, vec![key.to_string()], vec![window_ms])
                    .await;
                if let Err(error) = result {
                    // The check before this hit read Redis a moment ago; an outage since is
                    // logged once by the connection watcher, and the next check fails closed.
                    tracing::debug!(%error, "login throttle: cannot count a failure");
                }
            }
            Counters::Local(cache) => {
                let slot = cache
                    .get_with(key.to_string(), async {
                        Arc::new(std::sync::Mutex::new((0, std::time::Instant::now())))
                    })
                    .await;
                if let Ok(mut counter) = slot.lock() {
                    if counter.1.elapsed() > WINDOW {
                        *counter = (0, std::time::Instant::now());
                    }
                    counter.0 += 1;
                };
            }
        }
    }
}
