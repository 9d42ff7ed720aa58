//! Flash sales under attack: another user's token, hammering before the start, one user's
//! parallel buys, and staff input out of bounds.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::backend_tests;
use crate::helpers::{redis_url, Backend};
use crate::rest_support::{assert_problem, call, send};
use crate::seckill::{
    buy, manager, priced_course, rfc3339, sale, seats, shop, students, token, until_open,
    wait_for_seats,
};

backend_tests!(
    another_users_token_or_none_is_forbidden,
    hammering_before_the_start_gets_nothing,
    one_user_buying_in_parallel_gets_one_seat,
    staff_input_out_of_bounds_is_refused_field_by_field,
);

async fn another_users_token_or_none_is_forbidden(b: Backend) {
    let (app, _) = shop(b, Some(&redis_url()), &[]).await;
    let staff = manager(&app).await;
    let event = sale(&app, &staff, 5, Duration::from_millis(500), json!({})).await;
    let id = event["id"].as_i64().unwrap();
    let people = students(&app, "x", 2).await;
    let (alice, mallory) = (&people[0].1, &people[1].1);
    until_open(&app, &event).await;
    let (status, t) = token(&app, id, alice).await;
    assert_eq!(status, 201, "{t}");
    assert_eq!(t["expires_in"], 30);
    let alices = t["token"].as_str().unwrap();
    for tok in [Some(alices), None, Some("1.2.3.AAAA"), Some("")] {
        let (status, body) = buy(&app, id, mallory, tok).await;
        assert_eq!(status, 403, "{tok:?}: {body}");
    }
    // A token of this event does not open another one.
    let other = sale(&app, &staff, 5, Duration::from_millis(0), json!({})).await;
    let (status, _) = buy(&app, other["id"].as_i64().unwrap(), alice, Some(alices)).await;
    assert_eq!(status, 403);
    // Without credentials at all: 401, never a claim.
    let (status, body, headers) = send(
        call(
            &app,
            Method::POST,
            &format!("/api/v1/seckill-events/{id}/orders"),
            None,
        )
        .json(&json!({"token": alices})),
    )
    .await;
    assert_problem(status, &body, &headers, 401);
    assert_eq!(seats(&app, id).await, 0);
    let (status, _) = buy(&app, id, alice, Some(alices)).await;
    assert_eq!(status, 202, "the owner's token works");
}

async fn hammering_before_the_start_gets_nothing(b: Backend) {
    let (app, _) = shop(b, Some(&redis_url()), &[]).await;
    let staff = manager(&app).await;
    let event = sale(&app, &staff, 5, Duration::from_secs(3600), json!({})).await;
    let id = event["id"].as_i64().unwrap();
    let people = students(&app, "h", 1).await;
    let bearer = &people[0].1;
    for _ in 0..20 {
        let (status, body) = token(&app, id, bearer).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (409, Some("not_started")),
            "{body}"
        );
        let (status, body) = buy(&app, id, bearer, Some("1.1.99999999999.x")).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (409, Some("not_started")),
            "{body}"
        );
    }
    let (_, detail, _) = send(call(
        &app,
        Method::GET,
        &format!("/api/v1/seckill-events/{id}"),
        None,
    ))
    .await;
    assert_eq!(detail["stock_left"], 5, "nothing was taken");
    // The per-user limit stops a script long before the start (its own instance: 5/sec).
    let (limited, _) = shop(b, Some(&redis_url()), &[("SECKILL_THROTTLE_USER", "5/sec")]).await;
    let staff = manager(&limited).await;
    let event = sale(&limited, &staff, 5, Duration::from_secs(3600), json!({})).await;
    let people = students(&limited, "s", 1).await;
    let mut throttled = 0;
    for _ in 0..12 {
        let (status, body) = token(&limited, event["id"].as_i64().unwrap(), &people[0].1).await;
        if status == 429 {
            throttled += 1;
        } else {
            assert_eq!(status, 409, "{body}");
        }
    }
    assert!(throttled >= 5, "{throttled}");
}

async fn one_user_buying_in_parallel_gets_one_seat(b: Backend) {
    for redis in [Some(redis_url()), None] {
        let (app, _) = shop(b, redis.as_deref(), &[]).await;
        let staff = manager(&app).await;
        let event = sale(&app, &staff, 10, Duration::from_millis(500), json!({})).await;
        let id = event["id"].as_i64().unwrap();
        let people = students(&app, "p", 1).await;
        until_open(&app, &event).await;
        let bearer = &people[0].1;
        let (_, t) = token(&app, id, bearer).await;
        let tok = t["token"].as_str().unwrap().to_string();
        let answers =
            futures::future::join_all((0..20).map(|_| buy(&app, id, bearer, Some(&tok)))).await;
        let accepted = answers.iter().filter(|(s, _)| *s == 202).count();
        let limited = answers
            .iter()
            .filter(|(s, b)| *s == 409 && b["code"] == "limit_reached")
            .count();
        assert_eq!(
            (accepted, limited),
            (1, 19),
            "redis: {redis:?}: {answers:?}"
        );
        wait_for_seats(&app, id, 1).await;
    }
}

async fn staff_input_out_of_bounds_is_refused_field_by_field(b: Backend) {
    let (app, _) = shop(b, None, &[]).await;
    let staff = manager(&app).await;
    let course = priced_course(&app).await;
    let now = chrono::Utc::now();
    let good = json!({"course_id": course, "title": "Sale", "price_cents": 100, "stock": 10,
        "starts_at": rfc3339(now + chrono::Duration::hours(1)),
        "ends_at": rfc3339(now + chrono::Duration::hours(2))});
    let cases = [
        ("stock", json!(-1)),
        ("stock", json!(0)),
        ("stock", json!(10_000_000_000_i64)),
        ("price_cents", json!(-5)),
        ("price_cents", json!(0)),
        ("price_cents", json!(999_999_999_999_i64)),
        ("per_user_limit", json!(0)),
        ("pay_window_minutes", json!(100_000)),
        ("starts_at", json!("tomorrow")),
        ("ends_at", json!(rfc3339(now))),
        ("course_id", json!(99_999)),
        ("price_policy_id", json!(99_999)),
        ("status", json!("sold")),
    ];
    for (field, value) in cases {
        let mut body = good.clone();
        body[field] = value.clone();
        let (status, answer, headers) =
            send(call(&app, Method::POST, "/api/v1/seckill-events", Some(&staff)).json(&body))
                .await;
        assert_problem(status, &answer, &headers, 422);
        let fields: Vec<&str> = answer["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert!(fields.contains(&field), "{field}={value}: {answer}");
    }
    // Above the course's own price is no seckill price.
    let mut dear = good.clone();
    dear["price_cents"] = json!(90_000_000);
    let (status, answer, _) =
        send(call(&app, Method::POST, "/api/v1/seckill-events", Some(&staff)).json(&dear)).await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["errors"][0]["field"], "price_cents");
    // A student, or staff without the permission, writes nothing.
    let student = app.student("stu").await;
    let student = app.bearer(&student).await;
    let other = app.persona("ed", false, &["course.change"]).await;
    let other = app.bearer(&other).await;
    for who in [&student, &other] {
        let (status, body, headers) =
            send(call(&app, Method::POST, "/api/v1/seckill-events", Some(who)).json(&good)).await;
        assert_problem(status, &body, &headers, 403);
    }
    let event = sale(&app, &staff, 3, Duration::from_secs(3600), json!({})).await;
    let (status, body, headers) = send(
        call(
            &app,
            Method::PATCH,
            &format!("/api/v1/seckill-events/{}", event["id"]),
            Some(&student),
        )
        .json(&json!({"stock": 1_000_000})),
    )
    .await;
    assert_problem(status, &body, &headers, 403);
    let left = crate::seckill::scalar(&app, "SELECT COUNT(*) FROM seckill_events", &[]).await;
    assert_eq!(left, 1);
}
