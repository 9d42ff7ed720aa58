//! `/admin/{plural}/{id}/delete`: "are you sure?", listing what goes with the row.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use super::AdminError;
use crate::components::field::FormMessage;
use crate::i18n::td_string;
use crate::locale::{self, Locale};
use crate::server_fns::admin::{load_delete_preview, DeleteRecord};

#[component]
pub fn DeletePage() -> impl IntoView {
    let params = use_params_map();
    let loc = locale::current();
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
        <Suspense fallback=move || view! { <p class="loading">{td_string!(loc, common.loading)}</p> }>
            {move || Suspend::new(async move {
                match preview.await {
                    Ok(p) => view! {
                        <Title text=td_string!(loc, admin.delete_title, repr = &p.repr).to_string() />
                        <h1>{td_string!(loc, admin.delete_heading, label = &p.label, repr = &p.repr).to_string()}</h1>
                        {if p.dependents.is_empty() {
                            view! { <p>{td_string!(loc, admin.nothing_refers)}</p> }.into_any()
                        } else {
                            view! {
                                <p>{td_string!(loc, admin.dependents_intro)}</p>
                                <ul class="dependents">
                                    {p.dependents.into_iter().map(|d| view! {
                                        <li>{td_string!(loc, admin.dependent_line, n = d.count, label = &d.label_plural, examples = d.examples.join(list_separator(loc))).to_string()}</li>
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        }}
                        <ActionForm action=delete>
                            <input type="hidden" name="model" value=p.plural.clone() />
                            <input type="hidden" name="id" value=p.id.to_string() />
                            <FormMessage error />
                            <button type="submit" class="button danger">{td_string!(loc, admin.confirm_delete)}</button>
                            <A href=format!("/admin/{}/{}", p.plural, p.id)>{td_string!(loc, common.cancel)}</A>
                        </ActionForm>
                    }.into_any(),
                    Err(error) => view! { <AdminError error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// How a list of names is run together in `locale`'s prose.
fn list_separator(locale: Locale) -> &'static str {
    match locale {
        Locale::zh_CN => "、",
        Locale::en => ", ",
    }
}
