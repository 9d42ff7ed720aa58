//! Third-party sign-in pieces shared by the sign-in and account pages: the provider buttons and
//! the message for a failed or finished flow (read from `?oauth_error=` / `?oauth_bound=`).

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::domain::oauth::{OAuthFailure, Provider};
use crate::i18n::td_string;
use crate::locale;
use crate::server_fns::oauth::oauth_providers;

/// The link that starts a flow. `rel="external"`: the router must let the browser leave.
pub fn start_href(provider: Provider, bind: bool) -> String {
    let bind = if bind { "?bind=1" } else { "" };
    format!("/auth/oauth/{}/start{bind}", provider.as_str())
}

/// One button per configured provider; nothing when none is configured.
#[component]
pub fn ProviderButtons() -> impl IntoView {
    let providers = Resource::new(|| (), |_| oauth_providers());
    let loc = locale::current();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let list = providers.await.unwrap_or_default();
                (!list.is_empty()).then(|| view! {
                    <div class="oauth-providers">
                        <p class="muted">{td_string!(loc, account.or_sign_in_with)}</p>
                        {list.into_iter().map(|p| view! {
                            <a class=format!("button oauth-button oauth-{}", p.provider.as_str())
                                href=start_href(p.provider, false) rel="external">{p.label}</a>
                        }).collect_view()}
                    </div>
                })
            })}
        </Suspense>
    }
}

/// The outcome of a flow that came back to this page, if any.
#[component]
pub fn OAuthNotice() -> impl IntoView {
    let query = use_query_map();
    let failure = move || {
        query.with(|q| {
            let failure = q.get("oauth_error").and_then(|c| OAuthFailure::parse(&c))?;
            let provider = q.get("provider").and_then(|p| Provider::parse(&p));
            Some(failure.message(provider))
        })
    };
    let bound = move || {
        query.with(|q| {
            let provider = q.get("oauth_bound").and_then(|p| Provider::parse(&p))?;
            Some(
                td_string!(
                    locale::current(),
                    account.connected,
                    name = provider.label()
                )
                .to_string(),
            )
        })
    };
    view! {
        {move || failure().map(|m| view! { <p class="form-error oauth-error" role="alert">{m}</p> })}
        {move || bound().map(|m| view! { <p class="form-ok oauth-bound" role="status">{m}</p> })}
    }
}
