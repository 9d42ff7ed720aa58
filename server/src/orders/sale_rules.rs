//! The rules of price policies and coupons that the back office's generic forms cannot say
//! field by field: a validity the checkout knows, a coupon whose kind has the amount it needs,
//! a window that ends after it starts. The database's CHECK constraints hold some of the same
//! lines (a price above 0, a known validity, a percentage, a quantity not below what is
//! reserved, which a checkout racing the edit can only meet there: a 409).

use app::error::{AppError, FieldError};
use app::i18n::td_string;
use chrono::{DateTime, FixedOffset};
use serde_json::Value;

use crate::model_engine::input::Assignments;
use crate::model_engine::Record;

/// Months a price policy can give; 0 is for good (as the checkout and enrolment read it).
pub const VALID_MONTHS: [i64; 5] = [0, 1, 3, 6, 12];

/// A field's value after this write: the assigned one, else the stored one (`null` as absent).
fn effective(before: Option<&Record>, values: &Assignments, name: &str) -> Option<Value> {
    match values.iter().find(|(f, _)| f.name == name) {
        Some((_, v)) => Some(v.to_json()),
        None => before.and_then(|b| b.get(name)).cloned(),
    }
    .filter(|v| !v.is_null())
}

fn int(before: Option<&Record>, values: &Assignments, name: &str) -> i64 {
    effective(before, values, name)
        .and_then(|v| v.as_i64())
        .unwrap_or(0)
}

fn time(
    before: Option<&Record>,
    values: &Assignments,
    name: &str,
) -> Option<DateTime<FixedOffset>> {
    effective(before, values, name)
        .and_then(|v| v.as_str().map(str::to_string))
        .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
}

fn verdict(errors: Vec<FieldError>) -> Result<(), AppError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errors))
    }
}

pub fn price_policy(before: Option<&Record>, values: &mut Assignments) -> Result<(), AppError> {
    let mut errors = Vec::new();
    let months = int(before, values, "valid_months");
    if !VALID_MONTHS.contains(&months) {
        errors.push(FieldError::new(
            "valid_months",
            td_string!(app::locale::current(), errors.price_policy_months),
        ));
    }
    if int(before, values, "price_cents") <= 0 {
        errors.push(FieldError::new(
            "price_cents",
            td_string!(app::locale::current(), errors.price_policy_positive),
        ));
    }
    verdict(errors)
}

pub fn coupon(before: Option<&Record>, values: &mut Assignments) -> Result<(), AppError> {
    let mut errors = Vec::new();
    let code = effective(before, values, "code")
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let code_ok = (3..=32).contains(&code.chars().count())
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !code_ok {
        errors.push(FieldError::new(
            "code",
            td_string!(app::locale::current(), errors.coupon_code_format),
        ));
    }
    let kind = effective(before, values, "kind")
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let amount = int(before, values, "amount_cents");
    match kind.as_str() {
        "fixed" if amount <= 0 => errors.push(FieldError::new(
            "amount_cents",
            td_string!(app::locale::current(), errors.coupon_fixed_amount),
        )),
        "percent" if !(1..=100).contains(&int(before, values, "percent_off")) => {
            errors.push(FieldError::new(
                "percent_off",
                td_string!(app::locale::current(), errors.coupon_percent_range),
            ))
        }
        "threshold" if amount <= 0 => errors.push(FieldError::new(
            "amount_cents",
            td_string!(app::locale::current(), errors.coupon_threshold_amount),
        )),
        "threshold" if int(before, values, "min_total_cents") <= amount => {
            errors.push(FieldError::new(
                "min_total_cents",
                td_string!(app::locale::current(), errors.coupon_threshold_min),
            ))
        }
        _ => {}
    }
    if let (Some(from), Some(until)) = (
        time(before, values, "starts_at"),
        time(before, values, "ends_at"),
    ) {
        if until <= from {
            errors.push(FieldError::new(
                "ends_at",
                td_string!(app::locale::current(), errors.ends_after_start),
            ));
        }
    }
    let reserved = int(before, values, "reserved");
    if int(before, values, "total_quantity") < reserved {
        errors.push(FieldError::new(
            "total_quantity",
            td_string!(
                app::locale::current(),
                errors.coupon_quantity_reserved,
                reserved = reserved
            )
            .to_string(),
        ));
    }
    verdict(errors)
}
