//! Opening and resuming a web terminal.

use serde::{Deserialize, Serialize};

/// `201` of `POST /api/v1/hosts/{id}/terminal-sessions` and of `…/resume`: connect to
/// `websocket_url` within 30 s; the ticket works once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TerminalTicket {
    pub session_id: String,
    pub ticket: String,
    pub websocket_url: String,
}

/// Optional body of the open request: the terminal's first size.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TerminalSize {
    pub cols: Option<u16>,
    pub rows: Option<u16>,
}
