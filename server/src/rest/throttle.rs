//! API throttling: anonymous callers by client IP, authenticated ones by user, and the `auth`
//! scope (password grant, refresh: argon2id is expensive) by IP, each at the rate configured in
//! [`super::settings::ApiSettings`].
//!
//! Fixed windows counted atomically: one Redis script (INCR, PEXPIRE on the first hit) shared by
//! every instance, or an in-process counter in embedded mode. Every response carries
//! `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (seconds until the
//! window ends); past the limit the answer is 429 with `Retry-After`.
//!
//! When Redis cannot count (its command timed out or failed), the throttle fails closed: the
//! request is refused with 503 and `Retry-After` rather than served unlimited.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use app::error::AppError;
use axum::{
    extract::{Request, State},
    http::{Extensions, HeaderMap, HeaderValue, Method},
    middleware::Next,
    response::{IntoResponse, Response},
};
use fred::prelude::*;
use moka::future::Cache;

use super::actor::{Actor, Resolved};
use super::cache::Counted;
use super::problem::Problem;
use super::settings::Rate;
use crate::accounts::throttle::HIT;
use crate::http::client_ip::client_ip;
use crate::redis::Redis;
use crate::state::AppState;

#[derive(Clone)]
pub struct ApiThrottle {
    counters: Counters,
    prefix: String,
}

type Window = Arc<Mutex<(u64, Instant)>>;

#[derive(Clone)]
enum Counters {
    Redis(Redis),
    /// In an `Arc`: the throttle is cloned for every request, and a moka handle is several.
    Local(Arc<Cache<String, Window>>),
}

/// The outcome of one counted request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub limit: u64,
    pub remaining: u64,
    pub reset_secs: u64,
    pub allowed: bool,
    /// The counter could not be reached: refused (`allowed` is false) with 503, not 429.
    pub unavailable: bool,
}

impl ApiThrottle {
    pub fn new(redis: Option<Redis>, prefix: &str) -> Self {
        let counters = match redis {
            Some(redis) => Counters::Redis(redis),
            None => Counters::Local(Arc::new(
                Cache::builder()
                    .max_capacity(200_000)
                    .time_to_idle(Duration::from_secs(86_400))
                    .build(),
            )),
        };
        Self {
            counters,
            prefix: format!("{prefix}throttle:api:"),
        }
    }

    /// Counts one request against `scope:ident` and says whether it may proceed.
    pub async fn hit(&self, scope: &str, ident: &str, rate: Rate) -> Decision {
        let key = format!("{}{scope}:{ident}", self.prefix);
        let period_ms = u64::try_from(rate.period.as_millis()).unwrap_or(u64::MAX);
        let (count, left_ms) = match &self.counters {
            Counters::Redis(redis) => {
                let result: Result<Vec<i64>, _> = redis
                    .pool()
                    .eval(
                        HIT,
                        vec![key],
                        vec![i64::try_from(period_ms).unwrap_or(i64::MAX)],
                    )
                    .await;
                match result.as_deref() {
                    Ok([n, ttl]) => (
                        u64::try_from(*n).unwrap_or(0),
                        u64::try_from(*ttl).unwrap_or(period_ms),
                    ),
                    Ok(_) => {
                        tracing::error!("API throttle: unexpected answer from the counter script");
                        return Decision::unavailable(rate);
                    }
                    // Fail closed: an outage must not lift the limits (see the module doc).
                    Err(error) => {
                        tracing::debug!(%error, "API throttle: Redis unavailable");
                        return Decision::unavailable(rate);
                    }
                }
            }
            Counters::Local(cache) => {
                let window = cache
                    .get_with(key, async { Arc::new(Mutex::new((0, Instant::now()))) })
                    .await;
                let mut w = match window.lock() {
                    Ok(w) => w,
                    Err(poisoned) => poisoned.into_inner(),
                };
                if w.1.elapsed() >= rate.period {
                    *w = (0, Instant::now());
                }
                w.0 += 1;
                let left = rate.period.saturating_sub(w.1.elapsed());
                (w.0, u64::try_from(left.as_millis()).unwrap_or(0))
            }
        };
        Decision {
            limit: rate.count,
            remaining: rate.count.saturating_sub(count),
            reset_secs: left_ms.div_ceil(1000).max(1),
            allowed: count <= rate.count,
            unavailable: false,
        }
    }
}

impl Decision {
    fn unavailable(rate: Rate) -> Self {
        Decision {
            limit: rate.count,
            remaining: 0,
            reset_secs: app::error::UNAVAILABLE_RETRY_AFTER_SECS,
            allowed: false,
            unavailable: true,
        }
    }
}

fn is_auth_scope(method: &Method, path: &str) -> bool {
    method == Method::POST
        && matches!(
            path,
            "/api/v1/auth/token" | "/api/v1/auth/refresh" | "/api/v1/auth/password-reset"
        )
}

/// A payment provider's notification: authenticated by its signature, sent from the provider's
/// few addresses for every order at once (a sale would spend an anonymous budget in seconds
/// and delay settling), and bounded by its body limit. Never throttled.
fn is_provider_callback(method: &Method, path: &str) -> bool {
    method == Method::POST
        && path
            .strip_prefix("/api/v1/payments/")
            .and_then(|rest| rest.strip_suffix("/notify"))
            .is_some_and(|provider| !provider.is_empty() && !provider.contains('/'))
}

/// The address anonymous callers (and the `auth` scope) are counted by: the client's, as
/// [`client_ip`] decides it. Behind a trusted proxy that is the address it forwarded, not the
/// proxy's own, which would put every anonymous caller in one budget.
pub fn address(extensions: &Extensions) -> String {
    client_ip(extensions).map_or_else(|| "unknown".into(), |ip| ip.to_string())
}

/// Resolves the caller once (handlers reuse it), counts the request, adds the headers.
pub async fn layer(State(app): State<AppState>, request: Request, next: Next) -> Response {
    if is_provider_callback(request.method(), request.uri().path()) {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    // Bad credentials count as anonymous here; the handler answers them with 401.
    let caller = match Actor::resolve(&mut parts, &app).await {
        Ok(actor) => {
            let user = actor.as_ref().map(|a| a.user_id);
            parts.extensions.insert(Resolved(actor));
            user
        }
        Err(_) => None,
    };
    let decision = match parts.extensions.get::<Counted>() {
        // The anonymous list cache in front counted it already.
        Some(Counted(decision)) => *decision,
        None => {
            let api = &app.settings.api;
            let ip = address(&parts.extensions);
            let (scope, ident, rate) = if is_auth_scope(&parts.method, parts.uri.path()) {
                ("auth", ip, api.throttle_auth)
            } else if let Some(user) = caller {
                ("user", user.to_string(), api.throttle_user)
            } else {
                ("anon", ip, api.throttle_anon)
            };
            match rate {
                Some(rate) => Some(app.api_throttle.hit(scope, &ident, rate).await),
                None => None,
            }
        }
    };
    let Some(decision) = decision else {
        return next.run(Request::from_parts(parts, body)).await;
    };
    if decision.unavailable {
        return Problem(AppError::Unavailable).into_response();
    }
    let mut response = if decision.allowed {
        next.run(Request::from_parts(parts, body)).await
    } else {
        Problem(AppError::RateLimited {
            retry_after_secs: decision.reset_secs,
        })
        .into_response()
    };
    set_headers(response.headers_mut(), decision);
    response
}

/// `X-RateLimit-*` for this decision (replacing values already there, in place).
pub fn set_headers(headers: &mut HeaderMap, d: Decision) {
    for (name, value) in [
        ("x-ratelimit-limit", d.limit),
        ("x-ratelimit-remaining", d.remaining),
        ("x-ratelimit-reset", d.reset_secs),
    ] {
        headers.insert(name, HeaderValue::from(value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_provider_notifications_skip_the_throttle() {
        assert!(is_provider_callback(
            &Method::POST,
            "/api/v1/payments/alipay/notify"
        ));
        assert!(is_provider_callback(
            &Method::POST,
            "/api/v1/payments/wechat/notify"
        ));
        assert!(!is_provider_callback(
            &Method::GET,
            "/api/v1/payments/alipay/notify"
        ));
        assert!(!is_provider_callback(
            &Method::POST,
            "/api/v1/payments//notify"
        ));
        assert!(!is_provider_callback(
            &Method::POST,
            "/api/v1/payments/a/b/notify"
        ));
        assert!(!is_provider_callback(
            &Method::POST,
            "/api/v1/orders/1/payments"
        ));
    }

    #[tokio::test]
    async fn local_windows_count_and_refuse_past_the_limit() {
        let t = ApiThrottle::new(None, "t:");
        let rate = Rate {
            count: 2,
            period: Duration::from_secs(60),
        };
        let a = t.hit("anon", "1.2.3.4", rate).await;
        assert_eq!((a.allowed, a.remaining), (true, 1));
        assert!(t.hit("anon", "1.2.3.4", rate).await.allowed);
        let c = t.hit("anon", "1.2.3.4", rate).await;
        assert!(!c.allowed && c.remaining == 0 && c.reset_secs <= 60);
        assert!(t.hit("anon", "5.6.7.8", rate).await.allowed);
    }
}
