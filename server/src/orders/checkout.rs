//! Pricing a checkout: which policy each item is bought under and what it costs, from the
//! database's prices only. Pure, so its rules are unit-tested.

use app::dto::CheckoutItem;
use app::error::FieldError;

use crate::db::price_policies::{PolicyRow, SaleCourse};

/// At most this many courses in one order.
pub const MAX_ITEMS: usize = 20;

/// One priced line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Priced {
    pub price_policy_id: Option<i64>,
    pub valid_months: i32,
    pub price_cents: i64,
}

/// The line for `course` bought as `item` says: a free course costs nothing; otherwise the
/// named policy, or by default the permanent one, else the longest. `field` names the item in
/// errors (`items[0].price_policy_id`).
pub fn price(
    item: &CheckoutItem,
    course: &SaleCourse,
    policies: &[PolicyRow],
    field: &str,
) -> Result<Priced, FieldError> {
    if course.price_cents == 0 && policies.is_empty() {
        return match item.price_policy_id {
            None => Ok(Priced {
                price_policy_id: None,
                valid_months: 0,
                price_cents: 0,
            }),
            Some(_) => Err(FieldError::new(
                format!("{field}.price_policy_id"),
                "this course is free: send no price policy",
            )),
        };
    }
    let chosen = match item.price_policy_id {
        Some(id) => policies.iter().find(|p| p.id == id).ok_or_else(|| {
            FieldError::new(
                format!("{field}.price_policy_id"),
                "not a price policy of this course",
            )
        })?,
        None => policies
            .iter()
            .find(|p| p.valid_months == 0)
            .or_else(|| policies.iter().max_by_key(|p| p.valid_months))
            .ok_or_else(|| {
                FieldError::new(
                    format!("{field}.course_id"),
                    "this course is not for sale yet",
                )
            })?,
    };
    Ok(Priced {
        price_policy_id: Some(chosen.id),
        valid_months: chosen.valid_months,
        price_cents: chosen.price_cents,
    })
}

/// Refuses an empty, oversized or repetitive list before anything is read.
pub fn check_items(items: &[CheckoutItem]) -> Result<(), FieldError> {
    if items.is_empty() {
        return Err(FieldError::new("items", "choose at least one course"));
    }
    if items.len() > MAX_ITEMS {
        return Err(FieldError::new(
            "items",
            format!("at most {MAX_ITEMS} courses in one order"),
        ));
    }
    for (i, item) in items.iter().enumerate() {
        if items[..i].iter().any(|o| o.course_id == item.course_id) {
            return Err(FieldError::new(
                format!("items[{i}].course_id"),
                "this course is in the order twice",
            ));
        }
    }
    Ok(())
}

/// An order number: the day (UTC) and 80 random bits, so it is unique and cannot be guessed
/// from another one (Alipay takes up to 64 letters and digits).
pub fn order_no(now: chrono::DateTime<chrono::Utc>) -> String {
    let random = uuid::Uuid::new_v4()
        .simple()
        .to_string()
        .to_ascii_uppercase();
    format!("XC{}{}", now.format("%Y%m%d"), &random[..20])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn course(price: i64) -> SaleCourse {
        SaleCourse {
            id: 1,
            title: "Rust".into(),
            price_cents: price,
        }
    }

    fn policy(id: i64, months: i32, cents: i64) -> PolicyRow {
        PolicyRow {
            id,
            course_id: 1,
            valid_months: months,
            price_cents: cents,
        }
    }

    fn item(policy: Option<i64>) -> CheckoutItem {
        CheckoutItem {
            course_id: 1,
            price_policy_id: policy,
        }
    }

    #[test]
    fn the_default_is_permanent_else_the_longest() {
        let all = [policy(1, 3, 100), policy(2, 0, 900), policy(3, 12, 500)];
        assert_eq!(
            price(&item(None), &course(900), &all, "items[0]")
                .unwrap()
                .price_policy_id,
            Some(2)
        );
        let timed = [policy(1, 3, 100), policy(3, 12, 500)];
        let p = price(&item(None), &course(900), &timed, "items[0]").unwrap();
        assert_eq!(
            (p.price_policy_id, p.valid_months, p.price_cents),
            (Some(3), 12, 500)
        );
        let named = price(&item(Some(1)), &course(900), &all, "items[0]").unwrap();
        assert_eq!(named.price_cents, 100);
    }

    #[test]
    fn foreign_policies_and_unpriced_courses_are_refused() {
        let all = [policy(1, 3, 100)];
        let e = price(&item(Some(99)), &course(900), &all, "items[2]").unwrap_err();
        assert_eq!(e.field, "items[2].price_policy_id");
        assert!(price(&item(None), &course(900), &[], "items[0]").is_err());
        let free = price(&item(None), &course(0), &[], "items[0]").unwrap();
        assert_eq!(free.price_cents, 0);
        assert!(price(&item(Some(1)), &course(0), &[], "items[0]").is_err());
    }

    #[test]
    fn item_lists_are_bounded_and_unique() {
        assert!(check_items(&[]).is_err());
        assert!(check_items(&[item(None), item(None)]).is_err());
        let many: Vec<_> = (0..21)
            .map(|i| CheckoutItem {
                course_id: i,
                price_policy_id: None,
            })
            .collect();
        assert!(check_items(&many).is_err());
        assert!(check_items(&many[..20]).is_ok());
    }

    #[test]
    fn order_numbers_differ_and_fit_alipay() {
        let now = chrono::Utc::now();
        let (a, b) = (order_no(now), order_no(now));
        assert_ne!(a, b);
        assert_eq!(a.len(), 30);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
    }
}
