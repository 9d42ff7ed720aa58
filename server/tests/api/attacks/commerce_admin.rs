//! The back office's order screens under attack: orders are shown with their items and
//! payments to `order.view` only, `order.change` through the generic form changes no state or
//! amount, and no grant (not even a superuser's) deletes a record of money.

use app::error::AppError;
use serde_json::Value;
use server::model_engine::sql::SqlValue;

use crate::backend_tests;
use crate::helpers::{Backend, TestApp};
use crate::payments::{confirm, demo_payment, order_of, priced_course, scalar, shop};

backend_tests!(orders_show_with_their_items_and_payments_and_never_change_by_form);

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
