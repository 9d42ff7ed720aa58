//! `/admin/exports`: export a course's learners as CSV (`?course=N` fills the course in). The
//! export runs as a background job; the page polls its status and moves a progress bar until
//! the download link appears. The server checks `enrollment.view` and who may see the export.

use std::time::Duration;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::AdminError;
use crate::components::field::FormMessage;
use crate::dto::ops::ExportView;
use crate::error::AppError;
use crate::i18n::td_string;
use crate::locale::{self, Locale};
use crate::server_fns::admin::load_menu;
use crate::server_fns::ops::{export_status, StartExport};

/// How often the page asks how far the export is.
const POLL: Duration = Duration::from_millis(500);

#[component]
pub fn ExportsPage() -> impl IntoView {
    let query = use_query_map();
    let loc = locale::current();
    let course = move || query.read().get("course").unwrap_or_default();
    let start = ServerAction::<StartExport>::new();
    let error = Signal::derive(move || start.value().get().and_then(Result::err));
    let field_error = move || error.get().and_then(|e| e.field_message("course_id"));
    let latest = RwSignal::new(None::<ExportView>);
    Effect::new(move |_| {
        if let Some(Ok(view)) = start.value().get() {
            latest.set(Some(view));
        }
    });
    // While the export runs, ask again after POLL; each answer replaces the last.
    Effect::new(move |_| {
        let Some(view) = latest.get() else { return };
        if view.status == "done" || view.status == "failed" {
            return;
        }
        let id = view.id;
        set_timeout(
            move || {
                leptos::task::spawn_local(async move {
                    if let Ok(next) = export_status(id).await {
                        latest.set(Some(next));
                    }
                });
            },
            POLL,
        );
    });
    // The page itself shows nothing private, but it answers 401/403 like every admin page.
    let gate = Resource::new(|| (), |_| load_menu());
    let form = move || {
        view! {
            <ActionForm action=start attr:class="export-form">
                <div class="field" class:invalid=move || field_error().is_some()>
                    <label for="field-course_id">{td_string!(loc, admin.course_id)}</label>
                    <input id="field-course_id" type="number" name="course_id" min="1" required value=course
                        aria-invalid=move || field_error().is_some().to_string() />
                    <p class="field-error" role="alert">{field_error}</p>
                </div>
                <button type="submit" class="button">{td_string!(loc, admin.export_learners)}</button>
                <FormMessage error />
            </ActionForm>
            {move || latest.get().map(|v| view! {
                <div class="export-status" data-status=v.status.clone()>
                    <progress max="100" value=v.progress.to_string()>{format!("{}%", v.progress)}</progress>
                    <span class="export-progress">{format!(" {}", td_string!(loc, admin.export_progress, progress = v.progress, status = export_status_label(loc, &v.status), count = v.rows))}</span>
                    {v.error.map(|e| view! { <p class="error">{e}</p> })}
                    {v.download_url.map(|url| view! {
                        <p><a href=url class="button" download="">{td_string!(loc, admin.download_csv)}</a>
                            {v.expires_at.map(|t| td_string!(loc, admin.link_valid_until, time = t).to_string())}</p>
                    })}
                </div>
            })}
        }
    };
    view! {
        <Title text=td_string!(loc, admin.exports) />
        <h1>{td_string!(loc, admin.exports_heading)}</h1>
        <Suspense fallback=move || view! { <p class="loading">{td_string!(loc, common.loading)}</p> }>
            {move || Suspend::new(async move {
                match gate.await {
                    Ok(menu) if menu.can_export => form().into_any(),
                    Ok(_) => view! { <AdminError error=AppError::Forbidden /> }.into_any(),
                    Err(error) => view! { <AdminError error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// An export's status in `locale`; one we do not know is shown as the server sent it.
fn export_status_label(locale: Locale, status: &str) -> String {
    match status {
        "pending" => td_string!(locale, admin.export_pending).into(),
        "running" => td_string!(locale, admin.export_running).into(),
        "done" => td_string!(locale, admin.export_done).into(),
        "failed" => td_string!(locale, admin.export_failed).into(),
        other => other.to_string(),
    }
}
