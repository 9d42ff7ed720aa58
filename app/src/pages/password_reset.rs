//! "Forgot your password?": ask for a link by e-mail, then choose a new password with it.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_query_map};

use crate::components::field::{Field, FormMessage};
use crate::domain::account::MIN_PASSWORD_CHARS;
use crate::i18n::td_string;
use crate::locale;
use crate::server_fns::lifecycle::{ForgotPassword, ResetPassword};

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let action = ServerAction::<ForgotPassword>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let sent = move || matches!(action.value().get(), Some(Ok(())));
    let loc = locale::current();
    view! {
        <Title text=td_string!(loc, account.forgot_title) />
        <section class="auth-card">
            <h1>{td_string!(loc, account.forgot_heading)}</h1>
            <ActionForm action attr:class="auth-form" attr:novalidate=true>
                <Field name="email" label=td_string!(loc, account.email) kind="email" autocomplete="email" error />
                <FormMessage error />
                <p class="form-ok" role="status">{move || sent().then_some(td_string!(loc, account.forgot_sent))}</p>
                <button type="submit" class="button primary" disabled=move || action.pending().get()>
                    {td_string!(loc, account.send_link)}
                </button>
            </ActionForm>
            <p class="muted"><A href="/login">{td_string!(loc, account.back_to_sign_in)}</A></p>
        </section>
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let action = ServerAction::<ResetPassword>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let done = move || matches!(action.value().get(), Some(Ok(())));
    let loc = locale::current();
    let password_hint = td_string!(loc, account.password_min, n = MIN_PASSWORD_CHARS).to_string();
    view! {
        <Title text=td_string!(loc, account.reset_title) />
        <section class="auth-card">
            <h1>{td_string!(loc, account.reset_heading)}</h1>
            <ActionForm action attr:class="auth-form" attr:novalidate=true>
                <input type="hidden" name="token" value=token />
                <Field name="password" label=td_string!(loc, account.new_password) kind="password" autocomplete="new-password"
                    hint=password_hint error />
                <FormMessage error />
                <p class="form-ok" role="status">{move || done().then_some(td_string!(loc, account.reset_done))}</p>
                <button type="submit" class="button primary" disabled=move || action.pending().get() || done()>
                    {td_string!(loc, common.save)}
                </button>
            </ActionForm>
            <p class="muted"><A href="/login">{td_string!(loc, common.sign_in)}</A></p>
        </section>
    }
}
