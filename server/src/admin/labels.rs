//! The back office's model vocabulary (model, field and action labels, help texts, choice
//! values) in the request's language.
//!
//! The declarations in `app::admin` are English data shared with the browser bundle and the
//! REST API's OpenAPI document; translating them there would put every translation into the
//! wasm bundle of every visitor. The admin screens get their labels from the server instead, so
//! the Chinese lives in one server-side table (`server/locales/admin.zh-CN.json`), looked up by
//! the English text, gettext style: a label used by five models is translated once. A declared
//! string without its translation, or a translation nothing declares, fails a unit test here.

use std::collections::HashMap;
use std::sync::LazyLock;

use app::error::AppError;
use app::locale::Locale;

static ZH_CN: LazyLock<HashMap<String, String>> = LazyLock::new(|| {
    // A malformed file leaves the screens in English; the unit tests refuse such a file.
    serde_json::from_str(include_str!("../../locales/admin.zh-CN.json")).unwrap_or_default()
});

/// `english` in the request's language (a declared label, or a stored choice value such as an
/// order's status).
pub fn tr(english: &str) -> &str {
    tr_in(app::locale::current(), english)
}

/// `english` in `locale`: itself in English, its table entry in Chinese (itself when missing,
/// which the tests do not let happen for declared strings).
pub fn tr_in(locale: Locale, english: &str) -> &str {
    match locale {
        Locale::en => english,
        Locale::zh_CN => ZH_CN.get(english).map_or(english, String::as_str),
    }
}

/// A model's rows as a not-found error carries them: its label in lower case (`price policy`),
/// the same in every language, since callers match on it; [`with_model_noun`] words it for the
/// reader.
pub fn noun(spec: &app::admin::ModelSpec) -> String {
    spec.label.to_lowercase()
}

/// A model's rows in a sentence of the request's language: `teacher`, 讲师.
pub fn noun_in_request_language(spec: &app::admin::ModelSpec) -> String {
    match app::locale::current() {
        Locale::en => noun(spec),
        other => tr_in(other, spec.label).to_string(),
    }
}

/// `error`, with the model noun of a not-found or gone error in `locale` (the shared noun table
/// in `app::error` knows the services' nouns, not the models'), for the words an answer shows.
pub fn with_model_noun(error: &AppError, locale: Locale) -> Option<AppError> {
    let worded = |what: &str| {
        app::admin::MODELS
            .iter()
            .find(|m| m.label.to_lowercase() == what)
            .map(|m| tr_in(locale, m.label).to_string())
    };
    match (locale, error) {
        (Locale::en, _) => None,
        (_, AppError::NotFound(what)) => worded(what).map(AppError::NotFound),
        (_, AppError::Gone(what)) => worded(what).map(AppError::Gone),
        _ => None,
    }
}

/// The `(value, label)` pairs of a choice field's select: the value stays what is stored and
/// sent back, the label is in the request's language.
pub fn choice_options(values: &'static [&'static str]) -> Vec<(String, String)> {
    values
        .iter()
        .map(|v| (v.to_string(), tr(v).to_string()))
        .collect()
}

/// Strings the admin service itself shows beside the declarations.
pub const YES: &str = "Yes";
pub const NO: &str = "No";
pub const KEEP_SECRET: &str = "Leave blank to keep the current password.";

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use app::admin::{FieldKind, MODELS};

    use super::*;

    /// Every English string the back office can show from the declarations.
    fn declared() -> BTreeSet<&'static str> {
        let mut out: BTreeSet<&'static str> = [YES, NO, KEEP_SECRET].into_iter().collect();
        for model in MODELS {
            out.insert(model.label);
            out.insert(model.label_plural);
            for field in model.fields {
                out.insert(field.label);
                if !field.help.is_empty() {
                    out.insert(field.help);
                }
                if let FieldKind::Choice(values) = field.kind {
                    out.extend(values.iter().copied());
                }
            }
            for action in model.actions {
                out.insert(action.label);
            }
        }
        out
    }

    #[test]
    fn the_table_is_well_formed_json() {
        let parsed: Result<HashMap<String, String>, _> =
            serde_json::from_str(include_str!("../../locales/admin.zh-CN.json"));
        let parsed = parsed.unwrap();
        assert_eq!(parsed.len(), ZH_CN.len());
        assert!(!ZH_CN.is_empty());
    }

    #[test]
    fn every_declared_string_has_its_chinese() {
        let missing: Vec<_> = declared()
            .into_iter()
            .filter(|s| !ZH_CN.contains_key(*s))
            .collect();
        assert!(missing.is_empty(), "no zh-CN for: {missing:#?}");
    }

    #[test]
    fn the_table_holds_nothing_undeclared() {
        let declared = declared();
        let stale: Vec<_> = ZH_CN
            .keys()
            .filter(|k| !declared.contains(k.as_str()))
            .collect();
        assert!(
            stale.is_empty(),
            "translations nothing declares: {stale:#?}"
        );
    }

    #[test]
    fn each_translation_is_chinese_and_english_stays_itself() {
        for (english, chinese) in ZH_CN.iter() {
            assert!(
                chinese
                    .chars()
                    .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{english:?} → {chinese:?} has no Chinese character"
            );
        }
        assert_eq!(tr_in(Locale::en, "Courses"), "Courses");
        assert_eq!(tr_in(Locale::zh_CN, "Courses"), "课程");
        assert_eq!(tr_in(Locale::zh_CN, "draft"), "草稿");
    }
}
