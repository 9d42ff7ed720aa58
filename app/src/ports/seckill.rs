//! Flash sales from the pages: the event with its live stock, the seats left and the server's
//! clock for the page's poll, the buy, and the buyer's claims. The REST API
//! (`/api/v1/seckill-events`) calls the same service; the adapter resolves the caller and the
//! request's metadata.

use async_trait::async_trait;

use crate::domain::RequestMeta;
use crate::dto::{SeckillBuyOutcome, SeckillClaimList, SeckillEventView, SeckillStock};
use crate::error::AppError;

#[async_trait]
pub trait SeckillService: Send + Sync {
    /// A published event (404 for a draft or no such event).
    async fn event(&self, event_id: i64) -> Result<SeckillEventView, AppError>;
    /// The seats left now (from the event read at most a second ago and Redis' count).
    async fn live(&self, event_id: i64) -> Result<SeckillStock, AppError>;
    /// The page's buy: the API's limits and window, counted once, then the decision. A refusal
    /// (`sold_out`, `limit_reached`, `not_started`, `ended`) is an outcome, not an error.
    async fn buy(
        &self,
        user_id: i64,
        meta: &RequestMeta,
        event_id: i64,
    ) -> Result<SeckillBuyOutcome, AppError>;
    /// The caller's claims on the event, written or still in line.
    async fn claims(&self, user_id: i64, event_id: i64) -> Result<SeckillClaimList, AppError>;
}
