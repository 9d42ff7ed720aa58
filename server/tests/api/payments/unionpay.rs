//! UnionPay end to end against the fake gateway: our pay page's signed form posted to
//! UnionPay, the back notification settled once, forged, tampered, foreign-merchant and
//! untrusted-certificate notifications refused and kept with their reason, a lost
//! notification settled by the reconcile run's query, and a partial refund.

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::{json, Value};
use server::model_engine::sql::SqlValue;

use super::fake_unionpay::{form_body, parse_form, FakeUnionpay, Pair, MERCHANT_SERIAL, MER_ID};
use super::refunds::refund;
use super::{get, order_of, priced_course, scalar, shop};
use crate::backend_tests;
use crate::helpers::{Backend, TestApp};
use crate::personas::Persona;
use crate::rest_support::{call, send};

backend_tests!(
    a_purchase_is_paid_by_the_notification_once,
    forged_tampered_and_untrusted_notifications_change_nothing,
    the_reconcile_job_settles_a_lost_notification_by_query,
    a_partial_refund_is_taken_then_settled_by_query,
    the_pay_page_is_the_owner_s_only,
    a_legacy_pkcs12_file_signs_as_well,
);

pub async fn unionpay_shop(b: Backend) -> (TestApp, FakeUnionpay) {
    let fake = FakeUnionpay::start().await;
    let extra: Vec<(&'static str, &str)> = fake
        .settings
        .iter()
        .map(|(k, v)| (*k, v.as_str()))
        .collect();
    (shop(b, &extra).await, fake)
}

/// A student's pending order and its started UnionPay payment: (token, session cookie,
/// order number, out_trade_no, total in cents).
pub async fn started(app: &TestApp, who: &Persona) -> (String, String, String, String, i64) {
    let token = app.bearer(who).await;
    let cookie = app.sign_in(who).await;
    let course = priced_course(app).await;
    let order = order_of(app, &token, course, None).await;
    let no = order["order_no"].as_str().unwrap().to_string();
    let (status, body, _) = send(
        call(
            app,
            Method::POST,
            &format!("/api/v1/orders/{no}/payments"),
            Some(&token),
        )
        .json(&json!({"provider": "unionpay"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let out = body["out_trade_no"].as_str().unwrap().to_string();
    assert_eq!(body["pay_url"], format!("/pay/unionpay/{out}"));
    let total = order["total_cents"].as_i64().unwrap();
    (token, cookie, no, out, total)
}

/// `GET /pay/unionpay/{out}` with `cookie` (none: anonymous).
pub async fn pay_page(app: &TestApp, cookie: Option<&str>, out: &str) -> reqwest::Response {
    let mut request = app.client.get(app.url(&format!("/pay/unionpay/{out}")));
    if let Some(cookie) = cookie {
        request = request.header("Cookie", cookie);
    }
    request.send().await.unwrap()
}

/// The buyer's browser: our page, then its form posted to UnionPay. The form's fields.
pub async fn open(
    app: &TestApp,
    fake: &FakeUnionpay,
    cookie: &str,
    out: &str,
) -> BTreeMap<String, String> {
    let page = pay_page(app, Some(cookie), out).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let (action, fields) = parse_form(&html);
    assert_eq!(
        action,
        format!("{}/gateway/api/frontTransReq.do", fake.gateway_url)
    );
    let answer = reqwest::Client::new()
        .post(&action)
        .form(&fields)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        answer.contains("cashier"),
        "UnionPay took the form: {answer}"
    );
    fields
}

pub async fn notify(app: &TestApp, fields: &BTreeMap<String, String>) -> (u16, String) {
    let response = app
        .client
        .post(app.url("/api/v1/payments/unionpay/notify"))
        .header(
            "Content-Type",
            "application/x-www-form-urlencoded; charset=UTF-8",
        )
        .body(form_body(fields))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

pub async fn status_of(app: &TestApp, token: &str, no: &str) -> Value {
    get(app, token, &format!("/api/v1/orders/{no}")).await.1
}

pub async fn notifications(app: &TestApp, outcome: &str) -> i64 {
    scalar(
        app,
        "SELECT COUNT(*) FROM payment_notifications WHERE provider = 'unionpay' AND outcome = $1",
        &[SqlValue::Text(outcome.into())],
    )
    .await
}

async fn a_purchase_is_paid_by_the_notification_once(b: Backend) {
    let (app, fake) = unionpay_shop(b).await;
    let alice = app.student("alice").await;
    let (token, cookie, no, out, total) = started(&app, &alice).await;

    let page = pay_page(&app, Some(&cookie), &out).await;
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(policy.contains("script-src 'nonce-"), "{policy}");
    let html = page.text().await.unwrap();
    assert!(
        html.contains("<button type=\"submit\">"),
        "a submit button works without JS"
    );
    let nonce = policy
        .split("'nonce-")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap();
    assert!(
        html.contains(&format!("<script nonce=\"{nonce}\">")),
        "{html}"
    );

    let fields = open(&app, &fake, &cookie, &out).await;
    for (k, v) in [
        ("version", "5.1.0"),
        ("encoding", "UTF-8"),
        ("signMethod", "01"),
        ("txnType", "01"),
        ("txnSubType", "01"),
        ("bizType", "000201"),
        ("channelType", "07"),
        ("accessType", "0"),
        ("currencyCode", "156"),
        ("merId", MER_ID),
        ("certId", MERCHANT_SERIAL),
        ("orderId", out.as_str()),
    ] {
        assert_eq!(fields[k], v, "{k}");
    }
    assert_eq!(fields["txnAmt"], total.to_string(), "fen");
    assert!(fields["backUrl"].ends_with("/api/v1/payments/unionpay/notify"));
    assert!(fields["frontUrl"].ends_with(&format!("/pay/unionpay/return/{out}")));
    assert_eq!(fields["txnTime"].len(), 14);
    assert!(fields["payTimeout"] > fields["txnTime"]);
    // The same payment is the same trade: the page again gives the same form.
    let again = parse_form(
        &pay_page(&app, Some(&cookie), &out)
            .await
            .text()
            .await
            .unwrap(),
    )
    .1;
    assert_eq!(again, fields);

    let trade = fake.buyer_pays(&out);
    let notice = fake.notification(&out, |_| {});
    assert_eq!(notify(&app, &notice).await, (200, "ok".to_string()));
    let paid = status_of(&app, &token, &no).await;
    assert_eq!(paid["status"], "paid");
    let (_, owned) = get(&app, &token, "/api/v1/enrollments").await;
    assert_eq!(owned["count"], 1, "{owned}");

    // UnionPay delivers it again: `ok`, nothing changes.
    assert_eq!(notify(&app, &notice).await, (200, "ok".to_string()));
    assert_eq!(status_of(&app, &token, &no).await, paid);
    assert_eq!(notifications(&app, "accepted").await, 1);
    let kept = scalar(
        &app,
        "SELECT COUNT(*) FROM payments WHERE out_trade_no = $1 AND status = 'succeeded' \
         AND provider_trade_no = $2",
        &[SqlValue::Text(out.clone()), SqlValue::Text(trade.query_id)],
    )
    .await;
    assert_eq!(kept, 1, "UnionPay's queryId is the payment's trade number");

    // UnionPay's frontUrl sends the buyer on to the page that confirms by query. The browser
    // posts it from UnionPay's cashier, so it names UnionPay's origin, not ours.
    let back = app
        .client
        .post(app.url(&format!("/pay/unionpay/return/{out}")))
        .header("origin", "https://gateway.95516.com")
        .header("cookie", &cookie)
        .form(&[("respCode", "00")])
        .send()
        .await
        .unwrap();
    assert_eq!(back.status(), 303);
    assert_eq!(
        back.headers()["location"],
        format!("/pay/alipay/return?out_trade_no={out}")
    );
}

async fn forged_tampered_and_untrusted_notifications_change_nothing(b: Backend) {
    let (app, fake) = unionpay_shop(b).await;
    let mallory = app.student("mallory").await;
    let (token, cookie, no, out, _) = started(&app, &mallory).await;
    open(&app, &fake, &cookie, &out).await;
    let pki = fake.pki();

    // Signed with a key that is not UnionPay's, under UnionPay's own certificate.
    let mut forged = fake.notification(&out, |_| {});
    let merchant_key_unionpay_cert = Pair {
        key: pki.merchant.key.clone(),
        cert: pki.unionpay.cert.clone(),
    };
    fake.resign(&mut forged, &merchant_key_unionpay_cert);
    // The amount changed on the way (UnionPay signed 1 fen).
    let mut tampered = fake.notification(&out, |f| {
        f.insert("txnAmt".into(), "1".into());
    });
    tampered.insert("txnAmt".into(), fake.trade(&out).txn_amt.to_string());
    // UnionPay signed it, for one fen: the amount is not the payment's.
    let one_fen = fake.notification(&out, |f| {
        f.insert("txnAmt".into(), "1".into());
    });
    let foreign = fake.notification(&out, |f| {
        f.insert("merId".into(), "898111111111111".into());
    });
    // Every name as UnionPay's, from another root; and another company under the middle.
    let mut other_root = fake.notification(&out, |_| {});
    fake.resign(&mut other_root, &pki.other_root);
    let mut wrong_cn = fake.notification(&out, |_| {});
    fake.resign(&mut wrong_cn, &pki.wrong_cn);
    let mut no_cert = fake.notification(&out, |_| {});
    no_cert.remove("signPubKeyCert");

    fake.buyer_pays(&out);
    for (what, notice) in [
        ("forged", &forged),
        ("tampered", &tampered),
        ("one fen", &one_fen),
        ("another merchant", &foreign),
        ("another root", &other_root),
        ("another CN", &wrong_cn),
        ("no certificate", &no_cert),
    ] {
        let (status, text) = notify(&app, notice).await;
        assert_eq!(status, 400, "{what}: {text}");
    }
    assert_eq!(status_of(&app, &token, &no).await["status"], "pending");
    assert_eq!(notifications(&app, "accepted").await, 0);
    assert_eq!(
        notifications(&app, "refused").await,
        7,
        "each kept with its reason"
    );
    let reasons = scalar(
        &app,
        "SELECT COUNT(*) FROM payment_notifications WHERE provider = 'unionpay' \
         AND outcome = 'refused' AND reason LIKE '%not trusted%'",
        &[],
    )
    .await;
    assert_eq!(reasons, 3, "another root, another CN, no certificate");
    // The genuine one still pays.
    assert_eq!(notify(&app, &fake.notification(&out, |_| {})).await.0, 200);
    assert_eq!(status_of(&app, &token, &no).await["status"], "paid");
}

async fn the_reconcile_job_settles_a_lost_notification_by_query(b: Backend) {
    let (app, fake) = unionpay_shop(b).await;
    let alice = app.student("alice").await;
    let (token, cookie, no, out, total) = started(&app, &alice).await;
    let now = chrono::Utc::now();
    // Not opened at UnionPay yet (34, no such trade), then opened and unpaid (05).
    let done = server::orders::reconcile::reconcile(
        &app.db,
        &app.gateways,
        now + chrono::Duration::minutes(6),
    )
    .await
    .unwrap();
    assert_eq!((done.asked, done.settled), (1, 0), "{done:?}");
    open(&app, &fake, &cookie, &out).await;
    let done = server::orders::reconcile::reconcile(
        &app.db,
        &app.gateways,
        now + chrono::Duration::minutes(6),
    )
    .await
    .unwrap();
    assert_eq!((done.asked, done.settled), (1, 0), "{done:?}");
    assert_eq!(status_of(&app, &token, &no).await["status"], "pending");

    // Paid; the notification never arrives: the run's query settles it.
    let trade = fake.buyer_pays(&out);
    let done = server::orders::reconcile::reconcile(
        &app.db,
        &app.gateways,
        now + chrono::Duration::minutes(6),
    )
    .await
    .unwrap();
    assert_eq!((done.asked, done.settled), (1, 1), "{done:?}");
    assert_eq!(status_of(&app, &token, &no).await["status"], "paid");
    let queries: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r["txnType"] == "00")
        .collect();
    assert_eq!(queries.len(), 3);
    assert_eq!(queries[2]["orderId"], out);
    assert_eq!(
        queries[2]["txnTime"], trade.txn_time,
        "the trade's own time"
    );
    assert_eq!(trade.txn_amt, total);
    // The late notification is the same trade: `ok`, nothing more.
    assert_eq!(
        notify(&app, &fake.notification(&out, |_| {})).await,
        (200, "ok".to_string())
    );
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM orders WHERE status = 'paid'",
            &[]
        )
        .await,
        1
    );
}

async fn a_partial_refund_is_taken_then_settled_by_query(b: Backend) {
    let (app, fake) = unionpay_shop(b).await;
    let alice = app.student("alice").await;
    let (token, cookie, no, out, total) = started(&app, &alice).await;
    open(&app, &fake, &cookie, &out).await;
    let trade = fake.buyer_pays(&out);
    assert_eq!(notify(&app, &fake.notification(&out, |_| {})).await.0, 200);

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
    assert_eq!(
        body["status"], "processing",
        "UnionPay settles a refund later"
    );
    assert_eq!(body["provider"], "unionpay");
    let sent: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r["txnType"] == "04")
        .collect();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["origQryId"], trade.query_id);
    assert_eq!(sent[0]["txnAmt"], part.to_string());
    assert_eq!(sent[0]["orderId"], body["out_request_no"]);
    assert_eq!(fake.refunded(&out), part);

    // The reconcile run asks about it again: a query of the refund, never a second refund.
    let later = chrono::Utc::now() + chrono::Duration::minutes(2);
    let done = server::orders::reconcile::reconcile(&app.db, &app.gateways, later)
        .await
        .unwrap();
    assert_eq!(done.refunds_settled, 1, "{done:?}");
    let (_, list) = get(&app, &staff, &format!("/api/v1/orders/{no}/refunds")).await;
    assert_eq!(list["results"][0]["status"], "succeeded", "{list}");
    assert_eq!(
        fake.requests()
            .iter()
            .filter(|r| r["txnType"] == "04")
            .count(),
        1
    );
    assert_eq!(fake.refunded(&out), part);
    let after = status_of(&app, &token, &no).await;
    assert_eq!(
        (after["status"].as_str(), after["refunded_cents"].as_i64()),
        (Some("paid"), Some(part))
    );
}

async fn the_pay_page_is_the_owner_s_only(b: Backend) {
    let (app, fake) = unionpay_shop(b).await;
    let alice = app.student("alice").await;
    let (_, _, _, out, _) = started(&app, &alice).await;
    let bob = app.student("bob").await;
    let bob_cookie = app.sign_in(&bob).await;
    let page = pay_page(&app, Some(&bob_cookie), &out).await;
    assert_eq!(page.status(), 404);
    let html = page.text().await.unwrap();
    assert!(!html.contains("signature"), "{html}");
    assert_eq!(
        pay_page(&app, Some(&bob_cookie), "XC0000U").await.status(),
        404
    );
    let anonymous = pay_page(&app, None, &out).await;
    assert_eq!(anonymous.status(), 303);
    assert_eq!(anonymous.headers()["location"], "/login");
    assert!(fake.requests().is_empty(), "nothing went to UnionPay");
}

/// UnionPay's own certificate tool writes 3DES/SHA-1 PKCS#12 files: they load and sign too.
async fn a_legacy_pkcs12_file_signs_as_well(b: Backend) {
    let fake = FakeUnionpay::start().await;
    let legacy = fake.pki().merchant_legacy_p12.display().to_string();
    let extra: Vec<(&'static str, &str)> = fake
        .settings
        .iter()
        .map(|(k, v)| match *k {
            "UNIONPAY_SIGN_CERT_PATH" => (*k, legacy.as_str()),
            _ => (*k, v.as_str()),
        })
        .collect();
    let app = shop(b, &extra).await;
    let alice = app.student("alice").await;
    let (_, cookie, _, out, _) = started(&app, &alice).await;
    let fields = open(&app, &fake, &cookie, &out).await;
    assert_eq!(fields["certId"], MERCHANT_SERIAL);
    assert_eq!(
        fake.trade(&out).state,
        "05",
        "UnionPay took the signed form"
    );
}
