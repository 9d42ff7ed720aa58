//! The `PaymentGateway` trait every provider implements, and the set of gateways this
//! instance offers.
//!
//! A gateway turns a payment row into what the buyer does next (a page to open, a QR code's
//! text) and checks what the provider sends back. Settling an order is never a gateway's job:
//! every verified notification goes through [`crate::orders::Orders::settle`], the one place
//! that pays an order.

use std::sync::Arc;

use async_trait::async_trait;

use crate::db::payments::PaymentRow;

/// What a gateway needs to start a payment.
pub struct StartRequest<'a> {
    pub payment: &'a PaymentRow,
    /// What the buyer sees on the provider's page (the first course's title).
    pub subject: &'a str,
    /// A phone's browser (Alipay's wap pay instead of page pay).
    pub mobile: bool,
    /// When the order closes unpaid: the provider's trade should stop taking money then.
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// What the buyer is sent to: a page, or a QR code's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    PayUrl(String),
    CodeUrl(String),
}

#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// The provider could not be reached or answered an error; nothing was done.
    #[error("the payment provider is unavailable: {0}")]
    Unavailable(String),
    /// The provider's answer failed its signature or shape check.
    #[error("the payment provider's answer was refused: {0}")]
    Refused(String),
    /// The provider answered, verifiably, that it will not do it (a refund over what is
    /// left, a trade too old to refund…): asking again will not change that.
    #[error("the payment provider declined: {0}")]
    Declined(String),
}

/// A refund to ask a provider for.
pub struct RefundRequest<'a> {
    /// Our number for this refund; the same number again is the same refund at the provider.
    pub out_request_no: &'a str,
    pub amount_cents: i64,
    pub reason: &'a str,
    /// When the refund was first asked for (UnionPay names it by number and this time).
    pub requested_at: chrono::DateTime<chrono::Utc>,
}

/// What a provider did with a refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundState {
    /// The money went back; the provider's refund number, when it gives one.
    Succeeded(Option<String>),
    /// Taken, settled later (WeChat's `PROCESSING`): asked again until it is one or the other.
    Processing(Option<String>),
}

/// A trade the provider says was paid, for exactly the payment's amount, to our merchant:
/// its own trade number (never empty) and the verified reply, kept like a notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaidTrade {
    pub trade_no: String,
    pub reply: String,
}

#[async_trait]
pub trait PaymentGateway: Send + Sync {
    /// `alipay`, `wechat`, `unionpay` or `demo`, as stored in `payments.provider`.
    fn provider(&self) -> &'static str;
    async fn start(&self, request: &StartRequest<'_>) -> Result<Next, GatewayError>;
    /// Closes the provider's trade of a payment whose order closed unpaid, so the buyer can
    /// no longer pay it there. Nothing to do for a gateway without trades of its own.
    async fn close(&self, _payment: &PaymentRow) -> Result<(), GatewayError> {
        Ok(())
    }
    /// Asks the provider whether `payment` was paid (a notification may have been lost on the
    /// way): `Some` only for a verified reply that it was, for the payment's amount; `None`
    /// when it was not (yet). A verified reply that contradicts the payment (another amount,
    /// merchant or app) is `Refused`. The demo gateway has no provider to ask.
    async fn query(&self, _payment: &PaymentRow) -> Result<Option<PaidTrade>, GatewayError> {
        Ok(None)
    }
    /// Refunds part or all of a paid payment. Idempotent by `out_request_no`: asking again
    /// (an answer lost on the way) returns the same refund's state, never a second refund.
    /// A gateway without refunds here declines (staff refund in the provider's portal).
    async fn refund(
        &self,
        _payment: &PaymentRow,
        _request: &RefundRequest<'_>,
    ) -> Result<RefundState, GatewayError> {
        Err(GatewayError::Declined(format!(
            "refunds through {} are not supported here",
            self.provider()
        )))
    }
}

/// The gateways configured on this instance, in the order the checkout offers them.
#[derive(Clone, Default)]
pub struct Gateways(Vec<Arc<dyn PaymentGateway>>);

impl Gateways {
    pub fn with(mut self, gateway: Arc<dyn PaymentGateway>) -> Self {
        self.0.push(gateway);
        self
    }

    pub fn get(&self, provider: &str) -> Option<&Arc<dyn PaymentGateway>> {
        self.0.iter().find(|g| g.provider() == provider)
    }

    pub fn providers(&self) -> Vec<String> {
        self.0.iter().map(|g| g.provider().to_string()).collect()
    }
}

/// The embedded demo gateway (`PAYMENTS_DEMO`): its "provider page" is our own `/pay/demo/…`,
/// where the buyer confirms; the confirmation is settled like any provider's notification.
pub struct DemoGateway;

#[async_trait]
impl PaymentGateway for DemoGateway {
    fn provider(&self) -> &'static str {
        "demo"
    }

    async fn start(&self, request: &StartRequest<'_>) -> Result<Next, GatewayError> {
        Ok(Next::PayUrl(format!(
            "/pay/demo/{}",
            request.payment.out_trade_no
        )))
    }

    /// No money moved, so none goes back: the refund is done at once.
    async fn refund(
        &self,
        _payment: &PaymentRow,
        request: &RefundRequest<'_>,
    ) -> Result<RefundState, GatewayError> {
        Ok(RefundState::Succeeded(Some(format!(
            "demo:{}",
            request.out_request_no
        ))))
    }
}

/// Whether a `User-Agent` is a phone's browser (wap pay rather than the desktop page).
pub fn is_mobile(user_agent: &str) -> bool {
    let ua = user_agent.to_ascii_lowercase();
    ["mobile", "android", "iphone", "ipad", "micromessenger"]
        .iter()
        .any(|m| ua.contains(m))
}

#[cfg(test)]
mod tests {
    use super::is_mobile;

    #[test]
    fn phones_are_told_from_desktops() {
        assert!(is_mobile(
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148"
        ));
        assert!(is_mobile("Mozilla/5.0 (Linux; Android 14; Pixel 8)"));
        assert!(!is_mobile(
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"
        ));
    }
}
