//! Sign in with a username (or e-mail) and password, or through a configured provider.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::components::field::{Field, FormMessage};
use crate::components::oauth::{OAuthNotice, ProviderButtons};
use crate::i18n::td_string;
use crate::locale;
use crate::server_fns::accounts::Login;

#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<Login>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let loc = locale::current();
    // Where the sign-in was asked for (`/admin` sends anonymous visitors here); the server
    // checks it is a path on this site before going there.
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    view! {
        <Title text=td_string!(loc, account.sign_in_title) />
        <section class="auth-card">
            <h1>{td_string!(loc, account.sign_in_title)}</h1>
            <OAuthNotice />
            <ActionForm action attr:class="auth-form" attr:novalidate=true>
                <Field name="username" label=td_string!(loc, account.login_field) autocomplete="username" error />
                <Field name="password" label=td_string!(loc, account.password) kind="password" autocomplete="current-password" error />
                <label class="check">
                    <input type="checkbox" name="remember" value="on" />
                    " "{td_string!(loc, account.remember_me)}
                </label>
                <input type="hidden" name="next" value=next />
                <FormMessage error />
                <button type="submit" class="button primary" disabled=move || action.pending().get()>
                    {td_string!(loc, account.sign_in_title)}
                </button>
            </ActionForm>
            <ProviderButtons />
            <p class="muted"><A href="/password/forgot">{td_string!(loc, account.forgot_password)}</A></p>
            <p class="muted">
                {td_string!(loc, account.no_account)}" " <A href="/register">{td_string!(loc, common.register)}</A>
            </p>
        </section>
    }
}
