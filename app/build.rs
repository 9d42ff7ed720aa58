//! Compiles the message files under `locales/` into the `i18n` module (leptos_i18n), after
//! checking that every language has every key with the same placeholders: a missing or
//! half-translated message stops the build instead of showing the other language on a page.

use std::path::PathBuf;

use leptos_i18n_build::{Config, ParseOptions, TranslationsInfos};

// Shared with the unit tests (src/locale.rs), which run the same check.
#[path = "i18n_check.rs"]
#[allow(dead_code)]
mod i18n_check;
use i18n_check::{check_every_language_has_every_message, LOCALES, NAMESPACES};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=i18n_check.rs");
    println!("cargo::rerun-if-changed=locales");
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("locales");
    check_every_language_has_every_message(&root)?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    let prepared = out.join("locales");
    prepare_for_the_library(&root, &prepared)?;

    let mut cfg = Config::new(LOCALES[0])?;
    for locale in &LOCALES[1..] {
        cfg = cfg.add_locale(locale)?;
    }
    let cfg = cfg
        .add_namespaces(NAMESPACES)?
        .locales_path(prepared)
        .parse_options(ParseOptions::default().interpolate_display(true));
    let infos = TranslationsInfos::parse(cfg)?;
    // Only errors: its warnings are about the `_one` filled in above, and what they would
    // otherwise say (a missing key) the check above already made a build failure.
    infos.emit_errors();
    // The generated lookups `expect` on values they build themselves; the crate's lints are
    // for code we write.
    let allow: proc_macro2::TokenStream = "#![allow(clippy::expect_used, clippy::unwrap_used)]"
        .parse()
        .map_err(|e| format!("{e:?}"))?;
    infos.generate_i18n_module_with_options(
        out.join("i18n"),
        leptos_i18n_build::options::CodegenOptions::new().top_level_attributes(Some(allow)),
    )?;
    Ok(())
}

/// Copies the message files where the library reads them, with one adjustment: it takes a key
/// for a plural only when it has more than one form, but Chinese has only `other` (CLDR), so
/// a lone `x_other` is given an identical `x_one` (which Chinese never selects).
fn prepare_for_the_library(
    from: &std::path::Path,
    to: &std::path::Path,
) -> Result<(), Box<dyn std::error::Error>> {
    fn fill(value: &mut serde_json::Value) {
        if let serde_json::Value::Object(map) = value {
            let lone: Vec<(String, serde_json::Value)> = map
                .iter()
                .filter_map(|(key, text)| {
                    let base = key.strip_suffix("_other")?;
                    let one = format!("{base}_one");
                    (!map.contains_key(&one)).then(|| (one, text.clone()))
                })
                .collect();
            map.extend(lone);
            map.values_mut().for_each(fill);
        }
    }
    for locale in LOCALES {
        std::fs::create_dir_all(to.join(locale))?;
        for namespace in NAMESPACES {
            let file = format!("{namespace}.json");
            let mut value: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(from.join(locale).join(&file))?)?;
            fill(&mut value);
            std::fs::write(to.join(locale).join(&file), serde_json::to_string(&value)?)?;
        }
    }
    Ok(())
}
