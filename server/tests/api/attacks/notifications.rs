//! The notification centre under attack: reading or marking another user's notifications by
//! guessing ids, listening to another user's stream, oversized or hostile input, and parallel
//! "mark read" requests racing each other.

use reqwest::Method;
use serde_json::json;

use crate::backend_tests;
use crate::helpers::{spawn_app_with, Backend, Options};
use crate::notifications::{list, mark, notify, Stream};
use crate::rest_support::{assert_problem, call, send};

backend_tests!(
    guessed_ids_neither_read_nor_mark_another_users_notifications,
    hostile_input_is_refused_before_any_write,
    parallel_mark_read_requests_agree_on_the_count,
    a_stream_hears_only_its_own_user,
);

async fn guessed_ids_neither_read_nor_mark_another_users_notifications(backend: Backend) {
    let app = spawn_app_with(backend, Options::unthrottled()).await;
    let victim = app.student("victim").await;
    let mallory = app.student("mallory").await;
    let mine = notify(&app, mallory.id, "m1").await;
    let theirs = notify(&app, victim.id, "v1").await;
    let token = app.bearer(&mallory).await;
    // The victim's id, ids past the last one, the largest: none is hers, all answer alike.
    for id in [theirs, theirs + 1, theirs + 1000, i64::MAX] {
        let (status, body, headers) = send(
            call(
                &app,
                Method::POST,
                "/api/v1/notifications/read",
                Some(&token),
            )
            .json(&json!({"ids": [id]})),
        )
        .await;
        assert_problem(status, &body, &headers, 404);
        // The same answer as an id that does not exist: nothing tells whose it is.
        assert_eq!(body["detail"], "notification not found");
    }
    // Smuggling the victim's id beside her own marks neither.
    let (status, _) = mark(&app, &token, json!({"ids": [mine, theirs]})).await;
    assert_eq!(status, 404);
    assert_eq!(list(&app, &token, "?unread=true").await["count"], 1);
    let victim_token = app.bearer(&victim).await;
    assert_eq!(list(&app, &victim_token, "?unread=true").await["count"], 1);
    // "All" is all of one's own.
    let (status, body) = mark(&app, &token, json!({"all": true})).await;
    assert_eq!((status, body["unread_count"].as_u64()), (200, Some(0)));
    assert_eq!(list(&app, &victim_token, "?unread=true").await["count"], 1);
    // No parameter widens the list to someone else's.
    for query in [
        format!("?user_id={}", victim.id),
        "?unread=true&unread=false".into(),
    ] {
        let (status, body, headers) = send(call(
            &app,
            Method::GET,
            &format!("/api/v1/notifications{query}"),
            Some(&token),
        ))
        .await;
        assert_problem(status, &body, &headers, 400);
    }
    let all = list(&app, &token, "").await;
    assert_eq!(all["count"], 1);
    assert_eq!(all["results"][0]["id"], mine);
}

async fn hostile_input_is_refused_before_any_write(backend: Backend) {
    let app = spawn_app_with(backend, Options::unthrottled()).await;
    let eve = app.student("eve").await;
    let id = notify(&app, eve.id, "e1").await;
    let token = app.bearer(&eve).await;
    let many: Vec<i64> = (id..id + 101).collect();
    for body in [
        json!({"ids": many}),
        json!({"ids": [id, -1]}),
        json!({"ids": ["1 OR 1=1"]}),
        json!({"ids": [id], "user_id": 1}),
    ] {
        let (status, answer, headers) = send(
            call(
                &app,
                Method::POST,
                "/api/v1/notifications/read",
                Some(&token),
            )
            .json(&body),
        )
        .await;
        assert_problem(status, &answer, &headers, 422);
    }
    assert_eq!(list(&app, &token, "?unread=true").await["count"], 1);
    // Paging cannot be pushed past its bounds.
    for query in ["?limit=1000", "?offset=-1", "?page=99999999999"] {
        let (status, body, headers) = send(call(
            &app,
            Method::GET,
            &format!("/api/v1/notifications{query}"),
            Some(&token),
        ))
        .await;
        assert_problem(status, &body, &headers, 400);
    }
    // A cross-site form cannot mark anything read with the victim's cookie.
    let cookie = app.sign_in(&eve).await;
    let response = app
        .client
        .post(app.url("/fn/notifications/read-all"))
        .header("cookie", &cookie)
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(list(&app, &token, "?unread=true").await["count"], 1);
}

async fn parallel_mark_read_requests_agree_on_the_count(backend: Backend) {
    let app = spawn_app_with(backend, Options::unthrottled()).await;
    let pat = app.student("pat").await;
    let mut ids = Vec::new();
    for n in 0..6 {
        ids.push(notify(&app, pat.id, &format!("p{n}")).await);
    }
    let token = app.bearer(&pat).await;
    let bodies = [
        json!({"all": true}),
        json!({"ids": [ids[0], ids[1]]}),
        json!({"ids": [ids[2]]}),
        json!({"all": true}),
        json!({"ids": [ids[5], ids[4], ids[3]]}),
    ];
    let answers =
        futures::future::join_all(bodies.iter().map(|body| mark(&app, &token, body.clone()))).await;
    for (status, body) in &answers {
        assert_eq!(*status, 200, "{body}");
        assert!(body["unread_count"].as_u64().unwrap() <= 6);
    }
    assert_eq!(list(&app, &token, "?unread=true").await["count"], 0);
    let all = list(&app, &token, "").await;
    assert!(all["results"]
        .as_array()
        .unwrap()
        .iter()
        .all(|n| n["read_at"].is_string()));
}

async fn a_stream_hears_only_its_own_user(backend: Backend) {
    let app = spawn_app_with(backend, Options::unthrottled()).await;
    let quinn = app.student("quinn").await;
    let ruth = app.student("ruth").await;
    let mut quinns = Stream::open(&app, &app.sign_in(&quinn).await).await;
    assert_eq!(quinns.next().await.1["unread_count"], 0);
    // Ruth's notifications (several, so one slipping through would show) never reach quinn.
    for n in 0..3 {
        notify(&app, ruth.id, &format!("r{n}")).await;
    }
    let own = notify(&app, quinn.id, "q1").await;
    let (event, data) = quinns.next().await;
    assert_eq!(event, "notification");
    assert_eq!(data, json!({"id": own, "unread_count": 1}));
    // Without a session, or with a forged cookie, there is no stream.
    for cookie in [None, Some("xc_session=forged")] {
        let mut request = call(&app, Method::GET, "/api/v1/notifications/stream", None)
            .header("accept", "text/event-stream");
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        let (status, body, headers) = send(request).await;
        assert_problem(status, &body, &headers, 401);
    }
}
