//! "Forgot your password?": ask for a link by e-mail, then choose a new password with it.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_query_map};

use crate::components::field::{Field, FormMessage};
use crate::server_fns::lifecycle::{ForgotPassword, ResetPassword};

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let action = ServerAction::<ForgotPassword>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let sent = move || matches!(action.value().get(), Some(Ok(())));
    view! {
        <Title text="找回密码 Forgot password" />
        <section class="auth-card">
            <h1>"找回密码 Forgot your password?"</h1>
            <ActionForm action attr:class="auth-form" attr:novalidate=true>
                <Field name="email" label="邮箱 E-mail" kind="email" autocomplete="email" error />
                <FormMessage error />
                <p class="form-ok" role="status">{move || sent().then_some(
                    "如果该邮箱有账号，我们已发送重置链接。 If an account exists for this address, we sent it a link (valid for one hour).")}</p>
                <button type="submit" class="button primary" disabled=move || action.pending().get()>
                    "发送链接 Send the link"
                </button>
            </ActionForm>
            <p class="muted"><A href="/login">"返回登录 Back to sign-in"</A></p>
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
    view! {
        <Title text="重置密码 Reset password" />
        <section class="auth-card">
            <h1>"重置密码 Choose a new password"</h1>
            <ActionForm action attr:class="auth-form" attr:novalidate=true>
                <input type="hidden" name="token" value=token />
                <Field name="password" label="新密码 New password" kind="password" autocomplete="new-password"
                    hint="At least 10 characters" error />
                <FormMessage error />
                <p class="form-ok" role="status">{move || done().then_some(
                    "密码已重置，所有设备已退出。 Password changed; every device was signed out.")}</p>
                <button type="submit" class="button primary" disabled=move || action.pending().get() || done()>
                    "保存 Save"
                </button>
            </ActionForm>
            <p class="muted"><A href="/login">"登录 Sign in"</A></p>
        </section>
    }
}
