//! Coupons at checkout: each kind's discount on the server's price, the window and the scope
//! refused by field, a coupon returned when its order closes unpaid, and 20 concurrent
//! checkouts with one single-use coupon giving exactly one order with it.

use chrono::{Duration, Utc};
use serde_json::json;
use server::model_engine::sql::SqlValue;

use super::{checkout, order_of, policies, priced_course, scalar, shop};
use crate::backend_tests;
use crate::helpers::{Backend, TestApp};
use crate::rest_support::{call, send};

backend_tests!(
    coupons_discount_on_the_server_and_return_when_an_order_closes,
    twenty_concurrent_checkouts_share_one_single_use_coupon_once,
);

/// A coupon row as staff would make it (no back-office screen yet); valid for the hour
/// around now, once per user. A store-wide coupon's course is a NULL literal: a bound NULL
/// carries no type PostgreSQL would take for a bigint column.
async fn coupon(
    app: &TestApp,
    code: &str,
    kind: &str,
    amount: i64,
    percent: i64,
    course: Option<i64>,
    quantity: i64,
) {
    let now = Utc::now();
    let mut values = vec![
        SqlValue::Text(code.into()),
        SqlValue::Text(kind.into()),
        SqlValue::Int(amount),
        SqlValue::Int(percent),
        SqlValue::Int(if kind == "threshold" { 10_000 } else { 0 }),
        SqlValue::Time(now - Duration::hours(1)),
        SqlValue::Time(now + Duration::hours(1)),
        SqlValue::Int(quantity),
    ];
    let course_sql = match course {
        Some(id) => {
            values.push(SqlValue::Int(id));
            "$9"
        }
        None => "NULL",
    };
    let sql = format!(
        "INSERT INTO coupons (code, kind, amount_cents, percent_off, min_total_cents, starts_at, \
         ends_at, total_quantity, course_id, per_user_limit) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, {course_sql}, 1)"
    );
    server::db::records::execute(&app.db, &sql, &values)
        .await
        .unwrap();
}

async fn reserved(app: &TestApp, code: &str) -> i64 {
    scalar(
        app,
        "SELECT CAST(reserved AS BIGINT) FROM coupons WHERE code = $1",
        &[SqlValue::Text(code.into())],
    )
    .await
}

async fn coupons_discount_on_the_server_and_return_when_an_order_closes(b: Backend) {
    let app = shop(b, &[]).await;
    let alice = app.student("alice").await;
    let token = app.bearer(&alice).await;
    let course = priced_course(&app).await;
    let permanent = policies(&app, course).await[3].clone();
    let price = permanent["price_cents"].as_i64().unwrap();
    coupon(&app, "TEN", "fixed", 1_000, 0, Some(course), 5).await;
    coupon(&app, "PCT", "percent", 0, 15, None, 5).await;
    let other = scalar(&app, "SELECT MAX(id) FROM courses", &[]).await;
    assert_ne!(other, course);
    coupon(&app, "OTHER", "fixed", 1_000, 0, Some(other), 5).await;

    let (status, order) = checkout(
        &app,
        &token,
        json!({"items": [{"course_id": course}], "coupon_code": " TEN "}),
    )
    .await;
    assert_eq!(status, 201, "{order}");
    assert_eq!(order["discount_cents"], 1_000);
    assert_eq!(order["total_cents"], price - 1_000);
    assert_eq!(reserved(&app, "TEN").await, 1);
    // Once per user: a second order cannot take it again while the first holds it.
    let (status, body) = checkout(
        &app,
        &token,
        json!({"items": [{"course_id": course}], "coupon_code": "TEN"}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["errors"][0]["field"], "coupon_code");
    // Cancelled unpaid: the coupon returns, and can be used again.
    let no = order["order_no"].as_str().unwrap();
    let (status, _, _) = send(call(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/orders/{no}/cancel"),
        Some(&token),
    ))
    .await;
    assert_eq!(status, 200);
    assert_eq!(reserved(&app, "TEN").await, 0);
    let (status, again) = checkout(
        &app,
        &token,
        json!({"items": [{"course_id": course}], "coupon_code": "TEN"}),
    )
    .await;
    assert_eq!(status, 201, "{again}");

    let (status, pct) = checkout(
        &app,
        &token,
        json!({"items": [{"course_id": course}], "coupon_code": "PCT"}),
    )
    .await;
    assert_eq!(status, 201, "{pct}");
    assert_eq!(pct["discount_cents"], price * 15 / 100);
    for (code, why) in [("OTHER", "another course"), ("NOPE", "no such coupon")] {
        let (status, body) = checkout(
            &app,
            &token,
            json!({"items": [{"course_id": course}], "coupon_code": code}),
        )
        .await;
        assert_eq!(status, 422, "{body}");
        assert!(
            body["errors"][0]["message"].as_str().unwrap().contains(why),
            "{body}"
        );
    }
    let plain = order_of(&app, &token, course, None).await;
    assert_eq!(plain["discount_cents"], 0);
}

async fn twenty_concurrent_checkouts_share_one_single_use_coupon_once(b: Backend) {
    let app = shop(b, &[]).await;
    let course = priced_course(&app).await;
    coupon(&app, "ONLYONE", "fixed", 500, 0, None, 1).await;
    let mut tokens = Vec::new();
    for i in 0..20 {
        let who = app.student(&format!("buyer{i}")).await;
        tokens.push(app.bearer(&who).await);
    }
    let answers = futures::future::join_all(tokens.iter().map(|token| {
        checkout(
            &app,
            token,
            json!({"items": [{"course_id": course}], "coupon_code": "ONLYONE"}),
        )
    }))
    .await;
    let won: Vec<_> = answers.iter().filter(|(s, _)| *s == 201).collect();
    assert_eq!(won.len(), 1, "{answers:?}");
    assert_eq!(won[0].1["discount_cents"], 500);
    for (status, body) in answers.iter().filter(|(s, _)| *s != 201) {
        assert_eq!(*status, 422, "{body}");
        assert_eq!(body["errors"][0]["field"], "coupon_code");
    }
    assert_eq!(reserved(&app, "ONLYONE").await, 1);
    let with_it = scalar(
        &app,
        "SELECT COUNT(*) FROM orders WHERE discount_cents > 0",
        &[],
    )
    .await;
    assert_eq!(with_it, 1);
    let uses = scalar(&app, "SELECT COUNT(*) FROM coupon_uses", &[]).await;
    assert_eq!(uses, 1);
}
