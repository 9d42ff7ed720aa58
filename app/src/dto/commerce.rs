//! Buying courses on the wire: price policies, checkout, orders, payments and enrolments.
//! Money is integer cents (`*_cents`), times RFC 3339 UTC. The client never sends a price:
//! a checkout names courses and policies, the server computes every amount.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One way to buy a course: its validity (`valid_months`, 0 for permanent) and price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PricePolicyView {
    pub id: i64,
    pub course_id: i64,
    /// 1, 3, 6 or 12; 0 is permanent access.
    pub valid_months: i32,
    pub price_cents: i64,
}

impl PricePolicyView {
    /// `Permanent` or `12 months`, in the language being rendered.
    pub fn label(&self) -> String {
        validity_label(self.valid_months, crate::locale::current())
    }
}

/// A validity in `locale`: permanent for 0 months, else the number of months.
pub fn validity_label(months: i32, locale: crate::locale::Locale) -> String {
    use crate::i18n::td_string;
    if months == 0 {
        td_string!(locale, commerce.validity_permanent).into()
    } else {
        td_string!(locale, commerce.validity_months, count = months).to_string()
    }
}

/// One course in a checkout; without a policy the course's permanent (else longest) one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckoutItem {
    pub course_id: i64,
    #[serde(default)]
    pub price_policy_id: Option<i64>,
}

/// `POST /api/v1/orders`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckoutRequest {
    pub items: Vec<CheckoutItem>,
    #[serde(default)]
    pub coupon_code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderItemView {
    pub course_id: Option<i64>,
    pub title: String,
    pub price_policy_id: Option<i64>,
    pub valid_months: i32,
    pub price_cents: i64,
}

/// An order as its owner (or staff) sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderView {
    pub order_no: String,
    /// `pending`, `paid`, `closed` or `refunded`.
    pub status: String,
    pub total_cents: i64,
    pub refunded_cents: i64,
    /// Taken off by the order's coupon (`total_cents` is after it).
    pub discount_cents: i64,
    pub currency: String,
    pub items: Vec<OrderItemView>,
    pub expires_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A payment started for an order: where the buyer goes next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentStart {
    pub provider: String,
    pub out_trade_no: String,
    pub amount_cents: i64,
    /// A page to send the buyer to (Alipay, the demo gateway).
    pub pay_url: Option<String>,
    /// Text to show as a QR code (WeChat Pay Native).
    pub code_url: Option<String>,
}

/// A payment the buyer finishes by scanning a QR code (WeChat Pay Native).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentCode {
    pub out_trade_no: String,
    pub order_no: String,
    pub amount_cents: i64,
    /// The order's status.
    pub status: String,
    /// The QR code as an `<svg>` element, drawn by the server from the provider's code_url.
    pub svg: String,
}

/// A course the caller owns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollmentView {
    pub course_id: i64,
    pub course_slug: String,
    pub course_title: String,
    /// `None`: for good.
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// How far the caller is in the course, and where to continue (the learning service).
    pub progress: super::CourseProgress,
}

/// What the course page needs to offer a purchase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurchaseOptions {
    pub policies: Vec<PricePolicyView>,
    /// The caller owns the course now (`None` for an anonymous visitor).
    pub owned: Option<bool>,
    /// Providers the checkout offers (`demo` only when the demo gateway is on).
    pub providers: Vec<String>,
}

/// `POST /api/v1/orders/{order_no}/refunds` (staff holding `order.refund`): how much of the
/// paid total goes back, in cents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefundCreate {
    pub amount_cents: i64,
    #[serde(default)]
    pub reason: Option<String>,
}

/// One refund of an order: `requested` (sent, no answer yet), `processing` (the provider
/// settles it later), `succeeded` or `failed` (with the provider's `error`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundView {
    pub out_request_no: String,
    pub order_no: String,
    pub provider: String,
    pub amount_cents: i64,
    pub status: String,
    pub reason: String,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}
