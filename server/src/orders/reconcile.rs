//! Settling by asking the provider, and closing with care. A notification can be lost on the
//! way, so three paths ask the provider itself through [`PaymentGateway::query`] and settle
//! what it says was paid, exactly as a notification would be:
//!
//! - the buyer's return page and the QR page's "check payment" ([`Orders::confirm_by_query`]);
//! - the `order.close` job, before it closes an order at its expiry ([`close_expired`]): an
//!   order whose money arrived is paid, not closed;
//! - the `payment.reconcile` schedule, every few minutes, for payments still open after
//!   [`RECONCILE_AFTER`] ([`reconcile`]); the same run asks again about refunds left without
//!   a final answer ([`super::refunds::retry_open`]).
//!
//! These functions take the database and the gateways rather than `Orders`, because the jobs
//! reach them through the worker's context.

use app::dto::OrderView;
use app::error::AppError;
use app::i18n::td_string;
use chrono::{DateTime, Utc};

use super::Orders;
use crate::db::orders::{self as repo, Settled, Settlement};
use crate::db::payments::PaymentRow;
use crate::db::Db;
use crate::error::ResultExt;
use crate::payments::gateway::{GatewayError, Gateways};

/// How long a payment stays open before the reconcile job asks its provider about it (the
/// notification usually arrives within seconds).
pub const RECONCILE_AFTER: chrono::Duration = chrono::Duration::minutes(5);

/// Payments one reconcile run asks about at most (the next run takes the rest).
const RECONCILE_BATCH: i64 = 200;

/// How long past its expiry an order whose provider cannot be asked stays pending (the close
/// job retries meanwhile) before it is closed anyway; money that arrives later is marked
/// refund due. An order the close job gave up on is closed by the next reconcile run past it.
const CLOSE_PATIENCE: chrono::Duration = chrono::Duration::minutes(10);

/// What asking a provider about one payment gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Asked {
    /// Paid there: settled here with this outcome.
    Settled(Settled),
    /// Not paid (yet), no such trade, or no provider to ask.
    Unpaid,
    /// The provider could not be reached or its answer was refused.
    Unavailable(String),
}

/// Settles a verified payment: the one place an order gets paid. Logs what needs a person
/// (money for a closed order, or paid twice) and closes the order's other trades at their
/// providers once it is paid.
pub async fn settle(
    db: &Db,
    gateways: &Gateways,
    settlement: &Settlement<'_>,
) -> Result<Settled, sqlx::Error> {
    let settled = repo::settle(db, settlement, Utc::now()).await?;
    let out_trade_no = &settlement.payment.out_trade_no;
    match settled {
        Settled::Paid => close_at_providers(db, gateways, settlement.payment.order_id).await,
        Settled::Closed => tracing::warn!(
            out_trade_no,
            "money arrived for a closed order: marked refund due"
        ),
        Settled::PaidElsewhere => tracing::warn!(
            out_trade_no,
            "money arrived for an order paid through another payment: marked refund due"
        ),
        Settled::AlreadyPaid => tracing::info!(
            out_trade_no,
            "this payment had paid its order already: nothing to do"
        ),
        Settled::Duplicate => {}
    }
    Ok(settled)
}

/// Keeps a refused notification or answer by the hash of its body, with why (the back office
/// shows them); never fails the caller for it.
pub async fn refuse(db: &Db, provider: &str, body: &str, reason: &str) {
    tracing::warn!(provider, reason, "payment notification refused");
    if let Err(e) =
        crate::db::payments::record_refused(db, provider, body, reason, Utc::now()).await
    {
        tracing::error!(error = %e, "could not record a refused notification");
    }
}

/// Asks `payment`'s provider whether it was paid, and settles it if so. The key of a query's
/// answer is the provider's trade number, so a query and the notification of one trade are
/// two keys: the second finds the payment succeeded and changes nothing.
pub async fn ask_provider(
    db: &Db,
    gateways: &Gateways,
    payment: &PaymentRow,
) -> Result<Asked, sqlx::Error> {
    let Some(gateway) = gateways.get(&payment.provider) else {
        return Ok(Asked::Unpaid);
    };
    match gateway.query(payment).await {
        Ok(Some(trade)) => {
            let key = format!("query:{}", trade.trade_no);
            let settled = settle(
                db,
                gateways,
                &Settlement {
                    payment,
                    provider: gateway.provider(),
                    notify_key: &key,
                    provider_trade_no: Some(&trade.trade_no),
                    body: &trade.reply,
                },
            )
            .await?;
            Ok(Asked::Settled(settled))
        }
        Ok(None) => Ok(Asked::Unpaid),
        Err(GatewayError::Refused(why)) => {
            refuse(db, &payment.provider, &payment.out_trade_no, &why).await;
            Ok(Asked::Unavailable(why))
        }
        Err(GatewayError::Unavailable(why) | GatewayError::Declined(why)) => {
            tracing::warn!(
                provider = payment.provider,
                error = why,
                "payment query failed"
            );
            Ok(Asked::Unavailable(why))
        }
    }
}

/// Closes at their providers the trades of an order that were closed here (its order closed
/// unpaid, or another payment paid it), so the buyer can no longer pay them there. Best
/// effort: each trade also expires at its provider, and money that still arrives is marked
/// refund due ([`settle`]).
pub async fn close_at_providers(db: &Db, gateways: &Gateways, order_id: i64) {
    let payments = match crate::db::payments::closed_of_order(db, order_id).await {
        Ok(payments) => payments,
        Err(e) => {
            tracing::warn!(order_id, error = %e, "could not list the trades to close");
            return;
        }
    };
    for payment in payments {
        let Some(gateway) = gateways.get(&payment.provider) else {
            continue;
        };
        if let Err(e) = gateway.close(&payment).await {
            tracing::warn!(
                provider = payment.provider,
                out_trade_no = payment.out_trade_no,
                error = %e,
                "could not close a trade at its provider; it expires there on its own"
            );
        }
    }
}

/// What the `order.close` job found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expiry {
    Closed,
    /// A provider said it was paid: settled instead of closed.
    Paid,
    /// Paid, closed already, or gone.
    Nothing,
    /// Still pending and not yet expired (a job run early): try again later.
    NotYet,
    /// A provider could not be asked: try again later (until [`CLOSE_PATIENCE`] has passed).
    Unreachable(String),
}

/// What the providers of a pending order's open payments said before it is closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BeforeClose {
    /// One of them was paid: settled, so the order is no longer pending.
    Paid,
    /// One could not be asked, and the order expired less than [`CLOSE_PATIENCE`] ago.
    Unreachable(String),
    /// None was paid (or one could not be asked for too long): close it.
    Close,
}

/// Asks the providers of `order`'s open payments whether one was paid meanwhile (its
/// notification lost), settling it if so. Every path that closes an order at its expiry asks
/// first: the `order.close` job and the seckill seat's release.
pub async fn ask_before_closing(
    db: &Db,
    gateways: &Gateways,
    order: &repo::OrderRow,
    now: DateTime<Utc>,
) -> Result<BeforeClose, sqlx::Error> {
    for payment in crate::db::payments::open_of_order(db, order.id).await? {
        match ask_provider(db, gateways, &payment).await? {
            Asked::Settled(_) => return Ok(BeforeClose::Paid),
            Asked::Unpaid => {}
            Asked::Unavailable(why) if now - order.expires_at < CLOSE_PATIENCE => {
                return Ok(BeforeClose::Unreachable(why))
            }
            Asked::Unavailable(why) => tracing::warn!(
                order_id = order.id,
                provider = payment.provider,
                error = why,
                "closing an order whose provider could not be asked"
            ),
        }
    }
    Ok(BeforeClose::Close)
}

/// The `order.close` job: closes order `order_id` if it is still pending past its expiry,
/// after asking the providers of its open payments whether one was paid meanwhile.
pub async fn close_expired(
    db: &Db,
    gateways: &Gateways,
    order_id: i64,
) -> Result<Expiry, sqlx::Error> {
    let now = Utc::now();
    let order = match repo::by_id(db, order_id).await? {
        Some(order) if order.status == "pending" => order,
        _ => return Ok(Expiry::Nothing),
    };
    if order.expires_at > now {
        return Ok(Expiry::NotYet);
    }
    match ask_before_closing(db, gateways, &order, now).await? {
        BeforeClose::Paid => return Ok(Expiry::Paid),
        BeforeClose::Unreachable(why) => return Ok(Expiry::Unreachable(why)),
        BeforeClose::Close => {}
    }
    // A payment committed meanwhile wins: the close is guarded by `pending`.
    if !repo::close(db, &order, None, true, None, now).await? {
        return Ok(Expiry::Nothing);
    }
    close_at_providers(db, gateways, order.id).await;
    Ok(Expiry::Closed)
}

/// What one reconcile run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reconciled {
    /// Open payments asked about.
    pub asked: usize,
    /// Of those, paid at their provider and settled here.
    pub settled: usize,
    /// Orders past their expiry and [`CLOSE_PATIENCE`] still pending (their close job gave
    /// up), closed now.
    pub closed: usize,
    /// Refunds without a final answer asked about again, that reached one.
    pub refunds_settled: usize,
}

/// The `payment.reconcile` job: asks the providers about payments still open after
/// [`RECONCILE_AFTER`] on pending orders and settles those that were paid, then closes the
/// orders left pending well past their expiry.
pub async fn reconcile(
    db: &Db,
    gateways: &Gateways,
    now: DateTime<Utc>,
) -> Result<Reconciled, sqlx::Error> {
    // A provider not configured here (any more) is skipped by `ask_provider`; such payments
    // leave the list when their orders close.
    let stale =
        crate::db::payments::open_before(db, now - RECONCILE_AFTER, RECONCILE_BATCH).await?;
    let mut done = Reconciled {
        asked: stale.len(),
        ..Reconciled::default()
    };
    for payment in &stale {
        if let Asked::Settled(Settled::Paid) = ask_provider(db, gateways, payment).await? {
            done.settled += 1;
        }
    }
    // Seckill orders are closed by their seat's release, which also returns the seat.
    for order_id in repo::pending_expired_before(db, now - CLOSE_PATIENCE, RECONCILE_BATCH).await? {
        if close_expired(db, gateways, order_id).await? == Expiry::Closed {
            done.closed += 1;
        }
    }
    done.refunds_settled = super::refunds::retry_open(db, gateways, now, RECONCILE_BATCH).await?;
    Ok(done)
}

impl Orders {
    /// The return page and the QR page's "check payment": asks the provider about the caller's
    /// payment and settles it if it was paid (the redirect itself proves nothing). 404 for a
    /// payment that is not the caller's or whose provider is not configured here.
    pub async fn confirm_by_query(
        &self,
        user_id: i64,
        out_trade_no: &str,
    ) -> Result<OrderView, AppError> {
        let not_found = || AppError::NotFound("payment".into());
        let payment = crate::db::payments::payment_by_trade_no(&self.db, out_trade_no)
            .await
            .db_err("payment")?
            .ok_or_else(not_found)?;
        if self.gateways.get(&payment.provider).is_none() {
            return Err(not_found());
        }
        let (payment, order) = self
            .own_payment(user_id, out_trade_no, &payment.provider)
            .await?;
        if order.status == "pending" {
            match ask_provider(&self.db, &self.gateways, &payment)
                .await
                .db_err("payment")?
            {
                Asked::Settled(Settled::Closed) => {
                    return Err(AppError::Conflict(
                        td_string!(app::locale::current(), errors.order_closed).into(),
                    ))
                }
                Asked::Unavailable(_) => return Err(AppError::Unavailable),
                Asked::Settled(_) | Asked::Unpaid => {}
            }
        }
        let fresh = repo::by_id(&self.db, order.id)
            .await
            .db_err("order")?
            .ok_or_else(not_found)?;
        self.view(fresh).await
    }
}
