//! The course page's learning line: the review average and count, and for an enrolled student
//! how far they are, with a link into the lesson pages.

use leptos::prelude::*;

use crate::i18n::td_string;
use crate::locale;
use crate::server_fns::learning::get_course_learning;

#[component]
pub fn CourseLearningLine(course_id: i64, slug: String) -> impl IntoView {
    let data = Resource::new(move || course_id, get_course_learning);
    let loc = locale::current();
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let slug = slug.clone();
                Suspend::new(async move {
                    data.await.ok().map(|d| {
                        let rating = match d.average {
                            Some(avg) => td_string!(
                                loc,
                                learn.rating,
                                avg = format!("{avg:.1}"),
                                count = i32::try_from(d.reviews).unwrap_or(i32::MAX)
                            )
                            .to_string(),
                            None => td_string!(loc, learn.no_reviews).to_string(),
                        };
                        let progress = d.progress.map(|p| {
                            let href = p
                                .resume_lesson_id
                                .or(d.first_lesson_id)
                                .map(|id| format!("/learn/{slug}/{id}"));
                            view! {
                                <span class="course-percent" data-percent=p.percent>
                                    " · "{td_string!(loc, learn.percent_done, percent = p.percent)}
                                </span>
                                {href.map(|h| view! { " · "<a href=h class="learn-link">{td_string!(loc, learn.learn_link)}</a> })}
                            }
                        });
                        view! {
                            <p class="course-learning">
                                <span class="rating" data-reviews=d.reviews>{rating}</span>
                                {progress}
                            </p>
                        }
                    })
                })
            }}
        </Suspense>
    }
}
