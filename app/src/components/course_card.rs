//! A course in a grid.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::dto::CourseCard as Card;
use crate::i18n::td_string;
use crate::locale;

#[component]
pub fn CourseCard(course: Card) -> impl IntoView {
    let href = format!("/courses/{}", course.slug);
    let original = course
        .original_price
        .filter(|o| *o > course.price)
        .map(|o| view! { <s class="original-price">{o.to_string()}</s> });
    let price_class = if course.price.is_free() {
        "price free"
    } else {
        "price"
    };
    let loc = locale::current();
    let learners = i32::try_from(course.enrollment_count).unwrap_or(i32::MAX);
    view! {
        <article class="course-card" data-slug=course.slug.clone()>
            <A href=href>
                <div class="cover">
                    {course
                        .cover_url
                        .clone()
                        .map(|url| view! { <img src=url alt="" loading="lazy" width="320" height="180" /> })}
                </div>
                <div class="card-body">
                    <h3 class="course-title">{course.title.clone()}</h3>
                    <p class="summary">{course.summary.clone()}</p>
                    <p class="meta">
                        <span class="level">{course.level.label(loc)}</span>
                        " · "
                        <span>{course.teacher_name.clone()}</span>
                        " · "
                        <span class="enrolled">{td_string!(loc, catalog.learners, count = learners)}</span>
                    </p>
                    <p class="prices">
                        <span class=price_class>{course.price.to_string()}</span>
                        {original}
                    </p>
                </div>
            </A>
        </article>
    }
}
