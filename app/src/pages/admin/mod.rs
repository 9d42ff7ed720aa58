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
    // The page beside the menu has its own Suspense; keeping the two side by side (not nested)
    // lets each resolve on its own.
    view! {
        <div class="admin">
            <Suspense fallback=|| view! { <nav class="admin-menu loading">"…"</nav> }>
                {move || Suspend::new(async move {
                    match menu.await {
                        Ok(menu) => view! {
                            <nav class="admin-menu" aria-label="Back office">
                                <A href="/admin" attr:class="admin-home">"后台 Dashboard"</A>
                                <ul>
                                    {menu.entries.into_iter().map(|e| {
                                        let href = format!("/admin/{}", e.plural);
                                        view! { <li><A href=href>{e.label_plural}</A></li> }
                                    }).collect_view()}
                                    {menu.can_view_audit.then(|| view! {
                                        <li><A href="/admin/audit">"Audit log"</A></li>
                                    })}
                                    {menu.can_export.then(|| view! {
                                        <li><A href="/admin/exports">"Exports"</A></li>
                                    })}
                                    {menu.can_manage_jobs.then(|| view! {
                                        <li><A href="/admin/jobs">"Jobs"</A></li>
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
    match error {
        AppError::Unauthenticated => view! {
            <div class="error-box" role="alert">
                <p>"请先登录 Please sign in to use the back office."</p>
                <p><A href="/login">"登录 Sign in"</A></p>
            </div>
        }
        .into_any(),
        other => view! {
            <div class="error-box" role="alert"><p>{other.to_string()}</p></div>
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
