//! Record values as people read them, and as form inputs carry them.

use std::collections::HashMap;

use app::admin::{FieldKind, FieldSpec};
use app::domain::Cents;
use serde_json::Value;

use super::labels::{self, tr};

/// A cell in a list: keys shown by name, money in yuan, flags as yes/no and choices in the
/// request's language.
pub fn cell(field: &FieldSpec, value: Option<&Value>, labels: &HashMap<i64, String>) -> String {
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return "—".into();
    };
    match field.kind {
        FieldKind::Bool => tr(if value.as_bool() == Some(true) {
            labels::YES
        } else {
            labels::NO
        })
        .into(),
        FieldKind::Choice(values) => {
            let stored = plain(value);
            // Only a declared value has a translation; anything else is shown as stored.
            match values.iter().find(|v| **v == stored) {
                Some(v) => tr(v).into(),
                None => stored,
            }
        }
        FieldKind::Cents => value
            .as_i64()
            .map(|c| Cents(c).to_string())
            .unwrap_or_default(),
        FieldKind::ForeignKey(_) => {
            let id = value.as_i64().unwrap_or_default();
            labels.get(&id).cloned().unwrap_or_else(|| format!("#{id}"))
        }
        FieldKind::Timestamp => value
            .as_str()
            .map(|t| t.replace('T', " ").trim_end_matches('Z').to_string() + " UTC")
            .unwrap_or_default(),
        _ => plain(value),
    }
}

/// The raw value for an input: what submitting the form unchanged sends back.
pub fn input_value(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(v) => plain(v),
    }
}

/// The `<input>` (or other control) a field is edited with.
pub fn input_kind(field: &FieldSpec) -> &'static str {
    match field.kind {
        FieldKind::Text { .. } | FieldKind::Slug => "text",
        FieldKind::LongText { .. } => "textarea",
        FieldKind::Int { .. } | FieldKind::Cents => "number",
        FieldKind::Bool => "checkbox",
        FieldKind::Choice(_) | FieldKind::ForeignKey(_) => "select",
        FieldKind::Url => "url",
        FieldKind::Email => "email",
        FieldKind::Password => "password",
        // A private key is several lines; a password one.
        FieldKind::Secret { max } if max > 1_000 => "textarea",
        FieldKind::Secret { .. } => "password",
        FieldKind::Timestamp => "datetime",
    }
}

fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
