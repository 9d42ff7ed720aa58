//! Seckill (flash sales) end to end: events and their stock in Redis, tokens and buying on a
//! single Redis and on a three-master Redis Cluster, the stream consumer writing orders, unpaid
//! seats coming back, and the embedded mode (no Redis) on SQLite and PostgreSQL.

mod buying;
mod cluster;
mod embedded;
mod events;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde_json::{json, Value};
use server::model_engine::sql::SqlValue;

use crate::helpers::{spawn_app_with, Backend, Options, TestApp};
// The same row helpers the checkout tests use: a sale is sold through the same orders.
pub use crate::payments::{priced_course, scalar};
use crate::rest_support::{call, send};

/// A shop with the demo gateway, the API's throttles out of reach, the seckill's per-IP limit
/// too (every test request comes from 127.0.0.1), and `extra`. With `redis`, the instance uses
/// `redis_url` under its own prefix, returned.
pub async fn shop(
    backend: Backend,
    redis: Option<&str>,
    extra: &[(&'static str, &str)],
) -> (TestApp, String) {
    let prefix = format!("xc-test-{}:", uuid::Uuid::new_v4().simple());
    let mut options = Options::unthrottled();
    options.extra.push(("PAYMENTS_DEMO", "true".into()));
    options.extra.push(("SECKILL_THROTTLE_IP", "off".into()));
    options
        .extra
        .push(("SECKILL_THROTTLE_USER", "1000/sec".into()));
    options.extra.push(("REDIS_KEY_PREFIX", prefix.clone()));
    if let Some(url) = redis {
        options.extra.push(("REDIS_URL", url.to_string()));
    }
    for (k, v) in extra {
        options.extra.push((k, v.to_string()));
    }
    (spawn_app_with(backend, options).await, prefix)
}

pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A staff member with `seckill.manage`: their bearer token.
pub async fn manager(app: &TestApp) -> String {
    let who = app.persona("sally", false, &["seckill.manage"]).await;
    app.bearer(&who).await
}

/// Creates a published event of `stock` seats starting in `starts_in` (negative: started).
pub async fn sale(
    app: &TestApp,
    staff: &str,
    stock: i64,
    starts_in: Duration,
    extra: Value,
) -> Value {
    let course = priced_course(app).await;
    let now = Utc::now();
    let starts = now + chrono::Duration::from_std(starts_in).unwrap();
    let mut body = json!({
        "course_id": course,
        "title": "Flash sale",
        "price_cents": 100,
        "stock": stock,
        "starts_at": rfc3339(starts),
        "ends_at": rfc3339(starts + chrono::Duration::minutes(30)),
    });
    for (k, v) in extra.as_object().into_iter().flatten() {
        body[k] = v.clone();
    }
    let (status, event, _) =
        send(call(app, Method::POST, "/api/v1/seckill-events", Some(staff)).json(&body)).await;
    assert_eq!(status, 201, "{event}");
    event
}

/// Waits until the event's start by the server's clock.
pub async fn until_open(app: &TestApp, event: &Value) {
    let id = event["id"].as_i64().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, body, _) = send(call(
            app,
            Method::GET,
            &format!("/api/v1/seckill-events/{id}"),
            None,
        ))
        .await;
        assert_eq!(status, 200, "{body}");
        if body["phase"] == "open" {
            return;
        }
        assert!(Instant::now() < deadline, "the sale never opened: {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `n` students, made fast: one insert each and an access token from the app's own signing
/// key (what the password grant issues once the password checked out; hashing 500 passwords
/// would take the test minutes).
pub async fn students(app: &TestApp, prefix: &str, n: usize) -> Vec<(i64, String)> {
    let data_dir = app.data_dir();
    let vars = std::collections::HashMap::from([
        ("DATABASE_URL", app.database_url.as_str()),
        ("DATA_DIR", data_dir.as_str()),
        // The issuer follows the public address, which follows this (as in spawn_app).
        ("LEPTOS_SITE_ADDR", "127.0.0.1:0"),
    ]);
    let settings = server::config::Settings::from_map(&vars).unwrap();
    let keys = server::auth::jwt::JwtKeys::load(&settings).unwrap();
    let tokens = server::auth::tokens::TokenService::new(
        app.db.clone(),
        Arc::new(keys),
        Duration::from_secs(3600),
    );
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let username = format!("{prefix}{i}");
        let email = format!("{username}@example.com");
        let id = server::db::users::insert(
            &app.db,
            &server::db::users::NewUser {
                username: &username,
                email: &email,
                password_hash: None,
                is_staff: false,
                is_superuser: false,
            },
        )
        .await
        .unwrap();
        let row = server::db::users::find_by_id(&app.db, id)
            .await
            .unwrap()
            .unwrap();
        out.push((id, tokens.issue_pair(&row).await.unwrap().access_token));
    }
    out
}

pub async fn token(app: &TestApp, event_id: i64, bearer: &str) -> (u16, Value) {
    let (status, body, _) = send(call(
        app,
        Method::POST,
        &format!("/api/v1/seckill-events/{event_id}/tokens"),
        Some(bearer),
    ))
    .await;
    (status, body)
}

pub async fn buy(app: &TestApp, event_id: i64, bearer: &str, token: Option<&str>) -> (u16, Value) {
    let (status, body, _) = send(
        call(
            app,
            Method::POST,
            &format!("/api/v1/seckill-events/{event_id}/orders"),
            Some(bearer),
        )
        .json(&json!({ "token": token })),
    )
    .await;
    (status, body)
}

pub async fn mine(app: &TestApp, event_id: i64, bearer: &str) -> Value {
    let (status, body, _) = send(call(
        app,
        Method::GET,
        &format!("/api/v1/seckill-events/{event_id}/orders/mine"),
        Some(bearer),
    ))
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

pub async fn seats(app: &TestApp, event_id: i64) -> i64 {
    scalar(
        app,
        "SELECT COUNT(*) FROM seckill_seats WHERE event_id = $1 AND status = 'held'",
        &[SqlValue::Int(event_id)],
    )
    .await
}

/// Waits until the database holds `n` seats of the event (the consumer's work).
pub async fn wait_for_seats(app: &TestApp, event_id: i64, n: i64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let got = seats(app, event_id).await;
        if got == n {
            return;
        }
        assert!(got < n, "more seats than claims: {got} > {n}");
        assert!(Instant::now() < deadline, "only {got} of {n} seats written");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The outcome counts of a stampede: every user asks for a token, then all buy requests go at
/// once (`per_user` each).
pub struct Stampede {
    pub accepted: usize,
    pub sold_out: usize,
    pub limit: usize,
    pub other: Vec<(u16, Value)>,
}

pub async fn stampede(
    app: &TestApp,
    event_id: i64,
    buyers: &[(i64, String)],
    per_user: usize,
) -> Stampede {
    let mut with_tokens = Vec::new();
    for (_, bearer) in buyers {
        let (status, body) = token(app, event_id, bearer).await;
        assert_eq!(status, 201, "{body}");
        with_tokens.push((bearer.clone(), body["token"].as_str().unwrap().to_string()));
    }
    use futures::StreamExt;
    let requests = (0..per_user)
        .flat_map(|_| with_tokens.iter())
        .map(|(bearer, tok)| async move { buy(app, event_id, bearer, Some(tok)).await });
    // 256 in flight at a time: the sockets of one test process, not the server, are the bound.
    let answers: Vec<(u16, Value)> = futures::stream::iter(requests)
        .buffer_unordered(256)
        .collect()
        .await;
    let mut s = Stampede {
        accepted: 0,
        sold_out: 0,
        limit: 0,
        other: Vec::new(),
    };
    for (status, body) in answers {
        match (status, body["code"].as_str()) {
            (202, _) => s.accepted += 1,
            (409, Some("sold_out")) => s.sold_out += 1,
            (409, Some("limit_reached")) => s.limit += 1,
            _ => s.other.push((status, body)),
        }
    }
    s
}
