//! One language at a time: the request's language picked from `?lang=`, the `xc_locale` cookie
//! and `Accept-Language`, and used for pages (`pages`), errors, problem+json and mails, a
//! signed-in user's choice kept in the profile, and the back office sending an anonymous visitor
//! to sign in (`accounts`); the back office's labels and the model engine's field errors
//! (`back_office`).

mod accounts;
mod back_office;
mod pages;

use crate::helpers::TestApp;

pub(super) async fn page(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = app.client.get(app.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

pub(super) fn html_lang(html: &str) -> &str {
    html.split("<html lang=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or("")
}
