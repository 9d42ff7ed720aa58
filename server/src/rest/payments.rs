//! Providers' callbacks under `/api/v1/payments`: Alipay's, WeChat Pay's and UnionPay's
//! notifications. They carry no session and no bearer token (the CSRF check lets cookie-less
//! requests through); what authenticates them is the provider's signature, checked by
//! [`crate::orders::Orders::alipay_notify`], [`crate::orders::Orders::wechat_notify`] and
//! [`crate::orders::Orders::unionpay_notify`].

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

/// Notifications are a few hundred bytes to a few KB (Alipay's and WeChat's alike); anything
/// bigger is not one.
const NOTIFY_BODY_LIMIT: usize = 16 * 1024;

/// WeChat Pay's answer to a notification it must deliver again: a 4xx/5xx with this body.
fn wechat_fail(status: StatusCode, message: &str) -> Response {
    let mut response = (
        status,
        axum::Json(serde_json::json!({"code": "FAIL", "message": message})),
    )
        .into_response();
    // WeChat's dialect, not a problem document: kept as it is on the way out.
    response
        .extensions_mut()
        .insert(super::conneg::ProviderDialect);
    response
}

/// 204 and no body once the notification is committed (a repeat too); a refusal is a 400
/// `{"code":"FAIL",…}`, which WeChat retries (the refusal is kept, by hash and reason), as is
/// our own failure (500/503). A server without WeChat Pay answers 404 and keeps nothing.
pub async fn wechat_notify(
    State(orders): State<Orders>,
    headers: axum::http::HeaderMap,
    body: Body,
) -> Response {
    if !orders.takes_wechat() {
        return Problem(AppError::NotFound("payment provider".into())).into_response();
    }
    let Ok(body) = axum::body::to_bytes(body, NOTIFY_BODY_LIMIT).await else {
        return wechat_fail(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("a notification is at most {NOTIFY_BODY_LIMIT} bytes"),
        );
    };
    let Ok(body) = std::str::from_utf8(&body) else {
        return wechat_fail(StatusCode::BAD_REQUEST, "the notification is not UTF-8");
    };
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let signed = crate::orders::wechat::NotifyHeaders {
        timestamp: header("wechatpay-timestamp"),
        nonce: header("wechatpay-nonce"),
        signature: header("wechatpay-signature"),
        serial: header("wechatpay-serial"),
    };
    match orders.wechat_notify(&signed, body).await {
        Ok(Answer::Success) => StatusCode::NO_CONTENT.into_response(),
        Ok(Answer::Failure) => wechat_fail(StatusCode::BAD_REQUEST, "the notification was refused"),
        Err(error @ AppError::Unavailable) => {
            wechat_fail(StatusCode::SERVICE_UNAVAILABLE, &error.to_string())
        }
        Err(error) => wechat_fail(StatusCode::INTERNAL_SERVER_ERROR, &error.to_string()),
    }
}

/// The bare text `success` once the notification is committed; a refusal is a 400 problem,
/// which Alipay retries (and the refusal is kept, by hash and reason). A server without Alipay
/// answers 404 and keeps nothing; a body over 16 KiB is a 413 read no further.
pub async fn alipay_notify(State(orders): State<Orders>, body: Body) -> Response {
    if !orders.takes_alipay() {
        return Problem(AppError::NotFound("payment provider".into())).into_response();
    }
    match notify_text(body).await {
        Ok(body) => acknowledge(orders.alipay_notify(&body).await, "success"),
        Err(refused) => refused,
    }
}

/// The bare text `ok` with HTTP 200 once the back notification is committed (a repeat too);
/// a refusal is a 400 problem, which UnionPay delivers again (the refusal is kept, by hash
/// and reason). A server without UnionPay answers 404 and keeps nothing.
pub async fn unionpay_notify(State(orders): State<Orders>, body: Body) -> Response {
    if !orders.takes_unionpay() {
        return Problem(AppError::NotFound("payment provider".into())).into_response();
    }
    match notify_text(body).await {
        Ok(body) => acknowledge(orders.unionpay_notify(&body).await, "ok"),
        Err(refused) => refused,
    }
}

/// A form-encoded notification's text: at most [`NOTIFY_BODY_LIMIT`] bytes (413 beyond, read
/// no further) and UTF-8 (400 otherwise).
async fn notify_text(body: Body) -> Result<String, Response> {
    let Ok(bytes) = axum::body::to_bytes(body, NOTIFY_BODY_LIMIT).await else {
        return Err(problem_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
            "Payload Too Large",
            &format!("a notification is at most {NOTIFY_BODY_LIMIT} bytes"),
            None,
        ));
    };
    String::from_utf8(bytes.to_vec()).map_err(|_| {
        Problem(AppError::BadRequest("the notification is not UTF-8".into())).into_response()
    })
}

/// What the provider is told: its own word for "received" as plain text, or a problem it
/// answers by delivering again.
fn acknowledge(outcome: Result<Answer, AppError>, received: &'static str) -> Response {
    match outcome {
        Ok(Answer::Success) => {
            let mut response = (StatusCode::OK, received).into_response();
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

    let fail = json!({"type": "object", "required": ["code", "message"],
        "properties": {"code": {"const": "FAIL"}, "message": {"type": "string"}}});
    let fail_response = |description: &str| json!({"description": description, "content": {"application/json": {"schema": fail}}});
    api.route(
        Method::POST,
        "/api/v1/payments/wechat/notify",
        wechat_notify,
        Operation::new("wechat_notify", "payments", "WeChat Pay's payment notification")
            .auth(Auth::Public)
            .describe(
                "JSON signed by WeChat Pay (`Wechatpay-Timestamp`, `-Nonce`, `-Signature`, \
                 `-Serial`; at most 5 minutes off), its `resource` encrypted with the APIv3 \
                 key (AEAD_AES_256_GCM); checked against our mchid and appid, the payment's \
                 `amount.total` in fen and `trade_state` SUCCESS, stored once and settled \
                 under the order's row lock. A repeat answers 204 again and changes nothing.",
            )
            .response(204, json!({"description": "Committed (or committed before)."}))
            .response(
                400,
                fail_response("Refused (signature, age, another merchant or app, amount, unknown order): WeChat Pay retries."),
            )
            // WeChat Pay is not configured on this server: nothing is kept.
            .response(404, problem_ref(404))
            .response(413, fail_response("A body over 16 KiB is no notification."))
            .response(500, fail_response("Our failure: WeChat Pay retries."))
            .response(503, fail_response("The database is briefly away: WeChat Pay retries.")),
    );

    api.route(
        Method::POST,
        "/api/v1/payments/unionpay/notify",
        unionpay_notify,
        Operation::new(
            "unionpay_notify",
            "payments",
            "UnionPay's back notification",
        )
        .auth(Auth::Public)
        .describe(
            "A form (`application/x-www-form-urlencoded`, gateway API 5.1.0, \
                 `signMethod=01`) signed with the certificate it carries in `signPubKeyCert`, \
                 which must chain to UnionPay's middle and root certificates and bear \
                 UnionPay's CN; checked against our `merId`, the payment's `txnAmt` in fen \
                 and `respCode` 00/A6, stored once (by `queryId`) and settled under the \
                 order's row lock. A repeat answers `ok` again and changes nothing.",
        )
        .response(
            200,
            json!({"description": "Committed (or committed before).", "content": {"text/plain": {
                    "schema": {"type": "string", "const": "ok"}}}}),
        )
        .response(400, problem_ref(400))
        // UnionPay is not configured on this server: nothing is kept.
        .response(404, problem_ref(404))
        .response(413, problem_ref(413)),
    );
}
