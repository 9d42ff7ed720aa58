//! The error every service, server function and REST handler speaks.
//!
//! Policy: an [`AppError`] is what a client may see. It never carries a driver message, a path
//! or a stack; the server logs the cause once, where it turns an internal failure into
//! [`AppError::Internal`]. Each kind maps to one HTTP status ([`AppError::status`]), so pages,
//! server functions and the REST API agree on what went wrong.

use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

/// One field that failed validation, with a message meant for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// What `Retry-After` says on a 503: about how long a Redis restart or a database failover
/// takes to be noticed and recovered from.
pub const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 5;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// A malformed request: the text says what to fix.
    #[error("{0}")]
    BadRequest(String),
    /// Well-formed input that breaks a rule, field by field.
    #[error("some fields are not valid")]
    Validation(Vec<FieldError>),
    #[error("please sign in first")]
    Unauthenticated,
    #[error("you do not have permission to do this")]
    Forbidden,
    /// The argument names the kind of thing that was not found ("course").
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0} has been deleted")]
    Gone(String),
    #[error("{0}")]
    Conflict(String),
    #[error("too many attempts; try again in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    /// A dependency (the database, Redis) is briefly away: nothing was done, and the same
    /// request will work once it is back. Answered 503 with `Retry-After`
    /// ([`UNAVAILABLE_RETRY_AFTER_SECS`]), never a hang and never a silent sign-out.
    #[error("the site is briefly unavailable; please try again in a few seconds")]
    Unavailable,
    /// Something broke on our side; details are in the server log under the request id.
    #[error("something went wrong on our side; please try again")]
    Internal,
}

impl AppError {
    pub fn status(&self) -> u16 {
        match self {
            AppError::BadRequest(_) => 400,
            AppError::Validation(_) => 422,
            AppError::Unauthenticated => 401,
            AppError::Forbidden => 403,
            AppError::NotFound(_) => 404,
            AppError::Gone(_) => 410,
            AppError::Conflict(_) => 409,
            AppError::RateLimited { .. } => 429,
            AppError::Unavailable => 503,
            AppError::Internal => 500,
        }
    }

    /// A short stable code for problem+json `type` URIs and for the UI to branch on.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest(_) => "bad-request",
            AppError::Validation(_) => "validation",
            AppError::Unauthenticated => "unauthenticated",
            AppError::Forbidden => "forbidden",
            AppError::NotFound(_) => "not-found",
            AppError::Gone(_) => "gone",
            AppError::Conflict(_) => "conflict",
            AppError::RateLimited { .. } => "rate-limited",
            AppError::Unavailable => "unavailable",
            AppError::Internal => "internal",
        }
    }

    /// What went wrong, in `locale`: the words a page or a problem+json `detail` shows. Kinds
    /// that carry their own text (a bad request, a conflict) were phrased where they arose,
    /// in the request's language.
    pub fn message(&self, locale: crate::locale::Locale) -> String {
        use crate::i18n::td_string;
        match self {
            AppError::BadRequest(text) | AppError::Conflict(text) => text.clone(),
            AppError::Validation(_) => td_string!(locale, errors.validation).into(),
            AppError::Unauthenticated => td_string!(locale, errors.unauthenticated).into(),
            AppError::Forbidden => td_string!(locale, errors.forbidden).into(),
            AppError::NotFound(what) => {
                let what = noun(what, locale);
                td_string!(locale, errors.not_found, what = what).to_string()
            }
            AppError::Gone(what) => {
                let what = noun(what, locale);
                td_string!(locale, errors.gone, what = what).to_string()
            }
            AppError::RateLimited { retry_after_secs } => {
                td_string!(locale, errors.rate_limited, secs = retry_after_secs).to_string()
            }
            AppError::Unavailable => td_string!(locale, errors.unavailable).into(),
            AppError::Internal => td_string!(locale, errors.internal).into(),
        }
    }

    /// The problem+json `title` for this error's status, in `locale`.
    pub fn title(&self, locale: crate::locale::Locale) -> &'static str {
        title_for_status(self.status(), locale)
    }

    /// The message for one field, for forms that show errors beside their inputs.
    pub fn field_message(&self, field: &str) -> Option<String> {
        match self {
            AppError::Validation(errors) => errors
                .iter()
                .find(|e| e.field == field)
                .map(|e| e.message.clone()),
            _ => None,
        }
    }
}

/// The thing a [`AppError::NotFound`] or [`AppError::Gone`] names, in `locale`. Services name
/// it in English ("course"), the words the API's clients match on; a noun this table does not
/// know is shown as given.
pub fn noun(what: &str, locale: crate::locale::Locale) -> &str {
    use crate::i18n::td_string;
    match what {
        "course" => td_string!(locale, errors.noun_course),
        "payment provider" => td_string!(locale, errors.noun_payment_provider),
        "user" => td_string!(locale, errors.noun_user),
        "seckill event" => td_string!(locale, errors.noun_seckill_event),
        "payment" => td_string!(locale, errors.noun_payment),
        "lesson" => td_string!(locale, errors.noun_lesson),
        "order" => td_string!(locale, errors.noun_order),
        "failed job" => td_string!(locale, errors.noun_failed_job),
        "terminal session" => td_string!(locale, errors.noun_terminal_session),
        "session" => td_string!(locale, errors.noun_session),
        "role" => td_string!(locale, errors.noun_role),
        "host" => td_string!(locale, errors.noun_host),
        "export" => td_string!(locale, errors.noun_export),
        "export file" => td_string!(locale, errors.noun_export_file),
        "page" => td_string!(locale, errors.noun_page),
        "notification" => td_string!(locale, errors.noun_notification),
        "model" => td_string!(locale, errors.noun_model),
        "learning path" => td_string!(locale, errors.noun_learning_path),
        "connected account" => td_string!(locale, errors.noun_connected_account),
        "this download link" => td_string!(locale, errors.noun_download_link),
        other => other,
    }
}

/// The short name of an HTTP error status, in `locale` (problem+json `title`).
pub fn title_for_status(status: u16, locale: crate::locale::Locale) -> &'static str {
    use crate::i18n::td_string;
    match status {
        400 => td_string!(locale, errors.title_400),
        401 => td_string!(locale, errors.title_401),
        403 => td_string!(locale, errors.title_403),
        404 => td_string!(locale, errors.title_404),
        409 => td_string!(locale, errors.title_409),
        410 => td_string!(locale, errors.title_410),
        422 => td_string!(locale, errors.title_422),
        429 => td_string!(locale, errors.title_429),
        500 => td_string!(locale, errors.title_500),
        503 => td_string!(locale, errors.title_503),
        _ => td_string!(locale, errors.title_generic),
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // The request never reached our code in a usable shape: say so, in the client's terms.
            ServerFnErrorErr::Args(msg) | ServerFnErrorErr::Deserialization(msg) => {
                AppError::BadRequest(
                    crate::i18n::td_string!(
                        crate::locale::current(),
                        errors.request_unreadable,
                        why = msg
                    )
                    .to_string(),
                )
            }
            ServerFnErrorErr::MissingArg(msg) => AppError::BadRequest(
                crate::i18n::td_string!(
                    crate::locale::current(),
                    errors.missing_argument,
                    why = msg
                )
                .to_string(),
            ),
            ServerFnErrorErr::UnsupportedRequestMethod(msg) => AppError::BadRequest(msg),
            // Transport failures on the client side (offline, server restarting).
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => AppError::Internal,
            _ => AppError::Internal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_client_error_or_500_status() {
        assert_eq!(AppError::NotFound("course".into()).status(), 404);
        assert_eq!(AppError::Validation(vec![]).status(), 422);
        assert_eq!(AppError::Unavailable.status(), 503);
        assert_eq!(
            AppError::Internal.to_string(),
            "something went wrong on our side; please try again"
        );
    }

    #[test]
    fn field_message_finds_the_field() {
        let err = AppError::Validation(vec![FieldError::new("email", "not an e-mail address")]);
        assert_eq!(
            err.field_message("email").as_deref(),
            Some("not an e-mail address")
        );
        assert_eq!(err.field_message("username"), None);
    }
}
