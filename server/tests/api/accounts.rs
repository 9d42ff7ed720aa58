//! Registration, sign-in, sessions shared across instances, CSRF.

use crate::backend_tests;
use crate::helpers::{spawn_app, spawn_app_with, spawn_pair, Backend, Options, TestApp};

backend_tests!(
    register_signs_in_and_validates,
    login_by_username_or_email_with_one_answer_for_failures,
    login_rotates_the_session_id,
    csrf_refuses_cross_site_posts,
    sso_across_two_instances_sharing_redis,
    embedded_sessions_survive_a_restart,
    repeated_failures_are_throttled_before_hashing,
    throttling_is_shared_through_redis,
    changing_the_password_checks_the_old_one_and_rotates_the_session,
);

/// The `xc_session` cookie a response sets, as `name=value`.
pub(crate) fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("xc_session="))
        .map(|v| v.split(';').next().unwrap_or("").to_string())
}

pub(crate) async fn post_form(
    app: &TestApp,
    path: &str,
    cookie: Option<&str>,
    form: &[(&str, &str)],
) -> reqwest::Response {
    // A browser names the page's origin on every POST; so do we.
    let mut request = app
        .client
        .post(app.url(path))
        .header("origin", app.address.clone())
        .form(form);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    request.send().await.unwrap()
}

pub(crate) async fn me(app: &TestApp, cookie: &str) -> serde_json::Value {
    let response = app
        .client
        .post(app.url("/fn/accounts/me"))
        .header("cookie", cookie)
        .header("origin", app.address.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

pub(crate) async fn register(app: &TestApp, username: &str) -> String {
    let response = post_form(
        app,
        "/fn/accounts/register",
        None,
        &[
            ("username", username),
            ("email", &format!("{username}@example.com")),
            ("password", "a long enough secret"),
        ],
    )
    .await;
    assert!(
        response.status().is_success() || response.status().is_redirection(),
        "{}",
        response.status()
    );
    session_cookie(&response).expect("registration signs in")
}

async fn register_signs_in_and_validates(backend: Backend) {
    let app = spawn_app(backend).await;
    let cookie = register(&app, "alice").await;
    assert_eq!(me(&app, &cookie).await["username"], "alice");

    let bad = post_form(
        &app,
        "/fn/accounts/register",
        None,
        &[("username", "1x"), ("email", "nope"), ("password", "short")],
    )
    .await;
    assert_eq!(bad.status(), 422);
    let body: serde_json::Value = bad.json().await.unwrap();
    let fields: Vec<_> = body["Validation"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(fields, ["username", "email", "password"]);

    let taken = post_form(
        &app,
        "/fn/accounts/register",
        None,
        &[
            ("username", "ALICE"),
            ("email", "x@example.com"),
            ("password", "a long enough secret"),
        ],
    )
    .await;
    assert_eq!(taken.status(), 422);
    let body: serde_json::Value = taken.json().await.unwrap();
    assert_eq!(body["Validation"][0]["field"], "username");
}

async fn login_by_username_or_email_with_one_answer_for_failures(backend: Backend) {
    let app = spawn_app(backend).await;
    register(&app, "bob").await;
    for login in ["bob", "BOB@example.com"] {
        let ok = post_form(
            &app,
            "/fn/accounts/login",
            None,
            &[("username", login), ("password", "a long enough secret")],
        )
        .await;
        let cookie = session_cookie(&ok).unwrap_or_else(|| panic!("{login} signs in"));
        assert_eq!(me(&app, &cookie).await["username"], "bob");
    }
    let wrong = post_form(
        &app,
        "/fn/accounts/login",
        None,
        &[("username", "bob"), ("password", "not the password")],
    )
    .await;
    let unknown = post_form(
        &app,
        "/fn/accounts/login",
        None,
        &[("username", "nobody"), ("password", "not the password")],
    )
    .await;
    assert_eq!(wrong.status(), 422);
    assert_eq!(unknown.status(), 422);
    assert!(session_cookie(&wrong).is_none());
    assert_eq!(
        wrong.text().await.unwrap(),
        unknown.text().await.unwrap(),
        "no hint whether the user exists"
    );
}

async fn login_rotates_the_session_id(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = register(&app, "carol").await;
    let again = post_form(
        &app,
        "/fn/accounts/login",
        Some(&first),
        &[("username", "carol"), ("password", "a long enough secret")],
    )
    .await;
    let second = session_cookie(&again).expect("a new cookie");
    assert_ne!(first, second, "the session id changes at sign-in");
    assert_eq!(me(&app, &second).await["username"], "carol");
    assert_eq!(
        me(&app, &first).await,
        serde_json::Value::Null,
        "the old id is dead"
    );
}

async fn csrf_refuses_cross_site_posts(backend: Backend) {
    let app = spawn_app(backend).await;
    let cookie = register(&app, "dave").await;
    let forged = app
        .client
        .post(app.url("/fn/accounts/logout"))
        .header("cookie", &cookie)
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let no_origin = app
        .client
        .post(app.url("/fn/accounts/logout"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(
        no_origin.status(),
        403,
        "a cookie-bearing POST must name its origin"
    );
    assert_eq!(
        me(&app, &cookie).await["username"],
        "dave",
        "still signed in"
    );
    let own = app
        .client
        .post(app.url("/fn/accounts/logout"))
        .header("cookie", &cookie)
        .header("origin", app.address.clone())
        .send()
        .await
        .unwrap();
    assert!(own.status().is_success() || own.status().is_redirection());
    assert_eq!(me(&app, &cookie).await, serde_json::Value::Null);
}

async fn sso_across_two_instances_sharing_redis(backend: Backend) {
    let (one, two, _) = spawn_pair(backend).await;
    let cookie = register(&one, "erin").await;
    assert_eq!(
        me(&two, &cookie).await["username"],
        "erin",
        "signed in on the other instance"
    );
    let out = two
        .client
        .post(two.url("/fn/accounts/logout"))
        .header("cookie", &cookie)
        .header("origin", two.address.clone())
        .send()
        .await
        .unwrap();
    assert!(out.status().is_success() || out.status().is_redirection());
    assert_eq!(
        me(&one, &cookie).await,
        serde_json::Value::Null,
        "signed out on both"
    );
}

async fn embedded_sessions_survive_a_restart(backend: Backend) {
    let app = spawn_app(backend).await;
    let cookie = register(&app, "frank").await;
    let url = app.database_url.clone();
    let dir = app.stop_keeping_data().await;
    let again = spawn_app_with(
        backend,
        Options {
            seed_demo: false,
            database_url: Some(url),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        me(&again, &cookie).await["username"],
        "frank",
        "the database store kept the session"
    );
    drop(dir);
}

async fn fail_logins(app: &TestApp, username: &str, times: usize) {
    for _ in 0..times {
        let r = post_form(
            app,
            "/fn/accounts/login",
            None,
            &[("username", username), ("password", "not the password")],
        )
        .await;
        assert_eq!(r.status(), 422);
    }
}

async fn repeated_failures_are_throttled_before_hashing(backend: Backend) {
    let app = spawn_app(backend).await;
    register(&app, "grace").await;
    fail_logins(&app, "grace", 5).await;
    let blocked = post_form(
        &app,
        "/fn/accounts/login",
        None,
        &[("username", "grace"), ("password", "a long enough secret")],
    )
    .await;
    assert_eq!(blocked.status(), 429, "even the right password waits");
    let body: serde_json::Value = blocked.json().await.unwrap();
    let wait = body["RateLimited"]["retry_after_secs"].as_u64().unwrap();
    assert!((1..=900).contains(&wait), "{wait}");
    // Another account from the same address is not blocked by grace's counter.
    register(&app, "heidi").await;
    let other = post_form(
        &app,
        "/fn/accounts/login",
        None,
        &[("username", "heidi"), ("password", "a long enough secret")],
    )
    .await;
    assert!(session_cookie(&other).is_some());
}

async fn throttling_is_shared_through_redis(backend: Backend) {
    let (one, two, _) = spawn_pair(backend).await;
    register(&one, "ivan").await;
    fail_logins(&one, "ivan", 3).await;
    fail_logins(&two, "ivan", 2).await;
    let blocked = post_form(
        &one,
        "/fn/accounts/login",
        None,
        &[("username", "ivan"), ("password", "a long enough secret")],
    )
    .await;
    assert_eq!(blocked.status(), 429, "failures on both instances add up");
}

async fn changing_the_password_checks_the_old_one_and_rotates_the_session(backend: Backend) {
    let app = spawn_app(backend).await;
    let cookie = register(&app, "judy").await;
    let wrong = post_form(
        &app,
        "/fn/accounts/password",
        Some(&cookie),
        &[
            ("current_password", "not my password"),
            ("new_password", "a brand new passphrase"),
        ],
    )
    .await;
    assert_eq!(wrong.status(), 422);
    let body: serde_json::Value = wrong.json().await.unwrap();
    assert_eq!(body["Validation"][0]["field"], "current_password");
    let weak = post_form(
        &app,
        "/fn/accounts/password",
        Some(&cookie),
        &[
            ("current_password", "a long enough secret"),
            ("new_password", "short"),
        ],
    )
    .await;
    assert_eq!(weak.status(), 422);
    let anonymous = post_form(
        &app,
        "/fn/accounts/password",
        None,
        &[
            ("current_password", "x"),
            ("new_password", "a brand new passphrase"),
        ],
    )
    .await;
    assert_eq!(anonymous.status(), 401);

    let ok = post_form(
        &app,
        "/fn/accounts/password",
        Some(&cookie),
        &[
            ("current_password", "a long enough secret"),
            ("new_password", "a brand new passphrase"),
        ],
    )
    .await;
    assert_eq!(ok.status(), 200);
    let rotated = session_cookie(&ok).expect("a new session id");
    assert_ne!(rotated, cookie);
    assert_eq!(me(&app, &rotated).await["username"], "judy");
    let old = post_form(
        &app,
        "/fn/accounts/login",
        None,
        &[("username", "judy"), ("password", "a long enough secret")],
    )
    .await;
    assert_eq!(old.status(), 422, "the old password no longer works");
    let new = post_form(
        &app,
        "/fn/accounts/login",
        None,
        &[("username", "judy"), ("password", "a brand new passphrase")],
    )
    .await;
    assert!(session_cookie(&new).is_some());
}
