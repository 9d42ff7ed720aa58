//! `/admin/audit`: every create, change and delete, filterable by actor, action and object;
//! an object's "History" link lands here filtered to it.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Form, A};
use leptos_router::hooks::use_query_map;

use super::{with_param, AdminError};
use crate::dto::admin::{AuditEntryView, AuditQuery};
use crate::i18n::td_string;
use crate::locale::{self, Locale};
use crate::server_fns::admin::load_audit;

#[component]
pub fn AuditLogPage() -> impl IntoView {
    let query = use_query_map();
    let loc = locale::current();
    let page = Resource::new(
        move || {
            let q = query.read();
            AuditQuery {
                actor: q.get("actor"),
                action: q.get("action"),
                object_type: q.get("object_type"),
                object_id: q.get("object_id"),
                page: q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1),
            }
        },
        load_audit,
    );
    view! {
        <Title text=td_string!(loc, admin.audit_log) />
        <h1>{td_string!(loc, admin.audit_log)}</h1>
        <Form method="GET" action="" attr:class="audit-filters">
            <input name="actor" placeholder=td_string!(loc, admin.actor_placeholder) value=move || query.read().get("actor").unwrap_or_default() />
            <select name="action">
                <option value="">{td_string!(loc, admin.any_action)}</option>
                {["create", "change", "delete", "login", "custom"].into_iter().map(|a| view! {
                    <option value=a selected=move || query.read().get("action").as_deref() == Some(a)>{action_label(loc, a)}</option>
                }).collect_view()}
            </select>
            <input name="object_type" placeholder=td_string!(loc, admin.object_type_placeholder) value=move || query.read().get("object_type").unwrap_or_default() />
            <input name="object_id" placeholder=td_string!(loc, admin.object_id_placeholder) value=move || query.read().get("object_id").unwrap_or_default() />
            <button type="submit">{td_string!(loc, admin.filter)}</button>
        </Form>
        <Suspense fallback=move || view! { <p class="loading">{td_string!(loc, common.loading)}</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(p) => {
                        let pages = p.count.div_ceil(u64::from(p.per_page)).max(1) as u32;
                        let q = query.get_untracked();
                        view! {
                            <p class="admin-count">{td_string!(loc, admin.entry_count, count = usize::try_from(p.count).unwrap_or(usize::MAX)).to_string()}</p>
                            <AuditRows entries=p.entries />
                            <nav class="pagination" aria-label=td_string!(loc, common.pages_label)>
                                {(p.page > 1).then(|| view! { <a href=with_param(&q, "page", Some((p.page - 1).to_string()))>{td_string!(loc, common.previous_page)}</a> })}
                                {(p.page < pages).then(|| view! { <a href=with_param(&q, "page", Some((p.page + 1).to_string()))>{td_string!(loc, common.next_page)}</a> })}
                            </nav>
                        }.into_any()
                    }
                    Err(error) => view! { <AdminError error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn AuditRows(entries: Vec<AuditEntryView>) -> impl IntoView {
    let loc = locale::current();
    view! {
        <table class="admin-table audit">
            <thead><tr><th>{td_string!(loc, admin.col_when)}</th><th>{td_string!(loc, admin.col_who)}</th><th>{td_string!(loc, admin.col_action)}</th><th>{td_string!(loc, admin.col_object)}</th><th>{td_string!(loc, admin.col_changes)}</th></tr></thead>
            <tbody>
                {entries.into_iter().map(|e| {
                    let row_class = format!("audit-{}", e.action);
                    view! {
                    <tr class=row_class>
                        <td>{e.at.replace('T', " ").replace('Z', "")}</td>
                        <td>{e.actor}</td>
                        <td>{action_label(loc, &e.action)}</td>
                        <td>{match e.object_url {
                            Some(url) => view! { <A href=url>{format!("{} “{}”", e.object_type, e.object_repr)}</A> }.into_any(),
                            None => view! { <span>{format!("{} “{}”", e.object_type, e.object_repr)}</span> }.into_any(),
                        }}</td>
                        <td><ul class="changes">
                            {e.changes.into_iter().map(|c| view! {
                                <li><code>{c.field}</code>{format!(": {} → {}", c.from, c.to)}</li>
                            }).collect_view()}
                        </ul></td>
                    </tr>
                }}).collect_view()}
            </tbody>
        </table>
    }
}

/// An audit action's name in `locale`; an action we do not know is shown as it is stored.
fn action_label(locale: Locale, action: &str) -> String {
    match action {
        "create" => td_string!(locale, admin.action_create).into(),
        "change" => td_string!(locale, admin.action_change).into(),
        "delete" => td_string!(locale, admin.action_delete).into(),
        "login" => td_string!(locale, admin.action_login).into(),
        "custom" => td_string!(locale, admin.action_custom).into(),
        other => other.to_string(),
    }
}
