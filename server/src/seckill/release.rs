//! An unpaid seat goes back to the stock: the `seckill.release` job, scheduled at the seat's
//! pay deadline, closes its order if still pending and returns the seat of a closed order (also
//! one its buyer cancelled) in one database transaction ([`crate::db::seckill::release`]), then
//! in Redis by a script that is a no-op for a claim returned before. Both halves are guarded,
//! so a second run, a retry after Redis failed, or two workers return the seat exactly once.

use app::error::AppError;
use chrono::{DateTime, Utc};

use super::{script, SeckillCore};
use crate::db::seckill::{self as repo, EventRow, Released};
use crate::db::{price_policies, Db};
use crate::error::ResultExt;
use crate::jobs::kinds::Failure;
use crate::jobs::Job;
use crate::orders::reconcile::{ask_before_closing, BeforeClose};
use crate::payments::gateway::Gateways;

/// The order item's title: the course's (as a normal purchase shows it), else the event's.
pub async fn item_title(db: &Db, event: &EventRow) -> Result<String, AppError> {
    Ok(price_policies::public_course(db, event.course_id)
        .await
        .db_err("course")?
        .map_or_else(|| event.title.clone(), |c| c.title))
}

/// The validity the seat's enrolment gets: the event's policy's.
pub async fn valid_months(db: &Db, event: &EventRow) -> Result<i32, AppError> {
    Ok(price_policies::for_course(db, event.course_id)
        .await
        .db_err("price policy")?
        .iter()
        .find(|p| p.id == event.price_policy_id)
        .map_or(0, |p| p.valid_months))
}

/// Queues the seat's release for just after its deadline (the queue counts whole seconds).
pub async fn schedule(core: &SeckillCore, seat_id: i64, pay_by: DateTime<Utc>) {
    let job = Job::SeckillRelease { seat_id };
    if let Err(error) = core
        .jobs
        .enqueue_at(
            &job,
            &format!("seckill-seat:{seat_id}"),
            pay_by + chrono::Duration::seconds(1),
        )
        .await
    {
        // The reconciliation (`xuecheng seckill verify`) lists seats of closed orders still held.
        tracing::error!(%error, seat_id, "could not schedule a seckill seat's release");
    }
}

/// The job: see the module doc. Before it closes a pending order, it asks the providers of
/// its payments whether one was paid (a notification lost on the way): a paid seat stays.
pub async fn run(core: &SeckillCore, gateways: &Gateways, seat_id: i64) -> Result<(), Failure> {
    let Some(seat) = repo::seat(&core.db, seat_id).await? else {
        return Err(Failure::Permanent(format!("no seckill seat {seat_id}")));
    };
    let now = Utc::now();
    if seat.order_status == "pending" && seat.expires_at <= now {
        if let Some(order) = crate::db::orders::by_id(&core.db, seat.order_id).await? {
            match ask_before_closing(&core.db, gateways, &order, now).await? {
                BeforeClose::Paid => {
                    tracing::info!(seat_id, "seckill seat paid at its provider: kept");
                    return Ok(());
                }
                BeforeClose::Unreachable(why) => {
                    return Err(Failure::Retry(format!(
                        "a payment provider could not be asked before the release: {why}"
                    )))
                }
                BeforeClose::Close => {}
            }
        }
    }
    let outcome = repo::release(&core.db, seat_id, Utc::now()).await?;
    match outcome {
        Released::NotYet => return Err(Failure::Retry("the seat's order is not due yet".into())),
        Released::Paid => {}
        Released::Returned | Released::AlreadyReturned => {
            if let Some(redis) = &core.redis {
                let keys = core.keys(seat.event_id);
                let returned: i64 = script::call(
                    redis,
                    &script::RELEASE,
                    keys.for_release(),
                    vec![
                        seat.user_id.to_string(),
                        script::claim_id(seat.user_id, seat.seat),
                    ],
                )
                .await
                .map_err(|e| Failure::Retry(format!("redis: {e}")))?;
                tracing::info!(seat_id, returned, "seckill seat back in Redis' stock");
            }
        }
    }
    tracing::info!(seat_id, ?outcome, "seckill seat checked at its deadline");
    Ok(())
}
