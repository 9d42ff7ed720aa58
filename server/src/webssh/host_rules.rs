//! The host and grant rules the model engine applies before it writes (the back office and the
//! REST API alike): secrets are sealed into their own columns, a private key must be one this
//! server can use, a pasted host key must look like `SHA256:…`, a host pointed elsewhere loses
//! the secrets it had, a grant names a role or a user (exactly one) and a window that is not
//! backwards.

use app::admin::{FieldKind, FieldSpec};
use app::error::{AppError, FieldError};
use app::i18n::td_string;
use serde_json::Value;

use super::secrets::SecretBox;
use crate::error::internal;
use crate::model_engine::input::Assignments;
use crate::model_engine::sql::SqlValue;
use crate::model_engine::Record;

const SEALED: FieldKind = FieldKind::Secret { max: 0 };
static PASSWORD_ENC: FieldSpec = FieldSpec::new("password_enc", "Password", SEALED).write_only();
static KEY_ENC: FieldSpec = FieldSpec::new("private_key_enc", "Private key", SEALED).write_only();
static PASSPHRASE_ENC: FieldSpec =
    FieldSpec::new("passphrase_enc", "Key passphrase", SEALED).write_only();
static OFFERED: FieldSpec = FieldSpec::new(
    "offered_host_key_fingerprint",
    "Refused host key",
    FieldKind::Text { max: 100 },
)
.nullable();

fn take(values: &mut Assignments, name: &str) -> Option<SqlValue> {
    let at = values.iter().position(|(f, _)| f.name == name)?;
    Some(values.remove(at).1)
}

fn text_of<'a>(values: &'a Assignments, name: &str) -> Option<&'a str> {
    values
        .iter()
        .find(|(f, _)| f.name == name)
        .and_then(|(_, v)| match v {
            SqlValue::Text(s) => Some(s.as_str()),
            _ => None,
        })
}

/// Whether `s` reads like OpenSSH's SHA-256 fingerprint (`SHA256:` + 43 base64 characters).
pub fn is_fingerprint(s: &str) -> bool {
    s.strip_prefix("SHA256:").is_some_and(|b| {
        b.len() == 43
            && b.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/')
    })
}

/// The columns that say which machine a host is: change one, and the stored secrets would be
/// sent to another machine (or to one that merely holds the newly trusted key).
const DESTINATION: [&str; 3] = ["hostname", "port", "host_key_fingerprint"];

/// Whether this write points an existing host at another machine. Accepting the key that the
/// host at this address itself presented (recorded as the refused one) is not: that is how a
/// rotated host key is trusted again.
fn repoints(before: Option<&Record>, values: &Assignments) -> bool {
    let Some(before) = before else { return false };
    let was = |name: &str| before.get(name).cloned().unwrap_or(Value::Null);
    values.iter().any(|(f, v)| {
        let now = v.to_json();
        DESTINATION.contains(&f.name)
            && was(f.name) != now
            && !(f.name == "host_key_fingerprint"
                && !now.is_null()
                && was("offered_host_key_fingerprint") == now)
    })
}

pub fn before_write(
    secrets: Option<&SecretBox>,
    before: Option<&Record>,
    values: &mut Assignments,
) -> Result<(), AppError> {
    // A host may be saved before its secret is known (the terminal then says what is
    // missing), so nothing here insists on one.
    let mut errors = Vec::new();
    let plain = |v: Option<SqlValue>| match v {
        Some(SqlValue::Text(s)) if !s.is_empty() => Some(Some(s)),
        Some(_) => Some(None),
        None => None,
    };
    let mut password = plain(take(values, "password"));
    let mut key = plain(take(values, "private_key"));
    let mut passphrase = plain(take(values, "passphrase"));
    if repoints(before, values) {
        // Someone allowed to edit hosts need not know their secrets: pointing a host at a
        // machine they control must not hand them the password or key. Whatever secret this
        // write does not bring is cleared.
        for secret in [&mut password, &mut key, &mut passphrase] {
            if secret.is_none() {
                *secret = Some(None);
            }
        }
    }
    if let Some(Some(pem)) = &key {
        let pass = passphrase.clone().flatten();
        if russh::keys::decode_secret_key(pem, pass.as_deref()).is_err() {
            errors.push(FieldError::new(
                "private_key",
                td_string!(app::locale::current(), errors.ssh_private_key_invalid),
            ));
        }
    }
    if let Some(fp) = text_of(values, "host_key_fingerprint") {
        if !is_fingerprint(fp) {
            errors.push(FieldError::new(
                "host_key_fingerprint",
                td_string!(app::locale::current(), errors.ssh_fingerprint_format),
            ));
        }
    }
    if values.iter().any(|(f, _)| f.name == "host_key_fingerprint") {
        // Staff chose the key to trust: the refused one is settled either way.
        values.push((&OFFERED, SqlValue::Null));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    for (plain, spec) in [
        (password, &PASSWORD_ENC),
        (key, &KEY_ENC),
        (passphrase, &PASSPHRASE_ENC),
    ] {
        let Some(plain) = plain else { continue };
        let sealed = match plain {
            None => SqlValue::Null,
            Some(s) => {
                let secrets = secrets.ok_or(AppError::Internal)?;
                let sealed = secrets
                    .seal(spec.name, &s)
                    .map_err(|e| internal(e, "sealing a host secret"))?;
                SqlValue::Text(sealed)
            }
        };
        values.push((spec, sealed));
    }
    Ok(())
}

pub fn grant(before: Option<&Record>, values: &mut Assignments) -> Result<(), AppError> {
    let effective = |name: &str| -> Option<Value> {
        match values.iter().find(|(f, _)| f.name == name) {
            Some((_, v)) => Some(v.to_json()).filter(|v| !v.is_null()),
            None => before
                .and_then(|b| b.get(name))
                .cloned()
                .filter(|v| !v.is_null()),
        }
    };
    let mut errors = Vec::new();
    let (role, user) = (effective("role_id"), effective("user_id"));
    if role.is_some() == user.is_some() {
        errors.push(FieldError::new(
            "role_id",
            td_string!(app::locale::current(), errors.ssh_grant_target),
        ));
    }
    let time = |name: &str| {
        effective(name)
            .and_then(|v| v.as_str().map(str::to_string))
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(&s).ok())
    };
    if let (Some(from), Some(until)) = (time("starts_at"), time("ends_at")) {
        if until <= from {
            errors.push(FieldError::new(
                "ends_at",
                td_string!(app::locale::current(), errors.ends_after_start),
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_look_like_openssh_prints_them() {
        assert!(is_fingerprint(
            "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s"
        ));
        assert!(!is_fingerprint("MD5:aa:bb"));
        assert!(!is_fingerprint("SHA256:short"));
    }
}
