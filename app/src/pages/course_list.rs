//! The course list: filters, search, sort and pages, all in the URL so any view can be shared.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::components::{course_card::CourseCard, error_box::ErrorBox, pagination::Pagination};
use crate::domain::{CourseQuery, Level, PriceFilter, SortKey};
use crate::dto::{CoursePage, DirectionFacet};
use crate::i18n::td_string;
use crate::locale;
use crate::server_fns::catalog::{get_directions, list_courses, COURSE_QUERY_KEYS};

#[component]
pub fn CourseListPage() -> impl IntoView {
    let query_map = use_query_map();
    let params = move || {
        query_map.with(|map| {
            COURSE_QUERY_KEYS
                .iter()
                .filter_map(|key| map.get(key).map(|value| (key.to_string(), value)))
                .collect::<Vec<_>>()
        })
    };
    let courses = Resource::new(params, list_courses);
    let directions = Resource::new(|| (), |_| get_directions());
    let loc = locale::current();
    view! {
        <Title text=td_string!(loc, catalog.list_title) />
        <div class="catalog">
            <Suspense fallback=move || view! { <p class="loading">{td_string!(loc, common.loading)}</p> }>
                {move || Suspend::new(async move {
                    let facets = directions.await;
                    match (courses.await, facets) {
                        (Ok(page), Ok(facets)) => view! { <Catalog page facets /> }.into_any(),
                        (Err(error), _) | (_, Err(error)) => view! { <ErrorBox error /> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
fn Catalog(page: CoursePage, facets: Vec<DirectionFacet>) -> impl IntoView {
    let page_count = page.page_count();
    let query = page.query.clone();
    let loc = locale::current();
    let heading = match &query.q {
        Some(q) => td_string!(loc, catalog.results_for, q = q).to_string(),
        None => td_string!(loc, catalog.all_courses).to_string(),
    };
    let total = i32::try_from(page.total).unwrap_or(i32::MAX);
    view! {
        <aside class="filters" aria-label=td_string!(loc, catalog.filters_label)>
            <Filters query=query.clone() facets />
        </aside>
        <section class="results">
            <header class="results-head">
                <h1>{heading}</h1>
                <p class="count" data-total=page.total>{td_string!(loc, catalog.course_count, count = total)}</p>
                <SortBar query=query.clone() />
            </header>
            {(!page.notices.is_empty())
                .then(|| {
                    view! {
                        <ul class="notices" role="status">
                            {page.notices.iter().map(|n| view! { <li>{n.message.clone()}</li> }).collect_view()}
                        </ul>
                    }
                })}
            {if page.items.is_empty() {
                view! {
                    <div class="empty">
                        <p>{td_string!(loc, catalog.no_match)}</p>
                        <A href="/courses">{td_string!(loc, catalog.clear_filters)}</A>
                    </div>
                }
                    .into_any()
            } else {
                view! {
                    <div class="course-grid">
                        {page.items.into_iter().map(|course| view! { <CourseCard course /> }).collect_view()}
                    </div>
                }
                    .into_any()
            }}
            <Pagination query page_count />
        </section>
    }
}

/// A link that applies one filter value, marked when it is the active one. Plain `<a>`: the
/// router still navigates client-side, and `<A>` would mark every `/courses?…` link as current.
fn option_link(label: String, href: String, active: bool) -> impl IntoView {
    view! {
        <li>
            <a href=href class=if active { "option active" } else { "option" } aria-current=active.then_some("true")>
                {label}
            </a>
        </li>
    }
}

#[component]
fn Filters(query: CourseQuery, facets: Vec<DirectionFacet>) -> impl IntoView {
    let loc = locale::current();
    let active_direction = facets
        .iter()
        .find(|d| query.direction.as_deref() == Some(d.slug.as_str()))
        .cloned();
    let directions = {
        let mut links = vec![option_link(
            td_string!(loc, catalog.filter_all).into(),
            query
                .with(|q| {
                    q.direction = None;
                    q.category = None;
                })
                .href(),
            query.direction.is_none(),
        )
        .into_any()];
        links.extend(facets.iter().map(|d| {
            let slug = d.slug.clone();
            option_link(
                d.name.clone(),
                query
                    .with(|q| {
                        q.direction = Some(slug);
                        q.category = None;
                    })
                    .href(),
                query.direction.as_deref() == Some(d.slug.as_str()),
            )
            .into_any()
        }));
        links
    };
    // Categories of the chosen direction, or all of them when none is chosen.
    let categories: Vec<_> = match &active_direction {
        Some(d) => d.categories.clone(),
        None => facets.iter().flat_map(|d| d.categories.clone()).collect(),
    };
    let category_links = categories
        .into_iter()
        .map(|c| {
            let active = query.category.as_deref() == Some(c.slug.as_str());
            let slug = c.slug.clone();
            let href = query
                .with(|q| q.category = if active { None } else { Some(slug) })
                .href();
            option_link(c.name, href, active)
        })
        .collect_view();
    let level_links = Level::ALL
        .into_iter()
        .map(|level| {
            let active = query.level == Some(level);
            let href = query
                .with(|q| q.level = if active { None } else { Some(level) })
                .href();
            option_link(level.label(loc).into(), href, active)
        })
        .collect_view();
    let price_links = [
        (PriceFilter::Free, td_string!(loc, catalog.price_free)),
        (PriceFilter::Paid, td_string!(loc, catalog.price_paid)),
    ]
    .into_iter()
    .map(|(price, label)| {
        let active = query.price == Some(price);
        let href = query
            .with(|q| q.price = if active { None } else { Some(price) })
            .href();
        option_link(label.into(), href, active)
    })
    .collect_view();
    view! {
        <div class="filter-group" data-filter="direction">
            <h2>{td_string!(loc, catalog.filter_direction)}</h2>
            <ul>{directions}</ul>
        </div>
        <div class="filter-group" data-filter="category">
            <h2>{td_string!(loc, catalog.filter_category)}</h2>
            <ul>{category_links}</ul>
        </div>
        <div class="filter-group" data-filter="level">
            <h2>{td_string!(loc, catalog.filter_level)}</h2>
            <ul>{level_links}</ul>
        </div>
        <div class="filter-group" data-filter="price">
            <h2>{td_string!(loc, catalog.filter_price)}</h2>
            <ul>{price_links}</ul>
        </div>
    }
}

#[component]
fn SortBar(query: CourseQuery) -> impl IntoView {
    let loc = locale::current();
    view! {
        <nav class="sort-bar" aria-label=td_string!(loc, catalog.sort_label)>
            {SortKey::ALL
                .into_iter()
                .map(|key| {
                    let active = query.sort == key;
                    let name = key.name().unwrap_or_default();
                    let label = key.label(loc);
                    let href = query.with(|q| q.sort = key).href();
                    view! {
                        <a href=href class=if active { "sort active" } else { "sort" } data-sort=name>
                            {label}
                        </a>
                    }
                })
                .collect_view()}
        </nav>
    }
}
