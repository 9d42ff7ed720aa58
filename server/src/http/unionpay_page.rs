//! UnionPay's pages on our side: `/pay/unionpay/{out_trade_no}`, where the buyer's browser
//! gets the signed front consumption form and posts it to UnionPay (the gateway takes a POST,
//! so no redirect can carry it), and `/pay/unionpay/return/{out_trade_no}`, UnionPay's
//! `frontUrl`, which sends the buyer on to the return page that confirms by query.
//!
//! The form page is plain HTML written here, not a Leptos page: its one script (the automatic
//! submit) carries this response's nonce under a policy allowing nothing else, and the visible
//! button submits the same form without JavaScript. Only the signed-in owner of the payment's
//! order gets it; anyone else gets the 404 a missing payment gets, and an anonymous visitor is
//! sent to sign in.

use app::error::AppError;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;

use crate::html::escape;
use crate::payments::gateway::is_mobile;
use crate::payments::unionpay::PayForm;
use crate::rest::actor::MaybeActor;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/pay/unionpay/{out_trade_no}", get(pay_page))
        .route(
            "/pay/unionpay/return/{out_trade_no}",
            get(returned).post(returned),
        )
}

fn html(status: StatusCode, body: String, policy: &str) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    // The signed form is for this buyer only: never kept by a cache.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) = HeaderValue::from_str(policy) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

const STRICT: &str = "default-src 'none'; base-uri 'none'; frame-ancestors 'none'";

fn message(status: StatusCode, text: &str) -> Response {
    let body = format!(
        "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <title>银联支付 UnionPay</title></head><body><p>{}</p>\
         <p><a href=\"/account/courses\">我的课程 My courses</a></p></body></html>",
        escape(text)
    );
    html(status, body, STRICT)
}

/// The page that posts `form` to UnionPay: at once with a nonce'd script, or by the button.
pub fn form_page(form: &PayForm, nonce: &str) -> String {
    let mut inputs = String::new();
    for (k, v) in &form.fields {
        inputs.push_str(&format!(
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
            escape(k),
            escape(v)
        ));
    }
    format!(
        "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>银联支付 UnionPay</title></head><body>\
         <form id=\"unionpay\" method=\"post\" action=\"{}\" accept-charset=\"UTF-8\">{inputs}\
         <p>正在前往银联支付… Taking you to UnionPay…</p>\
         <button type=\"submit\">继续前往银联支付 Continue to UnionPay</button></form>\
         <script nonce=\"{nonce}\">document.getElementById(\"unionpay\").submit();</script>\
         </body></html>",
        escape(&form.action)
    )
}

async fn pay_page(
    State(state): State<AppState>,
    MaybeActor(actor): MaybeActor,
    Path(out_trade_no): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(actor) = actor else {
        return Redirect::to("/login").into_response();
    };
    let ua = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    match state
        .orders
        .unionpay_form(actor.user_id, &out_trade_no, is_mobile(ua))
        .await
    {
        Ok(form) => {
            let nonce = uuid::Uuid::new_v4().simple().to_string();
            // The one script is ours (its nonce). No `form-action`: UnionPay's gateway
            // answers the post with redirects to its cashier, which that would block.
            let policy = format!(
                "default-src 'none'; script-src 'nonce-{nonce}'; base-uri 'none'; \
                 frame-ancestors 'none'"
            );
            html(StatusCode::OK, form_page(&form, &nonce), &policy)
        }
        Err(AppError::NotFound(_)) => {
            message(StatusCode::NOT_FOUND, "没有这笔支付 No such payment.")
        }
        Err(AppError::Conflict(why)) => message(StatusCode::CONFLICT, &why),
        Err(error) => crate::rest::problem::Problem(error).into_response(),
    }
}

/// UnionPay's `frontUrl` (the browser posts its front notification here). It proves nothing,
/// so it is not read: the buyer goes on to the return page, which asks UnionPay.
async fn returned(Path(out_trade_no): Path<String>) -> Response {
    let out: String = url::form_urlencoded::byte_serialize(out_trade_no.as_bytes()).collect();
    Redirect::to(&format!("/pay/alipay/return?out_trade_no={out}")).into_response()
}
