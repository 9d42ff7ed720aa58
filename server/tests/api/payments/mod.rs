//! Buying courses: price policies, checkout, orders and their transitions, the demo gateway
//! through the shared notify handling, and enrolments, on both backends.

mod alipay;
mod back_office;
mod coupons;
pub mod fake_alipay;
pub mod fake_unionpay;
pub mod fake_wechat;
mod orders;
mod reconcile;
pub mod refunds;
pub mod unionpay;
pub mod unionpay_pki;
pub mod wechat;

use reqwest::Method;
use serde_json::{json, Value};
use server::model_engine::sql::SqlValue;

use crate::helpers::{spawn_app_with, Backend, Options, TestApp};
use crate::rest_support::{call, send};

/// An instance with the demo gateway on (its default is on only for embedded SQLite) and the
/// API throttles out of reach; `extra` adds settings.
pub async fn shop(backend: Backend, extra: &[(&'static str, &str)]) -> TestApp {
    let mut options = Options::unthrottled();
    options.extra.push(("PAYMENTS_DEMO", "true".into()));
    for (k, v) in extra {
        options.extra.push((k, v.to_string()));
    }
    spawn_app_with(backend, options).await
}

pub async fn scalar(app: &TestApp, sql: &str, values: &[SqlValue]) -> i64 {
    server::db::records::scalar(&app.db, sql, values)
        .await
        .unwrap()
}

/// The first public course with a price (the demo seed gives each its policies).
pub async fn priced_course(app: &TestApp) -> i64 {
    scalar(
        app,
        "SELECT MIN(id) FROM courses WHERE status = 'published' AND deleted_at IS NULL \
         AND price_cents > 0",
        &[],
    )
    .await
}

pub async fn policies(app: &TestApp, course: i64) -> Vec<Value> {
    let (status, body, _) = send(call(
        app,
        Method::GET,
        &format!("/api/v1/courses/{course}/price-policies"),
        None,
    ))
    .await;
    assert_eq!(status, 200, "{body}");
    body.as_array().unwrap().clone()
}

/// `POST /api/v1/orders` with `body`: status and answer.
pub async fn checkout(app: &TestApp, token: &str, body: Value) -> (u16, Value) {
    let (status, body, _) =
        send(call(app, Method::POST, "/api/v1/orders", Some(token)).json(&body)).await;
    (status, body)
}

/// A pending order of one course under `policy` (or its default): the order's JSON.
pub async fn order_of(app: &TestApp, token: &str, course: i64, policy: Option<i64>) -> Value {
    let (status, body) = checkout(
        app,
        token,
        json!({"items": [{"course_id": course, "price_policy_id": policy}]}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body
}

/// Starts the demo payment of `order_no`: its `out_trade_no`.
pub async fn demo_payment(app: &TestApp, token: &str, order_no: &str) -> String {
    let (status, body, _) = send(
        call(
            app,
            Method::POST,
            &format!("/api/v1/orders/{order_no}/payments"),
            Some(token),
        )
        .json(&json!({"provider": "demo"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let out = body["out_trade_no"].as_str().unwrap().to_string();
    assert_eq!(body["pay_url"], format!("/pay/demo/{out}"));
    out
}

/// The demo gateway's "buyer paid": status and answer.
pub async fn confirm(app: &TestApp, token: &str, out_trade_no: &str) -> (u16, Value) {
    let (status, body, _) = send(call(
        app,
        Method::POST,
        &format!("/api/v1/payments/demo/{out_trade_no}/confirm"),
        Some(token),
    ))
    .await;
    (status, body)
}

pub async fn get(app: &TestApp, token: &str, path: &str) -> (u16, Value) {
    let (status, body, _) = send(call(app, Method::GET, path, Some(token))).await;
    (status, body)
}
