//! Embedded mode (no Redis): the same API decides in the database, one guarded stock update
//! and the unique seat index in one transaction; exactly the stock sells under concurrent
//! requests, also with two server processes on one database.

use std::time::Duration;

use serde_json::json;
use server::model_engine::sql::SqlValue;

use super::{manager, mine, sale, scalar, seats, shop, stampede, students, until_open};
use crate::backend_tests;
use crate::helpers::{spawn_app_with, Backend, Options, TestApp};

backend_tests!(
    the_database_sells_exactly_the_stock,
    two_processes_on_one_database_sell_exactly_the_stock,
);

async fn counts_agree(app: &TestApp, id: i64, stock: i64) {
    assert_eq!(seats(app, id).await, stock);
    let left = scalar(
        app,
        "SELECT CAST(stock_left AS BIGINT) FROM seckill_events WHERE id = $1",
        &[SqlValue::Int(id)],
    )
    .await;
    assert_eq!(left, 0);
    let report = server::seckill::verify::check(&app.db, None, "", id)
        .await
        .unwrap();
    assert!(report.ok(), "{report:?}");
    assert_eq!(report.db_buyers_over_limit, 0);
}

async fn the_database_sells_exactly_the_stock(b: Backend) {
    let (app, _) = shop(b, None, &[]).await;
    let staff = manager(&app).await;
    let event = sale(
        &app,
        &staff,
        30,
        Duration::from_secs(1),
        json!({"per_user_limit": 2}),
    )
    .await;
    let id = event["id"].as_i64().unwrap();
    let buyers = students(&app, "e", 40).await;
    until_open(&app, &event).await;
    let s = stampede(&app, id, &buyers, 3).await;
    assert!(s.other.is_empty(), "{:?}", &s.other[..s.other.len().min(5)]);
    assert_eq!(s.accepted, 30);
    assert_eq!(s.accepted + s.sold_out + s.limit, 120);
    counts_agree(&app, id, 30).await;
    // Written at once: a winner's claim is a seat with its order already.
    for (_, bearer) in &buyers {
        let claims = mine(&app, id, bearer).await;
        assert!(claims["count"].as_i64().unwrap() <= 2, "{claims}");
        for c in claims["results"].as_array().unwrap() {
            assert_eq!(c["status"], "held", "{claims}");
            assert!(c["order_no"].is_string());
        }
    }
}

async fn two_processes_on_one_database_sell_exactly_the_stock(b: Backend) {
    let (one, _) = shop(b, None, &[]).await;
    let key = format!("{}/jwt_private.pem", one.data_dir());
    let mut options = Options::unthrottled();
    options.seed_demo = false;
    options.database_url = Some(one.database_url.clone());
    options.extra.push(("SECKILL_THROTTLE_IP", "off".into()));
    options
        .extra
        .push(("SECKILL_THROTTLE_USER", "1000/sec".into()));
    options.extra.push(("JWT_PRIVATE_KEY_PATH", key));
    let two = spawn_app_with(b, options).await;
    let staff = manager(&one).await;
    let event = sale(&one, &staff, 25, Duration::from_secs(1), json!({})).await;
    let id = event["id"].as_i64().unwrap();
    let buyers = students(&one, "t", 60).await;
    until_open(&one, &event).await;
    // Half the buyers on each process, all at once.
    let (left, right) = buyers.split_at(30);
    let (a, b2) = tokio::join!(stampede(&one, id, left, 2), stampede(&two, id, right, 2));
    for s in [&a, &b2] {
        assert!(s.other.is_empty(), "{:?}", &s.other[..s.other.len().min(5)]);
    }
    assert_eq!(
        a.accepted + b2.accepted,
        25,
        "{} + {}",
        a.accepted,
        b2.accepted
    );
    counts_agree(&one, id, 25).await;
}
