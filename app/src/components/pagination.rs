//! Page links for the course list: first, previous, a window around the current page, next, last.

use leptos::prelude::*;

use crate::domain::CourseQuery;
use crate::i18n::td_string;
use crate::locale;

#[component]
pub fn Pagination(query: CourseQuery, page_count: u32) -> impl IntoView {
    if page_count <= 1 {
        return None;
    }
    let loc = locale::current();
    let current = query.page.min(page_count);
    let start = current.saturating_sub(2).max(1);
    let end = (current + 2).min(page_count);
    let link = {
        let query = query.clone();
        move |page: u32, label: String, rel: Option<&'static str>| {
            if page == current {
                view! { <span class="page current" aria-current="page">{label}</span> }.into_any()
            } else {
                view! { <a href=query.at_page(page).href() class="page" rel=rel>{label}</a> }
                    .into_any()
            }
        }
    };
    let mut items = Vec::new();
    if current > 1 {
        items.push(link(
            current - 1,
            td_string!(loc, common.previous_page).into(),
            Some("prev"),
        ));
    }
    if start > 1 {
        items.push(link(1, "1".into(), None));
        if start > 2 {
            items.push(view! { <span class="gap">"…"</span> }.into_any());
        }
    }
    for page in start..=end {
        items.push(link(page, page.to_string(), None));
    }
    if end < page_count {
        if end + 1 < page_count {
            items.push(view! { <span class="gap">"…"</span> }.into_any());
        }
        items.push(link(page_count, page_count.to_string(), None));
    }
    if current < page_count {
        items.push(link(
            current + 1,
            td_string!(loc, common.next_page).into(),
            Some("next"),
        ));
    }
    Some(
        view! { <nav class="pagination" aria-label=td_string!(loc, common.pages_label)>{items}</nav> },
    )
}
