//! Absolute links in API answers: the list envelope's `next`/`previous`, `Location`, and the
//! addresses of our own files in records (stored as site paths, see [`absolute`]).
//!
//! The base is `PUBLIC_URL` when it was configured (what clients behind the load balancer see);
//! otherwise the request's `Host` (checked to be a plain authority), else the listen address.

use axum::http::{header, HeaderMap};
use serde_json::{json, Value};

use super::params::Paging;
use crate::config::Settings;

/// `scheme://authority` plus any path prefix of `PUBLIC_URL`, without a trailing slash.
pub fn base(settings: &Settings, headers: &HeaderMap) -> String {
    if let Some(url) = &settings.api.link_base {
        return url.as_str().trim_end_matches('/').to_string();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| h.parse::<axum::http::uri::Authority>().is_ok() && !h.contains('@'));
    match host {
        Some(host) => format!("{}://{host}", settings.public_url.scheme()),
        None => settings
            .public_url
            .as_str()
            .trim_end_matches('/')
            .to_string(),
    }
}

/// A site path (`/img/cover-1.svg`) becomes `{base}/img/cover-1.svg`; an absolute address, or a
/// scheme-relative one (`//cdn…`, another host), stays as it is.
pub fn absolute(base: &str, url: &mut String) {
    if url.starts_with('/') && !url.starts_with("//") {
        url.insert_str(0, base);
    }
}

fn encode(pairs: &[(String, String)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// The link to another page: the same query with the paging parameters replaced.
fn page_link(base: &str, path: &str, pairs: &[(String, String)], paging: Paging) -> String {
    let mut kept: Vec<(String, String)> = pairs
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "limit" | "offset" | "page" | "per_page"))
        .cloned()
        .collect();
    match paging {
        Paging::Offset { limit, offset } => {
            kept.push(("limit".into(), limit.to_string()));
            kept.push(("offset".into(), offset.to_string()));
        }
        Paging::Page { page, per_page } => {
            kept.push(("page".into(), page.to_string()));
            kept.push(("per_page".into(), per_page.to_string()));
        }
    }
    format!("{base}{path}?{}", encode(&kept))
}

/// `{"count", "next", "previous", "results"}`.
pub fn envelope(
    base: &str,
    path: &str,
    pairs: &[(String, String)],
    paging: Paging,
    count: u64,
    results: Vec<Value>,
) -> Value {
    let (next, previous) = page_links(base, path, pairs, paging, count);
    json!({
        "count": count,
        "next": next,
        "previous": previous,
        "results": results,
    })
}

/// The envelope's `next` and `previous` links.
pub fn page_links(
    base: &str,
    path: &str,
    pairs: &[(String, String)],
    paging: Paging,
    count: u64,
) -> (Option<String>, Option<String>) {
    let (next, previous) = neighbours(paging, count);
    let link = |p: Option<Paging>| p.map(|p| page_link(base, path, pairs, p));
    (link(next), link(previous))
}

fn neighbours(paging: Paging, count: u64) -> (Option<Paging>, Option<Paging>) {
    match paging {
        Paging::Offset { limit, offset } => (
            (offset.saturating_add(limit) < count).then(|| Paging::Offset {
                limit,
                offset: offset + limit,
            }),
            (offset > 0).then(|| Paging::Offset {
                limit,
                // Past the end, "previous" is the last page that has rows.
                offset: offset.saturating_sub(limit).min(last_start(count, limit)),
            }),
        ),
        Paging::Page { page, per_page } => {
            let pages = count.div_ceil(per_page).max(1);
            (
                (page < pages).then(|| Paging::Page {
                    page: page + 1,
                    per_page,
                }),
                (page > 1).then(|| Paging::Page {
                    page: (page - 1).min(pages),
                    per_page,
                }),
            )
        }
    }
}

fn last_start(count: u64, limit: u64) -> u64 {
    count.saturating_sub(1) / limit * limit
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_links_keep_other_parameters() {
        let pairs = vec![
            ("level".to_string(), "beginner".to_string()),
            ("limit".to_string(), "10".to_string()),
            ("offset".to_string(), "10".to_string()),
        ];
        let page = Paging::Offset {
            limit: 10,
            offset: 10,
        };
        let v = envelope("http://h", "/api/v1/courses", &pairs, page, 25, vec![]);
        assert_eq!(
            v["next"],
            "http://h/api/v1/courses?level=beginner&limit=10&offset=20"
        );
        assert_eq!(
            v["previous"],
            "http://h/api/v1/courses?level=beginner&limit=10&offset=0"
        );
        let last = Paging::Offset {
            limit: 10,
            offset: 20,
        };
        assert!(envelope("http://h", "/x", &pairs, last, 25, vec![])["next"].is_null());
    }

    #[test]
    fn site_paths_become_absolute_and_others_stay() {
        for (stored, shown) in [
            ("/img/cover-1.svg", "https://h/p/img/cover-1.svg"),
            ("https://cdn.example/x.png", "https://cdn.example/x.png"),
            ("//cdn.example/x.png", "//cdn.example/x.png"),
        ] {
            let mut url = stored.to_string();
            absolute("https://h/p", &mut url);
            assert_eq!(url, shown);
        }
    }

    #[test]
    fn page_links_stop_at_the_ends() {
        let first = Paging::Page {
            page: 1,
            per_page: 20,
        };
        let v = envelope("http://h", "/c", &[], first, 41, vec![]);
        assert_eq!(v["next"], "http://h/c?page=2&per_page=20");
        assert!(v["previous"].is_null());
        let beyond = Paging::Page {
            page: 9,
            per_page: 20,
        };
        let v = envelope("http://h", "/c", &[], beyond, 41, vec![]);
        assert!(v["next"].is_null());
        assert_eq!(v["previous"], "http://h/c?page=3&per_page=20");
    }
}
