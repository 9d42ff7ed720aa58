//! Login throttling: sign-in attempts are counted per account and per client IP in fixed
//! windows, atomically and before the password is checked; a success gives its attempt back.
//! Past the limit, sign-in answers "try again in N s" *before* any password hashing, so
//! guessing costs the attacker time and costs us nothing.
//!
//! With Redis the counters are shared by every instance (one atomic script per hit); in
//! embedded mode they live in this process.

use std::{sync::Arc, time::Duration};

use fred::prelude::*;
use moka::future::Cache;

use app::error::AppError;

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

    /// Counts an attempt on the account and the client IP *before* it is checked, atomically,
    /// and refuses it when either is past its limit. Counting first is what makes the limit
    /// hold under parallel requests: with "read, verify, then count", 200 attempts sent at once
    /// all read a count of zero and all get a guess.
    pub async fn begin(&self, login: &str, ip: Option<&str>) -> Result<(), AppError> {
        let mut wait = None;
        for (key, limit) in self.keys(login, ip) {
            let (count, left) = self.hit(&key).await?;
            if count > limit {
                wait = Some(wait.unwrap_or(0).max(left.as_secs().max(1)));
            }
        }
        match wait {
            Some(retry_after_secs) => Err(AppError::RateLimited { retry_after_secs }),
            None => Ok(()),
        }
    }

    /// After a successful attempt: the account's counter starts again, and the IP gets its
    /// attempt back (only failures use up an address's budget, so a school behind one NAT
    /// address is not locked out by its own sign-ins).
    pub async fn succeeded(&self, login: &str, ip: Option<&str>) {
        let account = self.account_key(login);
        let ip_key = ip.map(|ip| format!("{}ip:{ip}", self.prefix));
        match &self.counters {
            Counters::Redis(redis) => {
                let _: Result<i64, _> = redis.pool().del(&account).await;
                if let Some(key) = ip_key {
                    let _: Result<i64, _> = redis.pool().decr(&key).await;
                }
            }
            Counters::Local(cache) => {
                cache.invalidate(&account).await;
                if let Some(slot) = match ip_key {
                    Some(key) => cache.get(&key).await,
                    None => None,
                } {
                    if let Ok(mut counter) = slot.lock() {
                        counter.0 = counter.0.saturating_sub(1);
                    }
                }
            }
        }
    }

    /// One more attempt on `key`: the count in this window and the time the window has left.
    async fn hit(&self, key: &str) -> Result<(u64, Duration), AppError> {
        match &self.counters {
            Counters::Redis(redis) => {
                let window_ms = i64::try_from(WINDOW.as_millis()).unwrap_or(i64::MAX);
                let reply: Vec<i64> = redis
                    .pool()
                    .eval(HIT, vec![key.to_string()], vec![window_ms])
                    .await
                    // Closed, not open: a throttle that lets everything through while Redis is
                    // away would be a free window for guessing.
                    .map_err(|e| {
                        crate::redis::app_error(e, "counting a sign-in attempt in Redis")
                    })?;
                let count = reply.first().copied().unwrap_or(0);
                let left = reply.get(1).copied().unwrap_or(0);
                Ok((
                    u64::try_from(count).unwrap_or(0),
                    Duration::from_millis(u64::try_from(left).unwrap_or(0)),
                ))
            }
            Counters::Local(cache) => {
                let slot = cache
                    .get_with(key.to_string(), async {
                        Arc::new(std::sync::Mutex::new((0, std::time::Instant::now())))
                    })
                    .await;
                let mut counter = slot
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if counter.1.elapsed() > WINDOW {
                    *counter = (0, std::time::Instant::now());
                }
                counter.0 += 1;
                Ok((counter.0, WINDOW.saturating_sub(counter.1.elapsed())))
            }
        }
    }
}
