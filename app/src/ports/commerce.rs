//! Buying courses: price policies, checkout, one's orders and payments, and what one owns.
//!
//! The caller is resolved by the adapter (server function or REST handler) and named by id;
//! every order query names its owner, so another user's order is `NotFound` like one that does
//! not exist. Amounts are computed here, never taken from the client.

use async_trait::async_trait;

use crate::domain::RequestMeta;
use crate::dto::{
    CheckoutRequest, EnrollmentView, OrderView, PaymentCode, PaymentStart, PricePolicyView,
    PurchaseOptions,
};
use crate::error::AppError;

#[async_trait]
pub trait OrderService: Send + Sync {
    /// The policies of a public course, shortest validity first (permanent last); 404 for a
    /// course that is not public.
    async fn price_policies(&self, course_id: i64) -> Result<Vec<PricePolicyView>, AppError>;
    /// Policies, ownership (for a signed-in `user_id`) and the providers on offer.
    async fn purchase_options(
        &self,
        user_id: Option<i64>,
        course_id: i64,
    ) -> Result<PurchaseOptions, AppError>;
    /// The providers offered, in the checkout's order.
    fn providers(&self) -> Vec<String>;
    /// Creates a pending order (a free one is paid and enrolled at once).
    async fn checkout(
        &self,
        user_id: i64,
        meta: &RequestMeta,
        request: CheckoutRequest,
    ) -> Result<OrderView, AppError>;
    /// The user's orders, newest first.
    async fn orders(&self, user_id: i64) -> Result<Vec<OrderView>, AppError>;
    async fn order(&self, user_id: i64, order_no: &str) -> Result<OrderView, AppError>;
    /// Closes a pending order of the user's (409 once it is paid or closed).
    async fn cancel(
        &self,
        user_id: i64,
        meta: &RequestMeta,
        order_no: &str,
    ) -> Result<OrderView, AppError>;
    /// Starts (or resumes) a payment of a pending order with `provider` (the browser, from
    /// `meta`, chooses Alipay's desktop or mobile page).
    async fn pay(
        &self,
        user_id: i64,
        meta: &RequestMeta,
        order_no: &str,
        provider: &str,
    ) -> Result<PaymentStart, AppError>;
    /// The demo gateway's "buyer paid" for the user's payment `out_trade_no`, settled like a
    /// provider's notification; 404 unless the demo gateway is on.
    async fn confirm_demo(&self, user_id: i64, out_trade_no: &str) -> Result<OrderView, AppError>;
    /// The provider's return page (Alipay), or the QR page's "check payment" (WeChat Pay):
    /// confirms the user's payment `out_trade_no` by asking the provider (never by trusting
    /// the redirect or the buyer) and answers the order as it is then.
    async fn confirm_return(&self, user_id: i64, out_trade_no: &str)
        -> Result<OrderView, AppError>;
    /// The QR code of the user's payment `out_trade_no` (WeChat Pay Native); 404 for another
    /// user's, or a payment without one.
    async fn payment_code(&self, user_id: i64, out_trade_no: &str)
        -> Result<PaymentCode, AppError>;
    /// The courses the user owns now.
    async fn enrollments(&self, user_id: i64) -> Result<Vec<EnrollmentView>, AppError>;
}
