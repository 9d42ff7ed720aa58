//! The request metrics, moved by a middleware outside the caches (a hit is counted as a
//! request and as a hit) and inside the request id. The route is axum's matched template.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use super::{CacheLabels, Metrics, RequestLabels, RouteLabels};

/// What a response cache did for this request, left in the response's extensions by the cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheOutcome {
    pub cache: &'static str,
    pub hit: bool,
}

/// Decrements the in-flight gauge however the request ends (a dropped connection included).
struct InFlight<'a>(&'a Metrics);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.dec();
    }
}

pub async fn layer(State(metrics): State<Metrics>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = method_label(request.method()).to_owned();
    metrics.in_flight.inc();
    let _guard = InFlight(&metrics);
    let started = Instant::now();
    let response = next.run(request).await;
    let elapsed = started.elapsed().as_secs_f64();
    let status = format!("{}xx", response.status().as_u16() / 100);
    if let Some(outcome) = response.extensions().get::<CacheOutcome>() {
        metrics
            .cache
            .get_or_create(&CacheLabels {
                cache: outcome.cache,
                outcome: if outcome.hit { "hit" } else { "miss" },
            })
            .inc();
    }
    metrics
        .latency
        .get_or_create(&RouteLabels {
            method: method.clone(),
            route: route.clone(),
        })
        .observe(elapsed);
    metrics
        .requests
        .get_or_create(&RequestLabels {
            method,
            route,
            status,
        })
        .inc();
    response
}

/// Methods outside the standard ones are one label: a client may send any token as a method.
fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}
