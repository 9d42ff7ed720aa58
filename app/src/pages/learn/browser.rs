//! What the lesson page asks of the browser (media element, clipboard, beacon, scrolling):
//! real in the hydrated page, nothing while rendering on the server.

#[cfg(feature = "hydrate")]
mod real {
    use leptos::prelude::*;
    use wasm_bindgen::JsCast;

    fn media(video: &NodeRef<leptos::html::Video>) -> Option<web_sys::HtmlMediaElement> {
        video.get_untracked().map(|v| v.unchecked_into())
    }

    /// `(current time, duration)` in seconds; duration 0 while unknown.
    pub fn times(video: &NodeRef<leptos::html::Video>) -> (f64, f64) {
        media(video).map_or((0.0, 0.0), |m| {
            let d = m.duration();
            (m.current_time(), if d.is_finite() { d } else { 0.0 })
        })
    }

    /// The element already knows its duration (`HAVE_METADATA` or later).
    pub fn has_metadata(video: &NodeRef<leptos::html::Video>) -> bool {
        media(video).is_some_and(|m| m.ready_state() >= 1)
    }

    pub fn seek(video: &NodeRef<leptos::html::Video>, secs: f64) {
        if let Some(m) = media(video) {
            m.set_current_time(secs);
        }
    }

    pub fn set_rate(video: &NodeRef<leptos::html::Video>, rate: f64) {
        if let Some(m) = media(video) {
            m.set_playback_rate(rate);
        }
    }

    /// A save that survives the page going away (`navigator.sendBeacon`, a form post to the
    /// same server function the page calls).
    pub fn beacon(lesson_id: i64, position_secs: i64, watched_secs: i64, done: bool) {
        let Some(window) = web_sys::window() else {
            return;
        };
        let Ok(form) = web_sys::UrlSearchParams::new() else {
            return;
        };
        form.append("lesson_id", &lesson_id.to_string());
        form.append("position_secs", &position_secs.to_string());
        form.append("watched_secs", &watched_secs.to_string());
        form.append("done", if done { "true" } else { "false" });
        let _ = window
            .navigator()
            .send_beacon_with_opt_url_search_params("/fn/learn/progress", Some(&form));
    }

    /// A click on a code block's copy button copies the block's text.
    pub fn copy_code(event: &leptos::ev::MouseEvent) {
        let Some(button) = event
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .filter(|e| e.has_attribute("data-copy"))
        else {
            return;
        };
        let text = button
            .closest("figure")
            .ok()
            .flatten()
            .and_then(|f| f.query_selector("pre").ok().flatten())
            .and_then(|pre| pre.text_content())
            .unwrap_or_default();
        if let Some(window) = web_sys::window() {
            let _ = window.navigator().clipboard().write_text(&text);
            let loc = crate::locale::current();
            button.set_text_content(Some(crate::i18n::td_string!(loc, learn.copied)));
        }
    }

    /// Whether the page is scrolled to its end (or has nothing to scroll).
    pub fn at_page_end() -> bool {
        let Some(window) = web_sys::window() else {
            return false;
        };
        let height = window
            .inner_height()
            .ok()
            .and_then(|h| h.as_f64())
            .unwrap_or(0.0);
        let scrolled = window.scroll_y().unwrap_or(0.0);
        let total = window
            .document()
            .and_then(|d| d.document_element())
            .map_or(0.0, |e| f64::from(e.scroll_height()));
        height + scrolled + 40.0 >= total
    }

    /// Whether a key press belongs to a form field (shortcuts leave those alone).
    pub fn in_field(event: &leptos::ev::KeyboardEvent) -> bool {
        event
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .is_some_and(|e| matches!(e.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"))
    }
}

#[cfg(feature = "hydrate")]
pub use real::*;

#[cfg(not(feature = "hydrate"))]
mod stub {
    use leptos::prelude::NodeRef;

    pub fn times(_video: &NodeRef<leptos::html::Video>) -> (f64, f64) {
        (0.0, 0.0)
    }
    pub fn has_metadata(_video: &NodeRef<leptos::html::Video>) -> bool {
        false
    }
    pub fn seek(_video: &NodeRef<leptos::html::Video>, _secs: f64) {}
    pub fn set_rate(_video: &NodeRef<leptos::html::Video>, _rate: f64) {}
    pub fn beacon(_lesson_id: i64, _position_secs: i64, _watched_secs: i64, _done: bool) {}
    pub fn copy_code(_event: &leptos::ev::MouseEvent) {}
    pub fn at_page_end() -> bool {
        false
    }
    pub fn in_field(_event: &leptos::ev::KeyboardEvent) -> bool {
        false
    }
}

#[cfg(not(feature = "hydrate"))]
pub use stub::*;
