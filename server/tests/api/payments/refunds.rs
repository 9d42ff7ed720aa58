//! Refunds end to end: partial then whole through Alipay (the fake checks our signature and
//! the amount left, and is idempotent by `out_request_no`), WeChat Pay's `PROCESSING` settled
//! by the reconcile run, and what a refund does to the order, its payment and the access it
//! bought. Who may refund, bad amounts and parallel refunds are in `attacks::refunds`.

use reqwest::Method;
use serde_json::{json, Value};
use server::model_engine::sql::SqlValue;

use super::alipay::{alipay_shop, alipay_url, notify as alipay_notify, DESKTOP};
use super::wechat::{notify as wechat_notify, started, status_of, wechat_shop};
use super::{get, order_of, priced_course, scalar};
use crate::backend_tests;
use crate::helpers::{Backend, TestApp};
use crate::rest_support::{call, send};

backend_tests!(
    a_partial_refund_then_the_rest_refunds_the_order_and_ends_its_access,
    a_wechat_refund_still_processing_is_settled_by_the_reconcile_run,
);

/// `POST /api/v1/orders/{no}/refunds` as `token`: status and answer.
pub async fn refund(app: &TestApp, token: &str, no: &str, body: Value) -> (u16, Value) {
    let (status, body, _) = send(
        call(
            app,
            Method::POST,
            &format!("/api/v1/orders/{no}/refunds"),
            Some(token),
        )
        .json(&body),
    )
    .await;
    (status, body)
}

async fn a_partial_refund_then_the_rest_refunds_the_order_and_ends_its_access(b: Backend) {
    let (app, fake) = alipay_shop(b).await;
    let alice = app.student("alice").await;
    let token = app.bearer(&alice).await;
    let course = priced_course(&app).await;
    let order = order_of(&app, &token, course, None).await;
    let no = order["order_no"].as_str().unwrap().to_string();
    let total = order["total_cents"].as_i64().unwrap();
    let params = fake.open(&alipay_url(&app, &token, &no, DESKTOP).await);
    let biz: Value = serde_json::from_str(&params["biz_content"]).unwrap();
    let out = biz["out_trade_no"].as_str().unwrap().to_string();
    fake.buyer_pays(&out);
    let (status, _) = alipay_notify(&app, &fake.notification(&out, |_| {})).await;
    assert_eq!(status, 200);

    let carol = app.staff("carol", &["order.refund"]).await;
    let staff = app.bearer(&carol).await;
    let part = total / 3;
    let (status, body) = refund(
        &app,
        &staff,
        &no,
        json!({"amount_cents": part, "reason": "部分退款"}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["status"], "succeeded");
    assert_eq!(body["amount_cents"], part);
    assert_eq!(body["provider"], "alipay");
    assert_eq!(fake.refunded(&out), part, "Alipay refunded exactly that");
    let after = status_of(&app, &token, &no).await;
    assert_eq!(
        (after["status"].as_str(), after["refunded_cents"].as_i64()),
        (Some("paid"), Some(part))
    );
    let (_, owned) = get(&app, &token, "/api/v1/enrollments").await;
    assert_eq!(owned["count"], 1, "a partial refund keeps the access");

    // More than is left: refused, field by field, nothing sent.
    let (status, body) = refund(&app, &staff, &no, json!({"amount_cents": total - part + 1})).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("amount_cents"), "{body}");
    assert_eq!(fake.refunded(&out), part);

    // The rest: the order is refunded, its payment too, and the access it bought ends.
    let (status, body) = refund(&app, &staff, &no, json!({"amount_cents": total - part})).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(fake.refunded(&out), total);
    let after = status_of(&app, &token, &no).await;
    assert_eq!(after["status"], "refunded");
    assert_eq!(after["refunded_cents"], total);
    let (_, owned) = get(&app, &token, "/api/v1/enrollments").await;
    assert_eq!(owned["count"], 0, "{owned}");
    let refunded = scalar(
        &app,
        "SELECT COUNT(*) FROM payments WHERE out_trade_no = $1 AND status = 'refunded'",
        &[SqlValue::Text(out.clone())],
    )
    .await;
    assert_eq!(refunded, 1);
    // The course can be bought again.
    let (status, body) =
        super::checkout(&app, &token, json!({"items": [{"course_id": course}]})).await;
    assert_eq!(status, 201, "{body}");
    // Nothing is left to refund.
    let (status, body) = refund(&app, &staff, &no, json!({"amount_cents": 1})).await;
    assert_eq!(status, 409, "{body}");
    // Each step is audited; the list shows both refunds.
    let audited = scalar(
        &app,
        "SELECT COUNT(*) FROM audit_log WHERE object_type = 'order' AND object_repr = $1 \
         AND changes LIKE '%refund%'",
        &[SqlValue::Text(no.clone())],
    )
    .await;
    assert_eq!(audited, 4, "two requests, two successes");
    let (status, list) = get(&app, &staff, &format!("/api/v1/orders/{no}/refunds")).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["count"], 2);
    assert_eq!(list["results"][0]["reason"], "部分退款");
}

async fn a_wechat_refund_still_processing_is_settled_by_the_reconcile_run(b: Backend) {
    let (app, fake) = wechat_shop(b).await;
    let (token, no, out, total) = started(&app, "alice").await;
    fake.buyer_pays(&out);
    let (status, _, _) = wechat_notify(&app, &fake.notification(&out, |_| {})).await;
    assert_eq!(status, 204);

    let carol = app.staff("carol", &["order.refund"]).await;
    let staff = app.bearer(&carol).await;
    fake.answer_refunds_with("PROCESSING");
    let (status, body) = refund(&app, &staff, &no, json!({"amount_cents": total})).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["status"], "processing");
    assert_eq!(fake.refunded(&out), total);
    assert!(fake.refused().is_empty(), "{:?}", fake.refused());
    // Not refunded here until WeChat says so.
    assert_eq!(status_of(&app, &token, &no).await["status"], "paid");
    let later = chrono::Utc::now() + chrono::Duration::minutes(2);
    let done = server::orders::reconcile::reconcile(&app.db, &app.gateways, later)
        .await
        .unwrap();
    assert_eq!(done.refunds_settled, 0, "still processing: {done:?}");
    fake.finish_refunds();
    let done = server::orders::reconcile::reconcile(&app.db, &app.gateways, later)
        .await
        .unwrap();
    assert_eq!(done.refunds_settled, 1, "{done:?}");
    let after = status_of(&app, &token, &no).await;
    assert_eq!(after["status"], "refunded");
    assert_eq!(after["refunded_cents"], total);
    assert_eq!(fake.refunded(&out), total, "asked again, refunded once");
}
