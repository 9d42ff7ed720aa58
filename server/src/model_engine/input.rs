//! Client input (JSON) to column values, checked against the model's declaration. Every field
//! error is collected, so a form or an API client learns everything wrong in one answer.

use app::admin::{FieldKind, FieldSpec, ModelSpec};
use app::domain::account::Email;
use app::error::FieldError;
use app::i18n::td_string;
use serde_json::Value;

use super::sql::SqlValue;
use super::Record;

/// How much of the record a request carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Create,
    /// PUT: every required field must be present.
    Replace,
    /// PATCH: only what is given changes.
    Patch,
}

pub type Assignments = Vec<(&'static FieldSpec, SqlValue)>;

pub fn parse(spec: &ModelSpec, input: &Record, mode: Mode) -> Result<Assignments, Vec<FieldError>> {
    let mut errors = Vec::new();
    for key in input.keys() {
        if key != "id" && spec.field(key).is_none() {
            errors.push(FieldError::new(
                key.as_str(),
                td_string!(app::locale::current(), errors.field_unknown),
            ));
        }
    }
    let mut out = Vec::new();
    for field in spec.writable() {
        match input.get(field.name) {
            None => {
                // Passwords are required when an account is made, not on every later change.
                let needed = field.required
                    && (mode == Mode::Create || (mode == Mode::Replace && !field.kind.is_masked()));
                if needed {
                    errors.push(FieldError::new(
                        field.name,
                        td_string!(app::locale::current(), errors.field_required),
                    ));
                }
            }
            Some(raw) => match value(field, raw) {
                Ok(v) => out.push((field, v)),
                Err(message) => errors.push(FieldError::new(field.name, message)),
            },
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

fn value(field: &FieldSpec, raw: &Value) -> Result<SqlValue, String> {
    if raw.is_null() || (raw.as_str().is_some_and(|s| s.trim().is_empty()) && field.nullable) {
        return if field.nullable {
            Ok(SqlValue::Null)
        } else if field.required {
            Err(td_string!(app::locale::current(), errors.field_required).into())
        } else {
            Err(td_string!(app::locale::current(), errors.field_not_empty).into())
        };
    }
    match field.kind {
        FieldKind::Text { max } => {
            let s = text(raw)?.trim().to_string();
            if s.is_empty() && field.required {
                return Err(td_string!(app::locale::current(), errors.field_required).into());
            }
            within(&s, max)?;
            Ok(SqlValue::Text(s))
        }
        FieldKind::LongText { max } => {
            let s = text(raw)?;
            if s.trim().is_empty() && field.required {
                return Err(td_string!(app::locale::current(), errors.field_required).into());
            }
            within(s, max)?;
            Ok(SqlValue::Text(s.replace("\r\n", "\n")))
        }
        FieldKind::Slug => {
            let s = text(raw)?.trim();
            let ok = !s.is_empty()
                && s.len() <= 80
                && s.split('-').all(|part| {
                    !part.is_empty()
                        && part
                            .bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
                });
            if ok {
                Ok(SqlValue::Text(s.to_string()))
            } else {
                Err(td_string!(app::locale::current(), errors.slug_invalid).into())
            }
        }
        FieldKind::Bool => match raw {
            Value::Bool(b) => Ok(SqlValue::Bool(*b)),
            Value::String(s) if s == "true" || s == "on" => Ok(SqlValue::Bool(true)),
            Value::String(s) if s == "false" || s == "off" => Ok(SqlValue::Bool(false)),
            _ => Err(td_string!(app::locale::current(), errors.must_bool).into()),
        },
        FieldKind::Int { min, max } => {
            let n = integer(raw)?;
            if n < min || n > max {
                return Err(td_string!(
                    app::locale::current(),
                    errors.int_between,
                    min = min,
                    max = max
                )
                .to_string());
            }
            Ok(SqlValue::Int(n))
        }
        FieldKind::Cents => {
            let n = integer(raw)?;
            if !(0..=10_000_000_000).contains(&n) {
                return Err(td_string!(app::locale::current(), errors.cents_range).into());
            }
            Ok(SqlValue::Int(n))
        }
        FieldKind::Choice(options) => {
            let s = text(raw)?.trim();
            if options.contains(&s) {
                Ok(SqlValue::Text(s.to_string()))
            } else {
                let options = options.join(", ");
                Err(td_string!(
                    app::locale::current(),
                    errors.choice_one_of,
                    options = options
                )
                .to_string())
            }
        }
        FieldKind::ForeignKey(_) => {
            let n = integer(raw)?;
            if n < 1 {
                return Err(td_string!(app::locale::current(), errors.fk_invalid).into());
            }
            Ok(SqlValue::Int(n))
        }
        FieldKind::Url => {
            let s = text(raw)?.trim();
            let scheme_ok = s.starts_with("https://") || s.starts_with("http://");
            if !scheme_ok || s.len() > 2000 || s.chars().any(char::is_whitespace) {
                return Err(td_string!(app::locale::current(), errors.url_invalid).into());
            }
            Ok(SqlValue::Text(s.to_string()))
        }
        FieldKind::Email => Email::parse(text(raw)?)
            .map(|e| SqlValue::Text(e.as_str().to_string()))
            .map_err(|e| e.message),
        FieldKind::Password => Ok(SqlValue::Text(text(raw)?.to_string())),
        FieldKind::Secret { max } => {
            let s = text(raw)?;
            within(s, max)?;
            Ok(SqlValue::Text(s.replace("\r\n", "\n")))
        }
        // Only declarations that let clients write a timestamp get here (read-only ones are
        // never parsed). A form's `datetime-local` value has no zone: it is read as UTC.
        FieldKind::Timestamp => {
            let s = text(raw)?.trim();
            chrono::DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&chrono::Utc))
                .or_else(|_| {
                    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M").map(|t| t.and_utc())
                })
                .map(SqlValue::Time)
                .map_err(|_| td_string!(app::locale::current(), errors.datetime_invalid).into())
        }
    }
}

fn text(raw: &Value) -> Result<&str, String> {
    let s = raw
        .as_str()
        .ok_or_else(|| td_string!(app::locale::current(), errors.must_text).to_string())?;
    // PostgreSQL's text cannot hold U+0000; refuse it on both backends alike.
    if s.contains('\0') {
        return Err(td_string!(app::locale::current(), errors.no_nul).into());
    }
    Ok(s)
}

fn within(s: &str, max: usize) -> Result<(), String> {
    if s.chars().count() > max {
        Err(td_string!(app::locale::current(), errors.at_most_chars, n = max).to_string())
    } else {
        Ok(())
    }
}

fn integer(raw: &Value) -> Result<i64, String> {
    match raw {
        Value::Number(n) => n
            .as_i64()
            .ok_or_else(|| td_string!(app::locale::current(), errors.whole_number).to_string()),
        Value::String(s) => s
            .trim()
            .parse()
            .map_err(|_| td_string!(app::locale::current(), errors.whole_number).to_string()),
        _ => Err(td_string!(app::locale::current(), errors.whole_number).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(v: Value) -> Record {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let input = record(json!({"title": "", "slug": "Bad Slug", "level": "expert",
            "price_cents": -1, "colour": "red"}));
        let errors = parse(&app::admin::models::COURSE, &input, Mode::Create).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        for f in [
            "colour",
            "title",
            "slug",
            "level",
            "price_cents",
            "teacher_id",
            "category_id",
        ] {
            assert!(fields.contains(&f), "{f} missing from {fields:?}");
        }
    }

    #[test]
    fn patch_needs_no_required_fields_and_ignores_read_only_ones() {
        let input = record(json!({"summary": "short", "id": 3, "created_at": "x"}));
        let out = parse(&app::admin::models::COURSE, &input, Mode::Patch).unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].1, SqlValue::Text("short".into()));
    }

    #[test]
    fn blank_nullable_fields_become_null() {
        let input = record(json!({"cover_url": " "}));
        let out = parse(&app::admin::models::COURSE, &input, Mode::Patch).unwrap();
        assert_eq!(out[0].1, SqlValue::Null);
    }

    #[test]
    fn nul_characters_are_refused_in_text() {
        // Outside a request the messages are in the default language.
        assert_eq!(
            text(&json!("a\0b")),
            Err(td_string!(app::locale::Locale::default(), errors.no_nul).into())
        );
        assert_eq!(text(&json!("ab")), Ok("ab"));
    }

    #[test]
    fn urls_need_a_web_scheme() {
        let input = record(json!({"cover_url": "javascript:alert(1)"}));
        assert!(parse(&app::admin::models::COURSE, &input, Mode::Patch).is_err());
    }
}
