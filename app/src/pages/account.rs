//! The signed-in user's page.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Redirect, A};

use crate::components::error_box::ErrorBox;
use crate::components::field::{Field, FormMessage};
use crate::domain::account::MIN_PASSWORD_CHARS;
use crate::i18n::td_string;
use crate::locale;
use crate::pages::connections::ConnectedAccounts;
use crate::pages::mail_settings::MailSettings;
use crate::server_fns::accounts::{current_user, ChangePassword, Logout};

#[component]
pub fn AccountPage() -> impl IntoView {
    let user = Resource::new(|| (), |_| current_user());
    let logout = ServerAction::<Logout>::new();
    let loc = locale::current();
    view! {
        <Title text=td_string!(loc, account.account_title) />
        <Suspense fallback=move || view! { <p class="loading">{td_string!(loc, common.loading)}</p> }>
            {move || Suspend::new(async move {
                match user.await {
                    Ok(Some(user)) => view! {
                        <section class="account">
                            <h1>{td_string!(loc, account.account_title)}</h1>
                            {user.must_change_password.then(move || view! {
                                <p class="form-error must-change" role="alert">
                                    {td_string!(loc, account.must_change_password)}
                                </p>
                            })}
                            <dl class="account-facts">
                                <dt>{td_string!(loc, account.username)}</dt><dd class="username">{user.username.clone()}</dd>
                                <dt>{td_string!(loc, account.email)}</dt><dd>{user.email.clone()}</dd>
                            </dl>
                            <nav class="account-links">
                                <A href="/account/profile">{td_string!(loc, account.profile_title)}</A>
                                " · "
                                <A href="/account/devices">{td_string!(loc, account.devices_link)}</A>
                            </nav>
                            <ChangePasswordForm />
                            <ConnectedAccounts />
                            <MailSettings />
                            <ActionForm action=logout>
                                <button type="submit" class="button sign-out">{td_string!(loc, account.sign_out)}</button>
                            </ActionForm>
                            <p><A href="/courses">{td_string!(loc, account.back_to_courses)}</A></p>
                        </section>
                    }.into_any(),
                    Ok(None) => view! { <Redirect path="/login" /> }.into_any(),
                    Err(error) => view! { <ErrorBox error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ChangePasswordForm() -> impl IntoView {
    let action = ServerAction::<ChangePassword>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let done = move || matches!(action.value().get(), Some(Ok(())));
    let loc = locale::current();
    let password_hint = td_string!(loc, account.password_min, n = MIN_PASSWORD_CHARS).to_string();
    view! {
        <section class="change-password">
            <h2>{td_string!(loc, account.change_password)}</h2>
            <ActionForm action attr:class="auth-form" attr:novalidate=true>
                <Field name="current_password" label=td_string!(loc, account.current_password) kind="password"
                    autocomplete="current-password" error />
                <Field name="new_password" label=td_string!(loc, account.new_password) kind="password"
                    autocomplete="new-password" hint=password_hint error />
                <FormMessage error />
                <p class="form-ok" role="status">{move || done().then_some(td_string!(loc, account.password_changed))}</p>
                <button type="submit" class="button" disabled=move || action.pending().get()>{td_string!(loc, common.save)}</button>
            </ActionForm>
        </section>
    }
}
