//! Seckill events, the seats buyers secured, and the orders those seats are.
//!
//! A seat is taken in one transaction that starts with the guarded write on the event row
//! (`stock_left = stock_left - 1 WHERE stock_left > 0`: PostgreSQL's row lock, SQLite's single
//! writer), so parallel buyers on any number of processes queue there and the database never
//! counts more seats than the stock; the unique index on (event, user, seat) makes writing the
//! same claim twice a no-op. A seat goes back once: its `held → returned` update is guarded.

use chrono::{DateTime, Utc};

use super::Db;
use crate::on_pool;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    pub id: i64,
    pub course_id: i64,
    pub price_policy_id: i64,
    pub title: String,
    pub price_cents: i64,
    pub stock: i32,
    pub stock_left: i32,
    pub per_user_limit: i32,
    pub pay_window_minutes: i32,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const EVENT_COLUMNS: &str =
    "id, course_id, price_policy_id, title, price_cents, stock, stock_left, \
     per_user_limit, pay_window_minutes, starts_at, ends_at, status, created_at, updated_at";

/// An event's fields as written (create, or the merged result of a change).
#[derive(Debug, Clone)]
pub struct EventFields {
    pub course_id: i64,
    pub price_policy_id: i64,
    pub title: String,
    pub price_cents: i64,
    pub stock: i32,
    pub per_user_limit: i32,
    pub pay_window_minutes: i32,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub status: String,
}

const AUDIT: &str =
    "INSERT INTO audit_log (actor_id, action, object_type, object_id, object_repr, \
     changes, ip, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

pub async fn insert_event(
    db: &Db,
    f: &EventFields,
    actor: i64,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    on_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO seckill_events (course_id, price_policy_id, title, price_cents, stock, \
             stock_left, per_user_limit, pay_window_minutes, starts_at, ends_at, status, created_by, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9, $10, $11, $12, $12) \
             RETURNING id")
            .bind(f.course_id).bind(f.price_policy_id).bind(&f.title).bind(f.price_cents)
            .bind(f.stock).bind(f.per_user_limit).bind(f.pay_window_minutes).bind(f.starts_at)
            .bind(f.ends_at).bind(&f.status).bind(actor).bind(now)
            .fetch_one(&mut *tx).await?;
        let changes = serde_json::json!({"stock": f.stock, "price_cents": f.price_cents,
            "status": f.status}).to_string();
        sqlx::query(AUDIT).bind(actor).bind("create").bind("seckill_event").bind(id.to_string())
            .bind(&f.title).bind(changes).bind(None::<&str>).bind(now)
            .execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(id)
    })
}

/// Writes the merged fields. A change of stock moves `stock_left` by the same amount and is
/// guarded by the start (`starts_at > now`, read in the same statement), so a sale that began
/// meanwhile keeps its stock: `false` then.
pub async fn update_event(
    db: &Db,
    id: i64,
    f: &EventFields,
    actor: i64,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    on_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let won = sqlx::query(
            "UPDATE seckill_events SET course_id = $2, price_policy_id = $3, title = $4, \
             price_cents = $5, stock_left = stock_left + ($6 - stock), stock = $6, \
             per_user_limit = $7, pay_window_minutes = $8, starts_at = $9, ends_at = $10, \
             status = $11, updated_at = $12 \
             WHERE id = $1 AND (stock = $6 OR starts_at > $12)")
            .bind(id).bind(f.course_id).bind(f.price_policy_id).bind(&f.title).bind(f.price_cents)
            .bind(f.stock).bind(f.per_user_limit).bind(f.pay_window_minutes).bind(f.starts_at)
            .bind(f.ends_at).bind(&f.status).bind(now)
            .execute(&mut *tx).await?.rows_affected() == 1;
        if won {
            let changes = serde_json::json!({"stock": f.stock, "price_cents": f.price_cents,
                "status": f.status, "starts_at": f.starts_at, "ends_at": f.ends_at}).to_string();
            sqlx::query(AUDIT).bind(actor).bind("change").bind("seckill_event").bind(id.to_string())
                .bind(&f.title).bind(changes).bind(None::<&str>).bind(now)
                .execute(&mut *tx).await?;
            tx.commit().await?;
        }
        Ok(won)
    })
}

pub async fn event(db: &Db, id: i64) -> Result<Option<EventRow>, sqlx::Error> {
    let sql = format!("SELECT {EVENT_COLUMNS} FROM seckill_events WHERE id = $1");
    on_pool!(db, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)
}

/// Published events still running or ending after `since`, soonest first (at most 100).
pub async fn published_since(db: &Db, since: DateTime<Utc>) -> Result<Vec<EventRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM seckill_events WHERE status = 'published' AND ends_at > $1 \
         ORDER BY starts_at, id LIMIT 100"
    );
    on_pool!(db, pool => sqlx::query_as(&sql).bind(since).fetch_all(pool).await)
}

/// What one seat's order is made of.
pub struct SeatOrder<'a> {
    pub order_no: &'a str,
    pub title: &'a str,
    pub valid_months: i32,
    pub expires_at: DateTime<Utc>,
    pub ip: Option<&'a str>,
}

/// The outcome of taking a seat in the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taken {
    /// Written: the seat's row and its pending order.
    Seat {
        seat_id: i64,
        order_id: i64,
        seat: i64,
    },
    /// This claim (event, user, seat) was written before: nothing changed.
    Duplicate,
    SoldOut,
    LimitReached,
}

/// Takes a seat of `event` for `user_id`. `seat: None` is the embedded mode's decision (the
/// stock guard, then the user's limit, both under the event row's lock); `Some(n)` writes the
/// n-th claim Redis decided on (idempotent by the unique index; `SoldOut` there means the
/// database's count disagrees with Redis, which the caller reports).
pub async fn take_seat(
    db: &Db,
    event: &EventRow,
    user_id: i64,
    seat: Option<i64>,
    order: &SeatOrder<'_>,
    now: DateTime<Utc>,
) -> Result<Taken, sqlx::Error> {
    on_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        // The write first (the lock; SQLite never upgrades a read snapshot), then the reads.
        let won = sqlx::query(
            "UPDATE seckill_events SET stock_left = stock_left - 1 WHERE id = $1 AND stock_left > 0")
            .bind(event.id).execute(&mut *tx).await?.rows_affected() == 1;
        if let Some(n) = seat {
            let seen: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM seckill_seats WHERE event_id = $1 AND user_id = $2 AND seat = $3")
                .bind(event.id).bind(user_id).bind(n).fetch_optional(&mut *tx).await?;
            if seen.is_some() {
                // Dropping the transaction undoes the decrement.
                return Ok(Taken::Duplicate);
            }
        }
        if !won {
            return Ok(Taken::SoldOut);
        }
        let (held, last): (i64, i64) = sqlx::query_as(
            "SELECT COALESCE(SUM(CASE WHEN status = 'held' THEN 1 ELSE 0 END), 0), \
             CAST(COALESCE(MAX(seat), 0) AS BIGINT) FROM seckill_seats WHERE event_id = $1 AND user_id = $2")
            .bind(event.id).bind(user_id).fetch_one(&mut *tx).await?;
        // The limit holds here too for Redis' claims: Redis decides first, but a Redis that
        // lost its buyers (a failover, an eviction) must not let anybody past it.
        if held >= i64::from(event.per_user_limit) {
            return Ok(Taken::LimitReached);
        }
        let number = seat.unwrap_or(last + 1);
        let order_id: i64 = sqlx::query_scalar(
            "INSERT INTO orders (order_no, user_id, kind, status, total_cents, discount_cents, \
             expires_at, created_at, updated_at) \
             VALUES ($1, $2, 'seckill', 'pending', $3, 0, $4, $5, $5) RETURNING id")
            .bind(order.order_no).bind(user_id).bind(event.price_cents).bind(order.expires_at)
            .bind(now).fetch_one(&mut *tx).await?;
        sqlx::query(
            "INSERT INTO order_items (order_id, course_id, title, price_cents, price_policy_id, \
             valid_months) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(order_id).bind(event.course_id).bind(order.title).bind(event.price_cents)
            .bind(event.price_policy_id).bind(order.valid_months)
            .execute(&mut *tx).await?;
        let seat_id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO seckill_seats (event_id, user_id, seat, order_id, status, created_at) \
             VALUES ($1, $2, $3, $4, 'held', $5) ON CONFLICT (event_id, user_id, seat) DO NOTHING \
             RETURNING id")
            .bind(event.id).bind(user_id).bind(number).bind(order_id).bind(now)
            .fetch_optional(&mut *tx).await?;
        let Some(seat_id) = seat_id else {
            // Another writer took this claim first (dropping the transaction undoes ours).
            return Ok(Taken::Duplicate);
        };
        let changes = serde_json::json!({"status": {"from": null, "to": "pending"},
            "total_cents": {"from": null, "to": event.price_cents},
            "seckill": {"event_id": event.id, "seat": number}}).to_string();
        sqlx::query(AUDIT).bind(user_id).bind("create").bind("order").bind(order_id.to_string())
            .bind(order.order_no).bind(changes).bind(order.ip).bind(now)
            .execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(Taken::Seat { seat_id, order_id, seat: number })
    })
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SeatRow {
    pub id: i64,
    pub event_id: i64,
    pub user_id: i64,
    pub seat: i64,
    pub status: String,
    pub order_id: i64,
    pub order_no: String,
    pub order_status: String,
    pub expires_at: DateTime<Utc>,
}

const SEAT_COLUMNS: &str =
    "s.id, s.event_id, s.user_id, CAST(s.seat AS BIGINT) AS seat, s.status, \
     s.order_id, o.order_no, o.status AS order_status, o.expires_at";

/// The user's seats of an event, by seat number.
pub async fn seats_of(db: &Db, event_id: i64, user_id: i64) -> Result<Vec<SeatRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {SEAT_COLUMNS} FROM seckill_seats s JOIN orders o ON o.id = s.order_id \
         WHERE s.event_id = $1 AND s.user_id = $2 ORDER BY s.seat"
    );
    on_pool!(db, pool => sqlx::query_as(&sql).bind(event_id).bind(user_id).fetch_all(pool).await)
}

pub async fn seat(db: &Db, seat_id: i64) -> Result<Option<SeatRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {SEAT_COLUMNS} FROM seckill_seats s JOIN orders o ON o.id = s.order_id \
         WHERE s.id = $1"
    );
    on_pool!(db, pool => sqlx::query_as(&sql).bind(seat_id).fetch_optional(pool).await)
}

/// What the close of a seat's order found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Released {
    /// This call closed the order (or found it closed) and gave the seat back to the stock.
    Returned,
    /// The seat went back before: nothing changed.
    AlreadyReturned,
    /// Paid: the seat stays sold.
    Paid,
    /// Still pending and not yet expired.
    NotYet,
}

/// Closes the seat's order if it is pending past its expiry, and returns the seat of a closed
/// order to the stock: one transaction, guarded on both rows, so a second run changes nothing.
pub async fn release(db: &Db, seat_id: i64, now: DateTime<Utc>) -> Result<Released, sqlx::Error> {
    on_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        // The order row first (its lock), then what it says.
        let closed = sqlx::query(
            "UPDATE orders SET status = 'closed', closed_at = $2, updated_at = $2 \
             WHERE id = (SELECT order_id FROM seckill_seats WHERE id = $1) \
             AND status = 'pending' AND expires_at <= $2")
            .bind(seat_id).bind(now).execute(&mut *tx).await?.rows_affected() == 1;
        let (order_id, order_no, status): (i64, String, String) = sqlx::query_as(
            "SELECT o.id, o.order_no, o.status FROM orders o \
             JOIN seckill_seats s ON s.order_id = o.id WHERE s.id = $1")
            .bind(seat_id).fetch_one(&mut *tx).await?;
        if closed {
            sqlx::query("UPDATE payments SET status = 'closed', updated_at = $2 \
                         WHERE order_id = $1 AND status = 'created'")
                .bind(order_id).bind(now).execute(&mut *tx).await?;
            let changes = serde_json::json!({"status": {"from": "pending", "to": "closed"}})
                .to_string();
            sqlx::query(AUDIT).bind(None::<i64>).bind("change").bind("order")
                .bind(order_id.to_string()).bind(&order_no).bind(changes).bind(None::<&str>)
                .bind(now).execute(&mut *tx).await?;
        }
        let outcome = match status.as_str() {
            "pending" => Released::NotYet,
            "closed" => {
                let returned = sqlx::query(
                    "UPDATE seckill_seats SET status = 'returned', returned_at = $2 \
                     WHERE id = $1 AND status = 'held'")
                    .bind(seat_id).bind(now).execute(&mut *tx).await?.rows_affected() == 1;
                if returned {
                    sqlx::query("UPDATE seckill_events SET stock_left = stock_left + 1 \
                                 WHERE id = (SELECT event_id FROM seckill_seats WHERE id = $1)")
                        .bind(seat_id).execute(&mut *tx).await?;
                    Released::Returned
                } else {
                    Released::AlreadyReturned
                }
            }
            _ => Released::Paid,
        };
        tx.commit().await?;
        Ok(outcome)
    })
}

/// The database's side of an event for reconciliation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct Tally {
    pub held: i64,
    pub returned: i64,
    pub buyers_over_limit: i64,
}

pub async fn tally(db: &Db, event_id: i64, limit: i32) -> Result<Tally, sqlx::Error> {
    on_pool!(db, pool => sqlx::query_as(
        "SELECT \
           (SELECT COUNT(*) FROM seckill_seats WHERE event_id = $1 AND status = 'held') AS held, \
           (SELECT COUNT(*) FROM seckill_seats WHERE event_id = $1 AND status = 'returned') AS returned, \
           (SELECT COUNT(*) FROM (SELECT user_id FROM seckill_seats WHERE event_id = $1 \
              AND status = 'held' GROUP BY user_id HAVING COUNT(*) > $2) o) AS buyers_over_limit")
        .bind(event_id).bind(i64::from(limit)).fetch_one(pool).await)
}
