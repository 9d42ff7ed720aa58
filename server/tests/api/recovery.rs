//! Password reset and e-mail verification by mailed one-time links (delivered over real SMTP to
//! a fake server), and the profile.

use crate::accounts::{me, post_form, register, session_cookie};
use crate::backend_tests;
use crate::fake_smtp::FakeSmtp;
use crate::helpers::{spawn_app_with, Backend, Options, TestApp};

backend_tests!(
    password_reset_by_mailed_link_ends_every_session,
    reset_answers_the_same_for_unknown_addresses_and_is_throttled,
    email_verification_and_profile_changes,
    a_reset_drops_identities_bound_before_the_address_was_verified,
    links_mailed_to_a_replaced_address_stop_working,
    the_api_queues_reset_mail_with_202,
    links_live_one_hour_or_one_day_and_are_refused_after,
    a_reset_ends_the_accounts_refresh_tokens,
);

async fn app_with_mail(backend: Backend) -> (TestApp, FakeSmtp) {
    let smtp = FakeSmtp::start().await;
    let app = spawn_app_with(
        backend,
        Options {
            extra: vec![
                ("SMTP_URL", smtp.url.clone()),
                ("MAIL_FROM", "Xuecheng <no-reply@xuecheng.test>".into()),
            ],
            ..Default::default()
        },
    )
    .await;
    (app, smtp)
}

async fn post(
    app: &TestApp,
    path: &str,
    cookie: Option<&str>,
    form: &[(&str, &str)],
) -> (u16, serde_json::Value) {
    let response = post_form(app, path, cookie, form).await;
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
    )
}

async fn sign_in(app: &TestApp, login: &str, password: &str) -> Option<String> {
    let response = post_form(
        app,
        "/fn/accounts/login",
        None,
        &[("username", login), ("password", password)],
    )
    .await;
    session_cookie(&response)
}

async fn password_reset_by_mailed_link_ends_every_session(backend: Backend) {
    let (app, mut smtp) = app_with_mail(backend).await;
    let first = register(&app, "nora").await;
    let welcome = smtp.next_to("nora@example.com").await;
    assert_eq!(welcome.link_path(), "/verify-email");
    let second = sign_in(&app, "nora", "a long enough secret").await.unwrap();

    let (status, _) = post(
        &app,
        "/fn/accounts/password/forgot",
        None,
        &[("email", "NORA@example.com")],
    )
    .await;
    assert_eq!(status, 200);
    let mail = smtp.next_to("nora@example.com").await;
    assert_eq!(mail.link_path(), "/password/reset");
    assert!(mail.data.contains("reset your password"));
    let token = mail.token();
    assert_eq!(token.len(), 64);

    // The policy is checked before the token is spent.
    let (status, body) = post(
        &app,
        "/fn/accounts/password/reset",
        None,
        &[("token", &token), ("password", "short")],
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("password"));
    let (status, _) = post(
        &app,
        "/fn/accounts/password/reset",
        None,
        &[("token", "0bad"), ("password", "a brand new passphrase")],
    )
    .await;
    assert_eq!(status, 400);

    let (status, body) = post(
        &app,
        "/fn/accounts/password/reset",
        None,
        &[("token", &token), ("password", "a brand new passphrase")],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    for cookie in [&first, &second] {
        assert_eq!(
            me(&app, cookie).await,
            serde_json::Value::Null,
            "every session ended"
        );
    }
    assert!(
        sign_in(&app, "nora", "a long enough secret")
            .await
            .is_none(),
        "old password refused"
    );
    let fresh = sign_in(&app, "nora", "a brand new passphrase")
        .await
        .expect("new password works");
    assert_eq!(me(&app, &fresh).await["username"], "nora");

    let (status, _) = post(
        &app,
        "/fn/accounts/password/reset",
        None,
        &[("token", &token), ("password", "yet another passphrase")],
    )
    .await;
    assert_eq!(status, 400, "single use");
}

async fn reset_answers_the_same_for_unknown_addresses_and_is_throttled(backend: Backend) {
    let (app, mut smtp) = app_with_mail(backend).await;
    let _ = register(&app, "oscar").await;
    let _ = smtp.next_to("oscar@example.com").await;
    let known = post(
        &app,
        "/fn/accounts/password/forgot",
        None,
        &[("email", "oscar@example.com")],
    )
    .await;
    let unknown = post(
        &app,
        "/fn/accounts/password/forgot",
        None,
        &[("email", "nobody@example.com")],
    )
    .await;
    assert_eq!(known, unknown, "no hint whether the account exists");
    let reset = smtp.next_to("oscar@example.com").await;
    assert_eq!(reset.link_path(), "/password/reset");
    // Nothing went to the unknown address: a later mail arrives with none before or beside it.
    let _ = register(&app, "olive").await;
    smtp.next_to("olive@example.com").await;
    smtp.assert_nothing_else();

    let (status, body) = post(
        &app,
        "/fn/accounts/password/forgot",
        None,
        &[("email", "not an address")],
    )
    .await;
    assert_eq!(status, 422, "{body}");

    let mut last = 0;
    for _ in 0..6 {
        last = post(
            &app,
            "/fn/accounts/password/forgot",
            None,
            &[("email", "oscar@example.com")],
        )
        .await
        .0;
    }
    assert_eq!(last, 429, "reset mails are throttled per address");
}

async fn email_verification_and_profile_changes(backend: Backend) {
    let (app, mut smtp) = app_with_mail(backend).await;
    let cookie = register(&app, "piper").await;
    assert_eq!(me(&app, &cookie).await["email_verified"], false);
    let token = smtp.next_to("piper@example.com").await.token();
    let (status, _) = post(
        &app,
        "/fn/accounts/verify-email",
        None,
        &[("token", &token)],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(me(&app, &cookie).await["email_verified"], true);
    let (status, _) = post(
        &app,
        "/fn/accounts/verify-email",
        None,
        &[("token", &token)],
    )
    .await;
    assert_eq!(status, 400, "single use");

    // Bad values are reported beside their fields.
    let long_bio = "x".repeat(1001);
    let (status, body) = post(
        &app,
        "/fn/accounts/profile/update",
        Some(&cookie),
        &[
            ("nickname", "Pip"),
            ("avatar_url", "javascript:alert(1)"),
            ("bio", &long_bio),
            ("email", "piper@example.com"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    let text = body.to_string();
    assert!(
        text.contains("avatar_url") && text.contains("bio"),
        "{text}"
    );

    // Without a session: 401.
    let (status, _) = post(&app, "/fn/accounts/profile", None, &[]).await;
    assert_eq!(status, 401);

    let (status, body) = post(
        &app,
        "/fn/accounts/profile/update",
        Some(&cookie),
        &[
            ("nickname", "Pip"),
            ("avatar_url", "https://img.example.com/p.png"),
            ("bio", "Rust learner"),
            ("email", "piper@example.com"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["nickname"], "Pip");
    assert_eq!(body["email_verified"], true, "same address stays verified");

    // A new address must be verified again, and the session id rotates.
    let (status, body) = post(
        &app,
        "/fn/accounts/profile/update",
        Some(&cookie),
        &[
            ("nickname", "Pip"),
            ("avatar_url", ""),
            ("bio", ""),
            ("email", "pip@example.org"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["email_verified"], false);
    // The first mail since the verification: the unchanged address above was sent nothing.
    let mail = smtp.next_to("pip@example.org").await;
    assert_eq!(mail.link_path(), "/verify-email");
    smtp.assert_nothing_else();
    let response = app
        .client
        .post(app.url("/fn/accounts/me"))
        .header("cookie", &cookie)
        .header("origin", app.address.clone())
        .send()
        .await
        .unwrap();
    let rotated = session_cookie(&response).expect("a new session id after the e-mail change");
    assert_ne!(rotated, cookie);
    assert_eq!(me(&app, &rotated).await["email"], "pip@example.org");

    let other = register(&app, "quinn").await;
    let _ = smtp.next().await;
    let (status, body) = post(
        &app,
        "/fn/accounts/profile/update",
        Some(&other),
        &[
            ("nickname", ""),
            ("avatar_url", ""),
            ("bio", ""),
            ("email", "pip@example.org"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("another account"));
}

/// Account pre-hijacking: an account opened through a provider under someone else's address
/// must not keep that provider's sign-in once the address's owner resets the password.
async fn a_reset_drops_identities_bound_before_the_address_was_verified(backend: Backend) {
    use server::db::{oauth, users};
    let (app, mut smtp) = app_with_mail(backend).await;
    let identity = |subject: &'static str| oauth::NewIdentity {
        provider: "github",
        subject,
        openid: subject,
        unionid: None,
        display_name: subject,
        avatar_url: None,
    };
    let account = |username: &'static str, email: &'static str| users::NewUser {
        username,
        email,
        password_hash: None,
        is_staff: false,
        is_superuser: false,
    };
    // Opened by someone else, through a provider, under the victim's unverified address.
    let hijacked = users::insert(&app.db, &account("victim", "victim@example.com"))
        .await
        .unwrap();
    oauth::insert(&app.db, hijacked, &identity("gh-attacker"))
        .await
        .unwrap();
    // A verified account keeps its identities through a reset.
    let verified = users::insert(&app.db, &account("owner", "owner@example.com"))
        .await
        .unwrap();
    users::set_email_verified(&app.db, verified, chrono::Utc::now())
        .await
        .unwrap();
    oauth::insert(&app.db, verified, &identity("gh-owner"))
        .await
        .unwrap();

    for email in ["victim@example.com", "owner@example.com"] {
        let (status, _) = post(
            &app,
            "/fn/accounts/password/forgot",
            None,
            &[("email", email)],
        )
        .await;
        assert_eq!(status, 200);
        let token = smtp.next_to(email).await.token();
        let (status, body) = post(
            &app,
            "/fn/accounts/password/reset",
            None,
            &[("token", &token), ("password", "a fresh reset passphrase")],
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }

    assert!(
        oauth::list_for_user(&app.db, hijacked)
            .await
            .unwrap()
            .is_empty(),
        "the provider identity bound before verification is gone"
    );
    let victim = users::find_by_id(&app.db, hijacked).await.unwrap().unwrap();
    assert!(
        victim.email_verified_at.is_some(),
        "the link proved the mailbox"
    );
    assert_eq!(
        oauth::list_for_user(&app.db, verified).await.unwrap().len(),
        1
    );
    let audited: i64 = server::on_pool!(&app.db, pool => sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE object_type = 'user' AND object_id = $1 AND changes LIKE '%github%'")
        .bind(hijacked.to_string()).fetch_one(pool).await)
    .unwrap();
    assert_eq!(audited, 1, "the removal is in the audit log");
}

/// A reset link marks the current address verified, so one mailed to an address the account
/// has since left must not work (it would vouch for an address nobody proved).
async fn links_mailed_to_a_replaced_address_stop_working(backend: Backend) {
    let (app, mut smtp) = app_with_mail(backend).await;
    let cookie = register(&app, "quinn").await;
    let verify_old = smtp.next_to("quinn@example.com").await.token();
    let (status, _) = post(
        &app,
        "/fn/accounts/password/forgot",
        None,
        &[("email", "quinn@example.com")],
    )
    .await;
    assert_eq!(status, 200);
    let reset_old = smtp.next_to("quinn@example.com").await.token();
    let (status, body) = post(
        &app,
        "/fn/accounts/profile/update",
        Some(&cookie),
        &[
            ("nickname", "Quinn"),
            ("avatar_url", ""),
            ("bio", ""),
            ("email", "someone.else@example.com"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = post(
        &app,
        "/fn/accounts/password/reset",
        None,
        &[
            ("token", &reset_old),
            ("password", "a brand new passphrase"),
        ],
    )
    .await;
    assert_eq!(status, 400, "the old address's reset link is retired");
    let (status, _) = post(
        &app,
        "/fn/accounts/verify-email",
        None,
        &[("token", &verify_old)],
    )
    .await;
    assert_eq!(
        status, 400,
        "the old address's verification link is retired"
    );
}

/// `POST /api/v1/auth/password-reset`: the mail is queued (202), the answer is the same for an
/// unknown address, and a bad address is a 422 problem.
async fn the_api_queues_reset_mail_with_202(backend: Backend) {
    let (app, mut smtp) = app_with_mail(backend).await;
    register(&app, "rowan").await;
    let _welcome = smtp.next_to("rowan@example.com").await;
    let known = app
        .post_json(
            "/api/v1/auth/password-reset",
            &serde_json::json!({"email": "rowan@example.com"}),
        )
        .await;
    assert_eq!(known.status(), 202);
    let known_body: serde_json::Value = known.json().await.unwrap();
    assert_eq!(
        smtp.next_to("rowan@example.com").await.link_path(),
        "/password/reset"
    );
    let unknown = app
        .post_json(
            "/api/v1/auth/password-reset",
            &serde_json::json!({"email": "nobody@example.com"}),
        )
        .await;
    assert_eq!(unknown.status(), 202);
    let unknown_body: serde_json::Value = unknown.json().await.unwrap();
    assert_eq!(
        known_body, unknown_body,
        "no hint whether the account exists"
    );
    let bad = app
        .post_json(
            "/api/v1/auth/password-reset",
            &serde_json::json!({"email": "not an address"}),
        )
        .await;
    assert_eq!(bad.status(), 422);
    assert_eq!(
        bad.headers()["content-type"].to_str().unwrap(),
        "application/problem+json"
    );
}

/// The stored lifetime of the token in `mail`, and a way to make it lapse without waiting.
async fn lifetime(app: &TestApp, token: &str) -> chrono::TimeDelta {
    let hash = server::accounts::links::hash_token(token);
    let (created, expires): (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) =
        server::on_pool!(&app.db, pool => sqlx::query_as(
            "SELECT created_at, expires_at FROM email_tokens WHERE token_hash = $1")
            .bind(&hash).fetch_one(pool).await)
        .unwrap();
    expires - created
}

async fn lapse(app: &TestApp, token: &str) {
    let hash = server::accounts::links::hash_token(token);
    let past = chrono::Utc::now() - chrono::TimeDelta::seconds(1);
    let changed = server::on_pool!(&app.db, pool => sqlx::query(
        "UPDATE email_tokens SET expires_at = $1 WHERE token_hash = $2")
        .bind(past).bind(&hash).execute(pool).await.map(|r| r.rows_affected()))
    .unwrap();
    assert_eq!(changed, 1);
}

fn about(actual: chrono::TimeDelta, expected: chrono::TimeDelta) -> bool {
    (actual - expected).num_seconds().abs() <= 5
}

/// A verification link lives 24 hours and a reset link one hour; past that, each is refused
/// (and spends nothing: the password and the verification stay as they were).
async fn links_live_one_hour_or_one_day_and_are_refused_after(backend: Backend) {
    let (app, mut smtp) = app_with_mail(backend).await;
    let cookie = register(&app, "tess").await;
    let verify = smtp.next_to("tess@example.com").await.token();
    let (status, _) = post(
        &app,
        "/fn/accounts/password/forgot",
        None,
        &[("email", "tess@example.com")],
    )
    .await;
    assert_eq!(status, 200);
    let reset = smtp.next_to("tess@example.com").await.token();
    let day = lifetime(&app, &verify).await;
    assert!(about(day, chrono::TimeDelta::hours(24)), "{day}");
    let hour = lifetime(&app, &reset).await;
    assert!(about(hour, chrono::TimeDelta::hours(1)), "{hour}");

    lapse(&app, &verify).await;
    lapse(&app, &reset).await;
    let (status, _) = post(
        &app,
        "/fn/accounts/verify-email",
        None,
        &[("token", &verify)],
    )
    .await;
    assert_eq!(status, 400, "an expired verification link");
    assert_eq!(me(&app, &cookie).await["email_verified"], false);
    let (status, _) = post(
        &app,
        "/fn/accounts/password/reset",
        None,
        &[("token", &reset), ("password", "a brand new passphrase")],
    )
    .await;
    assert_eq!(status, 400, "an expired reset link");
    assert!(sign_in(&app, "tess", "a long enough secret")
        .await
        .is_some());
    assert!(sign_in(&app, "tess", "a brand new passphrase")
        .await
        .is_none());
}

/// A reset ends the API's refresh tokens too: a stolen one must not outlive the password.
async fn a_reset_ends_the_accounts_refresh_tokens(backend: Backend) {
    let (app, mut smtp) = app_with_mail(backend).await;
    register(&app, "uma").await;
    smtp.next_to("uma@example.com").await;
    let grant = |password: &'static str| {
        let app = &app;
        async move {
            let response = app
                .post_json(
                    "/api/v1/auth/token",
                    &serde_json::json!({"username": "uma", "password": password}),
                )
                .await;
            assert_eq!(response.status(), 200);
            response.json::<serde_json::Value>().await.unwrap()
        }
    };
    let refresh = |pair: serde_json::Value| {
        let app = &app;
        async move {
            app.post_json(
                "/api/v1/auth/refresh",
                &serde_json::json!({"refresh_token": pair["refresh_token"]}),
            )
            .await
            .status()
        }
    };
    let before = grant("a long enough secret").await;
    let (status, _) = post(
        &app,
        "/fn/accounts/password/forgot",
        None,
        &[("email", "uma@example.com")],
    )
    .await;
    assert_eq!(status, 200);
    let token = smtp.next_to("uma@example.com").await.token();
    let (status, body) = post(
        &app,
        "/fn/accounts/password/reset",
        None,
        &[("token", &token), ("password", "a brand new passphrase")],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(refresh(before).await, 401, "issued before the reset");
    let after = grant("a brand new passphrase").await;
    assert_eq!(refresh(after).await, 200, "issued after the reset");
}
