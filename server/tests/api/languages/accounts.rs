//! What is said to a person in their language: field errors and problem+json, the profile's
//! language on a new device, mails; and the back office's way to sign in and back.

use base64::Engine;
use reqwest::header::{ACCEPT_LANGUAGE, COOKIE, LOCATION, SET_COOKIE};

use super::{html_lang, page};
use crate::backend_tests;
use crate::fake_smtp::FakeSmtp;
use crate::helpers::{spawn_app, spawn_app_with, Backend, Options, TestApp};

backend_tests!(
    errors_speak_the_request_language,
    a_signed_in_choice_follows_the_user_to_a_new_device,
    mails_are_in_the_users_language,
    anonymous_back_office_visitors_are_sent_to_sign_in_and_back,
);

async fn errors_speak_the_request_language(backend: Backend) {
    let app = spawn_app(backend).await;
    let problem = |lang: &'static str| {
        let app = &app;
        async move {
            let response = app
                .client
                .get(app.url("/api/v1/courses/999999"))
                .header(ACCEPT_LANGUAGE, lang)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 404);
            assert_eq!(
                response.headers()["content-type"],
                "application/problem+json"
            );
            response.json::<serde_json::Value>().await.unwrap()
        }
    };
    let en = problem("en").await;
    assert_eq!(en["title"], "Not Found");
    assert_eq!(en["type"], "https://xuecheng.dev/problems/not-found");
    let zh = problem("zh-CN").await;
    assert_eq!(zh["title"], "找不到");
    // The `type` is for programs: the same in every language.
    assert_eq!(zh["type"], en["type"]);
    assert!(zh["detail"].as_str().unwrap().starts_with("找不到"), "{zh}");

    // A field message from the form rules, through a server function.
    let register = |lang: &'static str| {
        let app = &app;
        async move {
            let response = app
                .client
                .post(app.url("/fn/accounts/register"))
                .header("origin", &app.address)
                .header("accept", "application/json")
                .header(ACCEPT_LANGUAGE, lang)
                .form(&[
                    ("username", "ok_name"),
                    ("email", "not-an-address"),
                    ("password", "a long enough passphrase"),
                ])
                .send()
                .await
                .unwrap();
            response.text().await.unwrap()
        }
    };
    let en = register("en").await;
    assert!(en.contains("not a valid e-mail address"), "{en}");
    let zh = register("zh-CN").await;
    assert!(zh.contains("不是有效的电子邮件地址"), "{zh}");
    assert!(!zh.contains("not a valid e-mail address"), "{zh}");
}

async fn register(app: &TestApp, name: &str, lang: &str) -> String {
    let response = app
        .client
        .post(app.url("/fn/accounts/register"))
        .header("origin", &app.address)
        .header(ACCEPT_LANGUAGE, lang)
        .form(&[
            ("username", name),
            ("email", &format!("{name}@example.com")),
            ("password", "a long enough passphrase"),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success() || response.status().is_redirection(),
        "{}",
        response.status()
    );
    crate::accounts::session_cookie(&response).expect("registering signs in")
}

async fn stored_locale(app: &TestApp, name: &str) -> Option<String> {
    server::on_pool!(&app.db, pool => sqlx::query_scalar(
        "SELECT locale FROM users WHERE username = $1")
        .bind(name).fetch_one(pool).await)
    .unwrap()
}

async fn a_signed_in_choice_follows_the_user_to_a_new_device(backend: Backend) {
    let app = spawn_app(backend).await;
    let session = register(&app, "lin", "en").await;
    // Registering in English keeps English in the profile.
    assert_eq!(stored_locale(&app, "lin").await.as_deref(), Some("en"));
    // The switch, signed in: the profile follows.
    let switched = page(
        &app,
        "/account?lang=zh-CN",
        &[("cookie", &session), ("accept-language", "en")],
    )
    .await;
    assert_eq!(switched.status(), 200);
    assert_eq!(stored_locale(&app, "lin").await.as_deref(), Some("zh-CN"));

    // Another browser (no language cookie, an English header) signs in: Chinese, from the
    // profile, and the cookie that keeps it so.
    let other_device = app.sign_in_with("lin", "a long enough passphrase").await;
    let first = page(
        &app,
        "/account",
        &[("cookie", &other_device), ("accept-language", "en")],
    )
    .await;
    let set: Vec<String> = first
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    assert!(
        set.iter().any(|c| c.starts_with("xc_locale=zh-CN;")),
        "{set:?}"
    );
    assert_eq!(html_lang(&first.text().await.unwrap()), "zh-CN");
    // An anonymous visitor's switch touches no profile.
    let _ = page(&app, "/?lang=en", &[]).await;
    assert_eq!(stored_locale(&app, "lin").await.as_deref(), Some("zh-CN"));
}

/// The subject of a raw mail, RFC 2047 encoded words decoded.
fn subject(data: &str) -> String {
    let line = data
        .lines()
        .skip_while(|l| !l.to_ascii_lowercase().starts_with("subject:"))
        .enumerate()
        .take_while(|(i, l)| *i == 0 || l.starts_with(' ') || l.starts_with('\t'))
        .map(|(_, l)| l.trim())
        .collect::<Vec<_>>()
        .join(" ");
    let value = line.split_once(':').map_or("", |(_, v)| v.trim());
    value
        .split_whitespace()
        .map(|word| {
            let inner = word
                .strip_prefix("=?utf-8?b?")
                .or(word.strip_prefix("=?UTF-8?B?"));
            match inner.and_then(|w| w.strip_suffix("?=")) {
                Some(b64) => String::from_utf8(
                    base64::engine::general_purpose::STANDARD
                        .decode(b64)
                        .unwrap(),
                )
                .unwrap(),
                None => format!("{word} "),
            }
        })
        .collect::<String>()
        .trim()
        .to_string()
}

async fn mails_are_in_the_users_language(backend: Backend) {
    let mut smtp = FakeSmtp::start().await;
    let app = spawn_app_with(
        backend,
        Options {
            seed_demo: false,
            extra: vec![("SMTP_URL", smtp.url.clone())],
            ..Default::default()
        },
    )
    .await;
    // Registered in Chinese: the verification mail is Chinese whatever language asks later.
    register(&app, "mei", "zh-CN").await;
    let verify = smtp.next_to("mei@example.com").await;
    assert_eq!(
        subject(&verify.data),
        "学城：确认你的邮箱地址",
        "{}",
        verify.data
    );
    let reset = app
        .client
        .post(app.url("/api/v1/auth/password-reset"))
        .header(ACCEPT_LANGUAGE, "en")
        .json(&serde_json::json!({"email": "mei@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 202);
    let mail = smtp.next_to("mei@example.com").await;
    assert_eq!(subject(&mail.data), "学城：重置密码");

    // An account without a language yet (made by staff or a script): the request's language.
    crate::jobs::user(&app, "ann").await;
    let reset = app
        .client
        .post(app.url("/api/v1/auth/password-reset"))
        .header(ACCEPT_LANGUAGE, "en-US")
        .json(&serde_json::json!({"email": "ann@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 202);
    let mail = smtp.next_to("ann@example.com").await;
    assert_eq!(subject(&mail.data), "Xuecheng: reset your password");
    assert!(
        mail.data.contains("If you did not ask for this"),
        "{}",
        mail.data
    );
}

async fn anonymous_back_office_visitors_are_sent_to_sign_in_and_back(backend: Backend) {
    let app = spawn_app(backend).await;
    for (path, next) in [
        ("/admin", "%2Fadmin"),
        ("/admin/courses?page=2", "%2Fadmin%2Fcourses%3Fpage%3D2"),
    ] {
        let response = page(&app, path, &[]).await;
        assert_eq!(response.status(), 303, "{path}");
        assert_eq!(response.headers()[LOCATION], format!("/login?next={next}"));
    }
    // The sign-in page carries the way back in its form, also before (or without) JavaScript.
    let login = page(&app, "/login?next=%2Fadmin", &[])
        .await
        .text()
        .await
        .unwrap();
    assert!(login.contains(r#"name="next" value="/admin""#), "{login}");
    // Signing in from that page goes back to where the visitor was going.
    let root = app.superuser().await;
    let response = app
        .client
        .post(app.url("/fn/accounts/login"))
        .header("origin", &app.address)
        .form(&[
            ("username", root.username.as_str()),
            ("password", crate::personas::PASSWORD),
            ("next", "/admin/courses?page=2"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()[LOCATION], "/admin/courses?page=2");
    let session = crate::accounts::session_cookie(&response).unwrap();
    let admin = page(&app, "/admin", &[("cookie", &session)]).await;
    assert_eq!(admin.status(), 200);
    // A `next` leading off the site is ignored.
    for hostile in ["//evil.test/x", "https://evil.test", "/\\evil.test"] {
        let response = app
            .client
            .post(app.url("/fn/accounts/login"))
            .header("origin", &app.address)
            .form(&[
                ("username", root.username.as_str()),
                ("password", crate::personas::PASSWORD),
                ("next", hostile),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()[LOCATION], "/account", "{hostile}");
    }
    // Signed in without staff rights: the page's own refusal, not a loop back to sign-in.
    let student = app.student("sam").await;
    let cookie = app.sign_in(&student).await;
    let refused = app
        .client
        .get(app.url("/admin"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_ne!(refused.status(), 303);
}
