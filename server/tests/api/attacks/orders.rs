//! Buying without paying: anonymous callers, other users' orders and payments, a price sent by
//! the client, the demo gateway where it is off, and parallel transitions of one order.

use reqwest::Method;
use serde_json::json;
use server::model_engine::sql::SqlValue;

use crate::backend_tests;
use crate::helpers::{spawn_app_with, Backend, Options};
use crate::payments::{confirm, demo_payment, get, order_of, priced_course, scalar, shop};
use crate::rest_support::{assert_problem, call, send};

backend_tests!(
    strangers_cannot_see_cancel_or_pay_an_order,
    the_client_cannot_name_a_price,
    parallel_confirmations_pay_once_and_a_cancel_racing_a_payment_loses_or_wins_alone,
    a_server_without_alipay_keeps_nothing_posted_to_its_notify_route,
);

/// Where Alipay is not configured, nothing can be verified: its notify route is not there
/// (404), and a flood of posts writes no row.
async fn a_server_without_alipay_keeps_nothing_posted_to_its_notify_route(b: Backend) {
    let app = shop(b, &[]).await;
    let posts = (0..20).map(|i| {
        app.client
            .post(app.url("/api/v1/payments/alipay/notify"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(format!(
                "out_trade_no=x{i}&trade_status=TRADE_SUCCESS&sign=abc"
            ))
            .send()
    });
    for response in futures::future::join_all(posts).await {
        let response = response.unwrap();
        assert_eq!(response.status().as_u16(), 404);
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
    }
    let kept = scalar(&app, "SELECT COUNT(*) FROM payment_notifications", &[]).await;
    assert_eq!(kept, 0);
}

async fn strangers_cannot_see_cancel_or_pay_an_order(b: Backend) {
    let app = shop(b, &[]).await;
    let alice = app.student("alice").await;
    let mallory = app.student("mallory").await;
    let (a, m) = (app.bearer(&alice).await, app.bearer(&mallory).await);
    let course = priced_course(&app).await;
    let order = order_of(&app, &a, course, None).await;
    let no = order["order_no"].as_str().unwrap();
    let out = demo_payment(&app, &a, no).await;

    for (method, path, body) in [
        (
            Method::POST,
            "/api/v1/orders".to_string(),
            Some(json!({"items": [{"course_id": course}]})),
        ),
        (Method::GET, "/api/v1/orders".to_string(), None),
        (Method::GET, format!("/api/v1/orders/{no}"), None),
        (Method::POST, format!("/api/v1/orders/{no}/cancel"), None),
        (
            Method::POST,
            format!("/api/v1/orders/{no}/payments"),
            Some(json!({"provider": "demo"})),
        ),
        (
            Method::POST,
            format!("/api/v1/payments/demo/{out}/confirm"),
            None,
        ),
        (Method::GET, "/api/v1/enrollments".to_string(), None),
    ] {
        let mut anonymous = call(&app, method.clone(), &path, None);
        if let Some(body) = &body {
            anonymous = anonymous.json(body);
        }
        let (status, answer, headers) = send(anonymous).await;
        assert_problem(status, &answer, &headers, 401);
        if path.contains(no) || path.contains(&out) {
            // Another user's order or payment does not exist for her.
            let mut request = call(&app, method, &path, Some(&m));
            if let Some(body) = &body {
                request = request.json(body);
            }
            let (status, answer, headers) = send(request).await;
            assert_problem(status, &answer, &headers, 404);
        }
    }
    let (_, mine) = get(&app, &m, "/api/v1/orders").await;
    assert_eq!(mine["count"], 0);
    let (_, hers) = get(&app, &a, &format!("/api/v1/orders/{no}")).await;
    assert_eq!(hers["status"], "pending", "nothing mallory sent changed it");
    let owned = scalar(&app, "SELECT COUNT(*) FROM enrollments", &[]).await;
    assert_eq!(owned, 0);
}

async fn the_client_cannot_name_a_price(b: Backend) {
    // Without PAYMENTS_DEMO on PostgreSQL the demo gateway is not there at all.
    let app = spawn_app_with(b, Options::unthrottled()).await;
    let alice = app.student("alice").await;
    let a = app.bearer(&alice).await;
    let course = priced_course(&app).await;
    for body in [
        json!({"items": [{"course_id": course, "price_cents": 1}]}),
        json!({"items": [{"course_id": course}], "total_cents": 1}),
    ] {
        let (status, answer, headers) =
            send(call(&app, Method::POST, "/api/v1/orders", Some(&a)).json(&body)).await;
        assert_problem(status, &answer, &headers, 422);
    }
    let order = order_of(&app, &a, course, None).await;
    let no = order["order_no"].as_str().unwrap();
    let (status, answer, headers) = send(
        call(
            &app,
            Method::POST,
            &format!("/api/v1/orders/{no}/payments"),
            Some(&a),
        )
        .json(&json!({"provider": "demo"})),
    )
    .await;
    if b == Backend::Postgres {
        assert_problem(status, &answer, &headers, 422);
        let (status, _) = confirm(&app, &a, &format!("{no}D")).await;
        assert_eq!(status, 404, "no demo confirmation where the demo is off");
    } else {
        assert_eq!(
            status, 201,
            "embedded SQLite offers the demo by default: {answer}"
        );
    }
}

async fn parallel_confirmations_pay_once_and_a_cancel_racing_a_payment_loses_or_wins_alone(
    b: Backend,
) {
    let app = shop(b, &[]).await;
    let alice = app.student("alice").await;
    let a = app.bearer(&alice).await;
    let course = priced_course(&app).await;
    let order = order_of(&app, &a, course, None).await;
    let no = order["order_no"].as_str().unwrap().to_string();
    let out = demo_payment(&app, &a, &no).await;
    let answers = futures::future::join_all((0..10).map(|_| confirm(&app, &a, &out))).await;
    for (status, body) in &answers {
        assert_eq!(*status, 200, "{body}");
        assert_eq!(body["status"], "paid");
    }
    let enrolled = scalar(
        &app,
        "SELECT COUNT(*) FROM enrollments WHERE user_id = $1",
        &[SqlValue::Int(alice.id)],
    )
    .await;
    assert_eq!(enrolled, 1);
    let counted = scalar(
        &app,
        "SELECT enrollment_count FROM courses WHERE id = $1",
        &[SqlValue::Int(course)],
    )
    .await;
    let paid_transitions = scalar(
        &app,
        "SELECT COUNT(*) FROM audit_log WHERE object_repr = $1 AND changes LIKE '%\"paid\"%'",
        &[SqlValue::Text(no.clone())],
    )
    .await;
    assert_eq!(paid_transitions, 1);
    assert!(counted >= 1);

    // A cancel and a payment at once: exactly one of them happens.
    let second = scalar(
        &app,
        "SELECT MIN(id) FROM courses WHERE status = 'published' AND deleted_at IS NULL \
         AND price_cents > 0 AND id > $1",
        &[SqlValue::Int(course)],
    )
    .await;
    for _ in 0..3 {
        let order = order_of(&app, &a, second, None).await;
        let no = order["order_no"].as_str().unwrap().to_string();
        let out = demo_payment(&app, &a, &no).await;
        let cancel_path = format!("/api/v1/orders/{no}/cancel");
        let cancel = send(call(&app, Method::POST, &cancel_path, Some(&a)));
        let ((cancelled, _, _), (confirmed, _)) = tokio::join!(cancel, confirm(&app, &a, &out));
        let (_, now) = get(&app, &a, &format!("/api/v1/orders/{no}")).await;
        match now["status"].as_str().unwrap() {
            "paid" => {
                assert_eq!((cancelled, confirmed), (409, 200));
                break;
            }
            "closed" => {
                assert_eq!((cancelled, confirmed), (200, 409));
                let owned = scalar(
                    &app,
                    "SELECT COUNT(*) FROM enrollments WHERE user_id = $1 AND course_id = $2",
                    &[SqlValue::Int(alice.id), SqlValue::Int(second)],
                )
                .await;
                assert_eq!(owned, 0, "a closed order enrols nobody");
            }
            other => panic!("the order is {other}"),
        }
    }
}
