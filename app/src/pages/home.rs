//! Home: featured and newest courses, and the directions to start from.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::components::{course_card::CourseCard, error_box::ErrorBox};
use crate::dto::CourseCard as Card;
use crate::server_fns::catalog::get_home;

#[component]
pub fn HomePage() -> impl IntoView {
    let home = Resource::new(|| (), |_| get_home());
    view! {
        <Title text="" />
        <section class="hero">
            <h1>"学编程，来学城"</h1>
            <p>"Programming courses from people who ship: Python, Go, Rust, front end and more."</p>
            <A href="/courses" attr:class="button primary">"浏览课程 Browse courses"</A>
        </section>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match home.await {
                    Ok(home) => {
                        view! {
                            <nav class="direction-strip" aria-label="Directions">
                                {home
                                    .directions
                                    .into_iter()
                                    .map(|d| view! { <A href=format!("/courses?direction={}", d.slug) attr:class="chip">{d.name}</A> })
                                    .collect_view()}
                            </nav>
                            <CourseSection title="精选课程 Featured" id="featured" courses=home.featured />
                            <CourseSection title="最新上线 Newest" id="newest" courses=home.newest />
                        }
                            .into_any()
                    }
                    Err(error) => view! { <ErrorBox error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn CourseSection(title: &'static str, id: &'static str, courses: Vec<Card>) -> impl IntoView {
    view! {
        <section class="course-section" id=id>
            <h2>{title}</h2>
            <div class="course-grid">
                {courses.into_iter().map(|course| view! { <CourseCard course /> }).collect_view()}
            </div>
        </section>
    }
}
