//! WeChat Pay's callbacks into orders: the notification (signature and age, the resource
//! decrypted, our merchant, app and the payment's amount, then settled once) and the QR page's
//! code. Its "check payment" button is a query ([`super::reconcile`]), never the buyer's word.
//! Refusals are kept by hash and reason ([`Orders::refuse`]), as Alipay's are.

use app::dto::PaymentCode;
use app::error::AppError;
use app::i18n::td_string;
use chrono::Utc;

use super::notify::Answer;
use super::Orders;
use crate::db::orders::Settlement;
use crate::error::ResultExt;
use crate::payments::wechat_sign::SignedHeaders;

/// The `Wechatpay-*` headers of a notification, as received (empty when absent).
#[derive(Debug, Clone, Default)]
pub struct NotifyHeaders {
    pub timestamp: String,
    pub nonce: String,
    pub signature: String,
    pub serial: String,
}

impl Orders {
    /// `POST /api/v1/payments/wechat/notify`.
    pub async fn wechat_notify(
        &self,
        headers: &NotifyHeaders,
        raw: &str,
    ) -> Result<Answer, AppError> {
        let Some(wechat) = self.wechat.clone() else {
            // Nothing to verify against (the route answers 404 before this).
            return Err(AppError::NotFound("payment provider".into()));
        };
        let signed = SignedHeaders {
            timestamp: &headers.timestamp,
            nonce: &headers.nonce,
            signature: &headers.signature,
            serial: &headers.serial,
        };
        let notice = match wechat.open_notification(&signed, raw, Utc::now().timestamp()) {
            Ok(notice) => notice,
            Err(why) => {
                self.refuse("wechat", raw, &why).await;
                return Ok(Answer::Failure);
            }
        };
        if notice.event_type != "TRANSACTION.SUCCESS" {
            // Genuine, but not a payment (a refund's outcome…): acknowledged, nothing to do.
            return Ok(Answer::Success);
        }
        let transaction = &notice.transaction;
        let payment = crate::db::payments::payment_by_trade_no(&self.db, &transaction.out_trade_no)
            .await
            .db_err("payment")?;
        let pays = match wechat.check_transaction(transaction, payment.as_ref()) {
            Ok(pays) => pays,
            Err(why) => {
                self.refuse("wechat", raw, &why).await;
                return Ok(Answer::Failure);
            }
        };
        let Some(payment) = payment.filter(|_| pays) else {
            return Ok(Answer::Success);
        };
        if notice.id.is_empty() {
            self.refuse("wechat", raw, "no notification id").await;
            return Ok(Answer::Failure);
        }
        self.settle(&Settlement {
            payment: &payment,
            provider: "wechat",
            notify_key: &notice.id,
            provider_trade_no: Some(transaction.transaction_id.as_str()).filter(|t| !t.is_empty()),
            // The decrypted resource: what was verified, readable in the back office (the
            // envelope is ciphertext only the APIv3 key opens).
            body: &notice.plain,
        })
        .await?;
        Ok(Answer::Success)
    }

    /// The QR page of the caller's WeChat payment: the code_url WeChat gave, drawn as an SVG
    /// here on the server (no script draws it in the browser).
    pub(super) async fn wechat_code(
        &self,
        user_id: i64,
        out_trade_no: &str,
    ) -> Result<PaymentCode, AppError> {
        let not_found = || AppError::NotFound("payment".into());
        if self.wechat.is_none() {
            return Err(not_found());
        }
        let (payment, order) = self.own_payment(user_id, out_trade_no, "wechat").await?;
        // A code shown for an order already paid or closed (or whose WeChat trade was closed
        // because another provider paid it) could take the money twice.
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
        let code_url = crate::db::payments::code_url(&self.db, payment.id)
            .await
            .db_err("payment")?
            .ok_or_else(not_found)?;
        let svg = crate::payments::qr::svg(&code_url).map_err(|e| {
            tracing::error!(error = %e, "could not draw a QR code");
            AppError::Internal
        })?;
        Ok(PaymentCode {
            out_trade_no: payment.out_trade_no,
            order_no: order.order_no,
            amount_cents: payment.amount_cents,
            status: order.status,
            svg,
        })
    }
}
