//! The admin pages' table: for every route under `/admin` in the Leptos router, the URLs to
//! open (one per model where the route takes a model) and the permissions each needs.

use app::admin::MODELS;

use super::cases::Needs;
use super::fixture::Fixture;

/// Every `/admin` route the table knows, as the router lists it. The test fails on a route
/// missing here and on an entry here that is no longer routed.
pub const ROUTES: &[&str] = &[
    "/admin",
    "/admin/audit",
    "/admin/jobs",
    "/admin/exports",
    "/admin/roles/{id}/permissions",
    "/admin/users/{id}/access",
    "/admin/{model}",
    "/admin/{model}/new",
    "/admin/{model}/{id}",
    "/admin/{model}/{id}/delete",
];

pub struct PageCase {
    pub path: String,
    pub needs: Needs,
}

fn one(path: String, codename: &str) -> Vec<PageCase> {
    vec![PageCase {
        path,
        needs: Needs::All(vec![codename.to_string()]),
    }]
}

/// Makes a model's URL from its plural and the id of one of its rows; the actions it needs.
type PerModel<'a> = &'a dyn Fn(&str, i64) -> (String, Vec<&'static str>);

/// The URLs of one route, or `None` when the table has no entry for it.
pub fn page_cases(route: &str, f: &Fixture) -> Option<Vec<PageCase>> {
    let per_model = |make: PerModel| {
        MODELS
            .iter()
            .map(|spec| {
                let (path, actions) = make(spec.plural, f.existing[spec.name]);
                PageCase {
                    path,
                    needs: Needs::All(actions.iter().map(|a| spec.permission(a)).collect()),
                }
            })
            .collect()
    };
    let cases = match route {
        "/admin" => vec![PageCase {
            path: "/admin".into(),
            needs: Needs::Staff,
        }],
        "/admin/audit" => one("/admin/audit".into(), "audit_log.view"),
        "/admin/jobs" => one("/admin/jobs".into(), "job.manage"),
        "/admin/exports" => one("/admin/exports".into(), "enrollment.view"),
        "/admin/roles/{id}/permissions" => one(
            format!("/admin/roles/{}/permissions", f.existing["role"]),
            "role.view",
        ),
        "/admin/users/{id}/access" => one(
            format!("/admin/users/{}/access", f.existing["user"]),
            "user.view",
        ),
        "/admin/{model}" => per_model(&|plural, _| (format!("/admin/{plural}"), vec!["view"])),
        "/admin/{model}/new" => {
            per_model(&|plural, _| (format!("/admin/{plural}/new"), vec!["add"]))
        }
        "/admin/{model}/{id}" => {
            per_model(&|plural, id| (format!("/admin/{plural}/{id}"), vec!["view"]))
        }
        // Like its server function, the confirmation page shows the row: view and delete.
        "/admin/{model}/{id}/delete" => per_model(&|plural, id| {
            (
                format!("/admin/{plural}/{id}/delete"),
                vec!["view", "delete"],
            )
        }),
        _ => return None,
    };
    Some(cases)
}
