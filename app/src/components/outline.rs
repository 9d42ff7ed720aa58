//! The chapter/lesson outline of a course: chapters open and close in place.

use leptos::prelude::*;

use crate::dto::{format_duration, ChapterOutline};

#[component]
pub fn Outline(chapters: Vec<ChapterOutline>) -> impl IntoView {
    if chapters.is_empty() {
        return view! { <p class="muted">"课程大纲即将发布 The outline is coming soon."</p> }
            .into_any();
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
    let lesson_count = lessons.len();
    view! {
        <li class="chapter" class:expanded=expanded data-chapter-id=chapter.id>
            <button
                type="button"
                class="chapter-toggle"
                aria-expanded=move || expanded.get().to_string()
                on:click=move |_| set_expanded.update(|e| *e = !*e)
            >
                <span class="chapter-number">{format!("第 {number} 章")}</span>
                <span class="chapter-title">{chapter.title}</span>
                <span class="chapter-meta">{format!("{lesson_count} 节 · {}", format_duration(total))}</span>
            </button>
            <ul class="lessons" hidden=move || !expanded.get()>
                {lessons
                    .into_iter()
                    .map(|lesson| {
                        view! {
                            <li class="lesson" data-kind=format!("{:?}", lesson.kind).to_lowercase()>
                                <span class="lesson-kind">{lesson.kind.label()}</span>
                                <span class="lesson-title">{lesson.title}</span>
                                {lesson.free_preview.then(|| view! { <span class="badge">"免费试看 Preview"</span> })}
                                <span class="lesson-duration">{format_duration(i64::from(lesson.duration_secs))}</span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </li>
    }
}
