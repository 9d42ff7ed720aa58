//! Settings of orders and payments: `ORDER_TTL_MINUTES`, `PAYMENTS_DEMO`, and the gateways'
//! own variables (Alipay's in [`crate::payments::alipay::AlipaySettings`], WeChat Pay's in
//! [`crate::payments::wechat::WechatSettings`], UnionPay's in
//! [`crate::payments::unionpay::UnionpaySettings`]).

use url::Url;

use crate::config::{bad, number, ConfigError, DatabaseKind};

#[derive(Debug, Clone)]
pub struct OrderSettings {
    /// How long a pending order waits for its payment before it closes.
    pub ttl: chrono::Duration,
    /// The built-in demo gateway (no money moves) is offered.
    pub demo: bool,
    /// The site's public address: gateways send buyers and notifications back to it.
    pub public_url: Url,
    pub alipay: Option<crate::payments::alipay::AlipaySettings>,
    pub wechat: Option<crate::payments::wechat::WechatSettings>,
    pub unionpay: Option<crate::payments::unionpay::UnionpaySettings>,
}

impl OrderSettings {
    pub fn from_lookup(
        var: &impl Fn(&str) -> Option<String>,
        database: DatabaseKind,
        public_url: &Url,
    ) -> Result<Self, ConfigError> {
        let minutes = number(var, "ORDER_TTL_MINUTES", 30, 1, 7 * 24 * 60)?;
        let https = public_url.scheme() == "https";
        // A demo gateway pays for free: only for a newcomer's embedded instance, never on a
        // public https site.
        let demo =
            match var("PAYMENTS_DEMO")
                .map(|v| v.to_ascii_lowercase())
                .as_deref()
            {
                None => database == DatabaseKind::Sqlite && !https,
                Some("1" | "true" | "yes" | "on") if https => return Err(bad(
                    "PAYMENTS_DEMO",
                    "the demo gateway pays without money; it is refused when PUBLIC_URL is https",
                )),
                Some("1" | "true" | "yes" | "on") => true,
                Some("0" | "false" | "no" | "off") => false,
                Some(other) => {
                    return Err(bad(
                        "PAYMENTS_DEMO",
                        format!("expected true or false, got '{other}'"),
                    ))
                }
            };
        Ok(Self {
            ttl: chrono::Duration::minutes(i64::from(minutes)),
            demo,
            public_url: public_url.clone(),
            alipay: crate::payments::alipay::AlipaySettings::from_lookup(var)?,
            wechat: crate::payments::wechat::WechatSettings::from_lookup(var)?,
            unionpay: crate::payments::unionpay::UnionpaySettings::from_lookup(var)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn read(vars: &[(&str, &str)], db: DatabaseKind, url: &str) -> Result<OrderSettings, String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        OrderSettings::from_lookup(
            &|n: &str| map.get(n).cloned(),
            db,
            &Url::parse(url).unwrap(),
        )
        .map_err(|e| e.to_string())
    }

    #[test]
    fn demo_is_on_only_for_embedded_sqlite_and_never_on_https() {
        assert!(
            read(&[], DatabaseKind::Sqlite, "http://127.0.0.1:3000/")
                .unwrap()
                .demo
        );
        assert!(
            !read(&[], DatabaseKind::Postgres, "http://127.0.0.1:3000/")
                .unwrap()
                .demo
        );
        assert!(
            !read(&[], DatabaseKind::Sqlite, "https://xc.example/")
                .unwrap()
                .demo
        );
        let refused = read(
            &[("PAYMENTS_DEMO", "true")],
            DatabaseKind::Sqlite,
            "https://xc.example/",
        );
        assert!(refused.unwrap_err().contains("PAYMENTS_DEMO"));
        let ttl = read(
            &[("ORDER_TTL_MINUTES", "5")],
            DatabaseKind::Postgres,
            "http://x/",
        )
        .unwrap();
        assert_eq!(ttl.ttl, chrono::Duration::minutes(5));
        assert!(read(
            &[("ORDER_TTL_MINUTES", "0")],
            DatabaseKind::Sqlite,
            "http://x/"
        )
        .is_err());
    }
}
