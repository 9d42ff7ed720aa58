//! The JSON API's settings (`API_*` variables): throttle rates, CORS origins, body limit and the
//! base of absolute links. Read once with the rest of [`crate::config::Settings`].

use std::time::Duration;

use url::Url;

use crate::config::ConfigError;

/// `count` requests per `period`, written `100/min` (`sec`, `min`, `hour`, `day`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub count: u64,
    pub period: Duration,
}

impl Rate {
    /// `None` for `off`.
    pub fn parse(raw: &str) -> Result<Option<Rate>, String> {
        let raw = raw.trim().to_ascii_lowercase();
        if raw == "off" {
            return Ok(None);
        }
        let (count, unit) = raw
            .split_once('/')
            .ok_or_else(|| format!("expected N/unit such as 100/min, or off; got '{raw}'"))?;
        let count: u64 = count
            .trim()
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("'{count}' is not a positive whole number"))?;
        let secs = match unit.trim() {
            "s" | "sec" | "second" => 1,
            "m" | "min" | "minute" => 60,
            "h" | "hour" => 3_600,
            "d" | "day" => 86_400,
            other => return Err(format!("unknown unit '{other}': use sec, min, hour or day")),
        };
        Ok(Some(Rate {
            count,
            period: Duration::from_secs(secs),
        }))
    }
}

#[derive(Debug, Clone)]
pub struct ApiSettings {
    /// Anonymous callers, counted per client IP.
    pub throttle_anon: Option<Rate>,
    /// Authenticated callers, counted per user.
    pub throttle_user: Option<Rate>,
    /// The `auth` scope (password grant and refresh), counted per IP: expensive (argon2id).
    pub throttle_auth: Option<Rate>,
    /// Origins allowed to call the API from a browser (CORS); empty sends no CORS headers.
    pub cors_origins: Vec<String>,
    /// The largest request body accepted, in bytes.
    pub body_limit: usize,
    /// `PUBLIC_URL` when it was given; else links are built from each request's `Host`.
    pub link_base: Option<Url>,
}

impl ApiSettings {
    pub fn from_lookup(
        var: &impl Fn(&str) -> Option<String>,
        link_base: Option<Url>,
    ) -> Result<Self, ConfigError> {
        let rate = |name: &'static str, default: &str| {
            Rate::parse(&var(name).unwrap_or_else(|| default.to_string()))
                .map_err(|message| ConfigError { var: name, message })
        };
        let mut cors_origins = Vec::new();
        for origin in var("API_CORS_ORIGINS")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|o| !o.is_empty())
        {
            let url = Url::parse(origin).ok().filter(|u| {
                matches!(u.scheme(), "http" | "https") && u.host().is_some() && u.path() == "/"
            });
            match url {
                Some(url) => cors_origins.push(url.origin().ascii_serialization()),
                None => {
                    return Err(ConfigError {
                        var: "API_CORS_ORIGINS",
                        message: format!("'{origin}' is not an origin such as https://app.example"),
                    })
                }
            }
        }
        let body_limit_kb = match var("API_BODY_LIMIT_KB") {
            None => 1024,
            Some(raw) => raw
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=102_400).contains(n))
                .ok_or_else(|| ConfigError {
                    var: "API_BODY_LIMIT_KB",
                    message: format!("expected a whole number from 1 to 102400, got '{raw}'"),
                })?,
        };
        Ok(Self {
            throttle_anon: rate("API_THROTTLE_ANON", "120/min")?,
            throttle_user: rate("API_THROTTLE_USER", "1200/min")?,
            throttle_auth: rate("API_THROTTLE_AUTH", "20/min")?,
            cors_origins,
            body_limit: body_limit_kb * 1024,
            link_base,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_and_junk_is_refused() {
        assert_eq!(
            Rate::parse("100/min").unwrap(),
            Some(Rate {
                count: 100,
                period: Duration::from_secs(60)
            })
        );
        assert_eq!(Rate::parse(" 5 / Hour ").unwrap().unwrap().count, 5);
        assert_eq!(Rate::parse("off").unwrap(), None);
        for junk in ["100", "0/min", "x/min", "10/fortnight", ""] {
            assert!(Rate::parse(junk).is_err(), "{junk}");
        }
    }

    #[test]
    fn cors_origins_must_be_origins() {
        let ok = ApiSettings::from_lookup(
            &|n: &str| (n == "API_CORS_ORIGINS").then(|| "https://a.example, http://b:8080".into()),
            None,
        )
        .unwrap();
        assert_eq!(ok.cors_origins, ["https://a.example", "http://b:8080"]);
        let err = ApiSettings::from_lookup(
            &|n: &str| (n == "API_CORS_ORIGINS").then(|| "https://a.example/path".into()),
            None,
        )
        .unwrap_err();
        assert_eq!(err.var, "API_CORS_ORIGINS");
    }
}
