//! The world the permission matrix runs in: an app with the demo data, a superuser that makes
//! rows through the model engine, and signed-in personas whose permissions are set per case.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use app::admin::{FieldKind, FieldSpec, ModelSpec, MODELS};
use app::domain::Principal;
use serde_json::Value;
use server::db::{rbac, records, users};
use server::model_engine::sql::SqlValue;
use server::model_engine::{ModelService, Record};

use crate::helpers::{spawn_app, Backend, TestApp};

/// A server-function call or a page view.
pub enum Request {
    Post {
        path: String,
        form: Vec<(String, String)>,
    },
    Get {
        path: String,
    },
}

pub const PASSWORD: &str = "correct horse battery staple";

/// The app, an engine acting as a superuser, and one live row of every model (for foreign
/// keys and for read-only cases).
pub struct Fixture {
    pub app: TestApp,
    pub engine: ModelService,
    pub root: Principal,
    pub existing: HashMap<&'static str, i64>,
    pub all_codenames: Vec<String>,
    /// Two jobs that ended dead (payloads that do not parse): retry takes the first, discard
    /// the second.
    pub failed_jobs: Vec<String>,
    /// An export of the `allowed` persona (set once the personas exist).
    pub export_id: std::sync::OnceLock<i64>,
    /// Courses without price policies: each new policy takes a (course, validity) pair of its
    /// own, as the table's uniqueness wants.
    policy_courses: Vec<i64>,
    serial: AtomicU64,
}

impl Fixture {
    pub async fn new(backend: Backend) -> Self {
        let app = spawn_app(backend).await;
        let engine = app.models.clone();
        let root = app.superuser().await.principal();
        let all_codenames = rbac::all_permissions(&app.db)
            .await
            .unwrap()
            .into_iter()
            .map(|p| p.codename)
            .collect();
        let mut fixture = Self {
            app,
            engine,
            root,
            existing: HashMap::new(),
            all_codenames,
            failed_jobs: Vec::new(),
            export_id: std::sync::OnceLock::new(),
            policy_courses: Vec::new(),
            serial: AtomicU64::new(1),
        };
        fixture.failed_jobs = crate::job_dashboard::dead_jobs(&fixture.app, 2).await;
        for spec in MODELS {
            if let Some(id) = fixture.first_row(spec).await {
                fixture.existing.insert(spec.name, id);
            }
        }
        // Models without rows get one, parents first (a foreign key needs its target).
        while fixture.existing.len() < MODELS.len() {
            let ready = MODELS.iter().find(|spec| {
                !fixture.existing.contains_key(spec.name)
                    && spec.fields.iter().all(|f| match f.kind {
                        FieldKind::ForeignKey(target) => fixture.existing.contains_key(target),
                        _ => true,
                    })
            });
            let spec = ready.expect("the models' foreign keys form a cycle");
            let id = fixture.fresh(spec).await;
            fixture.existing.insert(spec.name, id);
        }
        for _ in 0..4 {
            let course = fixture.fresh(&app::admin::models::COURSE).await;
            fixture.policy_courses.push(course);
        }
        fixture
    }

    /// Records an export requested by `user` (its job is not needed to read its status).
    pub async fn export_of(&self, user: i64) {
        let course = self.existing["course"];
        let id = server::db::exports::insert(
            &self.app.db,
            "course_learners",
            Some(course),
            user,
            chrono::Utc::now(),
        )
        .await
        .unwrap();
        let _ = self.export_id.set(id);
    }

    pub fn next_serial(&self) -> u64 {
        self.serial.fetch_add(1, Ordering::Relaxed)
    }

    async fn first_row(&self, spec: &ModelSpec) -> Option<i64> {
        let alive = if spec.soft_delete {
            " WHERE deleted_at IS NULL"
        } else {
            ""
        };
        let sql = format!("SELECT COALESCE(MIN(id), 0) FROM {}{alive}", spec.table);
        let id = records::scalar(&self.app.db, &sql, &[]).await.unwrap();
        (id > 0).then_some(id)
    }

    /// Valid form values for a new row of `spec`: every required writable field, derived from
    /// its declared kind, so a newly declared model needs no code here.
    pub fn values(&self, spec: &ModelSpec) -> Vec<(String, String)> {
        let mut values = self.generate(spec, spec.writable().filter(|f| f.required));
        // A host grant names a role or a user, exactly one: a rule across two optional fields.
        if spec.name == "host_grant" {
            if let Some(role) = self.existing.get("role") {
                values.push(("role_id".into(), role.to_string()));
            }
        }
        if spec.name == "price_policy" && !self.policy_courses.is_empty() {
            let n = self.next_serial() as usize;
            let courses = self.policy_courses.len();
            let months = [0, 1, 3, 6, 12][(n / courses) % 5];
            values.retain(|(name, _)| name != "course_id" && name != "valid_months");
            values.push((
                "course_id".into(),
                self.policy_courses[n % courses].to_string(),
            ));
            values.push(("valid_months".into(), months.to_string()));
        }
        // A coupon takes something off, and its window ends after it starts.
        if spec.name == "coupon" {
            values.retain(|(name, _)| name != "ends_at");
            values.push(("ends_at".into(), "2030-01-01T00:00:00Z".into()));
            values.push(("amount_cents".into(), "100".into()));
        }
        values
    }

    fn generate<'a>(
        &self,
        spec: &ModelSpec,
        fields: impl Iterator<Item = &'a FieldSpec>,
    ) -> Vec<(String, String)> {
        let n = self.next_serial();
        fields
            .map(|f| {
                let value = match f.kind {
                    FieldKind::Int { min, max } => min.max(0).min(max).to_string(),
                    FieldKind::Text { max } => truncate(format!("gen{n}"), max),
                    FieldKind::LongText { max } => truncate(format!("generated text {n}"), max),
                    FieldKind::Slug => format!("gen-{n}"),
                    FieldKind::Bool => "false".into(),
                    FieldKind::Cents => "100".into(),
                    FieldKind::Choice(choices) => choices[0].into(),
                    FieldKind::ForeignKey(target) => self
                        .existing
                        .get(target)
                        .unwrap_or_else(|| {
                            panic!(
                                "{}.{} points at {target}, which has no row yet",
                                spec.name, f.name
                            )
                        })
                        .to_string(),
                    FieldKind::Timestamp => "2026-01-01T00:00:00Z".into(),
                    FieldKind::Url => format!("https://example.com/gen{n}"),
                    FieldKind::Email => format!("gen{n}@example.com"),
                    FieldKind::Password => PASSWORD.into(),
                    FieldKind::Secret { .. } => "generated secret".into(),
                };
                (f.name.to_string(), value)
            })
            .collect()
    }

    /// A new row of `spec`, made by the superuser through the engine; its id. Models nobody
    /// may write (permissions, seeded by migrations) get theirs through SQL.
    pub async fn fresh(&self, spec: &ModelSpec) -> i64 {
        if spec.writable().next().is_none() {
            return self.fresh_by_sql(spec).await;
        }
        let mut record = Record::new();
        for (name, value) in self.values(spec) {
            let value = match spec.field(&name).map(|f| f.kind) {
                Some(FieldKind::Bool) => Value::Bool(value == "true"),
                _ => Value::String(value),
            };
            record.insert(name, value);
        }
        let created = self
            .engine
            .create(&self.root, spec.name, record, None)
            .await
            .unwrap_or_else(|e| panic!("cannot create a {}: {e:?}", spec.name));
        created["id"].as_i64().unwrap()
    }

    async fn fresh_by_sql(&self, spec: &ModelSpec) -> i64 {
        let values = self.generate(spec, spec.fields.iter());
        let columns: Vec<&str> = values.iter().map(|(k, _)| k.as_str()).collect();
        let marks: Vec<String> = (1..=values.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({}) RETURNING id",
            spec.table,
            columns.join(", "),
            marks.join(", ")
        );
        let binds: Vec<SqlValue> = values
            .into_iter()
            .map(|(k, v)| match spec.field(&k).map(|f| f.kind) {
                Some(FieldKind::Int { .. } | FieldKind::ForeignKey(_) | FieldKind::Cents) => {
                    SqlValue::Int(v.parse().unwrap())
                }
                Some(FieldKind::Timestamp) => SqlValue::Time(v.parse().unwrap()),
                _ => SqlValue::Text(v),
            })
            .collect();
        records::scalar(&self.app.db, &sql, &binds).await.unwrap()
    }

    /// A staff (or not) account that can sign in; its id.
    pub async fn account(&self, username: &str, is_staff: bool, hash: &str) -> i64 {
        users::insert(
            &self.app.db,
            &users::NewUser {
                username,
                email: &format!("{username}@example.com"),
                password_hash: Some(hash),
                is_staff,
                is_superuser: false,
            },
        )
        .await
        .unwrap()
    }

    /// Replaces the user's roles and direct permissions; read again on their next request.
    pub async fn grant(&self, user_id: i64, codenames: &[String]) {
        rbac::set_user_access(&self.app.db, user_id, &[], codenames)
            .await
            .unwrap();
    }

    /// Signs in through the login server function like a browser form; the session cookie.
    pub async fn sign_in(&self, username: &str) -> String {
        self.app.sign_in_with(username, PASSWORD).await
    }

    /// Sends the request as a browser on our own origin would, with `cookie` when given.
    pub async fn send(&self, request: &Request, cookie: Option<&str>) -> reqwest::Response {
        let client = &self.app.client;
        let mut request = match request {
            Request::Post { path, form } => client
                .post(self.app.url(path))
                .header("origin", self.app.address.clone())
                .form(form),
            Request::Get { path } => client.get(self.app.url(path)),
        };
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        request.send().await.unwrap()
    }
}

fn truncate(mut s: String, max: usize) -> String {
    s.truncate(max);
    s
}
