//! Terminals from the attacker's side: no grant (or an expired one) is 403 and no upgrade; an
//! anonymous caller is 401; a ticket works once, not after it expired, and not from a page on
//! another origin; someone else's session cannot be resumed; parallel opens cannot beat the
//! per-user limit.

use std::time::Duration;

use serde_json::json;

use crate::backend_tests;
use crate::helpers::Backend;
use crate::rest_support::{call, send};
use crate::webssh::sshd::Sshd;
use crate::webssh::{app, connect, create_host, grant, key_host, open, resume};

backend_tests!(
    no_grant_means_403_and_no_terminal,
    tickets_work_once_in_time_and_from_our_origin_only,
    parallel_opens_cannot_beat_the_per_user_limit,
);

async fn no_grant_means_403_and_no_terminal(b: Backend) {
    let sshd = Sshd::start();
    let app = app(b, &[]).await;
    let admin = app.bearer(&app.superuser().await).await;
    let host = create_host(&app, &admin, &key_host(&sshd, "ops-1")).await;
    let eve = app.staff("eve", &["host.view", "host.change"]).await;
    let token = app.bearer(&eve).await;
    let (status, body) = open(&app, &token, host, json!({})).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.get("ticket").is_none());

    // A grant whose window has passed, or not begun, is no grant.
    let (status, body) = grant(
        &app,
        &admin,
        json!({"host_id": host, "user_id": eve.id, "starts_at": "2020-01-01T00:00:00Z",
            "ends_at": "2021-01-01T00:00:00Z"}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let (status, _) = grant(
        &app,
        &admin,
        json!({"host_id": host, "user_id": eve.id, "starts_at": "2999-01-01T00:00:00Z"}),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(open(&app, &token, host, json!({})).await.0, 403);
    // A grant must name a role or a user, and a window that runs forward.
    let (status, body) = grant(&app, &admin, json!({"host_id": host})).await;
    assert_eq!(status, 422, "{body}");
    let (status, _) = grant(
        &app,
        &admin,
        json!({"host_id": host, "user_id": eve.id, "starts_at": "2030-01-01T00:00:00Z",
            "ends_at": "2029-01-01T00:00:00Z"}),
    )
    .await;
    assert_eq!(status, 422);

    // Anonymous: 401. An unknown host: 404, as for a malformed id.
    let (status, _, _) = send(
        call(
            &app,
            reqwest::Method::POST,
            &format!("/api/v1/hosts/{host}/terminal-sessions"),
            None,
        )
        .json(&json!({})),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(open(&app, &admin, 999_999, json!({})).await.0, 404);
    // Nothing of it reached the host: no terminal was opened for eve.
    assert!(!sshd.log().contains("Accepted"), "{}", sshd.log());
}

async fn tickets_work_once_in_time_and_from_our_origin_only(b: Backend) {
    let sshd = Sshd::start();
    let app = app(b, &[("WEBSSH_TICKET_SECONDS", "1")]).await;
    let admin = app.bearer(&app.superuser().await).await;
    let host = create_host(&app, &admin, &key_host(&sshd, "ops-t")).await;
    let (_, ticket) = open(&app, &admin, host, json!({})).await;
    let url = ticket["websocket_url"].as_str().unwrap();

    // A page on another site (or a client naming no origin) is refused before any upgrade.
    assert_eq!(
        connect(url, Some("https://evil.example")).await.err(),
        Some(403)
    );
    assert_eq!(connect(url, None).await.err(), Some(403));
    // A made-up ticket.
    let forged = url.replace(ticket["ticket"].as_str().unwrap(), "forged");
    assert_eq!(connect(&forged, Some(&app.address)).await.err(), Some(401));
    // The real one works once.
    let term = connect(url, Some(&app.address)).await.unwrap();
    assert_eq!(connect(url, Some(&app.address)).await.err(), Some(401));
    term.drop_connection();

    // Another user cannot resume the session; its owner can, but not after the ticket expired.
    let mallory = app.bearer(&app.persona("mallory", true, &[]).await).await;
    let session = ticket["session_id"].as_str().unwrap();
    assert_eq!(resume(&app, &mallory, session).await.0, 404);
    let (status, again) = resume(&app, &admin, session).await;
    assert_eq!(status, 201);
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let url = again["websocket_url"].as_str().unwrap();
    assert_eq!(connect(url, Some(&app.address)).await.err(), Some(401));
}

async fn parallel_opens_cannot_beat_the_per_user_limit(b: Backend) {
    let sshd = Sshd::start();
    let app = app(b, &[("WEBSSH_MAX_TERMINALS_PER_USER", "1")]).await;
    let admin = app.bearer(&app.superuser().await).await;
    let host = create_host(&app, &admin, &key_host(&sshd, "ops-l")).await;
    let tries = (0..4).map(|_| open(&app, &admin, host, json!({})));
    let statuses: Vec<u16> = futures::future::join_all(tries)
        .await
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    let opened = statuses.iter().filter(|s| **s == 201).count();
    assert!(opened <= 1, "{statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 429),
        "{statuses:?}"
    );
    // Refused attempts hold no place: if the race left none open, one opens now; then the
    // limit holds in sequence too.
    if opened == 0 {
        assert_eq!(open(&app, &admin, host, json!({})).await.0, 201);
    }
    assert_eq!(open(&app, &admin, host, json!({})).await.0, 429);
}

mod monitor {
    use std::time::Duration;

    use reqwest::Method;
    use serde_json::json;

    use crate::backend_tests;
    use crate::helpers::Backend;
    use crate::rest_support::{call, send};
    use crate::webssh::sshd::Sshd;
    use crate::webssh::{app, connect, create_host, grant, key_host, open};

    backend_tests!(only_the_owner_or_a_monitor_ends_a_terminal);

    /// Another user cannot end someone's terminal (404, as for an unknown one); staff with
    /// `host.monitor` can, and the user is told who did.
    async fn only_the_owner_or_a_monitor_ends_a_terminal(b: Backend) {
        let sshd = Sshd::start();
        let app = app(b, &[]).await;
        let admin = app.bearer(&app.superuser().await).await;
        let host = create_host(&app, &admin, &key_host(&sshd, "ops-m")).await;
        let ann = app.staff("ann", &["host.view"]).await;
        grant(&app, &admin, json!({"host_id": host, "user_id": ann.id})).await;
        let ann_token = app.bearer(&ann).await;
        let (status, ticket) = open(&app, &ann_token, host, json!({})).await;
        assert_eq!(status, 201, "{ticket}");
        let mut term = connect(
            ticket["websocket_url"].as_str().unwrap(),
            Some(&app.address),
        )
        .await
        .unwrap();
        let path = format!(
            "/api/v1/terminal-sessions/{}",
            ticket["session_id"].as_str().unwrap()
        );

        let bob = app
            .bearer(&app.staff("bob", &["host.view", "host.change"]).await)
            .await;
        let (status, _, _) = send(call(&app, Method::DELETE, &path, Some(&bob))).await;
        assert_eq!(status, 404);
        let (status, _, _) = send(call(&app, Method::DELETE, &path, None)).await;
        assert_eq!(status, 401);

        let watcher = app.staff("watcher", &["host.monitor"]).await;
        let watch = app.bearer(&watcher).await;
        let (status, body, _) = send(call(&app, Method::DELETE, &path, Some(&watch))).await;
        assert_eq!(status, 204, "{body}");
        let exit = term.wait_exit(Duration::from_secs(10)).await.expect("exit");
        assert_eq!(exit["reason"], "ended by watcher (staff)");
        // Over: nothing left to end.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let (status, _, _) = send(call(&app, Method::DELETE, &path, Some(&watch))).await;
        assert_eq!(status, 404);
    }
}
