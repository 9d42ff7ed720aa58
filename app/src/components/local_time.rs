//! A moment shown in the visitor's own time zone.
//!
//! The server cannot know the zone, so it renders the UTC time ("2026-12-04 18:30 UTC") inside
//! `<time datetime=… data-local>`; `public/local-time.js`, loaded by every page, rewrites the
//! text in the browser's zone ("2026-12-05 02:30 GMT+8") and keeps the UTC text as the title.
//! Without JavaScript the UTC time stays, which is still right. It is a plain script rather than
//! wasm so that no page's bundle grows by a date library.

use chrono::{DateTime, SecondsFormat, Utc};
use leptos::prelude::*;

/// `at` as the server shows it before the browser's zone applies.
pub fn utc_text(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

#[component]
pub fn LocalTime(at: DateTime<Utc>) -> impl IntoView {
    view! {
        <time datetime=at.to_rfc3339_opts(SecondsFormat::Secs, true) data-local="">
            {utc_text(at)}
        </time>
    }
}

/// The same, for a moment that arrives as RFC 3339 text; text that does not parse is shown as
/// it came.
#[component]
pub fn LocalTimeText(at: String) -> impl IntoView {
    match DateTime::parse_from_rfc3339(&at) {
        Ok(t) => view! { <LocalTime at=t.with_timezone(&Utc) /> }.into_any(),
        Err(_) => view! { <time>{at}</time> }.into_any(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_shows_utc_to_the_minute() {
        let at = DateTime::parse_from_rfc3339("2026-12-04T18:30:59Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(utc_text(at), "2026-12-04 18:30 UTC");
    }
}
