//! After a first sign-in through a provider: create a new account for the identity, or connect
//! it to an existing account by entering that account's password.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::components::error_box::ErrorBox;
use crate::components::field::{Field, FormMessage};
use crate::dto::PendingIdentity;
use crate::server_fns::oauth::{oauth_pending, OauthBind, OauthRegister};

#[component]
pub fn OAuthFinishPage() -> impl IntoView {
    let pending = Resource::new(|| (), |_| oauth_pending());
    view! {
        <Title text="完成登录 Finish signing in" />
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match pending.await {
                    Ok(Some(pending)) => view! { <FinishForms pending /> }.into_any(),
                    Ok(None) => view! {
                        <section class="auth-card">
                            <p class="form-error" role="alert">
                                "登录已过期，请重试。This sign-in has expired; please start again."
                            </p>
                            <p><A href="/login">"登录 Sign in"</A></p>
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
    let who = if pending.display_name.is_empty() {
        pending.label.clone()
    } else {
        format!("{} ({})", pending.display_name, pending.label)
    };
    view! {
        <section class="auth-card oauth-finish">
            <h1>"完成登录 Finish signing in"</h1>
            <p class="oauth-identity">"已通过 Confirmed by " {pending.label.clone()} ": " <strong>{who}</strong></p>
            <h2>"创建新账号 Create a new account"</h2>
            <ActionForm action=register attr:class="auth-form oauth-register" attr:novalidate=true>
                <Field name="username" label="用户名 Username" autocomplete="username" error=register_error
                    hint="3–32 letters, digits, _ - or . ; starts with a letter" />
                <Field name="email" label="邮箱 E-mail" kind="email" autocomplete="email" error=register_error />
                <FormMessage error=register_error />
                <button type="submit" class="button primary" disabled=move || register.pending().get()>
                    "创建账号 Create account"
                </button>
            </ActionForm>
            <h2>"绑定已有账号 Connect to an existing account"</h2>
            <ActionForm action=bind attr:class="auth-form oauth-bind" attr:novalidate=true>
                <Field name="login" label="用户名或邮箱 Username or e-mail" autocomplete="username" error=bind_error />
                <Field name="password" label="密码 Password" kind="password" autocomplete="current-password" error=bind_error />
                <FormMessage error=bind_error />
                <button type="submit" class="button" disabled=move || bind.pending().get()>
                    "绑定并登录 Connect and sign in"
                </button>
            </ActionForm>
        </section>
    }
}
