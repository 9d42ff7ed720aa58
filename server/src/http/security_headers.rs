//! Headers that tell browsers what a page may do: run only our scripts, never be framed, never
//! be sniffed into another type, and keep paths out of other sites' `Referer`.
//!
//! The Content-Security-Policy allows scripts from our origin and the inline scripts Leptos
//! writes into the page (hydration and resource data), which carry the per-response nonce that
//! `leptos_axum` generates; wasm needs `'wasm-unsafe-eval'` to be compiled. A script injected
//! into a page (an XSS that slipped past the Markdown sanitiser) has no nonce and does not run.

use axum::http::{header, HeaderName, HeaderValue};
use tower_http::set_header::SetResponseHeaderLayer;

/// Sent with every response: cheap, and right for pages, JSON and files alike.
pub fn layers() -> [SetResponseHeaderLayer<HeaderValue>; 3] {
    [
        SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ),
        SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ),
    ]
}

/// The policy of a page whose inline scripts carry `nonce`.
pub fn page_policy(nonce: &str) -> String {
    policy(nonce, "'self'")
}

/// The terminal page (`/terminal/…`): xterm.js writes its own `<style>` elements, so inline
/// styles are allowed there (scripts stay as strict as everywhere). Loaded as a full page.
pub fn terminal_policy(nonce: &str) -> String {
    policy(nonce, "'self' 'unsafe-inline'")
}

fn policy(nonce: &str, style: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src {style}; img-src 'self' data: https:; media-src 'self' https:; \
         connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
    )
}

/// For a page being rendered (called from the Leptos context of every page request): puts the
/// policy with this response's nonce on the response. Server-function calls have no nonce and
/// get none (they answer data, not documents).
pub fn set_page_policy() {
    use leptos::prelude::use_context;
    let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    let terminal = use_context::<axum::http::request::Parts>()
        .is_some_and(|parts| parts.uri.path().starts_with("/terminal/"));
    let policy = if terminal {
        terminal_policy(&nonce)
    } else {
        page_policy(&nonce)
    };
    if let Ok(value) = HeaderValue::from_str(&policy) {
        response.insert_header(HeaderName::from_static("content-security-policy"), value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_names_the_nonce_and_forbids_framing_and_plugins() {
        let policy = page_policy("abc123");
        assert!(policy.contains("script-src 'self' 'nonce-abc123' 'wasm-unsafe-eval'"));
        assert!(policy.contains("frame-ancestors 'none'"));
        assert!(policy.contains("object-src 'none'"));
        assert!(!policy.contains("unsafe-inline"), "{policy}");
        assert!(HeaderValue::from_str(&policy).is_ok());
        let terminal = terminal_policy("abc123");
        assert!(terminal.contains("style-src 'self' 'unsafe-inline';"));
        assert!(terminal.contains("script-src 'self' 'nonce-abc123' 'wasm-unsafe-eval';"));
    }
}
