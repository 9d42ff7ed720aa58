//! `/admin/jobs`: the job dashboard (the back office's Flower): counts per queue and state,
//! jobs done per minute over the last hour, workers and their heartbeats, and the failed jobs
//! with Retry / Discard. The server checks `job.manage` on every call.

use leptos::prelude::*;
use leptos_meta::Title;

use super::AdminError;
use crate::components::field::FormMessage;
use crate::server_fns::ops::{load_job_board, DiscardJob, RetryJob};

#[component]
pub fn JobsPage() -> impl IntoView {
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
        <Title text="任务 Jobs" />
        <h1>"任务 Jobs"</h1>
        <p><a href="/admin/jobs">"刷新 Refresh"</a></p>
        <FormMessage error />
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match board.await {
                    Ok(b) => view! {
                        <table class="admin-table job-queues">
                            <thead><tr><th>"Queue"</th><th>"pending"</th><th>"running"</th>
                                <th>"done"</th><th>"failed"</th><th>"dead"</th></tr></thead>
                            <tbody>
                                {b.queues.into_iter().map(|q| view! {
                                    <tr data-queue=q.queue.clone()><th scope="row">{q.queue.clone()}</th>
                                        <td>{q.pending}</td><td>{q.running}</td><td>{q.done}</td>
                                        <td>{q.failed}</td><td>{q.dead}</td></tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                        <figure class="admin-charts">
                            <figcaption>{format!("Jobs done per minute, last hour ({} in all)", b.done_last_hour)}</figcaption>
                            <div inner_html=b.throughput_svg></div>
                        </figure>
                        <h2>"Workers"</h2>
                        <table class="admin-table job-workers">
                            <thead><tr><th>"Worker"</th><th>"Queue"</th><th>"Last heartbeat (UTC)"</th><th>"Started"</th><th>"State"</th></tr></thead>
                            <tbody>
                                {b.workers.into_iter().map(|w| view! {
                                    <tr><td>{w.id}</td><td>{w.queue}</td><td>{w.last_seen}</td>
                                        <td>{w.started_at.unwrap_or_default()}</td>
                                        <td>{if w.alive { "alive" } else { "missed its heartbeat" }}</td></tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                        <h2>"Failed jobs"</h2>
                        <table class="admin-table job-failed">
                            <thead><tr><th>"Job"</th><th>"Queue"</th><th>"State"</th><th>"Attempts"</th>
                                <th>"Errors"</th><th>"Payload"</th><th></th></tr></thead>
                            <tbody>
                                {b.failed.into_iter().map(|j| {
                                    let (id_retry, id_discard, id_row) =
                                        (j.id.clone(), j.id.clone(), j.id.clone());
                                    view! {
                                        <tr data-job=id_row><td>{j.id}</td><td>{j.queue}</td><td>{j.state}</td>
                                            <td>{j.attempts}</td>
                                            <td><ul>{j.errors.into_iter().map(|e| view! { <li>{e}</li> }).collect_view()}</ul></td>
                                            <td><code>{j.payload}</code></td>
                                            <td>
                                                <ActionForm action=retry>
                                                    <input type="hidden" name="id" value=id_retry />
                                                    <button type="submit" class="button">"重试 Retry"</button>
                                                </ActionForm>
                                                <ActionForm action=discard>
                                                    <input type="hidden" name="id" value=id_discard />
                                                    <button type="submit" class="button danger">"丢弃 Discard"</button>
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
