//! Account fields as types: a value of these types has passed the rules, on either side.

use serde::{Deserialize, Serialize};

use crate::error::FieldError;
use crate::i18n::td_string;
use crate::locale;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim();
        let problem = |m: &str| Err(FieldError::new("username", m));
        let loc = locale::current();
        if s.chars().count() < 3 || s.chars().count() > 32 {
            return problem(td_string!(loc, errors.username_length));
        }
        if !s.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return problem(td_string!(loc, errors.username_start));
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        {
            return problem(td_string!(loc, errors.username_chars));
        }
        Ok(Self(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    /// A pragmatic check (one `@`, a dot in the domain, no spaces or control characters); the
    /// verification mail is the real test. Stored lower-cased.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim().to_lowercase();
        let valid = s.len() <= 254
            && !s.contains(|c: char| c.is_whitespace() || c.is_control())
            && matches!(s.split_once('@'), Some((local, domain))
                if !local.is_empty() && !domain.contains('@') && domain.contains('.')
                    && !domain.starts_with('.') && !domain.ends_with('.'));
        if valid {
            Ok(Self(s))
        } else {
            Err(FieldError::new(
                "email",
                td_string!(locale::current(), errors.email_invalid),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where to go after signing in: `next` when it is a path on this site, else the account
/// page. Anything that could leave the site (`//evil.test`, `/\evil.test`, a scheme, control
/// characters) is refused: an open redirect would lend our sign-in page to phishing.
pub fn local_destination(next: Option<&str>) -> &str {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && path.len() <= 512
                && !path.chars().any(|c| c.is_control() || c == '\\') =>
        {
            path
        }
        _ => "/account",
    }
}

pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_CHARS: usize = 128;

/// Checks a new password against the policy: long enough, not the username, not a well-known one.
pub fn check_password(password: &str, username: &str) -> Result<(), FieldError> {
    let chars = password.chars().count();
    let problem = |m: String| Err(FieldError::new("password", m));
    let loc = locale::current();
    if chars < MIN_PASSWORD_CHARS {
        return problem(td_string!(loc, errors.password_short, n = MIN_PASSWORD_CHARS).to_string());
    }
    if chars > MAX_PASSWORD_CHARS {
        return problem(td_string!(loc, errors.password_long, n = MAX_PASSWORD_CHARS).to_string());
    }
    if !username.is_empty() && password.to_lowercase().contains(&username.to_lowercase()) {
        return problem(td_string!(loc, errors.password_has_username).into());
    }
    const COMMON: [&str; 8] = [
        "password12",
        "1234567890",
        "qwertyuiop",
        "iloveyou12",
        "passw0rd12",
        "0123456789",
        "abcdefghij",
        "1111111111",
    ];
    if COMMON.iter().any(|c| password.eq_ignore_ascii_case(c))
        || password.chars().all(|c| password.starts_with(c))
    {
        return problem(td_string!(loc, errors.password_common).into());
    }
    Ok(())
}

/// A rough strength score from 0 (weak) to 4 (strong), for the hint under the password field.
pub fn password_strength(password: &str) -> u8 {
    let classes = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    let len = password.chars().count();
    let score = match len {
        0..=9 => 0,
        10..=13 => 1,
        14..=19 => 2,
        _ => 3,
    } + usize::from(classes >= 3);
    u8::try_from(score.min(4)).unwrap_or(4)
}

#[cfg(test)]
mod tests {

    #[test]
    fn sign_in_goes_back_only_to_paths_on_this_site() {
        assert_eq!(
            local_destination(Some("/admin/courses?page=2")),
            "/admin/courses?page=2"
        );
        assert_eq!(local_destination(None), "/account");
        for hostile in [
            "//evil.test",
            "/\\evil.test",
            "https://evil.test",
            "javascript:x",
            "/a\nb",
            "",
        ] {
            assert_eq!(local_destination(Some(hostile)), "/account", "{hostile}");
        }
    }

    use super::*;

    #[test]
    fn usernames() {
        assert!(Username::parse("alice_01").is_ok());
        assert!(Username::parse("al").is_err());
        assert!(Username::parse("1alice").is_err());
        assert!(Username::parse("ali ce").is_err());
    }

    #[test]
    fn emails() {
        assert_eq!(
            Email::parse(" Alice@Example.COM ").unwrap().as_str(),
            "alice@example.com"
        );
        for bad in [
            "alice", "a@b", "a@@b.c", "@b.c", "a b@c.d", "a@.c", "a\0b@c.d",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords() {
        assert!(check_password("correct horse battery", "alice").is_ok());
        assert!(check_password("short", "alice").is_err());
        assert!(check_password("alice-is-great", "alice").is_err());
        assert!(check_password("1234567890", "bob").is_err());
        assert!(password_strength("Tr0ub4dor&3-long-enough") >= 3);
        assert_eq!(password_strength("abc"), 0);
    }
}
