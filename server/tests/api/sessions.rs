//! Where sessions live and how long: in Redis (and not the table) when Redis is configured, in
//! the table otherwise; idle expiry renewed by activity and an absolute lifetime counted from
//! the sign-in, on both stores.

use chrono::{TimeDelta, Utc};
use fred::interfaces::KeysInterface as _;
use server::auth::redis_sessions::RedisSessions;
use server::auth::session_store::{DbSessionStore, Sessions};
use tower_sessions::session::{Id, Record};
use tower_sessions::SessionStore as _;

use crate::accounts::{me, register};
use crate::backend_tests;
use crate::helpers::{redis_url, spawn_app_with, Backend, Options, TestApp};

backend_tests!(
    sessions_live_in_redis_when_it_is_configured,
    idle_expiry_is_renewed_by_activity_and_ends_an_idle_session,
    the_absolute_lifetime_ends_an_active_session,
);

const IDLE_MINUTES: i64 = 30;
const ABSOLUTE_MINUTES: i64 = 120;

/// An app on either store, with short lifetimes, and a handle on the same store.
async fn app(backend: Backend, redis: bool) -> (TestApp, Sessions) {
    let prefix = format!("xc-test-{}:", uuid::Uuid::new_v4().simple());
    let app = spawn_app_with(
        backend,
        Options {
            seed_demo: false,
            redis,
            extra: vec![
                ("SESSION_IDLE_MINUTES", IDLE_MINUTES.to_string()),
                ("SESSION_ABSOLUTE_MINUTES", ABSOLUTE_MINUTES.to_string()),
                ("REDIS_KEY_PREFIX", prefix.clone()),
            ],
            ..Default::default()
        },
    )
    .await;
    let store = if redis {
        let redis = server::redis::Redis::connect(&redis_url()).await.unwrap();
        Sessions::Redis(RedisSessions::new(
            redis.pool().clone(),
            &prefix,
            std::time::Duration::from_secs(60 * ABSOLUTE_MINUTES as u64),
        ))
    } else {
        Sessions::Database(DbSessionStore::new(app.db.clone()))
    };
    (app, store)
}

fn id_of(cookie: &str) -> Id {
    cookie
        .strip_prefix("xc_session=")
        .unwrap()
        .parse()
        .expect("a session id")
}

async fn table_rows(app: &TestApp, id: &Id) -> i64 {
    server::on_pool!(&app.db, pool => sqlx::query_scalar(
        "SELECT count(*) FROM sessions WHERE id = $1")
        .bind(id.to_string()).fetch_one(pool).await)
    .unwrap()
}

/// Seconds until the stored record expires.
async fn remaining(store: &Sessions, id: &Id) -> i64 {
    let record = store
        .load(id)
        .await
        .unwrap()
        .expect("the session is stored");
    (record.expiry_date - time::OffsetDateTime::now_utc()).whole_seconds()
}

fn near(actual: i64, minutes: i64) -> bool {
    (actual - minutes * 60).abs() <= 60
}

async fn sessions_live_in_redis_when_it_is_configured(backend: Backend) {
    let redis = server::redis::Redis::connect(&redis_url()).await.unwrap();
    for with_redis in [true, false] {
        let (app, _) = app(backend, with_redis).await;
        let cookie = register(&app, "sam").await;
        let id = id_of(&cookie);
        let in_redis: i64 = redis.pool().exists(id.to_string()).await.unwrap();
        let in_table = table_rows(&app, &id).await;
        if with_redis {
            assert_eq!(
                (in_redis, in_table),
                (1, 0),
                "Redis holds it, the table not"
            );
            // Gone from Redis, gone: nothing else remembers the sign-in.
            let _: i64 = redis.pool().del(id.to_string()).await.unwrap();
            assert_eq!(me(&app, &cookie).await, serde_json::Value::Null);
        } else {
            assert_eq!((in_redis, in_table), (0, 1), "the table holds it");
            assert_eq!(me(&app, &cookie).await["username"], "sam");
        }
    }
}

async fn idle_expiry_is_renewed_by_activity_and_ends_an_idle_session(backend: Backend) {
    for redis in [false, true] {
        let (app, store) = app(backend, redis).await;
        let cookie = register(&app, "ida").await;
        let id = id_of(&cookie);
        let left = remaining(&store, &id).await;
        assert!(near(left, IDLE_MINUTES), "redis {redis}: {left} s");

        // Seen two minutes ago, five minutes left: the next request renews the idle window.
        let mut record = store.load(&id).await.unwrap().unwrap();
        let seen = (Utc::now() - TimeDelta::minutes(2)).to_rfc3339();
        record.data.get_mut("device").expect("a device record")["seen"] = seen.into();
        record.expiry_date = time::OffsetDateTime::now_utc() + time::Duration::minutes(5);
        store.save(&record).await.unwrap();
        assert_eq!(me(&app, &cookie).await["username"], "ida");
        let left = remaining(&store, &id).await;
        assert!(
            near(left, IDLE_MINUTES),
            "redis {redis}: renewed to {left} s"
        );

        // Idle past the window: signed out.
        let mut record = store.load(&id).await.unwrap().unwrap();
        record.expiry_date = time::OffsetDateTime::now_utc() - time::Duration::seconds(1);
        store.save(&record).await.unwrap();
        assert_eq!(
            me(&app, &cookie).await,
            serde_json::Value::Null,
            "redis {redis}: an idle session ends"
        );
    }
}

/// A record as a sign-in `minutes_ago` would have left it, still inside its idle window.
async fn signed_in_record(store: &Sessions, user_id: i64, minutes_ago: i64) -> String {
    let mut data = std::collections::HashMap::new();
    data.insert(
        "user".to_string(),
        serde_json::json!({
            "id": user_id,
            "username": "abe",
            "authenticated_at": (Utc::now() - TimeDelta::minutes(minutes_ago)).to_rfc3339(),
        }),
    );
    let mut record = Record {
        id: Id::default(),
        data,
        expiry_date: time::OffsetDateTime::now_utc() + time::Duration::minutes(IDLE_MINUTES),
    };
    store.create(&mut record).await.unwrap();
    format!("xc_session={}", record.id)
}

async fn the_absolute_lifetime_ends_an_active_session(backend: Backend) {
    for redis in [false, true] {
        let (app, store) = app(backend, redis).await;
        let cookie = register(&app, "abe").await;
        let user_id = me(&app, &cookie).await["id"].as_i64().unwrap();

        // Signed in 100 minutes ago and active since: past the idle time, inside the absolute.
        let recent = signed_in_record(&store, user_id, ABSOLUTE_MINUTES - 20).await;
        assert_eq!(me(&app, &recent).await["username"], "abe", "redis {redis}");
        // Signed in 121 minutes ago: over, however active.
        let old = signed_in_record(&store, user_id, ABSOLUTE_MINUTES + 1).await;
        assert_eq!(
            me(&app, &old).await,
            serde_json::Value::Null,
            "redis {redis}: past the absolute lifetime"
        );
        assert!(
            store.load(&id_of(&old)).await.unwrap().is_none(),
            "redis {redis}: the record is deleted, not just ignored"
        );
    }
}
