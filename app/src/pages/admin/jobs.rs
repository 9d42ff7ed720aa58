//! `/admin/jobs`: the job dashboard (the back office's Flower): counts per queue and state,
//! jobs done per minute over the last hour, workers and their heartbeats, and the failed jobs
//! with Retry / Discard. The server checks `job.manage` on every call.

use leptos::prelude::*;
use leptos_meta::Title;

use super::AdminError;
use crate::components::field::FormMessage;
use crate::i18n::td_string;
use crate::locale::{self, Locale};
use crate::server_fns::ops::{load_job_board, DiscardJob, RetryJob};

#[component]
pub fn JobsPage() -> impl IntoView {
    let loc = locale::current();
    let retry = ServerAction::<RetryJob>::new();
    let discard = ServerAction::<DiscardJob>::new();
    let error = Signal::derive(move || {
        retry
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| discard.value().get().and_then(Result::err))
    });
    let board = Resource::new(
        move || (retry.version().get(), discard.version().get()),
        |_| load_job_board(),
    );
    view! {
        <Title text=td_string!(loc, admin.jobs) />
        <h1>{td_string!(loc, admin.jobs)}</h1>
        <p><a href="/admin/jobs">{td_string!(loc, admin.refresh)}</a></p>
        <FormMessage error />
        <Suspense fallback=move || view! { <p class="loading">{td_string!(loc, common.loading)}</p> }>
            {move || Suspend::new(async move {
                match board.await {
                    Ok(b) => view! {
                        <table class="admin-table job-queues">
                            <thead><tr><th>{td_string!(loc, admin.col_queue)}</th><th>{td_string!(loc, admin.col_pending)}</th><th>{td_string!(loc, admin.col_running)}</th>
                                <th>{td_string!(loc, admin.col_done)}</th><th>{td_string!(loc, admin.col_failed)}</th><th>{td_string!(loc, admin.col_dead)}</th></tr></thead>
                            <tbody>
                                {b.queues.into_iter().map(|q| view! {
                                    <tr data-queue=q.queue.clone()><th scope="row">{q.queue.clone()}</th>
                                        <td>{q.pending}</td><td>{q.running}</td><td>{q.done}</td>
                                        <td>{q.failed}</td><td>{q.dead}</td></tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                        <figure class="admin-charts">
                            <figcaption>{td_string!(loc, admin.throughput, total = b.done_last_hour).to_string()}</figcaption>
                            <div inner_html=b.throughput_svg></div>
                        </figure>
                        <h2>{td_string!(loc, admin.workers)}</h2>
                        <table class="admin-table job-workers">
                            <thead><tr><th>{td_string!(loc, admin.col_worker)}</th><th>{td_string!(loc, admin.col_queue)}</th><th>{td_string!(loc, admin.col_last_heartbeat)}</th><th>{td_string!(loc, admin.col_started)}</th><th>{td_string!(loc, admin.col_state)}</th></tr></thead>
                            <tbody>
                                {b.workers.into_iter().map(|w| view! {
                                    <tr><td>{w.id}</td><td>{w.queue}</td><td>{w.last_seen}</td>
                                        <td>{w.started_at.unwrap_or_default()}</td>
                                        <td>{if w.alive { td_string!(loc, admin.worker_alive) } else { td_string!(loc, admin.worker_missed_heartbeat) }}</td></tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                        <h2>{td_string!(loc, admin.failed_jobs)}</h2>
                        <table class="admin-table job-failed">
                            <thead><tr><th>{td_string!(loc, admin.col_job)}</th><th>{td_string!(loc, admin.col_queue)}</th><th>{td_string!(loc, admin.col_state)}</th><th>{td_string!(loc, admin.col_attempts)}</th>
                                <th>{td_string!(loc, admin.col_errors)}</th><th>{td_string!(loc, admin.col_payload)}</th><th></th></tr></thead>
                            <tbody>
                                {b.failed.into_iter().map(|j| {
                                    let (id_retry, id_discard, id_row) =
                                        (j.id.clone(), j.id.clone(), j.id.clone());
                                    view! {
                                        <tr data-job=id_row><td>{j.id}</td><td>{j.queue}</td><td>{job_state_label(loc, &j.state)}</td>
                                            <td>{j.attempts}</td>
                                            <td><ul>{j.errors.into_iter().map(|e| view! { <li>{e}</li> }).collect_view()}</ul></td>
                                            <td><code>{j.payload}</code></td>
                                            <td>
                                                <ActionForm action=retry>
                                                    <input type="hidden" name="id" value=id_retry />
                                                    <button type="submit" class="button">{td_string!(loc, admin.retry)}</button>
                                                </ActionForm>
                                                <ActionForm action=discard>
                                                    <input type="hidden" name="id" value=id_discard />
                                                    <button type="submit" class="button danger">{td_string!(loc, admin.discard)}</button>
                                                </ActionForm>
                                            </td></tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                    Err(error) => view! { <AdminError error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// A job's state in `locale`; one we do not know is shown as stored.
fn job_state_label(locale: Locale, state: &str) -> String {
    match state {
        "pending" => td_string!(locale, admin.col_pending).into(),
        "running" => td_string!(locale, admin.col_running).into(),
        "done" => td_string!(locale, admin.col_done).into(),
        "failed" => td_string!(locale, admin.col_failed).into(),
        "dead" => td_string!(locale, admin.col_dead).into(),
        other => other.to_string(),
    }
}
