//! The chapter/lesson outline of a course: chapters open and close in place.

use leptos::prelude::*;

use crate::dto::{format_duration, ChapterOutline};
use crate::i18n::td_string;
use crate::locale;

#[component]
pub fn Outline(chapters: Vec<ChapterOutline>) -> impl IntoView {
    if chapters.is_empty() {
        let loc = locale::current();
        return view! { <p class="muted">{td_string!(loc, catalog.outline_soon)}</p> }.into_any();
    }
    view! {
        <ol class="outline">
            {chapters
                .into_iter()
                .enumerate()
                // The first chapter starts open so the outline is useful before hydration too.
                .map(|(i, chapter)| view! { <Chapter chapter number=i + 1 open=i == 0 /> })
                .collect_view()}
        </ol>
    }
    .into_any()
}

#[component]
fn Chapter(chapter: ChapterOutline, number: usize, open: bool) -> impl IntoView {
    let (expanded, set_expanded) = signal(open);
    let total: i64 = chapter
        .lessons
        .iter()
        .map(|l| i64::from(l.duration_secs))
        .sum();
    let lessons = chapter.lessons;
    let lesson_count = i32::try_from(lessons.len()).unwrap_or(i32::MAX);
    let loc = locale::current();
    view! {
        <li class="chapter" class:expanded=expanded data-chapter-id=chapter.id>
            <button
                type="button"
                class="chapter-toggle"
                aria-expanded=move || expanded.get().to_string()
                on:click=move |_| set_expanded.update(|e| *e = !*e)
            >
                <span class="chapter-number">{td_string!(loc, catalog.chapter_number, number = number)}</span>
                <span class="chapter-title">{chapter.title}</span>
                <span class="chapter-meta">{td_string!(loc, catalog.chapter_meta, count = lesson_count, duration = format_duration(total))}</span>
            </button>
            <ul class="lessons" hidden=move || !expanded.get()>
                {lessons
                    .into_iter()
                    .map(|lesson| {
                        view! {
                            <li class="lesson" data-kind=format!("{:?}", lesson.kind).to_lowercase()>
                                <span class="lesson-kind">{lesson.kind.label(loc)}</span>
                                <span class="lesson-title">{lesson.title}</span>
                                {lesson.free_preview.then(|| view! { <span class="badge">{td_string!(loc, catalog.preview)}</span> })}
                                <span class="lesson-duration">{format_duration(i64::from(lesson.duration_secs))}</span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </li>
    }
}
