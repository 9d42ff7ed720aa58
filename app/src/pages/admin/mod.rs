//! The back office (`/admin`): a frame with the menu the user may see, and one page per kind of
//! screen, each rendered from the model declarations in [`crate::admin`]. Hiding a menu entry
//! is a courtesy; the server answers 401/403 whatever the page shows.

mod access;
mod audit;
mod dashboard;
mod delete;
mod exports;
mod form;
mod jobs;
mod list;
mod roles;

use leptos::prelude::*;
use leptos_router::components::{Outlet, A};

use crate::error::AppError;
use crate::i18n::td_string;
use crate::locale;
use crate::server_fns::admin::load_menu;

pub use access::UserAccessPage;
pub use audit::AuditLogPage;
pub use dashboard::DashboardPage;
pub use delete::DeletePage;
pub use exports::ExportsPage;
pub use form::{CreatePage, EditPage};
pub use jobs::JobsPage;
pub use list::ListPage;
pub use roles::RolePermissionsPage;

/// The frame: menu on the left, the page on the right.
#[component]
pub fn AdminLayout() -> impl IntoView {
    let menu = Resource::new(|| (), |_| load_menu());
    let loc = locale::current();
    // The page beside the menu has its own Suspense; keeping the two side by side (not nested)
    // lets each resolve on its own.
    view! {
        <div class="admin">
            <Suspense fallback=|| view! { <nav class="admin-menu loading">"…"</nav> }>
                {move || Suspend::new(async move {
                    match menu.await {
                        Ok(menu) => view! {
                            <nav class="admin-menu" aria-label=td_string!(loc, admin.menu_label)>
                                <A href="/admin" attr:class="admin-home">{td_string!(loc, admin.dashboard)}</A>
                                <ul>
                                    {menu.entries.into_iter().map(|e| {
                                        let href = format!("/admin/{}", e.plural);
                                        view! { <li><A href=href>{e.label_plural}</A></li> }
                                    }).collect_view()}
                                    {menu.can_view_audit.then(|| view! {
                                        <li><A href="/admin/audit">{td_string!(loc, admin.audit_log)}</A></li>
                                    })}
                                    {menu.can_export.then(|| view! {
                                        <li><A href="/admin/exports">{td_string!(loc, admin.exports)}</A></li>
                                    })}
                                    {menu.can_manage_jobs.then(|| view! {
                                        <li><A href="/admin/jobs">{td_string!(loc, admin.jobs)}</A></li>
                                    })}
                                </ul>
                                <p class="admin-user">{menu.username}</p>
                            </nav>
                        }.into_any(),
                        // The page beside says what is wrong (and sets the status).
                        Err(_) => ().into_any(),
                    }
                })}
            </Suspense>
            <section class="admin-main"><Outlet /></section>
        </div>
    }
}

/// An error with its real status: sign in for 401, a plain refusal for 403.
#[component]
pub fn AdminError(error: AppError) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::ports::set_status(error.status());
    let loc = locale::current();
    match error {
        AppError::Unauthenticated => view! {
            <div class="error-box" role="alert">
                <p>{td_string!(loc, admin.sign_in_required)}</p>
                <p><A href="/login">{td_string!(loc, common.sign_in)}</A></p>
            </div>
        }
        .into_any(),
        other => view! {
            <div class="error-box" role="alert"><p>{other.message(loc)}</p></div>
        }
        .into_any(),
    }
}

/// The current query with `key` set to `value` (or removed when `None`), as `?…`.
pub(crate) fn with_param(
    query: &leptos_router::params::ParamsMap,
    key: &str,
    value: Option<String>,
) -> String {
    let mut q = query.clone();
    q.remove(key);
    if key != "page" {
        // Changing a filter or the order starts again at the first page.
        q.remove("page");
    }
    if let Some(v) = value {
        q.insert(key.to_string(), v);
    }
    let s = q.to_query_string();
    if s.is_empty() {
        "?".into()
    } else {
        s
    }
}
