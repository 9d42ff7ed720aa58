//! The token endpoints and `/api/v1/users/me`, over HTTP.

use serde_json::json;

use crate::backend_tests;
use crate::helpers::{spawn_app, spawn_pair, Backend, TestApp};

backend_tests!(
    password_grant_issues_rs256_tokens_verifiable_with_jwks,
    wrong_credentials_and_bad_bodies_are_problems,
    refresh_rotates_and_revoke_ends_access,
    bad_tokens_are_refused,
    revocation_is_shared_through_redis,
);

async fn user(app: &TestApp, username: &str) {
    let hash = server::auth::password::hash_password("a long enough secret".into())
        .await
        .unwrap();
    let email = format!("{username}@example.com");
    let new = server::db::users::NewUser {
        username,
        email: &email,
        password_hash: Some(&hash),
        is_staff: false,
        is_superuser: false,
    };
    server::db::users::insert(&app.db, &new).await.unwrap();
}

async fn tokens(app: &TestApp, username: &str) -> serde_json::Value {
    let response = app
        .post_json(
            "/api/v1/auth/token",
            &json!({ "username": username, "password": "a long enough secret" }),
        )
        .await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn me(app: &TestApp, access: &str) -> reqwest::Response {
    app.client
        .get(app.url("/api/v1/users/me"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap()
}

async fn password_grant_issues_rs256_tokens_verifiable_with_jwks(backend: Backend) {
    let app = spawn_app(backend).await;
    user(&app, "ada").await;
    let pair = tokens(&app, "ada").await;
    assert_eq!(pair["token_type"], "Bearer");
    assert!(pair["expires_in"].as_u64().unwrap() > 0);
    let access = pair["access_token"].as_str().unwrap();

    let header = jsonwebtoken::decode_header(access).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::RS256);
    let jwks: serde_json::Value = app
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(jwks["keys"][0]["kid"], header.kid.clone().unwrap());
    assert_eq!(jwks["keys"][0]["alg"], "RS256");

    let response = me(&app, access).await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["username"], "ada");
    assert!(body.get("password_hash").is_none());
}

async fn wrong_credentials_and_bad_bodies_are_problems(backend: Backend) {
    let app = spawn_app(backend).await;
    user(&app, "bea").await;
    let wrong = app
        .post_json(
            "/api/v1/auth/token",
            &json!({ "username": "bea", "password": "nope nope nope" }),
        )
        .await;
    assert_eq!(wrong.status(), 401);
    assert_eq!(wrong.headers()["content-type"], "application/problem+json");
    assert_eq!(wrong.headers()["www-authenticate"], "Bearer");
    let body: serde_json::Value = wrong.json().await.unwrap();
    assert_eq!(body["status"], 401);

    let garbage = app
        .client
        .post(app.url("/api/v1/auth/token"))
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status(), 400);
    let not_json = app
        .client
        .post(app.url("/api/v1/auth/token"))
        .body("username=bea")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), 415);
    let extra = app
        .post_json(
            "/api/v1/auth/token",
            &json!({ "username": "bea", "password": "x", "admin": true }),
        )
        .await;
    assert_eq!(extra.status(), 422, "unknown fields are refused");
    let anonymous = app.get("/api/v1/users/me").await;
    assert_eq!(anonymous.status(), 401);
    assert_eq!(anonymous.headers()["www-authenticate"], "Bearer");
}

async fn refresh_rotates_and_revoke_ends_access(backend: Backend) {
    let app = spawn_app(backend).await;
    user(&app, "cal").await;
    let first = tokens(&app, "cal").await;
    let refreshed = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({ "refresh_token": first["refresh_token"] }),
        )
        .await;
    assert_eq!(refreshed.status(), 200);
    let second: serde_json::Value = refreshed.json().await.unwrap();
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    let replay = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({ "refresh_token": first["refresh_token"] }),
        )
        .await;
    assert_eq!(replay.status(), 401, "a spent refresh token is refused");
    let family = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({ "refresh_token": second["refresh_token"] }),
        )
        .await;
    assert_eq!(family.status(), 401, "reuse revoked the whole family");

    let third = tokens(&app, "cal").await;
    let access = third["access_token"].as_str().unwrap();
    assert_eq!(me(&app, access).await.status(), 200);
    let revoked = app
        .client
        .post(app.url("/api/v1/auth/revoke"))
        .bearer_auth(access)
        .json(&json!({ "refresh_token": third["refresh_token"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 204);
    assert_eq!(
        me(&app, access).await.status(),
        401,
        "a revoked access token is refused before it expires"
    );
}

async fn bad_tokens_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    user(&app, "dan").await;
    let good = tokens(&app, "dan").await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let mut parts: Vec<String> = good.split('.').map(String::from).collect();
    // alg: none, with the signature dropped.
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let none_header = b64.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let none_token = format!("{none_header}.{}.", parts[1]);
    // A tampered payload under the original signature.
    parts[1] = b64.encode(br#"{"sub":"1","aud":"xuecheng-api","exp":9999999999}"#);
    let tampered = parts.join(".");
    for token in [none_token.as_str(), tampered.as_str(), "not.a.jwt", ""] {
        assert_eq!(me(&app, token).await.status(), 401, "{token}");
    }
}

async fn revocation_is_shared_through_redis(backend: Backend) {
    let (one, two, prefix) = spawn_pair(backend).await;
    user(&one, "eve").await;
    let pair = tokens(&one, "eve").await;
    let access = pair["access_token"].as_str().unwrap();
    assert_eq!(
        me(&two, access).await.status(),
        200,
        "the other instance verifies with the same key"
    );
    let revoked = one
        .client
        .post(one.url("/api/v1/auth/revoke"))
        .bearer_auth(access)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 204);
    assert_eq!(
        me(&two, access).await.status(),
        401,
        "revoked everywhere at once"
    );
    // An instance started afterwards loads the revocation with the rest.
    let three = crate::helpers::spawn_peer(backend, &one, &prefix, Vec::new()).await;
    assert_eq!(
        me(&three, access).await.status(),
        401,
        "revoked for newcomers"
    );
    use base64::Engine;
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(access.split('.').nth(1).unwrap())
        .unwrap();
    let jti = serde_json::from_slice::<serde_json::Value>(&payload).unwrap()["jti"]
        .as_str()
        .unwrap()
        .to_string();
    let redis = server::redis::Redis::connect(&crate::helpers::redis_url())
        .await
        .unwrap();
    use fred::interfaces::SortedSetsInterface as _;
    let stored: Option<f64> = redis
        .pool()
        .zscore(format!("{prefix}{{revoked-jti}}"), &jti)
        .await
        .unwrap();
    assert!(stored.is_some(), "the revocation lives in Redis");
}
