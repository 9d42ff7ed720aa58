//! The back office's commerce screens: coupons and price policies edited within the rules the
//! checkout reads (each breach a message on its field), and orders shown with their items and
//! payments to `order.view`, never changed through the generic forms.

use app::error::AppError;
use serde_json::{json, Value};
use server::model_engine::sql::SqlValue;
use server::model_engine::Record;

use super::{checkout, confirm, demo_payment, order_of, policies, priced_course, scalar, shop};
use crate::backend_tests;
use crate::helpers::{Backend, TestApp};

backend_tests!(
    coupons_and_price_policies_are_edited_within_the_checkout_rules,
    orders_show_with_their_items_and_payments_and_never_change_by_form,
);

fn record(value: Value) -> Record {
    value.as_object().unwrap().clone()
}

/// The fields a refused write names.
fn refused_fields(result: Result<Record, AppError>) -> Vec<String> {
    match result {
        Err(AppError::Validation(errors)) => errors.into_iter().map(|e| e.field).collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

async fn coupons_and_price_policies_are_edited_within_the_checkout_rules(b: Backend) {
    let app = shop(b, &[]).await;
    let sam = app
        .staff(
            "sam",
            &[
                "coupon.add",
                "coupon.change",
                "coupon.view",
                "price_policy.add",
                "price_policy.view",
            ],
        )
        .await
        .principal();
    let window = json!({"starts_at": "2026-01-01T00:00:00Z", "ends_at": "2099-01-01T00:00:00Z"});
    let coupon = |extra: Value| {
        let mut body = record(
            json!({"code": "SPRING", "kind": "fixed", "amount_cents": 1000,
            "total_quantity": 5}),
        );
        body.extend(record(window.clone()));
        body.extend(record(extra));
        body
    };
    for (extra, field) in [
        (json!({"code": "a b"}), "code"),
        (json!({"kind": "percent", "percent_off": 0}), "percent_off"),
        (json!({"amount_cents": 0}), "amount_cents"),
        (
            json!({"kind": "threshold", "min_total_cents": 500}),
            "min_total_cents",
        ),
        (json!({"ends_at": "2025-01-01T00:00:00Z"}), "ends_at"),
    ] {
        let result = app
            .models
            .create(&sam, "coupon", coupon(extra.clone()), None)
            .await;
        assert_eq!(refused_fields(result), [field], "{extra}");
    }
    let none = scalar(
        &app,
        "SELECT COUNT(*) FROM coupons WHERE code = 'SPRING'",
        &[],
    )
    .await;
    assert_eq!(none, 0, "a refused coupon is not stored");
    let made = app
        .models
        .create(&sam, "coupon", coupon(json!({})), None)
        .await
        .expect("a valid coupon is made");

    // The coupon made in the back office works at checkout, and holds what it reserved.
    let alice = app.student("alice").await;
    let token = app.bearer(&alice).await;
    let course = priced_course(&app).await;
    let (status, order) = checkout(
        &app,
        &token,
        json!({"items": [{"course_id": course}], "coupon_code": "SPRING"}),
    )
    .await;
    assert_eq!(status, 201, "{order}");
    assert_eq!(order["discount_cents"], 1000);
    let id = made["id"].as_i64().unwrap();
    let lower = app
        .models
        .update(
            &sam,
            "coupon",
            id,
            record(json!({"total_quantity": 0})),
            true,
            None,
        )
        .await;
    assert_eq!(refused_fields(lower), ["total_quantity"]);
    let quantity = scalar(
        &app,
        "SELECT CAST(total_quantity AS BIGINT) FROM coupons WHERE id = $1",
        &[SqlValue::Int(id)],
    )
    .await;
    assert_eq!(quantity, 5);

    // Price policies: a validity the checkout knows, a price above 0; a new one is on sale.
    let before = policies(&app, course).await;
    let taken: Vec<i64> = before
        .iter()
        .map(|p| p["valid_months"].as_i64().unwrap())
        .collect();
    let free = [1, 3, 6, 12, 0]
        .into_iter()
        .find(|m| !taken.contains(m))
        .expect("the demo course leaves one validity unpriced");
    for (body, field) in [
        (
            json!({"valid_months": 2, "price_cents": 500}),
            "valid_months",
        ),
        (
            json!({"valid_months": free, "price_cents": 0}),
            "price_cents",
        ),
    ] {
        let mut values = record(body.clone());
        values.insert("course_id".into(), json!(course));
        let result = app.models.create(&sam, "price_policy", values, None).await;
        assert_eq!(refused_fields(result), [field], "{body}");
    }
    let mut values = record(json!({"valid_months": free, "price_cents": 4321}));
    values.insert("course_id".into(), json!(course));
    app.models
        .create(&sam, "price_policy", values, None)
        .await
        .expect("a valid price policy is made");
    let after = policies(&app, course).await;
    assert_eq!(after.len(), before.len() + 1, "{after:?}");
    assert!(after
        .iter()
        .any(|p| p["valid_months"] == free && p["price_cents"] == 4321));
}

/// `POST /fn/admin/<name>` as a signed-in browser: status and JSON.
async fn admin_fn(
    app: &TestApp,
    cookie: &str,
    name: &str,
    form: &[(&str, String)],
) -> (u16, Value) {
    let response = app
        .client
        .post(app.url(&format!("/fn/admin/{name}")))
        .header("origin", app.address.clone())
        .header("cookie", cookie)
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn orders_show_with_their_items_and_payments_and_never_change_by_form(b: Backend) {
    let app = shop(b, &[]).await;
    let alice = app.student("alice").await;
    let token = app.bearer(&alice).await;
    let course = priced_course(&app).await;
    let order = order_of(&app, &token, course, None).await;
    let no = order["order_no"].as_str().unwrap().to_string();
    let out = demo_payment(&app, &token, &no).await;
    let (status, _) = confirm(&app, &token, &out).await;
    assert_eq!(status, 200);
    let id = scalar(
        &app,
        "SELECT id FROM orders WHERE order_no = $1",
        &[SqlValue::Text(no.clone())],
    )
    .await;

    let vic = app
        .staff(
            "vic",
            &[
                "order.view",
                "order.change",
                "order_item.view",
                "payment.view",
            ],
        )
        .await;
    let cookie = app.sign_in(&vic).await;
    let form = [("model", "orders".to_string()), ("id", id.to_string())];
    let (status, page) = admin_fn(&app, &cookie, "form", &form).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["repr"], no.as_str());
    assert_eq!(page["can_save"], false, "an order is read-only: {page}");
    let inline = |plural: &str| -> Vec<String> {
        page["inlines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["plural"] == plural)
            .map(|i| {
                i["rows"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r[1].as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(inline("payments"), std::slice::from_ref(&out));
    assert_eq!(inline("order_items").len(), 1);
    // Refunds are not among vic's permissions: that inline is left out, not emptied.
    assert!(page["inlines"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["plural"] != "refunds"));

    // order.change through the generic form changes nothing of an order.
    let save = [
        ("model", "orders".to_string()),
        ("id", id.to_string()),
        ("values[status]", "refunded".to_string()),
        ("values[total_cents]", "1".to_string()),
        ("values[refunded_cents]", "999999".to_string()),
    ];
    let _ = admin_fn(&app, &cookie, "save", &save).await;
    let unchanged = scalar(
        &app,
        "SELECT COUNT(*) FROM orders WHERE id = $1 AND status = 'paid' AND refunded_cents = 0 \
         AND total_cents = $2",
        &[
            SqlValue::Int(id),
            SqlValue::Int(order["total_cents"].as_i64().unwrap()),
        ],
    )
    .await;
    assert_eq!(unchanged, 1, "the order kept its state and amounts");

    // Records of money are kept whatever a role grants: not even a superuser deletes them.
    let root = app.superuser().await.principal();
    for (model, table) in [
        ("refund", "refunds"),
        ("payment_notification", "payment_notifications"),
        ("order_item", "order_items"),
        ("payment", "payments"),
        ("order", "orders"),
    ] {
        let row = scalar(
            &app,
            &format!("SELECT COALESCE(MAX(id), 0) FROM {table}"),
            &[],
        )
        .await;
        let result = app.models.delete(&root, model, row.max(1), None).await;
        assert!(
            matches!(result, Err(AppError::Forbidden)),
            "{model}: {result:?}"
        );
    }
    let kept = scalar(
        &app,
        "SELECT COUNT(*) FROM payments WHERE order_id = $1",
        &[SqlValue::Int(id)],
    )
    .await;
    assert_eq!(kept, 1);

    // Staff without order.view see no order.
    let eve = app.staff("eve", &["coupon.view", "payment.view"]).await;
    let cookie = app.sign_in(&eve).await;
    let (status, body) = admin_fn(&app, &cookie, "form", &form).await;
    assert_eq!(status, 403, "{body}");
    let list = [
        ("model", "orders".to_string()),
        ("query[page]", "1".to_string()),
    ];
    let (status, body) = admin_fn(&app, &cookie, "list", &list).await;
    assert_eq!(status, 403, "{body}");
}
