//! Login throttling: failed sign-ins are counted per account and per client IP in fixed
//! windows. Past the limit, sign-in answers "try again in N s" *before* any password hashing, so
//! guessing costs the attacker time and costs us nothing.
//!
//! With Redis the counters are shared by every instance (one atomic script per hit); in
//! embedded mode they live in this process.

use std::{sync::Arc, time::Duration};

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

    /// Seconds to wait when a limit is reached, else `None`.
    pub async fn blocked_for(&self, login: &str, ip: Option<&str>) -> Option<u64> {
        let mut wait = None;
        for (key, limit) in self.keys(login, ip) {
            if let Some((count, left)) = self.peek(&key).await {
                if count >= limit {
                    wait = Some(wait.unwrap_or(0).max(left.as_secs().max(1)));
                }
            }
        }
        wait
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
                let _: Result<i64, _> = redis.pool().del(&key).await;
            }
            Counters::Local(cache) => cache.invalidate(&key).await,
        }
    }

    async fn peek(&self, key: &str) -> Option<(u64, Duration)> {
        match &self.counters {
            Counters::Redis(redis) => {
                let count: Option<u64> = redis.pool().get(key).await.ok()?;
                let ttl: i64 = redis.pool().pttl(key).await.ok()?;
                Some((
                    count?,
                    Duration::from_millis(u64::try_from(ttl).unwrap_or(0)),
                ))
            }
            Counters::Local(cache) => {
                let slot = cache.get(key).await?;
                let (count, started) = *slot.lock().ok()?;
                Some((count, WINDOW.saturating_sub(started.elapsed())))
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
                if let Err(err) = result {
                    // Failing open keeps sign-in available when Redis hiccups; the IP and account
                    // limits resume with the next hit that reaches Redis.
                    tracing::warn!(error = %err, "login throttle: redis unavailable");
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
