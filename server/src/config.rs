//! Settings, read once at start-up from the environment (and an optional `.env`).
//!
//! Every variable is listed in the README with its default. A bad value stops start-up with a
//! message naming the variable; secrets are wrapped in [`Secret`] so they never reach a log.

use std::{collections::HashMap, fmt, net::SocketAddr, path::PathBuf, time::Duration};

use url::Url;

/// A value that must not be printed: `Debug` and `Display` show `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Self {
        Self(value)
    }

    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseKind {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkerMode {
    /// Background jobs run inside the web process (the default, one process does it all).
    Embedded,
    /// This process serves HTTP only; `xuecheng worker` runs the jobs elsewhere.
    Off,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: Secret<String>,
    pub database_kind: DatabaseKind,
    pub db_max_connections: u32,
    /// How long a request waits for a database connection before it answers 503.
    pub db_acquire_timeout: Duration,
    /// PostgreSQL's `statement_timeout` for the app's connections (`None`: no limit).
    pub db_statement_timeout: Option<Duration>,
    pub redis_url: Option<Secret<String>>,
    /// How long any Redis command may take before its caller gives up (503 for a request).
    pub redis_command_timeout: Duration,
    /// Prefix of every Redis key we write, so deployments (and tests) can share one Redis.
    pub redis_prefix: String,
    pub site_addr: SocketAddr,
    /// A listener of its own for `GET /metrics` (`METRICS_ADDR`); unset: none.
    pub metrics_addr: Option<SocketAddr>,
    /// The bearer token `/metrics` asks for (`METRICS_TOKEN`); on the public port only with it.
    pub metrics_token: Option<Secret<String>>,
    pub site_root: PathBuf,
    pub public_url: Url,
    pub log_format: LogFormat,
    pub seed_demo: bool,
    pub worker: WorkerMode,
    /// How long an anonymous page stays in the page cache; zero turns the cache off.
    pub page_cache_ttl: Duration,
    pub shutdown_grace: Duration,
    /// The largest request body outside `/api` (`BODY_LIMIT_KB`), in bytes.
    pub body_limit: usize,
    /// Where embedded mode keeps generated files (the JWT key pair).
    pub data_dir: PathBuf,
    pub auth: AuthSettings,
    /// Third-party sign-in providers (`OAUTH_*`); empty when none is configured.
    pub oauth: crate::oauth::settings::OAuthSettings,
    /// Proxies whose `X-Forwarded-For` is believed (`TRUSTED_PROXIES`).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    pub mail: MailSettings,
    /// The JSON API's throttle rates, CORS origins and limits (`API_*`).
    pub api: crate::rest::settings::ApiSettings,
    /// Background jobs: concurrency, queues, retries, schedules (`JOB_*`, `*_CRON`).
    pub jobs: crate::jobs::JobSettings,
    /// Hosts, terminals and recordings (`WEBSSH_*`, `SECRET_KEY_PATH`, `RECORDINGS_DIR`).
    pub webssh: crate::webssh::settings::WebsshSettings,
    pub learning: crate::learning::settings::LearningSettings,
    /// Orders and payment gateways (`ORDER_TTL_MINUTES`, `PAYMENTS_DEMO`, …).
    pub orders: crate::orders::OrderSettings,
    /// The seckill's token lifetime and limits (see [`crate::seckill::SeckillSettings`]).
    pub seckill: crate::seckill::SeckillSettings,
}

#[derive(Debug, Clone)]
pub struct MailSettings {
    /// `smtp://user:pass@host:587` (STARTTLS when offered), `smtps://…` (TLS from the start);
    /// unset: mails are written to the log.
    pub smtp_url: Option<Secret<String>>,
    pub from: String,
}

#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// Shares the login with sub-domains when set (`.example.com`).
    pub cookie_domain: Option<String>,
    /// Sessions end after this long without a request…
    pub session_idle: Duration,
    /// …and after this long in any case ("remember me" uses it as the cookie lifetime).
    pub session_absolute: Duration,
    /// PEM file of the RSA private key that signs access tokens; generated under `data_dir`
    /// when unset.
    pub jwt_private_key_path: Option<PathBuf>,
    /// Older public keys (PEM) still accepted after a key rotation.
    pub jwt_public_key_paths: Vec<PathBuf>,
    pub jwt_issuer: String,
    pub jwt_audience: String,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
}

/// A configuration problem, naming the variable.
#[derive(Debug, thiserror::Error)]
#[error("{var}: {message}")]
pub struct ConfigError {
    pub var: &'static str,
    pub message: String,
}

pub(crate) fn bad(var: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        var,
        message: message.into(),
    }
}

impl Settings {
    /// Reads the process environment, after loading `.env` when there is one.
    pub fn from_env() -> Result<Self, ConfigError> {
        // A missing .env is normal; a malformed one is not.
        match dotenvy::dotenv() {
            Ok(_) => {}
            Err(e) if e.not_found() => {}
            Err(e) => return Err(bad(".env", e.to_string())),
        }
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_map(vars: &HashMap<&str, &str>) -> Result<Self, ConfigError> {
        Self::from_lookup(|name| vars.get(name).map(|v| v.to_string()))
    }

    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let var = |name: &str| {
            get(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };

        let database_url =
            var("DATABASE_URL").unwrap_or_else(|| "sqlite://data/xuecheng.db".into());
        let database_kind = if database_url.starts_with("sqlite:") {
            DatabaseKind::Sqlite
        } else if database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://")
        {
            DatabaseKind::Postgres
        } else {
            return Err(bad(
                "DATABASE_URL",
                "must start with sqlite:// or postgres://",
            ));
        };

        let redis_url = match var("REDIS_URL") {
            None => None,
            Some(url)
                if ["redis://", "rediss://", "redis-cluster://"]
                    .iter()
                    .any(|p| url.starts_with(p)) =>
            {
                Some(Secret::new(url))
            }
            Some(_) => {
                return Err(bad(
                    "REDIS_URL",
                    "must start with redis://, rediss:// or redis-cluster://",
                ))
            }
        };

        let site_addr: SocketAddr = var("LEPTOS_SITE_ADDR")
            .unwrap_or_else(|| "127.0.0.1:3000".into())
            .parse()
            .map_err(|_| {
                bad(
                    "LEPTOS_SITE_ADDR",
                    "expected host:port, such as 127.0.0.1:3000",
                )
            })?;

        let metrics_addr = var("METRICS_ADDR")
            .map(|a| {
                a.parse::<SocketAddr>()
                    .map_err(|_| bad("METRICS_ADDR", "expected host:port, such as 10.0.0.5:9100"))
            })
            .transpose()?;
        let metrics_token = match var("METRICS_TOKEN") {
            Some(t) if t.len() < 16 => {
                return Err(bad(
                    "METRICS_TOKEN",
                    "use at least 16 characters (e.g. `openssl rand -hex 24`)",
                ))
            }
            Some(t) => Some(Secret::new(t)),
            None => None,
        };

        let public_url_given = var("PUBLIC_URL").is_some();
        let public_url = match var("PUBLIC_URL") {
            Some(raw) => {
                let url =
                    Url::parse(&raw).map_err(|e| bad("PUBLIC_URL", format!("not a URL ({e})")))?;
                if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
                    return Err(bad(
                        "PUBLIC_URL",
                        "must be an http:// or https:// URL with a host",
                    ));
                }
                url
            }
            None => Url::parse(&format!("http://{site_addr}/")).map_err(|e| {
                bad(
                    "LEPTOS_SITE_ADDR",
                    format!("cannot form a URL from it ({e})"),
                )
            })?,
        };

        let log_format = match var("LOG_FORMAT").as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(_) => return Err(bad("LOG_FORMAT", "use text or json")),
        };

        let worker = match var("WORKER").as_deref() {
            None | Some("embedded") => WorkerMode::Embedded,
            Some("off") => WorkerMode::Off,
            Some(_) => return Err(bad("WORKER", "use embedded or off")),
        };

        let millis = |name, default, min| {
            number(&var, name, default, min, 600_000).map(|ms| Duration::from_millis(ms.into()))
        };
        let seed_default = database_kind == DatabaseKind::Sqlite;
        let minutes = |name, default, max| {
            number(&var, name, default, 1, max).map(|m| Duration::from_secs(u64::from(m) * 60))
        };
        let auth = AuthSettings {
            cookie_domain: var("COOKIE_DOMAIN"),
            session_idle: minutes("SESSION_IDLE_MINUTES", 60 * 24, 60 * 24 * 90)?,
            session_absolute: minutes("SESSION_ABSOLUTE_MINUTES", 60 * 24 * 30, 60 * 24 * 365)?,
            jwt_private_key_path: var("JWT_PRIVATE_KEY_PATH").map(PathBuf::from),
            jwt_public_key_paths: var("JWT_PUBLIC_KEY_PATHS")
                .map(|v| {
                    v.split(',')
                        .map(str::trim)
                        .filter(|p| !p.is_empty())
                        .map(PathBuf::from)
                        .collect()
                })
                .unwrap_or_default(),
            jwt_issuer: var("JWT_ISSUER")
                .unwrap_or_else(|| public_url.as_str().trim_end_matches('/').to_string()),
            jwt_audience: var("JWT_AUDIENCE").unwrap_or_else(|| "xuecheng-api".into()),
            access_token_ttl: Duration::from_secs(
                number(&var, "JWT_ACCESS_TTL_SECONDS", 900, 30, 86_400)?.into(),
            ),
            refresh_token_ttl: Duration::from_secs(
                u64::from(number(&var, "JWT_REFRESH_TTL_DAYS", 30, 1, 365)?) * 86_400,
            ),
        };
        let trusted_proxies =
            crate::http::client_ip::parse_list(&var("TRUSTED_PROXIES").unwrap_or_default())
                .map_err(|m| bad("TRUSTED_PROXIES", m))?;
        let smtp_url = match var("SMTP_URL") {
            None => None,
            Some(raw) => {
                let url = Url::parse(&raw).map_err(|_| bad("SMTP_URL", "not a URL"))?;
                if !matches!(url.scheme(), "smtp" | "smtps") || url.host().is_none() {
                    return Err(bad(
                        "SMTP_URL",
                        "use smtp://user:pass@host:587 or smtps://user:pass@host:465",
                    ));
                }
                Some(Secret::new(raw))
            }
        };
        let mail_from = var("MAIL_FROM").unwrap_or_else(|| {
            format!(
                "Xuecheng <no-reply@{}>",
                public_url.domain().unwrap_or("localhost")
            )
        });
        if mail_from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(bad(
                "MAIL_FROM",
                "expected an address such as Xuecheng <no-reply@example.com>",
            ));
        }
        let api = crate::rest::settings::ApiSettings::from_lookup(
            &var,
            public_url_given.then(|| public_url.clone()),
        )?;
        let orders = crate::orders::OrderSettings::from_lookup(&var, database_kind, &public_url)?;
        Ok(Settings {
            seckill: crate::seckill::SeckillSettings::from_lookup(&var)?,
            orders,
            trusted_proxies,
            mail: MailSettings {
                smtp_url,
                from: mail_from,
            },
            database_url: Secret::new(database_url),
            database_kind,
            db_max_connections: number(&var, "DB_MAX_CONNECTIONS", 10, 1, 1000)?,
            db_acquire_timeout: millis("DB_ACQUIRE_TIMEOUT_MS", 1_000, 10)?,
            db_statement_timeout: Some(millis("DB_STATEMENT_TIMEOUT_MS", 5_000, 0)?)
                .filter(|t| !t.is_zero()),
            redis_url,
            redis_command_timeout: millis("REDIS_COMMAND_TIMEOUT_MS", 500, 10)?,
            redis_prefix: var("REDIS_KEY_PREFIX").unwrap_or_else(|| "xc:".into()),
            site_addr,
            metrics_addr,
            metrics_token,
            site_root: PathBuf::from(
                var("LEPTOS_SITE_ROOT").unwrap_or_else(|| "target/site".into()),
            ),
            public_url,
            log_format,
            seed_demo: boolean(&var, "SEED_DEMO", seed_default)?,
            worker,
            page_cache_ttl: Duration::from_secs(
                number(&var, "PAGE_CACHE_SECONDS", 10, 0, 86_400)?.into(),
            ),
            shutdown_grace: Duration::from_secs(
                number(&var, "SHUTDOWN_GRACE_SECONDS", 25, 1, 3_600)?.into(),
            ),
            body_limit: usize::try_from(number(&var, "BODY_LIMIT_KB", 1024, 16, 1_048_576)?)
                .unwrap_or(usize::MAX / 2048)
                * 1024,
            data_dir: PathBuf::from(var("DATA_DIR").unwrap_or_else(|| "data".into())),
            auth,
            oauth: crate::oauth::settings::from_lookup(&var)?,
            api,
            jobs: crate::jobs::JobSettings::from_lookup(&var)?,
            webssh: crate::webssh::settings::WebsshSettings::from_lookup(&var)?,
            learning: crate::learning::settings::LearningSettings::from_lookup(&var)?,
        })
    }

    /// The database URL with any password removed, for logs.
    pub fn database_url_redacted(&self) -> String {
        match Url::parse(self.database_url.expose()) {
            Ok(mut url) if url.password().is_some() => {
                let _ = url.set_password(Some("***"));
                url.to_string()
            }
            Ok(url) => url.to_string(),
            Err(_) => "[unparseable]".into(),
        }
    }
}

pub(crate) fn number(
    var: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: u32,
    min: u32,
    max: u32,
) -> Result<u32, ConfigError> {
    match var(name) {
        None => Ok(default),
        Some(raw) => match raw.parse::<u32>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(bad(
                name,
                format!("expected a whole number from {min} to {max}, got '{raw}'"),
            )),
        },
    }
}

fn boolean(
    var: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: bool,
) -> Result<bool, ConfigError> {
    match var(name).map(|v| v.to_ascii_lowercase()).as_deref() {
        None => Ok(default),
        Some("1" | "true" | "yes" | "on") => Ok(true),
        Some("0" | "false" | "no" | "off") => Ok(false),
        Some(other) => Err(bad(name, format!("expected true or false, got '{other}'"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_need_no_configuration() {
        let s = Settings::from_map(&HashMap::new()).unwrap();
        assert_eq!(s.database_kind, DatabaseKind::Sqlite);
        assert_eq!(s.site_addr.to_string(), "127.0.0.1:3000");
        assert_eq!(s.public_url.as_str(), "http://127.0.0.1:3000/");
        assert!(s.redis_url.is_none());
        assert!(s.seed_demo);
        assert_eq!(s.db_acquire_timeout, Duration::from_secs(1));
        assert_eq!(s.db_statement_timeout, Some(Duration::from_secs(5)));
        assert_eq!(s.redis_command_timeout, Duration::from_millis(500));
    }

    #[test]
    fn postgres_url_selects_postgres_and_no_demo_data() {
        let s = Settings::from_map(&HashMap::from([(
            "DATABASE_URL",
            "postgres://u:hunter2@db/x",
        )]))
        .unwrap();
        assert_eq!(s.database_kind, DatabaseKind::Postgres);
        assert!(!s.seed_demo);
        assert!(!s.database_url_redacted().contains("hunter2"));
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn bad_values_name_the_variable() {
        for (var, value) in [
            ("DATABASE_URL", "mysql://x"),
            ("REDIS_URL", "localhost:6379"),
            ("LEPTOS_SITE_ADDR", "nope"),
            ("PUBLIC_URL", "ftp://x"),
            ("LOG_FORMAT", "xml"),
            ("DB_MAX_CONNECTIONS", "0"),
            ("DB_ACQUIRE_TIMEOUT_MS", "0"),
            ("REDIS_COMMAND_TIMEOUT_MS", "soon"),
            ("SEED_DEMO", "perhaps"),
            ("WORKER", "sometimes"),
            ("TRUSTED_PROXIES", "10.0.0.0/33"),
            ("SMTP_URL", "http://mail.example.com"),
            ("MAIL_FROM", "not an address"),
        ] {
            let err = Settings::from_map(&HashMap::from([(var, value)])).unwrap_err();
            assert_eq!(err.var, var);
            assert!(err.to_string().starts_with(var));
        }
    }
}
