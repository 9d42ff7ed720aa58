//! Asking the providers: money that arrives through a second provider is kept as refund due
//! (the first payment closes the other trades), the close job asks before it closes, the
//! reconcile schedule settles a lost notification and closes what the close job gave up on,
//! and a provider out of reach keeps an order pending only for a while.

use reqwest::Method;
use serde_json::{json, Value};
use server::model_engine::sql::SqlValue;
use server::orders::reconcile::{close_expired, reconcile, Expiry};

use super::alipay::{alipay_url, notify as alipay_notify, DESKTOP};
use super::fake_alipay::FakeAlipay;
use super::fake_wechat::FakeWechat;
use super::wechat::{notify as wechat_notify, status_of, wechat_payment};
use super::{get, order_of, priced_course, scalar, shop};
use crate::backend_tests;
use crate::helpers::{Backend, TestApp};
use crate::personas::Persona;
use crate::rest_support::{call, send};

backend_tests!(
    money_through_a_second_provider_is_kept_as_refund_due,
    the_close_job_asks_the_provider_before_it_closes,
    the_reconcile_job_settles_a_lost_notification_and_closes_what_was_left,
    an_unreachable_provider_keeps_an_order_open_only_for_a_while,
    provider_notifications_are_not_throttled,
);

/// Alipay and WeChat Pay both configured, each against its fake (`alipay_url` overrides
/// the Alipay gateway's address).
async fn both_shop(b: Backend, alipay_gateway: Option<&str>) -> (TestApp, FakeAlipay, FakeWechat) {
    let alipay = FakeAlipay::start().await;
    let wechat = FakeWechat::start().await;
    let mut extra: Vec<(&'static str, &str)> = Vec::new();
    for (k, v) in alipay.settings.iter().chain(wechat.settings.iter()) {
        extra.push((k, v.as_str()));
    }
    if let Some(url) = alipay_gateway {
        extra.push(("ALIPAY_GATEWAY_URL", url));
    }
    (shop(b, &extra).await, alipay, wechat)
}

async fn order_id(app: &TestApp, no: &str) -> i64 {
    scalar(
        app,
        "SELECT id FROM orders WHERE order_no = $1",
        &[SqlValue::Text(no.into())],
    )
    .await
}

/// Moves an order's expiry `minutes` into the past.
async fn expire(app: &TestApp, id: i64, minutes: i64) {
    let at = chrono::Utc::now() - chrono::Duration::minutes(minutes);
    server::db::records::execute(
        &app.db,
        "UPDATE orders SET expires_at = $1 WHERE id = $2",
        &[SqlValue::Time(at), SqlValue::Int(id)],
    )
    .await
    .unwrap();
}

/// A student's pending order with its Alipay trade opened at the fake: (token, order number,
/// order id, out_trade_no).
async fn alipay_started(
    app: &TestApp,
    fake: &FakeAlipay,
    who: &Persona,
) -> (String, String, i64, String) {
    let token = app.bearer(who).await;
    let course = priced_course(app).await;
    let no = order_of(app, &token, course, None).await["order_no"]
        .as_str()
        .unwrap()
        .to_string();
    let params = fake.open(&alipay_url(app, &token, &no, DESKTOP).await);
    let biz: Value = serde_json::from_str(&params["biz_content"]).unwrap();
    let out = biz["out_trade_no"].as_str().unwrap().to_string();
    let id = order_id(app, &no).await;
    (token, no, id, out)
}

async fn refund_due(app: &TestApp, out: &str) -> i64 {
    scalar(
        app,
        "SELECT COUNT(*) FROM payments WHERE out_trade_no = $1 AND status = 'succeeded' \
         AND refund_due_at IS NOT NULL",
        &[SqlValue::Text(out.into())],
    )
    .await
}

async fn money_through_a_second_provider_is_kept_as_refund_due(b: Backend) {
    let (app, alipay, wechat) = both_shop(b, None).await;
    let alice = app.student("alice").await;
    let (token, no, _, ali_out) = alipay_started(&app, &alipay, &alice).await;
    // She also opens WeChat Pay's code for the same order, and pays there.
    let we_out = wechat_payment(&app, &token, &no).await["out_trade_no"]
        .as_str()
        .unwrap()
        .to_string();
    wechat.buyer_pays(&we_out);
    let (status, _, _) = wechat_notify(&app, &wechat.notification(&we_out, |_| {})).await;
    assert_eq!(status, 204);
    assert_eq!(status_of(&app, &token, &no).await["status"], "paid");
    // Paying closed the Alipay trade, here and at Alipay.
    assert_eq!(alipay.trade(&ali_out).status, "TRADE_CLOSED");
    let closed = scalar(
        &app,
        "SELECT COUNT(*) FROM payments WHERE out_trade_no = $1 AND status = 'closed'",
        &[SqlValue::Text(ali_out.clone())],
    )
    .await;
    assert_eq!(closed, 1);
    // The QR code of a paid order is not shown again.
    let cookie = app.sign_in(&alice).await;
    let code = app
        .client
        .post(app.url("/fn/orders/payment-code"))
        .header("Origin", &app.address)
        .header("Cookie", &cookie)
        .json(&json!({"out_trade_no": we_out}))
        .send()
        .await
        .unwrap();
    assert_eq!(code.status(), 409);
    // The same trade confirmed by a query too: still one payment, nothing is due.
    let confirmed = app
        .client
        .post(app.url("/fn/orders/confirm-return"))
        .header("Origin", &app.address)
        .header("Cookie", &cookie)
        .json(&json!({"out_trade_no": we_out}))
        .send()
        .await
        .unwrap();
    assert_eq!(confirmed.status(), 200);
    assert_eq!(refund_due(&app, &we_out).await, 0);

    // Alipay had taken her money before the close: the notification is acknowledged, the
    // order stays paid once, and that payment is marked for a refund.
    alipay.buyer_pays(&ali_out);
    let (status, text) = alipay_notify(&app, &alipay.notification(&ali_out, |_| {})).await;
    assert_eq!((status, text.as_str()), (200, "success"));
    assert_eq!(status_of(&app, &token, &no).await["status"], "paid");
    assert_eq!(refund_due(&app, &ali_out).await, 1);
    let (_, owned) = get(&app, &token, "/api/v1/enrollments").await;
    assert_eq!(owned["count"], 1);
    let audited = || {
        scalar(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE object_type = 'order' \
             AND changes LIKE '%refund_due%'",
            &[],
        )
    };
    assert_eq!(audited().await, 1);
    // Delivered again: nothing more.
    let (status, _) = alipay_notify(&app, &alipay.notification(&ali_out, |_| {})).await;
    assert_eq!(status, 200);
    assert_eq!(audited().await, 1);
}

async fn the_close_job_asks_the_provider_before_it_closes(b: Backend) {
    let (app, alipay, _wechat) = both_shop(b, None).await;
    // Paid at Alipay, the notification lost: the close job finds out and pays the order.
    let (token, no, id, out) = alipay_started(&app, &alipay, &app.student("alice").await).await;
    alipay.buyer_pays(&out);
    expire(&app, id, 1).await;
    let found = close_expired(&app.db, &app.gateways, id).await.unwrap();
    assert_eq!(found, Expiry::Paid);
    assert_eq!(status_of(&app, &token, &no).await["status"], "paid");
    let (_, owned) = get(&app, &token, "/api/v1/enrollments").await;
    assert_eq!(owned["count"], 1);
    // Run again (a redelivered job): nothing to do.
    let again = close_expired(&app.db, &app.gateways, id).await.unwrap();
    assert_eq!(again, Expiry::Nothing);

    // Not paid: closed here and at Alipay.
    let (token, no, id, out) = alipay_started(&app, &alipay, &app.student("bob").await).await;
    expire(&app, id, 1).await;
    let found = close_expired(&app.db, &app.gateways, id).await.unwrap();
    assert_eq!(found, Expiry::Closed);
    assert_eq!(status_of(&app, &token, &no).await["status"], "closed");
    assert_eq!(alipay.trade(&out).status, "TRADE_CLOSED");
}

async fn the_reconcile_job_settles_a_lost_notification_and_closes_what_was_left(b: Backend) {
    let (app, alipay, _wechat) = both_shop(b, None).await;
    let (token, no, _, out) = alipay_started(&app, &alipay, &app.student("alice").await).await;
    alipay.buyer_pays(&out);
    // Fresh payments are left to their notifications.
    let now = chrono::Utc::now();
    let done = reconcile(&app.db, &app.gateways, now).await.unwrap();
    assert_eq!((done.asked, done.settled), (0, 0), "{done:?}");
    assert_eq!(status_of(&app, &token, &no).await["status"], "pending");
    // Six minutes on, the run asks Alipay and settles it.
    let later = now + chrono::Duration::minutes(6);
    let done = reconcile(&app.db, &app.gateways, later).await.unwrap();
    assert_eq!((done.asked, done.settled), (1, 1), "{done:?}");
    assert_eq!(status_of(&app, &token, &no).await["status"], "paid");
    let done = reconcile(&app.db, &app.gateways, later).await.unwrap();
    assert_eq!(done.asked, 0, "a settled payment is not asked again");

    // An order whose close job gave up, long past its expiry: the run closes it.
    let (token, no, id, _) = alipay_started(&app, &alipay, &app.student("bob").await).await;
    expire(&app, id, 20).await;
    let done = reconcile(&app.db, &app.gateways, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(done.closed, 1, "{done:?}");
    assert_eq!(status_of(&app, &token, &no).await["status"], "closed");
}

async fn an_unreachable_provider_keeps_an_order_open_only_for_a_while(b: Backend) {
    // Nothing listens on port 9 here: every Alipay call fails.
    let (app, alipay, _wechat) = both_shop(b, Some("http://127.0.0.1:9/gateway.do")).await;
    let who = app.student("alice").await;
    let token = app.bearer(&who).await;
    let course = priced_course(&app).await;
    let no = order_of(&app, &token, course, None).await["order_no"]
        .as_str()
        .unwrap()
        .to_string();
    // The pay URL is built here (Alipay's page pay is a signed redirect), so it starts.
    let _ = alipay_url(&app, &token, &no, DESKTOP).await;
    let _ = &alipay;
    let id = order_id(&app, &no).await;
    expire(&app, id, 1).await;
    let found = close_expired(&app.db, &app.gateways, id).await.unwrap();
    assert!(matches!(found, Expiry::Unreachable(_)), "{found:?}");
    assert_eq!(status_of(&app, &token, &no).await["status"], "pending");
    // Long past its expiry, it closes anyway (money that comes later is kept as refund due).
    expire(&app, id, 20).await;
    let found = close_expired(&app.db, &app.gateways, id).await.unwrap();
    assert_eq!(found, Expiry::Closed);
    assert_eq!(status_of(&app, &token, &no).await["status"], "closed");
}

async fn provider_notifications_are_not_throttled(b: Backend) {
    let wechat = FakeWechat::start().await;
    let mut extra: Vec<(&'static str, &str)> = wechat
        .settings
        .iter()
        .map(|(k, v)| (*k, v.as_str()))
        .collect();
    extra.push(("API_THROTTLE_ANON", "3/min"));
    let app = shop(b, &extra).await;
    // The anonymous budget is real: the fourth anonymous list call is refused.
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let (status, _, _) = send(call(&app, Method::GET, "/api/v1/courses", None)).await;
        statuses.push(status);
    }
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    // From the same address, WeChat's notifications still reach the handler (refused there
    // for their unknown trade, never 429).
    for i in 0..6 {
        let n = wechat.sign_now(
            json!({"id": format!("EV-{i}"), "event_type": "TRANSACTION.SUCCESS"}).to_string(),
        );
        let (status, _, text) = wechat_notify(&app, &n).await;
        assert_eq!(status, 400, "{text}");
    }
}
