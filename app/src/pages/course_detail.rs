//! One course: what it teaches, who teaches it, and its outline.

use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::components::{error_box::ErrorBox, follow_button::FollowButton, outline::Outline};
use crate::dto::{format_duration, CourseDetail};
use crate::error::AppError;
use crate::i18n::td_string;
use crate::locale;
use crate::pages::NotFound;
use crate::server_fns::catalog::get_course;

#[component]
pub fn CourseDetailPage() -> impl IntoView {
    let params = use_params_map();
    let course = Resource::new(
        move || params.read().get("slug").unwrap_or_default(),
        get_course,
    );
    let loc = locale::current();
    view! {
        <Suspense fallback=move || view! { <p class="loading">{td_string!(loc, common.loading)}</p> }>
            {move || Suspend::new(async move {
                match course.await {
                    Ok(course) => view! { <CourseView course /> }.into_any(),
                    Err(AppError::NotFound(_)) => view! { <NotFound /> }.into_any(),
                    Err(error) => view! { <ErrorBox error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn CourseView(course: CourseDetail) -> impl IntoView {
    let loc = locale::current();
    let lesson_count = i32::try_from(course.lesson_count()).unwrap_or(i32::MAX);
    let total = format_duration(course.total_secs());
    let CourseDetail {
        card,
        description_html,
        direction,
        category,
        teacher,
        chapters,
        ..
    } = course;
    let price_class = if card.price.is_free() {
        "price free"
    } else {
        "price"
    };
    let learners = i32::try_from(card.enrollment_count).unwrap_or(i32::MAX);
    view! {
        <Title text=card.title.clone() />
        <Meta name="description" content=card.summary.clone() />
        <nav class="breadcrumbs" aria-label=td_string!(loc, catalog.breadcrumb_label)>
            <A href="/courses">{td_string!(loc, common.nav_courses)}</A>
            " / "
            <A href=format!("/courses?direction={}", direction.slug)>{direction.name}</A>
            " / "
            <A href=format!("/courses?category={}", category.slug)>{category.name}</A>
        </nav>
        <article class="course-detail">
            <header class="course-head">
                <h1>{card.title.clone()}</h1>
                <p class="summary">{card.summary.clone()}</p>
                <p class="meta">
                    <span class="level">{card.level.label(loc)}</span>
                    " · "
                    <span>{td_string!(loc, catalog.lessons_total, count = lesson_count, duration = total.clone())}</span>
                    " · "
                    <span class="enrolled">{td_string!(loc, catalog.learners, count = learners)}</span>
                </p>
                <p class="prices">
                    <span class=price_class>{card.price.to_string()}</span>
                    {card
                        .original_price
                        .filter(|o| *o > card.price)
                        .map(|o| view! { <s class="original-price">{o.to_string()}</s> })}
                </p>
                <crate::pages::CourseLearningLine course_id=card.id slug=card.slug.clone() />
                <crate::pages::BuyBox course_id=card.id />
                <FollowButton target="course" id=card.id />
            </header>
            <section class="teacher">
                <h2>{td_string!(loc, catalog.teacher)}</h2>
                <p>
                    <strong>{teacher.name}</strong>
                    " · "
                    {teacher.title}
                </p>
            </section>
            <section class="description">
                <h2>{td_string!(loc, catalog.about)}</h2>
                // Rendered from Markdown and sanitised by the server (ammonia) before it got here.
                <div class="markdown" inner_html=description_html></div>
            </section>
            <section class="syllabus">
                <h2>{td_string!(loc, catalog.outline)}</h2>
                <Outline chapters />
            </section>
        </article>
    }
}
