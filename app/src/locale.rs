//! Which language a page, a form error or an API answer is in.
//!
//! One language at a time, chosen on the server before anything is rendered: the `lang` query
//! parameter (the header's switch, and the `hreflang` alternates), else the `xc_locale` cookie
//! it leaves behind, else `Accept-Language`, else Chinese. The server's locale layer resolves it
//! once per request ([`RequestLocale`] in the request's extensions, and a task-local for the
//! services it calls); in the browser, pages read it from `<html lang>`, which the server
//! wrote, so hydration renders the same words. Switching reloads the page: nothing re-renders
//! half in one language and half in the other.

pub use crate::i18n::Locale;

/// The cookie that remembers a visitor's choice.
pub const COOKIE: &str = "xc_locale";
/// The query parameter that switches the language (and sets the cookie).
pub const QUERY: &str = "lang";

impl Locale {
    /// The BCP 47 tag (`zh-CN`, `en`), as in `<html lang>`, the cookie and `users.locale`.
    pub fn as_str(self) -> &'static str {
        <Self as leptos_i18n::Locale>::as_str(self)
    }
}

/// The language a request was resolved to, in its extensions (set by the server's locale layer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestLocale(pub Locale);

/// The language of a BCP 47 tag, loosely: `zh`, `zh-CN`, `zh-Hans-CN` are Chinese (simplified,
/// the only Chinese we have); `en`, `en-GB` English. Anything else is `None`.
pub fn parse(tag: &str) -> Option<Locale> {
    let tag = tag.trim();
    let primary = tag.split(['-', '_']).next().unwrap_or("");
    if primary.eq_ignore_ascii_case("zh") {
        // Traditional-script Chinese readers would rather read English than guess at Simplified.
        let lower = tag.to_ascii_lowercase();
        if lower.contains("hant") || lower.ends_with("-tw") || lower.ends_with("-hk") {
            return None;
        }
        Some(Locale::zh_CN)
    } else if primary.eq_ignore_ascii_case("en") {
        Some(Locale::en)
    } else {
        None
    }
}

/// The best language for an `Accept-Language` header: the highest `q` we speak, the first
/// listed on a tie; `q=0` means "not this one".
pub fn negotiate(accept_language: &str) -> Option<Locale> {
    let mut best: Option<(u16, Locale)> = None;
    for part in accept_language.split(',').take(32) {
        let mut pieces = part.split(';');
        let tag = pieces.next().unwrap_or("").trim();
        let quality = pieces
            .find_map(|p| p.trim().strip_prefix("q="))
            .map_or(Some(1000), |q| {
                q.trim()
                    .parse::<f32>()
                    .ok()
                    .filter(|q| (0.0..=1.0).contains(q))
                    // Whole thousandths: `q` has at most three decimals.
                    .map(|q| (q * 1000.0).round() as u16)
            });
        let (Some(quality), Some(locale)) = (quality, parse(tag)) else {
            continue;
        };
        if quality > 0 && best.is_none_or(|(q, _)| quality > q) {
            best = Some((quality, locale));
        }
    }
    best.map(|(_, locale)| locale)
}

/// The language being rendered or answered now. In the browser, the page's (fixed for the
/// page's life); on the server, the request's; the default outside any request (jobs say
/// which language they want explicitly).
pub fn current() -> Locale {
    #[cfg(feature = "ssr")]
    if let Some(locale) = server::request_locale() {
        return locale;
    }
    #[cfg(all(not(feature = "ssr"), target_arch = "wasm32"))]
    if let Some(locale) = page_locale() {
        return locale;
    }
    Locale::default()
}

/// `<html lang>`, which the server wrote in the page's language. Only in a browser: the
/// unit tests of this crate run natively, without a document.
#[cfg(all(not(feature = "ssr"), target_arch = "wasm32"))]
fn page_locale() -> Option<Locale> {
    thread_local! {
        // Read once: the page's language never changes.
        static PAGE: std::cell::OnceCell<Option<Locale>> = const { std::cell::OnceCell::new() };
    }
    PAGE.with(|page| {
        *page.get_or_init(|| {
            leptos::prelude::document()
                .document_element()
                .and_then(|html| html.get_attribute("lang"))
                .and_then(|lang| parse(&lang))
        })
    })
}

/// The other language: what the header's switch offers.
pub fn other(locale: Locale) -> Locale {
    match locale {
        Locale::zh_CN => Locale::en,
        Locale::en => Locale::zh_CN,
    }
}

/// The switch's label: each language named in itself.
pub fn native_name(locale: Locale) -> &'static str {
    match locale {
        Locale::zh_CN => "中文",
        Locale::en => "English",
    }
}

#[cfg(feature = "ssr")]
pub mod server {
    //! The request's language on the server: a task-local the locale layer sets around the
    //! whole request, and the request's extensions for work Leptos spawns off that task
    //! (resources rendered in parallel), which still sees the request through its context.
    use super::{Locale, RequestLocale};

    tokio::task_local! {
        static LOCALE: Locale;
    }

    /// Runs `future` (a request's handling) with `locale` as [`super::current`].
    pub async fn scope<F: std::future::Future>(locale: Locale, future: F) -> F::Output {
        LOCALE.scope(locale, future).await
    }

    pub(super) fn request_locale() -> Option<Locale> {
        LOCALE.try_with(|l| *l).ok().or_else(|| {
            leptos::prelude::use_context::<http::request::Parts>()
                .and_then(|parts| parts.extensions.get::<RequestLocale>().map(|l| l.0))
        })
    }
}

#[cfg(test)]
#[path = "../i18n_check.rs"]
mod i18n_check;

#[cfg(test)]
mod tests {
    use super::i18n_check::{check_every_language_has_every_message, texts, LOCALES, NAMESPACES};
    use super::*;
    use std::path::PathBuf;

    fn locales_dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("locales")
    }

    #[test]
    fn every_language_has_every_message() {
        assert_eq!(
            check_every_language_has_every_message(&locales_dir()),
            Ok(())
        );
    }

    #[test]
    fn the_rule_catches_a_missing_key_and_a_lost_placeholder() {
        let dir = std::env::temp_dir().join(format!("xc-i18n-check-{}", std::process::id()));
        for (locale, body) in [
            ("zh-CN", r#"{"a": "甲 {{ n }}", "b": "乙"}"#),
            ("en", r#"{"a": "A"}"#),
        ] {
            std::fs::create_dir_all(dir.join(locale)).unwrap();
            for ns in NAMESPACES {
                std::fs::write(dir.join(locale).join(format!("{ns}.json")), body).unwrap();
            }
        }
        let problems = check_every_language_has_every_message(&dir).unwrap_err();
        assert!(
            problems.contains("en/common.json: `b` is missing"),
            "{problems}"
        );
        assert!(problems.contains("`a` takes []"), "{problems}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn has_han(text: &str) -> bool {
        // CJK ideographs, and the CJK and full-width punctuation Chinese text is set in.
        text.chars().any(|c| {
            ('\u{4e00}'..='\u{9fff}').contains(&c)
                || ('\u{3000}'..='\u{303f}').contains(&c)
                || ('\u{ff00}'..='\u{ffef}').contains(&c)
        })
    }

    /// One language at a time: no English message carries Chinese, and no Chinese message is
    /// English text with a Chinese label in front ("课程 Courses").
    #[test]
    fn each_language_file_is_in_its_own_language() {
        // Names that are the same in both, and the switch's label for Chinese.
        let same_in_both = ["QQ", "GitHub", "404", "…", "—", "中文"];
        for ns in NAMESPACES {
            for (key, text) in texts(&locales_dir().join("en").join(format!("{ns}.json"))).unwrap()
            {
                assert!(
                    !has_han(&text) || same_in_both.iter().any(|s| text.contains(s)),
                    "en/{ns}.json `{key}` has Chinese in it: {text}"
                );
            }
            for (key, text) in
                texts(&locales_dir().join(LOCALES[0]).join(format!("{ns}.json"))).unwrap()
            {
                let without_placeholders: String = text
                    .split("{{")
                    .map(|part| part.split_once("}}").map_or(part, |(_, rest)| rest))
                    .collect();
                let words: Vec<&str> = without_placeholders
                    .split(|c: char| !c.is_ascii_alphabetic())
                    .filter(|w| w.len() >= 4)
                    .collect();
                // A few ASCII words are fine (parameter names the API takes, "Xuecheng"), a
                // sentence is not.
                assert!(
                    words.is_empty()
                        || has_han(&text) && words.len() <= 6
                        || same_in_both.contains(&text.as_str()),
                    "zh-CN/{ns}.json `{key}` is not Chinese: {text}"
                );
            }
        }
    }

    #[test]
    fn tags_are_read_loosely() {
        assert_eq!(parse("zh-CN"), Some(Locale::zh_CN));
        assert_eq!(parse("zh"), Some(Locale::zh_CN));
        assert_eq!(parse("ZH-hans-cn"), Some(Locale::zh_CN));
        assert_eq!(parse("zh-TW"), None);
        assert_eq!(parse("en-GB"), Some(Locale::en));
        assert_eq!(parse("fr"), None);
        assert_eq!(parse(""), None);
    }

    #[test]
    fn accept_language_picks_the_highest_quality_we_speak() {
        assert_eq!(negotiate("en-US,en;q=0.9,zh-CN;q=0.8"), Some(Locale::en));
        assert_eq!(negotiate("fr-FR, zh;q=0.5, en;q=0.4"), Some(Locale::zh_CN));
        assert_eq!(negotiate("de, fr;q=0.8"), None);
        assert_eq!(negotiate("en;q=0, zh;q=0.1"), Some(Locale::zh_CN));
        assert_eq!(negotiate("en;q=abc"), None);
        assert_eq!(negotiate("zh-CN;q=0.5, en;q=0.5"), Some(Locale::zh_CN));
        assert_eq!(negotiate(""), None);
    }

    #[test]
    fn the_default_is_chinese() {
        assert_eq!(Locale::default(), Locale::zh_CN);
        assert_eq!(other(Locale::zh_CN), Locale::en);
    }
}
