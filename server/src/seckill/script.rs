//! The Redis side of the seckill: an event's keys, which share one hash tag (`{<event id>}`),
//! and the Lua scripts, called by SHA (`EVALSHA`) and sent again in full (`EVAL`, which also
//! caches it on that node) when a node answers `NOSCRIPT` (a restart, a failover, a new node).
//!
//! Every key a script touches is passed in `KEYS[]`, never built inside the script, so a Redis
//! Cluster routes the call to the node of that one slot and never answers `CROSSSLOT`.

use std::sync::LazyLock;

use fred::prelude::*;

use crate::redis::Redis;

/// The consumer group that writes claims to the database.
pub const GROUP: &str = "orders";

/// A script and its SHA-1, computed once.
pub struct Script {
    body: &'static str,
    sha: String,
}

impl Script {
    fn new(body: &'static str) -> Self {
        Self {
            body,
            sha: hex::encode(aws_lc_rs::digest::digest(
                &aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY,
                body.as_bytes(),
            )),
        }
    }

    pub fn sha(&self) -> &str {
        &self.sha
    }

    pub fn body(&self) -> &'static str {
        self.body
    }
}

/// The decision: window, per-user limit, stock; then DECR, the buyer, XADD.
pub static BUY: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("buy.lua")));
/// An unpaid seat back to the stock, once per claim.
pub static RELEASE: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("release.lua")));

/// An event's keys under the instance's `REDIS_KEY_PREFIX`.
#[derive(Debug, Clone)]
pub struct Keys {
    /// Hash: `starts`, `ends` (Unix ms), `limit` (seats per user).
    pub meta: String,
    pub stock: String,
    /// Hash: user id → seats held now.
    pub buyers: String,
    /// Hash: user id → claims ever made (a claim's seat number).
    pub claims: String,
    /// The claims, in order, for the consumer group.
    pub stream: String,
    /// Set of claim ids whose seat went back to the stock.
    pub returned: String,
}

impl Keys {
    pub fn new(prefix: &str, event_id: i64) -> Self {
        let key = |part: &str| format!("{prefix}seckill:{{{event_id}}}:{part}");
        Self {
            meta: key("meta"),
            stock: key("stock"),
            buyers: key("buyers"),
            claims: key("claims"),
            stream: key("stream"),
            returned: key("returned"),
        }
    }

    pub fn for_buy(&self) -> Vec<String> {
        vec![
            self.meta.clone(),
            self.stock.clone(),
            self.buyers.clone(),
            self.claims.clone(),
            self.stream.clone(),
        ]
    }

    pub fn for_release(&self) -> Vec<String> {
        vec![
            self.stock.clone(),
            self.buyers.clone(),
            self.returned.clone(),
        ]
    }
}

fn is_noscript(error: &fred::error::Error) -> bool {
    error.details().starts_with("NOSCRIPT") || error.to_string().contains("NOSCRIPT")
}

/// Runs `script` by SHA; on `NOSCRIPT`, once more with its text.
pub async fn call<R: FromValue>(
    redis: &Redis,
    script: &Script,
    keys: Vec<String>,
    args: Vec<String>,
) -> Result<R, fred::error::Error> {
    match redis
        .pool()
        .evalsha::<R, _, _, _>(script.sha(), keys.clone(), args.clone())
        .await
    {
        Err(error) if is_noscript(&error) => {
            tracing::info!("seckill script not cached on this Redis node: sending it again");
            redis.pool().eval(script.body(), keys, args).await
        }
        other => other,
    }
}

/// A claim's id: the buyer and their seat number, unique per event.
pub fn claim_id(user_id: i64, seat: i64) -> String {
    format!("{user_id}:{seat}")
}

/// Reads a claim id back.
pub fn parse_claim(raw: &str) -> Option<(i64, i64)> {
    let (user, seat) = raw.split_once(':')?;
    Some((user.parse().ok()?, seat.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_of_an_event_shares_its_hash_tag() {
        let keys = Keys::new("xc:", 42);
        for key in keys.for_buy().iter().chain(keys.for_release().iter()) {
            assert!(key.starts_with("xc:seckill:{42}:"), "{key}");
            // The first {…} is the hash tag Redis Cluster hashes.
            let tag = key.split_once('{').and_then(|(_, r)| r.split_once('}'));
            assert_eq!(tag.map(|t| t.0), Some("42"));
        }
        assert_eq!(BUY.sha().len(), 40);
        assert_eq!(parse_claim(&claim_id(7, 2)), Some((7, 2)));
        assert_eq!(parse_claim("7"), None);
    }
}
