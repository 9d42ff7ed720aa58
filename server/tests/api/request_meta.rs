//! One service layer, one set of request facts: a REST handler and a server function that end
//! in the same model-engine write hand it the same client address (`RequestMeta`), decided by
//! the one client-IP function, so the audit log honours `TRUSTED_PROXIES` alike on both paths.

use app::admin::models::DIRECTION;
use reqwest::Method;
use serde_json::json;
use server::db::audit;

use crate::accounts::{post_form, session_cookie};
use crate::backend_tests;
use crate::helpers::{spawn_app_with, Backend, Options, TestApp};
use crate::rest_support::{call, token_for, PASSWORD};

backend_tests!(rest_and_server_functions_audit_the_same_client_address);

/// What a client behind our proxy chain sends: a forged first hop, then the real client.
const FORWARDED: &str = "6.6.6.6, 198.51.100.7";

/// The address the audit log holds for the direction named `name`.
async fn audited_ip(app: &TestApp, name: &str) -> Option<String> {
    let filter = audit::EntryFilter {
        object_type: Some(DIRECTION.name.into()),
        action: Some("create".into()),
        ..Default::default()
    };
    let (_, entries) = audit::list(&app.db, &filter, 0, 50).await.unwrap();
    let entry = entries
        .into_iter()
        .find(|e| e.object_repr == name)
        .unwrap_or_else(|| panic!("no audit entry for the direction {name}"));
    entry.ip
}

async fn rest_and_server_functions_audit_the_same_client_address(backend: Backend) {
    let trusting = Options {
        extra: vec![("TRUSTED_PROXIES", "127.0.0.0/8, ::1".into())],
        ..Default::default()
    };
    for (options, expected) in [
        (trusting, "198.51.100.7"),
        (Options::default(), "127.0.0.1"),
    ] {
        let app = spawn_app_with(backend, options).await;
        let token = token_for(&app, "root", true, &[]).await;

        // The REST handler: POST /api/v1/directions with a bearer token.
        let response = call(&app, Method::POST, "/api/v1/directions", Some(&token))
            .header("x-forwarded-for", FORWARDED)
            .json(&json!({"name": "Through REST", "slug": "through-rest"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());

        // The server function: the back office's save, signed in through the login form.
        let login = post_form(
            &app,
            "/fn/accounts/login",
            None,
            &[("username", "root"), ("password", PASSWORD)],
        )
        .await;
        let cookie = session_cookie(&login).expect("signing in sets the session cookie");
        let response = app
            .client
            .post(app.url("/fn/admin/save"))
            .header("origin", app.address.clone())
            .header("cookie", &cookie)
            .header("x-forwarded-for", FORWARDED)
            .form(&[
                ("model", DIRECTION.plural),
                ("values[name]", "Through the back office"),
                ("values[slug]", "through-the-back-office"),
            ])
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success() || response.status().is_redirection(),
            "save answered {}",
            response.status()
        );

        let through_rest = audited_ip(&app, "Through REST").await;
        let through_server_fn = audited_ip(&app, "Through the back office").await;
        assert_eq!(through_rest.as_deref(), Some(expected));
        assert_eq!(through_server_fn, through_rest);
    }
}
