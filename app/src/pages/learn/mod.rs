//! `/learn/{course_slug}/{lesson_id}`: the course outline at the side (done, in progress,
//! open, locked), the lesson in the middle (article, video or lab, or "buy to continue"),
//! previous and next (keys `[` and `]`). What the caller may see is decided on the server by
//! the learning access rule; the page only shows what it was given.

mod browser;
mod course_line;
mod outline;
mod player;

pub use course_line::CourseLearningLine;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};

use crate::components::error_box::ErrorBox;
use crate::dto::{LessonAccess, LessonBody, LessonPage as Page};
use crate::error::AppError;
use crate::i18n::td_string;
use crate::locale;
use crate::pages::NotFound;
use crate::server_fns::learning::{get_lesson_page, save_progress};

#[component]
pub fn LessonPage() -> impl IntoView {
    let params = use_params_map();
    let key = move || {
        let p = params.read();
        (
            p.get("slug").unwrap_or_default(),
            p.get("lesson_id")
                .and_then(|s| s.parse::<i64>().ok())
                .unwrap_or(0),
        )
    };
    let page = Resource::new(key, |(slug, id)| get_lesson_page(slug, id));
    let loc = locale::current();
    view! {
        <Suspense fallback=move || view! { <p class="loading">{td_string!(loc, common.loading)}</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(page) => view! { <LessonView page /> }.into_any(),
                    Err(AppError::NotFound(_)) => view! { <NotFound /> }.into_any(),
                    Err(error) => view! { <ErrorBox error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn LessonView(page: Page) -> impl IntoView {
    let loc = locale::current();
    let slug = page.course_slug.clone();
    let href = move |id: i64| format!("/learn/{slug}/{id}");
    let prev = page.prev.map(&href);
    let next = page.next.map(&href);
    shortcuts(prev.clone(), next.clone());
    let done = RwSignal::new(page.progress.as_ref().is_some_and(|p| p.done));
    let lesson_id = page.lesson_id;
    let can_save = page.signed_in && page.access.is_open();
    let mark = move |_| {
        done.set(true);
        leptos::task::spawn_local(async move {
            let _ = save_progress(lesson_id, 0, 0, true).await;
        });
    };
    let body = match (page.access, page.body.clone()) {
        (LessonAccess::Locked, _) | (_, None) => view! {
            <BuyToContinue course_id=page.course_id signed_in=page.signed_in />
        }
        .into_any(),
        (_, Some(LessonBody::Article { html })) => view! {
            <player::Article html lesson_id can_save done />
        }
        .into_any(),
        (_, Some(LessonBody::Video { src, notes_html })) => view! {
            <player::Video src notes_html lesson_id can_save done progress=page.progress.clone() />
        }
        .into_any(),
        (
            _,
            Some(LessonBody::Lab {
                html,
                terminal_host_id,
            }),
        ) => view! {
            <div class="markdown lesson-lab" inner_html=html></div>
            {match terminal_host_id {
                Some(host) => view! {
                    <a class="button open-lab" href=format!("/terminal/{host}") rel="external">
                        {td_string!(loc, learn.open_lab)}
                    </a>
                }.into_any(),
                None => view! {
                    <p class="labs-off">{td_string!(loc, learn.labs_off)}</p>
                }.into_any(),
            }}
        }
        .into_any(),
    };
    view! {
        <Title text=format!("{} · {}", page.title, page.course_title) />
        <div class="learn" data-access=format!("{:?}", page.access).to_lowercase()>
            <outline::Outline
                slug=page.course_slug.clone()
                title=page.course_title.clone()
                percent=page.course_percent
                chapters=page.outline.clone()
            />
            <article class="lesson" data-lesson-id=page.lesson_id data-kind=page.kind.clone()>
                <h1>{page.title.clone()}</h1>
                {body}
                {can_save.then(move || view! {
                    <p class="lesson-done">
                        <button type="button" class="mark-done" on:click=mark disabled=move || done.get()>
                            {move || if done.get() { td_string!(loc, learn.done) } else { td_string!(loc, learn.mark_done) }}
                        </button>
                    </p>
                })}
                <nav class="lesson-nav" aria-label=td_string!(loc, learn.lessons_nav)>
                    {prev.map(|h| view! { <A href=h attr:class="prev" attr:rel="prev">{td_string!(loc, learn.previous)}</A> })}
                    {next.map(|h| view! { <A href=h attr:class="next" attr:rel="next">{td_string!(loc, learn.next)}</A> })}
                    <span class="shortcuts">{td_string!(loc, learn.shortcuts)}</span>
                </nav>
            </article>
        </div>
    }
}

/// `[` goes to the previous lesson, `]` to the next (not while typing in a field).
fn shortcuts(prev: Option<String>, next: Option<String>) {
    let navigate = use_navigate();
    let handle = window_event_listener(leptos::ev::keydown, move |e| {
        if browser::in_field(&e) || e.ctrl_key() || e.meta_key() || e.alt_key() {
            return;
        }
        let target = match e.key().as_str() {
            "[" => prev.as_deref(),
            "]" => next.as_deref(),
            _ => None,
        };
        if let Some(href) = target {
            navigate(href, Default::default());
        }
    });
    on_cleanup(move || handle.remove());
}

#[component]
fn BuyToContinue(course_id: i64, signed_in: bool) -> impl IntoView {
    let loc = locale::current();
    view! {
        <section class="buy-to-continue">
            <h2>{td_string!(loc, learn.buy_title)}</h2>
            <p>{td_string!(loc, learn.buy_text)}</p>
            {(!signed_in).then(|| view! {
                <p>
                    {td_string!(loc, learn.bought_before)}
                    <a href="/login" rel="external">{td_string!(loc, common.sign_in)}</a>
                    {td_string!(loc, learn.bought_after)}
                </p>
            })}
            <crate::pages::BuyBox course_id />
        </section>
    }
}
