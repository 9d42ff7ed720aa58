//! A labelled form input with its error message beside it.

use leptos::prelude::*;

use crate::error::AppError;

/// The last error of a form's action, shared by its fields.
pub type FormError = Signal<Option<AppError>>;

#[component]
pub fn Field(
    name: &'static str,
    label: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: &'static str,
    #[prop(optional, into)] hint: Option<String>,
    error: FormError,
) -> impl IntoView {
    let message = move || error.get().and_then(|e| e.field_message(name));
    let id = format!("field-{name}");
    view! {
        <div class="field" class:invalid=move || message().is_some()>
            <label for=id.clone()>{label}</label>
            <input
                id=id
                name=name
                type=kind
                autocomplete=autocomplete
                required=true
                aria-invalid=move || message().is_some().to_string()
            />
            {hint.map(|h| view! { <p class="hint">{h}</p> })}
            <p class="field-error" role="alert">{message}</p>
        </div>
    }
}

/// The form-level message for errors that belong to no single field.
#[component]
pub fn FormMessage(error: FormError) -> impl IntoView {
    let message = move || match error.get() {
        Some(AppError::Validation(_)) | None => None,
        Some(other) => Some(other.message(crate::locale::current())),
    };
    view! { <p class="form-error" role="alert">{message}</p> }
}
