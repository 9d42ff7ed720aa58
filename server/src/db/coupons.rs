//! Coupons by code (reserving and returning them is part of the order's transactions in
//! [`super::orders`]).

use super::Db;
use crate::on_pool;
use crate::orders::coupons::CouponRow;

/// The coupon with this code (codes are compared as typed, trimmed).
pub async fn by_code(db: &Db, code: &str) -> Result<Option<CouponRow>, sqlx::Error> {
    on_pool!(db, pool => sqlx::query_as(
        "SELECT id, code, kind, amount_cents, percent_off, min_total_cents, course_id, starts_at, \
         ends_at, per_user_limit, total_quantity, reserved FROM coupons WHERE code = $1")
        .bind(code.trim()).fetch_optional(pool).await)
}

/// The demo catalogue's coupon: `DEMO10`, ¥10 off any order from ¥20, once per user, for ten
/// years from the seed (the Chromium checkout spec applies it).
pub async fn seed_demo(db: &Db) -> Result<(), sqlx::Error> {
    let now = chrono::Utc::now();
    on_pool!(db, pool => sqlx::query(
        "INSERT INTO coupons (code, kind, amount_cents, min_total_cents, starts_at, ends_at, \
         per_user_limit, total_quantity) VALUES ('DEMO10', 'threshold', 1000, 2000, $1, $2, 1, 1000000) \
         ON CONFLICT (code) DO NOTHING")
        .bind(now).bind(now + chrono::Duration::days(3650))
        .execute(pool).await.map(|_| ()))
}
