//! Picks each request's language before anything renders or answers (see [`app::locale`]).
//!
//! [`layer`], outside the caches: `?lang=` (the header's switch and the `hreflang`
//! alternates; it also sets the `xc_locale` cookie), else that cookie, else `Accept-Language`,
//! else Chinese. The choice goes into the request's extensions (the page cache keys on it) and
//! a task-local for the services, so field messages and problem+json come out in it too.
//!
//! [`profile_layer`], inside the session layer: a signed-in user's choice is kept in their
//! profile (`users.locale`), and a browser without the cookie (a new device) starts in the
//! language the profile holds, so mails, reminders and every device agree.

use axum::{
    extract::{Request, State},
    http::{header, HeaderMap, HeaderValue},
    middleware::Next,
    response::Response,
};
use tower_sessions::Session;

use app::locale::{self, Locale, RequestLocale};

use crate::auth::actor::SessionUser;
use crate::auth::session_store::USER_KEY;
use crate::db::Db;

/// A year: the choice outlives any session.
const COOKIE_MAX_AGE_SECS: u32 = 365 * 24 * 3600;

/// Set by [`layer`] when the request itself chose the language (`?lang=`).
#[derive(Debug, Clone, Copy)]
struct Chosen(Locale);

/// Whether the cookie needs `Secure` (the site is served over https).
#[derive(Debug, Clone, Copy)]
pub struct SecureCookie(pub bool);

fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| k.trim() == name)
        .map(|(_, v)| v.trim().to_string())
}

fn query_choice(query: Option<&str>) -> Option<Locale> {
    query?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == locale::QUERY)
        .and_then(|(_, v)| locale::parse(v))
}

/// The language of a request with these headers and query, and whether the query chose it.
pub fn resolve(headers: &HeaderMap, query: Option<&str>) -> (Locale, bool) {
    if let Some(chosen) = query_choice(query) {
        return (chosen, true);
    }
    let from_cookie = cookie_value(headers, locale::COOKIE).and_then(|v| locale::parse(&v));
    let from_header = || {
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(locale::negotiate)
    };
    (from_cookie.or_else(from_header).unwrap_or_default(), false)
}

fn set_cookie(response: &mut Response, chosen: Locale, secure: bool) {
    let value = format!(
        "{}={}; Path=/; Max-Age={COOKIE_MAX_AGE_SECS}; SameSite=Lax{}",
        locale::COOKIE,
        chosen.as_str(),
        if secure { "; Secure" } else { "" }
    );
    if let Ok(value) = HeaderValue::from_str(&value) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

pub async fn layer(
    State(SecureCookie(secure)): State<SecureCookie>,
    mut request: Request,
    next: Next,
) -> Response {
    let (chosen, by_query) = resolve(request.headers(), request.uri().query());
    let had_cookie = cookie_value(request.headers(), locale::COOKIE)
        .and_then(|v| locale::parse(&v))
        == Some(chosen);
    request.extensions_mut().insert(RequestLocale(chosen));
    if by_query {
        request.extensions_mut().insert(Chosen(chosen));
    }
    let mut response = locale::server::scope(chosen, next.run(request)).await;
    if by_query && !had_cookie {
        set_cookie(&mut response, chosen, secure);
    }
    // The same URL answers in another language for another cookie or header.
    response.headers_mut().append(
        header::VARY,
        HeaderValue::from_static("Accept-Language, Cookie"),
    );
    response
}

/// The absolute session lifetime, to judge a session the way sign-in checks do.
#[derive(Clone, Copy)]
pub struct SessionAbsolute(pub std::time::Duration);

pub async fn profile_layer(
    State((db, SecureCookie(secure), SessionAbsolute(absolute))): State<(
        Db,
        SecureCookie,
        SessionAbsolute,
    )>,
    mut request: Request,
    next: Next,
) -> Response {
    let Some(session) = request.extensions().get::<Session>().cloned() else {
        return next.run(request).await;
    };
    // No session cookie, no session to read: anonymous requests pay nothing here.
    if session.id().is_none() {
        return next.run(request).await;
    }
    let Ok(Some(mut user)) = session.get::<SessionUser>(USER_KEY).await else {
        return next.run(request).await;
    };
    if let Some(Chosen(chosen)) = request.extensions().get::<Chosen>().copied() {
        // Writing the profile is for a session every other path would accept (active account,
        // same password, within its lifetime), not for any record that reads as a user.
        if user.locale.as_deref() != Some(chosen.as_str())
            && matches!(
                crate::auth::actor::signed_in_user(&session, &db, absolute).await,
                Ok(Some(ref row)) if row.id == user.id
            )
        {
            remember(&db, &session, &mut user, chosen).await;
        }
        return next.run(request).await;
    }
    let has_cookie = cookie_value(request.headers(), locale::COOKIE).is_some();
    let from_profile = user.locale.as_deref().and_then(locale::parse);
    match from_profile {
        Some(kept) if !has_cookie => {
            request.extensions_mut().insert(RequestLocale(kept));
            let mut response = locale::server::scope(kept, next.run(request)).await;
            set_cookie(&mut response, kept, secure);
            response
        }
        _ => next.run(request).await,
    }
}

async fn remember(db: &Db, session: &Session, user: &mut SessionUser, chosen: Locale) {
    if let Err(error) = crate::db::users::set_locale(db, user.id, chosen.as_str()).await {
        // The cookie still carries the choice on this device; only other devices miss it.
        tracing::warn!(%error, "could not keep the language in the profile");
        return;
    }
    user.locale = Some(chosen.as_str().to_string());
    if let Err(error) = session.insert(USER_KEY, &*user).await {
        tracing::warn!(%error, "could not note the language in the session");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn the_query_beats_the_cookie_which_beats_the_header() {
        let both = headers(&[
            ("cookie", "a=1; xc_locale=en"),
            ("accept-language", "zh-CN"),
        ]);
        assert_eq!(resolve(&both, Some("lang=zh-CN")), (Locale::zh_CN, true));
        assert_eq!(resolve(&both, Some("q=rust")), (Locale::en, false));
        let header_only = headers(&[("accept-language", "en-US,en;q=0.9")]);
        assert_eq!(resolve(&header_only, None), (Locale::en, false));
        assert_eq!(resolve(&HeaderMap::new(), None), (Locale::zh_CN, false));
        // Nonsense anywhere falls through to the next source.
        let junk = headers(&[("cookie", "xc_locale=klingon"), ("accept-language", "en")]);
        assert_eq!(resolve(&junk, Some("lang=xx")), (Locale::en, false));
    }
}
