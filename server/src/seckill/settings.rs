//! Settings of the seckill: the buy token's lifetime and the per-user and per-IP limits that run
//! before the Lua script (`SECKILL_TOKEN_TTL_SECONDS`, `SECKILL_THROTTLE_USER`,
//! `SECKILL_THROTTLE_IP`), and when a dead consumer's claims are taken over
//! (`SECKILL_RECLAIM_IDLE_MS`).

use crate::config::{number, ConfigError};
use crate::rest::settings::Rate;

#[derive(Debug, Clone)]
pub struct SeckillSettings {
    /// How long a buy token (the hidden address) stays valid.
    pub token_ttl_secs: u32,
    /// Token and buy requests per signed-in user (`off` for none).
    pub throttle_user: Option<Rate>,
    /// Token and buy requests per client IP (`off` for none).
    pub throttle_ip: Option<Rate>,
    /// How long a claim may sit unacknowledged with a consumer before another takes it over.
    pub reclaim_idle: std::time::Duration,
}

impl SeckillSettings {
    pub fn from_lookup(var: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let rate = |name: &'static str, default: &str| {
            Rate::parse(&var(name).unwrap_or_else(|| default.to_string()))
                .map_err(|message| ConfigError { var: name, message })
        };
        Ok(Self {
            token_ttl_secs: number(var, "SECKILL_TOKEN_TTL_SECONDS", 30, 5, 600)?,
            // A person presses a button a few times a second at most; a script many more.
            throttle_user: rate("SECKILL_THROTTLE_USER", "5/sec")?,
            // Campus networks put many students behind one address: the per-IP budget is wide.
            throttle_ip: rate("SECKILL_THROTTLE_IP", "200/sec")?,
            reclaim_idle: std::time::Duration::from_millis(u64::from(number(
                var,
                "SECKILL_RECLAIM_IDLE_MS",
                30_000,
                100,
                3_600_000,
            )?)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_bounds() {
        let none = |_: &str| None;
        let s = SeckillSettings::from_lookup(&none).unwrap();
        assert_eq!(s.token_ttl_secs, 30);
        assert_eq!(s.throttle_user.unwrap().count, 5);
        let off = |n: &str| (n == "SECKILL_THROTTLE_IP").then(|| "off".to_string());
        assert!(SeckillSettings::from_lookup(&off)
            .unwrap()
            .throttle_ip
            .is_none());
        let bad = |n: &str| (n == "SECKILL_TOKEN_TTL_SECONDS").then(|| "0".to_string());
        assert!(SeckillSettings::from_lookup(&bad).is_err());
    }
}
