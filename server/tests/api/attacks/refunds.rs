//! Taking money back: who may refund (the buyer, staff without the permission, anonymous
//! callers may not), amounts that are not one, orders not paid, and parallel refunds that
//! together ask for more than was paid.

use reqwest::Method;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::{Backend, TestApp};
use crate::payments::refunds::refund;
use crate::payments::{confirm, demo_payment, get, order_of, priced_course, scalar, shop};
use crate::rest_support::{assert_problem, call, send};

backend_tests!(
    only_staff_holding_order_refund_can_refund,
    bad_amounts_and_unpaid_orders_are_refused,
    parallel_refunds_never_return_more_than_was_paid,
);

/// A paid demo order of one priced course: (buyer's token, order number, total cents).
async fn paid(app: &TestApp, name: &str) -> (String, String, i64) {
    let who = app.student(name).await;
    let token = app.bearer(&who).await;
    let course = priced_course(app).await;
    let order = order_of(app, &token, course, None).await;
    let no = order["order_no"].as_str().unwrap().to_string();
    let out = demo_payment(app, &token, &no).await;
    let (status, body) = confirm(app, &token, &out).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("paid")),
        "{body}"
    );
    (token, no, order["total_cents"].as_i64().unwrap())
}

async fn refunded_cents(app: &TestApp, token: &str, no: &str) -> i64 {
    get(app, token, &format!("/api/v1/orders/{no}")).await.1["refunded_cents"]
        .as_i64()
        .unwrap()
}

async fn only_staff_holding_order_refund_can_refund(b: Backend) {
    let app = shop(b, &[]).await;
    let (buyer, no, _) = paid(&app, "alice").await;
    let viewer = app.staff("vic", &["order.view"]).await;
    let viewer = app.bearer(&viewer).await;
    let admin = app.staff("ann", &["user.change", "course.change"]).await;
    let admin = app.bearer(&admin).await;
    for (who, token) in [
        ("the buyer", &buyer),
        ("order.view", &viewer),
        ("other staff", &admin),
    ] {
        let (status, body) = refund(&app, token, &no, json!({"amount_cents": 1})).await;
        assert_eq!(status, 403, "{who}: {body}");
    }
    // Reading the refunds needs order.view or order.refund, not being the buyer.
    let (status, _) = get(&app, &buyer, &format!("/api/v1/orders/{no}/refunds")).await;
    assert_eq!(status, 403);
    let (status, _) = get(&app, &viewer, &format!("/api/v1/orders/{no}/refunds")).await;
    assert_eq!(status, 200);
    let (status, body, headers) = send(
        call(
            &app,
            Method::POST,
            &format!("/api/v1/orders/{no}/refunds"),
            None,
        )
        .json(&json!({"amount_cents": 1})),
    )
    .await;
    assert_problem(status, &body, &headers, 401);
    assert_eq!(
        refunded_cents(&app, &buyer, &no).await,
        0,
        "nothing went back"
    );
    let rows = scalar(&app, "SELECT COUNT(*) FROM refunds", &[]).await;
    assert_eq!(rows, 0, "a refused caller writes nothing");
}

async fn bad_amounts_and_unpaid_orders_are_refused(b: Backend) {
    let app = shop(b, &[]).await;
    let (buyer, no, total) = paid(&app, "alice").await;
    let carol = app.staff("carol", &["order.refund"]).await;
    let staff = app.bearer(&carol).await;
    for body in [
        json!({"amount_cents": 0}),
        json!({"amount_cents": -5}),
        json!({"amount_cents": total + 1}),
        json!({"amount_cents": "100"}),
        json!({"amount_cents": 1, "reason": "x".repeat(201)}),
        json!({"amount_cents": 1, "provider": "alipay"}),
        json!({}),
    ] {
        let (status, answer) = refund(&app, &staff, &no, body.clone()).await;
        assert!(matches!(status, 400 | 422), "{body}: {status} {answer}");
    }
    assert_eq!(refunded_cents(&app, &buyer, &no).await, 0);
    let (status, body) = refund(
        &app,
        &staff,
        "XC20260101NOSUCHORDER0000",
        json!({"amount_cents": 1}),
    )
    .await;
    assert_eq!(status, 404, "{body}");
    // A pending order has nothing to refund.
    let course = priced_course(&app).await;
    let other = app.student("bob").await;
    let bob = app.bearer(&other).await;
    let pending = order_of(&app, &bob, course, None).await;
    let pending = pending["order_no"].as_str().unwrap();
    let (status, body) = refund(&app, &staff, pending, json!({"amount_cents": 1})).await;
    assert_eq!(status, 409, "{body}");
}

/// Ten staff requests at once, each for 30% of the total in a different amount: at most three
/// fit, and what went back never exceeds what was paid.
async fn parallel_refunds_never_return_more_than_was_paid(b: Backend) {
    let app = shop(b, &[]).await;
    let (buyer, no, total) = paid(&app, "alice").await;
    let carol = app.staff("carol", &["order.refund"]).await;
    let staff = app.bearer(&carol).await;
    let share = total * 3 / 10;
    assert!(share > 10, "the demo course costs enough to split");
    let calls = (0..10).map(|i| {
        let (app, staff, no) = (&app, staff.clone(), no.clone());
        async move { refund(app, &staff, &no, json!({"amount_cents": share - i})).await }
    });
    let answers: Vec<(u16, Value)> = futures::future::join_all(calls).await;
    let done: Vec<i64> = answers
        .iter()
        .filter(|(status, _)| *status == 201)
        .map(|(_, body)| body["amount_cents"].as_i64().unwrap())
        .collect();
    for (status, body) in &answers {
        assert!(matches!(status, 201 | 422), "{status} {body}");
    }
    assert_eq!(done.len(), 3, "{answers:?}");
    let refunded = refunded_cents(&app, &buyer, &no).await;
    assert_eq!(refunded, done.iter().sum::<i64>());
    assert!(refunded <= total);
}
