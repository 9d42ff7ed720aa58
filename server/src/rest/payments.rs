//! Providers' callbacks under `/api/v1/payments`: Alipay's async notification. It carries no
//! session and no bearer token (the CSRF check lets cookie-less requests through); what
//! authenticates it is the Alipay signature, checked by [`crate::orders::Orders::alipay_notify`].

use app::error::AppError;
use axum::{
    extract::State,
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};

use super::problem::Problem;
use crate::orders::notify::Answer;
use crate::orders::Orders;

/// The bare text `success` once the notification is committed; a refusal is a 400 problem,
/// which Alipay retries (and the refusal is stored with its reason).
pub async fn alipay_notify(State(orders): State<Orders>, body: String) -> Response {
    match orders.alipay_notify(&body).await {
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
            ),
    );
}
