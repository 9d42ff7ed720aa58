//! `application/problem+json` (RFC 9457) for every API error, and a JSON body extractor whose
//! rejections are problems too (400 unreadable, 415 not JSON, 422 wrong shape).

use app::error::AppError;
use axum::{
    extract::{rejection::JsonRejection, FromRequest, Request},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::de::DeserializeOwned;
use serde_json::json;

/// An API error; `IntoResponse` renders the problem document.
#[derive(Debug)]
pub struct Problem(pub AppError);

impl From<AppError> for Problem {
    fn from(error: AppError) -> Self {
        Problem(error)
    }
}

pub fn problem_response(
    status: StatusCode,
    code: &str,
    title: &str,
    detail: &str,
    errors: Option<serde_json::Value>,
) -> Response {
    let mut body = json!({
        "type": format!("https://xuecheng.dev/problems/{code}"),
        "title": title,
        "status": status.as_u16(),
        "detail": detail,
    });
    if let Some(errors) = errors {
        body["errors"] = errors;
    }
    let mut response = (status, Json(body)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    response
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let error = self.0;
        let status =
            StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        // In the request's language (the locale layer chose it); the `type` URI and the
        // field names stay the same in every language, for programs to branch on.
        let locale = app::locale::current();
        let title = error.title(locale);
        let errors = match &error {
            AppError::Validation(fields) => Some(json!(fields
                .iter()
                .map(|f| json!({ "field": f.field, "message": f.message }))
                .collect::<Vec<_>>())),
            _ => None,
        };
        let detail = crate::admin::labels::with_model_noun(&error, locale)
            .as_ref()
            .unwrap_or(&error)
            .message(locale);
        let mut response = problem_response(status, error.code(), title, &detail, errors);
        match error {
            AppError::Unauthenticated => {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            AppError::RateLimited { retry_after_secs } => {
                if let Ok(value) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                    response.headers_mut().insert(header::RETRY_AFTER, value);
                }
            }
            _ => {}
        }
        response
    }
}

/// 400 for query parameters that cannot be used, every one listed in `errors`.
pub fn bad_params(errors: &[app::error::FieldError]) -> Response {
    let list = errors
        .iter()
        .map(|f| json!({ "field": f.field, "message": f.message }))
        .collect::<Vec<_>>();
    problem_response(
        StatusCode::BAD_REQUEST,
        "bad-request",
        "Bad Request",
        "some query parameters are not valid",
        Some(json!(list)),
    )
}

/// 412: the client's copy (its `If-Match`) is not the current one.
pub fn precondition_failed() -> Response {
    problem_response(
        StatusCode::PRECONDITION_FAILED,
        "precondition-failed",
        "Precondition Failed",
        "the resource changed since you read it (If-Match); fetch it again",
        None,
    )
}

/// `Json<T>` with problem+json rejections.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => {
                let (status, code) = match &rejection {
                    JsonRejection::MissingJsonContentType(_) => {
                        (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type")
                    }
                    JsonRejection::JsonDataError(_) => {
                        (StatusCode::UNPROCESSABLE_ENTITY, "validation")
                    }
                    JsonRejection::JsonSyntaxError(_) => (StatusCode::BAD_REQUEST, "bad-request"),
                    // A body over the limit (413) or one that could not be read.
                    other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                        (StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large")
                    }
                    _ => (StatusCode::BAD_REQUEST, "bad-request"),
                };
                let title = app::error::title_for_status(status.as_u16(), app::locale::current());
                let detail = rejection.body_text();
                // A 422 always lists its errors; serde names no field here, so the body does.
                let errors = (status == StatusCode::UNPROCESSABLE_ENTITY)
                    .then(|| json!([{ "field": "body", "message": detail }]));
                Err(problem_response(status, code, title, &detail, errors))
            }
        }
    }
}
