//! The notification centre: `/api/v1/notifications` (list, filter, mark read), the pages'
//! server functions over the same service, and the live stream, in one instance and across
//! two sharing Redis.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use server::db::notifications::NewNotification;

use crate::accounts::post_form;
use crate::backend_tests;
use crate::helpers::{spawn_app_with, spawn_pair, Backend, Options, TestApp};
use crate::rest_support::{assert_problem, call, send};

backend_tests!(
    lists_newest_first_filters_and_marks_read,
    pages_read_and_mark_through_server_functions,
    the_stream_hears_a_notification_written_in_process,
    the_stream_hears_a_notification_written_by_another_instance,
);

/// Writes a notification for `user_id` through the instance's notifier (as a job does).
pub async fn notify(app: &TestApp, user_id: i64, key: &str) -> i64 {
    let n = NewNotification {
        user_id,
        kind: "course.update".into(),
        title: format!("New lessons ({key})"),
        body: "Two new lessons".into(),
        link: Some("/courses/rust-101".into()),
        dedupe_key: key.into(),
    };
    assert!(app.notifier.notify(&n).await.unwrap(), "{key} was new");
    server::db::records::scalar(
        &app.db,
        "SELECT id FROM notifications WHERE dedupe_key = $1",
        &[server::model_engine::sql::SqlValue::Text(key.into())],
    )
    .await
    .unwrap()
}

fn ids(body: &Value) -> Vec<i64> {
    body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_i64().unwrap())
        .collect()
}

pub async fn list(app: &TestApp, token: &str, query: &str) -> Value {
    let (status, body, _) = send(call(
        app,
        Method::GET,
        &format!("/api/v1/notifications{query}"),
        Some(token),
    ))
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

pub async fn mark(app: &TestApp, token: &str, body: Value) -> (u16, Value) {
    let (status, body, _) =
        send(call(app, Method::POST, "/api/v1/notifications/read", Some(token)).json(&body)).await;
    (status, body)
}

async fn lists_newest_first_filters_and_marks_read(backend: Backend) {
    let app = spawn_app_with(backend, Options::unthrottled()).await;
    let alice = app.student("alice").await;
    let bob = app.student("bob").await;
    let a1 = notify(&app, alice.id, "a1").await;
    let b1 = notify(&app, bob.id, "b1").await;
    let a2 = notify(&app, alice.id, "a2").await;
    let a3 = notify(&app, alice.id, "a3").await;
    // A job retried writes nothing the second time.
    let again = NewNotification {
        user_id: alice.id,
        kind: "course.update".into(),
        title: "again".into(),
        body: String::new(),
        link: None,
        dedupe_key: "a1".into(),
    };
    assert!(!app.notifier.notify(&again).await.unwrap());
    let token = app.bearer(&alice).await;

    let all = list(&app, &token, "").await;
    assert_eq!(all["count"], 3);
    assert_eq!(ids(&all), [a3, a2, a1], "newest first, bob's never listed");
    let first = &all["results"][0];
    assert_eq!(first["kind"], "course.update");
    assert!(first["read_at"].is_null());
    assert!(
        first["link"]
            .as_str()
            .unwrap()
            .ends_with("/courses/rust-101")
            && first["link"].as_str().unwrap().starts_with("http"),
        "{first}"
    );

    // Paging as every list pages.
    let page = list(&app, &token, "?per_page=2").await;
    assert_eq!(ids(&page), [a3, a2]);
    assert!(page["next"]
        .as_str()
        .unwrap()
        .ends_with("/api/v1/notifications?page=2&per_page=2"));
    let page = list(&app, &token, "?limit=2&offset=2").await;
    assert_eq!(ids(&page), [a1]);
    assert!(page["next"].is_null());

    let (status, body) = mark(&app, &token, json!({"ids": [a2]})).await;
    assert_eq!((status, body["unread_count"].as_u64()), (200, Some(2)));
    let unread = list(&app, &token, "?unread=true").await;
    assert_eq!(
        (unread["count"].as_u64(), ids(&unread)),
        (Some(2), vec![a3, a1])
    );
    let all = list(&app, &token, "?unread=false").await;
    assert!(all["results"][1]["read_at"].is_string());

    // Another user's id is 404, and nothing of the request is marked.
    let (status, body, headers) = send(
        call(
            &app,
            Method::POST,
            "/api/v1/notifications/read",
            Some(&token),
        )
        .json(&json!({"ids": [a3, b1]})),
    )
    .await;
    assert_problem(status, &body, &headers, 404);
    assert_eq!(list(&app, &token, "?unread=true").await["count"], 2);
    let bob_token = app.bearer(&bob).await;
    assert_eq!(list(&app, &bob_token, "?unread=true").await["count"], 1);

    // Marking again keeps the first read time; then all read.
    let (status, body) = mark(&app, &token, json!({"ids": [a2, a2]})).await;
    assert_eq!((status, body["unread_count"].as_u64()), (200, Some(2)));
    let (status, body) = mark(&app, &token, json!({"all": true})).await;
    assert_eq!((status, body["unread_count"].as_u64()), (200, Some(0)));
    assert_eq!(list(&app, &token, "?unread=true").await["count"], 0);
    assert_eq!(list(&app, &bob_token, "?unread=true").await["count"], 1);

    // Bad input is a problem naming what to fix.
    for query in [
        "?unread=maybe",
        "?colour=red",
        "?page=2&limit=5",
        "?per_page=0",
    ] {
        let (status, body, headers) = send(call(
            &app,
            Method::GET,
            &format!("/api/v1/notifications{query}"),
            Some(&token),
        ))
        .await;
        assert_problem(status, &body, &headers, 400);
        assert!(body["errors"][0]["field"].is_string(), "{query}: {body}");
    }
    for bad in [
        json!({}),
        json!({"ids": [a1], "all": true}),
        json!({"ids": []}),
        json!({"ids": [0]}),
        json!({"ids": "all"}),
        json!({"everything": true}),
    ] {
        let (status, body, headers) = send(
            call(
                &app,
                Method::POST,
                "/api/v1/notifications/read",
                Some(&token),
            )
            .json(&bad),
        )
        .await;
        assert_problem(status, &body, &headers, 422);
    }

    // Nobody signed in: 401 everywhere.
    for (method, path) in [
        (Method::GET, "/api/v1/notifications"),
        (Method::POST, "/api/v1/notifications/read"),
        (Method::GET, "/api/v1/notifications/stream"),
    ] {
        let (status, body, headers) =
            send(call(&app, method, path, None).json(&json!({"all": true}))).await;
        assert_problem(status, &body, &headers, 401);
    }
}

async fn pages_read_and_mark_through_server_functions(backend: Backend) {
    let app = spawn_app_with(backend, Options::unthrottled()).await;
    let carol = app.student("carol").await;
    let dave = app.student("dave").await;
    let c1 = notify(&app, carol.id, "c1").await;
    let _c2 = notify(&app, carol.id, "c2").await;
    let d1 = notify(&app, dave.id, "d1").await;
    let cookie = app.sign_in(&carol).await;

    let response = post_form(&app, "/fn/notifications/unread", Some(&cookie), &[]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Option<u64>>().await.unwrap(), Some(2));

    let response = post_form(
        &app,
        "/fn/notifications/list",
        Some(&cookie),
        &[("unread_only", "false"), ("page", "1")],
    )
    .await;
    assert_eq!(response.status(), 200);
    let page: Value = response.json().await.unwrap();
    assert_eq!(
        (page["total"].as_u64(), page["unread"].as_u64()),
        (Some(2), Some(2))
    );
    assert_eq!(page["items"].as_array().unwrap().len(), 2);

    // Dave's notification is not carol's to mark: 404, and it stays unread.
    let id = d1.to_string();
    let response = post_form(
        &app,
        "/fn/notifications/read",
        Some(&cookie),
        &[("id", &id)],
    )
    .await;
    assert_eq!(response.status(), 404);
    let dave_token = app.bearer(&dave).await;
    assert_eq!(list(&app, &dave_token, "?unread=true").await["count"], 1);

    let id = c1.to_string();
    let response = post_form(
        &app,
        "/fn/notifications/read",
        Some(&cookie),
        &[("id", &id)],
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<u64>().await.unwrap(), 1);
    let response = post_form(&app, "/fn/notifications/read-all", Some(&cookie), &[]).await;
    assert_eq!(response.json::<u64>().await.unwrap(), 0);

    // The page and the bell, rendered for the signed-in user.
    notify(&app, carol.id, "c3").await;
    let html = app
        .client
        .get(app.url("/notifications"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("New lessons (c3)"), "the list shows it");
    assert!(html.contains("class=\"bell\""), "the header has the bell");
    assert!(
        html.contains("data-count=\"1\""),
        "the bell counts one unread"
    );

    // Nobody signed in: the bell's question has an answer (no bell), marking is refused.
    let response = post_form(&app, "/fn/notifications/unread", None, &[]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Option<u64>>().await.unwrap(), None);
    assert_eq!(
        post_form(&app, "/fn/notifications/read-all", None, &[])
            .await
            .status(),
        401
    );
}

/// An open event stream, read as it arrives.
pub struct Stream {
    response: reqwest::Response,
    buffer: String,
}

impl Stream {
    pub async fn open(app: &TestApp, cookie: &str) -> Stream {
        let response = app
            .client
            .get(app.url("/api/v1/notifications/stream"))
            .header("cookie", cookie)
            .header("accept", "text/event-stream")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream"));
        Stream {
            response,
            buffer: String::new(),
        }
    }

    /// The next event (its name and JSON data), skipping comments; fails after 10 s.
    pub async fn next(&mut self) -> (String, Value) {
        let read = async {
            loop {
                if let Some(end) = self.buffer.find("\n\n") {
                    let block: String = self.buffer.drain(..end + 2).collect();
                    let mut name = String::from("message");
                    let mut data = None;
                    for line in block.lines() {
                        if let Some(v) = line.strip_prefix("event:") {
                            name = v.trim().to_string();
                        } else if let Some(v) = line.strip_prefix("data:") {
                            data = Some(serde_json::from_str(v.trim()).unwrap());
                        }
                    }
                    if let Some(data) = data {
                        return (name, data);
                    }
                    continue;
                }
                let chunk = self
                    .response
                    .chunk()
                    .await
                    .unwrap()
                    .expect("the stream ended");
                self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
            }
        };
        tokio::time::timeout(Duration::from_secs(10), read)
            .await
            .expect("an event within 10 s")
    }
}

async fn the_stream_hears_a_notification_written_in_process(backend: Backend) {
    let app = spawn_app_with(backend, Options::unthrottled()).await;
    let erin = app.student("erin").await;
    let frank = app.student("frank").await;
    notify(&app, erin.id, "e0").await;
    let cookie = app.sign_in(&erin).await;
    let mut stream = Stream::open(&app, &cookie).await;
    assert_eq!(
        stream.next().await,
        ("unread".into(), json!({"unread_count": 1}))
    );
    // Frank's notification says nothing to erin's page; erin's own does.
    notify(&app, frank.id, "f1").await;
    let e1 = notify(&app, erin.id, "e1").await;
    assert_eq!(
        stream.next().await,
        ("notification".into(), json!({"id": e1, "unread_count": 2}))
    );

    // The stream is for browser sessions: a bearer token is refused.
    let token = app.bearer(&erin).await;
    let (status, body, headers) = send(
        call(
            &app,
            Method::GET,
            "/api/v1/notifications/stream",
            Some(&token),
        )
        .header("accept", "text/event-stream"),
    )
    .await;
    assert_problem(status, &body, &headers, 403);
}

async fn the_stream_hears_a_notification_written_by_another_instance(backend: Backend) {
    let (one, two, _prefix) = spawn_pair(backend).await;
    let gina = one.student("gina").await;
    let cookie = two.sign_in(&gina).await;
    let mut stream = Stream::open(&two, &cookie).await;
    assert_eq!(
        stream.next().await,
        ("unread".into(), json!({"unread_count": 0}))
    );
    // Written on the first instance (as its worker would), heard on the second's page.
    let id = notify(&one, gina.id, "g1").await;
    assert_eq!(
        stream.next().await,
        ("notification".into(), json!({"id": id, "unread_count": 1}))
    );
    // And the other way round, each once (a relay does not repeat its own).
    let mut near = Stream::open(&one, &one.sign_in(&gina).await).await;
    assert_eq!(near.next().await.1["unread_count"], 1);
    let id = notify(&one, gina.id, "g2").await;
    let want = (
        "notification".to_string(),
        json!({"id": id, "unread_count": 2}),
    );
    assert_eq!(near.next().await, want);
    assert_eq!(stream.next().await, want);
    let id3 = notify(&two, gina.id, "g3").await;
    assert_eq!(near.next().await.1["id"], id3, "no repeat of g2 first");
    assert_eq!(stream.next().await.1["id"], id3);
}
