//! `spawn_app`: the real application on port 0 with its own database.

use std::{collections::HashMap, path::PathBuf};

use server::{config::Settings, db::Db, startup::Application};
use tokio::sync::oneshot;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs an async test body once per backend: `backend_tests!(name);` expects `async fn name(b: Backend)`.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name($crate::helpers::Backend::Sqlite).await }) *
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name($crate::helpers::Backend::Postgres).await }) *
        }
    };
}

pub struct TestApp {
    pub address: String,
    /// `METRICS_ADDR`'s listener as a base URL, when the test set one.
    pub metrics_address: Option<String>,
    pub database_url: String,
    pub client: reqwest::Client,
    pub db: Db,
    /// The instance's session registry (devices, sign out everywhere, privilege rotation).
    pub registry: server::auth::registry::SessionRegistry,
    /// The instance's anonymous page cache and API list cache (tests hold their fills).
    pub pages: server::http::page_cache::PageCache,
    pub api_cache: server::rest::cache::ApiCache,
    /// The instance's own model engine, with its production hooks (cache clearing, session
    /// rotation on privilege changes): tests write through it as the back office does.
    pub models: server::model_engine::ModelService,
    /// The instance's job queue (tests enqueue through it).
    pub jobs: server::jobs::Jobs,
    /// The instance's notifier (what jobs write notifications through).
    pub notifier: server::notifications::Notifier,
    /// The instance's payment gateways (what the order and reconcile jobs ask).
    pub gateways: server::payments::gateway::Gateways,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    _dir: Option<TempDir>,
    _data_dir: TempDir,
}

impl TestApp {
    /// The instance's `DATA_DIR` (its generated JWT key lives there).
    pub fn data_dir(&self) -> String {
        self._data_dir.0.display().to_string()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request failed")
    }

    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request failed")
    }

    /// Stops the server but hands back its temp directory, so a second instance can reopen
    /// the same SQLite file.
    pub async fn stop_keeping_data(mut self) -> Option<TempDir> {
        let dir = self._dir.take();
        self.stop().await.expect("the server stops");
        dir
    }

    /// Stops the server the way SIGTERM does and waits for it to finish.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match self.server.take() {
            Some(handle) => handle.await?,
            None => Ok(()),
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A directory removed when the test ends.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> Self {
        let path = std::env::temp_dir().join(format!("xc-test-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&path).expect("cannot create a temp dir");
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn postgres_admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

pub fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// A fresh, empty database for one test; returns its URL (and the temp dir for SQLite).
pub async fn fresh_database(backend: Backend) -> (String, Option<TempDir>) {
    match backend {
        Backend::Sqlite => {
            let dir = TempDir::new();
            (format!("sqlite://{}/xc.db", dir.0.display()), Some(dir))
        }
        Backend::Postgres => {
            use sqlx::Connection;
            let admin = postgres_admin_url();
            let name = format!("xc_test_{}", uuid::Uuid::new_v4().simple());
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .unwrap_or_else(|e| {
                    panic!("PostgreSQL is required for the tests (TEST_POSTGRES_URL={admin}): {e}")
                });
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .expect("CREATE DATABASE failed");
            let base = admin
                .rsplit_once('/')
                .map(|(b, _)| b.to_string())
                .unwrap_or(admin);
            (format!("{base}/{name}"), None)
        }
    }
}

pub struct Options {
    pub page_cache_seconds: u32,
    pub seed_demo: bool,
    pub redis: bool,
    /// Reuse another instance's database (two app servers behind one load balancer).
    pub database_url: Option<String>,
    pub extra: Vec<(&'static str, String)>,
}

impl Options {
    /// API budgets out of reach: for tests that count the app's answers, not the throttle's.
    pub fn unthrottled() -> Self {
        Self {
            extra: vec![
                ("API_THROTTLE_ANON", "100000/min".into()),
                ("API_THROTTLE_USER", "100000/min".into()),
                ("API_THROTTLE_AUTH", "100000/min".into()),
            ],
            ..Default::default()
        }
    }
}

impl Default for Options {
    fn default() -> Self {
        Self {
            page_cache_seconds: 0,
            seed_demo: true,
            redis: false,
            database_url: None,
            extra: Vec::new(),
        }
    }
}

/// Two app servers behind one load balancer: one database, one Redis, one key prefix and one
/// JWT signing key. Returns the prefix too, for tests that look into Redis.
pub async fn spawn_pair(backend: Backend) -> (TestApp, TestApp, String) {
    spawn_pair_with(backend, Vec::new()).await
}

/// [`spawn_pair`] with more settings for both instances.
pub async fn spawn_pair_with(
    backend: Backend,
    settings: Vec<(&'static str, String)>,
) -> (TestApp, TestApp, String) {
    let prefix = format!("xc-test-{}:", uuid::Uuid::new_v4().simple());
    let mut extra = settings.clone();
    extra.push(("REDIS_KEY_PREFIX", prefix.clone()));
    let one = spawn_app_with(
        backend,
        Options {
            redis: true,
            extra,
            ..Default::default()
        },
    )
    .await;
    let two = spawn_peer(backend, &one, &prefix, settings).await;
    (one, two, prefix)
}

/// Another instance beside `one`: the same database, Redis prefix and signing key.
pub async fn spawn_peer(
    backend: Backend,
    one: &TestApp,
    prefix: &str,
    settings: Vec<(&'static str, String)>,
) -> TestApp {
    let key = format!("{}/jwt_private.pem", one.data_dir());
    spawn_app_with(
        backend,
        Options {
            redis: true,
            seed_demo: false,
            database_url: Some(one.database_url.clone()),
            extra: settings
                .into_iter()
                .chain([
                    ("REDIS_KEY_PREFIX", prefix.to_string()),
                    ("JWT_PRIVATE_KEY_PATH", key),
                ])
                .collect(),
            ..Default::default()
        },
    )
    .await
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, Options::default()).await
}

pub async fn spawn_app_with(backend: Backend, options: Options) -> TestApp {
    let (database_url, dir) = match options.database_url.clone() {
        Some(url) => (url, None),
        None => fresh_database(backend).await,
    };
    let data_dir = TempDir::new();
    let data_path = data_dir.0.display().to_string();
    // Each test app writes its own Redis keys (throttle counters…), so runs never interfere.
    let redis_prefix = format!("xc-test-{}:", uuid::Uuid::new_v4().simple());
    let cache = options.page_cache_seconds.to_string();
    let seed = options.seed_demo.to_string();
    let redis = redis_url();
    let mut vars: HashMap<&str, &str> = HashMap::from([
        ("DATABASE_URL", database_url.as_str()),
        ("LEPTOS_SITE_ADDR", "127.0.0.1:0"),
        ("PAGE_CACHE_SECONDS", cache.as_str()),
        ("SEED_DEMO", seed.as_str()),
        ("DB_MAX_CONNECTIONS", "5"),
        ("DATA_DIR", data_path.as_str()),
        ("REDIS_KEY_PREFIX", redis_prefix.as_str()),
    ]);
    if options.redis {
        vars.insert("REDIS_URL", redis.as_str());
    }
    for (k, v) in &options.extra {
        vars.insert(k, v.as_str());
    }
    let settings = Settings::from_map(&vars).expect("test settings are valid");
    let app = Application::build(settings)
        .await
        .expect("the application builds");
    let address = format!("http://{}", app.local_addr().expect("bound"));
    let metrics_address = app.metrics_addr().map(|a| format!("http://{a}"));
    let db = app.state().db.clone();
    let registry = app.state().registry.clone();
    let pages = app.state().pages.clone();
    let api_cache = app.state().api_cache.clone();
    let models = app.state().models.clone();
    let jobs = app.state().jobs.queue.clone();
    let notifier = app.state().jobs.context.notifier.clone();
    let gateways = app.state().jobs.context.gateways.clone();
    let (tx, rx) = oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async move {
        let _ = rx.await;
    }));
    TestApp {
        address,
        metrics_address,
        database_url: database_url.clone(),
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            // The suite's assertions read English; the language tests (languages.rs) send their
            // own `Accept-Language`, which takes the place of this one.
            .default_headers(reqwest::header::HeaderMap::from_iter([(
                reqwest::header::ACCEPT_LANGUAGE,
                reqwest::header::HeaderValue::from_static("en"),
            )]))
            .build()
            .expect("client"),
        db,
        registry,
        pages,
        api_cache,
        models,
        jobs,
        notifier,
        gateways,
        shutdown: Some(tx),
        server: Some(server),
        _dir: dir,
        _data_dir: data_dir,
    }
}
