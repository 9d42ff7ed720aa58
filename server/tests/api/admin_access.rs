//! The back office's permission matrix, generated from the code: every server function under
//! `/fn/admin/` that Leptos registered (its server-function registry) × every model in
//! [`app::admin::MODELS`], tried as
//! - an anonymous visitor → 401;
//! - a signed-in staff user holding every permission except the needed ones → 403;
//! - a signed-in user holding every permission who is not staff → 403;
//! - a signed-in staff user holding exactly the needed permissions → success (2xx/3xx).
//!
//! A function registered without an entry in [`cases::ENDPOINTS`] fails the test, so a new
//! route cannot skip the check. Permissions are read on every request, so two accounts serve
//! all cases: their grants are replaced before each request.

mod cases;
mod fixture;
mod pages;

use std::collections::BTreeSet;

use cases::{cases_for, Needs, ENDPOINTS, KNOWN_BUGS};
use fixture::{Fixture, Request, PASSWORD};
use pages::{page_cases, ROUTES};

use crate::backend_tests;
use crate::helpers::Backend;

backend_tests!(
    every_admin_server_function_checks_permissions,
    every_admin_page_checks_permissions
);

/// The admin pages in the Leptos router, as axum paths (`/admin/{model}/{id}`).
fn routed_admin_pages() -> BTreeSet<String> {
    server::startup::route_list()
        .iter()
        .map(|route| route.path().to_string())
        .filter(|path| path == "/admin" || path.starts_with("/admin/"))
        .collect()
}

/// The admin server functions Leptos registered: the real routing table, not a copy.
fn registered_admin_functions() -> BTreeSet<String> {
    leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_string())
        .filter(|path| path.starts_with("/fn/admin/"))
        .collect()
}

#[test]
fn the_table_covers_exactly_the_registered_functions() {
    let registered = registered_admin_functions();
    assert!(
        !registered.is_empty(),
        "no /fn/admin/ function in the server-fn registry: is the app crate linked?"
    );
    let table: BTreeSet<String> = ENDPOINTS.iter().map(|e| e.to_string()).collect();
    let untested: Vec<_> = registered.difference(&table).collect();
    let stale: Vec<_> = table.difference(&registered).collect();
    assert!(
        untested.is_empty(),
        "admin server functions without a permission case (add them to admin_access/cases.rs): {untested:?}"
    );
    assert!(
        stale.is_empty(),
        "cases for functions that no longer exist: {stale:?}"
    );
    for endpoint in ENDPOINTS {
        assert!(
            cases_for(endpoint).is_some(),
            "{endpoint} is listed but has no cases"
        );
    }
}

// Walking the router spawns reactive tasks, which want a runtime.
#[tokio::test]
async fn the_page_table_covers_exactly_the_routed_pages() {
    let routed = routed_admin_pages();
    assert!(!routed.is_empty(), "the router lists no /admin page");
    let table: BTreeSet<String> = ROUTES.iter().map(|r| r.to_string()).collect();
    let untested: Vec<_> = routed.difference(&table).collect();
    let stale: Vec<_> = table.difference(&routed).collect();
    assert!(
        untested.is_empty(),
        "admin pages without a permission case (add them to admin_access/pages.rs): {untested:?}"
    );
    assert!(
        stale.is_empty(),
        "cases for pages that are no longer routed: {stale:?}"
    );
}

/// Signed-in personas whose permissions are replaced before each request.
struct Personas {
    outsider: (i64, String),
    allowed: (i64, String),
    customer: String,
}

impl Personas {
    async fn new(f: &Fixture) -> Self {
        let hash = server::auth::password::hash_password(PASSWORD.into())
            .await
            .unwrap();
        let outsider = f.account("outsider", true, &hash).await;
        let allowed = f.account("allowed", true, &hash).await;
        let customer = f.account("customer", false, &hash).await;
        f.grant(customer, &f.all_codenames).await;
        f.export_of(allowed).await;
        Self {
            outsider: (outsider, f.sign_in("outsider").await),
            allowed: (allowed, f.sign_in("allowed").await),
            customer: f.sign_in("customer").await,
        }
    }
}

async fn every_admin_server_function_checks_permissions(backend: Backend) {
    let f = Fixture::new(backend).await;
    let people = Personas::new(&f).await;
    let registered = registered_admin_functions();
    assert!(!registered.is_empty(), "no /fn/admin/ function registered");
    let mut failures = Vec::new();
    let mut tried = 0;
    for endpoint in &registered {
        let Some(cases) = cases_for(endpoint) else {
            failures.push(format!("{endpoint}: no case in admin_access/cases.rs"));
            continue;
        };
        for case in cases {
            tried += 1;
            let id = match case.target {
                Some(spec) => f.fresh(spec).await,
                None => 0,
            };
            let request = Request::Post {
                path: endpoint.clone(),
                form: (case.form)(&f, id),
            };
            failures.extend(check(&f, &people, &case.name, &case.needs, &request).await);
        }
    }
    report(failures, tried);
}

async fn every_admin_page_checks_permissions(backend: Backend) {
    let f = Fixture::new(backend).await;
    let people = Personas::new(&f).await;
    let mut failures = Vec::new();
    let mut tried = 0;
    for route in routed_admin_pages() {
        let Some(cases) = page_cases(&route, &f) else {
            failures.push(format!("{route}: no case in admin_access/pages.rs"));
            continue;
        };
        for case in cases {
            tried += 1;
            let name = format!("GET {}", case.path);
            let request = Request::Get { path: case.path };
            failures.extend(check(&f, &people, &name, &case.needs, &request).await);
        }
    }
    assert!(tried > 0, "the router lists no /admin page");
    report(failures, tried);
}

fn report(failures: Vec<String>, tried: usize) {
    assert!(
        failures.is_empty(),
        "{} of {tried} checks failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Sends one request as every persona; the failures, if any.
async fn check(
    f: &Fixture,
    people: &Personas,
    name: &str,
    needs: &Needs,
    request: &Request,
) -> Vec<String> {
    let (held, withheld): (Vec<String>, Vec<String>) = match needs {
        // Any one permission opens the door; none keeps it shut.
        Needs::Staff => (vec![f.all_codenames[0].clone()], Vec::new()),
        Needs::All(needed) => (
            needed.clone(),
            f.all_codenames
                .iter()
                .filter(|c| !needed.contains(c))
                .cloned()
                .collect(),
        ),
    };
    let page = matches!(request, Request::Get { .. });
    let mut failures = Vec::new();
    let mut expect = |who: &str, status: reqwest::StatusCode, ok: bool, want: &str| {
        if !ok {
            failures.push(format!("{name}: {who} got {status}, want {want}"));
        }
    };

    let response = f.send(request, None).await;
    let status = response.status();
    // A page may also send visitors to the sign-in page.
    let to_login = status.is_redirection()
        && response
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .is_some_and(|l| l.starts_with("/login"));
    let ok = status == 401 || (page && to_login);
    expect(
        "anonymous",
        status,
        ok,
        "401 (or, for a page, a redirect to /login)",
    );

    f.grant(people.outsider.0, &withheld).await;
    let status = f.send(request, Some(&people.outsider.1)).await.status();
    expect("staff without it", status, status == 403, "403");

    let status = f.send(request, Some(&people.customer)).await.status();
    expect("non-staff with everything", status, status == 403, "403");

    f.grant(people.allowed.0, &held).await;
    let response = f.send(request, Some(&people.allowed.1)).await;
    let status = response.status();
    let ok = if page {
        status == 200
    } else {
        status.is_success() || status.is_redirection()
    };
    if let Some((_, known, why)) = KNOWN_BUGS.iter().find(|(n, _, _)| *n == name) {
        if status.as_u16() != *known {
            failures.push(format!(
                "{name}: known bug ({why}) now answers {status}, not {known}: \
                 if it is fixed, remove it from KNOWN_BUGS"
            ));
        }
    } else if !ok {
        let body = response.text().await.unwrap_or_default();
        let body: String = body.chars().take(300).collect();
        failures.push(format!(
            "{name}: staff with exactly {held:?} got {status} ({body}), want {}",
            if page { "200" } else { "2xx/3xx" }
        ));
    }
    failures
}
