//! Buying: the per-user and per-IP limits, the buy token, then the decision: the Lua script
//! with Redis (the claim queued in the event's stream for the consumer), or one database
//! transaction in embedded mode (the order written at once). And the buyer's claims.

use app::error::AppError;
use app::i18n::td_string;
use chrono::{DateTime, Utc};
use fred::prelude::*;
use serde::Serialize;

use super::{script, Seckill};
use crate::db::seckill::{self as repo, EventRow, SeatOrder, Taken};
use crate::error::ResultExt;
use crate::metrics::OutcomeLabels;
use crate::redis::app_error;

/// Why a buy (or a token) was refused: each is its own problem `code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    NotStarted,
    Ended,
    SoldOut,
    LimitReached,
}

impl Refusal {
    pub fn code(self) -> &'static str {
        match self {
            Refusal::NotStarted => "not_started",
            Refusal::Ended => "ended",
            Refusal::SoldOut => "sold_out",
            Refusal::LimitReached => "limit_reached",
        }
    }

    /// The refusal's text in the request's language.
    pub fn message(self) -> &'static str {
        let locale = app::locale::current();
        match self {
            Refusal::NotStarted => td_string!(locale, errors.seckill_not_started),
            Refusal::Ended => td_string!(locale, errors.seckill_ended),
            Refusal::SoldOut => td_string!(locale, errors.seckill_sold_out),
            Refusal::LimitReached => td_string!(locale, errors.seckill_limit_reached),
        }
    }
}

#[derive(Debug)]
pub enum BuyError {
    Refused(Refusal),
    App(AppError),
}

impl From<AppError> for BuyError {
    fn from(e: AppError) -> Self {
        BuyError::App(e)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct IssuedToken {
    pub token: String,
    pub expires_in: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClaimAccepted {
    pub claim_id: String,
    pub status: &'static str,
}

/// One of the buyer's claims.
#[derive(Debug, Clone, Serialize)]
pub struct ClaimView {
    pub claim_id: String,
    pub seat: i64,
    /// `queued` (in line), `held` (seat secured: pay by `pay_by`), `paid`, `returned` (not paid
    /// in time, or cancelled: the seat went back).
    pub status: &'static str,
    pub order_no: Option<String>,
    pub pay_by: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MyClaims {
    pub event_id: i64,
    pub count: usize,
    pub results: Vec<ClaimView>,
    pub server_time: DateTime<Utc>,
}

fn window(event: &EventRow, now: DateTime<Utc>) -> Result<(), BuyError> {
    if now < event.starts_at {
        Err(BuyError::Refused(Refusal::NotStarted))
    } else if now >= event.ends_at {
        Err(BuyError::Refused(Refusal::Ended))
    } else {
        Ok(())
    }
}

impl Seckill {
    /// The per-user and per-IP limits of token and buy requests (429, or 503 when the
    /// counters cannot be reached).
    async fn limit(&self, user_id: i64, ip: Option<&str>) -> Result<(), AppError> {
        let checks = [
            (
                "seckill-user",
                user_id.to_string(),
                self.settings.throttle_user,
            ),
            (
                "seckill-ip",
                ip.unwrap_or("unknown").to_string(),
                self.settings.throttle_ip,
            ),
        ];
        for (scope, ident, rate) in checks {
            let Some(rate) = rate else { continue };
            let d = self.throttle.hit(scope, &ident, rate).await;
            if d.unavailable {
                return Err(AppError::Unavailable);
            }
            if !d.allowed {
                return Err(AppError::RateLimited {
                    retry_after_secs: d.reset_secs,
                });
            }
        }
        Ok(())
    }

    /// `POST …/tokens`: only once the sale is open.
    pub async fn token(
        &self,
        user_id: i64,
        ip: Option<&str>,
        event_id: i64,
    ) -> Result<IssuedToken, BuyError> {
        self.limit(user_id, ip).await?;
        let event = self.published(event_id).await?;
        let now = Utc::now();
        window(&event, now)?;
        let ttl = self.settings.token_ttl_secs;
        let expires = now.timestamp() + i64::from(ttl);
        Ok(IssuedToken {
            token: self.token_key.issue(event.id, user_id, expires),
            expires_in: ttl,
        })
    }

    /// `POST …/orders`: the limits, the window, the token, then the decision; every answer is
    /// counted by outcome (`xuecheng_seckill_requests_total`).
    pub async fn buy(
        &self,
        user_id: i64,
        ip: Option<&str>,
        event_id: i64,
        token: Option<&str>,
    ) -> Result<ClaimAccepted, BuyError> {
        let result = self.decide(user_id, ip, event_id, token).await;
        self.count(&result);
        result
    }

    /// The sale page's buy: the API's token and buy in one call, for a caller our session and
    /// CSRF checks already vouch for. The limits are counted once (a click is one request, as
    /// an API client's token-then-buy is two), the window checked, then the same decision.
    pub async fn buy_now(
        &self,
        user_id: i64,
        ip: Option<&str>,
        event_id: i64,
    ) -> Result<ClaimAccepted, BuyError> {
        let result = async {
            self.limit(user_id, ip).await?;
            let event = self.published(event_id).await?;
            let now = Utc::now();
            window(&event, now)?;
            self.take(&event, user_id, ip, now).await
        }
        .await;
        self.count(&result);
        result
    }

    fn count(&self, result: &Result<ClaimAccepted, BuyError>) {
        let outcome = match result {
            Ok(_) => "queued",
            Err(BuyError::Refused(refusal)) => refusal.code(),
            Err(BuyError::App(AppError::RateLimited { .. })) => "throttled",
            Err(BuyError::App(AppError::Unavailable)) => "unavailable",
            Err(BuyError::App(_)) => "refused",
        };
        self.metrics
            .seckill_requests
            .get_or_create(&OutcomeLabels { outcome })
            .inc();
    }

    async fn decide(
        &self,
        user_id: i64,
        ip: Option<&str>,
        event_id: i64,
        token: Option<&str>,
    ) -> Result<ClaimAccepted, BuyError> {
        self.limit(user_id, ip).await?;
        let event = self.published(event_id).await?;
        let now = Utc::now();
        window(&event, now)?;
        let valid =
            token.is_some_and(|t| self.token_key.check(t, event.id, user_id, now.timestamp()));
        if !valid {
            return Err(AppError::Forbidden.into());
        }
        self.take(&event, user_id, ip, now).await
    }

    /// The decision, once the limits, the window and the token have passed: the script with
    /// Redis, one transaction without.
    async fn take(
        &self,
        event: &EventRow,
        user_id: i64,
        ip: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<ClaimAccepted, BuyError> {
        let seat = match &self.core.redis {
            Some(redis) => {
                let keys = self.core.keys(event.id);
                let (outcome, seat): (String, i64) = script::call(
                    redis,
                    &script::BUY,
                    keys.for_buy(),
                    vec![user_id.to_string(), now.timestamp_millis().to_string()],
                )
                .await
                .map_err(|e| app_error(e, "seckill buy script"))?;
                match outcome.as_str() {
                    "queued" => seat,
                    "sold_out" => return Err(BuyError::Refused(Refusal::SoldOut)),
                    "limit_reached" => return Err(BuyError::Refused(Refusal::LimitReached)),
                    "not_started" => return Err(BuyError::Refused(Refusal::NotStarted)),
                    "ended" => return Err(BuyError::Refused(Refusal::Ended)),
                    _ => {
                        // Published but not in Redis (flushed, or a restart without its data):
                        // load it again from the database and let the buyer retry.
                        tracing::warn!(
                            event_id = event.id,
                            "seckill event missing in Redis: reloading"
                        );
                        super::load(&self.core, event).await?;
                        return Err(AppError::Unavailable.into());
                    }
                }
            }
            None => {
                let title = super::release::item_title(&self.core.db, event).await?;
                let months = super::release::valid_months(&self.core.db, event).await?;
                let order_no = crate::orders::checkout::order_no(now);
                let expires_at =
                    now + chrono::Duration::minutes(i64::from(event.pay_window_minutes));
                let taken = repo::take_seat(
                    &self.core.db,
                    event,
                    user_id,
                    None,
                    &SeatOrder {
                        order_no: &order_no,
                        title: &title,
                        valid_months: months,
                        expires_at,
                        ip,
                    },
                    now,
                )
                .await
                .db_err("seckill seat")?;
                match taken {
                    Taken::Seat { seat_id, seat, .. } => {
                        super::release::schedule(&self.core, seat_id, expires_at).await;
                        seat
                    }
                    Taken::SoldOut => return Err(BuyError::Refused(Refusal::SoldOut)),
                    Taken::LimitReached | Taken::Duplicate => {
                        return Err(BuyError::Refused(Refusal::LimitReached))
                    }
                }
            }
        };
        Ok(ClaimAccepted {
            claim_id: script::claim_id(user_id, seat),
            status: "queued",
        })
    }

    /// `GET …/orders/mine`: every claim of the caller, written or still in line.
    pub async fn mine(&self, user_id: i64, event_id: i64) -> Result<MyClaims, AppError> {
        let event = self.published(event_id).await?;
        let rows = repo::seats_of(&self.core.db, event.id, user_id)
            .await
            .db_err("seckill seat")?;
        let claimed = match &self.core.redis {
            Some(redis) => {
                let n: Option<i64> = redis
                    .pool()
                    .hget(self.core.keys(event.id).claims, user_id.to_string())
                    .await
                    .map_err(|e| app_error(e, "seckill claims"))?;
                n.unwrap_or(0)
            }
            None => 0,
        };
        let last = rows.iter().map(|r| r.seat).max().unwrap_or(0).max(claimed);
        let results = (1..=last)
            .map(|seat| match rows.iter().find(|r| r.seat == seat) {
                Some(r) => ClaimView {
                    claim_id: script::claim_id(user_id, seat),
                    seat,
                    status: match (r.status.as_str(), r.order_status.as_str()) {
                        ("returned", _) => "returned",
                        (_, "paid") => "paid",
                        (_, "pending") => "held",
                        _ => "returned",
                    },
                    order_no: Some(r.order_no.clone()),
                    pay_by: (r.order_status == "pending").then_some(r.expires_at),
                },
                None => ClaimView {
                    claim_id: script::claim_id(user_id, seat),
                    seat,
                    status: "queued",
                    order_no: None,
                    pay_by: None,
                },
            })
            .collect::<Vec<_>>();
        Ok(MyClaims {
            event_id: event.id,
            count: results.len(),
            results,
            server_time: Utc::now(),
        })
    }
}
