//! `/admin/users/{id}/access`: a user's roles and direct permissions, a forced password reset,
//! and their sessions with "end" buttons.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::AdminError;
use crate::components::field::FormMessage;
use crate::server_fns::admin::{load_user_access, EndSessions, ForcePasswordReset, SetUserAccess};

#[component]
pub fn UserAccessPage() -> impl IntoView {
    let params = use_params_map();
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
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match access.await {
                    Ok(a) => {
                        let disabled = !a.can_change;
                        let uid = a.user_id;
                        view! {
                            <Title text=format!("Access of {}", a.username) />
                            <h1>{format!("{}: 角色与权限 Roles & permissions", a.username)}</h1>
                            <FormMessage error />
                            <ActionForm action=save attr:class="user-access">
                                <input type="hidden" name="user_id" value=uid.to_string() />
                                <h2>"角色 Roles"</h2>
                                <ul class="roles">
                                    {a.roles.into_iter().map(|(id, name, on)| view! {
                                        <li><label><input type="checkbox" name=format!("role[{id}]") checked=on disabled=disabled />{format!(" {name}")}</label></li>
                                    }).collect_view()}
                                </ul>
                                <details>
                                    <summary>"直接权限 Direct permissions"</summary>
                                    <ul class="custom-permissions">
                                        {a.permissions.into_iter().map(|(codename, name, on)| view! {
                                            <li><label><input type="checkbox" name=format!("grant[{codename}]") checked=on disabled=disabled />{format!(" {name} ({codename})")}</label></li>
                                        }).collect_view()}
                                    </ul>
                                </details>
                                {a.can_change.then(|| view! { <button type="submit" class="button">"保存 Save"</button> })}
                            </ActionForm>
                            <h2>"密码 Password"</h2>
                            {if a.must_reset_password {
                                view! { <p>"Must choose a new password at next sign-in."</p> }.into_any()
                            } else if a.can_change {
                                view! {
                                    <ActionForm action=reset>
                                        <input type="hidden" name="user_id" value=uid.to_string() />
                                        <button type="submit" class="button">"强制重置密码 Force password reset"</button>
                                    </ActionForm>
                                }.into_any()
                            } else {
                                ().into_any()
                            }}
                            <h2>"会话 Sessions"</h2>
                            <table class="admin-table sessions">
                                <thead><tr><th>"Browser"</th><th>"IP"</th><th>"Last seen"</th><th></th></tr></thead>
                                <tbody>
                                    {a.sessions.into_iter().map(|s| view! {
                                        <tr><td>{s.browser}</td><td>{s.ip}</td><td>{s.last_seen}</td>
                                            <td>{a.can_change.then(|| view! {
                                                <ActionForm action=end>
                                                    <input type="hidden" name="user_id" value=uid.to_string() />
                                                    <input type="hidden" name="handle" value=s.handle />
                                                    <button type="submit">"结束 End"</button>
                                                </ActionForm>
                                            })}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            {a.can_change.then(|| view! {
                                <ActionForm action=end>
                                    <input type="hidden" name="user_id" value=uid.to_string() />
                                    <button type="submit" class="button danger">"结束全部会话 End all sessions"</button>
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
