//! The shared response cache under the page cache and the API list cache: an answer rendered
//! from data read before a write is not kept once the write has returned, so nobody asking after
//! the write sees the old data (the stale-after-write race).
//!
//! The race is made deterministic by holding the cache's fills: the in-flight request has read
//! and rendered the old row and waits just before it would be kept, while the test writes.

use reqwest::Method;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::{Backend, TestApp};
use crate::rest_cache::cached_app;
use crate::rest_support::{call, send, token_for};

backend_tests!(
    a_page_rendered_during_an_edit_is_not_kept,
    a_list_read_during_an_edit_is_not_kept,
);

const BEFORE: &str = "Title Before The Edit";
const AFTER: &str = "Title After The Edit";

/// A cached instance, a superuser token, and a published course retitled [`BEFORE`]: its id and
/// slug.
async fn setup(backend: Backend) -> (TestApp, String, i64, String) {
    let app = cached_app(backend, Vec::new()).await;
    let admin = token_for(&app, "root", true, &[]).await;
    let (_, list, _) = send(call(&app, Method::GET, "/api/v1/courses?limit=1", None)).await;
    let course = &list["results"][0];
    let id = course["id"].as_i64().unwrap();
    let slug = course["slug"].as_str().unwrap().to_string();
    retitle(&app, &admin, id, BEFORE).await;
    (app, admin, id, slug)
}

async fn retitle(app: &TestApp, token: &str, id: i64, title: &str) {
    let path = format!("/api/v1/courses/{id}");
    let (status, body, _) =
        send(call(app, Method::PATCH, &path, Some(token)).json(&json!({"title": title}))).await;
    assert_eq!(status, 200, "{body}");
}

/// Sends `request` in the background; its body as text.
fn in_flight(request: reqwest::RequestBuilder) -> tokio::task::JoinHandle<String> {
    tokio::spawn(async move { request.send().await.unwrap().text().await.unwrap() })
}

async fn text(app: &TestApp, path: &str) -> (Option<String>, String) {
    let response = app.get(path).await;
    assert_eq!(response.status(), 200);
    let cache = response
        .headers()
        .get("x-cache")
        .map(|v| v.to_str().unwrap().to_string());
    (cache, response.text().await.unwrap())
}

async fn a_page_rendered_during_an_edit_is_not_kept(backend: Backend) {
    let (app, admin, id, slug) = setup(backend).await;
    let page = format!("/courses/{slug}");
    let hold = app.pages.responses().hold_fills();
    let render = in_flight(app.client.get(app.url(&page)));
    // Rendered from the row as it was, and about to be kept.
    hold.arrived().await;
    retitle(&app, &admin, id, AFTER).await;
    hold.release();
    // The render read before the write, so it shows the old title: the race did happen.
    let raced = render.await.unwrap();
    assert!(raced.contains(BEFORE) && !raced.contains(AFTER));

    // Everyone asking after the edit returned sees the new title: the page is rendered again
    // (a miss), then served from memory.
    for want in ["miss", "hit"] {
        let (cache, html) = text(&app, &page).await;
        assert!(
            html.contains(AFTER) && !html.contains(BEFORE),
            "the old title after the edit (x-cache: {cache:?})"
        );
        assert_eq!(cache.as_deref(), Some(want));
    }
}

async fn a_list_read_during_an_edit_is_not_kept(backend: Backend) {
    let (app, admin, id, slug) = setup(backend).await;
    let list = format!("/api/v1/courses?search={slug}");
    let titles = |body: &Value| {
        body["results"]
            .as_array()
            .and_then(|rows| rows.iter().find(|row| row["id"] == id))
            .and_then(|row| row["title"].as_str())
            .map(str::to_string)
    };
    let hold = app.api_cache.responses().hold_fills();
    // The same request as the reads below: the same cache key.
    let read = in_flight(call(&app, Method::GET, &list, None));
    hold.arrived().await;
    retitle(&app, &admin, id, AFTER).await;
    hold.release();
    let raced: Value = serde_json::from_str(&read.await.unwrap()).unwrap();
    assert_eq!(titles(&raced).as_deref(), Some(BEFORE));

    for _ in 0..2 {
        let (status, body, _) = send(call(&app, Method::GET, &list, None)).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            titles(&body).as_deref(),
            Some(AFTER),
            "the old title after the edit"
        );
    }
}
