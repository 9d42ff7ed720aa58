//! Staff writing events (`seckill.manage`): the input checked field by field, the course's
//! policy (by default its longest), stock that cannot change once the sale has begun, and the
//! stock loaded into Redis when the event is published.

use app::domain::Principal;
use app::error::{AppError, FieldError};
use app::i18n::td_string;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{load, EventView, Seckill};
use crate::db::price_policies;
use crate::db::seckill::{self as repo, EventFields, EventRow};
use crate::error::ResultExt;

pub const PERMISSION: &str = "seckill.manage";
/// Bounds the database enforces too (its CHECK constraints).
pub const MAX_STOCK: i64 = 1_000_000;
pub const MAX_PRICE_CENTS: i64 = 100_000_000;
pub const MAX_PER_USER: i64 = 100;
pub const MAX_PAY_WINDOW_MINUTES: i64 = 1_440;
/// The longest sale window.
pub const MAX_DAYS: i64 = 31;

/// `POST /api/v1/seckill-events`; on `PATCH` every field is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventInput {
    pub course_id: Option<i64>,
    pub price_policy_id: Option<i64>,
    pub title: Option<String>,
    pub price_cents: Option<i64>,
    pub stock: Option<i64>,
    pub per_user_limit: Option<i64>,
    pub starts_at: Option<String>,
    pub ends_at: Option<String>,
    pub pay_window_minutes: Option<i64>,
    pub status: Option<String>,
}

fn ranged(errors: &mut Vec<FieldError>, field: &str, value: i64, min: i64, max: i64) -> i32 {
    if !(min..=max).contains(&value) {
        errors.push(FieldError::new(
            field,
            td_string!(
                app::locale::current(),
                errors.int_between,
                min = min,
                max = max
            )
            .to_string(),
        ));
    }
    i32::try_from(value.clamp(min, max)).unwrap_or(i32::MAX)
}

fn time(errors: &mut Vec<FieldError>, field: &str, raw: &str) -> Option<DateTime<Utc>> {
    match DateTime::parse_from_rfc3339(raw.trim()) {
        Ok(t) => Some(t.with_timezone(&Utc)),
        Err(_) => {
            errors.push(FieldError::new(
                field,
                td_string!(app::locale::current(), errors.seckill_time_invalid),
            ));
            None
        }
    }
}

impl Seckill {
    /// Merges `input` over `before` (none: a new event) and checks the result.
    async fn fields(
        &self,
        before: Option<&EventRow>,
        input: EventInput,
    ) -> Result<EventFields, AppError> {
        let mut errors = Vec::new();
        let missing = |errors: &mut Vec<FieldError>, field: &str| {
            errors.push(FieldError::new(
                field,
                td_string!(app::locale::current(), errors.field_required),
            ));
        };
        let course_id = match (input.course_id, before) {
            (Some(id), _) => id,
            (None, Some(b)) => b.course_id,
            (None, None) => {
                missing(&mut errors, "course_id");
                0
            }
        };
        let title = match (input.title, before) {
            (Some(t), _) => t.trim().to_string(),
            (None, Some(b)) => b.title.clone(),
            (None, None) => String::new(),
        };
        if title.is_empty() || title.chars().count() > 120 {
            errors.push(FieldError::new(
                "title",
                td_string!(app::locale::current(), errors.seckill_title_length),
            ));
        }
        let price_cents = match (input.price_cents, before) {
            (Some(p), _) => p,
            (None, Some(b)) => b.price_cents,
            (None, None) => {
                missing(&mut errors, "price_cents");
                1
            }
        };
        if !(1..=MAX_PRICE_CENTS).contains(&price_cents) {
            errors.push(FieldError::new(
                "price_cents",
                td_string!(
                    app::locale::current(),
                    errors.seckill_price_range,
                    max = MAX_PRICE_CENTS
                )
                .to_string(),
            ));
        }
        let stock = match (input.stock, before) {
            (Some(s), _) => ranged(&mut errors, "stock", s, 1, MAX_STOCK),
            (None, Some(b)) => b.stock,
            (None, None) => {
                missing(&mut errors, "stock");
                1
            }
        };
        let per_user_limit = match (input.per_user_limit, before) {
            (Some(n), _) => ranged(&mut errors, "per_user_limit", n, 1, MAX_PER_USER),
            (None, Some(b)) => b.per_user_limit,
            (None, None) => 1,
        };
        let pay_window_minutes = match (input.pay_window_minutes, before) {
            (Some(n), _) => ranged(
                &mut errors,
                "pay_window_minutes",
                n,
                1,
                MAX_PAY_WINDOW_MINUTES,
            ),
            (None, Some(b)) => b.pay_window_minutes,
            (None, None) => 15,
        };
        let starts_at = match (input.starts_at.as_deref(), before) {
            (Some(raw), _) => time(&mut errors, "starts_at", raw),
            (None, Some(b)) => Some(b.starts_at),
            (None, None) => {
                missing(&mut errors, "starts_at");
                None
            }
        };
        let ends_at = match (input.ends_at.as_deref(), before) {
            (Some(raw), _) => time(&mut errors, "ends_at", raw),
            (None, Some(b)) => Some(b.ends_at),
            (None, None) => {
                missing(&mut errors, "ends_at");
                None
            }
        };
        if let (Some(s), Some(e)) = (starts_at, ends_at) {
            if e <= s {
                errors.push(FieldError::new(
                    "ends_at",
                    td_string!(app::locale::current(), errors.seckill_ends_after_start),
                ));
            } else if e - s > chrono::Duration::days(MAX_DAYS) {
                errors.push(FieldError::new(
                    "ends_at",
                    td_string!(
                        app::locale::current(),
                        errors.seckill_too_long,
                        n = MAX_DAYS
                    )
                    .to_string(),
                ));
            }
        }
        let status = match (input.status.as_deref(), before) {
            (Some(s @ ("draft" | "published")), _) => s.to_string(),
            (Some(_), _) => {
                errors.push(FieldError::new(
                    "status",
                    td_string!(app::locale::current(), errors.seckill_status_invalid),
                ));
                String::new()
            }
            (None, Some(b)) => b.status.clone(),
            (None, None) => "published".into(),
        };
        // The course and its policy, once the rest is known to be usable.
        let mut price_policy_id = input
            .price_policy_id
            .or(before
                .map(|b| b.price_policy_id)
                .filter(|_| input.course_id.is_none()))
            .unwrap_or(0);
        if course_id > 0 {
            match price_policies::public_course(&self.core.db, course_id)
                .await
                .db_err("course")?
            {
                None => errors.push(FieldError::new(
                    "course_id",
                    td_string!(app::locale::current(), errors.seckill_course_unknown),
                )),
                Some(_) => {
                    let policies = price_policies::for_course(&self.core.db, course_id)
                        .await
                        .db_err("price policy")?;
                    // The longest validity: permanent (0) first, else the most months.
                    let default = policies
                        .iter()
                        .find(|p| p.valid_months == 0)
                        .or_else(|| policies.iter().max_by_key(|p| p.valid_months));
                    let chosen = if price_policy_id > 0 {
                        policies.iter().find(|p| p.id == price_policy_id)
                    } else {
                        default
                    };
                    match chosen {
                        Some(p) => {
                            price_policy_id = p.id;
                            if price_cents > p.price_cents {
                                let price = p.price_cents;
                                errors.push(FieldError::new(
                                    "price_cents",
                                    td_string!(
                                        app::locale::current(),
                                        errors.seckill_price_not_below,
                                        price = price
                                    )
                                    .to_string(),
                                ));
                            }
                        }
                        None if input.price_policy_id.is_some() => errors.push(FieldError::new(
                            "price_policy_id",
                            td_string!(app::locale::current(), errors.price_policy_foreign),
                        )),
                        None => errors.push(FieldError::new(
                            "course_id",
                            td_string!(app::locale::current(), errors.seckill_no_policy),
                        )),
                    }
                }
            }
        }
        match (errors.is_empty(), starts_at, ends_at) {
            (true, Some(starts_at), Some(ends_at)) => Ok(EventFields {
                course_id,
                price_policy_id,
                title,
                price_cents,
                stock,
                per_user_limit,
                pay_window_minutes,
                starts_at,
                ends_at,
                status,
            }),
            _ => Err(AppError::Validation(errors)),
        }
    }

    pub async fn create(&self, who: &Principal, input: EventInput) -> Result<EventView, AppError> {
        who.require(PERMISSION)?;
        let fields = self.fields(None, input).await?;
        let now = Utc::now();
        let id = repo::insert_event(&self.core.db, &fields, who.user_id, now)
            .await
            .db_err("seckill event")?;
        self.after_write(id).await
    }

    pub async fn change(
        &self,
        who: &Principal,
        id: i64,
        input: EventInput,
    ) -> Result<EventView, AppError> {
        who.require(PERMISSION)?;
        let before = repo::event(&self.core.db, id)
            .await
            .db_err("seckill event")?
            .ok_or_else(|| AppError::NotFound("seckill event".into()))?;
        let now = Utc::now();
        let started = before.status == "published" && now >= before.starts_at;
        if started && input.stock.is_some_and(|s| s != i64::from(before.stock)) {
            return Err(AppError::Conflict(
                td_string!(app::locale::current(), errors.seckill_stock_frozen).into(),
            ));
        }
        // Moving the start back into the future would lift every guard below (and reload
        // Redis' stock over the seats already sold).
        let moves_start = input.starts_at.as_deref().is_some_and(|raw| {
            chrono::DateTime::parse_from_rfc3339(raw)
                .map_or(true, |t| t.with_timezone(&Utc) != before.starts_at)
        });
        if started && moves_start {
            return Err(AppError::Conflict(
                td_string!(app::locale::current(), errors.seckill_start_frozen).into(),
            ));
        }
        if started && input.status.as_deref() == Some("draft") {
            return Err(AppError::Conflict(
                td_string!(app::locale::current(), errors.seckill_no_back_to_draft).into(),
            ));
        }
        if started
            && (input
                .per_user_limit
                .is_some_and(|n| n != i64::from(before.per_user_limit))
                || input.course_id.is_some_and(|c| c != before.course_id))
        {
            return Err(AppError::Conflict(
                td_string!(app::locale::current(), errors.seckill_terms_frozen).into(),
            ));
        }
        let fields = self.fields(Some(&before), input).await?;
        if !repo::update_event(&self.core.db, id, &fields, who.user_id, now)
            .await
            .db_err("seckill event")?
        {
            return Err(AppError::Conflict(
                td_string!(app::locale::current(), errors.seckill_stock_frozen).into(),
            ));
        }
        self.after_write(id).await
    }

    async fn after_write(&self, id: i64) -> Result<EventView, AppError> {
        self.events.invalidate(&id).await;
        let row = repo::event(&self.core.db, id)
            .await
            .db_err("seckill event")?
            .ok_or(AppError::Internal)?;
        load(&self.core, &row).await?;
        self.view(&row).await
    }
}
