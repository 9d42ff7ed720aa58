//! UnionPay's callbacks into orders: the back notification (certificate chain and signature,
//! our merchant, the payment's amount, then settled once) and the pay page's signed form.
//! Refusals are kept by hash and reason ([`Orders::refuse`]), as Alipay's are.

use app::error::AppError;
use app::i18n::td_string;

use super::notify::{form_fields, Answer};
use super::Orders;
use crate::db::orders::Settlement;
use crate::error::ResultExt;
use crate::payments::unionpay::PayForm;

impl Orders {
    /// `POST /api/v1/payments/unionpay/notify`: verified against UnionPay's certificate chain,
    /// then checked against our merchant and the payment's amount, then settled once (the key
    /// is UnionPay's `queryId`, so a repeat is the same notification).
    pub async fn unionpay_notify(&self, raw: &str) -> Result<Answer, AppError> {
        let Some(unionpay) = self.unionpay.clone() else {
            // Nothing to verify against (the route answers 404 before this).
            return Err(AppError::NotFound("payment provider".into()));
        };
        let fields = match form_fields(raw) {
            Ok(fields) => fields,
            Err(why) => {
                self.refuse("unionpay", raw, &why).await;
                return Ok(Answer::Failure);
            }
        };
        let order_id = fields.get("orderId").cloned().unwrap_or_default();
        let payment = crate::db::payments::payment_by_trade_no(&self.db, &order_id)
            .await
            .db_err("payment")?;
        let query_id = match unionpay.check_notification(&fields, payment.as_ref()) {
            Ok(query_id) => query_id,
            Err(why) => {
                self.refuse("unionpay", raw, &why).await;
                return Ok(Answer::Failure);
            }
        };
        let (Some(payment), Some(query_id)) = (payment, query_id) else {
            // Genuine, but not a payment (a refund's outcome, a failed trade): nothing to do.
            return Ok(Answer::Success);
        };
        self.settle(&Settlement {
            payment: &payment,
            provider: "unionpay",
            notify_key: &query_id,
            provider_trade_no: Some(&query_id),
            body: raw,
        })
        .await?;
        Ok(Answer::Success)
    }

    /// The signed form of the caller's UnionPay payment, for `/pay/unionpay/{out_trade_no}`.
    /// 404 (the same answer) for a payment that is not the caller's or not UnionPay's; 409
    /// once the order is no longer waiting for it.
    pub async fn unionpay_form(
        &self,
        user_id: i64,
        out_trade_no: &str,
        mobile: bool,
    ) -> Result<PayForm, AppError> {
        let Some(unionpay) = self.unionpay.clone() else {
            return Err(AppError::NotFound("payment".into()));
        };
        let (payment, order) = self.own_payment(user_id, out_trade_no, "unionpay").await?;
        if order.status != "pending" || payment.status != "created" {
            let status = crate::admin::labels::tr(&order.status);
            return Err(AppError::Conflict(
                td_string!(
                    app::locale::current(),
                    errors.order_nothing_to_pay,
                    status = status
                )
                .to_string(),
            ));
        }
        if order.expires_at <= chrono::Utc::now() {
            return Err(AppError::Conflict(
                td_string!(app::locale::current(), errors.order_expired).into(),
            ));
        }
        unionpay
            .pay_form(&payment, mobile, order.expires_at)
            .map_err(|e| {
                tracing::warn!(error = %e, "could not sign a UnionPay form");
                AppError::Unavailable
            })
    }
}
