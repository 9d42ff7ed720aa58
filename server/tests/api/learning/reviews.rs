//! Reviews: once per enrolled student (a second write edits it), the average and count, the
//! rating filter, and who may write.

use reqwest::Method;
use serde_json::json;

use super::{course, enrol};
use crate::backend_tests;
use crate::helpers::{spawn_app_with, Backend, Options};
use crate::rest_support::{call, send};

backend_tests!(one_review_per_student_with_average_and_count);

async fn one_review_per_student_with_average_and_count(backend: Backend) {
    let app = spawn_app_with(backend, Options::unthrottled()).await;
    let c = course(&app, "reviewed").await;
    let (ann, bob, eve) = (
        app.student("ann").await,
        app.student("bob").await,
        app.student("eve").await,
    );
    enrol(&app, &ann, &c, None).await;
    enrol(&app, &bob, &c, None).await;
    let (ann, bob, eve) = (
        app.bearer(&ann).await,
        app.bearer(&bob).await,
        app.bearer(&eve).await,
    );
    let mine = format!("/api/v1/courses/{}/reviews/mine", c.id);
    let put = |token: String, body: serde_json::Value| {
        let (app, mine) = (&app, mine.clone());
        async move { send(call(app, Method::PUT, &mine, Some(&token)).json(&body)).await }
    };

    let (status, first, _) = put(ann.clone(), json!({"rating": 2, "body": "meh"})).await;
    assert_eq!(status, 201, "{first}");
    let (status, edited, _) = put(
        ann.clone(),
        json!({"rating": 4, "body": "better on a second look"}),
    )
    .await;
    assert_eq!(status, 200, "a second write edits the first: {edited}");
    assert_eq!(edited["id"], first["id"]);
    let (status, _, _) = put(bob.clone(), json!({"rating": 5})).await;
    assert_eq!(status, 201);
    // Not enrolled, anonymous, bad ratings.
    let (status, _, _) = put(eve, json!({"rating": 1})).await;
    assert_eq!(status, 403, "only enrolled students review");
    let (status, _, _) =
        send(call(&app, Method::PUT, &mine, None).json(&json!({"rating": 1}))).await;
    assert_eq!(status, 401);
    for bad in [
        json!({"rating": 0}),
        json!({"rating": 6}),
        json!({"rating": 3, "stars": 3}),
        json!({}),
    ] {
        let (status, body, _) = put(bob.clone(), bad.clone()).await;
        assert_eq!(status, 422, "{bad}: {body}");
    }

    let list = format!("/api/v1/courses/{}/reviews", c.id);
    let (status, page, _) = send(call(&app, Method::GET, &list, None)).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["count"], 2, "one review per student");
    assert_eq!(page["total"], 2);
    assert_eq!(page["average"], 4.5);
    let (_, fives, _) = send(call(
        &app,
        Method::GET,
        &format!("{list}?rating=5&limit=1"),
        None,
    ))
    .await;
    assert_eq!(fives["count"], 1);
    assert_eq!(fives["results"][0]["username"], "bob");
    assert_eq!(fives["average"], 4.5, "the average is the course's");
    let (status, _, _) = send(call(&app, Method::GET, &format!("{list}?rating=9"), None)).await;
    assert_eq!(status, 400);
    let (status, _, _) = send(call(
        &app,
        Method::GET,
        "/api/v1/courses/99999999/reviews",
        None,
    ))
    .await;
    assert_eq!(status, 404);
}
