//! Buying on a single Redis: the stampede (2,000 buy requests from 500 users for 100 seats),
//! then the stream, Redis and the database agree; a claim becomes an order paid through the
//! demo gateway; an unpaid seat goes back once and sells again.

use std::time::Duration;

use fred::prelude::*;
use serde_json::json;
use server::model_engine::sql::SqlValue;

use super::{
    buy, manager, mine, sale, scalar, shop, stampede, students, token, until_open, wait_for_seats,
};
use crate::backend_tests;
use crate::helpers::{redis_url, Backend, TestApp};
use crate::metrics;

backend_tests!(
    two_thousand_requests_from_five_hundred_users_buy_exactly_a_hundred_seats,
    an_unpaid_seat_goes_back_once_and_sells_again,
);

pub fn core(
    app: &TestApp,
    redis: &server::redis::Redis,
    prefix: &str,
) -> server::seckill::SeckillCore {
    server::seckill::SeckillCore {
        db: app.db.clone(),
        redis: Some(redis.clone()),
        prefix: prefix.to_string(),
        jobs: app.jobs.clone(),
    }
}

/// The stampede and every count after it; `redis_url` a single node or a cluster.
pub async fn sale_of_a_hundred(b: Backend, url: &str, users: usize, per_user: usize, stock: i64) {
    let (app, prefix) = shop(b, Some(url), &[("METRICS_TOKEN", metrics::TOKEN)]).await;
    let staff = manager(&app).await;
    let event = sale(&app, &staff, stock, Duration::from_secs(2), json!({})).await;
    let id = event["id"].as_i64().unwrap();
    let buyers = students(&app, "buyer", users).await;
    until_open(&app, &event).await;
    let s = stampede(&app, id, &buyers, per_user).await;
    assert!(
        s.other.is_empty(),
        "unexpected answers: {:?}",
        &s.other[..s.other.len().min(5)]
    );
    assert_eq!(
        s.accepted,
        usize::try_from(stock).unwrap(),
        "exactly the stock is claimed"
    );
    assert_eq!(s.accepted + s.sold_out + s.limit, users * per_user);
    // Every answer is counted under its outcome.
    let text = metrics::scrape(&app).await;
    for (outcome, n) in [
        ("queued", s.accepted),
        ("sold_out", s.sold_out),
        ("limit_reached", s.limit),
    ] {
        let series = format!(r#"xuecheng_seckill_requests_total{{outcome="{outcome}"}}"#);
        let counted = metrics::sample(&text, &series).unwrap_or(0.0);
        assert_eq!(counted, n as f64, "{outcome}");
    }
    wait_for_seats(&app, id, stock).await;

    // The database: one pending seckill order per seat, nobody over the limit, no stock left.
    let orders = scalar(
        &app,
        "SELECT COUNT(*) FROM orders o JOIN seckill_seats s ON s.order_id = o.id \
         WHERE s.event_id = $1 AND o.kind = 'seckill' AND o.status = 'pending' AND o.total_cents = 100",
        &[SqlValue::Int(id)],
    )
    .await;
    assert_eq!(orders, stock);
    let most = scalar(
        &app,
        "SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM seckill_seats WHERE event_id = $1 \
         GROUP BY user_id) t",
        &[SqlValue::Int(id)],
    )
    .await;
    assert_eq!(most, 1, "nobody holds more than the limit");
    // Redis, the stream and the database agree (the reconciliation's own check).
    let redis = server::redis::Redis::connect(url).await.unwrap();
    let report = server::seckill::verify::verify(&core(&app, &redis, &prefix), id)
        .await
        .unwrap();
    assert!(report.ok(), "{report:?}");
    assert_eq!(report.redis_stock, Some(0));
    assert_eq!(report.db_stock_left, 0);
    assert_eq!(report.stream_length, Some(stock));
    assert_eq!(report.redis_seats_held, Some(stock));
    let keys = server::seckill::script::Keys::new(&prefix, id);
    let buyers_in_redis: i64 = redis.pool().hlen(&keys.buyers).await.unwrap();
    assert_eq!(buyers_in_redis, stock);
    let (_, detail, _) = crate::rest_support::send(crate::rest_support::call(
        &app,
        reqwest::Method::GET,
        &format!("/api/v1/seckill-events/{id}"),
        None,
    ))
    .await;
    assert_eq!(detail["stock_left"], 0);

    // A winner sees the seat and its order, and pays it through the normal flow.
    let mut winner = None;
    for (_, bearer) in &buyers {
        let claims = mine(&app, id, bearer).await;
        if claims["count"] == 1 {
            winner = Some((bearer.clone(), claims));
            break;
        }
    }
    let (bearer, claims) = winner.expect("a winner");
    let claim = &claims["results"][0];
    assert_eq!(claim["status"], "held", "{claims}");
    assert!(claim["pay_by"].is_string());
    let order_no = claim["order_no"].as_str().unwrap();
    let out = crate::payments::demo_payment(&app, &bearer, order_no).await;
    let (status, paid) = crate::payments::confirm(&app, &bearer, &out).await;
    assert_eq!(status, 200, "{paid}");
    assert_eq!(paid["status"], "paid");
    assert_eq!(paid["total_cents"], 100, "the seckill price");
    assert_eq!(
        mine(&app, id, &bearer).await["results"][0]["status"],
        "paid"
    );
    let _ = app.stop().await;
    redis.quit().await;
}

async fn two_thousand_requests_from_five_hundred_users_buy_exactly_a_hundred_seats(b: Backend) {
    sale_of_a_hundred(b, &redis_url(), 500, 4, 100).await;
}

async fn an_unpaid_seat_goes_back_once_and_sells_again(b: Backend) {
    let (app, prefix) = shop(b, Some(&redis_url()), &[]).await;
    let staff = manager(&app).await;
    let event = sale(
        &app,
        &staff,
        1,
        Duration::from_millis(500),
        json!({"pay_window_minutes": 1}),
    )
    .await;
    let id = event["id"].as_i64().unwrap();
    let people = students(&app, "p", 2).await;
    let (alice, bob) = (&people[0].1, &people[1].1);
    until_open(&app, &event).await;
    let (_, t) = token(&app, id, alice).await;
    let (status, body) = buy(&app, id, alice, t["token"].as_str()).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["status"], "queued");
    wait_for_seats(&app, id, 1).await;
    let (_, t) = token(&app, id, bob).await;
    let (status, body) = buy(&app, id, bob, t["token"].as_str()).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("sold_out")),
        "{body}"
    );

    // Alice does not pay: her window passes (moved into the past here) and the release job runs.
    let seat_id = scalar(
        &app,
        "SELECT id FROM seckill_seats WHERE event_id = $1",
        &[SqlValue::Int(id)],
    )
    .await;
    server::db::records::execute(
        &app.db,
        "UPDATE orders SET expires_at = created_at \
         WHERE id = (SELECT order_id FROM seckill_seats WHERE id = $1)",
        &[SqlValue::Int(seat_id)],
    )
    .await
    .unwrap();
    let redis = server::redis::Redis::connect(&redis_url()).await.unwrap();
    let core = core(&app, &redis, &prefix);
    // Twice, as a redelivered job would: the seat comes back once.
    server::seckill::release::run(&core, &app.gateways, seat_id)
        .await
        .unwrap();
    server::seckill::release::run(&core, &app.gateways, seat_id)
        .await
        .unwrap();
    let report = server::seckill::verify::verify(&core, id).await.unwrap();
    assert!(report.ok(), "{report:?}");
    assert_eq!((report.redis_stock, report.db_stock_left), (Some(1), 1));
    assert_eq!(report.db_seats_returned, 1);
    assert_eq!(
        mine(&app, id, alice).await["results"][0]["status"],
        "returned"
    );
    let order_status = scalar(
        &app,
        "SELECT COUNT(*) FROM orders WHERE status = 'closed' AND kind = 'seckill'",
        &[],
    )
    .await;
    assert_eq!(order_status, 1);

    // Bob gets the seat now.
    let (status, body) = buy(&app, id, bob, t["token"].as_str()).await;
    assert_eq!(status, 202, "{body}");
    wait_for_seats(&app, id, 1).await;
    let report = server::seckill::verify::verify(&core, id).await.unwrap();
    assert!(report.ok(), "{report:?}");
    assert_eq!((report.redis_stock, report.db_stock_left), (Some(0), 0));
    assert_eq!(mine(&app, id, bob).await["results"][0]["status"], "held");
    redis.quit().await;
}
