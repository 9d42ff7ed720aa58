//! The attacker's view: requests a hostile or over-curious caller would send, each with what
//! must happen instead. Every feature adds its own here (what can a user with one permission do
//! to an account with more, what does an anonymous caller read, what do parallel requests do to
//! a counter): accounts and sessions, content and the back office's lists, the edge (bodies,
//! URLs, headers, deployment).

mod accounts;
mod commerce_admin;
mod content;
mod edge;
mod follows;
mod languages;
mod learning;
mod notifications;
mod ops;
mod orders;
mod payments_unionpay;
mod payments_wechat;
mod refunds;
mod seckill;
mod seckill_page;
mod webssh;
mod webssh_access;

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::rest_support::{call, send};

pub(super) async fn user_id(app: &TestApp, admin: &str, username: &str) -> i64 {
    let (status, body, _) = send(call(
        app,
        Method::GET,
        &format!("/api/v1/users?search={username}"),
        Some(admin),
    ))
    .await;
    assert_eq!(status, 200, "{body}");
    body["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == username)
        .unwrap_or_else(|| panic!("no user {username}: {body}"))["id"]
        .as_i64()
        .unwrap()
}

/// `POST /api/v1/auth/token` for `username`: the status and the token pair.
pub(super) async fn token_pair(app: &TestApp, username: &str, password: &str) -> (u16, Value) {
    let (status, body, _) = send(call(app, Method::POST, "/api/v1/auth/token", None).json(
        &json!({
            "username": username, "password": password
        }),
    ))
    .await;
    (status, body)
}

/// Signs `username` in through the browser form; returns the session cookie.
pub(super) async fn browser_sign_in(app: &TestApp, username: &str, password: &str) -> String {
    app.sign_in_with(username, password).await
}
