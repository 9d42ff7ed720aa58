//! The admin commands' logic, run against real databases.

use crate::backend_tests;
use crate::helpers::{spawn_app_with, Backend, Options};

backend_tests!(
    createsuperuser_validates_and_refuses_duplicates,
    seed_demo_adds_courses
);

async fn createsuperuser_validates_and_refuses_duplicates(backend: Backend) {
    let app = spawn_app_with(
        backend,
        Options {
            seed_demo: false,
            ..Default::default()
        },
    )
    .await;
    let create = |u: &str, e: &str, p: &str| {
        server::cli::create_superuser(
            &app.db,
            Some(u.to_string()),
            Some(e.to_string()),
            Some(p.to_string()),
        )
    };
    create("admin", "admin@example.com", "a long enough secret")
        .await
        .expect("created");
    let (hash, superuser): (String, bool) = server::on_pool!(&app.db, pool =>
        sqlx::query_as("SELECT password_hash, is_superuser FROM users WHERE username = 'admin'").fetch_one(pool).await).unwrap();
    assert!(hash.starts_with("$argon2id$"));
    assert!(superuser);

    let dup = create("Admin", "other@example.com", "a long enough secret")
        .await
        .unwrap_err();
    assert!(dup.to_string().contains("already exists"), "{dup}");
    let weak = create("bob", "bob@example.com", "short").await.unwrap_err();
    assert!(weak.to_string().starts_with("password:"), "{weak}");
    let bad_email = create("carol", "carol", "a long enough secret")
        .await
        .unwrap_err();
    assert!(bad_email.to_string().starts_with("email:"), "{bad_email}");
}

async fn seed_demo_adds_courses(backend: Backend) {
    let app = spawn_app_with(
        backend,
        Options {
            seed_demo: false,
            ..Default::default()
        },
    )
    .await;
    assert!(server::seed::catalogue_is_empty(&app.db).await.unwrap());
    server::seed::seed_demo(&app.db, 7).await.unwrap();
    server::seed::seed_demo(&app.db, 5).await.unwrap();
    let courses: i64 =
        server::on_pool!(&app.db, pool => sqlx::query_scalar("SELECT count(*) FROM courses").fetch_one(pool).await).unwrap();
    assert_eq!(courses, 12, "a second run adds, with fresh slugs");
    let roles: i64 =
        server::on_pool!(&app.db, pool => sqlx::query_scalar("SELECT count(*) FROM roles").fetch_one(pool).await).unwrap();
    assert_eq!(roles, 4, "built-in roles once");
}
