//! Sign in with a username (or e-mail) and password, or through a configured provider.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::components::field::{Field, FormMessage};
use crate::components::oauth::{OAuthNotice, ProviderButtons};
use crate::server_fns::accounts::Login;

#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<Login>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    view! {
        <Title text="登录 Sign in" />
        <section class="auth-card">
            <h1>"登录 Sign in"</h1>
            <OAuthNotice />
            <ActionForm action attr:class="auth-form" attr:novalidate=true>
                <Field name="username" label="用户名或邮箱 Username or e-mail" autocomplete="username" error />
                <Field name="password" label="密码 Password" kind="password" autocomplete="current-password" error />
                <label class="check">
                    <input type="checkbox" name="remember" value="on" />
                    " 记住我 Remember me"
                </label>
                <FormMessage error />
                <button type="submit" class="button primary" disabled=move || action.pending().get()>
                    "登录 Sign in"
                </button>
            </ActionForm>
            <ProviderButtons />
            <p class="muted"><A href="/password/forgot">"忘记密码？ Forgot your password?"</A></p>
            <p class="muted">
                "还没有账号？ No account yet? " <A href="/register">"注册 Register"</A>
            </p>
        </section>
    }
}
