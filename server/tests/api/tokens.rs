//! The token service on a real database: rotation, reuse detection, revocation, expiry.
//! (The HTTP endpoints that front it have their own tests.)

use std::{collections::HashMap, sync::Arc, time::Duration};

use app::error::AppError;
use server::{
    auth::{jwt::JwtKeys, tokens::TokenService},
    config::Settings,
    db::users::{self, NewUser},
};

use crate::backend_tests;
use crate::helpers::{spawn_app_with, Backend, Options, TempDir, TestApp};

backend_tests!(
    refresh_rotates_and_reuse_revokes_the_family,
    concurrent_refreshes_let_one_win_then_end_the_family,
    revoking_a_refresh_token_ends_its_family,
    a_revoked_access_token_is_refused,
    an_expired_refresh_token_is_refused,
    redis_instances_follow_revocations_in_memory,
);

const THIRTY_DAYS: Duration = Duration::from_secs(30 * 86_400);

struct Fixture {
    _app: TestApp,
    _keys_dir: TempDir,
    service: TokenService,
    user_id: i64,
    user: users::UserRow,
}

/// A user and a token service whose key pair is generated into a temp dir.
async fn fixture(backend: Backend, refresh_ttl: Duration) -> Fixture {
    let app = spawn_app_with(
        backend,
        Options {
            seed_demo: false,
            ..Options::default()
        },
    )
    .await;
    let keys_dir = TempDir::new();
    let data_dir = keys_dir.0.display().to_string();
    let settings = Settings::from_map(&HashMap::from([("DATA_DIR", data_dir.as_str())])).unwrap();
    let keys = Arc::new(JwtKeys::load(&settings).unwrap());
    let user = NewUser {
        username: "ada",
        email: "ada@example.com",
        password_hash: None,
        is_staff: false,
        is_superuser: false,
    };
    let user_id = users::insert(&app.db, &user).await.unwrap();
    let user = users::find_by_id(&app.db, user_id).await.unwrap().unwrap();
    Fixture {
        user,
        service: TokenService::new(app.db.clone(), keys, refresh_ttl),
        _app: app,
        _keys_dir: keys_dir,
        user_id,
    }
}

fn refused<T: std::fmt::Debug>(result: Result<T, AppError>) -> bool {
    matches!(result, Err(AppError::Unauthenticated))
}

async fn refresh_rotates_and_reuse_revokes_the_family(backend: Backend) {
    let f = fixture(backend, THIRTY_DAYS).await;
    let first = f.service.issue_pair(&f.user).await.unwrap();
    assert_eq!(first.token_type, "Bearer");
    assert_eq!(first.expires_in, 900);
    let json = serde_json::to_value(&first).unwrap();
    let mut fields: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        ["access_token", "expires_in", "refresh_token", "token_type"]
    );
    let claims = f.service.authenticate(&first.access_token).await.unwrap();
    assert_eq!(
        (claims.user_id, claims.username.as_str()),
        (f.user_id, "ada")
    );
    // Another login: another family, which the reuse below must not touch.
    let other_login = f.service.issue_pair(&f.user).await.unwrap();

    let second = f.service.refresh(&first.refresh_token).await.unwrap();
    assert_ne!(second.refresh_token, first.refresh_token);
    assert_ne!(second.access_token, first.access_token);
    let header = format!("Bearer {}", second.access_token);
    assert_eq!(
        f.service.authenticate(&header).await.unwrap().user_id,
        f.user_id
    );

    // The spent token is refused, and presenting it kills the family: the newest token too.
    assert!(refused(f.service.refresh(&first.refresh_token).await));
    assert!(refused(f.service.refresh(&second.refresh_token).await));
    assert!(refused(f.service.refresh(&first.refresh_token).await));

    let third = f.service.refresh(&other_login.refresh_token).await.unwrap();
    assert!(f.service.refresh(&third.refresh_token).await.is_ok());
    assert!(refused(f.service.refresh("not-a-token").await));
}

async fn concurrent_refreshes_let_one_win_then_end_the_family(backend: Backend) {
    let f = fixture(backend, THIRTY_DAYS).await;
    let pair = f.service.issue_pair(&f.user).await.unwrap();
    let (a, b) = tokio::join!(
        f.service.refresh(&pair.refresh_token),
        f.service.refresh(&pair.refresh_token)
    );
    let winner = match (a, b) {
        (Ok(won), lost) | (lost, Ok(won)) if refused(lost.clone()) => won,
        (a, b) => panic!("expected exactly one success, got {a:?} and {b:?}"),
    };
    // The loser counts as reuse, so even the winner's new token is dead.
    assert!(refused(f.service.refresh(&winner.refresh_token).await));
}

async fn revoking_a_refresh_token_ends_its_family(backend: Backend) {
    let f = fixture(backend, THIRTY_DAYS).await;
    let first = f.service.issue_pair(&f.user).await.unwrap();
    let second = f.service.refresh(&first.refresh_token).await.unwrap();
    f.service
        .revoke(Some(&second.refresh_token), None)
        .await
        .unwrap();
    assert!(refused(f.service.refresh(&second.refresh_token).await));
    // Revoking is idempotent, and unknown tokens are not an error (RFC 7009).
    f.service
        .revoke(Some(&second.refresh_token), None)
        .await
        .unwrap();
    f.service.revoke(Some("never-issued"), None).await.unwrap();

    // "Sign out everywhere" ends every family of the user.
    let a = f.service.issue_pair(&f.user).await.unwrap();
    let b = f.service.issue_pair(&f.user).await.unwrap();
    assert_eq!(f.service.revoke_all(f.user_id).await.unwrap(), 2);
    assert!(refused(f.service.refresh(&a.refresh_token).await));
    assert!(refused(f.service.refresh(&b.refresh_token).await));
}

async fn a_revoked_access_token_is_refused(backend: Backend) {
    let f = fixture(backend, THIRTY_DAYS).await;
    let pair = f.service.issue_pair(&f.user).await.unwrap();
    let other = f.service.issue_pair(&f.user).await.unwrap();
    let claims = f.service.authenticate(&pair.access_token).await.unwrap();
    let jti = (claims.jti.as_str(), claims.expires_at());
    f.service.revoke(None, Some(jti)).await.unwrap();
    f.service.revoke(None, Some(jti)).await.unwrap();

    assert!(refused(f.service.authenticate(&pair.access_token).await));
    assert!(f.service.authenticate(&other.access_token).await.is_ok());
    // Embedded SQLite answers from memory; PostgreSQL without Redis asks the table each time,
    // because other instances may share it.
    assert_eq!(
        f.service.revocations_in_memory(),
        matches!(backend, Backend::Sqlite)
    );
    // Only the access token was revoked: its refresh token still works.
    assert!(f.service.refresh(&pair.refresh_token).await.is_ok());
    assert!(refused(f.service.authenticate("Bearer nonsense").await));
    // Purging keeps the revoked id: it is not past its expiry yet.
    f.service.purge_expired().await.unwrap();
    assert!(refused(f.service.authenticate(&pair.access_token).await));
}

async fn an_expired_refresh_token_is_refused(backend: Backend) {
    let f = fixture(backend, Duration::ZERO).await;
    let pair = f.service.issue_pair(&f.user).await.unwrap();
    assert!(refused(f.service.refresh(&pair.refresh_token).await));
    // The access token lives by its own lifetime.
    assert!(f.service.authenticate(&pair.access_token).await.is_ok());
}

/// Two instances on one Redis: each follows the other's revocations in memory, and a
/// revocation is in the other's memory by the time `revoke` returns.
async fn redis_instances_follow_revocations_in_memory(backend: Backend) {
    let f = fixture(backend, THIRTY_DAYS).await;
    let redis = server::redis::Redis::connect(&crate::helpers::redis_url())
        .await
        .unwrap();
    let prefix = format!("xc-test-{}:", uuid::Uuid::new_v4().simple());
    let one = f.service.clone().with_redis(redis.clone(), &prefix);
    let two = f.service.clone().with_redis(redis.clone(), &prefix);
    for service in [&one, &two] {
        let mut waited = 0;
        while !service.revocations_in_memory() {
            assert!(waited < 100, "the subscriber never caught up");
            tokio::time::sleep(Duration::from_millis(20)).await;
            waited += 1;
        }
    }
    let pair = one.issue_pair(&f.user).await.unwrap();
    let claims = two.authenticate(&pair.access_token).await.unwrap();
    one.revoke(None, Some((claims.jti.as_str(), claims.expires_at())))
        .await
        .unwrap();
    assert!(
        refused(two.authenticate(&pair.access_token).await),
        "at once"
    );
    // Proof that the answer came from memory: with the set gone from Redis it still holds.
    use fred::interfaces::{KeysInterface as _, SortedSetsInterface as _};
    let set = format!("{prefix}{{revoked-jti}}");
    let _: i64 = redis.pool().del(&set).await.unwrap();
    assert!(refused(two.authenticate(&pair.access_token).await));
    assert!(refused(one.authenticate(&pair.access_token).await));

    // A revocation whose announcement never arrives (recorded and counted, not published):
    // the once-a-second sequence check brings both instances into step.
    let lost = one.issue_pair(&f.user).await.unwrap();
    let claims = two.authenticate(&lost.access_token).await.unwrap();
    let expiry = claims.expires_at().timestamp_millis() as f64;
    let _: i64 = redis
        .pool()
        .zadd(
            &set,
            None,
            None,
            false,
            false,
            (expiry, claims.jti.as_str()),
        )
        .await
        .unwrap();
    let _: i64 = redis.pool().incr(format!("{set}:seq")).await.unwrap();
    // Wait until each instance refuses the token while its memory is trusted before and after
    // the check: then the refusal came from memory, or from a reload that read the id (the
    // sequence check runs every second; ten seconds is a failure, not a slow machine).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    for service in [&one, &two] {
        loop {
            let before = service.revocations_in_memory();
            let refused_now = refused(service.authenticate(&lost.access_token).await);
            if before && refused_now && service.revocations_in_memory() {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the sequence check never reloaded the lost revocation"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let _: i64 = redis.pool().del(&set).await.unwrap();
    for service in [&one, &two] {
        assert!(service.revocations_in_memory(), "back in step");
        assert!(
            refused(service.authenticate(&lost.access_token).await),
            "reloaded into memory"
        );
    }
}
