//! WeChat Pay (API v3, Native) end to end against the fake: the order call signed with the
//! merchant key and amounts in fen, the code_url drawn as a QR code on our page, "check
//! payment" confirmed by a query, the notification decrypted and settled once, and the
//! refusals (signature, age, merchant, app, amount, unknown order, APIv3 key) kept with their
//! reason. The attacks on the route are in `attacks::payments_wechat`.

use reqwest::Method;
use serde_json::{json, Value};
use server::model_engine::sql::SqlValue;
use server::payments::keys::SigningKey;

use super::fake_alipay::key_pair;
use super::fake_wechat::{FakeWechat, Notification};
use super::{get, order_of, priced_course, scalar, shop};
use crate::backend_tests;
use crate::helpers::{Backend, TestApp};
use crate::rest_support::{call, send};

backend_tests!(
    a_native_payment_is_paid_by_the_notification_once,
    check_payment_asks_wechat_and_the_qr_page_is_drawn_on_the_server,
    refused_notifications_change_nothing_and_are_kept_with_their_reason,
    cancelling_an_order_closes_its_wechat_trade,
);

pub async fn wechat_shop(b: Backend) -> (TestApp, FakeWechat) {
    let fake = FakeWechat::start().await;
    let extra: Vec<(&'static str, &str)> = fake
        .settings
        .iter()
        .map(|(k, v)| (*k, v.as_str()))
        .collect();
    (shop(b, &extra).await, fake)
}

/// Starts the WeChat payment of `order_no`: the API's answer.
pub async fn wechat_payment(app: &TestApp, token: &str, order_no: &str) -> Value {
    let (status, body, _) = send(
        call(
            app,
            Method::POST,
            &format!("/api/v1/orders/{order_no}/payments"),
            Some(token),
        )
        .json(&json!({"provider": "wechat"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body
}

/// Posts a notification as WeChat Pay does: status, content type and body.
pub async fn notify(app: &TestApp, n: &Notification) -> (u16, String, String) {
    let mut request = app
        .client
        .post(app.url("/api/v1/payments/wechat/notify"))
        .header("Content-Type", "application/json")
        .header("User-Agent", "Mozilla/4.0")
        .body(n.body.clone());
    for (k, v) in &n.headers {
        request = request.header(*k, v);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let kind = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, kind, response.text().await.unwrap())
}

pub async fn status_of(app: &TestApp, token: &str, no: &str) -> Value {
    get(app, token, &format!("/api/v1/orders/{no}")).await.1
}

pub async fn accepted(app: &TestApp) -> i64 {
    scalar(
        app,
        "SELECT COUNT(*) FROM payment_notifications WHERE provider = 'wechat' \
         AND outcome = 'accepted'",
        &[],
    )
    .await
}

/// A signed-in student with a pending order and its started WeChat payment: (token, order
/// number, out_trade_no, total in cents).
pub async fn started(app: &TestApp, name: &str) -> (String, String, String, i64) {
    let who = app.student(name).await;
    let token = app.bearer(&who).await;
    let course = priced_course(app).await;
    let order = order_of(app, &token, course, None).await;
    let no = order["order_no"].as_str().unwrap().to_string();
    let start = wechat_payment(app, &token, &no).await;
    let out = start["out_trade_no"].as_str().unwrap().to_string();
    (token, no, out, order["total_cents"].as_i64().unwrap())
}

async fn a_native_payment_is_paid_by_the_notification_once(b: Backend) {
    let (app, fake) = wechat_shop(b).await;
    let alice = app.student("alice").await;
    let token = app.bearer(&alice).await;
    let course = priced_course(&app).await;
    let order = order_of(&app, &token, course, None).await;
    let no = order["order_no"].as_str().unwrap();

    let start = wechat_payment(&app, &token, no).await;
    assert_eq!(start["provider"], "wechat");
    assert_eq!(start["pay_url"], Value::Null);
    let code_url = start["code_url"].as_str().unwrap();
    assert!(
        code_url.starts_with("weixin://wxpay/bizpayurl?pr="),
        "{code_url}"
    );
    let out = start["out_trade_no"].as_str().unwrap();
    // What WeChat received: our merchant's signature (checked by the fake), amounts in fen.
    assert!(fake.refused().is_empty(), "{:?}", fake.refused());
    let request = fake.trade(out).request;
    let cents = order["total_cents"].as_i64().unwrap();
    assert_eq!(
        request["amount"],
        json!({"total": cents, "currency": "CNY"})
    );
    assert!(request["notify_url"]
        .as_str()
        .unwrap()
        .ends_with("/api/v1/payments/wechat/notify"));
    assert!(request["time_expire"].as_str().unwrap().ends_with("+08:00"));
    // Paying again resumes the same trade.
    let again = wechat_payment(&app, &token, no).await;
    assert_eq!(again["out_trade_no"], out);

    fake.buyer_pays(out);
    let n = fake.notification(out, |_| {});
    let (status, _, text) = notify(&app, &n).await;
    assert_eq!((status, text.as_str()), (204, ""));
    let paid = status_of(&app, &token, no).await;
    assert_eq!(paid["status"], "paid");
    let (_, owned) = get(&app, &token, "/api/v1/enrollments").await;
    assert_eq!(owned["results"][0]["course_id"], course);

    // WeChat delivers it again: 204 again, nothing changes.
    let (status, _, text) = notify(&app, &n).await;
    assert_eq!((status, text.as_str()), (204, ""));
    assert_eq!(status_of(&app, &token, no).await, paid);
    assert_eq!(accepted(&app).await, 1);
    let trade = fake.trade(out);
    let kept = scalar(
        &app,
        "SELECT COUNT(*) FROM payments WHERE out_trade_no = $1 AND status = 'succeeded' \
         AND provider_trade_no = $2",
        &[
            SqlValue::Text(out.into()),
            SqlValue::Text(trade.transaction_id.clone()),
        ],
    )
    .await;
    assert_eq!(kept, 1);
    // What is stored is the verified, decrypted transaction.
    let readable = scalar(
        &app,
        "SELECT COUNT(*) FROM payment_notifications WHERE provider = 'wechat' \
         AND body LIKE $1",
        &[SqlValue::Text(format!("%{out}%"))],
    )
    .await;
    assert_eq!(readable, 1);
}

async fn check_payment_asks_wechat_and_the_qr_page_is_drawn_on_the_server(b: Backend) {
    let (app, fake) = wechat_shop(b).await;
    let alice = app.student("alice").await;
    let token = app.bearer(&alice).await;
    let cookie = app.sign_in(&alice).await;
    let course = priced_course(&app).await;
    let order = order_of(&app, &token, course, None).await;
    let no = order["order_no"].as_str().unwrap();
    let out = wechat_payment(&app, &token, no).await["out_trade_no"]
        .as_str()
        .unwrap()
        .to_string();

    // The QR page: an SVG drawn here, no script library, the code_url not in the markup.
    let page = app
        .client
        .get(app.url(&format!("/pay/wechat/{out}")))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("class=\"qr-code\""), "{html}");
    assert!(html.contains("<svg"), "the QR code is an inline SVG");
    assert!(
        !html.contains("bizpayurl"),
        "the code is drawn, not written out"
    );

    let check = |cookie: String| {
        let (app, out) = (&app, out.clone());
        async move {
            let response = app
                .client
                .post(app.url("/fn/orders/confirm-return"))
                .header("Origin", &app.address)
                .header("Cookie", cookie)
                .json(&json!({"out_trade_no": out}))
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    // Scanned but not paid: WeChat says NOTPAY, nothing happens.
    let (status, body) = check(cookie.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "pending");
    // Paid, and the notification lost on the way: the query settles it.
    fake.buyer_pays(&out);
    let (status, body) = check(cookie.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "paid");
    let (_, owned) = get(&app, &token, "/api/v1/enrollments").await;
    assert_eq!(owned["count"], 1);
    // The late notification then changes nothing.
    let (status, _, _) = notify(&app, &fake.notification(&out, |_| {})).await;
    assert_eq!(status, 204);
    assert_eq!(
        status_of(&app, &token, no).await["paid_at"],
        body["paid_at"]
    );
    // Another user can neither check her payment nor see its code.
    let bob = app.student("bob").await;
    let bob_cookie = app.sign_in(&bob).await;
    let (status, _) = check(bob_cookie.clone()).await;
    assert_eq!(status, 404);
    let code = app
        .client
        .post(app.url("/fn/orders/payment-code"))
        .header("Origin", &app.address)
        .header("Cookie", &bob_cookie)
        .json(&json!({"out_trade_no": out}))
        .send()
        .await
        .unwrap();
    assert_eq!(code.status(), 404);
    assert!(fake.refused().is_empty(), "{:?}", fake.refused());
}

async fn refused_notifications_change_nothing_and_are_kept_with_their_reason(b: Backend) {
    let (app, fake) = wechat_shop(b).await;
    let (token, no, out, _) = started(&app, "alice").await;
    fake.buyer_pays(&out);

    let (stranger, _) = key_pair();
    let stranger = SigningKey::from_text(&stranger).unwrap();
    let genuine = fake.notification(&out, |_| {});
    let forged = fake.signed(
        genuine.body.clone(),
        chrono::Utc::now().timestamp(),
        &stranger,
    );
    let mut tampered = genuine.clone();
    tampered.body = tampered
        .body
        .replace("TRANSACTION.SUCCESS", "TRANSACTION.SUCCESS ");
    let stale = fake.resigned_at(&genuine, chrono::Utc::now().timestamp() - 360);
    let cheap = fake.notification(&out, |t| t["amount"]["total"] = json!(1));
    let other_mch = fake.notification(&out, |t| t["mchid"] = json!("1900009999"));
    let other_app = fake.notification(&out, |t| t["appid"] = json!("wx0000000000000000"));
    let unknown = fake.notification(&out, |t| {
        t["out_trade_no"] = json!("XC20261201NOSUCHORDER0000W")
    });
    let wrong_key = {
        let plain =
            json!({"appid": super::fake_wechat::APP_ID, "mchid": super::fake_wechat::MCH_ID,
            "out_trade_no": out, "transaction_id": "4200x", "trade_state": "SUCCESS",
            "amount": {"total": 1, "currency": "CNY"}})
            .to_string();
        let body = fake.envelope(&plain, b"0000000000000000000000000000000!");
        // Signed by WeChat, but sealed with a key that is not our APIv3 key.
        fake.sign_now(body)
    };
    let mut unsigned = genuine.clone();
    unsigned.headers.clear();
    let mut other_serial = genuine.clone();
    for (k, v) in &mut other_serial.headers {
        if *k == "Wechatpay-Serial" {
            *v = "PUB_KEY_ID_OTHER".into();
        }
    }
    for (n, reason) in [
        (&forged, "signature"),
        (&tampered, "signature"),
        (&stale, "too old"),
        (&cheap, "amount.total"),
        (&other_mch, "another merchant"),
        (&other_app, "another app"),
        (&unknown, "unknown out_trade_no"),
        (&wrong_key, "resource"),
        (&unsigned, "Timestamp"),
        (&other_serial, "Serial"),
    ] {
        let (status, kind, text) = notify(&app, n).await;
        assert_eq!(status, 400, "{reason}: {text}");
        assert!(
            kind.starts_with("application/json"),
            "{reason}: {kind} {text}"
        );
        let body: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(body["code"], "FAIL", "{text}");
        assert!(body["message"].is_string());
        let kept = scalar(
            &app,
            "SELECT COUNT(*) FROM payment_notifications WHERE provider = 'wechat' \
             AND outcome = 'refused' AND reason LIKE $1",
            &[SqlValue::Text(format!("%{reason}%"))],
        )
        .await;
        assert!(kept >= 1, "the refusal is kept with its reason ({reason})");
    }
    let bodies = scalar(
        &app,
        "SELECT COUNT(*) FROM payment_notifications WHERE outcome = 'refused' AND body <> ''",
        &[],
    )
    .await;
    assert_eq!(bodies, 0, "a refused notification's body is not stored");
    assert_eq!(status_of(&app, &token, &no).await["status"], "pending");
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM enrollments", &[]).await,
        0
    );
    // A huge body is not read to the end.
    let mut huge = genuine.clone();
    huge.body = format!("{}{}", huge.body, " ".repeat(17 * 1024));
    let (status, _, text) = notify(&app, &huge).await;
    assert_eq!(status, 413, "{text}");
    // The genuine one still pays.
    let (status, _, _) = notify(&app, &genuine).await;
    assert_eq!(status, 204);
    assert_eq!(status_of(&app, &token, &no).await["status"], "paid");
}

/// A cancelled order's trade is closed at WeChat too (`…/close`, 204), so the code can no
/// longer be paid; a notification that still comes (money taken before the close) leaves the
/// order closed.
async fn cancelling_an_order_closes_its_wechat_trade(b: Backend) {
    let (app, fake) = wechat_shop(b).await;
    let (token, no, out, _) = started(&app, "alice").await;
    let (status, body, _) = send(call(
        &app,
        Method::POST,
        &format!("/api/v1/orders/{no}/cancel"),
        Some(&token),
    ))
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "closed");
    assert_eq!(fake.trade(&out).state, "CLOSED");
    assert!(fake.refused().is_empty(), "{:?}", fake.refused());
    fake.buyer_pays(&out);
    let (status, _, _) = notify(&app, &fake.notification(&out, |_| {})).await;
    assert_eq!(status, 204, "recorded: it needs a refund, not a retry");
    assert_eq!(status_of(&app, &token, &no).await["status"], "closed");
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM enrollments", &[]).await,
        0
    );
}
