//! How a failed load looks.

use leptos::prelude::*;

use crate::error::AppError;

#[component]
pub fn ErrorBox(error: AppError) -> impl IntoView {
    view! {
        <div class="error-box" role="alert">
            <p>{error.to_string()}</p>
        </div>
    }
}
