//! The signed-in user's page.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Redirect, A};

use crate::components::error_box::ErrorBox;
use crate::components::field::{Field, FormMessage};
use crate::pages::connections::ConnectedAccounts;
use crate::pages::mail_settings::MailSettings;
use crate::server_fns::accounts::{current_user, ChangePassword, Logout};

#[component]
pub fn AccountPage() -> impl IntoView {
    let user = Resource::new(|| (), |_| current_user());
    let logout = ServerAction::<Logout>::new();
    view! {
        <Title text="我的账号 Account" />
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match user.await {
                    Ok(Some(user)) => view! {
                        <section class="account">
                            <h1>"我的账号 Account"</h1>
                            {user.must_change_password.then(|| view! {
                                <p class="form-error must-change" role="alert">
                                    "管理员要求您设置新密码 An administrator asked you to choose a new password below."
                                </p>
                            })}
                            <dl class="account-facts">
                                <dt>"用户名 Username"</dt><dd class="username">{user.username.clone()}</dd>
                                <dt>"邮箱 E-mail"</dt><dd>{user.email.clone()}</dd>
                            </dl>
                            <nav class="account-links">
                                <A href="/account/profile">"个人资料 Profile"</A>
                                " · "
                                <A href="/account/devices">"登录设备 Devices"</A>
                            </nav>
                            <ChangePasswordForm />
                            <ConnectedAccounts />
                            <MailSettings />
                            <ActionForm action=logout>
                                <button type="submit" class="button sign-out">"退出登录 Sign out"</button>
                            </ActionForm>
                            <p><A href="/courses">"继续学习 Back to courses"</A></p>
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
    view! {
        <section class="change-password">
            <h2>"修改密码 Change password"</h2>
            <ActionForm action attr:class="auth-form" attr:novalidate=true>
                <Field name="current_password" label="当前密码 Current password" kind="password"
                    autocomplete="current-password" error />
                <Field name="new_password" label="新密码 New password" kind="password"
                    autocomplete="new-password" hint="At least 10 characters" error />
                <FormMessage error />
                <p class="form-ok" role="status">{move || done().then_some("密码已更新 Password changed")}</p>
                <button type="submit" class="button" disabled=move || action.pending().get()>"保存 Save"</button>
            </ActionForm>
        </section>
    }
}
