//! The pages' port onto the seckill service ([`app::ports::SeckillService`]): the same calls
//! the REST handlers make, with the answers shaped for the sale page (the course's link and
//! regular price beside the event; a refusal as an outcome the page words, not an error).

use app::domain::RequestMeta;
use app::dto::{
    SeckillBuyOutcome, SeckillClaimList, SeckillClaimView, SeckillEventView, SeckillStock,
};
use app::error::AppError;
use async_trait::async_trait;

use super::buy::{BuyError, Refusal};
use super::Seckill;
use crate::db::price_policies;
use crate::error::ResultExt;

fn refused(r: Refusal) -> SeckillBuyOutcome {
    SeckillBuyOutcome {
        status: r.code().into(),
        claim_id: None,
    }
}

#[async_trait]
impl app::ports::SeckillService for Seckill {
    async fn event(&self, event_id: i64) -> Result<SeckillEventView, AppError> {
        let row = self.published(event_id).await?;
        let view = self.view(&row).await?;
        let db = &self.core().db;
        // A sale of a course that is no longer public is no sale to show.
        let (course_slug, course_title) = price_policies::public_course_link(db, row.course_id)
            .await
            .db_err("course")?
            .ok_or_else(|| AppError::NotFound("seckill event".into()))?;
        let regular_cents = price_policies::for_course(db, row.course_id)
            .await
            .db_err("price policy")?
            .iter()
            .find(|p| p.id == row.price_policy_id)
            .map_or(view.price_cents, |p| p.price_cents);
        Ok(SeckillEventView {
            id: view.id,
            title: view.title,
            course_id: view.course_id,
            course_slug,
            course_title,
            price_cents: view.price_cents,
            regular_cents,
            stock: view.stock,
            stock_left: view.stock_left,
            per_user_limit: view.per_user_limit,
            pay_window_minutes: view.pay_window_minutes,
            starts_at: view.starts_at,
            ends_at: view.ends_at,
            phase: view.phase.into(),
            server_time: view.server_time,
        })
    }

    async fn live(&self, event_id: i64) -> Result<SeckillStock, AppError> {
        let row = self.published(event_id).await?;
        Ok(SeckillStock {
            stock_left: self.stock_left(&row).await?,
            server_time: chrono::Utc::now(),
        })
    }

    async fn buy(
        &self,
        user_id: i64,
        meta: &RequestMeta,
        event_id: i64,
    ) -> Result<SeckillBuyOutcome, AppError> {
        match self.buy_now(user_id, meta.ip().as_deref(), event_id).await {
            Ok(accepted) => Ok(SeckillBuyOutcome {
                status: accepted.status.into(),
                claim_id: Some(accepted.claim_id),
            }),
            Err(BuyError::Refused(r)) => Ok(refused(r)),
            Err(BuyError::App(e)) => Err(e),
        }
    }

    async fn claims(&self, user_id: i64, event_id: i64) -> Result<SeckillClaimList, AppError> {
        let mine = self.mine(user_id, event_id).await?;
        Ok(SeckillClaimList {
            claims: mine
                .results
                .into_iter()
                .map(|c| SeckillClaimView {
                    claim_id: c.claim_id,
                    seat: c.seat,
                    status: c.status.into(),
                    order_no: c.order_no,
                    pay_by: c.pay_by,
                })
                .collect(),
            server_time: mine.server_time,
        })
    }
}
