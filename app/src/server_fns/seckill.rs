//! The flash-sale page's calls: the event, the seats left and the server's clock (polled), the
//! buy and the caller's claims. Thin calls into the seckill service the REST API shares; the
//! buy and the claims need a signed-in user.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::dto::{SeckillBuyOutcome, SeckillClaimList, SeckillEventView, SeckillStock};
use crate::error::AppError;

#[server(prefix = "/fn", endpoint = "seckill/event", input = Json)]
pub async fn seckill_event(event_id: i64) -> Result<SeckillEventView, AppError> {
    crate::ports::services()?.seckill.event(event_id).await
}

#[server(prefix = "/fn", endpoint = "seckill/live", input = Json)]
pub async fn seckill_live(event_id: i64) -> Result<SeckillStock, AppError> {
    crate::ports::services()?.seckill.live(event_id).await
}

#[server(prefix = "/fn", endpoint = "seckill/buy", input = Json)]
pub async fn seckill_buy(event_id: i64) -> Result<SeckillBuyOutcome, AppError> {
    let services = crate::ports::services()?;
    let user = crate::ports::signed_in_user(&services).await?;
    services
        .seckill
        .buy(user.id, &crate::ports::request_meta(), event_id)
        .await
}

#[server(prefix = "/fn", endpoint = "seckill/claims", input = Json)]
pub async fn seckill_claims(event_id: i64) -> Result<SeckillClaimList, AppError> {
    let services = crate::ports::services()?;
    let user = crate::ports::signed_in_user(&services).await?;
    services.seckill.claims(user.id, event_id).await
}
