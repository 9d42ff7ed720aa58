//! Create an account.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::components::field::{Field, FormMessage};
use crate::domain::account::MIN_PASSWORD_CHARS;
use crate::i18n::td_string;
use crate::locale;
use crate::server_fns::accounts::Register;

#[component]
pub fn RegisterPage() -> impl IntoView {
    let action = ServerAction::<Register>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let loc = locale::current();
    // The hint states the policy's number, so the two cannot drift apart.
    let password_hint = td_string!(loc, account.password_hint, n = MIN_PASSWORD_CHARS).to_string();
    view! {
        <Title text=td_string!(loc, account.register_title) />
        <section class="auth-card">
            <h1>{td_string!(loc, account.register_heading)}</h1>
            <ActionForm action attr:class="auth-form" attr:novalidate=true>
                <Field name="username" label=td_string!(loc, account.username) autocomplete="username" error
                    hint=td_string!(loc, account.username_hint) />
                <Field name="email" label=td_string!(loc, account.email) kind="email" autocomplete="email" error />
                <Field name="password" label=td_string!(loc, account.password) kind="password" autocomplete="new-password" error
                    hint=password_hint />
                <FormMessage error />
                <button type="submit" class="button primary" disabled=move || action.pending().get()>
                    {td_string!(loc, common.register)}
                </button>
            </ActionForm>
            <p class="muted">{td_string!(loc, account.already_registered)}" " <A href="/login">{td_string!(loc, common.sign_in)}</A></p>
        </section>
    }
}
