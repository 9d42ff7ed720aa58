//! The attacker's view: requests a hostile or over-curious caller would send, each with what
//! must happen instead. Every feature adds its own here (what can a user with one permission do
//! to an account with more, what does an anonymous caller read, what do parallel requests do to
//! a counter).

use reqwest::Method;
use serde_json::{json, Value};
use server::models::sql::SqlValue;

use crate::accounts::{me, post_form, session_cookie};
use crate::backend_tests;
use crate::helpers::{spawn_app, spawn_app_with, Backend, Options, TestApp};
use crate::rest_support::{assert_problem, call, send, token_for, PASSWORD};

backend_tests!(
    user_change_cannot_take_over_a_more_powerful_account,
    back_office_actions_on_a_superior_account_are_refused,
    paid_lesson_content_is_only_for_enrolled_students,
    a_new_password_ends_every_other_session_and_token,
    sign_out_everywhere_and_deactivation_end_tokens_too,
    parallel_guesses_cannot_outrun_the_login_throttle,
    oversized_bodies_and_passwords_are_refused_before_work,
    nul_bytes_in_addresses_are_a_400,
    a_deactivated_account_is_signed_out_on_every_path,
    pages_carry_security_headers_and_a_nonce_policy,
    choice_lists_name_only_what_the_viewer_may_see,
    role_edits_cannot_strip_a_more_powerful_member,
    writers_without_view_get_no_gated_content_back,
    a_search_with_a_nul_in_the_body_is_no_500,
    a_session_opened_with_an_old_password_is_over,
);

/// Generous API budgets: these tests count the app's answers, not the throttle's.
fn roomy() -> Options {
    Options {
        extra: vec![
            ("API_THROTTLE_ANON", "100000/min".into()),
            ("API_THROTTLE_USER", "100000/min".into()),
            ("API_THROTTLE_AUTH", "100000/min".into()),
        ],
        ..Default::default()
    }
}

async fn user_id(app: &TestApp, admin: &str, username: &str) -> i64 {
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
async fn token_pair(app: &TestApp, username: &str, password: &str) -> (u16, Value) {
    let (status, body, _) = send(call(app, Method::POST, "/api/v1/auth/token", None).json(
        &json!({
            "username": username, "password": password
        }),
    ))
    .await;
    (status, body)
}

/// Signs `username` in through the browser form; returns the session cookie.
async fn browser_sign_in(app: &TestApp, username: &str, password: &str) -> String {
    let response = post_form(
        app,
        "/fn/accounts/login",
        None,
        &[("username", username), ("password", password)],
    )
    .await;
    assert_eq!(response.status(), 200, "sign-in of {username}");
    session_cookie(&response).expect("a session cookie")
}

async fn user_change_cannot_take_over_a_more_powerful_account(backend: Backend) {
    let app = spawn_app_with(backend, roomy()).await;
    let root = token_for(&app, "root", true, &[]).await;
    let staff = token_for(
        &app,
        "staff",
        false,
        &["user.view", "user.change", "user.delete"],
    )
    .await;
    token_for(&app, "support", false, &["order.view", "order.refund"]).await;
    token_for(&app, "learner", false, &[]).await;
    let root_id = user_id(&app, &root, "root").await;
    let support_id = user_id(&app, &root, "support").await;
    let learner_id = user_id(&app, &root, "learner").await;

    for (target, name) in [(root_id, "the superuser"), (support_id, "a refund clerk")] {
        for body in [
            json!({"password": "attacker chosen secret"}),
            json!({"email": "attacker@evil.example"}),
            json!({"is_active": false}),
            json!({"nickname": "pwned"}),
        ] {
            let (status, problem, headers) = send(
                call(
                    &app,
                    Method::PATCH,
                    &format!("/api/v1/users/{target}"),
                    Some(&staff),
                )
                .json(&body),
            )
            .await;
            assert_problem(status, &problem, &headers, 403);
            let _ = name;
        }
        let (status, _, _) = send(call(
            &app,
            Method::DELETE,
            &format!("/api/v1/users/{target}"),
            Some(&staff),
        ))
        .await;
        assert_eq!(status, 403, "deleting {name}");
    }
    // Nothing was written: the superuser still signs in with its own password and address.
    let (status, _) = token_pair(&app, "root", PASSWORD).await;
    assert_eq!(status, 200, "the superuser's password is unchanged");
    let (_, root_row, _) = send(call(
        &app,
        Method::GET,
        &format!("/api/v1/users/{root_id}"),
        Some(&root),
    ))
    .await;
    assert_eq!(root_row["email"], "root@example.com");
    assert_eq!(root_row["is_active"], true);

    // An account with no more powers than the actor's is still theirs to manage.
    let (status, body, _) = send(
        call(
            &app,
            Method::PATCH,
            &format!("/api/v1/users/{learner_id}"),
            Some(&staff),
        )
        .json(&json!({"nickname": "renamed by staff"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // And a superuser acts on anyone.
    let (status, _, _) = send(
        call(
            &app,
            Method::PATCH,
            &format!("/api/v1/users/{support_id}"),
            Some(&root),
        )
        .json(&json!({"nickname": "renamed by root"})),
    )
    .await;
    assert_eq!(status, 200);
}

async fn back_office_actions_on_a_superior_account_are_refused(backend: Backend) {
    let app = spawn_app_with(backend, roomy()).await;
    let root = token_for(&app, "root", true, &[]).await;
    token_for(&app, "staff", false, &["user.view", "user.change"]).await;
    let root_id = user_id(&app, &root, "root").await;
    let staff = browser_sign_in(&app, "staff", PASSWORD).await;
    let root_cookie = browser_sign_in(&app, "root", PASSWORD).await;
    let id = root_id.to_string();
    for (path, form) in [
        (
            "/fn/admin/user-access/force-reset",
            vec![("user_id", id.as_str())],
        ),
        (
            "/fn/admin/user-access/end-sessions",
            vec![("user_id", id.as_str())],
        ),
        // Stripping the superuser's grants (here: none left) is acting on it as well.
        ("/fn/admin/user-access/set", vec![("user_id", id.as_str())]),
    ] {
        let response = post_form(&app, path, Some(&staff), &form).await;
        assert_eq!(response.status(), 403, "{path}");
    }
    assert_eq!(
        me(&app, &root_cookie).await["username"],
        "root",
        "the superuser's session was not ended"
    );
    let (status, _) = token_pair(&app, "root", PASSWORD).await;
    assert_eq!(status, 200, "no forced reset suspended the superuser");
}

async fn paid_lesson_content_is_only_for_enrolled_students(backend: Backend) {
    let app = spawn_app_with(backend, roomy()).await;
    let root = token_for(&app, "root", true, &[]).await;
    let editor = token_for(&app, "editor", false, &["lesson.view"]).await;
    let student = token_for(&app, "student", false, &[]).await;
    let outsider = token_for(&app, "outsider", false, &[]).await;
    // One paid and one free-preview lesson of a published course, with content to leak.
    let (_, page, _) = send(call(
        &app,
        Method::GET,
        "/api/v1/lessons?free_preview=false&limit=1",
        None,
    ))
    .await;
    let paid = page["results"][0]["id"]
        .as_i64()
        .expect("a public paid lesson");
    let chapter = page["results"][0]["chapter_id"].as_i64().unwrap();
    let course = server::db::records::scalar(
        &app.db,
        "SELECT course_id FROM chapters WHERE id = $1",
        &[SqlValue::Int(chapter)],
    )
    .await
    .unwrap();
    let secret =
        json!({"content_md": "the paid answer key", "video_url": "https://cdn.example/paid.mp4"});
    let (status, _, _) = send(
        call(
            &app,
            Method::PATCH,
            &format!("/api/v1/lessons/{paid}"),
            Some(&root),
        )
        .json(&secret),
    )
    .await;
    assert_eq!(status, 200);
    let (status, preview_row, _) = send(
        call(&app, Method::POST, "/api/v1/lessons", Some(&root)).json(&json!({
            "chapter_id": chapter, "title": "Taster", "kind": "article",
            "free_preview": true, "content_md": "free for all"
        })),
    )
    .await;
    assert_eq!(status, 201, "{preview_row}");
    let preview = preview_row["id"].as_i64().unwrap();
    let student_id = user_id(&app, &root, "student").await;
    server::db::records::execute(
        &app.db,
        "INSERT INTO enrollments (user_id, course_id) VALUES ($1, $2)",
        &[SqlValue::Int(student_id), SqlValue::Int(course)],
    )
    .await
    .unwrap();

    let read = |token: Option<String>, id: i64| {
        let app = &app;
        async move {
            let (status, one, _) = send(call(
                app,
                Method::GET,
                &format!("/api/v1/lessons/{id}"),
                token.as_deref(),
            ))
            .await;
            assert_eq!(status, 200, "{one}");
            let (_, list, _) = send(call(
                app,
                Method::GET,
                &format!("/api/v1/lessons?chapter_id={chapter}&limit=100"),
                token.as_deref(),
            ))
            .await;
            let listed = list["results"]
                .as_array()
                .unwrap()
                .iter()
                .find(|l| l["id"] == id)
                .cloned()
                .expect("listed");
            assert_eq!(
                listed["content_md"], one["content_md"],
                "list and item agree"
            );
            assert_eq!(listed["video_url"], one["video_url"]);
            one
        }
    };
    for (who, token) in [
        ("anonymous", None),
        ("signed in, not enrolled", Some(outsider.clone())),
    ] {
        let row = read(token.clone(), paid).await;
        assert_eq!(row["content_md"], Value::Null, "{who} reads paid text");
        assert_eq!(row["video_url"], Value::Null, "{who} reads the paid video");
        assert!(row["title"].is_string(), "{who} still sees the outline");
        let free = read(token, preview).await;
        assert_eq!(free["content_md"], "free for all", "{who}: free preview");
    }
    for (who, token) in [("enrolled", student), ("staff with lesson.view", editor)] {
        let row = read(Some(token), paid).await;
        assert_eq!(row["content_md"], "the paid answer key", "{who}");
        assert_eq!(row["video_url"], "https://cdn.example/paid.mp4", "{who}");
    }
}

async fn a_new_password_ends_every_other_session_and_token(backend: Backend) {
    let app = spawn_app_with(backend, roomy()).await;
    let root = token_for(&app, "root", true, &[]).await;
    token_for(&app, "victim", false, &[]).await;
    // The victim's browser, and the attacker's browser and API client with the stolen password.
    let own = browser_sign_in(&app, "victim", PASSWORD).await;
    let stolen = browser_sign_in(&app, "victim", PASSWORD).await;
    let (_, pair) = token_pair(&app, "victim", PASSWORD).await;
    let access = pair["access_token"].as_str().unwrap().to_string();
    let refresh = pair["refresh_token"].as_str().unwrap().to_string();
    let (status, _, _) = send(call(&app, Method::GET, "/api/v1/users/me", Some(&access))).await;
    assert_eq!(status, 200);

    let changed = post_form(
        &app,
        "/fn/accounts/password",
        Some(&own),
        &[
            ("current_password", PASSWORD),
            ("new_password", "the owner's new passphrase"),
        ],
    )
    .await;
    assert_eq!(changed.status(), 200);
    let own = session_cookie(&changed).expect("the owner's session gets a new id");
    assert_eq!(
        me(&app, &own).await["username"],
        "victim",
        "the owner stays in"
    );
    assert_eq!(
        me(&app, &stolen).await,
        Value::Null,
        "the other browser is out"
    );
    let (status, _, _) = send(call(&app, Method::GET, "/api/v1/users/me", Some(&access))).await;
    assert_eq!(status, 401, "the access token issued before is refused");
    let (status, _, _) = send(
        call(&app, Method::POST, "/api/v1/auth/refresh", None)
            .json(&json!({"refresh_token": refresh})),
    )
    .await;
    assert_eq!(status, 401, "the refresh token is spent");
    // A token fetched afterwards with the new password works at once.
    let (status, fresh) = token_pair(&app, "victim", "the owner's new passphrase").await;
    assert_eq!(status, 200);
    let fresh = fresh["access_token"].as_str().unwrap().to_string();
    let (status, _, _) = send(call(&app, Method::GET, "/api/v1/users/me", Some(&fresh))).await;
    assert_eq!(status, 200, "a token issued after the change works");

    // A password set by an administrator locks everyone out too, the owner included.
    let victim_id = user_id(&app, &root, "victim").await;
    let (status, _, _) = send(
        call(
            &app,
            Method::PATCH,
            &format!("/api/v1/users/{victim_id}"),
            Some(&root),
        )
        .json(&json!({"password": "set by the administrator"})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        me(&app, &own).await,
        Value::Null,
        "sessions end on an admin-set password"
    );
    let (status, _, _) = send(call(&app, Method::GET, "/api/v1/users/me", Some(&fresh))).await;
    assert_eq!(status, 401, "tokens end on an admin-set password");
}

async fn sign_out_everywhere_and_deactivation_end_tokens_too(backend: Backend) {
    let app = spawn_app_with(backend, roomy()).await;
    let root = token_for(&app, "root", true, &[]).await;
    token_for(&app, "owner", false, &[]).await;
    let here = browser_sign_in(&app, "owner", PASSWORD).await;
    let there = browser_sign_in(&app, "owner", PASSWORD).await;
    let (_, pair) = token_pair(&app, "owner", PASSWORD).await;
    let access = pair["access_token"].as_str().unwrap().to_string();
    let refresh = pair["refresh_token"].as_str().unwrap().to_string();
    let out = post_form(&app, "/fn/accounts/devices/sign-out-all", Some(&here), &[]).await;
    assert_eq!(out.status(), 200);
    assert_eq!(
        me(&app, &here).await["username"],
        "owner",
        "this device stays"
    );
    assert_eq!(me(&app, &there).await, Value::Null);
    let (status, _, _) = send(call(&app, Method::GET, "/api/v1/users/me", Some(&access))).await;
    assert_eq!(status, 401, "sign out everywhere ends API access tokens");
    let (status, _, _) = send(
        call(&app, Method::POST, "/api/v1/auth/refresh", None)
            .json(&json!({"refresh_token": refresh})),
    )
    .await;
    assert_eq!(status, 401, "and refresh tokens");

    let (_, pair) = token_pair(&app, "owner", PASSWORD).await;
    let refresh = pair["refresh_token"].as_str().unwrap().to_string();
    let owner_id = user_id(&app, &root, "owner").await;
    let (status, _, _) = send(
        call(
            &app,
            Method::PATCH,
            &format!("/api/v1/users/{owner_id}"),
            Some(&root),
        )
        .json(&json!({"is_active": false})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        me(&app, &here).await,
        Value::Null,
        "deactivation ends sessions"
    );
    let (status, _, _) = send(
        call(&app, Method::POST, "/api/v1/auth/refresh", None)
            .json(&json!({"refresh_token": refresh})),
    )
    .await;
    assert_eq!(status, 401, "deactivation ends refresh tokens");
}

async fn parallel_guesses_cannot_outrun_the_login_throttle(backend: Backend) {
    let app = spawn_app(backend).await;
    crate::accounts::register(&app, "target").await;
    let guesses = (0..30).map(|i| {
        let app = &app;
        async move {
            post_form(
                app,
                "/fn/accounts/login",
                None,
                &[
                    ("username", "target"),
                    ("password", &format!("guess number {i}")),
                ],
            )
            .await
            .status()
            .as_u16()
        }
    });
    let statuses = futures::future::join_all(guesses).await;
    let checked = statuses.iter().filter(|s| **s == 422).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(checked + refused, 30, "{statuses:?}");
    assert_eq!(
        checked, 5,
        "exactly the account's limit was checked: {statuses:?}"
    );
    for login in ["target", "target@example.com", "TARGET"] {
        let right = post_form(
            &app,
            "/fn/accounts/login",
            None,
            &[("username", login), ("password", "a long enough secret")],
        )
        .await;
        assert_eq!(
            right.status(),
            429,
            "the limit holds for the right password and every name of the account: {login}"
        );
    }
}

async fn oversized_bodies_and_passwords_are_refused_before_work(backend: Backend) {
    let app = spawn_app(backend).await;
    // Only the head is sent: the answer must come before any of the 3 GB is read.
    let head = announce_body(&app, "/fn/accounts/login", 3 << 30).await;
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
    let head = announce_body(&app, "/fn/accounts/login", 1 << 20).await;
    assert!(
        !head.starts_with("HTTP/1.1 413"),
        "1 MB is allowed (and waited for): {head}"
    );
    // Under the body limit but over the password policy: refused without hashing.
    let long = "p".repeat(129);
    crate::accounts::register(&app, "longpw").await;
    let response = post_form(
        &app,
        "/fn/accounts/login",
        None,
        &[("username", "longpw"), ("password", long.as_str())],
    )
    .await;
    assert_eq!(response.status(), 422);
    let response = post_form(
        &app,
        "/fn/accounts/register",
        None,
        &[
            ("username", "longer"),
            ("email", "longer@example.com"),
            ("password", long.as_str()),
        ],
    )
    .await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["Validation"][0]["field"], "password", "{body}");
}

/// Sends only a request head announcing a body of `length` bytes and returns the status line
/// the server answers within a second (or `"no answer"` while it waits for the body).
async fn announce_body(app: &TestApp, path: &str, length: u64) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = app.address.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&host).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nOrigin: {}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {length}\r\n\r\n",
        app.address
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 512];
    match tokio::time::timeout(std::time::Duration::from_secs(1), stream.read(&mut buf)).await {
        Ok(Ok(n)) => String::from_utf8_lossy(&buf[..n])
            .lines()
            .next()
            .unwrap_or("")
            .to_string(),
        _ => "no answer".into(),
    }
}

async fn nul_bytes_in_addresses_are_a_400(backend: Backend) {
    let app = spawn_app_with(backend, roomy()).await;
    for path in [
        "/api/v1/courses?search=%00",
        "/api/v1/courses?level=%00",
        "/api/v1/profiles/a%00b",
        "/api/v1/courses/1%00",
    ] {
        let (status, body, headers) = send(call(&app, Method::GET, path, None)).await;
        assert_problem(status, &body, &headers, 400);
        assert!(
            body["detail"].as_str().unwrap().contains("NUL"),
            "{path}: {body}"
        );
    }
    for path in ["/courses?q=%00", "/courses/rust%00"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 400, "{path}");
    }
    let response = post_form(
        &app,
        "/fn/accounts/login",
        None,
        &[("username", "ad\0min"), ("password", "whatever it is")],
    )
    .await;
    assert_eq!(
        response.status(),
        422,
        "a NUL in a login is a wrong login, not a 500"
    );
}

async fn a_deactivated_account_is_signed_out_on_every_path(backend: Backend) {
    let app = spawn_app_with(backend, roomy()).await;
    token_for(&app, "leaver", false, &[]).await;
    let cookie = browser_sign_in(&app, "leaver", PASSWORD).await;
    let devices = post_form(&app, "/fn/accounts/devices", Some(&cookie), &[]).await;
    assert_eq!(devices.status(), 200);
    // Deactivated behind the app's back (another instance, a database script).
    server::db::records::execute(
        &app.db,
        "UPDATE users SET is_active = $1 WHERE username = $2",
        &[SqlValue::Bool(false), SqlValue::Text("leaver".into())],
    )
    .await
    .unwrap();
    let devices = post_form(&app, "/fn/accounts/devices", Some(&cookie), &[]).await;
    assert_eq!(
        devices.status(),
        401,
        "the account pages use the one session check"
    );
    let profile = post_form(&app, "/fn/accounts/profile", Some(&cookie), &[]).await;
    assert_eq!(profile.status(), 401);
    let (status, _, _) =
        send(call(&app, Method::GET, "/api/v1/users/me", None).header("cookie", &cookie)).await;
    assert_eq!(status, 401, "so does the API");
}

async fn pages_carry_security_headers_and_a_nonce_policy(backend: Backend) {
    let app = spawn_app(backend).await;
    for path in ["/", "/courses", "/login", "/api/v1/courses"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        let h = response.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(
            h["referrer-policy"], "strict-origin-when-cross-origin",
            "{path}"
        );
    }
    let first = app.get("/courses").await;
    let policy = first.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    let html = first.text().await.unwrap();
    let nonce = policy
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce in the policy")
        .to_string();
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    let scripts = html.matches("<script").count();
    assert!(scripts > 0, "the page hydrates through scripts");
    assert_eq!(
        html.matches(&format!("nonce=\"{nonce}\"")).count(),
        scripts,
        "every inline script carries this response's nonce"
    );
    let second = app.get("/courses").await;
    let again = second.headers()["content-security-policy"]
        .to_str()
        .unwrap();
    assert_ne!(again, policy, "a fresh nonce per rendered page");
}

async fn choice_lists_name_only_what_the_viewer_may_see(backend: Backend) {
    let app = spawn_app_with(backend, roomy()).await;
    let root = token_for(&app, "root", true, &[]).await;
    token_for(
        &app,
        "chaptereditor",
        false,
        &["chapter.view", "chapter.add", "chapter.change"],
    )
    .await;
    let (_, courses, _) = send(call(&app, Method::GET, "/api/v1/courses?limit=1", None)).await;
    let public = &courses["results"][0];
    let (status, draft, _) = send(
        call(&app, Method::POST, "/api/v1/courses", Some(&root)).json(&json!({
            "title": "Unannounced secret course", "slug": "unannounced-secret",
            "status": "draft", "level": "beginner", "price_cents": 100,
            "teacher_id": public["teacher_id"], "category_id": public["category_id"]
        })),
    )
    .await;
    assert!(status == 201, "{draft}");
    let (status, _, _) = send(
        call(
            &app,
            Method::POST,
            &format!("/api/v1/courses/{}/chapters", draft["id"]),
            Some(&root),
        )
        .json(&json!({"title": "Chapter of a draft"})),
    )
    .await;
    assert_eq!(status, 201);
    let cookie = browser_sign_in(&app, "chaptereditor", PASSWORD).await;
    let form = post_form(
        &app,
        "/fn/admin/form",
        Some(&cookie),
        &[("model", "chapter")],
    )
    .await;
    assert_eq!(form.status(), 200);
    let text = form.text().await.unwrap();
    assert!(
        text.contains("course_id"),
        "the form has its course select: {text}"
    );
    assert!(
        !text.contains("Unannounced secret course"),
        "a draft's title leaked"
    );
    let list = post_form(
        &app,
        "/fn/admin/list",
        Some(&cookie),
        &[
            ("model", "chapter"),
            ("query[page]", "1"),
            ("query[search]", "Chapter of a draft"),
        ],
    )
    .await;
    assert_eq!(list.status(), 200);
    let list = list.text().await.unwrap();
    assert!(
        list.contains("Chapter of a draft"),
        "the editor may list every chapter"
    );
    assert!(
        !list.contains("Unannounced secret course"),
        "but not name the draft course"
    );
    // Published courses are public and may be named.
    let public_title = public["title"].as_str().unwrap();
    assert!(text.contains(public_title), "public courses stay choosable");
}

async fn role_edits_cannot_strip_a_more_powerful_member(backend: Backend) {
    let app = spawn_app_with(backend, roomy()).await;
    let root = token_for(&app, "root", true, &[]).await;
    let roles = token_for(
        &app,
        "roles",
        false,
        &["role.view", "role.change", "role.delete"],
    )
    .await;
    let (status, role, _) = send(
        call(&app, Method::POST, "/api/v1/roles", Some(&root)).json(&json!({"name": "Finance"})),
    )
    .await;
    assert_eq!(status, 201, "{role}");
    let role_id = role["id"].as_i64().unwrap();
    let grant = |codenames: &[&str]| {
        codenames
            .iter()
            .map(|c| (format!("grant[{c}]"), "on".to_string()))
            .collect::<Vec<_>>()
    };
    let root_cookie = browser_sign_in(&app, "root", PASSWORD).await;
    let mut form = vec![("role_id".to_string(), role_id.to_string())];
    form.extend(grant(&["order.view", "order.refund"]));
    let borrowed: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let set = post_form(
        &app,
        "/fn/admin/role-permissions/set",
        Some(&root_cookie),
        &borrowed,
    )
    .await;
    assert_eq!(set.status(), 200);
    // A refund clerk holds the role: more than the role editor holds.
    token_for(&app, "clerk", false, &[]).await;
    let clerk = user_id(&app, &root, "clerk").await;
    server::db::records::execute(
        &app.db,
        "INSERT INTO user_roles (user_id, role_id) VALUES ($1, $2)",
        &[SqlValue::Int(clerk), SqlValue::Int(role_id)],
    )
    .await
    .unwrap();
    let editor = browser_sign_in(&app, "roles", PASSWORD).await;
    let emptied = post_form(
        &app,
        "/fn/admin/role-permissions/set",
        Some(&editor),
        &[("role_id", role_id.to_string().as_str())],
    )
    .await;
    assert_eq!(
        emptied.status(),
        403,
        "removing a power they lack from a role"
    );
    let (status, _, _) = send(call(
        &app,
        Method::DELETE,
        &format!("/api/v1/roles/{role_id}"),
        Some(&roles),
    ))
    .await;
    assert_eq!(status, 403, "deleting the role of a more powerful member");
    let (status, _) = token_pair(&app, "clerk", PASSWORD).await;
    assert_eq!(status, 200);
    let held = server::db::rbac::permission_codenames(&app.db, clerk)
        .await
        .unwrap();
    assert!(held.contains(&"order.refund".to_string()), "{held:?}");
}

async fn writers_without_view_get_no_gated_content_back(backend: Backend) {
    let app = spawn_app_with(backend, roomy()).await;
    let root = token_for(&app, "root", true, &[]).await;
    let writer = token_for(&app, "writer", false, &["lesson.change"]).await;
    let (_, page, _) = send(call(
        &app,
        Method::GET,
        "/api/v1/lessons?free_preview=false&limit=1",
        None,
    ))
    .await;
    let paid = page["results"][0]["id"].as_i64().unwrap();
    let (status, _, _) = send(
        call(
            &app,
            Method::PATCH,
            &format!("/api/v1/lessons/{paid}"),
            Some(&root),
        )
        .json(&json!({"content_md": "the paid answer key"})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, row, _) = send(
        call(
            &app,
            Method::PATCH,
            &format!("/api/v1/lessons/{paid}"),
            Some(&writer),
        )
        .json(&json!({"title": "Renamed by a writer"})),
    )
    .await;
    assert_eq!(status, 200, "{row}");
    assert_eq!(row["title"], "Renamed by a writer");
    assert_eq!(
        row["content_md"],
        Value::Null,
        "the write answer is no way around the rule"
    );
}

async fn a_search_with_a_nul_in_the_body_is_no_500(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app
        .client
        .post(app.url("/fn/catalog/courses"))
        .header("origin", app.address.clone())
        .json(&json!({"params": [["q", "ru\u{0}st"]]}))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["notices"][0]["field"], "q", "{body}");
}

/// Behind the shipped nginx every request comes from the proxy: unless the compose file trusts
/// its own network, every user shares one login throttle and one API budget.
#[test]
fn the_shipped_deployment_trusts_its_own_proxy_network() {
    let compose = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docker-compose.yml"
    ))
    .expect("docker-compose.yml");
    let trusted = compose
        .lines()
        .find_map(|l| l.trim().strip_prefix("TRUSTED_PROXIES:"))
        .map(str::trim)
        .expect("TRUSTED_PROXIES is set for the app services");
    let subnet = compose
        .lines()
        .find_map(|l| l.trim().strip_prefix("- subnet:"))
        .map(str::trim)
        .expect("the compose network has a fixed subnet");
    let nets = server::http::client_ip::parse_list(trusted).expect("a valid TRUSTED_PROXIES");
    let subnet: ipnet::IpNet = subnet.parse().expect("a CIDR");
    assert!(
        nets.iter().any(|n| n.contains(&subnet)),
        "TRUSTED_PROXIES {trusted} does not cover the network {subnet} nginx sends from"
    );
}

/// A sign-in still in flight when the password changes may write its session after the change
/// ended every session. Such a session carries the old password's mark and is refused on use.
/// Simulated by changing the password behind the app's back, with no eviction at all.
async fn a_session_opened_with_an_old_password_is_over(backend: Backend) {
    let app = spawn_app_with(backend, roomy()).await;
    token_for(&app, "racer", false, &[]).await;
    let cookie = browser_sign_in(&app, "racer", PASSWORD).await;
    assert_eq!(me(&app, &cookie).await["username"], "racer");
    let hash = server::auth::password::hash_password("changed elsewhere at once".into())
        .await
        .unwrap();
    server::db::records::execute(
        &app.db,
        "UPDATE users SET password_hash = $1 WHERE username = $2",
        &[SqlValue::Text(hash), SqlValue::Text("racer".into())],
    )
    .await
    .unwrap();
    assert_eq!(
        me(&app, &cookie).await,
        Value::Null,
        "the old password's session is over"
    );
    let (status, _, _) =
        send(call(&app, Method::GET, "/api/v1/users/me", None).header("cookie", &cookie)).await;
    assert_eq!(status, 401);
}
