//! `/account/courses` ("my courses"): what the signed-in student owns now, with its end, how far
//! they are and a link to continue, the course last studied first.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Redirect, A};

use crate::components::error_box::ErrorBox;
use crate::error::AppError;
use crate::i18n::td_string;
use crate::locale;
use crate::server_fns::orders::my_courses;

#[component]
pub fn MyCoursesPage() -> impl IntoView {
    let courses = Resource::new(|| (), |_| my_courses());
    let loc = locale::current();
    view! {
        <Title text=td_string!(loc, commerce.my_courses) />
        <section class="my-courses">
            <h1>{td_string!(loc, commerce.my_courses)}</h1>
            <Suspense fallback=move || view! { <p class="loading">{td_string!(loc, common.loading)}</p> }>
                {move || Suspend::new(async move {
                    match courses.await {
                        Ok(list) if list.is_empty() => view! {
                            <p class="empty">{td_string!(loc, commerce.nothing_yet)}" "<A href="/courses">{td_string!(loc, commerce.browse_courses)}</A></p>
                        }.into_any(),
                        Ok(list) => view! {
                            <ul class="owned-courses">
                                {list.into_iter().map(|e| {
                                    let until = match e.expires_at {
                                        Some(end) => td_string!(loc, commerce.valid_until, date = end.format("%Y-%m-%d").to_string()).to_string(),
                                        None => td_string!(loc, commerce.never_expires).to_string(),
                                    };
                                    let percent = e.progress.percent;
                                    // Continue where the student left off (the lesson page).
                                    let resume = e.progress.resume_lesson_id.map(|id| {
                                        view! {
                                            " · "<A href=format!("/learn/{}/{id}", e.course_slug) attr:class="continue">
                                                {td_string!(loc, commerce.resume)}
                                            </A>
                                        }
                                    });
                                    view! {
                                        <li class="owned-course" data-course-id=e.course_id data-percent=percent>
                                            <A href=format!("/courses/{}", e.course_slug)>{e.course_title}</A>
                                            " · "<span class="until">{until}</span>
                                            " · "<span class="percent">{td_string!(loc, commerce.percent_done, percent = percent)}</span>
                                            {resume}
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(AppError::Unauthenticated) => view! { <Redirect path="/login" /> }.into_any(),
                        Err(error) => view! { <ErrorBox error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
