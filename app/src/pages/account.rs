//! The signed-in user's page.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Redirect, A};

use crate::api::accounts::{current_user, Logout};
use crate::components::error_box::ErrorBox;

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
                            <dl class="account-facts">
                                <dt>"用户名 Username"</dt><dd class="username">{user.username.clone()}</dd>
                                <dt>"邮箱 E-mail"</dt><dd>{user.email.clone()}</dd>
                            </dl>
                            <ActionForm action=logout>
                                <button type="submit" class="button">"退出登录 Sign out"</button>
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
