//! What travels between the pieces of a terminal: websocket frames as the bridge sees them
//! (independent of axum, so the bridge is tested without a network), the JSON control messages
//! of text frames, and the messages between a bridge and its SSH session.

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

/// A websocket frame, as far as the bridge cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// Terminal bytes, both ways.
    Binary(Bytes),
    /// A JSON [`Control`] message.
    Text(String),
    /// The peer or we end the socket.
    Close,
    /// Websocket-level ping/pong and anything else: it shows the peer is alive.
    Other,
}

/// Text-frame control messages (`{"type": "resize", "cols": 80, "rows": 24}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Control {
    Resize { cols: u16, rows: u16 },
    Ping,
    Pong,
    Exit { code: Option<u32>, reason: String },
}

/// From a bridge (or the service) to the SSH session.
#[derive(Debug)]
pub enum ToSession {
    Input(Bytes),
    Resize {
        cols: u16,
        rows: u16,
    },
    /// A websocket takes over the terminal; the session sends what it buffered first. An
    /// earlier websocket loses its sender, so its bridge ends.
    Attach {
        generation: u64,
        out: mpsc::Sender<FromSession>,
    },
    /// The websocket of `generation` went away: the resume grace period starts.
    Detach {
        generation: u64,
    },
    /// End the session now (staff, shutdown), telling the user why.
    Kill(String),
}

/// From the SSH session to the attached bridge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FromSession {
    Output(Bytes),
    Exit { code: Option<u32>, reason: String },
}
