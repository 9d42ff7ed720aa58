//! `/api/v1` model resources: the list envelope and both paging styles, sorting, filters,
//! search, and the write cycle with its status codes, ETags and soft delete.

use reqwest::Method;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::{spawn_app, spawn_app_with, Backend, Options, TestApp};
use crate::rest_support::{assert_problem, call, send, token_for};

backend_tests!(
    lists_page_both_ways_with_absolute_links,
    lists_sort_filter_and_search,
    writes_answer_201_204_409_410_412_422_with_etags,
    chapters_are_nested_under_their_course,
    users_are_created_by_admins_and_can_sign_in,
    file_addresses_are_absolute_urls,
);

async fn get(app: &TestApp, path: &str) -> Value {
    let (status, body, _) = send(call(app, Method::GET, path, None)).await;
    assert_eq!(status, 200, "{path}: {body}");
    body
}

fn column<'a>(page: &'a Value, field: &str) -> Vec<&'a Value> {
    page["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r[field])
        .collect()
}

async fn lists_page_both_ways_with_absolute_links(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = get(&app, "/api/v1/courses?per_page=5&level=beginner").await;
    let count = first["count"].as_u64().unwrap();
    assert!(count > 5, "the demo catalogue has beginner courses");
    assert_eq!(first["results"].as_array().unwrap().len(), 5);
    assert!(first["previous"].is_null());
    let next = first["next"].as_str().unwrap();
    assert_eq!(
        next,
        app.url("/api/v1/courses?level=beginner&page=2&per_page=5")
    );
    let (_, second, _) = send(app.client.get(next)).await;
    assert_ne!(second["results"][0]["id"], first["results"][0]["id"]);
    assert_eq!(
        second["previous"],
        app.url("/api/v1/courses?level=beginner&page=1&per_page=5")
    );

    let last_offset = count - 2;
    let tail = get(
        &app,
        &format!("/api/v1/courses?level=beginner&limit=4&offset={last_offset}"),
    )
    .await;
    assert_eq!(tail["results"].as_array().unwrap().len(), 2);
    assert!(tail["next"].is_null());
    assert_eq!(
        tail["previous"],
        app.url(&format!(
            "/api/v1/courses?level=beginner&limit=4&offset={}",
            last_offset - 4
        ))
    );
    let all = get(&app, "/api/v1/courses?limit=100").await;
    assert_eq!(all["count"], 60);
    assert_eq!(all["results"].as_array().unwrap().len(), 60);
    assert_eq!(all["results"][0]["currency"], "CNY");

    for junk in [
        "limit=5&page=2",
        "per_page=101",
        "limit=0",
        "page=x",
        "offset=-1",
        "colour=red",
        "sortby=nope",
        "level=expert",
        "price_min=cheap",
    ] {
        let (status, body, headers) = send(call(
            &app,
            Method::GET,
            &format!("/api/v1/courses?{junk}"),
            None,
        ))
        .await;
        assert_problem(status, &body, &headers, 400);
        assert!(!body["errors"].as_array().unwrap().is_empty(), "{junk}");
    }
}

async fn lists_sort_filter_and_search(backend: Backend) {
    let app = spawn_app(backend).await;
    let asc = get(&app, "/api/v1/courses?sortby=price_cents&limit=100").await;
    let prices: Vec<i64> = column(&asc, "price_cents")
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    assert_eq!(prices.len(), 60, "the whole demo catalogue");
    assert!(prices.windows(2).all(|w| w[0] <= w[1]));
    let desc = get(&app, "/api/v1/courses?sortby=price&order=desc&limit=100").await;
    let prices: Vec<i64> = column(&desc, "price_cents")
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    assert_eq!(prices.len(), 60);
    assert!(prices.windows(2).all(|w| w[0] >= w[1]));
    // Two keys: title ascending, then price descending within a title.
    let multi = get(&app, "/api/v1/courses?sortby=title,-price_cents&limit=100").await;
    let rows: Vec<(String, i64)> = multi["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["title"].as_str().unwrap().to_string(),
                r["price_cents"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(rows.len(), 60);
    assert!(rows
        .windows(2)
        .all(|w| w[0].0 < w[1].0 || (w[0].0 == w[1].0 && w[0].1 >= w[1].1)));

    let band = get(
        &app,
        "/api/v1/courses?price_min=1000&price_cents_max=5000&limit=100",
    )
    .await;
    assert!(band["count"].as_u64().unwrap() > 0);
    assert!(!band["results"].as_array().unwrap().is_empty());
    for p in column(&band, "price_cents") {
        assert!((1000..=5000).contains(&p.as_i64().unwrap()));
    }
    // The category and level of one course: the filter must find at least that one.
    let category = asc["results"][0]["category_id"].as_i64().unwrap();
    let level = asc["results"][0]["level"].as_str().unwrap();
    let in_category = get(
        &app,
        &format!("/api/v1/courses?category_id={category}&level={level}&limit=100"),
    )
    .await;
    assert!(
        column(&in_category, "id").contains(&&asc["results"][0]["id"]),
        "the course the filter was taken from"
    );
    for r in in_category["results"].as_array().unwrap() {
        assert_eq!(r["category_id"], category);
        assert_eq!(r["level"], level);
    }
    let featured = get(&app, "/api/v1/courses?featured=true&limit=100").await;
    let n = column(&featured, "featured").len();
    assert!(
        (1..60).contains(&n),
        "some courses are featured, not all: {n}"
    );
    assert!(column(&featured, "featured")
        .iter()
        .all(|f| **f == json!(true)));

    let title = asc["results"][0]["title"].as_str().unwrap();
    let term = title.split_whitespace().last().unwrap().to_lowercase();
    let found = get(
        &app,
        &format!("/api/v1/courses?search={}&limit=100", urlencode(&term)),
    )
    .await;
    let n = found["count"].as_u64().unwrap();
    assert!((1..60).contains(&n), "{term}: {n}");
    assert_eq!(found["results"].as_array().unwrap().len() as u64, n);
    for r in found["results"].as_array().unwrap() {
        let text = format!("{} {} {}", r["title"], r["slug"], r["summary"]).to_lowercase();
        assert!(text.contains(&term), "{text} lacks {term}");
    }
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A teacher and a category of the demo catalogue.
async fn references(app: &TestApp) -> (i64, i64) {
    let t = get(app, "/api/v1/teachers?limit=1").await;
    let c = get(app, "/api/v1/categories?limit=1").await;
    (
        t["results"][0]["id"].as_i64().unwrap(),
        c["results"][0]["id"].as_i64().unwrap(),
    )
}

async fn writes_answer_201_204_409_410_412_422_with_etags(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = token_for(&app, "root", true, &[]).await;
    let (teacher, category) = references(&app).await;
    let course = json!({
        "title": "Async Rust", "slug": "async-rust", "level": "advanced", "price_cents": 19900,
        "teacher_id": teacher, "category_id": category
    });
    let (status, created, headers) =
        send(call(&app, Method::POST, "/api/v1/courses", Some(&admin)).json(&course)).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    let location = headers["location"].to_str().unwrap().to_string();
    assert_eq!(location, app.url(&format!("/api/v1/courses/{id}")));
    assert_eq!(created["currency"], "CNY");
    assert_eq!(created["price_cents"], 19900);
    let etag = headers["etag"].to_str().unwrap().to_string();

    // Drafts are not public; the admin sees it, with the same tag as on create.
    let path = format!("/api/v1/courses/{id}");
    let (status, _, _) = send(call(&app, Method::GET, &path, None)).await;
    assert_eq!(status, 404);
    let (status, body, h) = send(call(&app, Method::GET, &path, Some(&admin))).await;
    assert_eq!((status, body["slug"].as_str()), (200, Some("async-rust")));
    assert_eq!(h["etag"].to_str().unwrap(), etag);
    let (status, body, _) =
        send(call(&app, Method::GET, &path, Some(&admin)).header("If-None-Match", &etag)).await;
    assert_eq!((status, body), (304, Value::Null));

    let (status, body, headers) = send(
        call(&app, Method::PATCH, &path, Some(&admin))
            .header("If-Match", "\"stale\"")
            .json(&json!({"summary": "new"})),
    )
    .await;
    assert_problem(status, &body, &headers, 412);
    let (status, body, headers) = send(
        call(&app, Method::PATCH, &path, Some(&admin))
            .header("If-Match", &etag)
            .json(&json!({"summary": "Tasks, futures and runtimes"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["summary"], "Tasks, futures and runtimes");
    let newer = headers["etag"].to_str().unwrap().to_string();
    assert_ne!(newer, etag);
    // The old tag is stale now, for PUT too.
    let (status, _, _) = send(
        call(&app, Method::PUT, &path, Some(&admin))
            .header("If-Match", &etag)
            .json(&course),
    )
    .await;
    assert_eq!(status, 412);
    let (status, body, headers) =
        send(call(&app, Method::PUT, &path, Some(&admin)).json(&json!({"title": "x"}))).await;
    assert_problem(status, &body, &headers, 422);
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for f in ["slug", "level", "price_cents", "teacher_id", "category_id"] {
        assert!(fields.contains(&f), "{f} missing in {fields:?}");
    }

    let (status, body, headers) =
        send(call(&app, Method::POST, "/api/v1/courses", Some(&admin)).json(&course)).await;
    assert_problem(status, &body, &headers, 409);
    let (status, body, headers) = send(
        call(&app, Method::POST, "/api/v1/courses", Some(&admin))
            .json(&json!({"title": "", "slug": "Bad Slug", "price_cents": -5, "colour": "red"})),
    )
    .await;
    assert_problem(status, &body, &headers, 422);
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for f in [
        "title",
        "slug",
        "price_cents",
        "colour",
        "level",
        "teacher_id",
    ] {
        assert!(fields.contains(&f), "{f} missing in {fields:?}");
    }

    let (status, _, _) = send(call(&app, Method::DELETE, &path, Some(&admin))).await;
    assert_eq!(status, 204);
    for method in [Method::GET, Method::DELETE, Method::PATCH] {
        let request = call(&app, method.clone(), &path, Some(&admin)).json(&json!({}));
        let (status, body, headers) = send(request).await;
        assert_problem(status, &body, &headers, 410);
    }
}

async fn chapters_are_nested_under_their_course(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = token_for(&app, "root", true, &[]).await;
    let course = get(&app, "/api/v1/courses?limit=1").await["results"][0]["id"]
        .as_i64()
        .unwrap();
    let other = get(&app, "/api/v1/courses?limit=1&offset=1").await["results"][0]["id"]
        .as_i64()
        .unwrap();
    let chapters = get(
        &app,
        &format!("/api/v1/courses/{course}/chapters?sortby=position"),
    )
    .await;
    let n = chapters["count"].as_u64().unwrap();
    assert!(n >= 3);
    assert!(chapters["results"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["course_id"] == course));
    let chapter = chapters["results"][0]["id"].as_i64().unwrap();
    get(
        &app,
        &format!("/api/v1/courses/{course}/chapters/{chapter}"),
    )
    .await;
    let (status, _, _) = send(call(
        &app,
        Method::GET,
        &format!("/api/v1/courses/{other}/chapters/{chapter}"),
        None,
    ))
    .await;
    assert_eq!(status, 404);
    let (status, _, _) = send(call(
        &app,
        Method::GET,
        "/api/v1/courses/99999999/chapters",
        None,
    ))
    .await;
    assert_eq!(status, 404);
    let (status, _, _) = send(call(
        &app,
        Method::GET,
        &format!("/api/v1/courses/{course}/chapters?course_id=1"),
        None,
    ))
    .await;
    assert_eq!(status, 400);

    let (status, body, headers) = send(
        call(
            &app,
            Method::POST,
            &format!("/api/v1/courses/{course}/chapters"),
            Some(&admin),
        )
        .json(&json!({"title": "Epilogue", "position": 99})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["course_id"], course);
    assert_eq!(
        headers["location"].to_str().unwrap(),
        app.url(&format!("/api/v1/courses/{course}/chapters/{}", body["id"]))
    );
    let (status, body, _) = send(
        call(
            &app,
            Method::POST,
            &format!("/api/v1/courses/{course}/chapters"),
            Some(&admin),
        )
        .json(&json!({"title": "Elsewhere", "course_id": other})),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let after = get(&app, &format!("/api/v1/courses/{course}/chapters")).await;
    assert_eq!(after["count"].as_u64().unwrap(), n + 1);
}

async fn users_are_created_by_admins_and_can_sign_in(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = token_for(&app, "root", true, &[]).await;
    let new_user = json!({"username": "grace", "email": "grace@example.com", "password": "Correct horse battery 9"});
    let (status, _, _) =
        send(call(&app, Method::POST, "/api/v1/users", None).json(&new_user)).await;
    assert_eq!(status, 401);
    let (status, body, headers) =
        send(call(&app, Method::POST, "/api/v1/users", Some(&admin)).json(&new_user)).await;
    assert_eq!(status, 201, "{body}");
    assert!(body.get("password").is_none() && body.get("password_hash").is_none());
    assert!(headers["location"]
        .to_str()
        .unwrap()
        .ends_with(&format!("/api/v1/users/{}", body["id"])));
    let (status, body, _) =
        send(call(&app, Method::POST, "/api/v1/users", Some(&admin)).json(&new_user)).await;
    assert_eq!(status, 409, "{body}");

    let (status, token, _) = send(
        call(&app, Method::POST, "/api/v1/auth/token", None)
            .json(&json!({"username": "grace", "password": "Correct horse battery 9"})),
    )
    .await;
    assert_eq!(status, 200, "{token}");
    let (status, me, _) = send(call(
        &app,
        Method::GET,
        "/api/v1/users/me",
        token["access_token"].as_str(),
    ))
    .await;
    assert_eq!((status, me["username"].as_str()), (200, Some("grace")));
    // Her token does not open the user list.
    let (status, _, _) = send(call(
        &app,
        Method::GET,
        "/api/v1/users",
        token["access_token"].as_str(),
    ))
    .await;
    assert_eq!(status, 403);
}

/// `cover_url` and `avatar_url` of the demo rows: every one, in lists and items.
async fn file_addresses(app: &TestApp) -> Vec<String> {
    let mut seen = Vec::new();
    for (path, field) in [
        ("/api/v1/courses", "cover_url"),
        ("/api/v1/teachers", "avatar_url"),
    ] {
        let list = get(app, &format!("{path}?per_page=5")).await;
        let rows = list["results"].as_array().unwrap();
        assert!(!rows.is_empty(), "{path}");
        for row in rows {
            seen.push(row[field].as_str().unwrap().to_string());
        }
        let item = get(app, &format!("{path}/{}", rows[0]["id"])).await;
        seen.push(item[field].as_str().unwrap().to_string());
    }
    seen
}

/// Our own images are kept as site paths (the pages use them so) but answered as absolute URLs,
/// as the document says: on `PUBLIC_URL` when it is set, else on the request's host.
async fn file_addresses_are_absolute_urls(backend: Backend) {
    let app = spawn_app(backend).await;
    for url in file_addresses(&app).await {
        assert!(url.starts_with(&app.url("/img/")), "{url}");
    }
    let html = app.get("/courses").await.text().await.unwrap();
    assert!(
        html.contains("src=\"/img/cover-"),
        "the pages keep site paths"
    );

    let public = spawn_app_with(
        backend,
        Options {
            extra: vec![("PUBLIC_URL", "https://learn.example/xc".into())],
            ..Default::default()
        },
    )
    .await;
    for url in file_addresses(&public).await {
        assert!(url.starts_with("https://learn.example/xc/img/"), "{url}");
    }
}
