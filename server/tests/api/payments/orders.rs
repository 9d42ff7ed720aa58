//! Checkout and orders end to end through the demo gateway: server-side prices, the policy's
//! expiry on the enrolment, owned courses refused, cancel, the close at expiry, free courses.

use std::time::{Duration, Instant};

use chrono::{DateTime, Months, Utc};
use reqwest::Method;
use serde_json::json;
use server::model_engine::sql::SqlValue;

use super::{
    checkout, confirm, demo_payment, get, order_of, policies, priced_course, scalar, shop,
};
use crate::backend_tests;
use crate::helpers::Backend;
use crate::rest_support::{assert_problem, call, send};

backend_tests!(
    policies_are_listed_and_checkout_prices_on_the_server,
    a_demo_payment_enrols_with_the_policys_expiry_once,
    a_cancelled_order_cannot_be_paid,
    an_unpaid_order_closes_at_its_expiry,
    a_free_course_is_enrolled_in_one_click,
    bad_checkouts_are_refused_field_by_field,
);

fn time(v: &serde_json::Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

async fn policies_are_listed_and_checkout_prices_on_the_server(b: Backend) {
    let app = shop(b, &[]).await;
    let alice = app.student("alice").await;
    let token = app.bearer(&alice).await;
    let course = priced_course(&app).await;
    let list = policies(&app, course).await;
    let months: Vec<i64> = list
        .iter()
        .map(|p| p["valid_months"].as_i64().unwrap())
        .collect();
    assert_eq!(
        months,
        [3, 6, 12, 0],
        "shortest first, permanent last: {list:?}"
    );
    let price = scalar(
        &app,
        "SELECT price_cents FROM courses WHERE id = $1",
        &[SqlValue::Int(course)],
    )
    .await;
    assert_eq!(
        list[3]["price_cents"], price,
        "permanent costs the course's price"
    );
    assert!(list[0]["price_cents"].as_i64().unwrap() < price);

    let three = &list[0];
    let before = Utc::now();
    let order = order_of(&app, &token, course, three["id"].as_i64()).await;
    assert_eq!(order["status"], "pending");
    assert_eq!(order["total_cents"], three["price_cents"]);
    assert_eq!(order["items"][0]["valid_months"], 3);
    assert_eq!(order["items"][0]["price_policy_id"], three["id"]);
    let ttl = time(&order["expires_at"]) - before;
    assert!(
        ttl > chrono::Duration::minutes(29) && ttl <= chrono::Duration::minutes(31),
        "{ttl}"
    );
    // Without a policy: the permanent one.
    let (status, body) = checkout(&app, &token, json!({"items": [{"course_id": course}]})).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["total_cents"], price);
    assert_ne!(body["order_no"], order["order_no"]);

    let no = order["order_no"].as_str().unwrap();
    let (status, one) = get(&app, &token, &format!("/api/v1/orders/{no}")).await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(one, order);
    let (status, mine) = get(&app, &token, "/api/v1/orders").await;
    assert_eq!(status, 200);
    assert_eq!(mine["count"], 2);
    assert_eq!(mine["results"][1]["order_no"], no, "newest first");
    // The order's creation is in the audit log.
    let audited = scalar(
        &app,
        "SELECT COUNT(*) FROM audit_log WHERE object_type = 'order' AND object_repr = $1 \
         AND action = 'create' AND actor_id = $2",
        &[SqlValue::Text(no.into()), SqlValue::Int(alice.id)],
    )
    .await;
    assert_eq!(audited, 1);
}

async fn a_demo_payment_enrols_with_the_policys_expiry_once(b: Backend) {
    let app = shop(b, &[]).await;
    let alice = app.student("alice").await;
    let token = app.bearer(&alice).await;
    let course = priced_course(&app).await;
    let three = policies(&app, course).await[0]["id"].as_i64();
    let order = order_of(&app, &token, course, three).await;
    let no = order["order_no"].as_str().unwrap();
    // Asking twice resumes the same payment.
    let out = demo_payment(&app, &token, no).await;
    assert_eq!(demo_payment(&app, &token, no).await, out);

    let (status, (_, before_enrolment)) = (200, get(&app, &token, "/api/v1/enrollments").await);
    assert_eq!(status, 200);
    assert_eq!(before_enrolment["count"], 0, "the return is not a payment");
    let at = Utc::now();
    let (status, paid) = confirm(&app, &token, &out).await;
    assert_eq!(status, 200, "{paid}");
    assert_eq!(paid["status"], "paid");
    assert!(paid["paid_at"].is_string());

    let (_, owned) = get(&app, &token, "/api/v1/enrollments").await;
    assert_eq!(owned["count"], 1, "{owned}");
    assert_eq!(owned["results"][0]["course_id"], course);
    let ends = time(&owned["results"][0]["expires_at"]);
    let want = at.checked_add_months(Months::new(3)).unwrap();
    assert!((ends - want).num_seconds().abs() < 60, "{ends} vs {want}");

    // The same confirmation again changes nothing: one notification, one paid transition.
    let (status, again) = confirm(&app, &token, &out).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["paid_at"], paid["paid_at"]);
    let notes = scalar(
        &app,
        "SELECT COUNT(*) FROM payment_notifications WHERE provider = 'demo'",
        &[],
    )
    .await;
    assert_eq!(notes, 1);
    let transitions = scalar(
        &app,
        "SELECT COUNT(*) FROM audit_log WHERE object_type = 'order' AND object_repr = $1 \
         AND changes LIKE '%\"paid\"%'",
        &[SqlValue::Text(no.into())],
    )
    .await;
    assert_eq!(transitions, 1);
    // Owned now: a second checkout of it is refused.
    let (status, body, headers) = send(
        call(&app, Method::POST, "/api/v1/orders", Some(&token))
            .json(&json!({"items": [{"course_id": course}]})),
    )
    .await;
    assert_problem(status, &body, &headers, 409);
    // A paid order cannot be cancelled.
    let (status, body, headers) = send(call(
        &app,
        Method::POST,
        &format!("/api/v1/orders/{no}/cancel"),
        Some(&token),
    ))
    .await;
    assert_problem(status, &body, &headers, 409);
}

async fn a_cancelled_order_cannot_be_paid(b: Backend) {
    let app = shop(b, &[]).await;
    let alice = app.student("alice").await;
    let token = app.bearer(&alice).await;
    let course = priced_course(&app).await;
    let order = order_of(&app, &token, course, None).await;
    let no = order["order_no"].as_str().unwrap();
    let out = demo_payment(&app, &token, no).await;
    let (status, body, _) = send(call(
        &app,
        Method::POST,
        &format!("/api/v1/orders/{no}/cancel"),
        Some(&token),
    ))
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "closed");
    let (status, body, headers) = send(call(
        &app,
        Method::POST,
        &format!("/api/v1/orders/{no}/cancel"),
        Some(&token),
    ))
    .await;
    assert_problem(status, &body, &headers, 409);
    let (status, body, headers) = send(
        call(
            &app,
            Method::POST,
            &format!("/api/v1/orders/{no}/payments"),
            Some(&token),
        )
        .json(&json!({"provider": "demo"})),
    )
    .await;
    assert_problem(status, &body, &headers, 409);
    // Money arriving after the close does not reopen the order or enrol.
    let (status, body) = confirm(&app, &token, &out).await;
    assert_eq!(status, 409, "{body}");
    let (_, owned) = get(&app, &token, "/api/v1/enrollments").await;
    assert_eq!(owned["count"], 0);
    let payment = scalar(
        &app,
        "SELECT COUNT(*) FROM payments WHERE out_trade_no = $1 AND status = 'closed'",
        &[SqlValue::Text(out)],
    )
    .await;
    assert_eq!(payment, 1, "the open payment closed with its order");
}

async fn an_unpaid_order_closes_at_its_expiry(b: Backend) {
    // One minute is the shortest TTL; the close job is queued for `expires_at` at checkout.
    let app = shop(b, &[("ORDER_TTL_MINUTES", "1")]).await;
    let alice = app.student("alice").await;
    let token = app.bearer(&alice).await;
    let course = priced_course(&app).await;
    let order = order_of(&app, &token, course, None).await;
    let no = order["order_no"].as_str().unwrap();
    let expires = time(&order["expires_at"]);
    let deadline = Instant::now() + Duration::from_secs(120);
    let closed = loop {
        let (_, now) = get(&app, &token, &format!("/api/v1/orders/{no}")).await;
        if now["status"] != "pending" || Instant::now() > deadline {
            break now;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(closed["status"], "closed", "{closed}");
    let at = time(&closed["closed_at"]);
    assert!(at >= expires, "closed at {at}, before its expiry {expires}");
    let by_job = scalar(
        &app,
        "SELECT COUNT(*) FROM audit_log WHERE object_type = 'order' AND object_repr = $1 \
         AND actor_id IS NULL AND changes LIKE '%closed%'",
        &[SqlValue::Text(no.into())],
    )
    .await;
    assert_eq!(by_job, 1);
}

async fn a_free_course_is_enrolled_in_one_click(b: Backend) {
    let app = shop(b, &[]).await;
    let alice = app.student("alice").await;
    let token = app.bearer(&alice).await;
    let free = scalar(
        &app,
        "SELECT MIN(id) FROM courses WHERE status = 'published' AND deleted_at IS NULL \
         AND price_cents = 0",
        &[],
    )
    .await;
    assert!(policies(&app, free).await.is_empty());
    let order = order_of(&app, &token, free, None).await;
    assert_eq!(order["status"], "paid");
    assert_eq!(order["total_cents"], 0);
    let (_, owned) = get(&app, &token, "/api/v1/enrollments").await;
    assert_eq!(owned["results"][0]["course_id"], free);
    assert!(
        owned["results"][0]["expires_at"].is_null(),
        "a free course is for good"
    );
    let (status, _) = checkout(&app, &token, json!({"items": [{"course_id": free}]})).await;
    assert_eq!(status, 409);
}

async fn bad_checkouts_are_refused_field_by_field(b: Backend) {
    let app = shop(b, &[]).await;
    let alice = app.student("alice").await;
    let token = app.bearer(&alice).await;
    let course = priced_course(&app).await;
    // Another public course's policy, and a course turned back into a draft.
    let other = scalar(
        &app,
        "SELECT MIN(id) FROM courses WHERE status = 'published' AND price_cents > 0 AND id > $1",
        &[SqlValue::Int(course)],
    )
    .await;
    let draft = scalar(&app, "SELECT MAX(id) FROM courses", &[]).await;
    assert!(draft > other);
    server::db::records::execute(
        &app.db,
        "UPDATE courses SET status = 'draft' WHERE id = $1",
        &[SqlValue::Int(draft)],
    )
    .await
    .unwrap();
    let other_policy = policies(&app, other).await[0]["id"].clone();
    let cases = [
        (json!({"items": []}), 422, Some("items")),
        (
            json!({"items": [{"course_id": course}, {"course_id": course}]}),
            422,
            Some("items[1].course_id"),
        ),
        (
            json!({"items": [{"course_id": course, "price_policy_id": other_policy}]}),
            422,
            Some("items[0].price_policy_id"),
        ),
        (
            json!({"items": [{"course_id": course}], "coupon_code": "NOPE"}),
            422,
            Some("coupon_code"),
        ),
        (json!({"items": [{"course_id": draft}]}), 404, None),
        (json!({"items": [{"course_id": 999_999}]}), 404, None),
    ];
    for (body, want, field) in cases {
        let (status, answer, headers) =
            send(call(&app, Method::POST, "/api/v1/orders", Some(&token)).json(&body)).await;
        assert_problem(status, &answer, &headers, want);
        if let Some(field) = field {
            assert_eq!(answer["errors"][0]["field"], field, "{body}: {answer}");
        }
    }
    let (status, answer, headers) = send(call(
        &app,
        Method::GET,
        &format!("/api/v1/courses/{draft}/price-policies"),
        None,
    ))
    .await;
    assert_problem(status, &answer, &headers, 404);
    let order = super::order_of(&app, &token, course, None).await;
    let no = order["order_no"].as_str().unwrap();
    let (status, answer, headers) = send(
        call(
            &app,
            Method::POST,
            &format!("/api/v1/orders/{no}/payments"),
            Some(&token),
        )
        .json(&json!({"provider": "paypal"})),
    )
    .await;
    assert_problem(status, &answer, &headers, 422);
    assert_eq!(answer["errors"][0]["field"], "provider");
    let written = scalar(&app, "SELECT COUNT(*) FROM orders", &[]).await;
    assert_eq!(written, 1, "only the valid checkout wrote an order");
}
