//! `/admin`: totals, 30-day charts (SVG drawn by the server) and recent actions.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use super::audit::AuditRows;
use super::AdminError;
use crate::i18n::td_string;
use crate::locale;
use crate::server_fns::admin::load_dashboard;

#[component]
pub fn DashboardPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| load_dashboard());
    let loc = locale::current();
    view! {
        <Title text=td_string!(loc, admin.dashboard) />
        <h1>{td_string!(loc, admin.dashboard)}</h1>
        <Suspense fallback=move || view! { <p class="loading">{td_string!(loc, common.loading)}</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(d) => view! {
                        <ul class="admin-counts">
                            {d.counts.into_iter().map(|c| view! {
                                <li>
                                    <span class="count-value">{c.value}</span>
                                    {match c.url {
                                        Some(url) => view! { <A href=url>{c.label}</A> }.into_any(),
                                        None => view! { <span>{c.label}</span> }.into_any(),
                                    }}
                                </li>
                            }).collect_view()}
                        </ul>
                        <div class="admin-charts">
                            {d.charts.into_iter().map(|(title, svg)| view! {
                                <figure><figcaption>{title}</figcaption><div inner_html=svg></div></figure>
                            }).collect_view()}
                        </div>
                        {(!d.recent.is_empty()).then(|| view! {
                            <h2>{td_string!(loc, admin.recent_actions)}</h2>
                            <AuditRows entries=d.recent />
                        })}
                    }.into_any(),
                    Err(error) => view! { <AdminError error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}
