//! Refunds of paid orders: a request reserved under the order's row lock (so two staff
//! refunding at once can never return more than was paid), then its provider's answer
//! recorded, again under that lock, with the order's `refunded_cents`, its state and its audit
//! entries. See [`crate::orders::refunds`] for the flow.

use chrono::{DateTime, Utc};

use super::payments::PaymentRow;
use super::Db;
use crate::on_pool;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RefundRow {
    pub id: i64,
    pub order_id: i64,
    pub payment_id: i64,
    pub out_request_no: String,
    pub amount_cents: i64,
    pub reason: String,
    pub status: String,
    pub provider_refund_no: Option<String>,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, order_id, payment_id, out_request_no, amount_cents, reason, status, \
     provider_refund_no, error, created_at, updated_at";

/// What asking for a refund found.
#[derive(Debug)]
pub enum Reserved {
    /// A request to send to the payment's provider (a new one, or the same amount's request
    /// still in flight, whose answer was lost: asked again under its own number).
    Ready(Box<(RefundRow, PaymentRow)>),
    /// The order is not paid (`pending`, `closed`, or `refunded` already).
    NotPaid(String),
    /// More than what is left to refund (paid less refunds done and in flight).
    TooMuch { refundable: i64 },
    /// No settled payment to refund through (should not happen for a paid order).
    NoPayment,
}

/// Reserves a refund of `amount_cents` on order `order_id`, under its row lock.
pub async fn reserve(
    db: &Db,
    order_id: i64,
    amount_cents: i64,
    reason: &str,
    requested_by: i64,
    ip: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Reserved, sqlx::Error> {
    on_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        sqlx::query("UPDATE orders SET updated_at = updated_at WHERE id = $1")
            .bind(order_id).execute(&mut *tx).await?;
        let (status, order_no, total, refunded): (String, String, i64, i64) = sqlx::query_as(
            "SELECT status, order_no, total_cents, refunded_cents FROM orders WHERE id = $1")
            .bind(order_id).fetch_one(&mut *tx).await?;
        if status != "paid" {
            return Ok(Reserved::NotPaid(status));
        }
        let open: Vec<RefundRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM refunds WHERE order_id = $1 \
             AND status IN ('requested', 'processing') ORDER BY id"))
            .bind(order_id).fetch_all(&mut *tx).await?;
        let payment: Option<PaymentRow> = sqlx::query_as(
            "SELECT id, order_id, provider, out_trade_no, amount_cents, status, created_at, \
             provider_trade_no FROM payments \
             WHERE order_id = $1 AND status = 'succeeded' AND refund_due_at IS NULL \
             ORDER BY paid_at, id LIMIT 1")
            .bind(order_id).fetch_optional(&mut *tx).await?;
        let Some(payment) = payment else {
            return Ok(Reserved::NoPayment);
        };
        if let Some(same) = open.iter().find(|r| r.amount_cents == amount_cents && r.status == "requested") {
            return Ok(Reserved::Ready(Box::new((same.clone(), payment))));
        }
        let in_flight: i64 = open.iter().map(|r| r.amount_cents).sum();
        let refundable = total - refunded - in_flight;
        if amount_cents > refundable {
            return Ok(Reserved::TooMuch { refundable: refundable.max(0) });
        }
        // Never reused: a number the provider saw before would be answered with that refund.
        // The order's lock orders its refunds, and the order number makes it unique.
        let last: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM refunds")
            .fetch_one(&mut *tx).await?;
        let out_request_no = format!("{order_no}R{}", last + 1);
        let row: RefundRow = sqlx::query_as(&format!(
            "INSERT INTO refunds (order_id, payment_id, out_request_no, amount_cents, reason, \
             status, requested_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, 'requested', $6, $7, $7) RETURNING {COLUMNS}"))
            .bind(order_id).bind(payment.id).bind(&out_request_no).bind(amount_cents)
            .bind(reason).bind(requested_by).bind(now)
            .fetch_one(&mut *tx).await?;
        sqlx::query(AUDIT).bind(requested_by).bind(order_id.to_string()).bind(&order_no)
            .bind(serde_json::json!({"refund": {"requested": out_request_no,
                                                "amount_cents": amount_cents}}).to_string())
            .bind(ip).bind(now).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(Reserved::Ready(Box::new((row, payment))))
    })
}

const AUDIT: &str = "INSERT INTO audit_log (actor_id, action, object_type, object_id, \
     object_repr, changes, ip, created_at) VALUES ($1, 'change', 'order', $2, $3, $4, $5, $6)";

/// What the provider said of a refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer<'a> {
    Succeeded {
        provider_refund_no: Option<&'a str>,
    },
    /// Taken, to be settled later (WeChat's `PROCESSING`): asked again by the reconcile run.
    Processing {
        provider_refund_no: Option<&'a str>,
    },
    Failed {
        error: &'a str,
    },
}

/// Records the provider's answer to refund `refund_id`, once: a refund already settled is
/// left as it is (the answer to a repeated request). A success adds to the order's
/// `refunded_cents`; the last cent refunds the order and its payment and ends its enrolments.
/// Returns the refund as it is now.
pub async fn record(
    db: &Db,
    refund_id: i64,
    answer: &Answer<'_>,
    now: DateTime<Utc>,
) -> Result<RefundRow, sqlx::Error> {
    on_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        // The order's row lock is the first statement, a write: a SQLite transaction that
        // read first could not upgrade to the writer once another refund had committed.
        let order_id: i64 = sqlx::query_scalar(
            "UPDATE orders SET updated_at = updated_at \
             WHERE id = (SELECT order_id FROM refunds WHERE id = $1) RETURNING id")
            .bind(refund_id).fetch_one(&mut *tx).await?;
        let (status, amount, out_request_no): (String, i64, String) = sqlx::query_as(
            "SELECT status, amount_cents, out_request_no FROM refunds WHERE id = $1")
            .bind(refund_id).fetch_one(&mut *tx).await?;
        let open = status == "requested" || status == "processing";
        if open {
            let (next, refund_no, error) = match answer {
                Answer::Succeeded { provider_refund_no } => ("succeeded", *provider_refund_no, None),
                Answer::Processing { provider_refund_no } => ("processing", *provider_refund_no, None),
                Answer::Failed { error } => ("failed", None, Some(*error)),
            };
            sqlx::query("UPDATE refunds SET status = $2, provider_refund_no = COALESCE($3, provider_refund_no), \
                         error = $4, updated_at = $5 WHERE id = $1")
                .bind(refund_id).bind(next).bind(refund_no).bind(error).bind(now)
                .execute(&mut *tx).await?;
            if next == "succeeded" {
                let (user_id, order_no, total, refunded): (i64, String, i64, i64) = sqlx::query_as(
                    "UPDATE orders SET refunded_cents = refunded_cents + $2, updated_at = $3 \
                     WHERE id = $1 RETURNING user_id, order_no, total_cents, refunded_cents")
                    .bind(order_id).bind(amount).bind(now).fetch_one(&mut *tx).await?;
                let mut changes = serde_json::json!({"refund": {"succeeded": out_request_no,
                    "amount_cents": amount, "refunded_cents": refunded}});
                if refunded >= total {
                    sqlx::query("UPDATE orders SET status = 'refunded', updated_at = $2 WHERE id = $1")
                        .bind(order_id).bind(now).execute(&mut *tx).await?;
                    sqlx::query("UPDATE payments SET status = 'refunded', updated_at = $2 \
                                 WHERE order_id = $1 AND status = 'succeeded' AND refund_due_at IS NULL")
                        .bind(order_id).bind(now).execute(&mut *tx).await?;
                    // The access this order bought ends now, unless another paid order of the
                    // buyer covers the course too (a renewal): that one's access stays.
                    sqlx::query("UPDATE enrollments SET expires_at = $3 WHERE user_id = $1 \
                                 AND course_id IN (SELECT course_id FROM order_items \
                                 WHERE order_id = $2 AND course_id IS NOT NULL) \
                                 AND (expires_at IS NULL OR expires_at > $3) \
                                 AND NOT EXISTS (SELECT 1 FROM order_items oi \
                                   JOIN orders o ON o.id = oi.order_id \
                                   WHERE o.user_id = $1 AND o.id <> $2 AND o.status = 'paid' \
                                   AND oi.course_id = enrollments.course_id)")
                        .bind(user_id).bind(order_id).bind(now).execute(&mut *tx).await?;
                    changes["status"] = serde_json::json!({"from": "paid", "to": "refunded"});
                }
                sqlx::query(AUDIT).bind(None::<i64>).bind(order_id.to_string()).bind(&order_no)
                    .bind(changes.to_string()).bind(None::<&str>).bind(now).execute(&mut *tx).await?;
            }
        }
        let row: RefundRow = sqlx::query_as(&format!("SELECT {COLUMNS} FROM refunds WHERE id = $1"))
            .bind(refund_id).fetch_one(&mut *tx).await?;
        tx.commit().await?;
        Ok(row)
    })
}

/// Stamps an attempt that got no answer, so the reconcile run asks the refunds waiting longest
/// first and one provider away cannot hold the same batch at the head of the queue.
pub async fn touch(db: &Db, refund_id: i64, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    on_pool!(db, pool => sqlx::query(
        "UPDATE refunds SET updated_at = $2 WHERE id = $1 AND status IN ('requested', 'processing')")
        .bind(refund_id).bind(now).execute(pool).await.map(|_| ()))
}

/// Refunds sent but not settled, last touched before `before` (an answer lost, or WeChat
/// still processing): the reconcile run asks again.
pub async fn open_before(
    db: &Db,
    before: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<(RefundRow, PaymentRow)>, sqlx::Error> {
    let rows: Vec<RefundRow> = on_pool!(db, pool => sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM refunds WHERE status IN ('requested', 'processing') \
         AND updated_at < $1 ORDER BY updated_at LIMIT $2"))
        .bind(before).bind(limit).fetch_all(pool).await)?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let payment: PaymentRow = on_pool!(db, pool => sqlx::query_as(
            "SELECT id, order_id, provider, out_trade_no, amount_cents, status, created_at, \
             provider_trade_no FROM payments WHERE id = $1")
            .bind(row.payment_id).fetch_one(pool).await)?;
        out.push((row, payment));
    }
    Ok(out)
}

/// The refunds of order `order_id`, oldest first.
pub async fn of_order(db: &Db, order_id: i64) -> Result<Vec<RefundRow>, sqlx::Error> {
    on_pool!(db, pool => sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM refunds WHERE order_id = $1 ORDER BY id"))
        .bind(order_id).fetch_all(pool).await)
}
