//! The frame around every page: header with search, main area, footer.

use leptos::prelude::*;
use leptos_router::components::{Form, A};
use leptos_router::hooks::use_query_map;

#[component]
pub fn Layout(children: Children) -> impl IntoView {
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
                </nav>
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
