//! The 404 page, with a real 404 status.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::ports::set_status(404);
    view! {
        <Title text="找不到页面 Not found" />
        <section class="not-found">
            <h1>"404"</h1>
            <p>"这个页面不存在。 This page does not exist."</p>
            <p>
                <A href="/courses">"浏览全部课程 Browse all courses"</A>
            </p>
        </section>
    }
}
