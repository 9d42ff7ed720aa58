//! `/admin/{plural}`: the change list. Search, filters, sorting and paging live in the URL
//! (plain links and GET forms); bulk actions post the ticked rows.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Form, A};
use leptos_router::hooks::{use_params_map, use_query_map};
use leptos_router::params::ParamsMap;

use super::{with_param, AdminError};
use crate::dto::admin::{AdminList, AdminListQuery};
use crate::i18n::td_string;
use crate::locale;
use crate::server_fns::admin::{load_list, RunAction};

/// Query keys that are not field filters.
const RESERVED: [&str; 3] = ["q", "sort", "page"];

#[component]
pub fn ListPage() -> impl IntoView {
    let params = use_params_map();
    let loc = locale::current();
    let query = use_query_map();
    let run = ServerAction::<RunAction>::new();
    let list = Resource::new(
        move || {
            let model = params.read().get("model").unwrap_or_default();
            (model, list_query(&query.read()), run.version().get())
        },
        |(model, q, _)| load_list(model, q),
    );
    view! {
        <Suspense fallback=move || view! { <p class="loading">{td_string!(loc, common.loading)}</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(list) => view! { <ListView list query=query.get_untracked() run /> }.into_any(),
                    Err(error) => view! { <AdminError error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn list_query(q: &ParamsMap) -> AdminListQuery {
    let filters = q
        .clone()
        .into_iter()
        .filter(|(k, _)| !RESERVED.contains(&k.as_ref()))
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    AdminListQuery {
        search: q.get("q"),
        filters,
        sort: q.get("sort"),
        page: q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1),
    }
}

#[component]
fn ListView(list: AdminList, query: ParamsMap, run: ServerAction<RunAction>) -> impl IntoView {
    let AdminList {
        plural,
        label_plural,
        columns,
        rows,
        count,
        page,
        per_page,
        filters,
        actions,
        can_add,
        searchable,
        ..
    } = list;
    let loc = locale::current();
    let sort = query.get("sort").unwrap_or_default();
    let search_value = query.get("q").unwrap_or_default();
    let prev_href = with_param(&query, "page", Some(page.saturating_sub(1).to_string()));
    let next_href = with_param(&query, "page", Some((page + 1).to_string()));
    let (sort_query, filter_query) = (query.clone(), query);
    let pages = count.div_ceil(u64::from(per_page)).max(1) as u32;
    let done = move || match run.value().get() {
        Some(Ok(n)) => {
            let text = td_string!(loc, admin.rows_updated, count = n).to_string();
            Some(view! { <p class="form-ok" role="status">{text}</p> }.into_any())
        }
        Some(Err(e)) => {
            Some(view! { <p class="form-error" role="alert">{e.message(loc)}</p> }.into_any())
        }
        None => None,
    };
    let has_actions = !actions.is_empty();
    let form_id = format!("actions-{plural}");
    // Actions that ask first (delete): a click handler, not an inline `onsubmit`, which the
    // Content-Security-Policy forbids. Pressing Enter in the form clicks the button too.
    let questions: Vec<(String, String)> = actions
        .iter()
        .filter(|a| a.confirm)
        .map(|a| {
            (
                a.name.clone(),
                td_string!(loc, admin.confirm_action, action = &a.label).to_string(),
            )
        })
        .collect();
    let chosen_action = NodeRef::<leptos::html::Select>::new();
    let ask_first = move |ev: leptos::ev::MouseEvent| {
        let Some(select) = chosen_action.get() else {
            return;
        };
        let chosen = select.value();
        if let Some((_, question)) = questions.iter().find(|(name, _)| *name == chosen) {
            if !window().confirm_with_message(question).unwrap_or(false) {
                ev.prevent_default();
            }
        }
    };
    view! {
        <Title text=label_plural.clone() />
        <header class="admin-head">
            <h1>{label_plural.clone()}</h1>
            {can_add.then(|| view! {
                <A href=format!("/admin/{plural}/new") attr:class="button add-link">{td_string!(loc, admin.add_record)}</A>
            })}
        </header>
        {searchable.then(|| view! {
            <Form method="GET" action="" attr:class="admin-search">
                <input type="search" name="q" aria-label=td_string!(loc, admin.search_label) value=search_value />
                <button type="submit">{td_string!(loc, admin.search_button)}</button>
            </Form>
        })}
        <div class="admin-list">
            <div class="admin-table-wrap">
                {done}
                <ActionForm action=run attr:id=form_id.clone()>
                    <input type="hidden" name="model" value=plural.clone() />
                    {has_actions.then(|| view! {
                        <div class="admin-actions">
                            <label>{td_string!(loc, admin.action_label)}" "
                                <select name="action" node_ref=chosen_action>
                                    {actions.into_iter().map(|a| {
                                        view! { <option value=a.name>{a.label}</option> }
                                    }).collect_view()}
                                </select>
                            </label>
                            <button type="submit" class="button" on:click=ask_first>{td_string!(loc, admin.run_action)}</button>
                        </div>
                    })}
                    <table class="admin-table">
                        <thead><tr>
                            {has_actions.then(|| view! { <th></th> })}
                            {columns.into_iter().map(|c| {
                                let (href, mark) = if c.sortable {
                                    let next = if sort == c.name { format!("-{}", c.name) } else { c.name.clone() };
                                    let mark = if sort == c.name { " ▲" } else if sort == format!("-{}", c.name) { " ▼" } else { "" };
                                    (Some(with_param(&sort_query, "sort", Some(next))), mark)
                                } else {
                                    (None, "")
                                };
                                view! {
                                    <th>{match href {
                                        Some(href) => view! { <a href=href>{c.label}{mark}</a> }.into_any(),
                                        None => view! { <span>{c.label}</span> }.into_any(),
                                    }}</th>
                                }
                            }).collect_view()}
                        </tr></thead>
                        <tbody>
                            {rows.into_iter().map(|row| {
                                let href = format!("/admin/{plural}/{}", row.id);
                                let mut cells = row.cells.into_iter();
                                let first = cells.next().unwrap_or_default();
                                view! {
                                    <tr>
                                        {has_actions.then(|| view! {
                                            <td><input type="checkbox" name=format!("selected[{}]", row.id) aria-label=td_string!(loc, admin.select_row) /></td>
                                        })}
                                        <td><A href=href>{first}</A></td>
                                        {cells.map(|c| view! { <td>{c}</td> }).collect_view()}
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </ActionForm>
                <p class="admin-count">{td_string!(loc, admin.list_count, count = usize::try_from(count).unwrap_or(usize::MAX), page = page, pages = pages).to_string()}</p>
                <nav class="pagination" aria-label=td_string!(loc, common.pages_label)>
                    {(page > 1).then(|| view! { <a href=prev_href rel="prev">{td_string!(loc, common.previous_page)}</a> })}
                    {(page < pages).then(|| view! { <a href=next_href rel="next">{td_string!(loc, common.next_page)}</a> })}
                </nav>
            </div>
            {(!filters.is_empty()).then(|| view! {
                <aside class="admin-filters" aria-label=td_string!(loc, admin.filters_label)>
                    <h2>{td_string!(loc, admin.filter)}</h2>
                    {filters.into_iter().map(|f| {
                        let current = filter_query.get(&f.field);
                        let field = f.field.clone();
                        if f.options.is_empty() {
                            let min = format!("{}_min", f.field);
                            let max = format!("{}_max", f.field);
                            let min_value = filter_query.get(&min).unwrap_or_default();
                            let max_value = filter_query.get(&max).unwrap_or_default();
                            view! {
                                <Form method="GET" action="" attr:class="range-filter">
                                    <h3>{f.label}</h3>
                                    <input type="number" name=min placeholder=td_string!(loc, admin.range_min) value=min_value />
                                    <input type="number" name=max placeholder=td_string!(loc, admin.range_max) value=max_value />
                                    <button type="submit">{td_string!(loc, admin.apply)}</button>
                                </Form>
                            }.into_any()
                        } else {
                            view! {
                                <h3>{f.label}</h3>
                                <ul>
                                    <li class:selected=current.is_none()><a href=with_param(&filter_query, &field, None)>{td_string!(loc, admin.filter_all)}</a></li>
                                    {f.options.into_iter().map(|(value, label)| {
                                        let selected = current.as_deref() == Some(value.as_str());
                                        view! { <li class:selected=selected><a href=with_param(&filter_query, &field, Some(value))>{label}</a></li> }
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        }
                    }).collect_view()}
                </aside>
            })}
        </div>
    }
}
