//! The flash-sale page's calls: the event (live stock, the server's clock), the buy token, the
//! buy and the caller's claims. Thin calls into the seckill service the REST API shares; all
//! but the event need a signed-in user.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::dto::{SeckillBuyOutcome, SeckillClaimList, SeckillEventView};
use crate::error::AppError;

#[server(prefix = "/fn", endpoint = "seckill/event", input = Json)]
pub async fn seckill_event(event_id: i64) -> Result<SeckillEventView, AppError> {
    crate::ports::services()?.seckill.event(event_id).await
}

/// Asks for the sale's token, then buys with it: two steps on the server as in the API, so a
/// buy without a token issued after the start is refused the same way.
#[server(prefix = "/fn", endpoint = "seckill/buy", input = Json)]
pub async fn seckill_buy(event_id: i64) -> Result<SeckillBuyOutcome, AppError> {
    let services = crate::ports::services()?;
    let user = crate::ports::signed_in_user(&services).await?;
    let meta = crate::ports::request_meta();
    let token = match services.seckill.token(user.id, &meta, event_id).await? {
        Ok(token) => token,
        Err(refused) => return Ok(refused),
    };
    services
        .seckill
        .buy(user.id, &meta, event_id, &token.token)
        .await
}

#[server(prefix = "/fn", endpoint = "seckill/claims", input = Json)]
pub async fn seckill_claims(event_id: i64) -> Result<SeckillClaimList, AppError> {
    let services = crate::ports::services()?;
    let user = crate::ports::signed_in_user(&services).await?;
    services.seckill.claims(user.id, event_id).await
}
