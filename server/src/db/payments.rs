//! Payments of orders (one per order and provider) and the notifications refused for them.
//! Settling a payment is [`super::orders::settle`]'s, under the order's row lock.

use chrono::{DateTime, Utc};

use super::Db;
use crate::on_pool;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PaymentRow {
    pub id: i64,
    pub order_id: i64,
    pub provider: String,
    pub out_trade_no: String,
    pub amount_cents: i64,
    pub status: String,
}

/// The payment of `order_id` through `provider`, created on first use (one per order and
/// provider, so asking again resumes it).
pub async fn payment_for(
    db: &Db,
    order_id: i64,
    provider: &str,
    out_trade_no: &str,
    amount_cents: i64,
    now: DateTime<Utc>,
) -> Result<PaymentRow, sqlx::Error> {
    on_pool!(db, pool => {
        sqlx::query(
            "INSERT INTO payments (order_id, provider, out_trade_no, amount_cents, status, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, 'created', $5, $5) \
             ON CONFLICT (out_trade_no) DO NOTHING")
            .bind(order_id).bind(provider).bind(out_trade_no).bind(amount_cents).bind(now)
            .execute(pool).await?;
        sqlx::query_as(
            "SELECT id, order_id, provider, out_trade_no, amount_cents, status FROM payments \
             WHERE out_trade_no = $1")
            .bind(out_trade_no).fetch_one(pool).await
    })
}

pub async fn payment_by_trade_no(
    db: &Db,
    out_trade_no: &str,
) -> Result<Option<PaymentRow>, sqlx::Error> {
    on_pool!(db, pool => sqlx::query_as(
        "SELECT id, order_id, provider, out_trade_no, amount_cents, status FROM payments \
         WHERE out_trade_no = $1")
        .bind(out_trade_no).fetch_optional(pool).await)
}

/// Keeps a notification that was refused (bad signature, another app, a wrong amount…): the
/// hash of its body and why, for the back office; a flood of one forgery is one row. The body
/// itself is not kept: anyone may post here, and what they post is not ours to store.
pub async fn record_refused(
    db: &Db,
    provider: &str,
    body: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    use sha2::Digest;
    let key = format!(
        "refused:{}",
        hex::encode(sha2::Sha256::digest(body.as_bytes()))
    );
    on_pool!(db, pool => sqlx::query(
        "INSERT INTO payment_notifications (provider, notify_key, body, received_at, outcome, reason) \
         VALUES ($1, $2, '', $3, 'refused', $4) ON CONFLICT (provider, notify_key) DO NOTHING")
        .bind(provider).bind(key).bind(now).bind(reason)
        .execute(pool).await.map(|_| ()))
}
