//! The course outline beside a lesson, with the caller's state of each lesson.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::dto::{format_duration, OutlineChapter, OutlineState};
use crate::i18n::td_string;
use crate::locale;

#[component]
pub fn Outline(
    slug: String,
    title: String,
    percent: i64,
    chapters: Vec<OutlineChapter>,
) -> impl IntoView {
    let loc = locale::current();
    view! {
        <aside class="learn-outline" aria-label=td_string!(loc, learn.outline_label)>
            <p class="learn-course"><A href=format!("/courses/{slug}")>{title}</A></p>
            <p class="learn-percent" data-percent=percent>
                <progress max="100" value=percent></progress>
                " "{td_string!(loc, learn.percent_done, percent = percent)}
            </p>
            {chapters.into_iter().map(|ch| view! {
                <section class="learn-chapter">
                    <h2>{ch.title}</h2>
                    <ol>
                        {ch.lessons.into_iter().map(|l| {
                            let (state, mark) = match l.state {
                                OutlineState::Done => ("done", "✓"),
                                OutlineState::InProgress => ("in-progress", "◐"),
                                OutlineState::Open => ("open", "○"),
                                OutlineState::Locked => ("locked", "🔒"),
                            };
                            view! {
                                <li class=format!("learn-lesson {state}") data-lesson-id=l.id data-state=state>
                                    <span class="state" aria-hidden="true">{mark}</span>
                                    // The router's link marks the current lesson (aria-current).
                                    <A href=format!("/learn/{slug}/{}", l.id)>{l.title}</A>
                                    {l.free_preview.then(|| view! { <span class="preview">{td_string!(loc, learn.preview)}</span> })}
                                    <span class="duration">{format_duration(l.duration_secs)}</span>
                                </li>
                            }
                        }).collect_view()}
                    </ol>
                </section>
            }).collect_view()}
        </aside>
    }
}
