//! What a service may know about the request beside its caller: [`RequestMeta`].
//!
//! The adapter (a server function or a REST handler) builds it once from the HTTP request, so a
//! service never reads headers or connection info itself and every adapter hands it the same
//! facts. The server decides the client address (`server/src/http/client_ip.rs`, which believes
//! `X-Forwarded-For` only from `TRUSTED_PROXIES`); this type only carries it.

use std::net::IpAddr;

/// The client address and browser of the request a service call serves. Both are unknown for
/// calls that come from no connection (the command line, a test calling a service directly).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestMeta {
    /// The client's address as the server resolved it (behind a trusted proxy, the one it
    /// forwarded).
    pub client_ip: Option<IpAddr>,
    /// The `User-Agent` header, as sent.
    pub user_agent: Option<String>,
}

impl RequestMeta {
    /// The client address as text, the form the throttles and the audit log store.
    pub fn ip(&self) -> Option<String> {
        self.client_ip.map(|ip| ip.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_address_is_written_the_usual_way_and_absent_when_unknown() {
        let meta = RequestMeta {
            client_ip: Some("2001:db8::1".parse().unwrap()),
            user_agent: None,
        };
        assert_eq!(meta.ip().as_deref(), Some("2001:db8::1"));
        assert_eq!(RequestMeta::default().ip(), None);
    }
}
