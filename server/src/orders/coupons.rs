//! Coupons at checkout: which discount a code gives an order, from the coupon's row. Pure, so
//! its rules are unit-tested; reserving it (at most `total_quantity`, at most `per_user_limit`
//! per user, atomically) happens in the order's transaction ([`crate::db::orders::create`]).

use app::error::FieldError;
use app::i18n::td_string;
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CouponRow {
    pub id: i64,
    pub code: String,
    /// `fixed`, `percent` or `threshold`.
    pub kind: String,
    pub amount_cents: i64,
    pub percent_off: i32,
    pub min_total_cents: i64,
    /// `None`: store-wide.
    pub course_id: Option<i64>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub per_user_limit: i32,
    pub total_quantity: i32,
    pub reserved: i32,
}

fn refuse(message: impl Into<String>) -> FieldError {
    FieldError::new("coupon_code", message)
}

/// The discount in cents `coupon` gives items `(course_id, price_cents)` at `now`: on its
/// course's price for a per-course coupon, on the total for a store-wide one; never more than
/// that base.
pub fn discount(
    coupon: &CouponRow,
    items: &[(i64, i64)],
    now: DateTime<Utc>,
) -> Result<i64, FieldError> {
    if now < coupon.starts_at || now >= coupon.ends_at {
        return Err(refuse(td_string!(
            app::locale::current(),
            errors.coupon_not_valid_now
        )));
    }
    if coupon.reserved >= coupon.total_quantity {
        return Err(refuse(td_string!(
            app::locale::current(),
            errors.coupon_used_up
        )));
    }
    let base = match coupon.course_id {
        Some(course) => items
            .iter()
            .find(|(id, _)| *id == course)
            .map(|(_, price)| *price)
            .ok_or_else(|| {
                refuse(td_string!(
                    app::locale::current(),
                    errors.coupon_other_course
                ))
            })?,
        None => items.iter().map(|(_, price)| price).sum(),
    };
    let off = match coupon.kind.as_str() {
        "fixed" => coupon.amount_cents,
        "percent" => base * i64::from(coupon.percent_off) / 100,
        "threshold" if base >= coupon.min_total_cents => coupon.amount_cents,
        "threshold" => {
            let amount = app::domain::Cents(coupon.min_total_cents);
            return Err(refuse(
                td_string!(
                    app::locale::current(),
                    errors.coupon_min_total,
                    amount = amount
                )
                .to_string(),
            ));
        }
        _ => {
            return Err(refuse(td_string!(
                app::locale::current(),
                errors.coupon_unusable
            )))
        }
    };
    Ok(off.clamp(0, base))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn coupon(kind: &str, course: Option<i64>) -> CouponRow {
        let now = Utc::now();
        CouponRow {
            id: 1,
            code: "C".into(),
            kind: kind.into(),
            amount_cents: 2000,
            percent_off: 15,
            min_total_cents: 10_000,
            course_id: course,
            starts_at: now - chrono::Duration::hours(1),
            ends_at: now + chrono::Duration::hours(1),
            per_user_limit: 1,
            total_quantity: 5,
            reserved: 0,
        }
    }

    #[test]
    fn each_kind_discounts_its_base() {
        let now = Utc::now();
        let items = [(1, 9_900), (2, 5_000)];
        assert_eq!(discount(&coupon("fixed", None), &items, now), Ok(2000));
        assert_eq!(discount(&coupon("percent", Some(1)), &items, now), Ok(1485));
        assert_eq!(discount(&coupon("threshold", None), &items, now), Ok(2000));
        assert!(discount(&coupon("threshold", Some(2)), &items, now).is_err());
        assert!(discount(&coupon("fixed", Some(3)), &items, now).is_err());
        // Never more than the base.
        assert_eq!(
            discount(&coupon("fixed", Some(2)), &[(2, 500)], now),
            Ok(500)
        );
    }

    #[test]
    fn the_window_and_the_quantity_are_checked() {
        let now = Utc::now();
        let mut late = coupon("fixed", None);
        late.ends_at = now;
        assert!(discount(&late, &[(1, 100)], now).is_err());
        let mut gone = coupon("fixed", None);
        gone.reserved = 5;
        assert!(discount(&gone, &[(1, 100)], now).is_err());
    }
}
