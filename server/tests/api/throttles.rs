//! Limits that need many requests to show: the per-address sign-in limit (one address guessing
//! at many accounts) and the API's `auth` budget (`API_THROTTLE_AUTH`), apart from the others.

use reqwest::Method;
use serde_json::json;

use crate::accounts::{register, session_cookie};
use crate::backend_tests;
use crate::helpers::{spawn_app_with, Backend, Options, TestApp};
use crate::rest_support::{assert_problem, call, send};

backend_tests!(
    one_address_guessing_at_many_accounts_is_stopped,
    the_api_sign_in_routes_have_their_own_budget,
);

/// A sign-in from `client` (the app trusts the loopback proxy, so this is the caller's address).
async fn login_from(
    app: &TestApp,
    client: &str,
    username: &str,
    password: &str,
) -> reqwest::Response {
    app.client
        .post(app.url("/fn/accounts/login"))
        .header("origin", app.address.clone())
        .header("x-forwarded-for", client)
        .form(&[("username", username), ("password", password)])
        .send()
        .await
        .unwrap()
}

async fn one_address_guessing_at_many_accounts_is_stopped(backend: Backend) {
    let app = spawn_app_with(
        backend,
        Options {
            seed_demo: false,
            extra: vec![("TRUSTED_PROXIES", "127.0.0.0/8, ::1".into())],
            ..Default::default()
        },
    )
    .await;
    register(&app, "victor").await;
    let limit = server::accounts::throttle::IP_LIMIT;
    let per_account = server::accounts::throttle::ACCOUNT_LIMIT;
    assert!(per_account > 1, "each account below its own limit");
    // One wrong guess at each of `limit` accounts: no account reaches its own limit.
    for n in 0..limit {
        let r = login_from(
            &app,
            "203.0.113.9",
            &format!("guess{n}"),
            "not the password",
        )
        .await;
        assert_eq!(r.status(), 422, "guess {n}");
    }
    let blocked = login_from(&app, "203.0.113.9", "victor", "a long enough secret").await;
    assert_eq!(
        blocked.status(),
        429,
        "the address is out of tries, even for a right password"
    );
    // Another address, the same account: signs in (the account's own counter is untouched).
    let other = login_from(&app, "198.51.100.4", "victor", "a long enough secret").await;
    assert!(
        session_cookie(&other).is_some(),
        "another address: {}",
        other.status()
    );
}

async fn the_api_sign_in_routes_have_their_own_budget(backend: Backend) {
    let app = spawn_app_with(
        backend,
        Options {
            seed_demo: false,
            extra: vec![
                ("API_THROTTLE_AUTH", "2/min".into()),
                ("API_THROTTLE_ANON", "50/min".into()),
            ],
            ..Default::default()
        },
    )
    .await;
    let wrong = json!({"username": "nobody", "password": "not the password"});
    for remaining in ["1", "0"] {
        let (s, _, h) =
            send(call(&app, Method::POST, "/api/v1/auth/token", None).json(&wrong)).await;
        assert_eq!(s, 401);
        assert_eq!(h["x-ratelimit-limit"], "2");
        assert_eq!(h["x-ratelimit-remaining"], remaining);
    }
    // The budget covers every sign-in route, not one path.
    let (s, b, h) = send(
        call(&app, Method::POST, "/api/v1/auth/refresh", None)
            .json(&json!({"refresh_token": "nonsense"})),
    )
    .await;
    assert_problem(s, &b, &h, 429);
    let (s, b, h) = send(
        call(&app, Method::POST, "/api/v1/auth/password-reset", None)
            .json(&json!({"email": "a@example.com"})),
    )
    .await;
    assert_problem(s, &b, &h, 429);
    // Reading the catalogue spends the anonymous budget, which is untouched.
    let (s, _, h) = send(call(&app, Method::GET, "/api/v1/directions", None)).await;
    assert_eq!(s, 200);
    assert_eq!(h["x-ratelimit-limit"], "50");
    assert_eq!(h["x-ratelimit-remaining"], "49");
}
