//! `/api/v1` for buying courses: a course's price policies, checkout and one's orders, paying
//! an order, the demo gateway's confirmation, and one's enrolments. Thin adapters over
//! [`crate::orders::Orders`], the service the checkout pages use too; another user's order or
//! payment is 404 here as everywhere.

use app::dto::{
    CheckoutRequest, EnrollmentView, OrderView, PaymentStart, PricePolicyView, RefundCreate,
    RefundView,
};
use app::error::AppError;
use app::ports::OrderService;
use axum::{
    extract::{Path, State},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::{Deserialize, Serialize};

use super::actor::Actor;
use super::problem::{ApiJson, Problem};
use crate::http::request_meta::Meta;
use crate::orders::Orders;
use crate::state::AppState;

/// `{count, results}`: the caller's newest orders (at most 100).
#[derive(Serialize)]
pub struct OrderList {
    count: usize,
    results: Vec<OrderView>,
}

#[derive(Serialize)]
pub struct EnrollmentList {
    count: usize,
    results: Vec<EnrollmentView>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayRequest {
    provider: String,
}

fn course_id(raw: &str) -> Result<i64, Problem> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| Problem(AppError::NotFound("course".into())))
}

fn with_location(mut response: Response, location: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

pub async fn policies(
    State(orders): State<Orders>,
    Path(id): Path<String>,
) -> Result<Json<Vec<PricePolicyView>>, Problem> {
    Ok(Json(orders.price_policies(course_id(&id)?).await?))
}

pub async fn create(
    State(orders): State<Orders>,
    actor: Actor,
    Meta(meta): Meta,
    ApiJson(body): ApiJson<CheckoutRequest>,
) -> Result<Response, Problem> {
    let order = orders.checkout(actor.user_id, &meta, body).await?;
    let location = format!("/api/v1/orders/{}", order.order_no);
    Ok(with_location(
        (StatusCode::CREATED, Json(order)).into_response(),
        &location,
    ))
}

pub async fn list(State(orders): State<Orders>, actor: Actor) -> Result<Json<OrderList>, Problem> {
    let results = orders.orders(actor.user_id).await?;
    Ok(Json(OrderList {
        count: results.len(),
        results,
    }))
}

pub async fn show(
    State(orders): State<Orders>,
    actor: Actor,
    Path(order_no): Path<String>,
) -> Result<Json<OrderView>, Problem> {
    Ok(Json(orders.order(actor.user_id, &order_no).await?))
}

pub async fn cancel(
    State(orders): State<Orders>,
    actor: Actor,
    Meta(meta): Meta,
    Path(order_no): Path<String>,
) -> Result<Json<OrderView>, Problem> {
    Ok(Json(orders.cancel(actor.user_id, &meta, &order_no).await?))
}

pub async fn pay(
    State(orders): State<Orders>,
    actor: Actor,
    Meta(meta): Meta,
    Path(order_no): Path<String>,
    ApiJson(body): ApiJson<PayRequest>,
) -> Result<Response, Problem> {
    let start: PaymentStart = orders
        .pay(actor.user_id, &meta, &order_no, &body.provider)
        .await?;
    Ok((StatusCode::CREATED, Json(start)).into_response())
}

/// `POST /api/v1/payments/demo/{out_trade_no}/confirm`: the demo gateway's buyer pays.
pub async fn confirm_demo(
    State(orders): State<Orders>,
    actor: Actor,
    Path(out_trade_no): Path<String>,
) -> Result<Json<OrderView>, Problem> {
    Ok(Json(
        orders.confirm_demo(actor.user_id, &out_trade_no).await?,
    ))
}

/// `POST /api/v1/orders/{order_no}/refunds` (staff, `order.refund`): 201 with the refund.
pub async fn refund(
    State(state): State<AppState>,
    actor: Actor,
    Meta(meta): Meta,
    Path(order_no): Path<String>,
    ApiJson(body): ApiJson<RefundCreate>,
) -> Result<Response, Problem> {
    let who = actor.principal(&state).await?;
    let refund = state.orders.refund(&who, &meta, &order_no, body).await?;
    let location = format!("/api/v1/orders/{order_no}/refunds");
    Ok(with_location(
        (StatusCode::CREATED, Json(refund)).into_response(),
        &location,
    ))
}

#[derive(Serialize)]
pub struct RefundList {
    count: usize,
    results: Vec<RefundView>,
}

/// `GET /api/v1/orders/{order_no}/refunds` (staff, `order.refund` or `order.view`).
pub async fn refunds(
    State(state): State<AppState>,
    actor: Actor,
    Path(order_no): Path<String>,
) -> Result<Json<RefundList>, Problem> {
    let who = actor.principal(&state).await?;
    let results = state.orders.refunds(&who, &order_no).await?;
    Ok(Json(RefundList {
        count: results.len(),
        results,
    }))
}

pub async fn enrollments(
    State(orders): State<Orders>,
    actor: Actor,
) -> Result<Json<EnrollmentList>, Problem> {
    let results = orders.enrollments(actor.user_id).await?;
    Ok(Json(EnrollmentList {
        count: results.len(),
        results,
    }))
}

/// The routes with their OpenAPI operations.
pub fn register(api: &mut super::registry::ApiBuilder) {
    use super::openapi::schema::{created, ok, problem_ref};
    use super::registry::{Auth, Operation};
    use axum::http::Method;
    use serde_json::json;

    let r = |name: &str| json!({"$ref": format!("#/components/schemas/{name}")});
    let cents = json!({"type": "integer", "format": "int64", "minimum": 0,
        "description": "Money in integer cents (分)."});
    let time = json!({"type": "string", "format": "date-time"});
    let maybe_time = json!({"type": ["string", "null"], "format": "date-time"});
    let months = json!({"type": "integer", "enum": [0, 1, 3, 6, 12],
        "description": "Validity in months; 0 is permanent."});
    api.schema(
        "PricePolicy",
        json!({"type": "object", "additionalProperties": false,
            "required": ["id", "course_id", "valid_months", "price_cents"],
            "properties": {"id": {"type": "integer"}, "course_id": {"type": "integer"},
                "valid_months": months, "price_cents": cents}}),
    );
    api.schema(
        "CheckoutRequest",
        json!({"type": "object", "additionalProperties": false, "required": ["items"],
            "description": "Courses and policies only: the server computes every amount.",
            "properties": {
                "items": {"type": "array", "minItems": 1, "maxItems": crate::orders::checkout::MAX_ITEMS,
                    "items": {"type": "object", "additionalProperties": false, "required": ["course_id"],
                        "properties": {"course_id": {"type": "integer", "minimum": 1},
                            "price_policy_id": {"type": ["integer", "null"], "minimum": 1,
                                "description": "Default: the course's permanent policy, else its longest."}}}},
                "coupon_code": {"type": ["string", "null"]}}}),
    );
    api.schema(
        "Order",
        json!({"type": "object", "additionalProperties": false,
            "required": ["order_no", "status", "total_cents", "refunded_cents", "discount_cents", "currency", "items",
                "expires_at", "paid_at", "closed_at", "created_at"],
            "properties": {
                "order_no": {"type": "string", "pattern": "^[A-Z0-9]{16,40}$"},
                "status": {"type": "string", "enum": ["pending", "paid", "closed", "refunded"]},
                "total_cents": cents, "refunded_cents": cents, "discount_cents": cents,
                "currency": {"type": "string", "const": "CNY"},
                "items": {"type": "array", "items": {"type": "object", "additionalProperties": false,
                    "required": ["course_id", "title", "price_policy_id", "valid_months", "price_cents"],
                    "properties": {"course_id": {"type": ["integer", "null"]}, "title": {"type": "string"},
                        "price_policy_id": {"type": ["integer", "null"]}, "valid_months": months,
                        "price_cents": cents}}},
                "expires_at": time, "paid_at": maybe_time, "closed_at": maybe_time, "created_at": time}}),
    );
    api.schema(
        "OrderList",
        json!({"type": "object", "additionalProperties": false, "required": ["count", "results"],
            "properties": {"count": {"type": "integer", "minimum": 0},
                "results": {"type": "array", "maxItems": 100, "items": r("Order")}}}),
    );
    api.schema(
        "PaymentRequest",
        json!({"type": "object", "additionalProperties": false, "required": ["provider"],
            "properties": {"provider": {"type": "string", "enum": ["alipay", "wechat", "unionpay", "demo"],
                "description": "One of the providers this site offers (422 otherwise)."}}}),
    );
    api.schema(
        "PaymentStart",
        json!({"type": "object", "additionalProperties": false,
            "required": ["provider", "out_trade_no", "amount_cents", "pay_url", "code_url"],
            "properties": {"provider": {"type": "string"}, "out_trade_no": {"type": "string"},
                "amount_cents": cents,
                "pay_url": {"type": ["string", "null"], "description": "Where to send the buyer."},
                "code_url": {"type": ["string", "null"], "description": "Text to show as a QR code."}}}),
    );
    api.schema(
        "EnrollmentList",
        json!({"type": "object", "additionalProperties": false, "required": ["count", "results"],
            "properties": {"count": {"type": "integer", "minimum": 0},
                "results": {"type": "array", "items": {"type": "object", "additionalProperties": false,
                    "required": ["course_id", "course_slug", "course_title", "expires_at", "created_at",
                        "progress"],
                    "properties": {"course_id": {"type": "integer"}, "course_slug": {"type": "string"},
                        "course_title": {"type": "string"},
                        "expires_at": {"type": ["string", "null"], "format": "date-time",
                            "description": "`null`: for good."},
                        "created_at": time,
                        "progress": {"type": "object", "additionalProperties": false,
                            "description": "How far the caller is, and where to continue.",
                            "required": ["course_id", "lessons", "done", "percent",
                                "resume_lesson_id", "last_activity"],
                            "properties": {"course_id": {"type": "integer"},
                                "lessons": {"type": "integer", "minimum": 0},
                                "done": {"type": "integer", "minimum": 0},
                                "percent": {"type": "integer", "minimum": 0, "maximum": 100},
                                "resume_lesson_id": {"type": ["integer", "null"]},
                                "last_activity": {"type": ["string", "null"], "format": "date-time"}}}}}}}}),
    );
    api.route(
        Method::GET,
        "/api/v1/courses/{id}/price-policies",
        policies,
        Operation::new(
            "list_price_policies",
            "orders",
            "A public course's price policies",
        )
        .auth(Auth::Public)
        .describe("Shortest validity first, permanent last. 404 for a course not public.")
        .response(
            200,
            ok(json!({"type": "array", "items": r("PricePolicy")}), false),
        ),
    );
    api.route(
        Method::POST,
        "/api/v1/orders",
        create,
        Operation::new("create_order", "orders", "Check out: a pending order")
            .auth(Auth::Required)
            .describe(
                "Prices come from the courses' policies at this moment. A course the caller \
                 owns is 409; one not public is 404. A free order is paid (and enrolled) at \
                 once. A pending order closes at `expires_at` (ORDER_TTL_MINUTES).",
            )
            .body(r("CheckoutRequest"))
            .response(201, created(r("Order")))
            .response(404, problem_ref(404))
            .response(409, problem_ref(409)),
    );
    api.route(
        Method::GET,
        "/api/v1/orders",
        list,
        Operation::new("list_orders", "orders", "The caller's orders, newest first")
            .auth(Auth::Required)
            .response(200, ok(r("OrderList"), false)),
    );
    api.route(
        Method::GET,
        "/api/v1/orders/{order_no}",
        show,
        Operation::new("get_order", "orders", "One of the caller's orders")
            .auth(Auth::Required)
            .describe("Another user's order is 404.")
            .response(200, ok(r("Order"), false)),
    );
    api.route(
        Method::POST,
        "/api/v1/orders/{order_no}/cancel",
        cancel,
        Operation::new("cancel_order", "orders", "Close one's pending order")
            .auth(Auth::Required)
            .describe("409 once it is paid or closed.")
            .response(200, ok(r("Order"), false))
            .response(409, problem_ref(409)),
    );
    api.route(
        Method::POST,
        "/api/v1/orders/{order_no}/payments",
        pay,
        Operation::new("create_payment", "orders", "Pay a pending order")
            .auth(Auth::Required)
            .describe(
                "Starts (or resumes: one payment per order and provider) a payment and says \
                 where the buyer goes next. The order is paid only by the provider's verified \
                 notification, never by the buyer's return.",
            )
            .body(r("PaymentRequest"))
            .response(201, created(r("PaymentStart")))
            .response(409, problem_ref(409)),
    );
    api.schema(
        "RefundCreate",
        json!({"type": "object", "additionalProperties": false, "required": ["amount_cents"],
            "properties": {"amount_cents": {"type": "integer", "format": "int64", "minimum": 1,
                               "description": "Money in integer cents (分), at most what is left."},
                           "reason": {"type": ["string", "null"], "maxLength": 200}}}),
    );
    api.schema(
        "Refund",
        json!({"type": "object", "additionalProperties": false,
            "required": ["out_request_no", "order_no", "provider", "amount_cents", "status",
                         "reason", "error", "created_at", "updated_at"],
            "properties": {"out_request_no": {"type": "string"}, "order_no": {"type": "string"},
                "provider": {"type": "string"}, "amount_cents": cents,
                "status": {"type": "string", "enum": ["requested", "processing", "succeeded", "failed"]},
                "reason": {"type": "string"}, "error": {"type": ["string", "null"]},
                "created_at": time, "updated_at": time}}),
    );
    api.schema(
        "RefundList",
        json!({"type": "object", "additionalProperties": false, "required": ["count", "results"],
            "properties": {"count": {"type": "integer"},
                           "results": {"type": "array", "items": r("Refund")}}}),
    );
    api.route(
        Method::POST,
        "/api/v1/orders/{order_no}/refunds",
        refund,
        Operation::new(
            "create_refund",
            "orders",
            "Refund part or all of a paid order",
        )
        .auth(Auth::Required)
        .describe(
            "Staff holding `order.refund`, for any user's order. The amount is checked \
                 under the order's lock against what is left (paid, less refunds done and in \
                 flight), so parallel refunds never return more than was paid. 201 with the \
                 refund: `succeeded`, or `processing` where the provider settles later. The \
                 last cent makes the order `refunded` and ends the access it bought. 409 for \
                 an order not paid or a refund the provider declined; 503 when the provider \
                 did not answer (the refund stays `requested`; the same request again, or \
                 the reconcile run, asks again under the same number).",
        )
        .body(r("RefundCreate"))
        .response(201, created(r("Refund")))
        .response(403, problem_ref(403))
        .response(404, problem_ref(404))
        .response(409, problem_ref(409)),
    );
    api.route(
        Method::GET,
        "/api/v1/orders/{order_no}/refunds",
        refunds,
        Operation::new("list_refunds", "orders", "An order's refunds")
            .auth(Auth::Required)
            .describe("Staff holding `order.refund` or `order.view`; oldest first.")
            .response(200, ok(r("RefundList"), false))
            .response(403, problem_ref(403)),
    );
    api.route(
        Method::POST,
        "/api/v1/payments/demo/{out_trade_no}/confirm",
        confirm_demo,
        Operation::new(
            "confirm_demo_payment",
            "orders",
            "The demo gateway: pay (no money moves)",
        )
        .auth(Auth::Required)
        .describe(
            "Only with PAYMENTS_DEMO (embedded mode, never on https), for the payment's \
                 owner; settled like a provider's notification. 404 otherwise.",
        )
        .response(200, ok(r("Order"), false))
        .response(409, problem_ref(409)),
    );
    api.route(
        Method::GET,
        "/api/v1/enrollments",
        enrollments,
        Operation::new(
            "list_enrollments",
            "orders",
            "The courses the caller owns now",
        )
        .auth(Auth::Required)
        .response(200, ok(r("EnrollmentList"), false)),
    );
}
