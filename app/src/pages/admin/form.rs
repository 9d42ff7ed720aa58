//! `/admin/{plural}/new` and `/admin/{plural}/{id}`: a form rendered from the declaration,
//! errors beside the fields, inline child rows (a course's chapters) and links to the row's
//! history, delete page and RBAC screens.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use super::AdminError;
use crate::components::field::{FormError, FormMessage};
use crate::dto::admin::{AdminField, AdminForm, AdminInline};
use crate::i18n::td_string;
use crate::locale;
use crate::server_fns::admin::{load_form, SaveRecord};

#[component]
pub fn CreatePage() -> impl IntoView {
    view! { <FormPage creating=true /> }
}

#[component]
pub fn EditPage() -> impl IntoView {
    view! { <FormPage creating=false /> }
}

#[component]
fn FormPage(creating: bool) -> impl IntoView {
    let params = use_params_map();
    let loc = locale::current();
    let save = ServerAction::<SaveRecord>::new();
    let inline_save = ServerAction::<SaveRecord>::new();
    let form = Resource::new(
        move || {
            let p = params.read();
            let id = if creating {
                None
            } else {
                p.get("id").and_then(|i| i.parse::<i64>().ok()).or(Some(0))
            };
            // Saving in place redirects to this same URL: the versions make the form re-read.
            let versions = (save.version().get(), inline_save.version().get());
            (p.get("model").unwrap_or_default(), id, versions)
        },
        |(model, id, _)| load_form(model, id),
    );
    view! {
        <Suspense fallback=move || view! { <p class="loading">{td_string!(loc, common.loading)}</p> }>
            {move || Suspend::new(async move {
                match form.await {
                    Ok(form) => view! { <FormView form save inline_save /> }.into_any(),
                    Err(error) => view! { <AdminError error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn FormView(
    form: AdminForm,
    save: ServerAction<SaveRecord>,
    inline_save: ServerAction<SaveRecord>,
) -> impl IntoView {
    let loc = locale::current();
    let error: FormError = Signal::derive(move || save.value().get().and_then(Result::err));
    let AdminForm {
        plural,
        label,
        id,
        repr,
        fields,
        inlines,
        can_save,
        can_delete,
    } = form;
    let title = match id {
        Some(_) => format!("{label}: {repr}"),
        None => td_string!(loc, admin.add_title, label = &label).to_string(),
    };
    let model_name = crate::admin::find(&plural)
        .map(|m| m.name)
        .unwrap_or_default();
    let is_users = plural == "users";
    let is_roles = plural == "roles";
    let base = format!("/admin/{plural}");
    view! {
        <Title text=title.clone() />
        <header class="admin-head">
            <h1>{title}</h1>
            {id.map(|id| view! {
                <nav class="object-tools">
                    <A href=format!("/admin/audit?object_type={model_name}&object_id={id}")>{td_string!(loc, admin.history)}</A>
                    {is_users.then(|| view! { <A href=format!("/admin/users/{id}/access")>{td_string!(loc, admin.user_access_link)}</A> })}
                    {is_roles.then(|| view! { <A href=format!("/admin/roles/{id}/permissions")>{td_string!(loc, admin.permissions)}</A> })}
                    {can_delete.then(|| view! { <A href=format!("{base}/{id}/delete") attr:class="danger">{td_string!(loc, common.delete)}</A> })}
                </nav>
            })}
        </header>
        <ActionForm action=save attr:class="admin-form" attr:novalidate=true>
            <input type="hidden" name="model" value=plural.clone() />
            {id.map(|id| view! { <input type="hidden" name="id" value=id.to_string() /> })}
            {fields.into_iter().map(|f| view! { <AdminInput field=f error /> }).collect_view()}
            <FormMessage error />
            {can_save.then(|| view! {
                <button type="submit" class="button" disabled=move || save.pending().get()>{td_string!(loc, common.save)}</button>
            })}
        </ActionForm>
        {id.map(|id| {
            let parent = format!("{base}/{id}");
            inlines.into_iter().map(|inline| view! { <InlineRows inline parent=parent.clone() save=inline_save /> }).collect_view()
        })}
    }
}

#[component]
fn InlineRows(
    inline: AdminInline,
    parent: String,
    save: ServerAction<SaveRecord>,
) -> impl IntoView {
    let loc = locale::current();
    let error: FormError = Signal::derive(move || save.value().get().and_then(Result::err));
    let AdminInline {
        plural,
        label_plural,
        rows,
        new_row,
        can_add,
        ..
    } = inline;
    let section_class = format!("inline inline-{plural}");
    view! {
        <section class=section_class>
            <h2>{label_plural}</h2>
            <ol class="inline-rows">
                {rows.into_iter().map(|(id, name)| view! {
                    <li><A href=format!("/admin/{plural}/{id}")>{name}</A></li>
                }).collect_view()}
            </ol>
            {can_add.then(|| view! {
                <ActionForm action=save attr:class="admin-form inline-add" attr:novalidate=true>
                    <input type="hidden" name="model" value=plural.clone() />
                    <input type="hidden" name="next" value=parent.clone() />
                    {new_row.into_iter().map(|f| view! { <AdminInput field=f error /> }).collect_view()}
                    <FormMessage error />
                    <button type="submit" class="button">{td_string!(loc, admin.add_row)}</button>
                </ActionForm>
            })}
        </section>
    }
}

/// One field of a generic form; `values[<name>]` is what the server reads.
#[component]
fn AdminInput(field: AdminField, error: FormError) -> impl IntoView {
    let AdminField {
        name,
        label,
        input,
        value,
        options,
        required,
        read_only,
        help,
    } = field;
    let key = name.clone();
    let message = Signal::derive(move || error.get().and_then(|e| e.field_message(&key)));
    let form_name = format!("values[{name}]");
    let id = format!("field-{name}");
    if input == "hidden" {
        return view! { <input type="hidden" name=form_name value=value /> }.into_any();
    }
    let control = if read_only {
        view! { <p class="read-only" id=id.clone()>{if value.is_empty() { "—".to_string() } else { value }}</p> }.into_any()
    } else {
        match input.as_str() {
            "textarea" => view! { <textarea id=id.clone() name=form_name rows="6">{value}</textarea> }.into_any(),
            "checkbox" => view! { <input id=id.clone() type="checkbox" name=form_name checked=value == "true" /> }.into_any(),
            "select" => view! {
                <select id=id.clone() name=form_name>
                    {(!required || value.is_empty()).then(|| view! { <option value="">"—"</option> })}
                    {options.into_iter().map(|(v, l)| {
                        let selected = v == value;
                        view! { <option value=v selected=selected>{l}</option> }
                    }).collect_view()}
                </select>
            }.into_any(),
            kind => view! { <input id=id.clone() type=kind.to_string() name=form_name value=value required=required /> }.into_any(),
        }
    };
    view! {
        <div class="field" class:invalid=move || message.get().is_some() data-field=name.clone()>
            <label for=id>{label}{required.then_some(" *")}</label>
            {control}
            {(!help.is_empty()).then(|| view! { <p class="hint">{help}</p> })}
            <p class="field-error" role="alert">{message}</p>
        </div>
    }
    .into_any()
}
