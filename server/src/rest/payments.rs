//! Providers' callbacks under `/api/v1/payments`: Alipay's async notification. It carries no
//! session and no bearer token (the CSRF check lets cookie-less requests through); what
//! authenticates it is the Alipay signature, checked by [`crate::orders::Orders::alipay_notify`].

use app::error::AppError;
use axum::{
    body::Body,
    extract::State,
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};

use super::problem::{problem_response, Problem};
use crate::orders::notify::Answer;
use crate::orders::Orders;

/// Alipay's notifications are a few hundred bytes to a few KB; anything bigger is not one.
const NOTIFY_BODY_LIMIT: usize = 16 * 1024;

/// The bare text `success` once the notification is committed; a refusal is a 400 problem,
/// which Alipay retries (and the refusal is kept, by hash and reason). A server without Alipay
/// answers 404 and keeps nothing; a body over 16 KiB is a 413 read no further.
pub async fn alipay_notify(State(orders): State<Orders>, body: Body) -> Response {
    if !orders.takes_alipay() {
        return Problem(AppError::NotFound("payment provider".into())).into_response();
    }
    let body = match axum::body::to_bytes(body, NOTIFY_BODY_LIMIT).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return problem_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "Payload Too Large",
                &format!("a notification is at most {NOTIFY_BODY_LIMIT} bytes"),
                None,
            )
        }
    };
    let Ok(body) = std::str::from_utf8(&body) else {
        return Problem(AppError::BadRequest("the notification is not UTF-8".into()))
            .into_response();
    };
    match orders.alipay_notify(body).await {
        Ok(Answer::Success) => {
            let mut response = (StatusCode::OK, "success").into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            response
        }
        Ok(Answer::Failure) => {
            Problem(AppError::BadRequest("the notification was refused".into())).into_response()
        }
        Err(error) => Problem(error).into_response(),
    }
}

pub fn register(api: &mut super::registry::ApiBuilder) {
    use super::openapi::schema::problem_ref;
    use super::registry::{Auth, Operation};
    use axum::http::Method;
    use serde_json::json;

    api.route(
        Method::POST,
        "/api/v1/payments/alipay/notify",
        alipay_notify,
        Operation::new("alipay_notify", "payments", "Alipay's async notification")
            .auth(Auth::Public)
            .describe(
                "A form (`application/x-www-form-urlencoded`) signed with the Alipay key; \
                 checked against our app id, the payment's amount and a paying status, \
                 stored once and settled under the order's row lock. A repeat answers \
                 `success` again and changes nothing.",
            )
            .response(
                200,
                json!({"description": "Committed.", "content": {"text/plain": {
                    "schema": {"type": "string", "const": "success"}}}}),
            )
            // Alipay is not configured on this server: nothing is kept.
            .response(404, problem_ref(404))
            // A body over 16 KiB is no notification.
            .response(413, problem_ref(413)),
    );
}
