//! Paying without paying, through WeChat Pay's notify route: a forged notification (a key
//! that is not WeChat's, a resource sealed without our APIv3 key), an amount tampered on the
//! way, a genuine notification replayed (at once, and six minutes later, re-signed or not),
//! parallel deliveries racing to settle one order, and a server without WeChat Pay.

use serde_json::json;
use server::model_engine::sql::SqlValue;
use server::payments::keys::SigningKey;

use crate::backend_tests;
use crate::helpers::Backend;
use crate::payments::fake_alipay::key_pair;
use crate::payments::fake_wechat::{APP_ID, MCH_ID};
use crate::payments::scalar;
use crate::payments::shop;
use crate::payments::wechat::{accepted, notify, started, status_of, wechat_shop};

backend_tests!(
    a_forged_notification_pays_nothing,
    a_tampered_amount_pays_nothing,
    a_replay_changes_nothing_and_an_old_one_is_refused,
    parallel_deliveries_settle_the_order_once,
    a_server_without_wechat_pay_keeps_nothing_posted_to_its_notify_route,
);

async fn paid_orders(app: &crate::helpers::TestApp) -> i64 {
    scalar(
        app,
        "SELECT COUNT(*) FROM orders WHERE status = 'paid'",
        &[],
    )
    .await
}

/// Mallory writes the notification WeChat would send for her unpaid order, with every field
/// right: signed with her own key, or (knowing nothing of the APIv3 key) sealed with a guess.
async fn a_forged_notification_pays_nothing(b: Backend) {
    let (app, fake) = wechat_shop(b).await;
    let (token, no, out, total) = started(&app, "mallory").await;
    let plain = json!({"appid": APP_ID, "mchid": MCH_ID, "out_trade_no": out,
        "transaction_id": "4200000000202612010000000001", "trade_state": "SUCCESS",
        "amount": {"total": total, "payer_total": total, "currency": "CNY"}})
    .to_string();
    let (mine, _) = key_pair();
    let mine = SigningKey::from_text(&mine).unwrap();
    let guessed_key = b"00000000000000000000000000000000";
    let sealed_by_guess = fake.envelope(&plain, guessed_key);
    let signed_by_mallory = fake.signed(
        sealed_by_guess.clone(),
        chrono::Utc::now().timestamp(),
        &mine,
    );
    // Even the probe-style signature WeChat uses to test merchants is refused.
    let mut probe = fake.sign_now(sealed_by_guess.clone());
    for (k, v) in &mut probe.headers {
        if *k == "Wechatpay-Signature" {
            *v = format!("WECHATPAY/SIGNTEST/{v}");
        }
    }
    for n in [&signed_by_mallory, &probe] {
        let (status, _, text) = notify(&app, n).await;
        assert_eq!(status, 400, "{text}");
    }
    // A body no signature covers: an unsigned copy with plausible headers.
    let mut unsigned = fake.sign_now(sealed_by_guess);
    unsigned
        .headers
        .retain(|(k, _)| *k != "Wechatpay-Signature");
    let (status, _, _) = notify(&app, &unsigned).await;
    assert_eq!(status, 400);
    assert_eq!(status_of(&app, &token, &no).await["status"], "pending");
    assert_eq!(paid_orders(&app).await, 0);
    assert_eq!(accepted(&app).await, 0);
}

/// The buyer pays one fen; the notification is for one fen (WeChat signed it) or the
/// amount inside the ciphertext is changed on the way: neither pays the order.
async fn a_tampered_amount_pays_nothing(b: Backend) {
    let (app, fake) = wechat_shop(b).await;
    let (token, no, out, total) = started(&app, "mallory").await;
    fake.buyer_pays(&out);
    let one_fen = fake.notification(&out, |t| {
        t["amount"]["total"] = json!(1);
        t["amount"]["payer_total"] = json!(1);
    });
    let as_string = fake.notification(&out, |t| t["amount"]["total"] = json!(total.to_string()));
    let in_dollars = fake.notification(&out, |t| t["amount"]["currency"] = json!("USD"));
    for n in [&one_fen, &as_string, &in_dollars] {
        let (status, _, text) = notify(&app, n).await;
        assert_eq!(status, 400, "{text}");
    }
    // Bits flipped in the ciphertext (GCM's tag no longer fits), re-signed by nobody.
    let genuine = fake.notification(&out, |_| {});
    let mut flipped: serde_json::Value = serde_json::from_str(&genuine.body).unwrap();
    let ciphertext = flipped["resource"]["ciphertext"]
        .as_str()
        .unwrap()
        .to_string();
    let swapped = if ciphertext.starts_with('A') {
        "B"
    } else {
        "A"
    };
    flipped["resource"]["ciphertext"] = json!(format!("{swapped}{}", &ciphertext[1..]));
    // Even with WeChat's signature over the changed body, the APIv3 key's seal fails.
    let resealed = fake.sign_now(flipped.to_string());
    let (status, _, _) = notify(&app, &resealed).await;
    assert_eq!(status, 400);
    let refused = scalar(
        &app,
        "SELECT COUNT(*) FROM payment_notifications WHERE provider = 'wechat' AND outcome = 'refused'",
        &[],
    )
    .await;
    assert!(refused >= 4, "{refused}");
    assert_eq!(status_of(&app, &token, &no).await["status"], "pending");
    assert_eq!(paid_orders(&app).await, 0);
}

/// A genuine notification captured on the way is posted again: at once it is a duplicate
/// (204, nothing changes); six minutes later it is refused, its own signature or re-signed
/// at that old time; a timestamp from the future is refused too.
async fn a_replay_changes_nothing_and_an_old_one_is_refused(b: Backend) {
    let (app, fake) = wechat_shop(b).await;
    let (token, no, out, _) = started(&app, "alice").await;
    fake.buyer_pays(&out);
    let genuine = fake.notification(&out, |_| {});
    let now = chrono::Utc::now().timestamp();
    let old = fake.resigned_at(&genuine, now - 6 * 60);
    let future = fake.resigned_at(&genuine, now + 6 * 60);
    for n in [&old, &future] {
        let (status, _, text) = notify(&app, n).await;
        assert_eq!(status, 400, "{text}");
    }
    assert_eq!(status_of(&app, &token, &no).await["status"], "pending");
    let (status, _, _) = notify(&app, &genuine).await;
    assert_eq!(status, 204);
    let paid = status_of(&app, &token, &no).await;
    for _ in 0..3 {
        let (status, _, text) = notify(&app, &genuine).await;
        assert_eq!((status, text.as_str()), (204, ""));
    }
    assert_eq!(status_of(&app, &token, &no).await, paid);
    assert_eq!(accepted(&app).await, 1);
    // Mallory replays Alice's notification for her own order: it names Alice's trade, so it
    // can only ever pay Alice's (paid) order.
    let (m_token, m_no, _, _) = started(&app, "mallory").await;
    let (status, _, _) = notify(&app, &genuine).await;
    assert_eq!(status, 204);
    assert_eq!(status_of(&app, &m_token, &m_no).await["status"], "pending");
    assert_eq!(paid_orders(&app).await, 1);
}

/// WeChat (or an attacker holding one genuine notification) delivers in parallel: the same
/// notification ten times, and five distinct genuine ones for the same trade. All are
/// acknowledged; the order is paid once, one enrolment, one audit entry of the payment.
async fn parallel_deliveries_settle_the_order_once(b: Backend) {
    let (app, fake) = wechat_shop(b).await;
    let (token, no, out, _) = started(&app, "alice").await;
    fake.buyer_pays(&out);
    let same = fake.notification(&out, |_| {});
    let distinct: Vec<_> = (0..5).map(|_| fake.notification(&out, |_| {})).collect();
    let deliveries = (0..10)
        .map(|_| same.clone())
        .chain(distinct)
        .collect::<Vec<_>>();
    let answers = futures::future::join_all(deliveries.iter().map(|n| notify(&app, n))).await;
    for (status, _, text) in &answers {
        assert_eq!(*status, 204, "{text}");
    }
    assert_eq!(status_of(&app, &token, &no).await["status"], "paid");
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM enrollments", &[]).await,
        1
    );
    let audits = scalar(
        &app,
        "SELECT COUNT(*) FROM audit_log WHERE object_repr = $1 AND changes LIKE '%\"to\":\"paid\"%'",
        &[SqlValue::Text(no.clone())],
    )
    .await;
    assert_eq!(audits, 1);
    // One row per distinct notification, the repeats none.
    assert_eq!(accepted(&app).await, 6);
}

/// Where WeChat Pay is not configured nothing can be verified: its notify route is not there
/// (404, a problem), and a flood of posts writes no row.
async fn a_server_without_wechat_pay_keeps_nothing_posted_to_its_notify_route(b: Backend) {
    let app = shop(b, &[]).await;
    let posts = (0..20).map(|i| {
        app.client
            .post(app.url("/api/v1/payments/wechat/notify"))
            .header("Content-Type", "application/json")
            .header(
                "Wechatpay-Timestamp",
                chrono::Utc::now().timestamp().to_string(),
            )
            .header("Wechatpay-Serial", "PUB_KEY_ID_X")
            .header("Wechatpay-Signature", "abc")
            .body(format!(
                "{{\"id\":\"{i}\",\"event_type\":\"TRANSACTION.SUCCESS\"}}"
            ))
            .send()
    });
    for response in futures::future::join_all(posts).await {
        let response = response.unwrap();
        assert_eq!(response.status().as_u16(), 404);
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
    }
    let kept = scalar(&app, "SELECT COUNT(*) FROM payment_notifications", &[]).await;
    assert_eq!(kept, 0);
    // Paying with it is refused as a provider not offered.
    let who = app.student("alice").await;
    let token = app.bearer(&who).await;
    let course = crate::payments::priced_course(&app).await;
    let order = crate::payments::order_of(&app, &token, course, None).await;
    let (status, body, _) = crate::rest_support::send(
        crate::rest_support::call(
            &app,
            reqwest::Method::POST,
            &format!(
                "/api/v1/orders/{}/payments",
                order["order_no"].as_str().unwrap()
            ),
            Some(&token),
        )
        .json(&json!({"provider": "wechat"})),
    )
    .await;
    assert_eq!(status, 422, "{body}");
}
