//! The course page's learning line: the review average and count, and for an enrolled student
//! how far they are, with a link into the lesson pages.

use leptos::prelude::*;

use crate::server_fns::learning::get_course_learning;

#[component]
pub fn CourseLearningLine(course_id: i64, slug: String) -> impl IntoView {
    let data = Resource::new(move || course_id, get_course_learning);
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let slug = slug.clone();
                Suspend::new(async move {
                    data.await.ok().map(|d| {
                        let rating = match d.average {
                            Some(avg) => format!("★ {avg:.1} · {} 条评价 reviews", d.reviews),
                            None => "暂无评价 No reviews yet".to_string(),
                        };
                        let progress = d.progress.map(|p| {
                            let href = p
                                .resume_lesson_id
                                .or(d.first_lesson_id)
                                .map(|id| format!("/learn/{slug}/{id}"));
                            view! {
                                <span class="course-percent" data-percent=p.percent>
                                    {format!(" · {}% 完成 done", p.percent)}
                                </span>
                                {href.map(|h| view! { " · "<a href=h class="learn-link">"去学习 Learn"</a> })}
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
