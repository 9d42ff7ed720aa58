//! Refunds, whole or partial, by staff holding `order.refund`.
//!
//! 1. Reserve: under the order's row lock, the amount is checked against what is left (paid,
//!    less refunds done and in flight) and a `requested` refund is written with its own
//!    `out_request_no`, so two staff refunding at once can never return more than was paid.
//! 2. Ask the payment's provider (`alipay.trade.refund`, WeChat's domestic refund, the demo's
//!    instant one) with that number.
//! 3. Record the answer under the lock again: a success adds to `refunded_cents`, and the
//!    last cent makes the order `refunded` and ends the access it bought; a decline marks
//!    the refund failed with the provider's reason. No answer (the provider away) leaves it
//!    `requested`: the same number is asked again by the next request for that amount or by
//!    the reconcile run, and the provider answers a repeated number with the same refund.

use app::domain::{Principal, RequestMeta};
use app::dto::{RefundCreate, RefundView};
use app::error::{AppError, FieldError};
use app::i18n::td_string;
use chrono::Utc;

use super::Orders;
use crate::db::orders as repo;
use crate::db::payments::PaymentRow;
use crate::db::refunds::{self, Answer, RefundRow, Reserved};
use crate::db::Db;
use crate::error::ResultExt;
use crate::payments::gateway::{GatewayError, Gateways, RefundRequest, RefundState};

/// A reason is shown to the buyer by some providers; this is plenty.
const REASON_MAX: usize = 200;

/// How long a refund without a final answer waits before the reconcile run asks again.
pub const RETRY_AFTER: chrono::Duration = chrono::Duration::minutes(1);

fn view(row: &RefundRow, order_no: &str, provider: &str) -> RefundView {
    RefundView {
        out_request_no: row.out_request_no.clone(),
        order_no: order_no.to_string(),
        provider: provider.to_string(),
        amount_cents: row.amount_cents,
        status: row.status.clone(),
        reason: row.reason.clone(),
        error: row.error.clone(),
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

/// Asks the provider for reserved refund `row` and records its answer. `Err` only for our
/// own database; a provider away leaves the refund `requested` (and says so in the result).
pub async fn send(
    db: &Db,
    gateways: &Gateways,
    row: &RefundRow,
    payment: &PaymentRow,
) -> Result<(RefundRow, Option<GatewayError>), sqlx::Error> {
    let Some(gateway) = gateways.get(&payment.provider) else {
        refunds::touch(db, row.id, Utc::now()).await?;
        let error = GatewayError::Unavailable(format!(
            "{} is not configured on this instance",
            payment.provider
        ));
        return Ok((row.clone(), Some(error)));
    };
    let request = RefundRequest {
        out_request_no: &row.out_request_no,
        amount_cents: row.amount_cents,
        reason: &row.reason,
        requested_at: row.created_at,
    };
    let now = Utc::now();
    match gateway.refund(payment, &request).await {
        Ok(RefundState::Succeeded(no)) => {
            let answer = Answer::Succeeded {
                provider_refund_no: no.as_deref(),
            };
            Ok((refunds::record(db, row.id, &answer, now).await?, None))
        }
        Ok(RefundState::Processing(no)) => {
            let answer = Answer::Processing {
                provider_refund_no: no.as_deref(),
            };
            Ok((refunds::record(db, row.id, &answer, now).await?, None))
        }
        Err(GatewayError::Declined(why)) => {
            let answer = Answer::Failed { error: &why };
            let recorded = refunds::record(db, row.id, &answer, now).await?;
            Ok((recorded, Some(GatewayError::Declined(why))))
        }
        Err(error) => {
            refunds::touch(db, row.id, now).await?;
            tracing::warn!(
                provider = payment.provider,
                out_request_no = row.out_request_no,
                %error,
                "a refund got no answer; it is asked again later"
            );
            Ok((row.clone(), Some(error)))
        }
    }
}

/// The reconcile run's share: asks again about refunds sent at least [`RETRY_AFTER`] ago
/// without a final answer. Returns how many reached one.
pub async fn retry_open(
    db: &Db,
    gateways: &Gateways,
    now: chrono::DateTime<Utc>,
    limit: i64,
) -> Result<usize, sqlx::Error> {
    let mut settled = 0;
    for (row, payment) in refunds::open_before(db, now - RETRY_AFTER, limit).await? {
        let (after, _) = send(db, gateways, &row, &payment).await?;
        if after.status == "succeeded" || after.status == "failed" {
            settled += 1;
        }
    }
    Ok(settled)
}

impl Orders {
    /// `POST /api/v1/orders/{order_no}/refunds`: 201 with the refund (`succeeded`, or
    /// `processing` at WeChat). 403 without `order.refund`; 404 for no such order; 409 for an
    /// order not paid or a provider that declined; 422 for an amount outside 1..=what is
    /// left; 503 when the provider did not answer (the refund stays requested and is asked
    /// again: repeating the request for the same amount resumes it).
    pub async fn refund(
        &self,
        who: &Principal,
        meta: &RequestMeta,
        order_no: &str,
        body: RefundCreate,
    ) -> Result<RefundView, AppError> {
        who.require("order.refund")?;
        let reason = body.reason.unwrap_or_default().trim().to_string();
        if reason.chars().count() > REASON_MAX {
            return Err(AppError::Validation(vec![FieldError::new(
                "reason",
                td_string!(app::locale::current(), errors.at_most_chars, n = REASON_MAX)
                    .to_string(),
            )]));
        }
        if body.amount_cents <= 0 {
            return Err(AppError::Validation(vec![FieldError::new(
                "amount_cents",
                td_string!(app::locale::current(), errors.refund_amount_positive),
            )]));
        }
        let order = repo::by_no(&self.db, order_no)
            .await
            .db_err("order")?
            .ok_or_else(|| AppError::NotFound("order".into()))?;
        let reserved = refunds::reserve(
            &self.db,
            order.id,
            body.amount_cents,
            &reason,
            who.user_id,
            meta.client_ip.map(|ip| ip.to_string()).as_deref(),
            Utc::now(),
        )
        .await
        .db_err("refund")?;
        let (row, payment) = match reserved {
            Reserved::Ready(ready) => *ready,
            Reserved::NotPaid(status) => {
                let status = crate::admin::labels::tr(&status);
                return Err(AppError::Conflict(
                    td_string!(
                        app::locale::current(),
                        errors.refund_not_paid,
                        status = status
                    )
                    .to_string(),
                ));
            }
            Reserved::TooMuch { refundable } => {
                return Err(AppError::Validation(vec![FieldError::new(
                    "amount_cents",
                    td_string!(
                        app::locale::current(),
                        errors.refund_too_much,
                        refundable = refundable
                    )
                    .to_string(),
                )]))
            }
            Reserved::NoPayment => {
                return Err(AppError::Conflict(
                    td_string!(app::locale::current(), errors.refund_no_payment).into(),
                ))
            }
        };
        let (after, error) = send(&self.db, &self.gateways, &row, &payment)
            .await
            .db_err("refund")?;
        match error {
            None => Ok(view(&after, &order.order_no, &payment.provider)),
            Some(GatewayError::Declined(why)) => Err(AppError::Conflict(
                td_string!(app::locale::current(), errors.refund_declined, why = why).to_string(),
            )),
            Some(_) => Err(AppError::Unavailable),
        }
    }

    /// The refunds of an order, for staff holding `order.refund` or `order.view`.
    pub async fn refunds(
        &self,
        who: &Principal,
        order_no: &str,
    ) -> Result<Vec<RefundView>, AppError> {
        if !who.has("order.refund") && !who.has("order.view") {
            return Err(AppError::Forbidden);
        }
        let order = repo::by_no(&self.db, order_no)
            .await
            .db_err("order")?
            .ok_or_else(|| AppError::NotFound("order".into()))?;
        let rows = refunds::of_order(&self.db, order.id)
            .await
            .db_err("refund")?;
        let payments = crate::db::payments::of_order(&self.db, order.id)
            .await
            .db_err("payment")?;
        Ok(rows
            .iter()
            .map(|r| {
                let provider = payments
                    .iter()
                    .find(|p| p.id == r.payment_id)
                    .map_or("", |p| p.provider.as_str());
                view(r, &order.order_no, provider)
            })
            .collect())
    }
}
