//! Payments of orders (one per order and provider) and the notifications refused for them.
//! Settling a payment is [`super::orders::settle`]'s, under the order's row lock.

use chrono::{DateTime, Utc};

use super::Db;
use crate::on_pool;

/// Refused notifications kept per provider and hour at most.
pub const REFUSED_PER_HOUR: i64 = 1000;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PaymentRow {
    pub id: i64,
    pub order_id: i64,
    pub provider: String,
    pub out_trade_no: String,
    pub amount_cents: i64,
    pub status: String,
    /// When the payment was first started: UnionPay names a trade by `orderId` and this time.
    pub created_at: DateTime<Utc>,
    /// The provider's own number for the trade, once it was paid (UnionPay's `queryId`,
    /// which its refunds name).
    pub provider_trade_no: Option<String>,
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
            "SELECT id, order_id, provider, out_trade_no, amount_cents, status, created_at, \
             provider_trade_no FROM payments \
             WHERE out_trade_no = $1")
            .bind(out_trade_no).fetch_one(pool).await
    })
}

pub async fn payment_by_trade_no(
    db: &Db,
    out_trade_no: &str,
) -> Result<Option<PaymentRow>, sqlx::Error> {
    on_pool!(db, pool => sqlx::query_as(
        "SELECT id, order_id, provider, out_trade_no, amount_cents, status, created_at, \
             provider_trade_no FROM payments \
         WHERE out_trade_no = $1")
        .bind(out_trade_no).fetch_optional(pool).await)
}

/// Keeps a notification that was refused (bad signature, another app, a wrong amount…): the
/// hash of its body and why, for the back office; a flood of one forgery is one row. The body
/// itself is not kept: anyone may post here, and what they post is not ours to store. The
/// reason is hashed in too: WeChat's signature is in headers, so one body may be refused for
/// several reasons (forged, then stale), and each is worth a row.
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
        hex::encode(
            sha2::Sha256::new()
                .chain_update(reason.as_bytes())
                .chain_update([0])
                .chain_update(body.as_bytes())
                .finalize()
        )
    );
    // The reason may quote the sender; a bounded one is enough to tell why.
    let reason: String = reason.chars().take(300).collect();
    on_pool!(db, pool => {
        // Anyone can post a refused notification: past a cap per provider and hour, they are
        // only logged (by the caller), so a flood cannot fill the table.
        let recent: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM payment_notifications WHERE provider = $1 \
             AND outcome = 'refused' AND received_at > $2")
            .bind(provider).bind(now - chrono::Duration::hours(1)).fetch_one(pool).await?;
        if recent >= REFUSED_PER_HOUR {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO payment_notifications (provider, notify_key, body, received_at, outcome, reason) \
             VALUES ($1, $2, '', $3, 'refused', $4) ON CONFLICT (provider, notify_key) DO NOTHING")
            .bind(provider).bind(key).bind(now).bind(reason)
            .execute(pool).await.map(|_| ())
    })
}

/// Keeps the QR code's text a provider gave for payment `payment_id` (WeChat Pay Native).
pub async fn set_code_url(
    db: &Db,
    payment_id: i64,
    code_url: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    on_pool!(db, pool => sqlx::query(
        "UPDATE payments SET code_url = $2, updated_at = $3 WHERE id = $1")
        .bind(payment_id).bind(code_url).bind(now)
        .execute(pool).await.map(|_| ()))
}

/// The QR code's text kept for a payment, if any.
pub async fn code_url(db: &Db, payment_id: i64) -> Result<Option<String>, sqlx::Error> {
    on_pool!(db, pool => sqlx::query_scalar(
        "SELECT code_url FROM payments WHERE id = $1")
        .bind(payment_id).fetch_one(pool).await)
}

/// The payments of an order closed here without being paid (with their order, or because
/// another payment paid it), for closing their trades at their providers too.
pub async fn closed_of_order(db: &Db, order_id: i64) -> Result<Vec<PaymentRow>, sqlx::Error> {
    on_pool!(db, pool => sqlx::query_as(
        "SELECT id, order_id, provider, out_trade_no, amount_cents, status, created_at, \
             provider_trade_no FROM payments \
         WHERE order_id = $1 AND provider <> 'demo' AND status = 'closed'")
        .bind(order_id).fetch_all(pool).await)
}

/// The payments of order `order_id` started at a provider and not settled or closed yet.
pub async fn open_of_order(db: &Db, order_id: i64) -> Result<Vec<PaymentRow>, sqlx::Error> {
    on_pool!(db, pool => sqlx::query_as(
        "SELECT id, order_id, provider, out_trade_no, amount_cents, status, created_at, \
             provider_trade_no FROM payments \
         WHERE order_id = $1 AND provider <> 'demo' AND status = 'created' ORDER BY id")
        .bind(order_id).fetch_all(pool).await)
}

/// Open payments, started before `before`, of orders still pending: those whose notification
/// may have been lost. Oldest first, at most `limit`.
pub async fn open_before(
    db: &Db,
    before: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<PaymentRow>, sqlx::Error> {
    on_pool!(db, pool => sqlx::query_as(
        "SELECT p.id, p.order_id, p.provider, p.out_trade_no, p.amount_cents, p.status, \
                p.created_at, p.provider_trade_no \
         FROM payments p JOIN orders o ON o.id = p.order_id \
         WHERE p.status = 'created' AND p.provider <> 'demo' AND o.status = 'pending' \
           AND p.created_at < $1 ORDER BY p.created_at, p.id LIMIT $2")
        .bind(before).bind(limit).fetch_all(pool).await)
}

/// Every payment of order `order_id`.
pub async fn of_order(db: &Db, order_id: i64) -> Result<Vec<PaymentRow>, sqlx::Error> {
    on_pool!(db, pool => sqlx::query_as(
        "SELECT id, order_id, provider, out_trade_no, amount_cents, status, created_at, \
             provider_trade_no FROM payments \
         WHERE order_id = $1 ORDER BY id")
        .bind(order_id).fetch_all(pool).await)
}
