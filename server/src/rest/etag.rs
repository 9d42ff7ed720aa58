//! Entity tags for API items (RFC 9110 §8.8.3, §13): a strong tag over the item's JSON, so any
//! change to what a client sees changes the tag. `If-None-Match` saves the body (304);
//! `If-Match` refuses a write based on a stale copy (412).

use aws_lc_rs::digest;
use axum::http::{header, HeaderMap, HeaderValue};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};

/// `"<base64url of the first 16 bytes of SHA-256>"`.
pub fn of(body: &[u8]) -> String {
    let hash = digest::digest(&digest::SHA256, body);
    format!("\"{}\"", URL_SAFE_NO_PAD.encode(&hash.as_ref()[..16]))
}

/// The entity tags listed in a conditional header; `None` when the header is absent.
fn listed(headers: &HeaderMap, name: header::HeaderName) -> Option<Vec<String>> {
    let values: Vec<&HeaderValue> = headers.get_all(name).iter().collect();
    if values.is_empty() {
        return None;
    }
    Some(
        values
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect(),
    )
}

/// `If-None-Match` lists this tag (weak comparison, as RFC 9110 asks for this header).
pub fn not_modified(headers: &HeaderMap, tag: &str) -> bool {
    listed(headers, header::IF_NONE_MATCH).is_some_and(|tags| {
        tags.iter()
            .any(|t| t == "*" || t.trim_start_matches("W/") == tag)
    })
}

/// `If-Match` is absent or lists this tag (strong comparison: weak tags never match).
pub fn write_allowed(headers: &HeaderMap, tag: &str) -> bool {
    match listed(headers, header::IF_MATCH) {
        None => true,
        Some(tags) => tags.iter().any(|t| t == "*" || t == tag),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_follow_the_body_and_conditions_compare_them() {
        let a = of(br#"{"id":1}"#);
        assert_ne!(a, of(br#"{"id":2}"#));
        assert!(a.starts_with('"') && a.ends_with('"'));
        let mut h = HeaderMap::new();
        assert!(!not_modified(&h, &a));
        assert!(write_allowed(&h, &a));
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_str(&format!("\"x\", W/{a}")).unwrap(),
        );
        assert!(not_modified(&h, &a));
        h.insert(
            header::IF_MATCH,
            HeaderValue::from_str(&format!("W/{a}")).unwrap(),
        );
        assert!(!write_allowed(&h, &a));
        h.insert(header::IF_MATCH, HeaderValue::from_str(&a).unwrap());
        assert!(write_allowed(&h, &a));
    }
}
