//! The language switch and the sign-in's way back, as an attacker uses them: header injection
//! through `?lang=`, poisoning the page cache with another language, an open redirect through
//! `next`, and a stranger's switch touching someone's profile.

use reqwest::header::{ACCEPT_LANGUAGE, COOKIE, LOCATION, SET_COOKIE};

use crate::backend_tests;
use crate::helpers::{spawn_app, spawn_app_with, Backend, Options};

backend_tests!(
    a_crafted_lang_injects_nothing,
    the_cache_never_serves_one_language_for_another,
    next_cannot_lead_off_the_site,
    a_switch_without_the_session_changes_no_profile,
);

async fn a_crafted_lang_injects_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    for hostile in [
        "/courses?lang=en%0d%0aSet-Cookie:%20xc_session=stolen",
        "/courses?lang=en;%20Domain=evil.test",
        "/courses?lang=%3Cscript%3Ealert(1)%3C/script%3E",
    ] {
        let response = app.get(hostile).await;
        assert_eq!(response.status(), 200, "{hostile}");
        let cookies: Vec<String> = response
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect();
        assert!(cookies.is_empty(), "{hostile} set {cookies:?}");
        let html = response.text().await.unwrap();
        assert!(
            !html.contains("<script>alert(1)"),
            "{hostile} reflected markup"
        );
    }
    // A flood of language ranges is read up to a bound, not choked on.
    let flood = vec!["x-klingon;q=0.9"; 5000].join(",") + ",en";
    let response = app
        .client
        .get(app.url("/courses"))
        .header(ACCEPT_LANGUAGE, flood)
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success() || response.status() == 431,
        "{}",
        response.status()
    );
}

async fn the_cache_never_serves_one_language_for_another(backend: Backend) {
    let app = spawn_app_with(
        backend,
        Options {
            page_cache_seconds: 60,
            ..Default::default()
        },
    )
    .await;
    // An attacker warms the cache in English for a URL many Chinese visitors open...
    for _ in 0..3 {
        let _ = app
            .client
            .get(app.url("/paths"))
            .header(ACCEPT_LANGUAGE, "en")
            .send()
            .await
            .unwrap();
    }
    // ...and they still get Chinese.
    let html = app
        .client
        .get(app.url("/paths"))
        .header(ACCEPT_LANGUAGE, "zh-CN")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<html lang=\"zh-CN\""), "{html}");
    assert!(html.contains("学习路线") && !html.contains("Learning paths"));
}

async fn next_cannot_lead_off_the_site(backend: Backend) {
    let app = spawn_app(backend).await;
    let student = app.student("mallory").await;
    for hostile in [
        "//evil.test/phish",
        "https://evil.test/phish",
        "/\\evil.test",
        "\\\\evil.test",
        "javascript:alert(1)",
        "/ok\r\nLocation: https://evil.test",
    ] {
        let response = app
            .client
            .post(app.url("/fn/accounts/login"))
            .header("origin", &app.address)
            .form(&[
                ("username", student.username.as_str()),
                ("password", crate::personas::PASSWORD),
                ("next", hostile),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()[LOCATION], "/account", "{hostile:?}");
    }
}

async fn a_switch_without_the_session_changes_no_profile(backend: Backend) {
    let app = spawn_app(backend).await;
    let victim = app.student("victim").await;
    let session = app.sign_in(&victim).await;
    let before: Option<String> = server::on_pool!(&app.db, pool => sqlx::query_scalar(
        "SELECT locale FROM users WHERE username = 'victim'").fetch_one(pool).await)
    .unwrap();
    // A forged or stale session cookie is nobody: the switch only sets the visitor's cookie.
    let forged = format!("{}x", session);
    let _ = app
        .client
        .get(app.url("/account?lang=en"))
        .header(COOKIE, forged)
        .send()
        .await
        .unwrap();
    let after: Option<String> = server::on_pool!(&app.db, pool => sqlx::query_scalar(
        "SELECT locale FROM users WHERE username = 'victim'").fetch_one(pool).await)
    .unwrap();
    assert_eq!(before, after);
}
