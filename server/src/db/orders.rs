//! Orders, their items and payments, the notifications that settle them, and the enrolments a
//! paid order gives.
//!
//! Every state change is one transaction that starts with a write on the order row (its lock:
//! PostgreSQL's row lock, SQLite's single writer, taken before anything is read, so a SQLite
//! transaction never has to upgrade a stale read snapshot), carries its audit entry, and is
//! guarded by the state it leaves (`WHERE status = 'pending'`): of two parallel transitions
//! one wins and the other changes nothing.

use chrono::{DateTime, Months, Utc};

use super::Db;
use crate::on_pool;

pub struct NewItem {
    pub course_id: i64,
    pub title: String,
    pub price_policy_id: Option<i64>,
    pub valid_months: i32,
    pub price_cents: i64,
}

/// The coupon an order reserves.
pub struct Reservation {
    pub coupon_id: i64,
    pub per_user_limit: i32,
    pub discount_cents: i64,
}

/// Why a coupon could not be reserved (checked again under the coupon's row lock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CouponRefusal {
    UsedUp,
    LimitReached,
}

pub struct NewOrder<'a> {
    pub order_no: &'a str,
    pub user_id: i64,
    /// After the coupon's discount.
    pub total_cents: i64,
    pub coupon: Option<Reservation>,
    pub expires_at: DateTime<Utc>,
    pub items: &'a [NewItem],
    pub ip: Option<&'a str>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrderRow {
    pub id: i64,
    pub order_no: String,
    pub user_id: i64,
    pub status: String,
    pub total_cents: i64,
    pub refunded_cents: i64,
    pub discount_cents: i64,
    pub currency: String,
    pub expires_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ItemRow {
    pub order_id: i64,
    pub course_id: Option<i64>,
    pub title: String,
    pub price_policy_id: Option<i64>,
    pub valid_months: i32,
    pub price_cents: i64,
}

const ORDER_COLUMNS: &str =
    "id, order_no, user_id, status, total_cents, refunded_cents, discount_cents, currency, \
     expires_at, paid_at, closed_at, created_at";

const AUDIT: &str =
    "INSERT INTO audit_log (actor_id, action, object_type, object_id, object_repr, \
     changes, ip, created_at) VALUES ($1, $2, 'order', $3, $4, $5, $6, $7)";

fn status_change(from: &str, to: &str) -> String {
    serde_json::json!({"status": {"from": from, "to": to}}).to_string()
}

/// What a paid order does, inside its transaction `$tx`: the order `paid` (guarded by
/// `pending`), then one enrolment per item, each extended from its current end when the user
/// still holds one (a permanent one stays permanent). Evaluates to whether this transition won.
macro_rules! mark_paid {
    ($tx:ident, $order_id:expr, $user_id:expr, $now:expr) => {{
        let won = sqlx::query(
            "UPDATE orders SET status = 'paid', paid_at = $2, updated_at = $2 \
             WHERE id = $1 AND status = 'pending'",
        )
        .bind($order_id)
        .bind($now)
        .execute(&mut *$tx)
        .await?
        .rows_affected()
            == 1;
        if won {
            sqlx::query("UPDATE coupon_uses SET status = 'used' WHERE order_id = $1")
                .bind($order_id)
                .execute(&mut *$tx)
                .await?;
            let items: Vec<(i64, i32)> = sqlx::query_as(
                "SELECT course_id, valid_months FROM order_items \
                 WHERE order_id = $1 AND course_id IS NOT NULL",
            )
            .bind($order_id)
            .fetch_all(&mut *$tx)
            .await?;
            for (course_id, months) in items {
                let current: Option<Option<DateTime<Utc>>> = sqlx::query_scalar(
                    "SELECT expires_at FROM enrollments WHERE user_id = $1 AND course_id = $2",
                )
                .bind($user_id)
                .bind(course_id)
                .fetch_optional(&mut *$tx)
                .await?;
                let expires = enrolment_end(current, months, $now);
                if current.is_none() {
                    sqlx::query(
                        "INSERT INTO enrollments (user_id, course_id, created_at, expires_at) \
                         VALUES ($1, $2, $3, $4)",
                    )
                    .bind($user_id)
                    .bind(course_id)
                    .bind($now)
                    .bind(expires)
                    .execute(&mut *$tx)
                    .await?;
                    sqlx::query(
                        "UPDATE courses SET enrollment_count = enrollment_count + 1 WHERE id = $1",
                    )
                    .bind(course_id)
                    .execute(&mut *$tx)
                    .await?;
                } else {
                    sqlx::query(
                        "UPDATE enrollments SET expires_at = $3 WHERE user_id = $1 AND course_id = $2",
                    )
                    .bind($user_id)
                    .bind(course_id)
                    .bind(expires)
                    .execute(&mut *$tx)
                    .await?;
                }
            }
        }
        won
    }};
}

/// The end of an enrolment bought for `months` (0: for good) on top of `current` (the row's
/// `expires_at` if the user has a row): a renewal starts where the running access ends.
pub fn enrolment_end(
    current: Option<Option<DateTime<Utc>>>,
    months: i32,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let months = u32::try_from(months).ok().filter(|m| *m > 0)?;
    let start = match current {
        Some(None) => return None,
        Some(Some(end)) if end > now => end,
        _ => now,
    };
    start.checked_add_months(Months::new(months))
}

/// Creates a pending order with its items, its coupon's reservation and its audit entry; a
/// free order (total 0) is paid and enrolled in the same transaction. Returns the order id.
///
/// The coupon is reserved first, by one guarded update of its row (`reserved < total_quantity`):
/// that row lock orders parallel checkouts with one coupon, so a single-use coupon goes to
/// exactly one of them, and the per-user count read after it sees every committed use.
pub async fn create(
    db: &Db,
    order: &NewOrder<'_>,
    now: DateTime<Utc>,
) -> Result<Result<i64, CouponRefusal>, sqlx::Error> {
    on_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        if let Some(coupon) = &order.coupon {
            let won = sqlx::query(
                "UPDATE coupons SET reserved = reserved + 1 WHERE id = $1 AND reserved < total_quantity")
                .bind(coupon.coupon_id).execute(&mut *tx).await?.rows_affected() == 1;
            if !won {
                return Ok(Err(CouponRefusal::UsedUp));
            }
            let mine: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM coupon_uses WHERE coupon_id = $1 AND user_id = $2 \
                 AND status <> 'returned'")
                .bind(coupon.coupon_id).bind(order.user_id).fetch_one(&mut *tx).await?;
            if mine >= i64::from(coupon.per_user_limit) {
                return Ok(Err(CouponRefusal::LimitReached));
            }
        }
        let discount = order.coupon.as_ref().map_or(0, |c| c.discount_cents);
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO orders (order_no, user_id, kind, status, total_cents, discount_cents, \
             expires_at, created_at, updated_at) \
             VALUES ($1, $2, 'course', 'pending', $3, $4, $5, $6, $6) RETURNING id")
            .bind(order.order_no).bind(order.user_id).bind(order.total_cents).bind(discount)
            .bind(order.expires_at).bind(now)
            .fetch_one(&mut *tx).await?;
        if let Some(coupon) = &order.coupon {
            sqlx::query(
                "INSERT INTO coupon_uses (coupon_id, user_id, order_id, status, created_at) \
                 VALUES ($1, $2, $3, 'reserved', $4)")
                .bind(coupon.coupon_id).bind(order.user_id).bind(id).bind(now)
                .execute(&mut *tx).await?;
        }
        for item in order.items {
            sqlx::query(
                "INSERT INTO order_items (order_id, course_id, title, price_cents, price_policy_id, \
                 valid_months) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(id).bind(item.course_id).bind(&item.title).bind(item.price_cents)
                .bind(item.price_policy_id).bind(item.valid_months)
                .execute(&mut *tx).await?;
        }
        let changes = serde_json::json!({"status": {"from": null, "to": "pending"},
            "total_cents": {"from": null, "to": order.total_cents}}).to_string();
        sqlx::query(AUDIT).bind(order.user_id).bind("create").bind(id.to_string())
            .bind(order.order_no).bind(changes).bind(order.ip).bind(now)
            .execute(&mut *tx).await?;
        if order.total_cents == 0 {
            mark_paid!(tx, id, order.user_id, now);
            sqlx::query(AUDIT).bind(order.user_id).bind("change").bind(id.to_string())
                .bind(order.order_no).bind(status_change("pending", "paid")).bind(order.ip).bind(now)
                .execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(Ok(id))
    })
}

pub async fn by_no_for_user(
    db: &Db,
    order_no: &str,
    user_id: i64,
) -> Result<Option<OrderRow>, sqlx::Error> {
    let sql = format!("SELECT {ORDER_COLUMNS} FROM orders WHERE order_no = $1 AND user_id = $2");
    on_pool!(db, pool => sqlx::query_as(&sql).bind(order_no).bind(user_id).fetch_optional(pool).await)
}

/// Any user's order (for staff).
pub async fn by_no(db: &Db, order_no: &str) -> Result<Option<OrderRow>, sqlx::Error> {
    let sql = format!("SELECT {ORDER_COLUMNS} FROM orders WHERE order_no = $1");
    on_pool!(db, pool => sqlx::query_as(&sql).bind(order_no).fetch_optional(pool).await)
}

pub async fn by_id(db: &Db, id: i64) -> Result<Option<OrderRow>, sqlx::Error> {
    let sql = format!("SELECT {ORDER_COLUMNS} FROM orders WHERE id = $1");
    on_pool!(db, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)
}

/// The user's newest orders (at most `limit`).
pub async fn for_user(db: &Db, user_id: i64, limit: i64) -> Result<Vec<OrderRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {ORDER_COLUMNS} FROM orders WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"
    );
    on_pool!(db, pool => sqlx::query_as(&sql).bind(user_id).bind(limit).fetch_all(pool).await)
}

/// The items of these orders, in the order they were added.
pub async fn items_of(db: &Db, order_ids: &[i64]) -> Result<Vec<ItemRow>, sqlx::Error> {
    if order_ids.is_empty() {
        return Ok(Vec::new());
    }
    let marks: Vec<String> = (1..=order_ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT order_id, course_id, title, price_policy_id, valid_months, price_cents \
         FROM order_items WHERE order_id IN ({}) ORDER BY id",
        marks.join(", ")
    );
    on_pool!(db, pool => {
        let mut query = sqlx::query_as(&sql);
        for id in order_ids {
            query = query.bind(*id);
        }
        query.fetch_all(pool).await
    })
}

/// Closes a pending order (cancelled by its owner, or expired: then only once `expires_at`
/// passed), its open payments with it. `false` when it was not pending (paid, closed already,
/// or not yet expired).
pub async fn close(
    db: &Db,
    order: &OrderRow,
    actor_id: Option<i64>,
    only_if_expired: bool,
    ip: Option<&str>,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let guard = if only_if_expired {
        " AND expires_at <= $2"
    } else {
        ""
    };
    let sql = format!(
        "UPDATE orders SET status = 'closed', closed_at = $2, updated_at = $2 \
         WHERE id = $1 AND status = 'pending'{guard}"
    );
    on_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let won = sqlx::query(&sql).bind(order.id).bind(now).execute(&mut *tx).await?
            .rows_affected() == 1;
        if won {
            sqlx::query("UPDATE payments SET status = 'closed', updated_at = $2 \
                         WHERE order_id = $1 AND status = 'created'")
                .bind(order.id).bind(now).execute(&mut *tx).await?;
            // Its coupon goes back.
            let returned: Option<i64> = sqlx::query_scalar(
                "UPDATE coupon_uses SET status = 'returned' WHERE order_id = $1 \
                 AND status = 'reserved' RETURNING coupon_id")
                .bind(order.id).fetch_optional(&mut *tx).await?;
            if let Some(coupon_id) = returned {
                sqlx::query("UPDATE coupons SET reserved = reserved - 1 WHERE id = $1")
                    .bind(coupon_id).execute(&mut *tx).await?;
            }
            sqlx::query(AUDIT).bind(actor_id).bind("change").bind(order.id.to_string())
                .bind(&order.order_no).bind(status_change("pending", "closed")).bind(ip).bind(now)
                .execute(&mut *tx).await?;
            tx.commit().await?;
        }
        Ok(won)
    })
}

/// A verified notification of a payment that the gateway checked against its payment row
/// (provider and amount).
pub struct Settlement<'a> {
    pub payment: &'a super::payments::PaymentRow,
    pub provider: &'a str,
    /// The provider's id of this notification (Alipay `notify_id`, WeChat's event `id`).
    pub notify_key: &'a str,
    pub provider_trade_no: Option<&'a str>,
    pub body: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settled {
    /// This notification paid the order.
    Paid,
    /// The same notification came before: nothing changed.
    Duplicate,
    /// This payment had paid the order already (a query's answer, then the notification):
    /// nothing changed.
    AlreadyPaid,
    /// The order had been paid through another payment: this money is marked refund due.
    PaidElsewhere,
    /// The order was closed before the money came: the payment is marked refund due and the
    /// order stays closed.
    Closed,
}

/// Stores the notification once and pays its order, all under the order's row lock. Paying
/// closes the order's other open payments (the buyer may have opened two providers' pages);
/// money that still arrives through one of them is marked `refund_due_at`, never lost.
pub async fn settle(
    db: &Db,
    s: &Settlement<'_>,
    now: DateTime<Utc>,
) -> Result<Settled, sqlx::Error> {
    let order_id = s.payment.order_id;
    on_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        // The row lock first: parallel deliveries of one notification queue up here.
        sqlx::query("UPDATE orders SET updated_at = updated_at WHERE id = $1")
            .bind(order_id).execute(&mut *tx).await?;
        let fresh = sqlx::query(
            "INSERT INTO payment_notifications (provider, notify_key, payment_id, body, received_at, \
             outcome) VALUES ($1, $2, $3, $4, $5, 'accepted') ON CONFLICT (provider, notify_key) DO NOTHING")
            .bind(s.provider).bind(s.notify_key).bind(s.payment.id).bind(s.body).bind(now)
            .execute(&mut *tx).await?.rows_affected() == 1;
        if !fresh {
            return Ok(Settled::Duplicate);
        }
        let (status, user_id, order_no): (String, i64, String) = sqlx::query_as(
            "SELECT status, user_id, order_no FROM orders WHERE id = $1")
            .bind(order_id).fetch_one(&mut *tx).await?;
        let payment_status: String = sqlx::query_scalar("SELECT status FROM payments WHERE id = $1")
            .bind(s.payment.id).fetch_one(&mut *tx).await?;
        let outcome = if status == "pending" {
            mark_paid!(tx, order_id, user_id, now);
            sqlx::query("UPDATE payments SET status = 'succeeded', provider_trade_no = $2, \
                         paid_at = $3, updated_at = $3 WHERE id = $1")
                .bind(s.payment.id).bind(s.provider_trade_no).bind(now)
                .execute(&mut *tx).await?;
            sqlx::query("UPDATE payments SET status = 'closed', updated_at = $3 \
                         WHERE order_id = $1 AND id <> $2 AND status = 'created'")
                .bind(order_id).bind(s.payment.id).bind(now)
                .execute(&mut *tx).await?;
            sqlx::query(AUDIT).bind(None::<i64>).bind("change").bind(order_id.to_string())
                .bind(&order_no).bind(status_change("pending", "paid")).bind(None::<&str>).bind(now)
                .execute(&mut *tx).await?;
            Settled::Paid
        } else if payment_status == "succeeded" || payment_status == "refunded" {
            // This payment paid its order already (and may have been refunded since: Alipay
            // notifies again on each refund, with the trade still TRADE_SUCCESS). No new money.
            Settled::AlreadyPaid
        } else {
            // Money the order cannot take: kept on its payment, for a refund.
            sqlx::query("UPDATE payments SET status = 'succeeded', provider_trade_no = $2, \
                         paid_at = $3, refund_due_at = $3, updated_at = $3 WHERE id = $1")
                .bind(s.payment.id).bind(s.provider_trade_no).bind(now)
                .execute(&mut *tx).await?;
            let changes = serde_json::json!({
                "refund_due": {"payment": s.payment.out_trade_no, "amount_cents": s.payment.amount_cents,
                               "order_status": status}
            }).to_string();
            sqlx::query(AUDIT).bind(None::<i64>).bind("change").bind(order_id.to_string())
                .bind(&order_no).bind(changes).bind(None::<&str>).bind(now)
                .execute(&mut *tx).await?;
            if status == "closed" { Settled::Closed } else { Settled::PaidElsewhere }
        };
        tx.commit().await?;
        Ok(outcome)
    })
}

/// Orders still pending that expired before `before` (their close job gave up), oldest first;
/// not seckill orders, which their seat's release closes.
pub async fn pending_expired_before(
    db: &Db,
    before: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<i64>, sqlx::Error> {
    on_pool!(db, pool => sqlx::query_scalar(
        "SELECT id FROM orders WHERE status = 'pending' AND expires_at < $1 \
         AND kind <> 'seckill' ORDER BY expires_at LIMIT $2")
        .bind(before).bind(limit).fetch_all(pool).await)
}
