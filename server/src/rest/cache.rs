//! The API's anonymous list answers, kept for `PAGE_CACHE_SECONDS` and served before most of the
//! layer stack runs.
//!
//! A list costs a count and a page query, and what an anonymous caller gets is the same for
//! everyone. The cache used to live in the list handler, so a hit still paid for everything in
//! front of it: the session layer, CSRF, compression, the server-function status fix-up, session
//! upkeep, CORS, problem+json, the throttle's caller lookup, the `Accept` check, the extractors.
//! This layer sits where the page cache sits (inside request ids, tracing, the client address and
//! the panic guard) and answers a hit with a throttle count and a map lookup. It keeps answers
//! the way the page cache does ([`crate::http::response_cache`]: byte for byte, bounded, and
//! never an answer started before a clear); the key and the rules below are its own.
//!
//! A hit must be the answer the full path would give, header for header:
//! - only a `GET` under `/api/v1/` with no `Authorization` header and no session cookie is
//!   looked up here: credentials may see other rows, so they always take the full path;
//! - an answer is kept only when the list handler marked it [`Shareable`] (an anonymous 200);
//! - the key holds every request header the answer depends on: `Accept-Encoding`
//!   (compression), `Origin` (CORS) and `Host` (absolute links). `Accept` only chooses between
//!   this answer and a 406, so a request it refuses takes the full path;
//! - the request is counted against the anonymous throttle budget here, once: a hit gets fresh
//!   `X-RateLimit-*` values in the stored headers, and a miss or a refusal hands the decision
//!   on ([`Counted`]) for the throttle layer to reuse;
//! - any write through the model engine, from the API or the back office, clears it
//!   ([`ApiCache::clear`], from the change hook in `startup.rs`), and a list read before the
//!   write is not kept after it. Other instances see a write
//!   when their entries expire, as with the page cache.

use crate::metrics::layer::CacheOutcome;
use std::time::Duration;

use axum::{
    extract::{Request, State},
    http::{header, Method, StatusCode},
    middleware::Next,
    response::Response,
};

use super::conneg;
use super::settings::Rate;
use super::throttle::{self, ApiThrottle, Decision};
use crate::http::page_cache::has_session_cookie;
use crate::http::response_cache::ResponseCache;

/// Response extension: this answer is the anonymous view, the same for every anonymous caller.
#[derive(Debug, Clone, Copy)]
pub struct Shareable;

/// Request extension: this request was already counted against the throttle, with this outcome
/// (`None` when anonymous throttling is off).
#[derive(Debug, Clone, Copy)]
pub struct Counted(pub Option<Decision>);

#[derive(Clone)]
pub struct ApiCache {
    entries: ResponseCache,
    throttle: ApiThrottle,
    rate: Option<Rate>,
}

impl ApiCache {
    /// Off when `ttl` is zero. `throttle` must be the one the API's throttle layer counts with.
    pub fn new(ttl: Duration, throttle: ApiThrottle, rate: Option<Rate>) -> Self {
        Self {
            entries: ResponseCache::new(ttl, "API list"),
            throttle,
            rate,
        }
    }

    /// Forgets every answer (a catalogue or account row changed), including those being
    /// rendered from data read before the change.
    pub fn clear(&self) {
        self.entries.clear();
    }

    /// The cache underneath (tests hold its fills to reproduce a write during a list).
    pub fn responses(&self) -> &ResponseCache {
        &self.entries
    }
}

/// A request that may be answered from the cache: see the module doc.
fn eligible(request: &Request) -> bool {
    let headers = request.headers();
    request.method() == Method::GET
        && request.uri().path().starts_with("/api/v1/")
        && !headers.contains_key(header::AUTHORIZATION)
        && !has_session_cookie(headers)
        && conneg::accepts_json(headers)
}

fn key(request: &Request) -> String {
    let header = |name| {
        request
            .headers()
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()))
            .unwrap_or_default()
    };
    format!(
        "{}\n{}\n{}\n{}",
        header(header::ACCEPT_ENCODING),
        header(header::ORIGIN),
        header(header::HOST),
        request.uri()
    )
}

pub async fn layer(State(cache): State<ApiCache>, mut request: Request, next: Next) -> Response {
    if !cache.entries.is_on() || !eligible(&request) {
        return next.run(request).await;
    }
    let decision = match cache.rate {
        Some(rate) => {
            let ident = throttle::address(request.extensions());
            Some(cache.throttle.hit("anon", &ident, rate).await)
        }
        None => None,
    };
    let key = key(&request);
    if decision.is_none_or(|d| d.allowed) {
        if let Some(mut hit) = cache.entries.get(&key).await {
            // The stored answer carries the throttle headers already: new values, same places.
            if let Some(d) = decision {
                throttle::set_headers(hit.headers_mut(), d);
            }
            hit.extensions_mut().insert(CacheOutcome {
                cache: "api",
                hit: true,
            });
            return hit;
        }
    }
    let fill = cache.entries.begin(key);
    request.extensions_mut().insert(Counted(decision));
    let mut response = next.run(request).await;
    response.extensions_mut().insert(CacheOutcome {
        cache: "api",
        hit: false,
    });
    let storable = response.status() == StatusCode::OK
        && response.extensions().get::<Shareable>().is_some()
        && !response.headers().contains_key(header::SET_COOKIE);
    match fill.filter(|_| storable) {
        Some(fill) => fill.keep(response).await,
        None => response,
    }
}
