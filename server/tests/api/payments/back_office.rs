//! The back office's commerce screens: coupons and price policies edited within the rules the
//! checkout reads (each breach a message on its field). What order.change, order.delete and
//! staff without order.view can do to orders is in `attacks::commerce_admin`.

use app::error::AppError;
use serde_json::{json, Value};
use server::model_engine::sql::SqlValue;
use server::model_engine::Record;

use super::{checkout, policies, priced_course, scalar, shop};
use crate::backend_tests;
use crate::helpers::Backend;

backend_tests!(coupons_and_price_policies_are_edited_within_the_checkout_rules);

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
