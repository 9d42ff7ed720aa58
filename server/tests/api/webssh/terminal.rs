//! A terminal runs commands on the real host: echo read back, the window size reaching the
//! remote, trust on first use and a changed host key refused until staff accept it, and
//! secrets that never come back out of the API.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use super::sshd::Sshd;
use super::{app, connect, create_host, grant, key_host, open, password_host, text};
use crate::backend_tests;
use crate::helpers::Backend;
use crate::rest_support::{call, send};

backend_tests!(
    a_granted_user_runs_echo_and_reads_it_back,
    password_auth_and_a_resize_reach_the_remote,
    a_changed_host_key_is_refused_until_staff_accept_it,
);

const WAIT: Duration = Duration::from_secs(10);

async fn a_granted_user_runs_echo_and_reads_it_back(b: Backend) {
    let sshd = Sshd::start();
    let app = app(b, &[("METRICS_TOKEN", crate::metrics::TOKEN)]).await;
    let admin = app.bearer(&app.superuser().await).await;
    let host = create_host(&app, &admin, &key_host(&sshd, "lab-1")).await;
    let ops = app.staff("opsie", &["host.view"]).await;
    let (status, body) = grant(&app, &admin, json!({"host_id": host, "user_id": ops.id})).await;
    assert_eq!(status, 201, "{body}");

    // Secrets are write-only: neither the item nor the list carries them, sealed or not.
    let (status, shown, _) = send(call(
        &app,
        Method::GET,
        &format!("/api/v1/hosts/{host}"),
        Some(&admin),
    ))
    .await;
    assert_eq!(status, 200);
    let shown = shown.to_string();
    for secret in ["private_key", "password", "passphrase", "_enc", "OPENSSH"] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    let stored = text(
        &app,
        "SELECT id, private_key_enc FROM hosts WHERE id = $1",
        &[server::model_engine::sql::SqlValue::Int(host)],
    )
    .await;
    assert!(stored.starts_with("v1:") && !stored.contains("OPENSSH"));

    let token = app.bearer(&ops).await;
    let (status, ticket) = open(&app, &token, host, json!({"cols": 80, "rows": 24})).await;
    assert_eq!(status, 201, "{ticket}");
    let mut term = connect(
        ticket["websocket_url"].as_str().unwrap(),
        Some(&app.address),
    )
    .await
    .unwrap();
    term.type_text("echo hello-$((6*7))\r").await;
    assert!(
        term.wait_for("hello-42", WAIT).await,
        "screen: {}",
        term.screen
    );

    // Trust on first use recorded the host's real key.
    let (_, shown, _) = send(call(
        &app,
        Method::GET,
        &format!("/api/v1/hosts/{host}"),
        Some(&admin),
    ))
    .await;
    assert_eq!(shown["host_key_fingerprint"], sshd.fingerprint.as_str());

    term.type_text("exit\r").await;
    let exit = term.wait_exit(WAIT).await.expect("an exit message");
    assert_eq!(exit["reason"], "exited");
    assert_eq!(exit["code"], 0);

    // The bridge counted the session and what crossed it both ways.
    let typed = "echo hello-$((6*7))\rexit\r".len() as f64;
    let metrics = crate::metrics::scrape(&app).await;
    let series = |name: &str| crate::metrics::sample(&metrics, name).unwrap_or(0.0);
    assert_eq!(series("xuecheng_terminals_opened_total"), 1.0, "{metrics}");
    assert_eq!(
        series(r#"xuecheng_terminal_bytes_total{direction="input"}"#),
        typed,
        "{metrics}"
    );
    assert!(
        series(r#"xuecheng_terminal_bytes_total{direction="output"}"#) > 0.0,
        "{metrics}"
    );
}

async fn password_auth_and_a_resize_reach_the_remote(b: Backend) {
    let sshd = Sshd::start();
    let app = app(b, &[]).await;
    let root = app.superuser().await;
    let admin = app.bearer(&root).await;
    let host = create_host(&app, &admin, &password_host(&sshd, "lab-pw")).await;
    // A browser session works as well as a token.
    let cookie = app.sign_in(&root).await;
    let response = app
        .client
        .post(app.url(&format!("/api/v1/hosts/{host}/terminal-sessions")))
        .header("Cookie", &cookie)
        .header("Origin", &app.address)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let ticket: serde_json::Value = response.json().await.unwrap();
    let mut term = connect(
        ticket["websocket_url"].as_str().unwrap(),
        Some(&app.address),
    )
    .await
    .unwrap();
    term.control(json!({"type": "resize", "cols": 123, "rows": 37}))
        .await;
    term.type_text("stty size\r").await;
    assert!(
        term.wait_for("37 123", WAIT).await,
        "screen: {}",
        term.screen
    );
}

async fn a_changed_host_key_is_refused_until_staff_accept_it(b: Backend) {
    let mut sshd = Sshd::start();
    let app = app(b, &[]).await;
    let admin = app.bearer(&app.superuser().await).await;
    let host = create_host(&app, &admin, &key_host(&sshd, "lab-key")).await;
    let (status, ticket) = open(&app, &admin, host, json!({})).await;
    assert_eq!(status, 201, "{ticket}");
    let trusted = sshd.fingerprint.clone();

    sshd.change_host_key();
    let (status, problem) = open(&app, &admin, host, json!({})).await;
    assert_eq!(status, 409, "{problem}");
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains(&trusted) && detail.contains(&sshd.fingerprint),
        "{detail}"
    );
    let (_, shown, _) = send(call(
        &app,
        Method::GET,
        &format!("/api/v1/hosts/{host}"),
        Some(&admin),
    ))
    .await;
    assert_eq!(shown["host_key_fingerprint"], trusted.as_str());
    assert_eq!(
        shown["offered_host_key_fingerprint"],
        sshd.fingerprint.as_str()
    );

    // Staff accept the new key: audited, and terminals open again.
    let (status, body, _) = send(
        call(
            &app,
            Method::PATCH,
            &format!("/api/v1/hosts/{host}"),
            Some(&admin),
        )
        .json(&json!({"host_key_fingerprint": sshd.fingerprint})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["offered_host_key_fingerprint"].is_null());
    let changes = text(
        &app,
        "SELECT id, CAST(changes AS TEXT) FROM audit_log \
         WHERE object_type = 'host' AND action = 'change'",
        &[],
    )
    .await;
    assert!(
        changes.contains(&trusted) && changes.contains(&sshd.fingerprint),
        "{changes}"
    );
    let (status, body) = open(&app, &admin, host, json!({})).await;
    assert_eq!(status, 201, "{body}");
}

mod page {
    use crate::backend_tests;
    use crate::helpers::{spawn_app, Backend};

    backend_tests!(the_terminal_page_alone_loads_the_terminal_script);

    /// The page frame renders with its driver script; xterm's inline styles are allowed there
    /// and nowhere else, and the public pages carry none of the terminal's JavaScript.
    async fn the_terminal_page_alone_loads_the_terminal_script(b: Backend) {
        let app = spawn_app(b).await;
        let page = app.get("/terminal/7").await;
        assert_eq!(page.status(), 200);
        let csp = page.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(csp.contains("style-src 'self' 'unsafe-inline';"), "{csp}");
        assert!(csp.contains("script-src 'self' 'nonce-"), "{csp}");
        let html = page.text().await.unwrap();
        assert!(html.contains(r#"id="xc-terminal""#) && html.contains(r#"data-host="7""#));
        assert!(html.contains("/webssh/terminal.js"), "{html}");
        let home = app.get("/").await;
        let csp = home.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        let html = home.text().await.unwrap();
        assert!(!html.contains("webssh") && !html.contains("xterm"));
    }
}
