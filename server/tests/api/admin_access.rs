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

use std::collections::BTreeSet;

use cases::{cases_for, Case, Needs, ENDPOINTS, KNOWN_BUGS};
use fixture::{Fixture, PASSWORD};

use crate::backend_tests;
use crate::helpers::Backend;

backend_tests!(every_admin_server_function_checks_permissions);

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
            failures.extend(run(&f, &people, endpoint, &case).await);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {tried} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Tries one case as every persona; the failures, if any.
async fn run(f: &Fixture, people: &Personas, endpoint: &str, case: &Case) -> Vec<String> {
    let id = match case.target {
        Some(spec) => f.fresh(spec).await,
        None => 0,
    };
    let form = (case.form)(f, id);
    let (held, withheld): (Vec<String>, Vec<String>) = match &case.needs {
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
    let mut failures = Vec::new();
    let mut expect = |who: &str, status: reqwest::StatusCode, ok: bool, want: &str| {
        if !ok {
            failures.push(format!("{}: {who} got {status}, want {want}", case.name));
        }
    };

    let status = f.post(endpoint, None, &form).await.status();
    expect("anonymous", status, status == 401, "401");

    f.grant(people.outsider.0, &withheld).await;
    let status = f
        .post(endpoint, Some(&people.outsider.1), &form)
        .await
        .status();
    expect("staff without it", status, status == 403, "403");

    let status = f
        .post(endpoint, Some(&people.customer), &form)
        .await
        .status();
    expect("non-staff with everything", status, status == 403, "403");

    f.grant(people.allowed.0, &held).await;
    let response = f.post(endpoint, Some(&people.allowed.1), &form).await;
    let status = response.status();
    let ok = status.is_success() || status.is_redirection();
    if let Some((_, known, why)) = KNOWN_BUGS.iter().find(|(name, _, _)| *name == case.name) {
        if status.as_u16() != *known {
            failures.push(format!(
                "{}: known bug ({why}) now answers {status}, not {known}: \
                 if it is fixed, remove it from KNOWN_BUGS",
                case.name
            ));
        }
    } else if !ok {
        let body = response.text().await.unwrap_or_default();
        failures.push(format!(
            "{}: staff with exactly {held:?} got {status} ({body}), want 2xx/3xx",
            case.name
        ));
    }
    failures
}
