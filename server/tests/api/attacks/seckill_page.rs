//! The sale page's server functions (`/fn/seckill/*`) under attack: they follow the API's rules
//! (a draft is not there, nothing before the start, one user's claims only, a signed-in buyer
//! from our own pages only), and one user's parallel clicks get one seat, with Redis deciding
//! and in the embedded mode.

use std::time::Duration;

use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::{redis_url, Backend, TestApp};
use crate::seckill::{manager, sale, seats, shop, until_open, wait_for_seats};

backend_tests!(
    the_page_calls_keep_the_apis_rules,
    parallel_clicks_by_one_user_get_one_seat,
);

async fn page_call(
    app: &TestApp,
    cookie: Option<&str>,
    endpoint: &str,
    body: Value,
) -> (u16, Value) {
    let mut request = app
        .client
        .post(app.url(&format!("/fn/seckill/{endpoint}")))
        .header("origin", &app.address)
        .header("accept", "application/json")
        .json(&body);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn the_page_calls_keep_the_apis_rules(b: Backend) {
    let (app, _) = shop(b, Some(&redis_url()), &[]).await;
    let staff = manager(&app).await;
    let alice = app.student("alice").await;
    let alice = app.sign_in(&alice).await;
    let mallory = app.student("mallory").await;
    let mallory = app.sign_in(&mallory).await;

    // A draft is nobody's to see from the page, whatever its id.
    let draft = sale(&app, &staff, 5, Duration::ZERO, json!({"status": "draft"})).await;
    let draft_id = draft["id"].as_i64().unwrap();
    let (status, _) = page_call(&app, Some(&alice), "event", json!({"event_id": draft_id})).await;
    assert_eq!(status, 404);
    let (status, body) = page_call(&app, Some(&alice), "buy", json!({"event_id": draft_id})).await;
    assert_eq!(status, 404, "{body}");

    // Far enough ahead for the checks before the start on a slow machine.
    let event = sale(&app, &staff, 5, Duration::from_secs(5), json!({})).await;
    let id = event["id"].as_i64().unwrap();
    let (status, view) = page_call(&app, None, "event", json!({"event_id": id})).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["phase"], "upcoming");
    assert_eq!(
        (view["stock_left"].as_i64(), view["price_cents"].as_i64()),
        (Some(5), Some(100))
    );
    assert!(view["regular_cents"].as_i64().unwrap() > 100, "{view}");
    assert!(!view["course_slug"].as_str().unwrap().is_empty());

    // Anonymous: no buy, no claims.
    for endpoint in ["buy", "claims"] {
        let (status, _) = page_call(&app, None, endpoint, json!({"event_id": id})).await;
        assert_eq!(status, 401, "{endpoint}");
    }
    // Before the start: refused as an outcome, nothing taken.
    let (status, body) = page_call(&app, Some(&alice), "buy", json!({"event_id": id})).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("not_started")),
        "{body}"
    );
    // A cross-site post with Alice's cookie (another site's Origin) is refused before the call.
    let response = app
        .client
        .post(app.url("/fn/seckill/buy"))
        .header("origin", "https://evil.test")
        .header("cookie", &alice)
        .json(&json!({"event_id": id}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);

    until_open(&app, &event).await;
    let (status, body) = page_call(&app, Some(&alice), "buy", json!({"event_id": id})).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("queued")),
        "{body}"
    );
    wait_for_seats(&app, id, 1).await;
    // Alice sees her seat; Mallory, asking about the same event, sees only her own (none).
    let (status, mine) = page_call(&app, Some(&alice), "claims", json!({"event_id": id})).await;
    assert_eq!(status, 200, "{mine}");
    let claims = mine["claims"].as_array().unwrap();
    assert_eq!(claims.len(), 1, "{mine}");
    assert_eq!(claims[0]["status"], "held");
    assert!(claims[0]["order_no"].as_str().unwrap().starts_with("XC"));
    let (_, theirs) = page_call(&app, Some(&mallory), "claims", json!({"event_id": id})).await;
    assert_eq!(theirs["claims"], json!([]), "{theirs}");
    let (_, view) = page_call(&app, None, "event", json!({"event_id": id})).await;
    assert_eq!(view["stock_left"], 4);
    let (status, live) = page_call(&app, None, "live", json!({"event_id": id})).await;
    assert_eq!(
        (status, live["stock_left"].as_i64()),
        (200, Some(4)),
        "{live}"
    );
    let (status, _) = page_call(&app, None, "live", json!({"event_id": draft_id})).await;
    assert_eq!(status, 404, "a draft's stock is not public either");
}

async fn parallel_clicks_by_one_user_get_one_seat(b: Backend) {
    for redis in [Some(redis_url()), None] {
        let (app, _) = shop(b, redis.as_deref(), &[]).await;
        let staff = manager(&app).await;
        let event = sale(&app, &staff, 10, Duration::ZERO, json!({})).await;
        let id = event["id"].as_i64().unwrap();
        until_open(&app, &event).await;
        let bob = app.student("bob").await;
        let bob = app.sign_in(&bob).await;
        let clicks = (0..10).map(|_| page_call(&app, Some(&bob), "buy", json!({"event_id": id})));
        let answers = futures::future::join_all(clicks).await;
        let mut outcomes: Vec<&str> = answers
            .iter()
            .map(|(status, body)| {
                assert_eq!(*status, 200, "{body}");
                body["status"].as_str().unwrap()
            })
            .collect();
        outcomes.sort_unstable();
        let mut expected = vec!["limit_reached"; 9];
        expected.push("queued");
        expected.sort_unstable();
        assert_eq!(outcomes, expected, "redis: {}", redis.is_some());
        wait_for_seats(&app, id, 1).await;
        // One claim in all, Redis' count included: nothing more is in line to land later.
        let (_, mine) = page_call(&app, Some(&bob), "claims", json!({"event_id": id})).await;
        assert_eq!(mine["claims"].as_array().map(Vec::len), Some(1), "{mine}");
        assert_eq!(seats(&app, id).await, 1);
    }
}
