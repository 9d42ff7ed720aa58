//! The token endpoints and `/api/v1/users/me`, over HTTP.

use reqwest::header::HeaderMap;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::{spawn_app, spawn_pair, Backend, TestApp};
use crate::rest_support::send;

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

/// A JSON POST without an `Origin` (a server-side client), checked against the document.
async fn post(app: &TestApp, path: &str, body: &Value) -> (u16, Value, HeaderMap) {
    send(app.client.post(app.url(path)).json(body)).await
}

async fn tokens(app: &TestApp, username: &str) -> Value {
    let body = json!({ "username": username, "password": "a long enough secret" });
    let (status, pair, _) = post(app, "/api/v1/auth/token", &body).await;
    assert_eq!(status, 200, "{pair}");
    pair
}

/// `GET /api/v1/users/me` with this token: the status and the body.
async fn me(app: &TestApp, access: &str) -> (u16, Value) {
    let (status, body, _) = send(
        app.client
            .get(app.url("/api/v1/users/me"))
            .bearer_auth(access),
    )
    .await;
    (status, body)
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
    let (_, jwks, _) = send(app.client.get(app.url("/.well-known/jwks.json"))).await;
    assert_eq!(jwks["keys"][0]["kid"], header.kid.clone().unwrap());
    assert_eq!(jwks["keys"][0]["alg"], "RS256");

    let (status, body) = me(&app, access).await;
    assert_eq!(status, 200);
    assert_eq!(body["username"], "ada");
    assert!(body.get("password_hash").is_none());
}

async fn wrong_credentials_and_bad_bodies_are_problems(backend: Backend) {
    let app = spawn_app(backend).await;
    user(&app, "bea").await;
    let wrong = json!({ "username": "bea", "password": "nope nope nope" });
    let (status, body, headers) = post(&app, "/api/v1/auth/token", &wrong).await;
    assert_eq!(status, 401);
    assert_eq!(headers["content-type"], "application/problem+json");
    assert_eq!(headers["www-authenticate"], "Bearer");
    assert_eq!(body["status"], 401);

    let token_url = app.url("/api/v1/auth/token");
    let (status, _, _) = send(
        app.client
            .post(&token_url)
            .header("content-type", "application/json")
            .body("{"),
    )
    .await;
    assert_eq!(status, 400);
    let (status, _, _) = send(app.client.post(&token_url).body("username=bea")).await;
    assert_eq!(status, 415);
    let extra = json!({ "username": "bea", "password": "x", "admin": true });
    let (status, _, _) = post(&app, "/api/v1/auth/token", &extra).await;
    assert_eq!(status, 422, "unknown fields are refused");
    let (status, _, headers) = send(app.client.get(app.url("/api/v1/users/me"))).await;
    assert_eq!(status, 401);
    assert_eq!(headers["www-authenticate"], "Bearer");
}

async fn refresh_rotates_and_revoke_ends_access(backend: Backend) {
    let app = spawn_app(backend).await;
    user(&app, "cal").await;
    let first = tokens(&app, "cal").await;
    let refresh = |pair: &Value| json!({ "refresh_token": pair["refresh_token"] });
    let (status, second, _) = post(&app, "/api/v1/auth/refresh", &refresh(&first)).await;
    assert_eq!(status, 200);
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    let (replay, _, _) = post(&app, "/api/v1/auth/refresh", &refresh(&first)).await;
    assert_eq!(replay, 401, "a spent refresh token is refused");
    let (family, _, _) = post(&app, "/api/v1/auth/refresh", &refresh(&second)).await;
    assert_eq!(family, 401, "reuse revoked the whole family");

    let third = tokens(&app, "cal").await;
    let access = third["access_token"].as_str().unwrap();
    assert_eq!(me(&app, access).await.0, 200);
    let (revoked, _, _) = send(
        app.client
            .post(app.url("/api/v1/auth/revoke"))
            .bearer_auth(access)
            .json(&refresh(&third)),
    )
    .await;
    assert_eq!(revoked, 204);
    assert_eq!(
        me(&app, access).await.0,
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
        assert_eq!(me(&app, token).await.0, 401, "{token}");
    }
}

async fn revocation_is_shared_through_redis(backend: Backend) {
    let (one, two, prefix) = spawn_pair(backend).await;
    user(&one, "eve").await;
    let pair = tokens(&one, "eve").await;
    let access = pair["access_token"].as_str().unwrap();
    assert_eq!(
        me(&two, access).await.0,
        200,
        "the other instance verifies with the same key"
    );
    let (revoked, _, _) = send(
        one.client
            .post(one.url("/api/v1/auth/revoke"))
            .bearer_auth(access)
            .json(&json!({})),
    )
    .await;
    assert_eq!(revoked, 204);
    assert_eq!(me(&two, access).await.0, 401, "revoked everywhere at once");
    // An instance started afterwards loads the revocation with the rest.
    let three = crate::helpers::spawn_peer(backend, &one, &prefix, Vec::new()).await;
    assert_eq!(me(&three, access).await.0, 401, "revoked for newcomers");
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
