//! The 404 page, with a real 404 status.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::i18n::td_string;
use crate::locale;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::ports::set_status(404);
    let loc = locale::current();
    view! {
        <Title text=td_string!(loc, common.not_found_title) />
        <section class="not-found">
            <h1>"404"</h1>
            <p>{td_string!(loc, common.not_found_text)}</p>
            <p>
                <A href="/courses">{td_string!(loc, common.browse_all)}</A>
            </p>
        </section>
    }
}
