//! `/account/courses` ("my courses"): what the signed-in student owns now, with its end, how far
//! they are and a link to continue, the course last studied first.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Redirect, A};

use crate::components::error_box::ErrorBox;
use crate::error::AppError;
use crate::server_fns::orders::my_courses;

#[component]
pub fn MyCoursesPage() -> impl IntoView {
    let courses = Resource::new(|| (), |_| my_courses());
    view! {
        <Title text="我的课程 My courses" />
        <section class="my-courses">
            <h1>"我的课程 My courses"</h1>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match courses.await {
                        Ok(list) if list.is_empty() => view! {
                            <p class="empty">"还没有课程 Nothing here yet. "<A href="/courses">"浏览课程 Browse courses"</A></p>
                        }.into_any(),
                        Ok(list) => view! {
                            <ul class="owned-courses">
                                {list.into_iter().map(|e| {
                                    let until = match e.expires_at {
                                        Some(end) => format!("有效至 until {}", end.format("%Y-%m-%d")),
                                        None => "永久 for good".to_string(),
                                    };
                                    let percent = e.progress.percent;
                                    // Continue where the student left off (the lesson page).
                                    let resume = e.progress.resume_lesson_id.map(|id| {
                                        view! {
                                            " · "<A href=format!("/learn/{}/{id}", e.course_slug) attr:class="continue">
                                                "继续学习 Continue"
                                            </A>
                                        }
                                    });
                                    view! {
                                        <li class="owned-course" data-course-id=e.course_id data-percent=percent>
                                            <A href=format!("/courses/{}", e.course_slug)>{e.course_title}</A>
                                            " · "<span class="until">{until}</span>
                                            " · "<span class="percent">{format!("{percent}% 完成 done")}</span>
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
