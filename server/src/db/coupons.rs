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
