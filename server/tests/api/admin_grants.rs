//! Granting in the back office: nobody grants a permission they do not hold (through a role's
//! matrix, a user's direct permissions or a role given to a user), a refused grant writes
//! nothing, and a granted role gives the user's session a new id on its next request.

use server::db::{rbac, users};

use crate::accounts::{me, post_form, register, session_cookie};
use crate::backend_tests;
use crate::helpers::{spawn_app_with, Backend, Options, TestApp};

backend_tests!(
    a_role_gets_only_permissions_the_granter_holds,
    a_user_gets_only_permissions_the_granter_holds,
    a_role_granted_in_the_back_office_rotates_the_session_id,
);

const PASSWORD: &str = "correct horse battery staple";

fn codenames(list: &[&str]) -> Vec<String> {
    list.iter().map(|c| c.to_string()).collect()
}

/// A staff account holding exactly `held`, signed in; its session cookie.
async fn granter(app: &TestApp, held: &[&str]) -> String {
    let hash = server::auth::password::hash_password(PASSWORD.into())
        .await
        .unwrap();
    let id = users::insert(
        &app.db,
        &users::NewUser {
            username: "granter",
            email: "granter@example.com",
            password_hash: Some(&hash),
            is_staff: true,
            is_superuser: false,
        },
    )
    .await
    .unwrap();
    rbac::set_user_access(&app.db, id, &[], &codenames(held))
        .await
        .unwrap();
    app.sign_in_with("granter", PASSWORD).await
}

/// A role holding `permissions`; its id.
async fn role(app: &TestApp, name: &str, permissions: &[&str]) -> i64 {
    let id: i64 = server::on_pool!(&app.db, pool => sqlx::query_scalar(
        "INSERT INTO roles (name) VALUES ($1) RETURNING id")
        .bind(name).fetch_one(pool).await)
    .unwrap();
    rbac::set_role_permissions(&app.db, id, &codenames(permissions))
        .await
        .unwrap();
    id
}

async fn audit_rows(app: &TestApp) -> i64 {
    server::on_pool!(&app.db, pool => sqlx::query_scalar("SELECT count(*) FROM audit_log")
        .fetch_one(pool).await)
    .unwrap()
}

async fn app(backend: Backend, redis: bool) -> TestApp {
    spawn_app_with(
        backend,
        Options {
            seed_demo: false,
            redis,
            ..Default::default()
        },
    )
    .await
}

fn ticked(prefix: &str, keys: &[&str]) -> Vec<(String, String)> {
    keys.iter()
        .map(|k| (format!("{prefix}[{k}]"), "on".to_string()))
        .collect()
}

async fn send(app: &TestApp, path: &str, cookie: &str, form: Vec<(String, String)>) -> u16 {
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    post_form(app, path, Some(cookie), &form)
        .await
        .status()
        .as_u16()
}

async fn a_role_gets_only_permissions_the_granter_holds(backend: Backend) {
    let app = app(backend, false).await;
    let cookie = granter(
        &app,
        &["role.view", "role.change", "course.view", "course.change"],
    )
    .await;
    let editors = role(&app, "editors", &["course.view"]).await;
    let matrix = |grants: &[&str]| {
        let mut form = vec![("role_id".to_string(), editors.to_string())];
        form.extend(ticked("grant", grants));
        form
    };

    let status = send(
        &app,
        "/fn/admin/role-permissions/set",
        &cookie,
        matrix(&["course.view", "course.change", "order.refund"]),
    )
    .await;
    assert_eq!(status, 403, "order.refund is not the granter's to give");
    assert_eq!(
        rbac::role_codenames(&app.db, editors).await.unwrap(),
        ["course.view"],
        "a refused grant writes nothing, not even the allowed part"
    );
    assert_eq!(audit_rows(&app).await, 0);

    // The same change without the permission the granter lacks goes through.
    let status = send(
        &app,
        "/fn/admin/role-permissions/set",
        &cookie,
        matrix(&["course.view", "course.change"]),
    )
    .await;
    assert_eq!(status, 200);
    let mut held = rbac::role_codenames(&app.db, editors).await.unwrap();
    held.sort();
    assert_eq!(held, ["course.change", "course.view"]);
    assert_eq!(audit_rows(&app).await, 1);
}

async fn a_user_gets_only_permissions_the_granter_holds(backend: Backend) {
    let app = app(backend, false).await;
    let cookie = granter(&app, &["user.view", "user.change", "course.view"]).await;
    let learner = register(&app, "learner").await;
    let learner_id = me(&app, &learner).await["id"].as_i64().unwrap();
    let refunders = role(&app, "refunders", &["order.refund"]).await;
    let viewers = role(&app, "viewers", &["course.view"]).await;
    let access = |roles: &[i64], grants: &[&str]| {
        let mut form = vec![("user_id".to_string(), learner_id.to_string())];
        let ids: Vec<String> = roles.iter().map(|r| r.to_string()).collect();
        form.extend(ticked(
            "role",
            &ids.iter().map(String::as_str).collect::<Vec<_>>(),
        ));
        form.extend(ticked("grant", grants));
        form
    };
    let unchanged = |why: &'static str| {
        let app = &app;
        async move {
            assert!(
                rbac::user_role_ids(&app.db, learner_id)
                    .await
                    .unwrap()
                    .is_empty(),
                "{why}: no role written"
            );
            assert!(
                rbac::user_direct_codenames(&app.db, learner_id)
                    .await
                    .unwrap()
                    .is_empty(),
                "{why}: no permission written"
            );
            assert_eq!(audit_rows(app).await, 0, "{why}: nothing audited");
        }
    };

    let path = "/fn/admin/user-access/set";
    let direct = send(
        &app,
        path,
        &cookie,
        access(&[], &["course.view", "order.refund"]),
    )
    .await;
    assert_eq!(direct, 403, "a direct permission the granter lacks");
    unchanged("direct").await;
    let by_role = send(&app, path, &cookie, access(&[viewers, refunders], &[])).await;
    assert_eq!(
        by_role, 403,
        "a role carrying a permission the granter lacks"
    );
    unchanged("by role").await;

    let allowed = send(&app, path, &cookie, access(&[viewers], &["course.view"])).await;
    assert_eq!(allowed, 200);
    assert_eq!(
        rbac::user_role_ids(&app.db, learner_id).await.unwrap(),
        [viewers]
    );
    assert_eq!(
        rbac::user_direct_codenames(&app.db, learner_id)
            .await
            .unwrap(),
        ["course.view"]
    );
}

/// The whole path a staff member takes: the back-office form, not the registry directly. Both
/// session stores (the database, Redis).
async fn a_role_granted_in_the_back_office_rotates_the_session_id(backend: Backend) {
    for redis in [false, true] {
        let app = app(backend, redis).await;
        let cookie = granter(&app, &["user.view", "user.change", "course.view"]).await;
        let viewers = role(&app, "viewers", &["course.view"]).await;
        let old = register(&app, "mover").await;
        let id = me(&app, &old).await["id"].as_i64().unwrap();

        let form = vec![
            ("user_id".to_string(), id.to_string()),
            (format!("role[{viewers}]"), "on".to_string()),
        ];
        let status = send(&app, "/fn/admin/user-access/set", &cookie, form).await;
        assert_eq!(status, 200, "redis: {redis}");

        let response = post_form(&app, "/fn/accounts/me", Some(&old), &[]).await;
        assert_eq!(response.status(), 200);
        let new = session_cookie(&response).expect("a new session id after the role change");
        assert_ne!(new, old, "redis: {redis}");
        let who: serde_json::Value = response.json().await.unwrap();
        assert_eq!(who["username"], "mover", "still signed in");
        assert_eq!(
            me(&app, &old).await,
            serde_json::Value::Null,
            "redis: {redis}: the old id no longer works"
        );
        assert_eq!(me(&app, &new).await["username"], "mover");
        // The granter's own session was not rotated: nothing changed for them.
        let own = post_form(&app, "/fn/accounts/me", Some(&cookie), &[]).await;
        assert!(session_cookie(&own).is_none(), "redis: {redis}");
    }
}
