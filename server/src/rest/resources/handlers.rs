//! The five generic handlers (list, create, retrieve, replace/patch, destroy) every model
//! resource shares. Each parses the request, asks the model engine, and shapes the answer;
//! validation, permissions, soft delete and the audit log are the engine's.

use app::admin::models::COURSE;
use app::domain::Principal;
use app::error::{AppError, FieldError};
use axum::{
    body::Body,
    extract::RawPathParams,
    http::{header, HeaderMap, HeaderValue, StatusCode, Uri},
    response::{IntoResponse, Response},
};
use serde_json::Value;

use super::{shape, Resource};
use crate::http::request_meta::Meta;
use crate::model_engine::{Filter, FilterOp, Record};
use crate::rest::actor::{Actor, MaybeActor};
use crate::rest::cache::Shareable;
use crate::rest::problem::{bad_params, precondition_failed, Problem};
use crate::rest::{conneg, etag, links, params};
use crate::state::AppState;

/// The ids in the path: the parent's (nested collections) and the item's.
struct Ids {
    parent: Option<i64>,
    id: Option<i64>,
}

fn ids(r: &Resource, raw: &RawPathParams) -> Result<Ids, Vec<FieldError>> {
    let mut out = Ids {
        parent: None,
        id: None,
    };
    let mut errors = Vec::new();
    for (name, value) in raw {
        match value.parse::<i64>().ok().filter(|n| *n >= 1) {
            Some(n) if name == "id" => out.id = Some(n),
            Some(n) if r.parent.is_some_and(|(_, fk)| fk == name) => out.parent = Some(n),
            Some(_) => {}
            None => errors.push(FieldError::new(name, "must be a positive whole number")),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

pub(super) fn json_response(status: StatusCode, body: Vec<u8>) -> Response {
    let mut response = (status, Body::from(body)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// A record with its ETag, or 304 when the client's copy is current.
fn item_response(status: StatusCode, record: &Value, headers: Option<&HeaderMap>) -> Response {
    item_response_bytes(
        status,
        serde_json::to_vec(record).unwrap_or_default(),
        headers,
    )
}

/// [`item_response`] of a record already serialized.
pub(super) fn item_response_bytes(
    status: StatusCode,
    body: Vec<u8>,
    headers: Option<&HeaderMap>,
) -> Response {
    let tag = etag::of(&body);
    let mut response = if headers.is_some_and(|h| etag::not_modified(h, &tag)) {
        conneg::empty(StatusCode::NOT_MODIFIED)
    } else {
        json_response(status, body)
    };
    if let Ok(value) = HeaderValue::from_str(&tag) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

impl Resource {
    /// The parent must be visible to the caller (404/410 otherwise).
    async fn check_parent(
        &self,
        state: &AppState,
        who: Option<&Principal>,
        parent_id: Option<i64>,
    ) -> Result<(), AppError> {
        if let (Some((parent, _)), Some(id)) = (self.parent, parent_id) {
            state.models.get(who, parent.name, id).await?;
        }
        Ok(())
    }

    /// The row, checked to belong to the parent named in the path.
    async fn current(
        &self,
        state: &AppState,
        who: Option<&Principal>,
        ids: &Ids,
    ) -> Result<Record, AppError> {
        self.check_parent(state, who, ids.parent).await?;
        let id = ids
            .id
            .ok_or(AppError::NotFound(crate::admin::labels::noun(self.spec)))?;
        let record = state.models.get(who, self.spec.name, id).await?;
        if let (Some((_, fk)), Some(parent)) = (self.parent, ids.parent) {
            if record.get(fk).and_then(Value::as_i64) != Some(parent) {
                return Err(AppError::NotFound(crate::admin::labels::noun(self.spec)));
            }
        }
        Ok(record)
    }

    /// Nested writes take the parent from the path; a different one in the body is an error.
    fn with_parent(&self, mut input: Record, parent: Option<i64>) -> Result<Record, AppError> {
        if let (Some((_, fk)), Some(parent)) = (self.parent, parent) {
            match input.get(fk) {
                None => {
                    input.insert(fk.to_string(), Value::from(parent));
                }
                Some(v) if v.as_i64() == Some(parent) => {}
                Some(_) => {
                    return Err(AppError::Validation(vec![FieldError::new(
                        fk,
                        "is given by the URL; leave it out or repeat it",
                    )]))
                }
            }
        }
        Ok(input)
    }

    fn item_location(&self, base: &str, parent: Option<i64>, id: Option<i64>) -> String {
        let mut path = self.collection_path();
        if let (Some((_, fk)), Some(parent)) = (self.parent, parent) {
            path = path.replace(&format!("{{{fk}}}"), &parent.to_string());
        }
        format!("{base}{path}/{}", id.unwrap_or_default())
    }
}

/// Public course reads go to the catalogue ([`super::courses`]).
fn from_catalogue(r: &Resource, who: Option<&Principal>) -> bool {
    r.parent.is_none() && r.spec.name == COURSE.name && super::courses::is_public_reader(who)
}

/// A page of the collection. Anonymous answers are marked [`Shareable`]: the same for every
/// anonymous caller, so the API cache may keep them.
pub async fn list(
    r: &'static Resource,
    state: AppState,
    actor: MaybeActor,
    raw: RawPathParams,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let ids = match ids(r, &raw) {
        Ok(ids) => ids,
        Err(errors) => return Ok(bad_params(&errors)),
    };
    let who = actor.principal(&state).await?;
    if from_catalogue(r, who.as_ref()) {
        return super::courses::list(&state, who.is_none(), &uri, &headers).await;
    }
    let base = links::base(&state.settings, &headers);
    r.check_parent(&state, who.as_ref(), ids.parent).await?;
    let pairs = params::pairs(uri.query());
    let fixed: Vec<&str> = r.parent.map(|(_, fk)| fk).into_iter().collect();
    let mut parsed = match params::parse(r.spec, &pairs, &fixed) {
        Ok(p) => p,
        Err(errors) => return Ok(bad_params(&errors)),
    };
    if let (Some((_, fk)), Some(parent)) = (r.parent, ids.parent) {
        parsed.query.filters.push(Filter {
            field: fk.to_string(),
            op: FilterOp::Eq,
            value: parent.to_string(),
        });
    }
    let page = match state
        .models
        .list(who.as_ref(), r.spec.name, &parsed.query)
        .await
    {
        Ok(page) => page,
        // Filter values and sort keys come from the query string: a 400, not a 422.
        Err(AppError::Validation(errors)) => return Ok(bad_params(&errors)),
        Err(other) => return Err(other.into()),
    };
    let results = page
        .rows
        .into_iter()
        .map(|row| shape(r.spec, row, &base))
        .collect();
    let body = links::envelope(
        &base,
        uri.path(),
        &pairs,
        parsed.paging,
        page.count,
        results,
    );
    let mut response = json_response(
        StatusCode::OK,
        serde_json::to_vec(&body).unwrap_or_default(),
    );
    if who.is_none() {
        response.extensions_mut().insert(Shareable);
    }
    Ok(response)
}

pub async fn retrieve(
    r: &'static Resource,
    state: AppState,
    actor: MaybeActor,
    raw: RawPathParams,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let ids = match ids(r, &raw) {
        Ok(ids) => ids,
        Err(errors) => return Ok(bad_params(&errors)),
    };
    let who = actor.principal(&state).await?;
    if from_catalogue(r, who.as_ref()) {
        let id = ids
            .id
            .ok_or(AppError::NotFound(crate::admin::labels::noun(r.spec)))?;
        return super::courses::retrieve(&state, id, &headers).await;
    }
    let record = r.current(&state, who.as_ref(), &ids).await?;
    let base = links::base(&state.settings, &headers);
    Ok(item_response(
        StatusCode::OK,
        &shape(r.spec, record, &base),
        Some(&headers),
    ))
}

pub async fn create(
    r: &'static Resource,
    state: AppState,
    actor: Actor,
    raw: RawPathParams,
    Meta(meta): Meta,
    headers: HeaderMap,
    input: Record,
) -> Result<Response, Problem> {
    let ids = match ids(r, &raw) {
        Ok(ids) => ids,
        Err(errors) => return Ok(bad_params(&errors)),
    };
    let who = actor.principal(&state).await?;
    r.check_parent(&state, Some(&who), ids.parent).await?;
    let input = r.with_parent(input, ids.parent)?;
    let record = state
        .models
        .create(&who, r.spec.name, input, meta.ip().as_deref())
        .await?;
    let id = record.get("id").and_then(Value::as_i64);
    let base = links::base(&state.settings, &headers);
    let location = r.item_location(&base, ids.parent, id);
    let mut response = item_response(StatusCode::CREATED, &shape(r.spec, record, &base), None);
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

#[expect(clippy::too_many_arguments, reason = "one per extracted request part")]
pub async fn update(
    r: &'static Resource,
    partial: bool,
    state: AppState,
    actor: Actor,
    raw: RawPathParams,
    Meta(meta): Meta,
    headers: HeaderMap,
    input: Record,
) -> Result<Response, Problem> {
    let ids = match ids(r, &raw) {
        Ok(ids) => ids,
        Err(errors) => return Ok(bad_params(&errors)),
    };
    let who = actor.principal(&state).await?;
    // Needs the change permission before anything about the row is revealed.
    who.require(&r.spec.permission("change"))?;
    let current = r.current(&state, Some(&who), &ids).await?;
    let base = links::base(&state.settings, &headers);
    if !etag::write_allowed(
        &headers,
        &etag::of(&serde_json::to_vec(&shape(r.spec, current, &base)).unwrap_or_default()),
    ) {
        return Ok(precondition_failed());
    }
    let input = if partial {
        input
    } else {
        r.with_parent(input, ids.parent)?
    };
    let id = ids.id.unwrap_or_default();
    let record = state
        .models
        .update(&who, r.spec.name, id, input, partial, meta.ip().as_deref())
        .await?;
    Ok(item_response(
        StatusCode::OK,
        &shape(r.spec, record, &base),
        None,
    ))
}

pub async fn destroy(
    r: &'static Resource,
    state: AppState,
    actor: Actor,
    raw: RawPathParams,
    Meta(meta): Meta,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let ids = match ids(r, &raw) {
        Ok(ids) => ids,
        Err(errors) => return Ok(bad_params(&errors)),
    };
    let who = actor.principal(&state).await?;
    who.require(&r.spec.permission("delete"))?;
    let current = r.current(&state, Some(&who), &ids).await?;
    let base = links::base(&state.settings, &headers);
    let tag = etag::of(&serde_json::to_vec(&shape(r.spec, current, &base)).unwrap_or_default());
    if !etag::write_allowed(&headers, &tag) {
        return Ok(precondition_failed());
    }
    state
        .models
        .delete(
            &who,
            r.spec.name,
            ids.id.unwrap_or_default(),
            meta.ip().as_deref(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
