//! What handlers and layers can reach: the application state and the parts of it a handler
//! names instead of the whole.
//!
//! [`AppState`] is one `Arc` (layers and handlers clone it for every request, several times
//! each: axum clones a route's whole layer stack per call). A handler that uses one or two
//! services says so with a substate, `State<Accounts>`, `State<TokenService>`, `State<Db>`…
//! (each a cheap clone, by [`FromRef`]); the handlers that need many (the model resources, the
//! caller resolution) keep `State<AppState>`. `startup.rs` builds the state; nothing here does
//! I/O.

use std::sync::Arc;

use app::ports::Services;
use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;

use crate::accounts::{Accounts, Lifecycle};
use crate::admin::Admin;
use crate::auth::registry::SessionRegistry;
use crate::auth::session_store::Sessions;
use crate::auth::tokens::TokenService;
use crate::catalog::Catalog;
use crate::config::Settings;
use crate::db::Db;
use crate::http::page_cache::PageCache;
use crate::model_engine::ModelService;
use crate::oauth::OAuth;
use crate::rbac::Authz;
use crate::redis::Redis;
use crate::rest::{cache::ApiCache, throttle::ApiThrottle};

/// The whole application state (see the module doc).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// The services and settings behind [`AppState`].
pub struct Shared {
    pub settings: Arc<Settings>,
    pub db: Db,
    pub redis: Option<Redis>,
    pub catalog: Catalog,
    pub accounts: Accounts,
    pub lifecycle: Lifecycle,
    pub authz: Authz,
    pub models: ModelService,
    pub admin: Admin,
    /// One's notifications (the bell, `/notifications`, the API).
    pub notifications: crate::notifications::Centre,
    pub oauth: OAuth,
    pub tokens: TokenService,
    pub sessions: Sessions,
    /// Every user's sessions across instances (devices page, sign out everywhere, rotation).
    pub registry: SessionRegistry,
    pub pages: PageCache,
    /// Anonymous API list answers (see [`crate::rest::cache`]).
    pub api_cache: ApiCache,
    /// The API's request counters, shared by its throttle layer and the cache in front of it.
    pub api_throttle: ApiThrottle,
    pub leptos_options: LeptosOptions,
    /// The job queue and what its jobs need (see [`crate::jobs`]).
    pub jobs: crate::jobs::Background,
    /// Follows, learning paths and mail settings (see [`crate::follows`]).
    pub follows: crate::follows::Follows,
    /// Exports and the job dashboard (see [`crate::ops`]).
    pub ops: crate::ops::Ops,
    /// Web terminals: this instance's live sessions and tickets (see [`crate::webssh`]).
    pub terminals: crate::webssh::Terminals,
    /// Orders, checkout and payments (see [`crate::orders`]).
    pub orders: crate::orders::Orders,
    /// Prometheus metrics (see [`crate::metrics`]).
    pub metrics: crate::metrics::Metrics,
    /// Flash sales (see [`crate::seckill`]).
    pub seckill: crate::seckill::Seckill,
    /// Lesson pages, the access rule and progress (see [`crate::learning`]).
    pub learning: crate::learning::Learning,
}

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }

    /// The ports the pages' server functions call, from the Leptos context.
    pub fn services(&self) -> Services {
        Services {
            catalog: Arc::new(self.catalog.clone()),
            accounts: Arc::new(self.accounts.clone()),
            authz: Arc::new(self.authz.clone()),
            admin: Arc::new(self.admin.clone()),
            oauth: Arc::new(self.oauth.clone()),
            lifecycle: Arc::new(self.lifecycle.clone()),
            paths: Arc::new(self.follows.clone()),
            follows: Arc::new(self.follows.clone()),
            notifications: Arc::new(self.notifications.clone()),
            ops: Arc::new(self.ops.clone()),
            orders: Arc::new(self.orders.clone()),
            learning: Arc::new(self.learning.clone()),
            seckill: Arc::new(self.seckill.clone()),
        }
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// `State<T>` for each part a handler may name on its own.
macro_rules! substates {
    ($($part:ty => $field:ident),* $(,)?) => {
        $(impl FromRef<AppState> for $part {
            fn from_ref(state: &AppState) -> Self {
                state.$field.clone()
            }
        })*
    };
}

substates! {
    Arc<Settings> => settings,
    Db => db,
    Option<Redis> => redis,
    Catalog => catalog,
    Accounts => accounts,
    Lifecycle => lifecycle,
    Authz => authz,
    ModelService => models,
    Admin => admin,
    crate::notifications::Centre => notifications,
    OAuth => oauth,
    TokenService => tokens,
    SessionRegistry => registry,
    LeptosOptions => leptos_options,
    crate::follows::Follows => follows,
    crate::ops::Ops => ops,
    crate::orders::Orders => orders,
    crate::metrics::Metrics => metrics,
    crate::learning::Learning => learning,
}
