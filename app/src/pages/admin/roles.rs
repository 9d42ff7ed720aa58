//! `/admin/roles/{id}/permissions`: the permission matrix (models × actions) with checkboxes,
//! plus the custom permissions.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::AdminError;
use crate::components::field::FormMessage;
use crate::i18n::td_string;
use crate::locale;
use crate::server_fns::admin::{load_role_permissions, SetRolePermissions};

#[component]
pub fn RolePermissionsPage() -> impl IntoView {
    let params = use_params_map();
    let loc = locale::current();
    let save = ServerAction::<SetRolePermissions>::new();
    let error = Signal::derive(move || save.value().get().and_then(Result::err));
    let matrix = Resource::new(
        move || {
            (
                params
                    .read()
                    .get("id")
                    .and_then(|i| i.parse().ok())
                    .unwrap_or(0),
                save.version().get(),
            )
        },
        |(id, _)| load_role_permissions(id),
    );
    view! {
        <Suspense fallback=move || view! { <p class="loading">{td_string!(loc, common.loading)}</p> }>
            {move || Suspend::new(async move {
                match matrix.await {
                    Ok(m) => {
                        let disabled = !m.can_change;
                        view! {
                            <Title text=td_string!(loc, admin.role_title, name = &m.role_name).to_string() />
                            <h1>{td_string!(loc, admin.role_heading, name = &m.role_name).to_string()}</h1>
                            <ActionForm action=save attr:class="permission-matrix">
                                <input type="hidden" name="role_id" value=m.role_id.to_string() />
                                <table class="admin-table matrix">
                                    <thead><tr><th>{td_string!(loc, admin.col_model)}</th>
                                        {m.actions.iter().map(|a| view! { <th>{a.clone()}</th> }).collect_view()}
                                    </tr></thead>
                                    <tbody>
                                        {m.rows.into_iter().map(|(model, cells)| view! {
                                            <tr><th scope="row">{model}</th>
                                                {cells.into_iter().map(|(codename, on)| if codename.is_empty() {
                                                    view! { <td></td> }.into_any()
                                                } else {
                                                    view! { <td><input type="checkbox" name=format!("grant[{codename}]") checked=on disabled=disabled aria-label=codename.clone() /></td> }.into_any()
                                                }).collect_view()}
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                                <h2>{td_string!(loc, admin.other_permissions)}</h2>
                                <ul class="custom-permissions">
                                    {m.custom.into_iter().map(|(codename, name, on)| view! {
                                        <li><label><input type="checkbox" name=format!("grant[{codename}]") checked=on disabled=disabled />
                                            {format!(" {name} ({codename})")}</label></li>
                                    }).collect_view()}
                                </ul>
                                <FormMessage error />
                                {m.can_change.then(|| view! { <button type="submit" class="button">{td_string!(loc, common.save)}</button> })}
                                {move || matches!(save.value().get(), Some(Ok(()))).then(|| view! { <p class="form-ok" role="status">{td_string!(loc, admin.saved)}</p> })}
                            </ActionForm>
                        }.into_any()
                    }
                    Err(error) => view! { <AdminError error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}
