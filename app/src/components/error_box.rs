//! How a failed load looks.

use leptos::prelude::*;

use crate::error::AppError;

#[component]
pub fn ErrorBox(error: AppError) -> impl IntoView {
    // A page that could not load because a dependency is away answers 503 (the server adds
    // `Retry-After`), so caches and load balancers do not take it for the real page.
    #[cfg(feature = "ssr")]
    if error == AppError::Unavailable {
        crate::ports::set_status(error.status());
    }
    view! {
        <div class="error-box" role="alert">
            <p>{error.message(crate::locale::current())}</p>
        </div>
    }
}
