//! Create an account.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::components::field::{Field, FormMessage};
use crate::domain::account::MIN_PASSWORD_CHARS;
use crate::server_fns::accounts::Register;

#[component]
pub fn RegisterPage() -> impl IntoView {
    let action = ServerAction::<Register>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    view! {
        <Title text="注册 Register" />
        <section class="auth-card">
            <h1>"注册 Create an account"</h1>
            <ActionForm action attr:class="auth-form" attr:novalidate=true>
                <Field name="username" label="用户名 Username" autocomplete="username" error
                    hint="3–32 letters, digits, _ - or . ; starts with a letter" />
                <Field name="email" label="邮箱 E-mail" kind="email" autocomplete="email" error />
                <Field name="password" label="密码 Password" kind="password" autocomplete="new-password" error
                    hint=PASSWORD_HINT />
                <FormMessage error />
                <button type="submit" class="button primary" disabled=move || action.pending().get()>
                    "注册 Register"
                </button>
            </ActionForm>
            <p class="muted">"已有账号？ Already registered? " <A href="/login">"登录 Sign in"</A></p>
        </section>
    }
}

const PASSWORD_HINT: &str = "At least 10 characters; a long passphrase is stronger than symbols";
// The hint states the policy's number: keep them in step.
const _: () = assert!(MIN_PASSWORD_CHARS == 10);
