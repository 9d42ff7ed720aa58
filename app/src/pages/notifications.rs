//! `/notifications`: one's notifications, newest first (`?unread=1` for the unread ones,
//! `?page=N`), with "mark read" per notification and "mark all read".

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Redirect, A};
use leptos_router::hooks::use_query_map;

use crate::components::error_box::ErrorBox;
use crate::components::live_count;
use crate::components::local_time::LocalTimeText;
use crate::dto::{NotificationPage, NotificationView};
use crate::error::AppError;
use crate::i18n::td_string;
use crate::locale;
use crate::server_fns::notifications::{
    notifications, MarkAllNotificationsRead, MarkNotificationRead, PER_PAGE,
};

#[component]
pub fn NotificationsPage() -> impl IntoView {
    let query = use_query_map();
    let unread_only = move || {
        query
            .read()
            .get("unread")
            .is_some_and(|v| v == "1" || v == "true")
    };
    let page = move || {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u32>().ok())
            .filter(|p| *p >= 1)
            .unwrap_or(1)
    };
    let loc = locale::current();
    let one = ServerAction::<MarkNotificationRead>::new();
    let all = ServerAction::<MarkAllNotificationsRead>::new();
    // The bell follows what the actions answer.
    let set_bell = live_count::setter();
    Effect::new(move |_| {
        if let Some(Ok(n)) = one.value().get() {
            set_bell(n);
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(n)) = all.value().get() {
            set_bell(n);
        }
    });
    let list = Resource::new(
        move || {
            (
                unread_only(),
                page(),
                one.version().get(),
                all.version().get(),
            )
        },
        |(unread, page, _, _)| notifications(unread, page),
    );
    let failure = move || {
        one.value()
            .get()
            .and_then(Result::err)
            .or_else(|| all.value().get().and_then(Result::err))
            .map(|e| e.message(loc))
    };
    view! {
        <Title text=td_string!(loc, account.notifications_title) />
        <section class="notifications">
            <header class="notifications-head">
                <h1>{td_string!(loc, account.notifications_title)}</h1>
                <nav class="notification-filter" aria-label=td_string!(loc, account.filter_label)>
                    <A href="/notifications" attr:class="filter-all">{td_string!(loc, account.filter_all)}</A>
                    <A href="/notifications?unread=1" attr:class="filter-unread">{td_string!(loc, account.filter_unread)}</A>
                </nav>
                <ActionForm action=all attr:class="mark-all-read">
                    <button type="submit" class="button small">{td_string!(loc, account.mark_all_read)}</button>
                </ActionForm>
            </header>
            <p class="form-error" role="alert" hidden=move || failure().is_none()>{failure}</p>
            <Suspense fallback=move || view! { <p class="loading">{td_string!(loc, common.loading)}</p> }>
                {move || Suspend::new(async move {
                    let (unread, current) = (unread_only(), page());
                    match list.await {
                        Ok(data) => view! { <List data one unread current /> }.into_any(),
                        Err(AppError::Unauthenticated) => view! { <Redirect path="/login" /> }.into_any(),
                        Err(error) => view! { <ErrorBox error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn List(
    data: NotificationPage,
    one: ServerAction<MarkNotificationRead>,
    unread: bool,
    current: u32,
) -> impl IntoView {
    let pages = u32::try_from(data.total.div_ceil(u64::from(PER_PAGE))).unwrap_or(u32::MAX);
    let href = move |page: u32| {
        if unread {
            format!("/notifications?unread=1&page={page}")
        } else {
            format!("/notifications?page={page}")
        }
    };
    let loc = locale::current();
    let summary = td_string!(loc, account.unread_summary, count = data.unread).to_string();
    let empty = data.items.is_empty();
    view! {
        <p class="notification-summary" data-unread=data.unread>{summary}</p>
        {empty.then(|| view! { <p class="empty">{td_string!(loc, account.notifications_empty)}</p> })}
        <ul class="notification-list">
            {data.items.into_iter().map(|n| view! { <Row n one /> }).collect_view()}
        </ul>
        <nav class="pagination" aria-label=td_string!(loc, common.pages_label)>
            {(current > 1).then(|| view! { <a class="page" rel="prev" href=href(current - 1)>{td_string!(loc, common.previous_page)}</a> })}
            {(current < pages).then(|| view! { <a class="page" rel="next" href=href(current + 1)>{td_string!(loc, common.next_page)}</a> })}
        </nav>
    }
}

#[component]
fn Row(n: NotificationView, one: ServerAction<MarkNotificationRead>) -> impl IntoView {
    let NotificationView {
        id,
        title,
        body,
        link,
        read_at,
        created_at,
        ..
    } = n;
    let unread = read_at.is_none();
    let loc = locale::current();
    let title = match link {
        // Only our own pages: a stored link is a site path.
        Some(link) if link.starts_with('/') && !link.starts_with("//") => {
            view! { <a href=link class="notification-title">{title}</a> }.into_any()
        }
        _ => view! { <span class="notification-title">{title}</span> }.into_any(),
    };
    view! {
        <li class="notification" class:unread=unread data-id=id>
            {title}
            <p class="notification-body">{body}</p>
            <LocalTimeText at=created_at />
            {unread.then(move || view! {
                <ActionForm action=one attr:class="mark-read">
                    <input type="hidden" name="id" value=id />
                    <button type="submit" class="button small">{td_string!(loc, account.mark_read)}</button>
                </ActionForm>
            })}
        </li>
    }
}
