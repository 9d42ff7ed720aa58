//! The session registry: the devices list, ending one or every session (across instances), the
//! client address behind trusted proxies, and id rotation after a privilege change.

use crate::accounts::{me, post_form, register, session_cookie};
use crate::backend_tests;
use crate::helpers::{spawn_app_with, spawn_pair, Backend, Options, TestApp};

backend_tests!(
    devices_are_listed_and_one_can_be_signed_out_embedded,
    devices_are_listed_and_one_can_be_signed_out_redis,
    signing_out_everywhere_works_across_instances,
    privilege_change_rotates_the_session_id_embedded,
    privilege_change_rotates_the_session_id_across_redis_instances,
    forwarded_for_counts_only_from_trusted_proxies,
    the_devices_server_functions_mark_this_device_and_sign_out_the_others,
);

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0";
const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";

/// Signs in as `user` from a browser named by `ua`; returns the session cookie.
async fn login_as(app: &TestApp, user: &str, ua: &str) -> String {
    let response = app
        .client
        .post(app.url("/fn/accounts/login"))
        .header("origin", app.address.clone())
        .header("user-agent", ua)
        .form(&[("username", user), ("password", "a long enough secret")])
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success() || response.status().is_redirection());
    session_cookie(&response).expect("signed in")
}

async fn user_id(app: &TestApp, cookie: &str) -> i64 {
    me(app, cookie).await["id"].as_i64().expect("signed in")
}

async fn devices_listed_and_one_signed_out(app: &TestApp, other: &TestApp) {
    let first = register(app, "gina").await;
    let id = user_id(app, &first).await;
    let firefox = login_as(app, "gina", FIREFOX).await;
    let chrome = login_as(other, "gina", CHROME).await;
    let sessions = app.registry.sessions_of(id).await.unwrap();
    assert_eq!(sessions.len(), 3, "{sessions:?}");
    let browsers: Vec<&str> = sessions.iter().map(|s| s.browser.as_str()).collect();
    assert!(browsers.contains(&"Firefox on Linux"), "{browsers:?}");
    assert!(browsers.contains(&"Chrome on Windows"), "{browsers:?}");
    assert!(sessions.iter().all(|s| s.ip == "127.0.0.1"));
    for s in &sessions {
        assert!(
            !first.contains(&s.handle) && !firefox.contains(&s.handle),
            "handles are not ids"
        );
        assert!(chrono::DateTime::parse_from_rfc3339(&s.last_seen).is_ok());
    }

    let chrome_handle = sessions
        .iter()
        .find(|s| s.browser == "Chrome on Windows")
        .unwrap()
        .handle
        .clone();
    app.registry.end(id, Some(&chrome_handle)).await.unwrap();
    assert_eq!(
        me(other, &chrome).await,
        serde_json::Value::Null,
        "that device is signed out"
    );
    assert_eq!(
        me(app, &firefox).await["username"],
        "gina",
        "the others are not"
    );
    assert_eq!(app.registry.sessions_of(id).await.unwrap().len(), 2);

    // Someone else's (or an invented) handle ends nothing.
    let again = app
        .registry
        .end(id, Some(&chrome_handle))
        .await
        .unwrap_err();
    assert_eq!(again.status(), 404);
    let other_user = register(app, "hank").await;
    let hank = user_id(app, &other_user).await;
    let gina_handle = app.registry.sessions_of(id).await.unwrap()[0]
        .handle
        .clone();
    assert_eq!(
        app.registry
            .end(hank, Some(&gina_handle))
            .await
            .unwrap_err()
            .status(),
        404
    );
    assert_eq!(me(app, &firefox).await["username"], "gina");
}

async fn devices_are_listed_and_one_can_be_signed_out_embedded(backend: Backend) {
    let app = spawn_app_with(backend, Options::default()).await;
    devices_listed_and_one_signed_out(&app, &app).await;
}

async fn devices_are_listed_and_one_can_be_signed_out_redis(backend: Backend) {
    let (one, two, _) = spawn_pair(backend).await;
    devices_listed_and_one_signed_out(&one, &two).await;
}

async fn signing_out_everywhere_works_across_instances(backend: Backend) {
    let (one, two, prefix) = spawn_pair(backend).await;
    let a = register(&one, "ivy").await;
    let id = user_id(&one, &a).await;
    let b = login_as(&two, "ivy", CHROME).await;
    let bystander = register(&two, "jack").await;
    assert_eq!(two.registry.sessions_of(id).await.unwrap().len(), 2);
    two.registry.end(id, None).await.unwrap();
    for app in [&one, &two] {
        assert_eq!(me(app, &a).await, serde_json::Value::Null);
        assert_eq!(me(app, &b).await, serde_json::Value::Null);
    }
    assert_eq!(
        me(&one, &bystander).await["username"],
        "jack",
        "other users stay signed in"
    );
    assert!(one.registry.sessions_of(id).await.unwrap().is_empty());
    // The index is emptied, not left to expire.
    let redis = fred::prelude::Builder::from_config(
        fred::prelude::Config::from_url(&crate::helpers::redis_url()).unwrap(),
    )
    .build()
    .unwrap();
    fred::prelude::ClientLike::init(&redis).await.unwrap();
    let left: i64 =
        fred::prelude::HashesInterface::hlen(&redis, format!("{prefix}user-sessions:{id}"))
            .await
            .unwrap();
    assert_eq!(left, 0);
}

/// A request through `cookie`: the `me` answer and the new cookie, if one was set.
async fn me_with_cookie(app: &TestApp, cookie: &str) -> (serde_json::Value, Option<String>) {
    let response = app
        .client
        .post(app.url("/fn/accounts/me"))
        .header("cookie", cookie)
        .header("origin", app.address.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let cookie = session_cookie(&response);
    (response.json().await.unwrap(), cookie)
}

async fn rotation(app: &TestApp, other: &TestApp, name: &str) {
    let old = register(app, name).await;
    let id = user_id(app, &old).await;
    let (_, unchanged) = me_with_cookie(app, &old).await;
    assert!(unchanged.is_none() || unchanged.as_deref() == Some(old.as_str()));

    app.registry.try_on_privilege_change(id).await.unwrap();
    let (who, new) = me_with_cookie(other, &old).await;
    assert_eq!(who["username"], name, "still signed in");
    let new = new.expect("the next request gets a new session cookie");
    assert_ne!(new, old);
    assert_eq!(
        me(app, &old).await,
        serde_json::Value::Null,
        "the old id no longer works"
    );
    let (who, newer) = me_with_cookie(app, &new).await;
    assert_eq!(who["username"], name);
    assert!(newer.is_none(), "rotated once, not on every request");
    assert_eq!(app.registry.sessions_of(id).await.unwrap().len(), 1);
}

async fn privilege_change_rotates_the_session_id_embedded(backend: Backend) {
    let app = spawn_app_with(backend, Options::default()).await;
    rotation(&app, &app, "kate").await;
}

async fn privilege_change_rotates_the_session_id_across_redis_instances(backend: Backend) {
    let (one, two, _) = spawn_pair(backend).await;
    rotation(&one, &two, "liam").await;
}

async fn forwarded_for_counts_only_from_trusted_proxies(backend: Backend) {
    let trusting = spawn_app_with(
        backend,
        Options {
            extra: vec![("TRUSTED_PROXIES", "127.0.0.0/8, ::1".into())],
            ..Default::default()
        },
    )
    .await;
    let untrusting = spawn_app_with(backend, Options::default()).await;
    for (app, expected) in [(&trusting, "198.51.100.7"), (&untrusting, "127.0.0.1")] {
        let response = post_form(
            app,
            "/fn/accounts/register",
            None,
            &[
                ("username", "mia"),
                ("email", "mia@example.com"),
                ("password", "a long enough secret"),
            ],
        )
        .await;
        let cookie = session_cookie(&response).unwrap();
        let id = user_id(app, &cookie).await;
        // A later request from behind the proxy chain updates the address at once.
        let moved = app
            .client
            .post(app.url("/fn/accounts/me"))
            .header("cookie", &cookie)
            .header("origin", app.address.clone())
            .header("x-forwarded-for", "6.6.6.6, 198.51.100.7")
            .send()
            .await
            .unwrap();
        assert_eq!(moved.status(), 200);
        let sessions = app.registry.sessions_of(id).await.unwrap();
        assert_eq!(sessions[0].ip, expected);
    }
}

async fn the_devices_server_functions_mark_this_device_and_sign_out_the_others(backend: Backend) {
    let (one, two, _) = spawn_pair(backend).await;
    let mine = register(&one, "rosa").await;
    let firefox = login_as(&two, "rosa", FIREFOX).await;
    let chrome = login_as(&one, "rosa", CHROME).await;

    let response = post_form(&one, "/fn/accounts/devices", Some(&mine), &[]).await;
    assert_eq!(response.status(), 200);
    let list: serde_json::Value = response.json().await.unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 3);
    assert_eq!(list.iter().filter(|d| d["current"] == true).count(), 1);
    let firefox_handle = list
        .iter()
        .find(|d| d["browser"] == "Firefox on Linux")
        .unwrap()["handle"]
        .as_str()
        .unwrap()
        .to_string();

    // One device, by handle; an unknown handle is a 404.
    let response = post_form(
        &one,
        "/fn/accounts/devices/sign-out",
        Some(&mine),
        &[("handle", &firefox_handle)],
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(me(&two, &firefox).await, serde_json::Value::Null);
    let response = post_form(
        &one,
        "/fn/accounts/devices/sign-out",
        Some(&mine),
        &[("handle", &firefox_handle)],
    )
    .await;
    assert_eq!(response.status(), 404);

    // Everywhere else: this browser stays signed in.
    let response = post_form(&two, "/fn/accounts/devices/sign-out-all", Some(&mine), &[]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(me(&one, &chrome).await, serde_json::Value::Null);
    assert_eq!(me(&one, &mine).await["username"], "rosa");

    // Including this one.
    let response = post_form(
        &one,
        "/fn/accounts/devices/sign-out-all",
        Some(&mine),
        &[("including_this", "on")],
    )
    .await;
    assert!(response.status().is_success() || response.status().is_redirection());
    assert_eq!(me(&two, &mine).await, serde_json::Value::Null);

    // Signed out: the list is refused.
    let response = post_form(&one, "/fn/accounts/devices", Some(&mine), &[]).await;
    assert_eq!(response.status(), 401);
}
