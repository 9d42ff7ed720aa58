//! The table: for every back-office server function, the requests to try and the permissions
//! each one needs. Cases are generated per model from [`app::admin::MODELS`] (and per bulk
//! action from its declaration), so a new model is covered without an edit here; a new server
//! function has no entry and fails the test until one is added.

use app::admin::{ModelSpec, MODELS};

use super::fixture::Fixture;

/// What lets a request through.
#[derive(Debug, Clone)]
pub enum Needs {
    /// Any staff account holding at least one permission (the back office's front door).
    Staff,
    /// Exactly these codenames.
    All(Vec<String>),
}

/// Builds the form from the fixture and the id of the case's fresh target row (0 without one).
type Form = Box<dyn Fn(&Fixture, i64) -> Vec<(String, String)> + Send + Sync>;

pub struct Case {
    /// Shown when the case fails: the endpoint, model and variant.
    pub name: String,
    pub needs: Needs,
    /// A row the superuser creates right before the case, for writes that consume it.
    pub target: Option<&'static ModelSpec>,
    pub form: Form,
}

/// Every `/fn/admin/…` endpoint the table knows. The test fails on a registered function
/// missing here and on an entry here that is no longer registered.
pub const ENDPOINTS: &[&str] = &[
    "/fn/admin/menu",
    "/fn/admin/dashboard",
    "/fn/admin/list",
    "/fn/admin/form",
    "/fn/admin/save",
    "/fn/admin/delete-preview",
    "/fn/admin/delete",
    "/fn/admin/action",
    "/fn/admin/audit",
    "/fn/admin/role-permissions",
    "/fn/admin/role-permissions/set",
    "/fn/admin/user-access",
    "/fn/admin/user-access/set",
    "/fn/admin/user-access/force-reset",
    "/fn/admin/user-access/end-sessions",
    "/fn/admin/jobs",
    "/fn/admin/jobs/retry",
    "/fn/admin/jobs/discard",
    "/fn/admin/exports/start",
    "/fn/admin/exports/status",
];

/// Cases whose permitted request fails today because of a bug in the back office, with the
/// status it gets. Their 401/403 checks run as usual; the permitted one must still fail with
/// that status, so a fix makes the test ask for the entry's removal.
pub const KNOWN_BUGS: &[(&str, u16, &str)] = &[];

fn kv(k: &str, v: impl ToString) -> (String, String) {
    (k.to_string(), v.to_string())
}

fn needs(codename: String) -> Needs {
    Needs::All(vec![codename])
}

fn case(
    name: String,
    needs: Needs,
    target: Option<&'static ModelSpec>,
    form: impl Fn(&Fixture, i64) -> Vec<(String, String)> + Send + Sync + 'static,
) -> Case {
    Case {
        name,
        needs,
        target,
        form: Box::new(form),
    }
}

/// One case per model.
fn per_model(mut make: impl FnMut(&'static ModelSpec) -> Vec<Case>) -> Vec<Case> {
    MODELS.iter().flat_map(|spec| make(spec)).collect()
}

/// `values[field]=…` for a new row of `spec`.
fn values(f: &Fixture, spec: &ModelSpec) -> Vec<(String, String)> {
    f.values(spec)
        .into_iter()
        .map(|(k, v)| (format!("values[{k}]"), v))
        .collect()
}

/// The cases of one endpoint, or `None` when the table has no entry for it.
pub fn cases_for(endpoint: &str) -> Option<Vec<Case>> {
    use app::admin::models::{ROLE, USER};
    let name = endpoint.strip_prefix("/fn/admin/")?;
    let label = |what: &str| format!("{endpoint} {what}").trim_end().to_string();
    let cases = match name {
        "menu" | "dashboard" => vec![case(label(""), Needs::Staff, None, |_, _| vec![])],
        "list" => per_model(|spec| {
            vec![case(
                label(spec.plural),
                needs(spec.permission("view")),
                None,
                move |_, _| vec![kv("model", spec.plural), kv("query[page]", 1)],
            )]
        }),
        "form" => per_model(|spec| {
            vec![
                case(
                    label(&format!("{} (new)", spec.plural)),
                    needs(spec.permission("add")),
                    None,
                    move |_, _| vec![kv("model", spec.plural)],
                ),
                case(
                    label(&format!("{} (existing)", spec.plural)),
                    needs(spec.permission("view")),
                    None,
                    move |f, _| vec![kv("model", spec.plural), kv("id", f.existing[spec.name])],
                ),
            ]
        }),
        "save" => per_model(|spec| {
            // Models without a writable field (permissions) come from migrations: no create.
            let creatable = spec.writable().next().is_some();
            let create = creatable.then(|| {
                case(
                    label(&format!("{} (create)", spec.plural)),
                    needs(spec.permission("add")),
                    None,
                    move |f, _| {
                        let mut form = vec![kv("model", spec.plural)];
                        form.extend(values(f, spec));
                        form
                    },
                )
            });
            let change = case(
                label(&format!("{} (change)", spec.plural)),
                needs(spec.permission("change")),
                Some(spec),
                move |f, id| {
                    let mut form = vec![kv("model", spec.plural), kv("id", id)];
                    form.extend(values(f, spec));
                    form
                },
            );
            create.into_iter().chain([change]).collect()
        }),
        // The preview shows the row and its dependents, which is viewing: it needs both.
        "delete-preview" => per_model(|spec| {
            vec![case(
                label(spec.plural),
                Needs::All(vec![spec.permission("view"), spec.permission("delete")]),
                Some(spec),
                move |_, id| vec![kv("model", spec.plural), kv("id", id)],
            )]
        }),
        // Models without the delete action are never deleted, whatever the grant
        // (`payments::back_office` shows the refusal).
        "delete" => per_model(|spec| {
            spec.deletable()
                .then(|| {
                    case(
                        label(spec.plural),
                        needs(spec.permission("delete")),
                        Some(spec),
                        move |_, id| vec![kv("model", spec.plural), kv("id", id)],
                    )
                })
                .into_iter()
                .collect()
        }),
        "action" => per_model(|spec| {
            spec.actions
                .iter()
                .map(|action| {
                    case(
                        label(&format!("{} {}", spec.plural, action.name)),
                        needs(action.permission.to_string()),
                        Some(spec),
                        move |_, id| {
                            vec![
                                kv("model", spec.plural),
                                kv("action", action.name),
                                kv(&format!("selected[{id}]"), "on"),
                            ]
                        },
                    )
                })
                .collect()
        }),
        "audit" => vec![case(
            label(""),
            needs("audit_log.view".into()),
            None,
            |_, _| vec![kv("query[page]", 1)],
        )],
        "role-permissions" => vec![case(
            label(""),
            needs("role.view".into()),
            Some(&ROLE),
            |_, id| vec![kv("role_id", id)],
        )],
        // Ticking nothing: granting needs the granted permissions too (tested elsewhere).
        "role-permissions/set" => vec![case(
            label(""),
            needs("role.change".into()),
            Some(&ROLE),
            |_, id| vec![kv("role_id", id)],
        )],
        "user-access" => vec![case(
            label(""),
            needs("user.view".into()),
            Some(&USER),
            |_, id| vec![kv("user_id", id)],
        )],
        "user-access/set" | "user-access/force-reset" | "user-access/end-sessions" => {
            vec![case(
                label(""),
                needs("user.change".into()),
                Some(&USER),
                |_, id| vec![kv("user_id", id)],
            )]
        }
        "jobs" => vec![case(
            label(""),
            needs("job.manage".into()),
            None,
            |_, _| vec![],
        )],
        // Each action consumes one of the fixture's failed jobs.
        "jobs/retry" => vec![case(label(""), needs("job.manage".into()), None, |f, _| {
            vec![kv("id", &f.failed_jobs[0])]
        })],
        "jobs/discard" => vec![case(label(""), needs("job.manage".into()), None, |f, _| {
            vec![kv("id", &f.failed_jobs[1])]
        })],
        "exports/start" => vec![case(
            label(""),
            needs("enrollment.view".into()),
            None,
            |f, _| vec![kv("course_id", f.existing["course"])],
        )],
        // The export is the allowed persona's own: any back-office account sees its own
        // exports (someone else's is 404, tested in exports.rs).
        "exports/status" => vec![case(label(""), Needs::Staff, None, |f, _| {
            vec![kv("id", f.export_id.get().copied().unwrap_or_default())]
        })],
        _ => return None,
    };
    Some(cases)
}
