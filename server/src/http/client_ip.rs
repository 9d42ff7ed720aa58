//! Who is on the other end of the connection: the one place that decides a request's client IP
//! ([`client_ip`]), for login throttling, the devices page and the audit trail.
//!
//! `X-Forwarded-For` is only believed when the TCP peer is one of `TRUSTED_PROXIES`: anyone can
//! send the header, so trusting it from the open internet would let a client pick the address it
//! is throttled under. Behind a chain of trusted proxies the list is read right to left and the
//! first address that is not a trusted proxy is the client.

use std::{net::IpAddr, sync::Arc};

use axum::{extract::ConnectInfo, extract::Request, extract::State, middleware::Next};
use ipnet::IpNet;

/// The networks whose `X-Forwarded-For` we believe (`TRUSTED_PROXIES`).
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(pub Arc<Vec<IpNet>>);

impl TrustedProxies {
    pub fn contains(&self, ip: &IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(ip))
    }
}

/// The client address of this request, as decided by [`resolve`]; an extension on every request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// The client address from the TCP peer and the `X-Forwarded-For` values, given the trusted
/// proxies. `None` when the peer is unknown (a request built in a test without a socket).
pub fn resolve(
    peer: Option<IpAddr>,
    forwarded_for: &[&str],
    trusted: &TrustedProxies,
) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    // Every hop appends the address it saw, so the rightmost entries are the nearest proxies.
    let hops: Vec<IpAddr> = forwarded_for
        .iter()
        .flat_map(|v| v.split(','))
        .filter_map(|s| parse_hop(s.trim()))
        .collect();
    let mut client = peer;
    for hop in hops.into_iter().rev() {
        client = hop;
        if !trusted.contains(&hop) {
            break;
        }
    }
    Some(client)
}

/// One `X-Forwarded-For` entry: a bare address, or `[v6]:port` / `v4:port` as some proxies add.
fn parse_hop(raw: &str) -> Option<IpAddr> {
    if let Ok(ip) = raw.parse() {
        return Some(ip);
    }
    if let Ok(socket) = raw.parse::<std::net::SocketAddr>() {
        return Some(socket.ip());
    }
    None
}

/// Middleware: computes the client address once and stores it as [`ClientIp`].
pub async fn layer(
    State(trusted): State<TrustedProxies>,
    mut request: Request,
    next: Next,
) -> axum::response::Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip());
    let forwarded: Vec<&str> = request
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    if !forwarded.is_empty() {
        warn_once_if_untrusted(peer, &trusted);
    }
    if let Some(ip) = resolve(peer, &forwarded, &trusted) {
        request.extensions_mut().insert(ClientIp(ip));
    }
    next.run(request).await
}

/// A proxy we do not trust sent `X-Forwarded-For`: behind it, every user would share the proxy's
/// address, and one login throttle and one API budget (twenty failed sign-ins by anyone lock
/// everyone out). Said once per process, with the fix; the header stays ignored.
fn warn_once_if_untrusted(peer: Option<IpAddr>, trusted: &TrustedProxies) {
    static WARNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    let Some(peer) = peer else { return };
    if trusted.contains(&peer) || WARNED.swap(true, std::sync::atomic::Ordering::Relaxed) {
        return;
    }
    tracing::warn!(
        %peer,
        "a request came with X-Forwarded-For from a peer not in TRUSTED_PROXIES; the header is \
         ignored, so every client behind that proxy shares its address for throttling and the \
         audit log. If this peer is your reverse proxy, add it to TRUSTED_PROXIES"
    );
}

/// The client address of a request (see the module doc), as the layer decided it: the one
/// place everything else (throttles, the devices page, the audit log) asks.
pub fn client_ip(extensions: &http::Extensions) -> Option<IpAddr> {
    extensions.get::<ClientIp>().map(|ClientIp(ip)| *ip)
}

/// Parses `TRUSTED_PROXIES`: comma-separated CIDRs or single addresses.
pub fn parse_list(raw: &str) -> Result<Vec<IpNet>, String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("'{s}' is not an IP address or CIDR such as 10.0.0.0/8"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trusted(list: &str) -> TrustedProxies {
        TrustedProxies(Arc::new(parse_list(list).unwrap()))
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let t = trusted("10.0.0.0/8");
        assert_eq!(
            resolve(Some(ip("203.0.113.9")), &["1.2.3.4"], &t),
            Some(ip("203.0.113.9"))
        );
    }

    #[test]
    fn behind_trusted_proxies_the_first_untrusted_hop_from_the_right_wins() {
        let t = trusted("10.0.0.0/8, 192.168.1.1");
        // The client forged the first entry; our proxies appended the real ones.
        let xff = ["6.6.6.6, 198.51.100.7", "192.168.1.1"];
        assert_eq!(
            resolve(Some(ip("10.1.2.3")), &xff, &t),
            Some(ip("198.51.100.7"))
        );
    }

    #[test]
    fn a_trusted_peer_without_the_header_is_the_client() {
        let t = trusted("127.0.0.1");
        assert_eq!(
            resolve(Some(ip("127.0.0.1")), &[], &t),
            Some(ip("127.0.0.1"))
        );
        assert_eq!(
            resolve(Some(ip("127.0.0.1")), &["junk"], &t),
            Some(ip("127.0.0.1"))
        );
        assert_eq!(
            resolve(Some(ip("127.0.0.1")), &["[2001:db8::1]:443"], &t),
            Some(ip("2001:db8::1"))
        );
    }

    #[test]
    fn bad_lists_say_which_entry() {
        assert!(parse_list("10.0.0.0/8,nope").unwrap_err().contains("nope"));
        assert_eq!(parse_list("").unwrap().len(), 0);
    }
}
