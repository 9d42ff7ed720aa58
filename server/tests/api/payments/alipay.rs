//! Alipay end to end against the fake platform: page and wap pay URLs signed with the app key,
//! the return page confirmed by `alipay.trade.query` (a lost notification), the async
//! notification settled once, and forged, tampered, wrong-amount and other-app notifications
//! refused and kept with their reason.

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::{json, Value};
use server::model_engine::sql::SqlValue;
use server::payments::keys::SigningKey;

use super::fake_alipay::{form_body, key_pair, FakeAlipay};
use super::{get, order_of, priced_course, scalar, shop};
use crate::backend_tests;
use crate::helpers::{Backend, TestApp};
use crate::rest_support::{call, send};

backend_tests!(
    a_purchase_is_paid_by_the_notification_once,
    the_return_page_confirms_by_query_not_by_redirect,
    forged_tampered_and_foreign_notifications_change_nothing,
    cancelling_an_order_closes_its_alipay_trade,
);

pub(super) const DESKTOP: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36";
const PHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148";

pub(super) async fn alipay_shop(b: Backend) -> (TestApp, FakeAlipay) {
    let fake = FakeAlipay::start().await;
    let extra: Vec<(&'static str, &str)> = fake
        .settings
        .iter()
        .map(|(k, v)| (*k, v.as_str()))
        .collect();
    (shop(b, &extra).await, fake)
}

/// Starts the Alipay payment of `order_no` from a browser with `ua`: the pay URL.
pub(super) async fn alipay_url(app: &TestApp, token: &str, order_no: &str, ua: &str) -> String {
    let (status, body, _) = send(
        call(
            app,
            Method::POST,
            &format!("/api/v1/orders/{order_no}/payments"),
            Some(token),
        )
        .header("User-Agent", ua)
        .json(&json!({"provider": "alipay"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body["pay_url"].as_str().unwrap().to_string()
}

pub(super) async fn notify(app: &TestApp, fields: &BTreeMap<String, String>) -> (u16, String) {
    let response = app
        .client
        .post(app.url("/api/v1/payments/alipay/notify"))
        .header(
            "Content-Type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )
        .body(form_body(fields))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn status_of(app: &TestApp, token: &str, no: &str) -> Value {
    get(app, token, &format!("/api/v1/orders/{no}")).await.1
}

async fn a_purchase_is_paid_by_the_notification_once(b: Backend) {
    let (app, fake) = alipay_shop(b).await;
    let alice = app.student("alice").await;
    let token = app.bearer(&alice).await;
    let course = priced_course(&app).await;
    let order = order_of(&app, &token, course, None).await;
    let no = order["order_no"].as_str().unwrap();

    let params = fake.open(&alipay_url(&app, &token, no, DESKTOP).await);
    assert_eq!(params["method"], "alipay.trade.page.pay");
    let biz: Value = serde_json::from_str(&params["biz_content"]).unwrap();
    assert_eq!(biz["product_code"], "FAST_INSTANT_TRADE_PAY");
    let cents = order["total_cents"].as_i64().unwrap();
    assert_eq!(
        biz["total_amount"],
        format!("{}.{:02}", cents / 100, cents % 100)
    );
    assert!(params["notify_url"].ends_with("/api/v1/payments/alipay/notify"));
    assert!(params["return_url"].ends_with("/pay/alipay/return"));
    let phone = fake.open(&alipay_url(&app, &token, no, PHONE).await);
    assert_eq!(phone["method"], "alipay.trade.wap.pay");
    let out = biz["out_trade_no"].as_str().unwrap();

    fake.buyer_pays(out);
    let fields = fake.notification(out, |_| {});
    let (status, text) = notify(&app, &fields).await;
    assert_eq!((status, text.as_str()), (200, "success"));
    let paid = status_of(&app, &token, no).await;
    assert_eq!(paid["status"], "paid");
    let (_, owned) = get(&app, &token, "/api/v1/enrollments").await;
    assert_eq!(owned["results"][0]["course_id"], course);

    // Alipay retries the same notification: `success` again, nothing changes.
    let (status, text) = notify(&app, &fields).await;
    assert_eq!((status, text.as_str()), (200, "success"));
    assert_eq!(status_of(&app, &token, no).await, paid);
    let stored = scalar(
        &app,
        "SELECT COUNT(*) FROM payment_notifications WHERE provider = 'alipay' AND outcome = 'accepted'",
        &[],
    )
    .await;
    assert_eq!(stored, 1);
    let trade_no = scalar(
        &app,
        "SELECT COUNT(*) FROM payments WHERE out_trade_no = $1 AND status = 'succeeded' \
         AND provider_trade_no = $2",
        &[
            SqlValue::Text(out.into()),
            SqlValue::Text(fields["trade_no"].clone()),
        ],
    )
    .await;
    assert_eq!(trade_no, 1);
}

async fn the_return_page_confirms_by_query_not_by_redirect(b: Backend) {
    let (app, fake) = alipay_shop(b).await;
    let alice = app.student("alice").await;
    let token = app.bearer(&alice).await;
    let cookie = app.sign_in(&alice).await;
    let course = priced_course(&app).await;
    let order = order_of(&app, &token, course, None).await;
    let no = order["order_no"].as_str().unwrap();
    let params = fake.open(&alipay_url(&app, &token, no, DESKTOP).await);
    let biz: Value = serde_json::from_str(&params["biz_content"]).unwrap();
    let out = biz["out_trade_no"].as_str().unwrap().to_string();
    let confirm = || async {
        let response = app
            .client
            .post(app.url("/fn/orders/confirm-return"))
            .header("Origin", &app.address)
            .header("Cookie", &cookie)
            .json(&json!({"out_trade_no": out}))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json::<Value>().await.unwrap())
    };
    // Back from Alipay before paying: the query says so, nothing is paid.
    let (status, body) = confirm().await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "pending");
    // Paid, and the notification is lost on the way: the query settles it.
    fake.buyer_pays(&out);
    let (status, body) = confirm().await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "paid");
    let (_, owned) = get(&app, &token, "/api/v1/enrollments").await;
    assert_eq!(owned["count"], 1);
    // The late notification then changes nothing.
    let (status, text) = notify(&app, &fake.notification(&out, |_| {})).await;
    assert_eq!((status, text.as_str()), (200, "success"));
    assert_eq!(
        status_of(&app, &token, no).await["paid_at"],
        body["paid_at"]
    );
    // Another user cannot confirm (or learn about) her payment.
    let bob = app.student("bob").await;
    let bob_cookie = app.sign_in(&bob).await;
    let response = app
        .client
        .post(app.url("/fn/orders/confirm-return"))
        .header("Origin", &app.address)
        .header("Cookie", &bob_cookie)
        .json(&json!({"out_trade_no": out}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

async fn forged_tampered_and_foreign_notifications_change_nothing(b: Backend) {
    let (app, fake) = alipay_shop(b).await;
    let alice = app.student("alice").await;
    let token = app.bearer(&alice).await;
    let course = priced_course(&app).await;
    let order = order_of(&app, &token, course, None).await;
    let no = order["order_no"].as_str().unwrap();
    let params = fake.open(&alipay_url(&app, &token, no, DESKTOP).await);
    let biz: Value = serde_json::from_str(&params["biz_content"]).unwrap();
    let out = biz["out_trade_no"].as_str().unwrap().to_string();
    fake.buyer_pays(&out);

    // Signed with a key that is not Alipay's (the app's own would be the classic bug).
    let (stranger, _) = key_pair();
    let mut forged = fake.notification(&out, |_| {});
    fake.sign(&mut forged, &SigningKey::from_text(&stranger).unwrap());
    // Alipay's signature, then the amount changed on the way.
    let mut tampered = fake.notification(&out, |_| {});
    tampered.insert("total_amount".into(), "0.01".into());
    // Signed by Alipay, but for a smaller amount than the order's.
    let cheap = fake.notification(&out, |f| {
        f.insert("total_amount".into(), "0.01".into());
    });
    // Signed by Alipay, for another merchant's app.
    let foreign = fake.notification(&out, |f| {
        f.insert("app_id".into(), "2021000000009999".into());
    });
    for (fields, reason) in [
        (&forged, "signature"),
        (&tampered, "signature"),
        (&cheap, "total_amount"),
        (&foreign, "another app"),
    ] {
        let (status, text) = notify(&app, fields).await;
        assert_eq!(status, 400, "{reason}: {text}");
        assert_ne!(text, "success");
        let kept = scalar(
            &app,
            "SELECT COUNT(*) FROM payment_notifications WHERE provider = 'alipay' \
             AND outcome = 'refused' AND reason LIKE $1",
            &[SqlValue::Text(format!("%{reason}%"))],
        )
        .await;
        assert!(kept >= 1, "the refusal is kept with its reason ({reason})");
    }
    let (status, _) = notify(&app, &BTreeMap::new()).await;
    assert_eq!(status, 400, "an empty form is refused");
    // Strangers may post here: of what they post, only its hash and the reason are kept.
    let bodies = scalar(
        &app,
        "SELECT COUNT(*) FROM payment_notifications WHERE outcome = 'refused' AND body <> ''",
        &[],
    )
    .await;
    assert_eq!(bodies, 0, "a refused notification's body is not stored");
    // A body no notification comes near is not read to the end, and leaves nothing.
    let before = scalar(&app, "SELECT COUNT(*) FROM payment_notifications", &[]).await;
    let mut huge = forged.clone();
    huge.insert("padding".into(), "x".repeat(17 * 1024));
    let (status, text) = notify(&app, &huge).await;
    assert_eq!(status, 413, "{text}");
    let after = scalar(&app, "SELECT COUNT(*) FROM payment_notifications", &[]).await;
    assert_eq!(after, before);
    assert_eq!(status_of(&app, &token, no).await["status"], "pending");
    let owned = scalar(&app, "SELECT COUNT(*) FROM enrollments", &[]).await;
    assert_eq!(owned, 0);
    // The genuine one still pays.
    let (status, text) = notify(&app, &fake.notification(&out, |_| {})).await;
    assert_eq!((status, text.as_str()), (200, "success"));
    assert_eq!(status_of(&app, &token, no).await["status"], "paid");
}

/// A cancelled order's trade is closed at Alipay too (`alipay.trade.close`), so the buyer
/// cannot pay it there any more; an order whose page was never opened closes all the same.
async fn cancelling_an_order_closes_its_alipay_trade(b: Backend) {
    let (app, fake) = alipay_shop(b).await;
    let alice = app.student("alice").await;
    let token = app.bearer(&alice).await;
    let course = priced_course(&app).await;
    let order = order_of(&app, &token, course, None).await;
    let no = order["order_no"].as_str().unwrap();
    let params = fake.open(&alipay_url(&app, &token, no, DESKTOP).await);
    let biz: Value = serde_json::from_str(&params["biz_content"]).unwrap();
    let out = biz["out_trade_no"].as_str().unwrap().to_string();
    let (status, body, _) = send(call(
        &app,
        Method::POST,
        &format!("/api/v1/orders/{no}/cancel"),
        Some(&token),
    ))
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "closed");
    assert_eq!(fake.trade(&out).status, "TRADE_CLOSED");
    // Never opened at Alipay: Alipay answers ACQ.TRADE_NOT_EXIST, the cancel still works.
    let other = order_of(&app, &token, course, None).await;
    let other_no = other["order_no"].as_str().unwrap();
    alipay_url(&app, &token, other_no, DESKTOP).await;
    let (status, body, _) = send(call(
        &app,
        Method::POST,
        &format!("/api/v1/orders/{other_no}/cancel"),
        Some(&token),
    ))
    .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("closed")),
        "{body}"
    );
}
