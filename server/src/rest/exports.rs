//! `/api/v1/exports`: a long task answered 202. `POST` queues the export and points at it
//! (`Location`), `GET …/{id}` shows its status and progress and, once done, the download link
//! (`…/{id}/download?token=…`, valid for a day). Who may see what is decided by
//! [`crate::exports`]; another user's export is 404 here as everywhere.

use app::dto::ops::{ExportRequest, ExportView};
use app::ports::OpsService as _;
use axum::{
    extract::{Path, Query, State},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::Deserialize;

use super::actor::Actor;
use super::problem::{ApiJson, Problem};
use crate::http::request_meta::Meta;
use crate::state::AppState;

/// `POST /api/v1/exports`: 202 with `Location: /api/v1/exports/{id}`.
pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    Meta(meta): Meta,
    ApiJson(body): ApiJson<ExportRequest>,
) -> Result<Response, Problem> {
    let who = actor.principal(&state).await?;
    let export = state.ops.start_export(&who, &meta, body).await?;
    let location = format!("/api/v1/exports/{}", export.id);
    let mut response = (StatusCode::ACCEPTED, Json(export)).into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// `GET /api/v1/exports/{id}`.
pub async fn show(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> Result<Json<ExportView>, Problem> {
    let who = actor.principal(&state).await?;
    Ok(Json(state.ops.export(&who, id).await?))
}

#[derive(Debug, Deserialize)]
pub struct DownloadQuery {
    #[serde(default)]
    token: String,
}

/// `GET /api/v1/exports/{id}/download?token=…`: the CSV, for a caller who may see the export
/// and holds the link; 410 once the link expired.
pub async fn download(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
    Query(query): Query<DownloadQuery>,
) -> Result<Response, Problem> {
    let who = actor.principal(&state).await?;
    let file = state.ops.exports.download(&who, id, &query.token).await?;
    let disposition = format!("attachment; filename=\"{}\"", file.filename);
    let mut response = file.csv.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}
