//! Learning paths: `/paths` lists the published ones, `/paths/:slug` shows one path's public
//! courses in order, with its follow button.

use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::components::{
    course_card::CourseCard, error_box::ErrorBox, follow_button::FollowButton,
};
use crate::dto::PathDetail;
use crate::error::AppError;
use crate::i18n::td_string;
use crate::locale;
use crate::pages::NotFound;
use crate::server_fns::follows::{get_path, list_paths};

#[component]
pub fn PathListPage() -> impl IntoView {
    let paths = Resource::new(|| (), |_| list_paths());
    let loc = locale::current();
    view! {
        <Title text=td_string!(loc, catalog.paths_title) />
        <section class="paths">
            <h1>{td_string!(loc, catalog.paths_title)}</h1>
            <Suspense fallback=move || view! { <p class="loading">{td_string!(loc, common.loading)}</p> }>
                {move || Suspend::new(async move {
                    match paths.await {
                        Ok(paths) if paths.is_empty() => view! {
                            <p class="empty">{td_string!(loc, catalog.no_paths)}</p>
                        }.into_any(),
                        Ok(paths) => view! {
                            <ul class="path-list">
                                {paths.into_iter().map(|p| view! {
                                    <li class="path-item">
                                        <h2><A href=format!("/paths/{}", p.slug)>{p.title}</A></h2>
                                        <p>{p.description}</p>
                                        <p class="meta">{td_string!(loc, catalog.path_courses, count = i32::try_from(p.course_count).unwrap_or(i32::MAX))}</p>
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(error) => view! { <ErrorBox error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
pub fn PathDetailPage() -> impl IntoView {
    let params = use_params_map();
    let path = Resource::new(
        move || params.read().get("slug").unwrap_or_default(),
        get_path,
    );
    let loc = locale::current();
    view! {
        <Suspense fallback=move || view! { <p class="loading">{td_string!(loc, common.loading)}</p> }>
            {move || Suspend::new(async move {
                match path.await {
                    Ok(path) => view! { <PathView path /> }.into_any(),
                    Err(AppError::NotFound(_)) => view! { <NotFound /> }.into_any(),
                    Err(error) => view! { <ErrorBox error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn PathView(path: PathDetail) -> impl IntoView {
    let PathDetail {
        id,
        title,
        description,
        courses,
        ..
    } = path;
    let loc = locale::current();
    view! {
        <Title text=title.clone() />
        <Meta name="description" content=description.clone() />
        <nav class="breadcrumbs" aria-label=td_string!(loc, catalog.breadcrumb_label)>
            <A href="/paths">{td_string!(loc, common.nav_paths)}</A>
        </nav>
        <article class="path-detail">
            <header>
                <h1>{title}</h1>
                <p class="summary">{description}</p>
                <FollowButton target="path" id />
            </header>
            <ol class="course-grid path-courses">
                {courses.into_iter().map(|course| view! { <li><CourseCard course /></li> }).collect_view()}
            </ol>
        </article>
    }
}
