//! The one whole-response cache behind the anonymous page cache ([`super::page_cache`]) and the
//! API's list cache ([`crate::rest::cache`]): a byte-bounded map of finished answers, how an
//! answer is buffered to be kept, and the generation counter that keeps a write visible.
//!
//! Each layer decides what it may look up and keep (its own key and rules); this module owns what
//! both must get right the same way:
//! - a kept answer is served byte for byte: status, headers and the body as it left the stack
//!   below (compressed bodies stay compressed);
//! - bodies are bounded one by one ([`MAX_CACHED_BYTES`]) and together ([`BUDGET_BYTES`]): keys
//!   come from URLs, which callers choose freely, so a count of entries would not bound memory;
//! - **stale after write**: a miss renders from data read before a write may finish after the
//!   write cleared the cache. Every [`ResponseCache::clear`] bumps a generation; a miss notes the
//!   generation it started under ([`ResponseCache::begin`]) and its answer is kept only if that
//!   generation is still current when it is done ([`Fill::keep`]). So once a write has returned
//!   (its change hook clears the cache before that), no answer rendered before it is served.

use std::sync::{
    atomic::{AtomicU64, Ordering},
    Arc, Mutex,
};
use std::time::Duration;

use axum::{
    body::Body,
    http::{HeaderMap, StatusCode},
    response::Response,
};
use bytes::Bytes;
use http_body_util::BodyExt;
use moka::future::Cache;
use tokio::sync::Semaphore;

/// Answers larger than this are served but not kept.
pub const MAX_CACHED_BYTES: usize = 1024 * 1024;
/// What all answers kept by one cache may weigh together.
pub const BUDGET_BYTES: u64 = 64 * 1024 * 1024;

/// A shared handle: cloned for every request by its layer, so it is one `Arc`.
#[derive(Clone)]
pub struct ResponseCache {
    inner: Option<Arc<Inner>>,
}

struct Inner {
    entries: Cache<String, Stored>,
    /// Bumped by every clear: an answer started before a write must not be kept after it.
    generation: AtomicU64,
    /// What the cache holds, for the log line when buffering fails ("page", "API list").
    what: &'static str,
    /// Set by tests only ([`ResponseCache::hold_fills`]); read once per kept miss.
    hold: Mutex<Option<Arc<FillHold>>>,
}

/// A finished answer as it is kept.
#[derive(Clone)]
struct Stored {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Stored {
    fn response(self) -> Response {
        let mut response = Response::new(Body::from(self.body));
        *response.status_mut() = self.status;
        *response.headers_mut() = self.headers;
        response
    }
}

impl ResponseCache {
    /// Off (every call a no-op, [`Self::begin`] always `None`) when `ttl` is zero.
    pub fn new(ttl: Duration, what: &'static str) -> Self {
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
                what,
                hold: Mutex::new(None),
            })
        });
        Self { inner }
    }

    pub fn is_on(&self) -> bool {
        self.inner.is_some()
    }

    /// Forgets every answer, and refuses those still being rendered from older data.
    pub fn clear(&self) {
        if let Some(inner) = &self.inner {
            inner.generation.fetch_add(1, Ordering::SeqCst);
            inner.entries.invalidate_all();
        }
    }

    /// The kept answer for `key`, as it was first served.
    pub async fn get(&self, key: &str) -> Option<Response> {
        let inner = self.inner.as_ref()?;
        inner.entries.get(key).await.map(Stored::response)
    }

    /// Starts a miss: call before the request runs, so the generation predates its reads.
    pub fn begin(&self, key: String) -> Option<Fill> {
        let inner = self.inner.clone()?;
        let generation = inner.generation.load(Ordering::SeqCst);
        Some(Fill {
            inner,
            key,
            generation,
        })
    }

    /// For tests: from now until the returned hold is released, every answer about to be kept
    /// waits at that point, so a test can write while a render is in flight. Nothing else
    /// waits on it: answers that are not kept, and hits, pass.
    pub fn hold_fills(&self) -> Arc<FillHold> {
        let hold = Arc::new(FillHold {
            arrived: Semaphore::new(0),
            release: Semaphore::new(0),
        });
        if let Some(inner) = &self.inner {
            if let Ok(mut slot) = inner.hold.lock() {
                *slot = Some(hold.clone());
            }
        }
        hold
    }
}

/// A miss on its way to being kept: the key and the generation it started under.
pub struct Fill {
    inner: Arc<Inner>,
    key: String,
    generation: u64,
}

impl Fill {
    /// Buffers `response`, keeps it if no clear happened since [`ResponseCache::begin`] and it
    /// is small enough, and hands it on. The caller has checked that it may be kept at all.
    pub async fn keep(self, response: Response) -> Response {
        let (parts, body) = response.into_parts();
        let body = match body.collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(err) => {
                tracing::warn!(error = %err, what = self.inner.what, "body failed while buffering for the cache");
                return Response::from_parts(parts, Body::empty());
            }
        };
        self.wait_if_held().await;
        let inner = &self.inner;
        let current = || inner.generation.load(Ordering::SeqCst) == self.generation;
        if body.len() <= MAX_CACHED_BYTES && current() {
            let stored = Stored {
                status: parts.status,
                headers: parts.headers.clone(),
                body: body.clone(),
            };
            inner.entries.insert(self.key.clone(), stored).await;
            // A clear between the check and the insert may have missed this entry: drop it.
            if !current() {
                inner.entries.invalidate(&self.key).await;
            }
        }
        Response::from_parts(parts, Body::from(body))
    }

    async fn wait_if_held(&self) {
        let hold = self.inner.hold.lock().ok().and_then(|slot| slot.clone());
        if let Some(hold) = hold {
            hold.arrived.add_permits(1);
            // Closed on release: every waiter, present and future, goes on.
            let _ = hold.release.acquire().await;
        }
    }
}

/// See [`ResponseCache::hold_fills`].
pub struct FillHold {
    arrived: Semaphore,
    release: Semaphore,
}

impl FillHold {
    /// Waits until one more answer (rendered, about to be kept) is waiting at the hold.
    pub async fn arrived(&self) {
        if let Ok(permit) = self.arrived.acquire().await {
            permit.forget();
        }
    }

    /// Lets every held answer, and all later ones, go on.
    pub fn release(&self) {
        self.release.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(text: &'static str) -> Response {
        let mut response = Response::new(Body::from(text));
        response
            .headers_mut()
            .insert("x-probe", axum::http::HeaderValue::from_static("1"));
        response
    }

    async fn body(response: Response) -> Bytes {
        response.into_body().collect().await.unwrap().to_bytes()
    }

    #[tokio::test]
    async fn a_finished_answer_is_kept_byte_for_byte() {
        let cache = ResponseCache::new(Duration::from_secs(60), "test");
        let fill = cache.begin("k".into()).unwrap();
        assert_eq!(body(fill.keep(answer("old")).await).await, "old");
        let hit = cache.get("k").await.unwrap();
        assert_eq!(hit.headers()["x-probe"], "1");
        assert_eq!(body(hit).await, "old");
    }

    #[tokio::test]
    async fn an_answer_started_before_a_clear_is_not_kept() {
        let cache = ResponseCache::new(Duration::from_secs(60), "test");
        let fill = cache.begin("k".into()).unwrap();
        cache.clear();
        // Still served to the caller who asked before the write, but never again.
        assert_eq!(body(fill.keep(answer("old")).await).await, "old");
        assert!(cache.get("k").await.is_none());
    }

    #[tokio::test]
    async fn a_zero_ttl_turns_it_off() {
        let cache = ResponseCache::new(Duration::ZERO, "test");
        assert!(!cache.is_on() && cache.begin("k".into()).is_none());
    }
}
