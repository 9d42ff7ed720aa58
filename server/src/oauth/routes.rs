//! The two redirect endpoints: `/auth/oauth/{provider}/start` sends the browser to the provider
//! with a fresh `state`; `/auth/oauth/{provider}/callback` checks it, exchanges the code and
//! signs in, binds, or hands over to the "finish sign-up" page. Every failure ends on a page
//! with a message (`?oauth_error=<code>`), never on a 500.

use app::domain::oauth::{OAuthFailure, Provider};
use app::ports::AccountService;
use axum::{
    extract::{Path, Query, State},
    http::{header, request::Parts, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::get,
    Router,
};
use chrono::Utc;
use serde::Deserialize;
use tower_sessions::Session;

use super::service::{OAuth, Outcome};
use super::session::{safe_next, Flow};
use super::{github, qq, wechat, weibo};
use crate::accounts::Accounts;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/auth/oauth/{provider}/start", get(start))
        .route("/auth/oauth/{provider}/callback", get(callback))
}

/// The page that says what went wrong: the sign-in page, or the account page while binding.
const FINISH_PAGE: &str = "/login/oauth/finish";

fn failure_page(failure: OAuthFailure, provider: Provider, binding: bool) -> Response {
    let page = if binding { "/account" } else { "/login" };
    Redirect::to(&format!(
        "{page}?oauth_error={}&provider={}",
        failure.code(),
        provider.as_str()
    ))
    .into_response()
}

fn not_configured() -> Response {
    (StatusCode::NOT_FOUND, "no such sign-in provider").into_response()
}

#[derive(Debug, Deserialize)]
pub struct StartQuery {
    next: Option<String>,
    bind: Option<String>,
}

#[tracing::instrument(name = "oauth.start", skip_all, fields(provider = %provider))]
async fn start(
    State(oauth): State<OAuth>,
    State(accounts): State<Accounts>,
    Path(provider): Path<String>,
    Query(query): Query<StartQuery>,
    parts: Parts,
) -> Response {
    let Some(provider) = Provider::parse(&provider) else {
        return not_configured();
    };
    let Some(settings) = oauth.provider(provider) else {
        return not_configured();
    };
    let Some(session) = parts.extensions.get::<Session>().cloned() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let me = match accounts.current_user(&session).await {
        Ok(me) => me,
        Err(e) => {
            return StatusCode::from_u16(e.status())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
                .into_response()
        }
    };
    let binding = query.bind.is_some_and(|b| b == "1" || b == "true");
    if binding && me.is_none() {
        return Redirect::to("/login").into_response();
    }
    let redirect_uri = oauth.redirect_uri(provider);
    let user_agent = parts
        .headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let wechat_mp = provider == Provider::Wechat && wechat::is_wechat_browser(user_agent);
    let authorize = match provider {
        Provider::Github => github::authorize(settings, &redirect_uri),
        Provider::Qq => qq::authorize(settings, &redirect_uri),
        Provider::Weibo => weibo::authorize(settings, &redirect_uri),
        Provider::Wechat => wechat::authorize(settings, &redirect_uri, wechat_mp),
    };
    let flow = Flow {
        provider,
        state: authorize.state,
        pkce_verifier: authorize.pkce_verifier,
        next: safe_next(query.next.as_deref()),
        bind_user: me.map(|u| u.id),
        wechat_mp,
        started_at: Utc::now(),
    };
    if flow.save(&session).await.is_err() {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    Redirect::to(authorize.url.as_str()).into_response()
}

#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_code: Option<String>,
}

#[tracing::instrument(name = "oauth.callback", skip_all, fields(provider = %provider))]
async fn callback(
    State(oauth): State<OAuth>,
    Path(provider): Path<String>,
    Query(query): Query<CallbackQuery>,
    session: Session,
) -> Response {
    let Some(provider) = Provider::parse(&provider) else {
        return not_configured();
    };
    if oauth.provider(provider).is_none() {
        return not_configured();
    }
    let flow = match Flow::take_matching(&session, provider, query.state.as_deref()).await {
        Ok(Some(flow)) => flow,
        Ok(None) => {
            tracing::warn!("callback with a missing, foreign or expired state");
            return counted_failure(&oauth, OAuthFailure::BadState, provider, false);
        }
        Err(_) => return counted_failure(&oauth, OAuthFailure::Unavailable, provider, false),
    };
    let binding = flow.bind_user.is_some();
    // Refused consent: `error=access_denied` (GitHub, Weibo with error_code 21330), or WeChat's
    // way, a callback with the state and no code.
    if let Some(error) = &query.error {
        let denied = error == "access_denied" || query.error_code.as_deref() == Some("21330");
        // The parameter comes from the browser: log a bounded slice of it.
        let provider_error: String = error.chars().take(64).collect();
        tracing::info!(%provider_error, denied, "the provider sent an error back");
        let failure = if denied {
            OAuthFailure::Denied
        } else {
            OAuthFailure::ProviderError
        };
        return counted_failure(&oauth, failure, provider, binding);
    }
    let Some(code) = query.code.as_deref().filter(|c| !c.is_empty()) else {
        return counted_failure(&oauth, OAuthFailure::Denied, provider, binding);
    };
    let identity = match oauth.exchange(&flow, code).await {
        Ok(identity) => identity,
        Err(e) => {
            tracing::warn!(error = ?e, "code exchange failed");
            return counted_failure(&oauth, e.failure(), provider, binding);
        }
    };
    match oauth.complete(&session, &flow, identity).await {
        Ok(Ok(Outcome::SignedIn { next })) => {
            oauth.metrics().sign_in(provider.as_str(), "success");
            Redirect::to(&next).into_response()
        }
        Ok(Ok(Outcome::Bound)) => {
            oauth.metrics().sign_in(provider.as_str(), "bound");
            Redirect::to(&format!("/account?oauth_bound={}", provider.as_str())).into_response()
        }
        Ok(Ok(Outcome::Pending)) => {
            oauth.metrics().sign_in(provider.as_str(), "pending");
            Redirect::to(FINISH_PAGE).into_response()
        }
        Ok(Err(failure)) => counted_failure(&oauth, failure, provider, binding),
        Err(_) => counted_failure(&oauth, OAuthFailure::Unavailable, provider, binding),
    }
}

/// The failure page, counted as a failed sign-in through `provider`.
fn counted_failure(
    oauth: &OAuth,
    failure: OAuthFailure,
    provider: Provider,
    binding: bool,
) -> Response {
    // A callback without its state costs nothing to send, and an outage or a refused consent is
    // nobody's guess: apart from real failures, so they cannot trip the sign-in alert.
    let outcome = match failure {
        OAuthFailure::BadState => "bad_state",
        OAuthFailure::Denied => "denied",
        OAuthFailure::Unavailable => "unavailable",
        _ => "failure",
    };
    oauth.metrics().sign_in(provider.as_str(), outcome);
    failure_page(failure, provider, binding)
}
