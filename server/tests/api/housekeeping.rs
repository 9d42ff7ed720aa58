//! The housekeeping sweep on a real database: dead rows go, live ones stay.

use chrono::{TimeDelta, Utc};
use server::{
    db::{
        email_tokens::{self, Purpose},
        tokens::{self, NewRefreshToken},
        users::{self, NewUser},
    },
    housekeeping::{sweep, Swept},
    on_pool,
};

use crate::backend_tests;
use crate::helpers::{spawn_app_with, Backend, Options};

backend_tests!(the_sweep_removes_dead_rows_and_keeps_live_ones);

async fn the_sweep_removes_dead_rows_and_keeps_live_ones(backend: Backend) {
    let app = spawn_app_with(
        backend,
        Options {
            seed_demo: false,
            ..Options::default()
        },
    )
    .await;
    let db = &app.db;
    let now = Utc::now();
    let hour = TimeDelta::hours(1);
    let user = NewUser {
        username: "sweeper",
        email: "sweeper@example.com",
        password_hash: None,
        is_staff: false,
        is_superuser: false,
    };
    let user_id = users::insert(db, &user).await.unwrap();

    for (id, expires_at) in [("s-dead", now - hour), ("s-live", now + hour)] {
        on_pool!(db, pool => sqlx::query(
            "INSERT INTO sessions (id, user_id, data, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(id).bind(user_id).bind(vec![0u8]).bind(expires_at)
            .execute(pool).await.map(|_| ()))
        .unwrap();
    }
    // A family whose every row expired goes; one still in use keeps its spent rows (they catch
    // a stolen token presented again).
    for (family, hash, expires_at) in [
        ("f-dead", "r-dead", now - hour),
        ("f-live", "r-live", now + hour),
        ("f-used", "r-spent", now - hour),
        ("f-used", "r-current", now + hour),
    ] {
        let row = NewRefreshToken {
            user_id,
            family_id: family,
            token_hash: hash,
            expires_at,
        };
        tokens::insert(db, &row).await.unwrap();
    }
    // A revoked id is kept five minutes past its expiry (clock skew); an hour past, it goes.
    tokens::insert_revoked_jti(db, "j-dead", now - hour)
        .await
        .unwrap();
    tokens::insert_revoked_jti(db, "j-recent", now - TimeDelta::minutes(1))
        .await
        .unwrap();
    for (hash, expires_at) in [
        ("e-expired", now - hour),
        ("e-spent", now + hour),
        ("e-live", now + hour),
    ] {
        email_tokens::insert(db, user_id, Purpose::ResetPassword, hash, expires_at)
            .await
            .unwrap();
    }
    let spent = email_tokens::consume(db, Purpose::ResetPassword, "e-spent", now)
        .await
        .unwrap();
    assert_eq!(spent, Some(user_id));

    let swept = sweep(db, now).await.unwrap();
    assert_eq!(
        swept,
        Swept {
            sessions: 1,
            tokens: 2,
            email_links: 2,
            job_errors: 0
        }
    );
    let left = |table: &'static str, column: &'static str| async move {
        let sql = format!("SELECT {column} FROM {table} ORDER BY {column}");
        let rows: Vec<String> =
            on_pool!(db, pool => sqlx::query_scalar(&sql).fetch_all(pool).await).unwrap();
        rows
    };
    assert_eq!(left("sessions", "id").await, ["s-live"]);
    assert_eq!(
        left("refresh_tokens", "token_hash").await,
        ["r-current", "r-live", "r-spent"]
    );
    assert_eq!(left("revoked_tokens", "jti").await, ["j-recent"]);
    assert_eq!(left("email_tokens", "token_hash").await, ["e-live"]);
    // A second sweep finds nothing left to do.
    assert_eq!(sweep(db, now).await.unwrap(), Swept::default());
}
