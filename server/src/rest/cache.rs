//! The API's anonymous list answers, kept for `PAGE_CACHE_SECONDS` and served before most of the
//! layer stack runs.
//!
//! A list costs a count and a page query, and what an anonymous caller gets is the same for
//! everyone. The cache used to live in the list handler, so a hit still paid for everything in
//! front of it: the session layer, CSRF, compression, the server-function status fix-up, session
//! upkeep, CORS, problem+json, the throttle's caller lookup, the `Accept` check, the extractors.
//! This layer sits where the page cache sits (inside request ids, tracing, the client address and
//! the panic guard) and answers a hit with a throttle count and a map lookup.
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
//!   ([`ApiCache::clear`], from the change hook in `startup.rs`). Other instances see a write
//!   when their entries expire, as with the page cache.

use std::sync::{
    atomic::{AtomicU64, Ordering},
    Arc,
};
use std::time::Duration;

use axum::{
    body::Body,
    extract::{Request, State},
    http::{header, HeaderMap, Method, StatusCode},
    middleware::Next,
    response::Response,
};
use bytes::Bytes;
use http_body_util::BodyExt;
use moka::future::Cache;

use super::conneg;
use super::settings::Rate;
use super::throttle::{self, ApiThrottle, Decision};
use crate::http::page_cache::has_session_cookie;

/// Lists larger than this are served but not kept.
const MAX_CACHED_BYTES: usize = 1024 * 1024;
/// What all kept answers may weigh together. Keys come from the query string, which callers
/// choose freely (searches, pages): a count of entries would not bound the memory.
const BUDGET_BYTES: u64 = 64 * 1024 * 1024;

/// Response extension: this answer is the anonymous view, the same for every anonymous caller.
#[derive(Debug, Clone, Copy)]
pub struct Shareable;

/// Request extension: this request was already counted against the throttle, with this outcome
/// (`None` when anonymous throttling is off).
#[derive(Debug, Clone, Copy)]
pub struct Counted(pub Option<Decision>);

#[derive(Clone)]
pub struct ApiCache {
    inner: Option<Arc<Inner>>,
    throttle: ApiThrottle,
    rate: Option<Rate>,
}

struct Inner {
    entries: Cache<String, Stored>,
    /// Bumped by every clear: an answer read before a write must not be stored after it.
    generation: AtomicU64,
}

#[derive(Clone)]
struct Stored {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl ApiCache {
    /// Off when `ttl` is zero. `throttle` must be the one the API's throttle layer counts with.
    pub fn new(ttl: Duration, throttle: ApiThrottle, rate: Option<Rate>) -> Self {
        let inner = (!ttl.is_zero()).then(|| {
            Arc::new(Inner {
                entries: Cache::builder()
                    .weigher(|key: &String, stored: &Stored| {
                        u32::try_from(key.len() + stored.body.len()).unwrap_or(u32::MAX)
                    })
                    .max_capacity(BUDGET_BYTES)
                    .time_to_live(ttl)
                    .build(),
                generation: AtomicU64::new(0),
            })
        });
        Self {
            inner,
            throttle,
            rate,
        }
    }

    /// Forgets every answer (a catalogue or account row changed).
    pub fn clear(&self) {
        if let Some(inner) = &self.inner {
            inner.generation.fetch_add(1, Ordering::SeqCst);
            inner.entries.invalidate_all();
        }
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
    let Some(inner) = cache.inner.clone() else {
        return next.run(request).await;
    };
    if !eligible(&request) {
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
        if let Some(hit) = inner.entries.get(&key).await {
            let mut response = Response::new(Body::from(hit.body));
            *response.status_mut() = hit.status;
            *response.headers_mut() = hit.headers;
            // The stored answer carries the throttle headers already: new values, same places.
            if let Some(d) = decision {
                throttle::set_headers(response.headers_mut(), d);
            }
            return response;
        }
    }

    let generation = inner.generation.load(Ordering::SeqCst);
    request.extensions_mut().insert(Counted(decision));
    let response = next.run(request).await;
    let storable = response.status() == StatusCode::OK
        && response.extensions().get::<Shareable>().is_some()
        && !response.headers().contains_key(header::SET_COOKIE);
    if !storable {
        return response;
    }
    let (parts, body) = response.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(err) => {
            tracing::warn!(error = %err, "API list body failed while buffering for the cache");
            return Response::from_parts(parts, Body::empty());
        }
    };
    if body.len() <= MAX_CACHED_BYTES && inner.generation.load(Ordering::SeqCst) == generation {
        let stored = Stored {
            status: parts.status,
            headers: parts.headers.clone(),
            body: body.clone(),
        };
        inner.entries.insert(key.clone(), stored).await;
        // A clear between the check and the insert may have missed this entry: drop it.
        if inner.generation.load(Ordering::SeqCst) != generation {
            inner.entries.invalidate(&key).await;
        }
    }
    Response::from_parts(parts, Body::from(body))
}
