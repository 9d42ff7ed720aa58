//! `/admin/{plural}/{id}/delete`: "are you sure?", listing what goes with the row.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use super::AdminError;
use crate::components::field::FormMessage;
use crate::server_fns::admin::{load_delete_preview, DeleteRecord};

#[component]
pub fn DeletePage() -> impl IntoView {
    let params = use_params_map();
    let delete = ServerAction::<DeleteRecord>::new();
    let error = Signal::derive(move || delete.value().get().and_then(Result::err));
    let preview = Resource::new(
        move || {
            let p = params.read();
            (
                p.get("model").unwrap_or_default(),
                p.get("id").and_then(|i| i.parse().ok()).unwrap_or(0),
            )
        },
        |(model, id)| load_delete_preview(model, id),
    );
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match preview.await {
                    Ok(p) => view! {
                        <Title text=format!("Delete {}", p.repr) />
                        <h1>{format!("删除 Delete {} “{}”?", p.label, p.repr)}</h1>
                        {if p.dependents.is_empty() {
                            view! { <p>"Nothing else refers to it."</p> }.into_any()
                        } else {
                            view! {
                                <p>"These related records refer to it; they are deleted with it, or block the delete:"</p>
                                <ul class="dependents">
                                    {p.dependents.into_iter().map(|d| view! {
                                        <li>{format!("{} {}: {}", d.count, d.label_plural, d.examples.join(", "))}</li>
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        }}
                        <ActionForm action=delete>
                            <input type="hidden" name="model" value=p.plural.clone() />
                            <input type="hidden" name="id" value=p.id.to_string() />
                            <FormMessage error />
                            <button type="submit" class="button danger">"确认删除 Yes, delete"</button>
                            <A href=format!("/admin/{}/{}", p.plural, p.id)>"取消 Cancel"</A>
                        </ActionForm>
                    }.into_any(),
                    Err(error) => view! { <AdminError error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}
