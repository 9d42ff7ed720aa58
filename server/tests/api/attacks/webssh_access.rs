//! Terminals after trust is withdrawn: staff allowed to edit a host cannot point it at their own
//! machine and receive its secrets; a revoked grant, a forced password reset or a deactivation
//! ends a terminal that is already open and refuses the next one; a paste of many lines is
//! audited in full by the batching writer.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;
use server::model_engine::sql::SqlValue;

use crate::backend_tests;
use crate::helpers::{Backend, TestApp};
use crate::job_dashboard::server_fn;
use crate::rest_support::{call, send};
use crate::webssh::sshd::Sshd;
use crate::webssh::{app, connect, create_host, grant, key_host, open, text, Term};

backend_tests!(
    pointing_a_host_elsewhere_drops_its_secrets,
    withdrawn_access_ends_a_live_terminal_and_refuses_the_next,
    a_pasted_script_is_audited_line_by_line,
);

const WAIT: Duration = Duration::from_secs(10);

async fn sealed_key(app: &TestApp, host: i64) -> String {
    text(
        app,
        "SELECT id, COALESCE(private_key_enc, 'none') FROM hosts WHERE id = $1",
        &[SqlValue::Int(host)],
    )
    .await
}

async fn patch_host(app: &TestApp, token: &str, host: i64, body: serde_json::Value) -> u16 {
    let path = format!("/api/v1/hosts/{host}");
    let (status, body, _) = send(call(app, Method::PATCH, &path, Some(token)).json(&body)).await;
    assert!(status < 500, "{body}");
    status
}

async fn pointing_a_host_elsewhere_drops_its_secrets(b: Backend) {
    let sshd = Sshd::start();
    let app = app(b, &[]).await;
    let admin = app.bearer(&app.superuser().await).await;
    let host = create_host(&app, &admin, &key_host(&sshd, "ops-r")).await;
    let eve = app.staff("eve", &["host.view", "host.change"]).await;
    let eve_token = app.bearer(&eve).await;

    // Saving the host as it is, or renaming it, keeps its key.
    let same = json!({"hostname": "127.0.0.1", "port": sshd.port, "name": "ops-renamed"});
    assert_eq!(patch_host(&app, &eve_token, host, same).await, 200);
    assert!(sealed_key(&app, host).await.starts_with("v1:"));

    // Pointing it at another machine, port, or trusted key clears it.
    for change in [
        json!({"hostname": "203.0.113.9"}),
        json!({"port": 2222}),
        json!({"host_key_fingerprint": "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s"}),
    ] {
        let restore = json!({"hostname": "127.0.0.1", "port": sshd.port,
            "host_key_fingerprint": null, "private_key": sshd.user_key});
        assert_eq!(patch_host(&app, &admin, host, restore).await, 200);
        assert!(sealed_key(&app, host).await.starts_with("v1:"));
        assert_eq!(
            patch_host(&app, &eve_token, host, change.clone()).await,
            200
        );
        assert_eq!(sealed_key(&app, host).await, "none", "after {change}");
    }

    // Whoever re-points a host and brings its secret keeps that secret.
    let with_key = json!({"hostname": "127.0.0.1", "port": sshd.port,
        "host_key_fingerprint": null, "private_key": sshd.user_key});
    assert_eq!(patch_host(&app, &admin, host, with_key).await, 200);
    assert!(sealed_key(&app, host).await.starts_with("v1:"));
    // And the host works again for its superuser.
    let (status, ticket) = open(&app, &admin, host, json!({})).await;
    assert_eq!(status, 201, "{ticket}");
}

async fn live_terminal(app: &TestApp, token: &str, host: i64) -> Term {
    let (status, ticket) = open(app, token, host, json!({})).await;
    assert_eq!(status, 201, "{ticket}");
    let mut term = connect(
        ticket["websocket_url"].as_str().unwrap(),
        Some(&app.address),
    )
    .await
    .unwrap();
    term.type_text("echo up-$((2+3))\r").await;
    assert!(term.wait_for("up-5", WAIT).await, "{}", term.screen);
    term
}

async fn ends_for_withdrawn_access(term: &mut Term) {
    let exit = term.wait_exit(WAIT).await.expect("the terminal ends");
    assert_eq!(exit["reason"], "access withdrawn", "{exit}");
}

async fn withdrawn_access_ends_a_live_terminal_and_refuses_the_next(b: Backend) {
    let sshd = Sshd::start();
    let app = app(b, &[("WEBSSH_ACCESS_RECHECK_SECONDS", "1")]).await;
    let root = app.superuser().await;
    let admin = app.bearer(&root).await;
    let admin_cookie = app.sign_in(&root).await;
    let host = create_host(&app, &admin, &key_host(&sshd, "ops-w")).await;
    let ann = app.staff("ann", &["host.view"]).await;

    // A grant deleted while the terminal runs.
    let (status, granted) = grant(&app, &admin, json!({"host_id": host, "user_id": ann.id})).await;
    assert_eq!(status, 201, "{granted}");
    let token = app.bearer(&ann).await;
    let mut term = live_terminal(&app, &token, host).await;
    let path = format!("/api/v1/host_grants/{}", granted["id"]);
    let (status, _, _) = send(call(&app, Method::DELETE, &path, Some(&admin))).await;
    assert_eq!(status, 204);
    ends_for_withdrawn_access(&mut term).await;
    assert_eq!(open(&app, &token, host, json!({})).await.0, 403);

    // A forced password reset: whoever holds the old password may not be the owner, so the
    // grant gives no shell until the password is changed.
    grant(&app, &admin, json!({"host_id": host, "user_id": ann.id})).await;
    let token = app.bearer(&ann).await;
    let mut term = live_terminal(&app, &token, host).await;
    let user_id = ann.id.to_string();
    let (status, body) = server_fn(
        &app,
        Some(&admin_cookie),
        "/fn/admin/user-access/force-reset",
        &[("user_id", &user_id)],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    ends_for_withdrawn_access(&mut term).await;
    // The old token is refused outright, a fresh one (the old password still signs in) gets
    // no shell either.
    let (status, body) = open(&app, &token, host, json!({})).await;
    assert!(status == 401 || status == 403, "{status} {body}");
    let fresh = app.bearer(&ann).await;
    assert_eq!(open(&app, &fresh, host, json!({})).await.0, 403);

    // A new password (set by staff here; a user's own change works the same): whoever
    // opened the terminal with the old one loses it.
    let cat = app.staff("cat", &["host.view"]).await;
    grant(&app, &admin, json!({"host_id": host, "user_id": cat.id})).await;
    let cat_token = app.bearer(&cat).await;
    let mut term = live_terminal(&app, &cat_token, host).await;
    let path = format!("/api/v1/users/{}", cat.id);
    let (status, body, _) = send(
        call(&app, Method::PATCH, &path, Some(&admin))
            .json(&json!({"password": "an entirely new secret 42"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    ends_for_withdrawn_access(&mut term).await;

    // A deactivated account.
    let bob = app.staff("bob", &["host.view"]).await;
    grant(&app, &admin, json!({"host_id": host, "user_id": bob.id})).await;
    let bob_token = app.bearer(&bob).await;
    let mut term = live_terminal(&app, &bob_token, host).await;
    let path = format!("/api/v1/users/{}", bob.id);
    let (status, body, _) =
        send(call(&app, Method::PATCH, &path, Some(&admin)).json(&json!({"is_active": false})))
            .await;
    assert_eq!(status, 200, "{body}");
    ends_for_withdrawn_access(&mut term).await;
}

async fn a_pasted_script_is_audited_line_by_line(b: Backend) {
    let sshd = Sshd::start();
    let app = app(b, &[]).await;
    let admin = app.bearer(&app.superuser().await).await;
    let host = create_host(&app, &admin, &key_host(&sshd, "ops-a")).await;
    let mut term = live_terminal(&app, &admin, host).await;
    let lines = 500;
    let script: String = (0..lines).map(|i| format!(": line-{i}\r")).collect();
    term.type_text(&script).await;
    term.type_text("echo pasted-$((1+1))\r").await;
    assert!(term.wait_for("pasted-2", WAIT).await, "{}", term.screen);
    // The writer batches; give it a moment, then every line is there, in order.
    let count = |app: &TestApp| {
        let db = app.db.clone();
        async move {
            server::db::records::scalar(
                &db,
                "SELECT COUNT(*) FROM ssh_commands WHERE line LIKE ': line-%'",
                &[],
            )
            .await
            .unwrap()
        }
    };
    let deadline = tokio::time::Instant::now() + WAIT;
    while count(&app).await < lines && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(count(&app).await, lines);
    let last = text(
        &app,
        "SELECT id, line FROM ssh_commands WHERE line LIKE ': line-%' ORDER BY id DESC",
        &[],
    )
    .await;
    assert_eq!(last, format!(": line-{}", lines - 1));
}
