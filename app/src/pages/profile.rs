//! The profile (nickname, avatar, bio, e-mail) and e-mail verification.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{
    components::{Redirect, A},
    hooks::use_query_map,
};

use crate::components::error_box::ErrorBox;
use crate::components::field::FormMessage;
use crate::dto::ProfileView;
use crate::error::AppError;
use crate::i18n::td_string;
use crate::locale;
use crate::server_fns::lifecycle::{profile, SendVerification, UpdateProfile, VerifyEmail};

#[component]
pub fn ProfilePage() -> impl IntoView {
    let action = ServerAction::<UpdateProfile>::new();
    let data = Resource::new(|| (), |_| profile());
    let loc = locale::current();
    view! {
        <Title text=td_string!(loc, account.profile_title) />
        <section class="account profile">
            <h1>{td_string!(loc, account.profile_title)}</h1>
            <Suspense fallback=move || view! { <p class="loading">{td_string!(loc, common.loading)}</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(p) => view! { <ProfileForm profile=p action /> }.into_any(),
                        Err(AppError::Unauthenticated) => view! { <Redirect path="/login" /> }.into_any(),
                        Err(error) => view! { <ErrorBox error /> }.into_any(),
                    }
                })}
            </Suspense>
            <p><A href="/account">{td_string!(loc, account.back_to_account)}</A></p>
        </section>
    }
}

#[component]
fn ProfileForm(profile: ProfileView, action: ServerAction<UpdateProfile>) -> impl IntoView {
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let saved = move || action.value().get().and_then(Result::ok);
    let verified = {
        let initial = profile.email_verified;
        move || saved().map(|p| p.email_verified).unwrap_or(initial)
    };
    let message = move |name: &'static str| move || error.get().and_then(|e| e.field_message(name));
    let send = ServerAction::<SendVerification>::new();
    let loc = locale::current();
    view! {
        <ActionForm action attr:class="auth-form" attr:novalidate=true>
            <TextInput name="nickname" label=td_string!(loc, account.nickname) value=profile.nickname message=message("nickname") />
            <TextInput name="avatar_url" label=td_string!(loc, account.avatar_url) value=profile.avatar_url message=message("avatar_url") />
            <div class="field" class:invalid=move || message("bio")().is_some()>
                <label for="field-bio">{td_string!(loc, account.bio)}</label>
                <textarea id="field-bio" name="bio" maxlength="1000">{profile.bio}</textarea>
                <p class="field-error" role="alert">{message("bio")}</p>
            </div>
            <TextInput name="email" label=td_string!(loc, account.email) value=profile.email message=message("email") />
            <FormMessage error />
            <p class="form-ok" role="status">{move || saved().map(|_| td_string!(loc, account.saved))}</p>
            <button type="submit" class="button primary" disabled=move || action.pending().get()>{td_string!(loc, common.save)}</button>
        </ActionForm>
        <div class="verification">
            {move || if verified() {
                view! { <p class="verified">{td_string!(loc, account.email_verified)}</p> }.into_any()
            } else {
                view! {
                    <ActionForm action=send>
                        <span class="unverified">{td_string!(loc, account.email_unverified)}" "</span>
                        <button type="submit" class="button small">{td_string!(loc, account.send_verification)}</button>
                    </ActionForm>
                    <p class="form-ok" role="status">{move || match send.value().get() {
                        Some(Ok(())) => Some(td_string!(loc, account.verification_sent).to_string()),
                        Some(Err(e)) => Some(e.message(loc)),
                        None => None,
                    }}</p>
                }.into_any()
            }}
        </div>
    }
}

#[component]
fn TextInput<M>(name: &'static str, label: &'static str, value: String, message: M) -> impl IntoView
where
    M: Fn() -> Option<String> + Copy + Send + Sync + 'static,
{
    let id = format!("field-{name}");
    view! {
        <div class="field" class:invalid=move || message().is_some()>
            <label for=id.clone()>{label}</label>
            <input id=id name=name type="text" value=value aria-invalid=move || message().is_some().to_string() />
            <p class="field-error" role="alert">{message}</p>
        </div>
    }
}

/// The link from the verification mail: one button, so a mail scanner's GET spends nothing.
#[component]
pub fn VerifyEmailPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let action = ServerAction::<VerifyEmail>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let done = move || matches!(action.value().get(), Some(Ok(())));
    let loc = locale::current();
    view! {
        <Title text=td_string!(loc, account.verify_title) />
        <section class="auth-card">
            <h1>{td_string!(loc, account.verify_heading)}</h1>
            <ActionForm action attr:class="auth-form">
                <input type="hidden" name="token" value=token />
                <FormMessage error />
                <p class="form-ok" role="status">{move || done().then_some(td_string!(loc, account.verify_done))}</p>
                <button type="submit" class="button primary" disabled=move || action.pending().get() || done()>
                    {td_string!(loc, account.confirm)}
                </button>
            </ActionForm>
        </section>
    }
}
