//! Faults: Redis killed and restarted under a running app, the database refusing connections.
//!
//! Each Redis test starts its own `redis-server` (AOF on, on a spare port) so it can kill it.
//! The bounds (503 within 2 s, `/readyz` within 1 s, recovery within 5 s) are the behaviour
//! these tests exist for (issue 20), not a speed measure: they are generous against what the
//! timeouts give (0.5 s Redis commands, 1 s database acquire) and fail on a hang.

use std::{
    net::TcpListener,
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::accounts::{me, register};
use crate::backend_tests;
use crate::helpers::{postgres_admin_url, spawn_app_with, Backend, Options, TempDir, TestApp};

backend_tests!(a_redis_restart_fails_signed_in_requests_fast_and_recovers);

const SIGNED_IN_BOUND: Duration = Duration::from_secs(2);
const READYZ_BOUND: Duration = Duration::from_secs(1);
const RECOVERY_BOUND: Duration = Duration::from_secs(5);

/// A `redis-server` of the test's own; killed when dropped.
struct RedisServer {
    port: u16,
    dir: TempDir,
    child: Option<Child>,
}

fn spare_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

impl RedisServer {
    async fn start() -> Self {
        let mut server = Self {
            port: spare_port(),
            dir: TempDir::new(),
            child: None,
        };
        server.restart().await;
        server
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Starts (again) on the same port and directory, so the AOF brings the data back; returns
    /// once it answers PING.
    async fn restart(&mut self) {
        self.child = Some(spawn_redis(self.port, &self.dir.0, &[]));
        wait_for_pong(self.port).await;
    }

    /// SIGKILL, the way a crash or an OOM kill ends it.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

fn spawn_redis(port: u16, dir: &Path, extra: &[&str]) -> Child {
    Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--appendonly", "yes", "--save", ""])
        .arg("--dir")
        .arg(dir)
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-server is required for the fault tests")
}

async fn pong(port: u16) -> bool {
    let Ok(mut stream) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await else {
        return false;
    };
    let mut answer = [0u8; 5];
    stream.write_all(b"PING\r\n").await.is_ok()
        && stream.read_exact(&mut answer).await.is_ok()
        && &answer == b"+PONG"
}

async fn wait_for_pong(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !pong(port).await {
        assert!(
            Instant::now() < deadline,
            "redis-server on {port} never answered"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Polls `check` until it holds, failing past `bound`; returns how long it took.
async fn within<F, Fut>(bound: Duration, what: &str, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    loop {
        if check().await {
            return started.elapsed();
        }
        assert!(started.elapsed() < bound, "{what}: not within {bound:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// One request, timed; a hang fails at twice the bound rather than never.
async fn timed(bound: Duration, request: reqwest::RequestBuilder) -> (reqwest::Response, Duration) {
    let started = Instant::now();
    let response = request.timeout(bound * 2).send().await.unwrap();
    let elapsed = started.elapsed();
    assert!(elapsed < bound, "{elapsed:?} is past {bound:?}");
    (response, elapsed)
}

fn fn_call(app: &TestApp, path: &str, cookie: &str) -> reqwest::RequestBuilder {
    app.client
        .post(app.url(path))
        .header("cookie", cookie)
        .header("origin", app.address.clone())
}

fn retry_after(response: &reqwest::Response) -> u64 {
    response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("a 503 says when to retry")
}

async fn readyz_is(app: &TestApp, status: u16) -> bool {
    app.client
        .get(app.url("/readyz"))
        .timeout(READYZ_BOUND)
        .send()
        .await
        .is_ok_and(|r| r.status() == status)
}

async fn a_redis_restart_fails_signed_in_requests_fast_and_recovers(backend: Backend) {
    let mut redis = RedisServer::start().await;
    let app = spawn_app_with(
        backend,
        Options {
            redis: true,
            extra: vec![("REDIS_URL", redis.url())],
            ..Options::default()
        },
    )
    .await;
    let cookie = register(&app, "ada").await;
    assert_eq!(me(&app, &cookie).await["username"], "ada");

    redis.kill();

    // Anonymous pages never touch Redis.
    for page in ["/", "/courses"] {
        let (response, _) = timed(SIGNED_IN_BOUND, app.client.get(app.url(page))).await;
        assert_eq!(response.status(), 200, "{page} during the outage");
    }
    // A signed-in page: 503, a page that says so, and the cookie kept (no sign-out).
    let request = app
        .client
        .get(app.url("/account"))
        .header("cookie", &cookie);
    let (page, took) = timed(SIGNED_IN_BOUND, request).await;
    assert_eq!(page.status(), 503);
    assert!(retry_after(&page) > 0);
    assert!(page.headers().get("set-cookie").is_none());
    assert!(page.text().await.unwrap().contains("briefly unavailable"));
    eprintln!("signed-in page during a Redis outage: 503 in {took:?}");
    // The same for a server function: its error decodes as the app's `Unavailable`.
    let (call, _) = timed(SIGNED_IN_BOUND, fn_call(&app, "/fn/accounts/me", &cookie)).await;
    assert_eq!(call.status(), 503);
    assert!(retry_after(&call) > 0);
    assert_eq!(
        call.json::<serde_json::Value>().await.unwrap(),
        "Unavailable"
    );
    // Sign-in and the API's throttle fail closed rather than run without limits.
    let login = app
        .client
        .post(app.url("/fn/accounts/login"))
        .header("origin", app.address.clone())
        .form(&[("username", "ada"), ("password", "a long enough secret")]);
    let (login, _) = timed(SIGNED_IN_BOUND, login).await;
    assert_eq!(login.status(), 503);
    // A registration cannot store its new session: 503 too, not a blank 500.
    let form = [
        ("username", "brian"),
        ("email", "brian@example.com"),
        ("password", "a long enough secret"),
    ];
    let register = app
        .client
        .post(app.url("/fn/accounts/register"))
        .header("origin", app.address.clone())
        .form(&form);
    let (register, _) = timed(SIGNED_IN_BOUND, register).await;
    assert_eq!(register.status(), 503);
    assert!(retry_after(&register) > 0);
    let (api, _) = timed(SIGNED_IN_BOUND, app.client.get(app.url("/api/v1/courses"))).await;
    assert_eq!(api.status(), 503);
    assert!(retry_after(&api) > 0);
    assert_eq!(
        api.headers()["content-type"].to_str().unwrap(),
        "application/problem+json"
    );
    // Readiness names what is missing, in time.
    let (ready, took) = timed(READYZ_BOUND, app.client.get(app.url("/readyz"))).await;
    assert_eq!(ready.status(), 503);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["failed"], serde_json::json!(["redis"]));
    eprintln!("/readyz during a Redis outage: 503 in {took:?}");

    redis.restart().await;
    let back = within(RECOVERY_BOUND, "/readyz after Redis returned", || {
        readyz_is(&app, 200)
    })
    .await;
    let signed_in = within(
        RECOVERY_BOUND,
        "the same cookie signed in again",
        || async {
            let call = fn_call(&app, "/fn/accounts/me", &cookie)
                .send()
                .await
                .unwrap();
            call.status() == 200
                && call.json::<serde_json::Value>().await.unwrap()["username"] == "ada"
        },
    )
    .await;
    eprintln!("after Redis returned: ready in {back:?}, signed in again {signed_in:?} later");
}

/// The test database refuses new connections and its backends are ended: the app's pool loses
/// every connection and cannot open one, as when PostgreSQL is stopped, without stopping the
/// server the other tests share.
async fn set_database_reachable(database_url: &str, reachable: bool) {
    use sqlx::Connection;
    let name = database_url.rsplit('/').next().unwrap();
    let mut admin = sqlx::PgConnection::connect(&postgres_admin_url())
        .await
        .unwrap();
    sqlx::query(&format!(
        "ALTER DATABASE {name} ALLOW_CONNECTIONS {reachable}"
    ))
    .execute(&mut admin)
    .await
    .unwrap();
    if !reachable {
        sqlx::query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = $1 AND pid <> pg_backend_pid()",
        )
        .bind(name)
        .execute(&mut admin)
        .await
        .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_outage_answers_503_fast_and_recovers() {
    let app = spawn_app_with(Backend::Postgres, Options::default()).await;
    let anonymous = |path: &str| app.client.get(app.url(path));
    assert_eq!(anonymous("/courses").send().await.unwrap().status(), 200);

    set_database_reachable(&app.database_url, false).await;

    for path in ["/courses", "/api/v1/courses"] {
        let (response, took) = timed(SIGNED_IN_BOUND, anonymous(path)).await;
        assert_eq!(response.status(), 503, "{path} during a database outage");
        assert!(retry_after(&response) > 0, "{path}");
        eprintln!("{path} during a database outage: 503 in {took:?}");
    }
    let (ready, took) = timed(READYZ_BOUND, anonymous("/readyz")).await;
    assert_eq!(ready.status(), 503);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["failed"], serde_json::json!(["database"]));
    eprintln!("/readyz during a database outage: 503 in {took:?}");
    assert_eq!(anonymous("/healthz").send().await.unwrap().status(), 200);

    set_database_reachable(&app.database_url, true).await;
    let back = within(
        RECOVERY_BOUND,
        "/readyz after the database returned",
        || readyz_is(&app, 200),
    )
    .await;
    within(
        RECOVERY_BOUND,
        "/courses after the database returned",
        || async {
            anonymous("/courses")
                .send()
                .await
                .is_ok_and(|r| r.status() == 200)
        },
    )
    .await;
    eprintln!("after the database returned: ready in {back:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_job_worker_outlives_a_database_outage_and_housekeeping_resumes() {
    use chrono::{TimeDelta, Utc};
    let app = spawn_app_with(
        Backend::Postgres,
        Options {
            seed_demo: false,
            extra: vec![
                ("HOUSEKEEPING_CRON", "* * * * * *".into()),
                ("JOB_POLL_MS", "50".into()),
                ("JOB_BACKOFF_MS", "100".into()),
                ("JOB_BACKOFF_MAX_SECONDS", "1".into()),
            ],
            ..Options::default()
        },
    )
    .await;
    // Alive now, dead by the time the database is back: only a sweep after the outage can
    // remove it, so the worker (queue and schedule, in the same database) must have survived.
    let expires = Utc::now() + TimeDelta::milliseconds(1500);
    server::on_pool!(&app.db, pool => sqlx::query(
        "INSERT INTO sessions (id, data, expires_at) VALUES ('s-dead', $1, $2)")
        .bind(vec![0u8]).bind(expires).execute(pool).await.map(|_| ()))
    .unwrap();

    set_database_reachable(&app.database_url, false).await;
    let refused = server::housekeeping::sweep(&app.db, Utc::now()).await;
    assert!(refused.is_err_and(|e| server::error::is_unavailable(&e)));
    tokio::time::sleep(Duration::from_secs(2)).await; // the outage itself, not a wait for a condition
    set_database_reachable(&app.database_url, true).await;
    let count = || async {
        server::on_pool!(&app.db, pool => sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM sessions WHERE id = 's-dead'")
            .fetch_one(pool).await)
        .is_ok_and(|n| n == 0)
    };
    let took = within(
        Duration::from_secs(10),
        "the sweep once the database is back",
        count,
    )
    .await;
    eprintln!("housekeeping swept {took:?} after the database returned");
}

/// Three masters, no replicas, each in its own directory (AOF and `nodes.conf` survive a
/// restart, so a restarted node rejoins with its slots and keys).
struct RedisCluster {
    nodes: Vec<RedisServer>,
}

impl RedisCluster {
    async fn start() -> Self {
        let mut nodes = Vec::new();
        for _ in 0..3 {
            let mut node = RedisServer {
                port: spare_port(),
                dir: TempDir::new(),
                child: None,
            };
            node.restart_clustered().await;
            nodes.push(node);
        }
        let addresses: Vec<String> = nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port))
            .collect();
        let created = Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(&addresses)
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .stdout(Stdio::null())
            .status()
            .expect("redis-cli is required for the cluster fault test");
        assert!(created.success());
        let cluster = Self { nodes };
        within(Duration::from_secs(20), "the cluster forms", || async {
            cluster
                .nodes
                .iter()
                .all(|n| cli(n.port, &["CLUSTER", "INFO"]).contains("cluster_state:ok"))
        })
        .await;
        cluster
    }

    fn url(&self) -> String {
        let mut nodes = self.nodes.iter().map(|n| format!("127.0.0.1:{}", n.port));
        let first = nodes.next().unwrap();
        let rest: Vec<String> = nodes.map(|n| format!("node={n}")).collect();
        format!("redis-cluster://{first}?{}", rest.join("&"))
    }

    /// The node that holds `key`.
    fn owner_of(&mut self, key: &str) -> &mut RedisServer {
        let slot: u16 = cli(self.nodes[0].port, &["CLUSTER", "KEYSLOT", key])
            .trim()
            .parse()
            .unwrap();
        let index = self
            .nodes
            .iter()
            .position(|n| {
                cli(n.port, &["CLUSTER", "COUNTKEYSINSLOT", &slot.to_string()]).trim() != "0"
            })
            .expect("some node holds the key");
        &mut self.nodes[index]
    }
}

impl RedisServer {
    async fn restart_clustered(&mut self) {
        let conf = self.dir.0.join("nodes.conf");
        let conf = conf.to_string_lossy().to_string();
        self.child = Some(spawn_redis(
            self.port,
            &self.dir.0,
            &[
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                &conf,
                "--cluster-node-timeout",
                "2000",
            ],
        ));
        wait_for_pong(self.port).await;
    }
}

fn cli(port: u16, args: &[&str]) -> String {
    let output = Command::new("redis-cli")
        .args(["-p", &port.to_string()])
        .args(args)
        .output()
        .unwrap();
    String::from_utf8_lossy(&output.stdout).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_cluster_node_restart_fails_its_sessions_fast_and_recovers() {
    let mut cluster = RedisCluster::start().await;
    let app = spawn_app_with(
        Backend::Sqlite,
        Options {
            redis: true,
            extra: vec![("REDIS_URL", cluster.url())],
            ..Options::default()
        },
    )
    .await;
    let cookie = register(&app, "grace").await;
    assert_eq!(me(&app, &cookie).await["username"], "grace");
    // The session's record is the key named by the cookie's value: stop the node that holds it.
    let id = cookie.trim_start_matches("xc_session=").to_string();
    let node = cluster.owner_of(&id);
    node.kill();

    let (page, _) = timed(SIGNED_IN_BOUND, app.client.get(app.url("/courses"))).await;
    assert_eq!(page.status(), 200, "anonymous pages during a node outage");
    let (call, took) = timed(SIGNED_IN_BOUND, fn_call(&app, "/fn/accounts/me", &cookie)).await;
    assert_eq!(call.status(), 503);
    assert!(retry_after(&call) > 0);
    eprintln!("signed-in call during a cluster node outage: 503 in {took:?}");

    node.restart_clustered().await;
    let signed_in = within(
        RECOVERY_BOUND,
        "the same cookie signed in again",
        || async {
            let call = fn_call(&app, "/fn/accounts/me", &cookie)
                .send()
                .await
                .unwrap();
            call.status() == 200
                && call.json::<serde_json::Value>().await.unwrap()["username"] == "grace"
        },
    )
    .await;
    let ready = within(RECOVERY_BOUND, "/readyz after the node returned", || {
        readyz_is(&app, 200)
    })
    .await;
    eprintln!("after the node returned: signed in again in {signed_in:?}, ready {ready:?} later");
}
