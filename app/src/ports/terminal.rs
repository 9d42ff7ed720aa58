//! Web terminals: opening one on a host and resuming it after a dropped websocket.
//!
//! The adapter resolves the caller ([`Principal`]) and the websocket base URL the answer should
//! name (`ws://host` or `wss://host`, from the request); the service checks the host, the
//! caller's grant and limits, connects to the host and hands out a single-use ticket.

use async_trait::async_trait;

use crate::domain::Principal;
use crate::dto::{TerminalSize, TerminalTicket};
use crate::error::AppError;

#[async_trait]
pub trait TerminalService: Send + Sync {
    /// 404 for an unknown host, 403 without a grant, 429 over the per-user limit, 409 when the
    /// host cannot be used (changed host key, refused credentials, unreachable).
    async fn open(
        &self,
        who: &Principal,
        host_id: i64,
        size: TerminalSize,
        ws_base: &str,
    ) -> Result<TerminalTicket, AppError>;
    /// A new ticket for the caller's own live session; 404 for any other (ended, foreign).
    async fn resume(
        &self,
        who: &Principal,
        session_id: &str,
        ws_base: &str,
    ) -> Result<TerminalTicket, AppError>;
    /// Ends a live session now: one's own, or anyone's with `host.monitor` (the user's
    /// terminal shows who ended it). 404 for sessions the caller may not end or that are over.
    async fn end(&self, who: &Principal, session_id: &str) -> Result<(), AppError>;
}
