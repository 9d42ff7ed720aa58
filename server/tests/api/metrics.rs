//! `/metrics`: answered only on its own address or with its token; a request moves the HTTP
//! counters under its route template (never the raw path); the cache counters follow hits and
//! misses; the job gauges follow a job from queued to done.

use reqwest::StatusCode;

use crate::backend_tests;
use crate::helpers::{spawn_app_with, Backend, Options, TestApp};
use crate::jobs::{fast_jobs, settled};

backend_tests!(
    metrics_answer_only_on_their_address_or_with_their_token,
    a_request_counts_under_its_route_template,
    the_page_cache_counts_its_hits_and_misses,
    job_gauges_follow_a_job_from_queued_to_done,
    sign_ins_and_token_events_are_counted,
);

pub const TOKEN: &str = "metrics-token-for-tests-0123456789";

async fn app_with(b: Backend, extra: &[(&'static str, &str)]) -> TestApp {
    let mut options = Options::unthrottled();
    options
        .extra
        .extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
    spawn_app_with(b, options).await
}

pub async fn scrape(app: &TestApp) -> String {
    let response = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.text().await.unwrap()
}

/// The value of the sample line that starts with `series` (name and labels), if any.
pub fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
}

async fn metrics_answer_only_on_their_address_or_with_their_token(b: Backend) {
    // Nothing configured: the public port has no such route.
    let app = app_with(b, &[]).await;
    let response = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(!response
        .text()
        .await
        .unwrap()
        .contains("xuecheng_http_requests"));

    // A token: nothing without it or with another one; the metrics with it.
    let app = app_with(b, &[("METRICS_TOKEN", TOKEN)]).await;
    let bare = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(bare.status(), StatusCode::UNAUTHORIZED);
    assert!(bare.headers().contains_key("www-authenticate"));
    assert!(!bare.text().await.unwrap().contains("xuecheng_"));
    let wrong = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("metrics-token-for-tests-0123456788")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let text = scrape(&app).await;
    assert!(
        text.contains("# TYPE xuecheng_http_requests counter"),
        "{text}"
    );
    assert!(
        text.contains("xuecheng_db_pool_max_connections 5"),
        "{text}"
    );

    // An address of its own: served there, and not on the public port.
    let app = app_with(b, &[("METRICS_ADDR", "127.0.0.1:0")]).await;
    let public = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(public.status(), StatusCode::NOT_FOUND);
    let private = app.metrics_address.clone().expect("a metrics listener");
    let response = app
        .client
        .get(format!("{private}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("xuecheng_http_requests"));

    // A token too short to be a secret stops start-up.
    let vars = std::collections::HashMap::from([("METRICS_TOKEN", "short")]);
    assert!(server::config::Settings::from_map(&vars).is_err());
}

async fn a_request_counts_under_its_route_template(b: Backend) {
    let app = app_with(b, &[("METRICS_TOKEN", TOKEN)]).await;
    for id in [1, 2, 3] {
        let response = app
            .client
            .get(app.url(&format!("/api/v1/courses/{id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
    let missing = app
        .client
        .get(app.url("/api/v1/courses/999999"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let junk = app
        .client
        .get(app.url("/no/such/page-4711"))
        .send()
        .await
        .unwrap();
    assert_eq!(junk.status(), StatusCode::NOT_FOUND);
    let text = scrape(&app).await;
    let ok =
        r#"xuecheng_http_requests_total{method="GET",route="/api/v1/courses/{id}",status="2xx"}"#;
    let not_found =
        r#"xuecheng_http_requests_total{method="GET",route="/api/v1/courses/{id}",status="4xx"}"#;
    assert_eq!(sample(&text, ok), Some(3.0), "{text}");
    assert_eq!(sample(&text, not_found), Some(1.0), "{text}");
    let count = r#"xuecheng_http_request_duration_seconds_count{method="GET",route="/api/v1/courses/{id}"}"#;
    assert_eq!(sample(&text, count), Some(4.0), "{text}");
    // Raw paths never become labels: one series for every unmatched path.
    assert!(
        !text.contains("courses/999999") && !text.contains("page-4711"),
        "{text}"
    );
    assert!(text.contains(r#"route="unmatched""#), "{text}");
    // The scrape itself is in flight while it renders.
    assert_eq!(
        sample(&text, "xuecheng_http_requests_in_flight"),
        Some(1.0),
        "{text}"
    );
}

async fn the_page_cache_counts_its_hits_and_misses(b: Backend) {
    let mut options = Options::unthrottled();
    options.page_cache_seconds = 60;
    options.extra.push(("METRICS_TOKEN", TOKEN.into()));
    let app = spawn_app_with(b, options).await;
    for _ in 0..3 {
        let response = app.client.get(app.url("/courses")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
    let text = scrape(&app).await;
    let hit = r#"xuecheng_cache_requests_total{cache="page",outcome="hit"}"#;
    let miss = r#"xuecheng_cache_requests_total{cache="page",outcome="miss"}"#;
    assert_eq!(sample(&text, miss), Some(1.0), "{text}");
    assert_eq!(sample(&text, hit), Some(2.0), "{text}");
}

async fn job_gauges_follow_a_job_from_queued_to_done(b: Backend) {
    // An instance that runs no jobs watches the queue; a second one, on the same database,
    // runs the job.
    let watcher = app_with(b, &[("METRICS_TOKEN", TOKEN), ("WORKER", "off")]).await;
    let job = server::jobs::Job::Housekeeping { tick: 4711 };
    let queue = job.kind().queue();
    watcher.jobs.enqueue(&job, "metrics-test").await.unwrap();
    let pending = format!(r#"xuecheng_jobs{{queue="{queue}",state="Pending"}}"#);
    let done = format!(r#"xuecheng_jobs{{queue="{queue}",state="Done"}}"#);
    let text = scrape(&watcher).await;
    assert_eq!(sample(&text, &pending), Some(1.0), "{text}");
    assert_eq!(sample(&text, &done), None, "{text}");

    let _worker = observer_with_worker(&watcher).await;
    settled(&watcher, queue, 1).await;
    let text = scrape(&watcher).await;
    assert_eq!(sample(&text, &done), Some(1.0), "{text}");
    assert_eq!(sample(&text, &pending), None, "{text}");
}

async fn sign_ins_and_token_events_are_counted(b: Backend) {
    let app = app_with(b, &[("METRICS_TOKEN", TOKEN)]).await;
    let who = app.persona("mina", false, &[]).await;
    app.sign_in(&who).await;
    let wrong = app
        .client
        .post(app.url("/fn/accounts/login"))
        .header("origin", &app.address)
        .form(&[
            ("username", who.username.as_str()),
            ("password", "not the password"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let grant = |password: &'static str| {
        app.client
            .post(app.url("/api/v1/auth/token"))
            .json(&serde_json::json!({"username": who.username, "password": password}))
    };
    let pair: serde_json::Value = grant(crate::personas::PASSWORD)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let refresh = serde_json::json!({"refresh_token": pair["refresh_token"]});
    let post = |path: &str| app.client.post(app.url(path)).json(&refresh);
    assert_eq!(
        post("/api/v1/auth/refresh").send().await.unwrap().status(),
        200
    );
    // The spent token again: reuse, and the family is revoked.
    assert_eq!(
        post("/api/v1/auth/refresh").send().await.unwrap().status(),
        401
    );
    let revoke = post("/api/v1/auth/revoke")
        .bearer_auth(pair["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), 204);

    let text = scrape(&app).await;
    let signed_in = r#"xuecheng_sign_ins_total{method="password",outcome="success"}"#;
    let failed = r#"xuecheng_sign_ins_total{method="password",outcome="failure"}"#;
    assert_eq!(
        sample(&text, signed_in),
        Some(2.0),
        "the page and the token grant: {text}"
    );
    assert_eq!(sample(&text, failed), Some(1.0), "{text}");
    for (event, n) in [
        ("issued", 1.0),
        ("refreshed", 1.0),
        ("reuse_detected", 1.0),
        ("revoked", 1.0),
    ] {
        let series = format!(r#"xuecheng_tokens_total{{event="{event}"}}"#);
        assert_eq!(sample(&text, &series), Some(n), "{event}: {text}");
    }
}

/// A second instance on the watcher's database that does run jobs.
async fn observer_with_worker(watcher: &TestApp) -> TestApp {
    spawn_app_with(
        Backend::Sqlite, // ignored: the URL decides
        Options {
            seed_demo: false,
            database_url: Some(watcher.database_url.clone()),
            extra: fast_jobs(),
            ..Default::default()
        },
    )
    .await
}

/// Every `xuecheng_…` name in `text`, with the suffixes Prometheus adds to counters and
/// histograms taken off.
fn metric_names(text: &str) -> std::collections::BTreeSet<String> {
    let mut names = std::collections::BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("xuecheng_") {
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        let mut name = &tail[..end];
        for suffix in ["_total", "_bucket", "_count", "_sum"] {
            name = name.strip_suffix(suffix).unwrap_or(name);
        }
        names.insert(name.to_string());
        rest = &tail[end..];
    }
    names
}

/// The Grafana dashboard and the alert rules in `deploy/` ask only for metrics we export, and
/// the dashboard has its panels (the rules' syntax is `promtool check rules` in scripts/test).
#[test]
fn the_dashboard_and_the_alerts_name_only_metrics_we_export() {
    let exported: std::collections::BTreeSet<String> = server::metrics::Metrics::new()
        .family_names()
        .iter()
        .cloned()
        .collect();
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy");
    let dashboard = std::fs::read_to_string(format!("{root}/grafana/xuecheng.json")).unwrap();
    let parsed: serde_json::Value = serde_json::from_str(&dashboard).expect("valid JSON");
    let panels = parsed["panels"].as_array().expect("panels");
    assert!(panels.len() >= 10, "{} panels", panels.len());
    for panel in panels {
        assert!(panel["title"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(!panel["targets"].as_array().unwrap().is_empty());
    }
    let alerts = std::fs::read_to_string(format!("{root}/prometheus/alerts.yml")).unwrap();
    for (file, text) in [("dashboard", &dashboard), ("alerts", &alerts)] {
        let asked = metric_names(text);
        assert!(!asked.is_empty());
        let unknown: Vec<_> = asked.difference(&exported).collect();
        assert!(
            unknown.is_empty(),
            "{file} asks for {unknown:?}; we export {exported:?}"
        );
    }
}
