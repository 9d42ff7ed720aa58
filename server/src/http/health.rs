//! `/healthz`: the process answers (no dependency is asked, so it stays cheap and independent).
//! `/readyz`: its dependencies answer too, so a load balancer only sends traffic to instances
//! that can serve it. Each dependency is asked at once, each with its own [`CHECK_TIMEOUT`], so
//! the answer comes within a second whatever is down; the body names what failed.

use std::{future::Future, time::Duration};

use axum::{extract::State, http::StatusCode, response::IntoResponse, Json};
use serde_json::json;

use crate::db::Db;
use crate::redis::Redis;

/// How long one dependency may take to answer the readiness check.
pub const CHECK_TIMEOUT: Duration = Duration::from_millis(500);

pub async fn healthz() -> impl IntoResponse {
    (StatusCode::OK, Json(json!({ "status": "ok" })))
}

/// One dependency's state: "ok", "unreachable" (it answered with an error) or "timeout".
async fn check<E: std::fmt::Display>(
    name: &str,
    probe: impl Future<Output = Result<(), E>>,
) -> &'static str {
    match tokio::time::timeout(CHECK_TIMEOUT, probe).await {
        Ok(Ok(())) => "ok",
        Ok(Err(error)) => {
            tracing::debug!(%error, dependency = name, "readiness: unreachable");
            "unreachable"
        }
        Err(_) => {
            tracing::debug!(dependency = name, "readiness: no answer in time");
            "timeout"
        }
    }
}

pub async fn readyz(State(db): State<Db>, State(redis): State<Option<Redis>>) -> impl IntoResponse {
    let redis = async {
        match &redis {
            None => "not configured",
            Some(redis) => check("redis", redis.ping()).await,
        }
    };
    let (database, redis) = tokio::join!(check("database", db.ping()), redis);
    let failed: Vec<&str> = [("database", database), ("redis", redis)]
        .into_iter()
        .filter(|(_, s)| !matches!(*s, "ok" | "not configured"))
        .map(|(name, _)| name)
        .collect();
    let ready = failed.is_empty();
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(json!({
            "status": if ready { "ready" } else { "not ready" },
            "database": database,
            "redis": redis,
            "failed": failed,
        })),
    )
}
