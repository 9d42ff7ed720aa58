//! Buying courses from the pages: what a course offers, checkout, paying, cancelling, the demo
//! gateway's confirmation, and "my courses". Thin calls into the orders service, which the
//! REST API (`/api/v1/orders`) shares; every call but the offer needs a signed-in user.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::dto::{EnrollmentView, OrderView, PaymentCode, PurchaseOptions};
use crate::error::AppError;

/// The course's policies and providers, and whether the caller owns it (`None`: anonymous).
#[server(prefix = "/fn", endpoint = "orders/options", input = Json)]
pub async fn course_offer(course_id: i64) -> Result<PurchaseOptions, AppError> {
    let services = crate::ports::services()?;
    let user = services
        .accounts
        .current_user(&crate::ports::session()?)
        .await?;
    services
        .orders
        .purchase_options(user.map(|u| u.id), course_id)
        .await
}

/// Checks out one course (the policy picked on its page) and goes to the order's page; a free
/// course is enrolled at once and goes to "my courses".
#[server(prefix = "/fn", endpoint = "orders/checkout")]
pub async fn start_checkout(
    course_id: i64,
    price_policy_id: Option<i64>,
    coupon_code: Option<String>,
) -> Result<OrderView, AppError> {
    use crate::dto::{CheckoutItem, CheckoutRequest};
    let services = crate::ports::services()?;
    let user = crate::ports::signed_in_user(&services).await?;
    let order = services
        .orders
        .checkout(
            user.id,
            &crate::ports::request_meta(),
            CheckoutRequest {
                items: vec![CheckoutItem {
                    course_id,
                    price_policy_id,
                }],
                coupon_code: coupon_code.filter(|c| !c.trim().is_empty()),
            },
        )
        .await?;
    if order.status == "paid" {
        leptos_axum::redirect("/account/courses");
    } else {
        leptos_axum::redirect(&format!("/checkout/{}", order.order_no));
    }
    Ok(order)
}

/// The providers this site offers (`demo` only where the demo gateway is on).
#[server(prefix = "/fn", endpoint = "orders/providers", input = Json)]
pub async fn payment_providers() -> Result<Vec<String>, AppError> {
    Ok(crate::ports::services()?.orders.providers())
}

#[server(prefix = "/fn", endpoint = "orders/one", input = Json)]
pub async fn get_order(order_no: String) -> Result<OrderView, AppError> {
    let services = crate::ports::services()?;
    let user = crate::ports::signed_in_user(&services).await?;
    services.orders.order(user.id, &order_no).await
}

/// Starts the payment with `provider` and sends the buyer to its page.
#[server(prefix = "/fn", endpoint = "orders/pay")]
pub async fn start_payment(order_no: String, provider: String) -> Result<(), AppError> {
    let services = crate::ports::services()?;
    let user = crate::ports::signed_in_user(&services).await?;
    let start = services
        .orders
        .pay(user.id, &crate::ports::request_meta(), &order_no, &provider)
        .await?;
    match (start.pay_url, start.code_url) {
        (Some(url), _) => leptos_axum::redirect(&url),
        // A QR code to scan (WeChat Pay Native): our own page shows it.
        (None, Some(_)) => leptos_axum::redirect(&format!("/pay/wechat/{}", start.out_trade_no)),
        (None, None) => leptos_axum::redirect(&format!("/checkout/{order_no}")),
    }
    Ok(())
}

#[server(prefix = "/fn", endpoint = "orders/cancel")]
pub async fn cancel_order(order_no: String) -> Result<OrderView, AppError> {
    let services = crate::ports::services()?;
    let user = crate::ports::signed_in_user(&services).await?;
    services
        .orders
        .cancel(user.id, &crate::ports::request_meta(), &order_no)
        .await
}

/// The demo gateway's "pay" button (only where `PAYMENTS_DEMO` is on): the order is settled
/// like a provider's notification, then "my courses".
#[server(prefix = "/fn", endpoint = "orders/demo-confirm")]
pub async fn confirm_demo_payment(out_trade_no: String) -> Result<(), AppError> {
    let services = crate::ports::services()?;
    let user = crate::ports::signed_in_user(&services).await?;
    services.orders.confirm_demo(user.id, &out_trade_no).await?;
    leptos_axum::redirect("/account/courses");
    Ok(())
}

/// The provider's return page: the order once the provider confirmed (or not yet) the payment.
#[server(prefix = "/fn", endpoint = "orders/confirm-return", input = Json)]
pub async fn confirm_return(out_trade_no: String) -> Result<OrderView, AppError> {
    let services = crate::ports::services()?;
    let user = crate::ports::signed_in_user(&services).await?;
    services.orders.confirm_return(user.id, &out_trade_no).await
}

/// The QR code of a WeChat Pay payment, drawn on the server.
#[server(prefix = "/fn", endpoint = "orders/payment-code", input = Json)]
pub async fn wechat_code(out_trade_no: String) -> Result<PaymentCode, AppError> {
    let services = crate::ports::services()?;
    let user = crate::ports::signed_in_user(&services).await?;
    services.orders.payment_code(user.id, &out_trade_no).await
}

/// The QR page's "check payment": the server asks the provider (the buyer's word proves
/// nothing); paid, it goes on to "my courses".
#[server(prefix = "/fn", endpoint = "orders/check-payment")]
pub async fn check_payment(out_trade_no: String) -> Result<OrderView, AppError> {
    let services = crate::ports::services()?;
    let user = crate::ports::signed_in_user(&services).await?;
    let order = services
        .orders
        .confirm_return(user.id, &out_trade_no)
        .await?;
    if order.status == "paid" {
        leptos_axum::redirect("/account/courses");
    }
    Ok(order)
}

#[server(prefix = "/fn", endpoint = "orders/enrollments", input = Json)]
pub async fn my_courses() -> Result<Vec<EnrollmentView>, AppError> {
    let services = crate::ports::services()?;
    let user = crate::ports::signed_in_user(&services).await?;
    services.orders.enrollments(user.id).await
}
