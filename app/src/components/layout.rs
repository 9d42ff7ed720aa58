//! The frame around every page: header with search, main area, footer.

use leptos::prelude::*;
use leptos_router::components::{Form, A};
use leptos_router::hooks::{use_location, use_query_map};

use crate::components::live_count::Bell;
use crate::server_fns::accounts::current_user;

#[component]
pub fn Layout(children: Children) -> impl IntoView {
    crate::components::live_count::provide();
    let query = use_query_map();
    let search_value = move || query.read().get("q").unwrap_or_default();
    view! {
        <header class="site-header">
            <div class="container header-row">
                <A href="/" attr:class="brand">
                    <span class="brand-mark">"学"</span>
                    <span class="brand-name">"学城 Xuecheng"</span>
                </A>
                <nav class="main-nav" aria-label="Main">
                    <A href="/courses">"课程 Courses"</A>
                    <A href="/paths">"学习路线 Paths"</A>
                </nav>
                <Bell />
                <UserMenu />
                <Form action="/courses" attr:class="search-form" attr:role="search">
                    <input
                        type="search"
                        name="q"
                        placeholder="搜索课程 Search courses"
                        aria-label="Search courses"
                        maxlength="100"
                        prop:value=search_value
                    />
                    <button type="submit">"搜索"</button>
                </Form>
            </div>
        </header>
        <main class="container site-main">{children()}</main>
        <footer class="site-footer">
            <div class="container">
                <p>"© 学城 Xuecheng · 在线编程课程 Programming courses online"</p>
            </div>
        </footer>
    }
}

/// "Sign in / Register", or the signed-in user's name. Re-read on every navigation, so signing
/// in or out elsewhere (another tab, another instance) shows up on the next click.
#[component]
fn UserMenu() -> impl IntoView {
    let location = use_location();
    let user = Resource::new(move || location.pathname.get(), |_| current_user());
    view! {
        <nav class="user-menu" aria-label="Account">
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match user.await {
                        Ok(Some(user)) => view! {
                            {(user.is_staff || user.is_superuser).then(|| view! {
                                <A href="/admin" attr:class="admin-link">"后台 Admin"</A>
                            })}
                            <A href="/account" attr:class="current-user">{user.username}</A>
                        }.into_any(),
                        _ => view! {
                            <A href="/login">"登录 Sign in"</A>
                            <A href="/register">"注册 Register"</A>
                        }.into_any(),
                    }
                })}
            </Transition>
        </nav>
    }
}
