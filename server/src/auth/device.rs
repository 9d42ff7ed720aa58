//! What a signed-in session remembers about the browser it belongs to, for the devices page:
//! kept in the session record itself (key [`DEVICE_KEY`]), so both stores can copy it into their
//! per-user index whenever they write the record, without a second request-side write.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The session key under which the device is stored.
pub const DEVICE_KEY: &str = "device";

/// Writing `seen` on every request would turn every read into a store write; once a minute is
/// precise enough for "last seen" and also keeps the idle expiry moving.
pub const SEEN_RESOLUTION_SECS: i64 = 60;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Device {
    pub ip: Option<String>,
    /// The `User-Agent`, cut to [`MAX_UA`] characters.
    pub ua: String,
    pub created: DateTime<Utc>,
    pub seen: DateTime<Utc>,
}

/// Longer agents are junk or an attack on our storage; the first 300 characters name the browser.
pub const MAX_UA: usize = 300;

impl Device {
    pub fn new(ip: Option<String>, ua: &str, now: DateTime<Utc>) -> Self {
        Self {
            ip,
            ua: ua.chars().take(MAX_UA).collect(),
            created: now,
            seen: now,
        }
    }

    /// A fresher copy when this one is stale (last write over a minute ago, or a new address).
    pub fn touched(&self, ip: Option<&str>, now: DateTime<Utc>) -> Option<Self> {
        let stale = now.signed_duration_since(self.seen).num_seconds() >= SEEN_RESOLUTION_SECS;
        let moved = ip.is_some() && ip != self.ip.as_deref();
        (stale || moved).then(|| Self {
            ip: ip.map(str::to_string).or_else(|| self.ip.clone()),
            seen: now,
            ..self.clone()
        })
    }
}

/// "Chrome on Windows": a rough reading of a `User-Agent`, good enough for a person to recognise
/// their own devices. Order matters: Edge and Opera also say Chrome, Chrome also says Safari.
pub fn browser_name(ua: &str) -> String {
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("MicroMessenger", "WeChat"),
        ("Firefox/", "Firefox"),
        ("HeadlessChrome", "Chrome (headless)"),
        ("Chrome/", "Chrome"),
        ("Chromium/", "Chromium"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
    ]
    .iter()
    .find(|(needle, _)| ua.contains(needle))
    .map(|(_, name)| *name);
    let os = [
        ("Android", "Android"),
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(needle, _)| ua.contains(needle))
    .map(|(_, name)| *name);
    match (browser, os) {
        (Some(b), Some(o)) => format!("{b} on {o}"),
        (Some(b), None) => b.to_string(),
        (None, Some(o)) => format!("a browser on {o}"),
        (None, None) if ua.trim().is_empty() => "unknown browser".to_string(),
        (None, None) => ua.chars().take(40).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_agents_get_readable_names() {
        let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
        assert_eq!(browser_name(chrome), "Chrome on Windows");
        let edge = format!("{chrome} Edg/120.0.0.0");
        assert_eq!(browser_name(&edge), "Edge on Windows");
        let safari = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
        assert_eq!(browser_name(safari), "Safari on iPhone");
        assert_eq!(
            browser_name("Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"),
            "Firefox on Linux"
        );
        assert_eq!(browser_name(""), "unknown browser");
    }

    #[test]
    fn touching_is_throttled_but_follows_a_new_address() {
        let t0 = Utc::now();
        let d = Device::new(Some("1.1.1.1".into()), "x", t0);
        assert!(d
            .touched(Some("1.1.1.1"), t0 + chrono::Duration::seconds(10))
            .is_none());
        let moved = d
            .touched(Some("2.2.2.2"), t0 + chrono::Duration::seconds(10))
            .unwrap();
        assert_eq!(moved.ip.as_deref(), Some("2.2.2.2"));
        let later = d
            .touched(Some("1.1.1.1"), t0 + chrono::Duration::seconds(61))
            .unwrap();
        assert_eq!(later.created, t0);
        assert!(later.seen > t0);
    }
}
