//! Home: featured and newest courses, and the directions to start from.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::components::{course_card::CourseCard, error_box::ErrorBox};
use crate::dto::CourseCard as Card;
use crate::i18n::td_string;
use crate::locale;
use crate::server_fns::catalog::get_home;

#[component]
pub fn HomePage() -> impl IntoView {
    let home = Resource::new(|| (), |_| get_home());
    let loc = locale::current();
    view! {
        <Title text="" />
        <section class="hero">
            <h1>{td_string!(loc, catalog.hero_title)}</h1>
            <p>{td_string!(loc, catalog.hero_text)}</p>
            <A href="/courses" attr:class="button primary">{td_string!(loc, catalog.browse_courses)}</A>
        </section>
        <Suspense fallback=move || view! { <p class="loading">{td_string!(loc, common.loading)}</p> }>
            {move || Suspend::new(async move {
                match home.await {
                    Ok(home) => {
                        view! {
                            <nav class="direction-strip" aria-label=td_string!(loc, catalog.directions_label)>
                                {home
                                    .directions
                                    .into_iter()
                                    .map(|d| view! { <A href=format!("/courses?direction={}", d.slug) attr:class="chip">{d.name}</A> })
                                    .collect_view()}
                            </nav>
                            <CourseSection title=td_string!(loc, catalog.featured) id="featured" courses=home.featured />
                            <CourseSection title=td_string!(loc, catalog.newest) id="newest" courses=home.newest />
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
