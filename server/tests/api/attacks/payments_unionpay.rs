//! Paying without paying through UnionPay: another buyer's signed pay form, a notification
//! Mallory made with a PKI of her own (every name as UnionPay's), parallel deliveries of the
//! genuine one racing to settle an order, and a server without UnionPay.

use crate::backend_tests;
use crate::helpers::Backend;
use crate::payments::fake_unionpay::{form_body, Pki};
use crate::payments::shop;
use crate::payments::unionpay::{
    notifications, notify, open, pay_page, started, status_of, unionpay_shop,
};

backend_tests!(
    another_buyer_s_pay_form_is_not_found,
    a_notification_from_mallory_s_own_pki_pays_nothing,
    parallel_deliveries_settle_the_order_once,
    a_server_without_unionpay_keeps_nothing_posted_to_its_notify_route,
);

/// Bob asks for Alice's signed form (and a made-up one): the same 404, no field of it.
async fn another_buyer_s_pay_form_is_not_found(b: Backend) {
    let (app, _fake) = unionpay_shop(b).await;
    let (_, _, _, out, _) = started(&app, &app.student("alice").await).await;
    let bob = app.sign_in(&app.student("bob").await).await;
    for path in [out.clone(), format!("{out}X"), "..%2F..%2Fadmin".into()] {
        let page = pay_page(&app, Some(&bob), &path).await;
        assert_eq!(page.status(), 404, "{path}");
        let html = page.text().await.unwrap();
        assert!(!html.contains("certId") && !html.contains(&out), "{html}");
    }
}

/// Mallory's own root, middle and signing certificate, named exactly like UnionPay's, and a
/// notification for her unpaid order signed with it: refused, the order stays unpaid.
async fn a_notification_from_mallory_s_own_pki_pays_nothing(b: Backend) {
    let (app, fake) = unionpay_shop(b).await;
    let (token, cookie, no, out, _) = started(&app, &app.student("mallory").await).await;
    open(&app, &fake, &cookie, &out).await;
    let pki = Pki::shared();
    let mut notice = fake.notification(&out, |_| {});
    fake.resign(&mut notice, &pki.other_root);
    let (status, _) = notify(&app, &notice).await;
    assert_eq!(status, 400);
    // Her certificate under the genuine middle's name but with her CN: refused too.
    fake.resign(&mut notice, &pki.wrong_cn);
    assert_eq!(notify(&app, &notice).await.0, 400);
    assert_eq!(status_of(&app, &token, &no).await["status"], "pending");
    assert_eq!(notifications(&app, "accepted").await, 0);
}

/// UnionPay delivers the same notification ten times at once: one settlement, all `ok`.
async fn parallel_deliveries_settle_the_order_once(b: Backend) {
    let (app, fake) = unionpay_shop(b).await;
    let (token, cookie, no, out, _) = started(&app, &app.student("alice").await).await;
    open(&app, &fake, &cookie, &out).await;
    fake.buyer_pays(&out);
    let notice = fake.notification(&out, |_| {});
    let answers = futures::future::join_all((0..10).map(|_| notify(&app, &notice))).await;
    for answer in answers {
        assert_eq!(answer, (200, "ok".to_string()));
    }
    assert_eq!(status_of(&app, &token, &no).await["status"], "paid");
    assert_eq!(notifications(&app, "accepted").await, 1);
}

async fn a_server_without_unionpay_keeps_nothing_posted_to_its_notify_route(b: Backend) {
    let app = shop(b, &[]).await;
    let mut fields = std::collections::BTreeMap::new();
    fields.insert("orderId".to_string(), "XC1U".to_string());
    fields.insert("respCode".to_string(), "00".to_string());
    for _ in 0..5 {
        let response = app
            .client
            .post(app.url("/api/v1/payments/unionpay/notify"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(form_body(&fields))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404);
    }
    assert_eq!(notifications(&app, "refused").await, 0);
    // No pay page either.
    let cookie = app.sign_in(&app.student("alice").await).await;
    assert_eq!(pay_page(&app, Some(&cookie), "XC1U").await.status(), 404);
}
