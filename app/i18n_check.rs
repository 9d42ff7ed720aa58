//! The rule every message file keeps, checked by build.rs (a broken rule stops the build) and
//! by the unit tests: each language has every key, with the same placeholders.

use std::collections::BTreeMap;
use std::path::Path;

/// The default language first: it answers when nothing else says which one to use.
pub const LOCALES: &[&str] = &["zh-CN", "en"];
/// One file per part of the site, so each stays short and keys cannot collide across parts.
pub const NAMESPACES: &[&str] = &[
    "common", "catalog", "account", "commerce", "learn", "admin", "errors", "mail",
];

/// Flattens one message file into `key → placeholders`, plural forms (`items_one`,
/// `items_other`) folded into their key since languages have different sets of them.
pub fn messages(path: &Path) -> Result<BTreeMap<String, Vec<String>>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = BTreeMap::new();
    flatten("", &value, &mut out);
    Ok(out)
}

fn flatten(prefix: &str, value: &serde_json::Value, out: &mut BTreeMap<String, Vec<String>>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, inner) in map {
                let key = ["_zero", "_one", "_two", "_few", "_many", "_other"]
                    .iter()
                    .find_map(|suffix| key.strip_suffix(suffix))
                    .unwrap_or(key);
                let full = if prefix.is_empty() {
                    key.to_string()
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(&full, inner, out);
            }
        }
        serde_json::Value::String(text) => {
            let mut names: Vec<String> = text
                .split("{{")
                .skip(1)
                .filter_map(|rest| rest.split_once("}}"))
                .map(|(name, _)| name.trim().to_string())
                .filter(|name| name != "count")
                .collect();
            names.sort();
            names.dedup();
            let slot = out.entry(prefix.to_string()).or_default();
            slot.extend(names);
            slot.sort();
            slot.dedup();
        }
        _ => {
            out.entry(prefix.to_string()).or_default();
        }
    }
}

pub fn check_every_language_has_every_message(root: &Path) -> Result<(), String> {
    let mut problems = Vec::new();
    for namespace in NAMESPACES {
        let file = format!("{namespace}.json");
        let reference = messages(&root.join(LOCALES[0]).join(&file))?;
        for locale in &LOCALES[1..] {
            let other = messages(&root.join(locale).join(&file))?;
            for (key, names) in &reference {
                match other.get(key) {
                    None => problems.push(format!("{locale}/{file}: `{key}` is missing")),
                    Some(theirs) if theirs != names => problems.push(format!(
                        "{locale}/{file}: `{key}` takes {theirs:?}, {} takes {names:?}",
                        LOCALES[0]
                    )),
                    Some(_) => {}
                }
            }
            for key in other.keys().filter(|k| !reference.contains_key(*k)) {
                problems.push(format!(
                    "{}/{file}: `{key}` is missing (only {locale} has it)",
                    LOCALES[0]
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the translations disagree:\n  {}",
            problems.join("\n  ")
        ))
    }
}

/// Every message of a file as (key, text), plural forms listed apart.
pub fn texts(path: &Path) -> Result<Vec<(String, String)>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = Vec::new();
    fn walk(prefix: &str, value: &serde_json::Value, out: &mut Vec<(String, String)>) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, inner) in map {
                    let full = if prefix.is_empty() {
                        key.clone()
                    } else {
                        format!("{prefix}.{key}")
                    };
                    walk(&full, inner, out);
                }
            }
            serde_json::Value::String(text) => out.push((prefix.to_string(), text.clone())),
            other => out.push((prefix.to_string(), other.to_string())),
        }
    }
    walk("", &value, &mut out);
    Ok(out)
}
