//! Prometheus metrics: what the application does, for the scraper.
//!
//! - [`Metrics`] (this file): one registry per application (tests run many in one process, so
//!   there is no global recorder) with the request families the [`layer`] moves on every
//!   request, and the gauges [`sample`] reads at scrape time from the pool, the job queue,
//!   orders, payments' notifications and the terminals.
//! - [`endpoint`]: `GET /metrics` in the Prometheus text format, on its own address
//!   (`METRICS_ADDR`) or behind a bearer token (`METRICS_TOKEN`), never open on the public port.
//!
//! Labels are bounded: a route is its template (`/courses/{slug}`), never the raw path; a
//! status is its class (`2xx`); a request that matched no route is `unmatched`.

pub mod endpoint;
pub mod layer;
pub mod sample;

use std::sync::Arc;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub method: String,
    pub route: String,
    pub status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub method: String,
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CacheLabels {
    pub cache: &'static str,
    pub outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StateLabels {
    pub state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct QueueLabels {
    pub queue: String,
    pub state: String,
}

/// A sign-in attempt: `method` is `password` or a provider (`github`, `qq`, `wechat`, `weibo`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SignInLabels {
    pub method: &'static str,
    pub outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct EventLabels {
    pub event: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DirectionLabels {
    pub direction: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct NotifyLabels {
    pub provider: String,
    pub outcome: String,
}

const PREFIX: &str = "xuecheng";

fn register(
    registry: &mut Registry,
    names: &mut Vec<String>,
    name: &str,
    help: &str,
    metric: impl prometheus_client::registry::Metric,
) {
    names.push(format!("{PREFIX}_{name}"));
    registry.register(name, help, metric);
}

/// Seconds: 1 ms to about 33 s, doubling.
fn latency() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

type LatencyFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

/// The application's metrics. Cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct Metrics(Arc<Inner>);

pub struct Inner {
    registry: Registry,
    /// Every family's full name, as registered (an empty family prints nothing).
    names: Vec<String>,
    pub requests: Family<RequestLabels, Counter>,
    pub latency: LatencyFamily,
    pub in_flight: Gauge,
    pub cache: Family<CacheLabels, Counter>,
    pub db_connections: Family<StateLabels, Gauge>,
    pub db_max_connections: Gauge,
    pub jobs: Family<QueueLabels, Gauge>,
    pub orders: Family<StateLabels, Gauge>,
    pub notifications: Family<NotifyLabels, Gauge>,
    pub terminals_live: Gauge,
    pub scrape_errors: Counter,
    pub sign_ins: Family<SignInLabels, Counter>,
    pub tokens: Family<EventLabels, Counter>,
    pub redis: crate::redis::RedisEvents,
    pub seckill_requests: Family<OutcomeLabels, Counter>,
    pub terminals_opened: Counter,
    pub terminal_bytes: Family<DirectionLabels, Counter>,
    pub recordings_written: Counter,
}

impl std::ops::Deref for Metrics {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix(PREFIX);
        let mut names = Vec::new();
        let requests = Family::<RequestLabels, Counter>::default();
        register(
            &mut registry,
            &mut names,
            "http_requests",
            "HTTP requests answered, by method, route template and status class",
            requests.clone(),
        );
        let latency: LatencyFamily = Family::new_with_constructor(latency);
        register(
            &mut registry,
            &mut names,
            "http_request_duration_seconds",
            "Time to the response's head, by method and route template",
            latency.clone(),
        );
        let in_flight = Gauge::default();
        register(
            &mut registry,
            &mut names,
            "http_requests_in_flight",
            "Requests being answered now",
            in_flight.clone(),
        );
        let cache = Family::<CacheLabels, Counter>::default();
        register(
            &mut registry,
            &mut names,
            "cache_requests",
            "Anonymous page and API cache lookups, by cache and outcome (hit, miss)",
            cache.clone(),
        );
        let db_connections = Family::<StateLabels, Gauge>::default();
        register(
            &mut registry,
            &mut names,
            "db_pool_connections",
            "Database pool connections by state (idle, in_use)",
            db_connections.clone(),
        );
        let db_max_connections = Gauge::default();
        register(
            &mut registry,
            &mut names,
            "db_pool_max_connections",
            "The pool's upper bound (DB_MAX_CONNECTIONS)",
            db_max_connections.clone(),
        );
        let jobs = Family::<QueueLabels, Gauge>::default();
        register(
            &mut registry,
            &mut names,
            "jobs",
            "Jobs in the queue's tables by queue and state (Pending, Running, Failed…)",
            jobs.clone(),
        );
        let orders = Family::<StateLabels, Gauge>::default();
        register(
            &mut registry,
            &mut names,
            "orders",
            "Orders by state",
            orders.clone(),
        );
        let notifications = Family::<NotifyLabels, Gauge>::default();
        register(
            &mut registry,
            &mut names,
            "payment_notifications",
            "Payment notifications kept, by provider and outcome (accepted, refused)",
            notifications.clone(),
        );
        let terminals_live = Gauge::default();
        register(
            &mut registry,
            &mut names,
            "terminals_live",
            "Web terminals open on this instance",
            terminals_live.clone(),
        );
        let scrape_errors = Counter::default();
        register(&mut registry, &mut names,
            "scrape_errors",
            "Scrape-time readings that failed (the database away); the gauges keep their last value",
            scrape_errors.clone(),
        );
        let sign_ins = Family::<SignInLabels, Counter>::default();
        register(
            &mut registry,
            &mut names,
            "sign_ins",
            "Sign-in attempts by method (password, github, qq, wechat, weibo) and outcome \
             (success, failure, throttled; a provider also bound, pending)",
            sign_ins.clone(),
        );
        let tokens = Family::<EventLabels, Counter>::default();
        register(
            &mut registry,
            &mut names,
            "tokens",
            "API token events: issued, refreshed, reuse_detected (a family revoked), revoked",
            tokens.clone(),
        );
        let redis = crate::redis::RedisEvents::default();
        register(
            &mut registry,
            &mut names,
            "redis_connection_errors",
            "Redis connections lost or refused (each pooled connection counts)",
            redis.errors.clone(),
        );
        register(
            &mut registry,
            &mut names,
            "redis_reconnects",
            "Redis connections re-established after a loss",
            redis.reconnects.clone(),
        );
        let seckill_requests = Family::<OutcomeLabels, Counter>::default();
        register(
            &mut registry,
            &mut names,
            "seckill_requests",
            "Seckill buy requests by outcome (queued, sold_out, limit_reached, not_started, \
             ended, throttled, refused)",
            seckill_requests.clone(),
        );
        let terminals_opened = Counter::default();
        register(
            &mut registry,
            &mut names,
            "terminals_opened",
            "Web terminals connected to their host on this instance",
            terminals_opened.clone(),
        );
        let terminal_bytes = Family::<DirectionLabels, Counter>::default();
        register(&mut registry, &mut names,
            "terminal_bytes",
            "Bytes through the terminal bridge: input (keys to the host), output (the host's screen)",
            terminal_bytes.clone(),
        );
        let recordings_written = Counter::default();
        register(
            &mut registry,
            &mut names,
            "terminal_recordings",
            "Terminal recordings finished and kept",
            recordings_written.clone(),
        );
        Self(Arc::new(Inner {
            registry,
            names,
            requests,
            latency,
            in_flight,
            cache,
            db_connections,
            db_max_connections,
            jobs,
            orders,
            notifications,
            terminals_live,
            scrape_errors,
            sign_ins,
            tokens,
            redis,
            seckill_requests,
            terminals_opened,
            terminal_bytes,
            recordings_written,
        }))
    }

    /// The full name of every family (without the `_total` or `_bucket` suffixes).
    pub fn family_names(&self) -> &[String] {
        &self.names
    }

    pub fn sign_in(&self, method: &'static str, outcome: &'static str) {
        self.sign_ins
            .get_or_create(&SignInLabels { method, outcome })
            .inc();
    }

    pub fn token(&self, event: &'static str) {
        self.tokens.get_or_create(&EventLabels { event }).inc();
    }

    /// The text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}
