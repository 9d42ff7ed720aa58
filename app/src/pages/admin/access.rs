//! `/admin/users/{id}/access`: a user's roles and direct permissions, a forced password reset,
//! and their sessions with "end" buttons.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::AdminError;
use crate::components::field::FormMessage;
use crate::i18n::td_string;
use crate::locale;
use crate::server_fns::admin::{load_user_access, EndSessions, ForcePasswordReset, SetUserAccess};

#[component]
pub fn UserAccessPage() -> impl IntoView {
    let params = use_params_map();
    let loc = locale::current();
    let save = ServerAction::<SetUserAccess>::new();
    let reset = ServerAction::<ForcePasswordReset>::new();
    let end = ServerAction::<EndSessions>::new();
    let error = Signal::derive(move || {
        save.value()
            .get()
            .and_then(Result::err)
            .or_else(|| reset.value().get().and_then(Result::err))
            .or_else(|| end.value().get().and_then(Result::err))
    });
    let access = Resource::new(
        move || {
            let id = params
                .read()
                .get("id")
                .and_then(|i| i.parse().ok())
                .unwrap_or(0);
            (
                id,
                save.version().get(),
                reset.version().get(),
                end.version().get(),
            )
        },
        |(id, ..)| load_user_access(id),
    );
    view! {
        <Suspense fallback=move || view! { <p class="loading">{td_string!(loc, common.loading)}</p> }>
            {move || Suspend::new(async move {
                match access.await {
                    Ok(a) => {
                        let disabled = !a.can_change;
                        let uid = a.user_id;
                        view! {
                            <Title text=td_string!(loc, admin.access_title, name = &a.username).to_string() />
                            <h1>{td_string!(loc, admin.access_heading, name = &a.username).to_string()}</h1>
                            <FormMessage error />
                            <ActionForm action=save attr:class="user-access">
                                <input type="hidden" name="user_id" value=uid.to_string() />
                                <h2>{td_string!(loc, admin.roles)}</h2>
                                <ul class="roles">
                                    {a.roles.into_iter().map(|(id, name, on)| view! {
                                        <li><label><input type="checkbox" name=format!("role[{id}]") checked=on disabled=disabled />{format!(" {name}")}</label></li>
                                    }).collect_view()}
                                </ul>
                                <details>
                                    <summary>{td_string!(loc, admin.direct_permissions)}</summary>
                                    <ul class="custom-permissions">
                                        {a.permissions.into_iter().map(|(codename, name, on)| view! {
                                            <li><label><input type="checkbox" name=format!("grant[{codename}]") checked=on disabled=disabled />{format!(" {name} ({codename})")}</label></li>
                                        }).collect_view()}
                                    </ul>
                                </details>
                                {a.can_change.then(|| view! { <button type="submit" class="button">{td_string!(loc, common.save)}</button> })}
                            </ActionForm>
                            <h2>{td_string!(loc, admin.password)}</h2>
                            {if a.must_reset_password {
                                view! { <p>{td_string!(loc, admin.must_reset_password)}</p> }.into_any()
                            } else if a.can_change {
                                view! {
                                    <ActionForm action=reset>
                                        <input type="hidden" name="user_id" value=uid.to_string() />
                                        <button type="submit" class="button">{td_string!(loc, admin.force_password_reset)}</button>
                                    </ActionForm>
                                }.into_any()
                            } else {
                                ().into_any()
                            }}
                            <h2>{td_string!(loc, admin.sessions)}</h2>
                            <table class="admin-table sessions">
                                <thead><tr><th>{td_string!(loc, admin.col_browser)}</th><th>{td_string!(loc, admin.col_ip)}</th><th>{td_string!(loc, admin.col_last_seen)}</th><th></th></tr></thead>
                                <tbody>
                                    {a.sessions.into_iter().map(|s| view! {
                                        <tr><td>{s.browser}</td><td>{s.ip}</td><td>{s.last_seen}</td>
                                            <td>{a.can_change.then(|| view! {
                                                <ActionForm action=end>
                                                    <input type="hidden" name="user_id" value=uid.to_string() />
                                                    <input type="hidden" name="handle" value=s.handle />
                                                    <button type="submit">{td_string!(loc, admin.end_session)}</button>
                                                </ActionForm>
                                            })}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            {a.can_change.then(|| view! {
                                <ActionForm action=end>
                                    <input type="hidden" name="user_id" value=uid.to_string() />
                                    <button type="submit" class="button danger">{td_string!(loc, admin.end_all_sessions)}</button>
                                </ActionForm>
                            })}
                        }.into_any()
                    }
                    Err(error) => view! { <AdminError error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}
