//! WebSSH settings (`WEBSSH_*`, `SECRET_KEY_PATH`, `RECORDINGS_DIR`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::config::{number, ConfigError};

#[derive(Debug, Clone)]
pub struct WebsshSettings {
    /// File with the 64-hex-digit AES-256 key of host secrets; unset: generated under DATA_DIR.
    pub secret_key_path: Option<PathBuf>,
    /// Where recordings go (shared storage when several instances run); unset: DATA_DIR/recordings.
    pub recordings_dir: Option<PathBuf>,
    /// Terminals one user may have open at once (over all instances: counted in the database).
    pub max_per_user: u32,
    /// A terminal without input for this long ends.
    pub idle_timeout: Duration,
    /// A terminal ends this long after it opened, busy or not.
    pub max_session: Duration,
    /// How long the SSH session waits for a dropped websocket to come back.
    pub resume_grace: Duration,
    /// Output kept for a resuming websocket (the oldest bytes go first).
    pub resume_buffer: usize,
    /// Heartbeat period and the silence after which a websocket peer is dropped.
    pub ping_every: Duration,
    pub peer_timeout: Duration,
    /// How long connecting and authenticating to a host may take.
    pub connect_timeout: Duration,
    /// How long a terminal ticket waits for its websocket (30 s; shorter in tests).
    pub ticket_ttl: Duration,
    /// How often a live terminal checks that its user may still use the host (a revoked grant,
    /// a deactivation or a forced password reset ends it within this time, on any instance).
    pub access_recheck: Duration,
}

impl WebsshSettings {
    pub fn from_lookup(var: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let secs = |name, default, min, max| {
            number(var, name, default, min, max).map(|s| Duration::from_secs(s.into()))
        };
        Ok(Self {
            secret_key_path: var("SECRET_KEY_PATH").map(PathBuf::from),
            recordings_dir: var("RECORDINGS_DIR").map(PathBuf::from),
            max_per_user: number(var, "WEBSSH_MAX_TERMINALS_PER_USER", 3, 1, 1_000)?,
            idle_timeout: secs("WEBSSH_IDLE_SECONDS", 15 * 60, 1, 86_400)?,
            max_session: secs("WEBSSH_MAX_SESSION_SECONDS", 8 * 3_600, 1, 7 * 86_400)?,
            resume_grace: secs("WEBSSH_RESUME_GRACE_SECONDS", 60, 1, 3_600)?,
            resume_buffer: usize::try_from(number(var, "WEBSSH_RESUME_BUFFER_KB", 256, 1, 65_536)?)
                .unwrap_or(256)
                * 1024,
            ping_every: secs("WEBSSH_PING_SECONDS", 10, 1, 600)?,
            peer_timeout: secs("WEBSSH_PEER_TIMEOUT_SECONDS", 30, 2, 3_600)?,
            connect_timeout: secs("WEBSSH_CONNECT_TIMEOUT_SECONDS", 10, 1, 120)?,
            ticket_ttl: secs("WEBSSH_TICKET_SECONDS", 30, 1, 300)?,
            access_recheck: secs("WEBSSH_ACCESS_RECHECK_SECONDS", 10, 1, 600)?,
        })
    }

    pub fn recordings_dir(&self, data_dir: &Path) -> PathBuf {
        self.recordings_dir
            .clone()
            .unwrap_or_else(|| data_dir.join("recordings"))
    }
}
