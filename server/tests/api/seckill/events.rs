//! Events: staff create and change them, the public reads them with their live stock, a draft
//! stays hidden, a published event's stock is in Redis, and stock is frozen once the sale began.

use std::time::Duration;

use fred::prelude::*;
use reqwest::Method;
use serde_json::json;

use super::{manager, sale, shop, until_open};
use crate::backend_tests;
use crate::helpers::{redis_url, Backend};
use crate::rest_support::{assert_problem, call, send};

backend_tests!(
    events_are_published_with_their_stock_in_redis,
    stock_is_frozen_once_the_sale_has_started,
);

async fn events_are_published_with_their_stock_in_redis(b: Backend) {
    let (app, prefix) = shop(b, Some(&redis_url()), &[]).await;
    let staff = manager(&app).await;
    let event = sale(&app, &staff, 25, Duration::from_secs(3600), json!({})).await;
    let id = event["id"].as_i64().unwrap();
    assert_eq!(event["status"], "published");
    assert_eq!(event["phase"], "upcoming");
    assert_eq!(
        (event["stock"].as_i64(), event["stock_left"].as_i64()),
        (Some(25), Some(25))
    );
    assert_eq!(event["per_user_limit"], 1, "the default limit");
    assert_eq!(event["pay_window_minutes"], 15, "the default window");
    // The policy defaults to the course's longest (permanent) one.
    let months = super::scalar(
        &app,
        "SELECT CAST(valid_months AS BIGINT) FROM price_policies WHERE id = $1",
        &[server::model_engine::sql::SqlValue::Int(
            event["price_policy_id"].as_i64().unwrap(),
        )],
    )
    .await;
    assert_eq!(months, 0);

    let redis = server::redis::Redis::connect(&redis_url()).await.unwrap();
    let keys = server::seckill::script::Keys::new(&prefix, id);
    let stock: Option<i64> = redis.pool().get(&keys.stock).await.unwrap();
    assert_eq!(stock, Some(25), "published: the stock is in Redis");

    // Before the start the stock may change; Redis follows.
    let (status, changed, _) = send(
        call(
            &app,
            Method::PATCH,
            &format!("/api/v1/seckill-events/{id}"),
            Some(&staff),
        )
        .json(&json!({"stock": 40})),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["stock_left"], 40);
    let stock: Option<i64> = redis.pool().get(&keys.stock).await.unwrap();
    assert_eq!(stock, Some(40));

    let (status, list, _) = send(call(&app, Method::GET, "/api/v1/seckill-events", None)).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["count"], 1);
    assert_eq!(list["results"][0]["id"], id);
    assert!(list["results"][0]["server_time"].is_string());

    // A draft is hidden from the public, not from its managers, and is not in Redis.
    let draft = sale(
        &app,
        &staff,
        5,
        Duration::from_secs(3600),
        json!({"status": "draft"}),
    )
    .await;
    let draft_id = draft["id"].as_i64().unwrap();
    let path = format!("/api/v1/seckill-events/{draft_id}");
    let (status, body, headers) = send(call(&app, Method::GET, &path, None)).await;
    assert_problem(status, &body, &headers, 404);
    let (status, body, _) = send(call(&app, Method::GET, &path, Some(&staff))).await;
    assert_eq!(status, 200, "{body}");
    let draft_keys = server::seckill::script::Keys::new(&prefix, draft_id);
    let stock: Option<i64> = redis.pool().get(&draft_keys.stock).await.unwrap();
    assert_eq!(stock, None);
    let (_, list, _) = send(call(&app, Method::GET, "/api/v1/seckill-events", None)).await;
    assert_eq!(list["count"], 1, "drafts are not listed");
    // Publishing loads it.
    let (status, body, _) =
        send(call(&app, Method::PATCH, &path, Some(&staff)).json(&json!({"status": "published"})))
            .await;
    assert_eq!(status, 200, "{body}");
    let stock: Option<i64> = redis.pool().get(&draft_keys.stock).await.unwrap();
    assert_eq!(stock, Some(5));
}

async fn stock_is_frozen_once_the_sale_has_started(b: Backend) {
    let (app, _) = shop(b, None, &[]).await;
    let staff = manager(&app).await;
    let event = sale(&app, &staff, 10, Duration::from_millis(800), json!({})).await;
    let id = event["id"].as_i64().unwrap();
    until_open(&app, &event).await;
    let path = format!("/api/v1/seckill-events/{id}");
    let (status, body, headers) =
        send(call(&app, Method::PATCH, &path, Some(&staff)).json(&json!({"stock": 11}))).await;
    assert_problem(status, &body, &headers, 409);
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("stock can no longer change"),
        "{body}"
    );
    // Other fields may still change; the stock is what it was.
    let (status, body, _) =
        send(call(&app, Method::PATCH, &path, Some(&staff)).json(&json!({"title": "Last call"})))
            .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["title"].as_str(), body["stock"].as_i64()),
        (Some("Last call"), Some(10))
    );
}
