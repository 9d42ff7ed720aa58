//! A flash sale as its page sees it: the event with its live stock and the server's clock, the
//! answer to a buy, and the buyer's claims.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A published event, as the public sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeckillEventView {
    pub id: i64,
    pub title: String,
    pub course_id: i64,
    pub course_slug: String,
    pub course_title: String,
    pub price_cents: i64,
    /// What the same access costs outside the sale (the event's price policy).
    pub regular_cents: i64,
    pub stock: i32,
    /// Seats not taken yet, live.
    pub stock_left: i64,
    pub per_user_limit: i32,
    pub pay_window_minutes: i32,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// `upcoming`, `open` or `ended` at `server_time`.
    pub phase: String,
    /// The server's clock when this was read: the page counts down by it, not by the browser's.
    pub server_time: DateTime<Utc>,
}

/// What the page asks again every few seconds: the seats left and the server's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeckillStock {
    pub stock_left: i64,
    pub server_time: DateTime<Utc>,
}

/// What a buy came to: `queued` (a seat is being written for the buyer), or why not:
/// `sold_out`, `limit_reached`, `not_started`, `ended`. Other failures (throttled, a bad
/// token, Redis away) are errors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeckillBuyOutcome {
    pub status: String,
    pub claim_id: Option<String>,
}

/// One of the buyer's claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeckillClaimView {
    pub claim_id: String,
    pub seat: i64,
    /// `queued` (in line), `held` (seat secured: pay by `pay_by`), `paid`, or `returned` (not
    /// paid in time, or cancelled: the seat went back).
    pub status: String,
    pub order_no: Option<String>,
    pub pay_by: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeckillClaimList {
    pub claims: Vec<SeckillClaimView>,
    pub server_time: DateTime<Utc>,
}
