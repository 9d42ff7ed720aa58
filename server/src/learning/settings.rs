//! Learning settings (`MEDIA_ROOT`, `MEDIA_URL_TTL_SECONDS`, `MEDIA_SIGNING_KEY_PATH`,
//! `PROGRESS_THROTTLE`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::config::{number, ConfigError};
use crate::rest::settings::Rate;

#[derive(Debug, Clone)]
pub struct LearningSettings {
    /// Where video files named by a relative `video_url` live; unset: `DATA_DIR/media`.
    pub media_root: Option<PathBuf>,
    /// How long a signed media URL works.
    pub media_url_ttl: Duration,
    /// File with the 64-hex-digit HMAC key of media URLs; unset: generated under DATA_DIR
    /// (shared storage, or the same file, when several instances run).
    pub media_key_path: Option<PathBuf>,
    /// Progress saves per user (`None`: unlimited).
    pub progress_rate: Option<Rate>,
}

impl LearningSettings {
    pub fn from_lookup(var: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let progress_rate = Rate::parse(
            &var("PROGRESS_THROTTLE").unwrap_or_else(|| "60/min".into()),
        )
        .map_err(|message| ConfigError {
            var: "PROGRESS_THROTTLE",
            message,
        })?;
        Ok(Self {
            media_root: var("MEDIA_ROOT").map(PathBuf::from),
            media_url_ttl: Duration::from_secs(
                number(var, "MEDIA_URL_TTL_SECONDS", 3_600, 10, 86_400)?.into(),
            ),
            media_key_path: var("MEDIA_SIGNING_KEY_PATH").map(PathBuf::from),
            progress_rate,
        })
    }

    pub fn media_root(&self, data_dir: &Path) -> PathBuf {
        self.media_root
            .clone()
            .unwrap_or_else(|| data_dir.join("media"))
    }
}
