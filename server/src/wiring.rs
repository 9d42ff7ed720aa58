//! Wiring the services, once, the same way for `main` and the tests: connect to the backends,
//! migrate, seed on first start, and build every service into the state ([`crate::state`]).
//! [`crate::startup`] then puts the router over it and serves.

use std::sync::Arc;

use leptos::prelude::LeptosOptions;

use crate::accounts::{links::Links, Accounts, Lifecycle};
use crate::admin::Admin;
use crate::auth::redis_sessions::RedisSessions;
use crate::auth::registry::SessionRegistry;
use crate::auth::session_store::{DbSessionStore, Sessions};
use crate::auth::{jwt::JwtKeys, tokens::TokenService};
use crate::catalog::Catalog;
use crate::config::Settings;
use crate::db::Db;
use crate::http::page_cache;
use crate::model_engine::ModelService;
use crate::rbac::Authz;
use crate::redis::Redis;
use crate::rest::{cache::ApiCache, throttle::ApiThrottle};
use crate::state::{AppState, Shared};

/// Models whose rows show on the cached public pages.
const CATALOGUE_MODELS: [&str; 9] = [
    "course",
    "price_policy",
    "chapter",
    "lesson",
    "category",
    "direction",
    "teacher",
    "learning_path",
    "learning_path_course",
];

/// Connects to the backends, migrates and (on first start) seeds.
pub async fn prepare_state(settings: Settings) -> anyhow::Result<AppState> {
    let db = Db::connect(&settings).await?;
    db.migrate().await?;
    if settings.seed_demo && crate::seed::catalogue_is_empty(&db).await? {
        tracing::info!("empty catalogue: loading demo data (SEED_DEMO)");
        crate::seed::seed_demo(&db, crate::seed::DEFAULT_COURSES).await?;
    }
    let metrics = crate::metrics::Metrics::new();
    let redis = match &settings.redis_url {
        Some(url) => {
            let options = crate::redis::RedisOptions {
                events: metrics.redis.clone(),
                ..(&settings).into()
            };
            Some(Redis::connect_with(url.expose(), options).await?)
        }
        None => None,
    };
    let leptos_options = LeptosOptions::builder()
        .output_name("xuecheng")
        .site_root(settings.site_root.to_string_lossy().to_string())
        .site_pkg_dir("pkg")
        .site_addr(settings.site_addr)
        .build();
    let keys =
        JwtKeys::load(&settings).map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
    let tokens = TokenService::new(db.clone(), Arc::new(keys), settings.auth.refresh_token_ttl)
        .with_metrics(metrics.clone());
    let tokens = match &redis {
        Some(redis) => tokens.with_redis(redis.clone(), &settings.redis_prefix),
        None => tokens,
    };
    // Sessions follow Redis when it is configured (shared by all instances), else the database.
    let sessions = match &redis {
        Some(redis) => Sessions::Redis(RedisSessions::new(
            redis.pool().clone(),
            &settings.redis_prefix,
            settings
                .auth
                .session_absolute
                .max(settings.auth.session_idle),
        )),
        None => Sessions::Database(DbSessionStore::new(db.clone())),
    };
    let registry = SessionRegistry::new(sessions.clone());
    let eviction = crate::accounts::Eviction::new(registry.clone(), tokens.clone());
    let jobs = crate::jobs::Background::connect(&settings, db.clone(), redis.as_ref()).await?;
    if let Some(url) = &settings.redis_url {
        // Notifications written by the worker processes and the other instances.
        jobs.context
            .notifier
            .live()
            .listen(url.expose(), &settings.redis_prefix)
            .await?;
    }
    let links: Links = jobs.context.links.clone();
    let accounts = Accounts::new(
        db.clone(),
        settings.auth.clone(),
        crate::accounts::throttle::LoginThrottle::new(redis.clone(), &settings.redis_prefix),
    )
    .with_links(links.clone())
    .with_eviction(eviction.clone())
    .with_metrics(metrics.clone());
    let lifecycle = Lifecycle::new(
        db.clone(),
        eviction.clone(),
        settings.auth.session_absolute,
        links,
        crate::accounts::throttle::LoginThrottle::scoped(
            redis.clone(),
            &settings.redis_prefix,
            "reset",
        ),
    );
    let authz = Authz::new(db.clone(), accounts.clone());
    let catalog = Catalog::new(db.clone(), settings.page_cache_ttl);
    let pages = page_cache::PageCache::new(settings.page_cache_ttl);
    let api_throttle = ApiThrottle::new(redis.clone(), &settings.redis_prefix);
    let api_cache = ApiCache::new(
        settings.page_cache_ttl,
        api_throttle.clone(),
        settings.api.throttle_anon,
    );
    // A change to the catalogue shows on this instance's public pages at once, and a change to
    // any model in its API lists; other instances see it when their cache entries expire
    // (PAGE_CACHE_SECONDS).
    let secrets = crate::webssh::secrets::SecretBox::load(
        settings.webssh.secret_key_path.as_deref(),
        &settings.data_dir,
    )?;
    let terminals = crate::webssh::Terminals::new(
        db.clone(),
        authz.clone(),
        secrets.clone(),
        settings.webssh.clone(),
        &settings.data_dir,
        metrics.clone(),
    );
    let models = ModelService::new(db.clone())
        .with_secrets(secrets)
        .with_privilege_listener(Arc::new(eviction.clone()))
        .with_content_listener(Arc::new(jobs.context.reminders.clone()))
        .with_change_hook({
            let (catalog, pages, api_cache) = (catalog.clone(), pages.clone(), api_cache.clone());
            Arc::new(move |model: &'static str| {
                api_cache.clear();
                if CATALOGUE_MODELS.contains(&model) {
                    catalog.invalidate();
                    pages.clear();
                }
            })
        });
    let oauth = crate::oauth::OAuth::new(
        db.clone(),
        accounts.clone(),
        settings.oauth.clone(),
        settings.public_url.clone(),
    )?;
    let follows = crate::follows::Follows::new(db.clone());
    let ops = crate::ops::Ops {
        exports: crate::exports::Exports::new(db.clone(), jobs.queue.clone()),
        board: crate::jobs::board::JobBoardService::new(db.clone(), settings.jobs.heartbeat),
    };
    let orders = crate::orders::Orders::new(
        db.clone(),
        jobs.queue.clone(),
        settings.orders.clone(),
        crate::payments::configured(&settings.orders)?,
    );
    let seckill = crate::seckill::Seckill::new(
        jobs.context.seckill.clone(),
        settings.seckill.clone(),
        api_throttle.clone(),
        authz.clone(),
        crate::seckill::token::TokenKey::derive(&crate::seckill::token::signing_secret(&settings)?),
    )
    .with_metrics(metrics.clone());
    let learning = crate::learning::Learning::new(
        db.clone(),
        crate::learning::media::Media::load(
            settings.learning.media_key_path.as_deref(),
            &settings.data_dir,
            settings.learning.media_root(&settings.data_dir),
            settings.learning.media_url_ttl,
        )?
        .with_public_url(settings.public_url.as_str()),
        api_throttle.clone(),
        settings.learning.clone(),
    );
    Ok(AppState::new(Shared {
        metrics,
        seckill,
        learning,
        orders,
        ops,
        terminals,
        catalog,
        oauth,
        notifications: crate::notifications::Centre::new(db.clone()),
        admin: Admin::new(db.clone(), models.clone()).with_sessions(Arc::new(eviction.clone())),
        authz,
        models,
        accounts,
        tokens,
        registry,
        lifecycle,
        sessions,
        pages,
        api_cache,
        api_throttle,
        settings: Arc::new(settings),
        db,
        redis,
        leptos_options,
        jobs,
        follows,
    }))
}
