//! After a first sign-in through a provider: create a new account for the identity, or connect
//! it to an existing account by entering that account's password.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::components::error_box::ErrorBox;
use crate::components::field::{Field, FormMessage};
use crate::dto::PendingIdentity;
use crate::i18n::td_string;
use crate::locale;
use crate::server_fns::oauth::{oauth_pending, OauthBind, OauthRegister};

#[component]
pub fn OAuthFinishPage() -> impl IntoView {
    let pending = Resource::new(|| (), |_| oauth_pending());
    let loc = locale::current();
    view! {
        <Title text=td_string!(loc, account.finish_title) />
        <Suspense fallback=move || view! { <p class="loading">{td_string!(loc, common.loading)}</p> }>
            {move || Suspend::new(async move {
                match pending.await {
                    Ok(Some(pending)) => view! { <FinishForms pending /> }.into_any(),
                    Ok(None) => view! {
                        <section class="auth-card">
                            <p class="form-error" role="alert">
                                {td_string!(loc, account.finish_expired)}
                            </p>
                            <p><A href="/login">{td_string!(loc, common.sign_in)}</A></p>
                        </section>
                    }.into_any(),
                    Err(error) => view! { <ErrorBox error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn FinishForms(pending: PendingIdentity) -> impl IntoView {
    let register = ServerAction::<OauthRegister>::new();
    let register_error = Signal::derive(move || register.value().get().and_then(Result::err));
    let bind = ServerAction::<OauthBind>::new();
    let bind_error = Signal::derive(move || bind.value().get().and_then(Result::err));
    let loc = locale::current();
    let confirmed_by =
        td_string!(loc, account.confirmed_by, provider = pending.label.clone()).to_string();
    let who = if pending.display_name.is_empty() {
        pending.label.clone()
    } else {
        format!("{} ({})", pending.display_name, pending.label)
    };
    view! {
        <section class="auth-card oauth-finish">
            <h1>{td_string!(loc, account.finish_title)}</h1>
            <p class="oauth-identity">{confirmed_by}" "<strong>{who}</strong></p>
            <h2>{td_string!(loc, account.create_account_heading)}</h2>
            <ActionForm action=register attr:class="auth-form oauth-register" attr:novalidate=true>
                <Field name="username" label=td_string!(loc, account.username) autocomplete="username" error=register_error
                    hint=td_string!(loc, account.username_hint) />
                <Field name="email" label=td_string!(loc, account.email) kind="email" autocomplete="email" error=register_error />
                <FormMessage error=register_error />
                <button type="submit" class="button primary" disabled=move || register.pending().get()>
                    {td_string!(loc, account.create_account)}
                </button>
            </ActionForm>
            <h2>{td_string!(loc, account.bind_heading)}</h2>
            <ActionForm action=bind attr:class="auth-form oauth-bind" attr:novalidate=true>
                <Field name="login" label=td_string!(loc, account.login_field) autocomplete="username" error=bind_error />
                <Field name="password" label=td_string!(loc, account.password) kind="password" autocomplete="current-password" error=bind_error />
                <FormMessage error=bind_error />
                <button type="submit" class="button" disabled=move || bind.pending().get()>
                    {td_string!(loc, account.bind_submit)}
                </button>
            </ActionForm>
        </section>
    }
}
