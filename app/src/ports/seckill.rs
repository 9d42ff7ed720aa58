//! Flash sales from the pages: the event with its live stock, the buy token (only once the
//! sale is open), the buy, and the buyer's claims. The REST API (`/api/v1/seckill-events`)
//! calls the same service; the adapter resolves the caller and the request's metadata.

use async_trait::async_trait;

use crate::domain::RequestMeta;
use crate::dto::{SeckillBuyOutcome, SeckillClaimList, SeckillEventView, SeckillToken};
use crate::error::AppError;

#[async_trait]
pub trait SeckillService: Send + Sync {
    /// A published event (404 for a draft or no such event).
    async fn event(&self, event_id: i64) -> Result<SeckillEventView, AppError>;
    /// A short-lived token for `user_id`'s buy; a refusal (`not_started`, `ended`) is an
    /// outcome, not an error.
    async fn token(
        &self,
        user_id: i64,
        meta: &RequestMeta,
        event_id: i64,
    ) -> Result<Result<SeckillToken, SeckillBuyOutcome>, AppError>;
    /// The buy itself, with the token; 403 for a missing, expired or another user's token.
    async fn buy(
        &self,
        user_id: i64,
        meta: &RequestMeta,
        event_id: i64,
        token: &str,
    ) -> Result<SeckillBuyOutcome, AppError>;
    /// The caller's claims on the event, written or still in line.
    async fn claims(&self, user_id: i64, event_id: i64) -> Result<SeckillClaimList, AppError>;
}
