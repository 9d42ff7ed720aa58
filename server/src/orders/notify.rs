//! Provider callbacks into orders: Alipay's async notification and the demo gateway's
//! confirmation. Both end in [`Orders::settle`]; refusals are stored with their reason
//! ([`Orders::refuse`]). The return page's confirmation by query is in [`super::reconcile`].

use std::collections::BTreeMap;

use app::dto::OrderView;
use app::error::AppError;
use app::i18n::td_string;

use super::Orders;
use crate::db::orders::{self as repo, Settled, Settlement};
use crate::error::ResultExt;

/// How a notification was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Stored (or stored before) and committed: tell the provider to stop.
    Success,
    /// Refused: the provider may try again; nothing changed.
    Failure,
}

/// The decoded form fields, refusing a field sent twice (which copy would be the signed one?).
pub fn form_fields(raw: &str) -> Result<BTreeMap<String, String>, String> {
    let mut fields = BTreeMap::new();
    for (k, v) in url::form_urlencoded::parse(raw.as_bytes()) {
        if fields.insert(k.to_string(), v.to_string()).is_some() {
            return Err(format!("`{k}` appears twice"));
        }
    }
    Ok(fields)
}

impl Orders {
    /// `POST /api/v1/payments/alipay/notify`: verified with the Alipay key, then checked
    /// against our app id and the payment's amount, then settled once.
    pub async fn alipay_notify(&self, raw: &str) -> Result<Answer, AppError> {
        let Some(alipay) = self.alipay.clone() else {
            // Nothing to verify against: keeping such bodies would only give strangers a
            // place to write (the route answers 404 before this).
            return Err(AppError::NotFound("payment provider".into()));
        };
        let fields = match form_fields(raw) {
            Ok(fields) => fields,
            Err(why) => {
                self.refuse("alipay", raw, &why).await;
                return Ok(Answer::Failure);
            }
        };
        let out_trade_no = fields.get("out_trade_no").cloned().unwrap_or_default();
        let payment = crate::db::payments::payment_by_trade_no(&self.db, &out_trade_no)
            .await
            .db_err("payment")?;
        let pays = match alipay.check_notification(&fields, payment.as_ref()) {
            Ok(pays) => pays,
            Err(why) => {
                self.refuse("alipay", raw, &why).await;
                return Ok(Answer::Failure);
            }
        };
        let Some(payment) = payment.filter(|_| pays) else {
            // A valid notice of a trade that did not pay (waiting, closed): nothing to do.
            return Ok(Answer::Success);
        };
        let notify_id = fields.get("notify_id").cloned().unwrap_or_default();
        if notify_id.is_empty() {
            self.refuse("alipay", raw, "no notify_id").await;
            return Ok(Answer::Failure);
        }
        self.settle(&Settlement {
            payment: &payment,
            provider: "alipay",
            notify_key: &notify_id,
            provider_trade_no: fields.get("trade_no").map(String::as_str),
            body: raw,
        })
        .await?;
        Ok(Answer::Success)
    }

    /// The caller's payment `out_trade_no` through `provider`, and its order; 404 (the same
    /// answer) for a payment that does not exist, is another provider's or another user's.
    pub(super) async fn own_payment(
        &self,
        user_id: i64,
        out_trade_no: &str,
        provider: &str,
    ) -> Result<(crate::db::payments::PaymentRow, repo::OrderRow), AppError> {
        let not_found = || AppError::NotFound("payment".into());
        let payment = crate::db::payments::payment_by_trade_no(&self.db, out_trade_no)
            .await
            .db_err("payment")?
            .filter(|p| p.provider == provider)
            .ok_or_else(not_found)?;
        let order = repo::by_id(&self.db, payment.order_id)
            .await
            .db_err("order")?
            .filter(|o| o.user_id == user_id)
            .ok_or_else(not_found)?;
        Ok((payment, order))
    }

    /// The demo gateway's "buyer paid": the owner confirms on `/pay/demo/…`, and the
    /// confirmation is settled like a provider's notification. 404 unless the demo is on and
    /// the payment is the caller's.
    pub(super) async fn demo_confirmation(
        &self,
        user_id: i64,
        out_trade_no: &str,
    ) -> Result<OrderView, AppError> {
        let not_found = || AppError::NotFound("payment".into());
        if !self.settings.demo {
            return Err(not_found());
        }
        let (payment, order) = self.own_payment(user_id, out_trade_no, "demo").await?;
        // The demo stands for the provider, and a provider does not take money for a trade
        // that was closed (the order's cancel or expiry closed it there).
        if payment.status == "closed" {
            return Err(AppError::Conflict(
                td_string!(app::locale::current(), errors.pay_closed).into(),
            ));
        }
        let body = serde_json::json!({
            "out_trade_no": payment.out_trade_no, "amount_cents": payment.amount_cents
        })
        .to_string();
        let key = format!("demo:{}", payment.out_trade_no);
        let settled = self
            .settle(&Settlement {
                payment: &payment,
                provider: "demo",
                notify_key: &key,
                provider_trade_no: Some(&key),
                body: &body,
            })
            .await?;
        if settled == Settled::Closed {
            return Err(AppError::Conflict(
                td_string!(app::locale::current(), errors.order_closed).into(),
            ));
        }
        let fresh = repo::by_id(&self.db, order.id)
            .await
            .db_err("order")?
            .ok_or_else(not_found)?;
        self.view(fresh).await
    }
}

#[cfg(test)]
mod tests {
    use super::form_fields;

    #[test]
    fn a_field_twice_is_refused() {
        assert!(form_fields("a=1&b=2").is_ok());
        assert!(form_fields("a=1&a=2").is_err());
        assert_eq!(form_fields("x=%E4%BD%A0+y").unwrap()["x"], "你 y");
    }
}
