//! The model engine behind the back office and the REST API: validation, visibility,
//! permissions, soft delete, the audit log and the delete preview, on both backends.

use app::domain::Principal;
use app::error::AppError;
use serde_json::{json, Value};
use server::db::{audit, users};
use server::model_engine::{Filter, FilterOp, ListQuery, ModelService, Record};

use crate::backend_tests;
use crate::helpers::{spawn_app_with, Backend, Options, TestApp};

backend_tests!(
    create_lists_every_field_error_at_once,
    created_rows_are_searched_filtered_ordered_and_paged,
    publishing_needs_its_own_permission_and_stamps_the_date,
    visitors_without_view_see_only_published_rows,
    soft_deleted_rows_are_gone_not_missing,
    every_write_is_audited_with_the_fields_that_changed,
    delete_preview_lists_chapters_and_their_lessons,
    duplicate_slugs_conflict_and_missing_references_are_field_errors,
    users_get_hashed_passwords_and_only_superusers_make_superusers,
    roles_grant_permissions_through_the_authz_service,
);

async fn app(b: Backend) -> TestApp {
    spawn_app_with(
        b,
        Options {
            seed_demo: false,
            ..Options::default()
        },
    )
    .await
}

fn principal(user_id: i64, perms: &[&str]) -> Principal {
    Principal {
        user_id,
        username: format!("user{user_id}"),
        is_staff: true,
        is_superuser: false,
        permissions: perms.iter().map(|p| p.to_string()).collect(),
    }
}

async fn superuser(app: &TestApp) -> Principal {
    app.superuser().await.principal()
}

fn rec(v: Value) -> Record {
    v.as_object().cloned().unwrap()
}

/// A direction, category and teacher to hang courses on; returns (category_id, teacher_id).
async fn scaffold(m: &ModelService, root: &Principal) -> (i64, i64) {
    let d = m
        .create(
            root,
            "direction",
            rec(json!({"name": "Backend", "slug": "backend"})),
            None,
        )
        .await
        .unwrap();
    let c = m
        .create(
            root,
            "category",
            rec(json!({"name": "Rust", "slug": "rust", "direction_id": d["id"]})),
            None,
        )
        .await
        .unwrap();
    let t = m
        .create(root, "teacher", rec(json!({"name": "Ada"})), None)
        .await
        .unwrap();
    (c["id"].as_i64().unwrap(), t["id"].as_i64().unwrap())
}

fn course(title: &str, slug: &str, price: i64, ids: (i64, i64)) -> Record {
    rec(
        json!({"title": title, "slug": slug, "level": "beginner", "price_cents": price,
        "category_id": ids.0, "teacher_id": ids.1}),
    )
}

async fn create_lists_every_field_error_at_once(b: Backend) {
    let app = app(b).await;
    let m = app.models.clone();
    let root = superuser(&app).await;
    let err = m
        .create(
            &root,
            "courses",
            rec(json!({"slug": "Not A Slug", "price_cents": "x", "extra": 1})),
            None,
        )
        .await
        .unwrap_err();
    let AppError::Validation(errors) = err else {
        panic!("expected a validation error, got {err:?}")
    };
    let mut fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "category_id",
            "extra",
            "level",
            "price_cents",
            "slug",
            "teacher_id",
            "title"
        ]
    );
}

async fn created_rows_are_searched_filtered_ordered_and_paged(b: Backend) {
    let app = app(b).await;
    let m = app.models.clone();
    let root = superuser(&app).await;
    let ids = scaffold(&m, &root).await;
    for (i, title) in ["Async Rust", "Rust Web", "Go Basics", "100%_Rust"]
        .iter()
        .enumerate()
    {
        let slug = format!("course-{i}");
        m.create(
            &root,
            "course",
            course(title, &slug, (i as i64 + 1) * 1000, ids),
            None,
        )
        .await
        .unwrap();
    }
    let q = |search: Option<&str>, filters: Vec<Filter>, order: Vec<(String, bool)>| ListQuery {
        search: search.map(String::from),
        filters,
        order,
        offset: 0,
        limit: 10,
    };
    let titles = |page: server::model_engine::ListPage| -> Vec<String> {
        page.rows
            .iter()
            .map(|r| r["title"].as_str().unwrap().to_string())
            .collect()
    };
    let rust = m
        .list(
            Some(&root),
            "course",
            &q(Some("rust"), vec![], vec![("price_cents".into(), true)]),
        )
        .await
        .unwrap();
    assert_eq!(rust.count, 3);
    assert_eq!(titles(rust), ["100%_Rust", "Rust Web", "Async Rust"]);
    // LIKE wildcards in the search text are literal.
    let literal = m
        .list(Some(&root), "course", &q(Some("%_"), vec![], vec![]))
        .await
        .unwrap();
    assert_eq!(titles(literal), ["100%_Rust"]);
    let cheap = Filter {
        field: "price_cents".into(),
        op: FilterOp::Max,
        value: "2000".into(),
    };
    let page = m
        .list(
            Some(&root),
            "course",
            &q(None, vec![cheap], vec![("title".into(), false)]),
        )
        .await
        .unwrap();
    assert_eq!(titles(page), ["Async Rust", "Rust Web"]);
    let second = ListQuery {
        offset: 2,
        limit: 1,
        ..q(None, vec![], vec![("price_cents".into(), false)])
    };
    let page = m.list(Some(&root), "course", &second).await.unwrap();
    assert_eq!(
        (page.count, titles(page)),
        (4, vec!["Go Basics".to_string()])
    );
    let bad = m
        .list(
            Some(&root),
            "course",
            &q(None, vec![], vec![("password".into(), false)]),
        )
        .await;
    assert!(matches!(bad, Err(AppError::Validation(_))), "{bad:?}");
    let bad_filter = Filter {
        field: "level".into(),
        op: FilterOp::Eq,
        value: "expert".into(),
    };
    let bad = m
        .list(Some(&root), "course", &q(None, vec![bad_filter], vec![]))
        .await;
    assert!(matches!(bad, Err(AppError::Validation(_))), "{bad:?}");
}

async fn publishing_needs_its_own_permission_and_stamps_the_date(b: Backend) {
    let app = app(b).await;
    let m = app.models.clone();
    let root = superuser(&app).await;
    let ids = scaffold(&m, &root).await;
    let editor = principal(
        root.user_id,
        &["course.view", "course.add", "course.change"],
    );
    let draft = m
        .create(&editor, "course", course("Draft", "draft", 0, ids), None)
        .await
        .unwrap();
    assert_eq!(draft["status"], "draft");
    assert_eq!(draft["published_at"], Value::Null);
    let id = draft["id"].as_i64().unwrap();
    let publish = rec(json!({"status": "published"}));
    let denied = m
        .update(&editor, "course", id, publish.clone(), true, None)
        .await;
    assert_eq!(denied, Err(AppError::Forbidden));
    let publisher = principal(root.user_id, &["course.change", "course.publish"]);
    let done = m
        .apply_action(&publisher, "course", "publish", &[id], None)
        .await
        .unwrap();
    assert_eq!(done, 1);
    let course = m.get(Some(&root), "course", id).await.unwrap();
    assert_eq!(course["status"], "published");
    assert!(course["published_at"].is_string());
    // Without `course.add` nothing is created, whatever else the user holds.
    let denied = m.create(&publisher, "course", course_rec(ids), None).await;
    assert_eq!(denied, Err(AppError::Forbidden));
}

fn course_rec(ids: (i64, i64)) -> Record {
    course("Other", "other", 0, ids)
}

async fn visitors_without_view_see_only_published_rows(b: Backend) {
    let app = app(b).await;
    let m = app.models.clone();
    let root = superuser(&app).await;
    let ids = scaffold(&m, &root).await;
    let mut published = course("Live", "live", 0, ids);
    published.insert("status".into(), json!("published"));
    let live = m.create(&root, "course", published, None).await.unwrap();
    let draft = m
        .create(&root, "course", course("Hidden", "hidden", 0, ids), None)
        .await
        .unwrap();
    let all = ListQuery {
        limit: 10,
        ..Default::default()
    };
    let anon = m.list(None, "course", &all).await.unwrap();
    assert_eq!(anon.count, 1);
    assert_eq!(anon.rows[0]["id"], live["id"]);
    let hidden = m.get(None, "course", draft["id"].as_i64().unwrap()).await;
    assert_eq!(hidden, Err(AppError::NotFound("course".into())));
    assert_eq!(
        m.list(None, "user", &all).await,
        Err(AppError::Unauthenticated)
    );
    let nobody = principal(root.user_id, &[]);
    assert_eq!(
        m.list(Some(&nobody), "user", &all).await,
        Err(AppError::Forbidden)
    );
    assert_eq!(m.list(Some(&root), "course", &all).await.unwrap().count, 2);
}

async fn soft_deleted_rows_are_gone_not_missing(b: Backend) {
    let app = app(b).await;
    let m = app.models.clone();
    let root = superuser(&app).await;
    let ids = scaffold(&m, &root).await;
    let c = m
        .create(&root, "course", course("Bye", "bye", 0, ids), None)
        .await
        .unwrap();
    let id = c["id"].as_i64().unwrap();
    m.delete(&root, "course", id, None).await.unwrap();
    assert_eq!(
        m.get(Some(&root), "course", id).await,
        Err(AppError::Gone("course".into()))
    );
    assert_eq!(
        m.delete(&root, "course", id, None).await,
        Err(AppError::Gone("course".into()))
    );
    let all = ListQuery {
        limit: 10,
        ..Default::default()
    };
    assert_eq!(m.list(Some(&root), "course", &all).await.unwrap().count, 0);
    assert_eq!(
        m.get(Some(&root), "course", id + 1000).await,
        Err(AppError::NotFound("course".into()))
    );
}

async fn every_write_is_audited_with_the_fields_that_changed(b: Backend) {
    let app = app(b).await;
    let m = app.models.clone();
    let root = superuser(&app).await;
    let t = m
        .create(
            &root,
            "teacher",
            rec(json!({"name": "Lin", "title": "Dr"})),
            Some("10.0.0.1"),
        )
        .await
        .unwrap();
    let id = t["id"].as_i64().unwrap();
    // The same values again change nothing and write nothing.
    m.update(
        &root,
        "teacher",
        id,
        rec(json!({"name": "Lin"})),
        true,
        None,
    )
    .await
    .unwrap();
    m.update(
        &root,
        "teacher",
        id,
        rec(json!({"name": "Lin Wei"})),
        true,
        None,
    )
    .await
    .unwrap();
    m.delete(&root, "teacher", id, None).await.unwrap();
    let filter = audit::EntryFilter {
        object_type: Some("teacher".into()),
        object_id: Some(id.to_string()),
        ..Default::default()
    };
    let (count, entries) = audit::list(&app.db, &filter, 0, 10).await.unwrap();
    assert_eq!(count, 3);
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["delete", "change", "create"]);
    let change: Value = serde_json::from_str(&entries[1].changes).unwrap();
    assert_eq!(change, json!({"name": {"from": "Lin", "to": "Lin Wei"}}));
    assert_eq!(entries[2].ip.as_deref(), Some("10.0.0.1"));
    assert_eq!(entries[0].actor.as_deref(), Some("root"));
    assert_eq!(entries[0].object_repr, "Lin Wei");
}

async fn delete_preview_lists_chapters_and_their_lessons(b: Backend) {
    let app = app(b).await;
    let m = app.models.clone();
    let root = superuser(&app).await;
    let ids = scaffold(&m, &root).await;
    let c = m
        .create(&root, "course", course("Deep", "deep", 0, ids), None)
        .await
        .unwrap();
    for n in 1..=2 {
        let ch = m
            .create(
                &root,
                "chapter",
                rec(json!({"course_id": c["id"], "title": format!("Part {n}")})),
                None,
            )
            .await
            .unwrap();
        m.create(
            &root,
            "lesson",
            rec(json!({"chapter_id": ch["id"], "title": "Intro", "kind": "video"})),
            None,
        )
        .await
        .unwrap();
    }
    let deps = m
        .dependents(&root, "course", c["id"].as_i64().unwrap())
        .await
        .unwrap();
    let summary: Vec<(&str, i64)> = deps.iter().map(|d| (d.model, d.count)).collect();
    assert_eq!(summary, [("chapter", 2), ("lesson", 2)]);
    assert_eq!(deps[0].examples, ["Part 1", "Part 2"]);
    let viewer = principal(root.user_id, &["course.view"]);
    assert_eq!(
        m.dependents(&viewer, "course", c["id"].as_i64().unwrap())
            .await,
        Err(AppError::Forbidden)
    );
}

async fn duplicate_slugs_conflict_and_missing_references_are_field_errors(b: Backend) {
    let app = app(b).await;
    let m = app.models.clone();
    let root = superuser(&app).await;
    let ids = scaffold(&m, &root).await;
    m.create(&root, "course", course("One", "same", 0, ids), None)
        .await
        .unwrap();
    let dup = m
        .create(&root, "course", course("Two", "same", 0, ids), None)
        .await;
    assert!(matches!(dup, Err(AppError::Conflict(_))), "{dup:?}");
    let missing = m
        .create(
            &root,
            "course",
            course("Three", "three", 0, (ids.0, 9999)),
            None,
        )
        .await;
    let Err(AppError::Validation(errors)) = missing else {
        panic!("{missing:?}")
    };
    assert_eq!(errors[0].field, "teacher_id");
    // A category still holding courses cannot go: the database refuses, we answer 409.
    let busy = m.delete(&root, "category", ids.0, None).await;
    assert!(matches!(busy, Err(AppError::Conflict(_))), "{busy:?}");
}

async fn users_get_hashed_passwords_and_only_superusers_make_superusers(b: Backend) {
    let app = app(b).await;
    let m = app.models.clone();
    let root = superuser(&app).await;
    let weak = m
        .create(
            &root,
            "user",
            rec(json!({"username": "bob", "email": "bob@example.com", "password": "short"})),
            None,
        )
        .await;
    assert!(
        matches!(weak, Err(AppError::Validation(ref e)) if e[0].field == "password"),
        "{weak:?}"
    );
    let bob = m
        .create(
            &root,
            "user",
            rec(json!({"username": "bob", "email": "bob@example.com",
            "password": "correct horse battery"})),
            None,
        )
        .await
        .unwrap();
    assert!(bob.get("password").is_none() && bob.get("password_hash").is_none());
    let stored = users::find_by_login(&app.db, "bob").await.unwrap().unwrap();
    assert!(stored.password_hash.unwrap().starts_with("$argon2id$"));
    let admin = principal(root.user_id, &["user.change", "user.view"]);
    let id = bob["id"].as_i64().unwrap();
    let escalate = m
        .update(
            &admin,
            "user",
            id,
            rec(json!({"is_superuser": true})),
            true,
            None,
        )
        .await;
    assert!(matches!(escalate, Err(AppError::Validation(ref e)) if e[0].field == "is_superuser"));
    m.update(
        &root,
        "user",
        id,
        rec(json!({"is_superuser": true})),
        true,
        None,
    )
    .await
    .unwrap();
    let own = m.delete(&root, "user", root.user_id, None).await;
    assert!(matches!(own, Err(AppError::Conflict(_))));
}

async fn roles_grant_permissions_through_the_authz_service(b: Backend) {
    let app = app(b).await;
    let m = app.models.clone();
    let root = superuser(&app).await;
    let user = m
        .create(
            &root,
            "user",
            rec(json!({"username": "eve", "email": "eve@example.com",
            "password": "correct horse battery"})),
            None,
        )
        .await
        .unwrap();
    let role = m
        .create(&root, "role", rec(json!({"name": "Editors"})), None)
        .await
        .unwrap();
    let (uid, rid) = (user["id"].as_i64().unwrap(), role["id"].as_i64().unwrap());
    let exec = |sql: String| {
        let db = app.db.clone();
        async move {
            server::db::records::execute(&db, &sql, &[]).await.unwrap();
        }
    };
    exec(format!(
        "INSERT INTO user_roles (user_id, role_id) VALUES ({uid}, {rid})"
    ))
    .await;
    exec(format!(
        "INSERT INTO role_permissions (role_id, permission_id) \
         SELECT {rid}, id FROM permissions WHERE codename IN ('course.view', 'course.change')"
    ))
    .await;
    exec(format!(
        "INSERT INTO user_permissions (user_id, permission_id) \
         SELECT {uid}, id FROM permissions WHERE codename = 'order.refund'"
    ))
    .await;
    let authz = server::rbac::Authz::new(app.db.clone(), accounts_of(&app));
    let p = authz.principal_by_id(uid).await.unwrap().unwrap();
    let held: Vec<&str> = p.permissions.iter().map(String::as_str).collect();
    assert_eq!(held, ["course.change", "course.view", "order.refund"]);
    assert_eq!(
        authz.require_user(uid, "course.delete").await,
        Err(AppError::Forbidden)
    );
    // A forced password reset suspends every permission until the user picks a new password.
    server::db::rbac::set_must_reset(&app.db, uid)
        .await
        .unwrap();
    let suspended = authz.principal_by_id(uid).await.unwrap().unwrap();
    assert!(suspended.permissions.is_empty() && !suspended.is_staff);
    server::db::users::set_password(&app.db, uid, "$argon2id$v=19$unused")
        .await
        .unwrap();
    assert!(authz
        .principal_by_id(uid)
        .await
        .unwrap()
        .unwrap()
        .has("course.view"));
    m.update(
        &root,
        "user",
        uid,
        rec(json!({"is_active": false})),
        true,
        None,
    )
    .await
    .unwrap();
    assert_eq!(authz.principal_by_id(uid).await.unwrap(), None);
}

fn accounts_of(app: &TestApp) -> server::accounts::Accounts {
    let hour = std::time::Duration::from_secs(3600);
    let auth = server::config::AuthSettings {
        cookie_domain: None,
        session_idle: hour,
        session_absolute: hour,
        jwt_private_key_path: None,
        jwt_public_key_paths: Vec::new(),
        jwt_issuer: "test".into(),
        jwt_audience: "test".into(),
        access_token_ttl: hour,
        refresh_token_ttl: hour,
    };
    let throttle = server::accounts::throttle::LoginThrottle::new(None, "test:");
    server::accounts::Accounts::new(app.db.clone(), auth, throttle)
}
