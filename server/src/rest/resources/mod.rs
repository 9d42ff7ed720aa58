//! The model resources of `/api/v1`, one line each in [`RESOURCES`]: the routes, handlers and
//! OpenAPI operations and schemas all come from the model's declaration
//! ([`app::admin::ModelSpec`]), so a new model is a line here, not a file. Public reads of
//! courses are the exception that keeps the catalogue one system: [`courses`] serves them from
//! the catalogue service the pages use.

mod courses;
mod handlers;

use app::admin::{hosts as h, models as m, FieldKind, ModelSpec};
use axum::{
    extract::{RawPathParams, State},
    http::{HeaderMap, Method, Uri},
};
use serde_json::{json, Value};

use super::actor::{Actor, MaybeActor};
use super::openapi::schema;
use super::problem::ApiJson;
use super::registry::{ApiBuilder, Auth, Operation};
use crate::http::request_meta::Meta;
use crate::model_engine::Record;
use crate::state::AppState;

/// A model served under `/api/v1`, at the top level or nested under its parent.
#[derive(Debug)]
pub struct Resource {
    pub spec: &'static ModelSpec,
    /// For nested collections: the parent model and the child's foreign key to it.
    pub parent: Option<(&'static ModelSpec, &'static str)>,
}

impl Resource {
    const fn top(spec: &'static ModelSpec) -> Self {
        Self { spec, parent: None }
    }

    const fn nested(
        parent: &'static ModelSpec,
        spec: &'static ModelSpec,
        fk: &'static str,
    ) -> Self {
        Self {
            spec,
            parent: Some((parent, fk)),
        }
    }

    /// `/api/v1/courses` or `/api/v1/courses/{course_id}/chapters`.
    pub fn collection_path(&self) -> String {
        match self.parent {
            Some((parent, fk)) => {
                format!("/api/v1/{}/{{{fk}}}/{}", parent.plural, self.spec.plural)
            }
            None => format!("/api/v1/{}", self.spec.plural),
        }
    }

    fn read_only(&self) -> bool {
        self.spec.writable().next().is_none()
    }

    /// Anonymous callers see the model's public rows, if it has any.
    fn read_auth(&self) -> Auth {
        if self.spec.public_rows.is_some() {
            Auth::Optional
        } else {
            Auth::Required
        }
    }
}

/// Every model resource of the API.
pub static RESOURCES: &[Resource] = &[
    Resource::top(&m::DIRECTION),
    Resource::top(&m::CATEGORY),
    Resource::top(&m::COURSE),
    Resource::nested(&m::COURSE, &m::CHAPTER, "course_id"),
    Resource::top(&m::LESSON),
    Resource::top(&m::TEACHER),
    Resource::top(&m::USER),
    Resource::top(&m::ROLE),
    Resource::top(&m::PERMISSION),
    Resource::top(&h::HOST),
    Resource::top(&h::HOST_GRANT),
    Resource::top(&h::SSH_SESSION),
    Resource::top(&h::SSH_COMMAND),
];

/// The currency of every amount in cents (the catalogue sells in one currency).
pub const CURRENCY: &str = "CNY";

/// A record as the API shows it: money comes with its currency code, and addresses of our own
/// files, kept as site paths (`/img/cover-1.svg`, what the pages use), become absolute URLs on
/// `base` ([`super::links::base`]): a partner's client has no page to resolve them against, and
/// the document promises `https?://`. Writes take absolute addresses only (the engine's rule),
/// so a record read and written back keeps working links.
pub fn shape(spec: &ModelSpec, mut record: Record, base: &str) -> Value {
    for field in spec.fields.iter().filter(|f| f.kind == FieldKind::Url) {
        if let Some(Value::String(url)) = record.get_mut(field.name) {
            super::links::absolute(base, url);
        }
    }
    if spec.fields.iter().any(|f| f.kind == FieldKind::Cents) {
        record.insert("currency".into(), json!(CURRENCY));
    }
    Value::Object(record)
}

pub fn register(api: &mut ApiBuilder) {
    for resource in RESOURCES {
        resource.register(api);
    }
}

impl Resource {
    fn register(&'static self, api: &mut ApiBuilder) {
        let r = self;
        let spec = self.spec;
        let name = schema::type_name(spec);
        api.schema(&name, schema::read_schema(spec));
        api.schema(&format!("{name}List"), schema::list_schema(&name));
        let fixed: Vec<&str> = self.parent.map(|(_, fk)| fk).into_iter().collect();
        let coll = self.collection_path();
        let item = format!("{coll}/{{id}}");
        let (ops, tag) = match self.parent {
            Some((parent, _)) => (format!("{}_{}", parent.name, spec.plural), spec.plural),
            None => (spec.plural.to_string(), spec.plural),
        };
        let one = match self.parent {
            Some((parent, _)) => format!("{}_{}", parent.name, spec.name),
            None => spec.name.to_string(),
        };
        let read_ref = json!({"$ref": format!("#/components/schemas/{name}")});
        let gone = spec.soft_delete || self.parent.is_some_and(|(p, _)| p.soft_delete);

        let mut list = Operation::new(
            format!("list_{ops}"),
            tag,
            format!("List {}", spec.label_plural.to_lowercase()),
        )
        .auth(self.read_auth())
        .describe(schema::list_description(spec))
        .params(schema::list_params(spec, &fixed))
        .response(
            200,
            schema::ok(
                json!({"$ref": format!("#/components/schemas/{name}List")}),
                false,
            ),
        );
        if gone {
            list = list.response(410, schema::problem_ref(410));
        }
        api.route(
            Method::GET,
            &coll,
            move |State(s): State<AppState>,
                  a: MaybeActor,
                  p: RawPathParams,
                  uri: Uri,
                  h: HeaderMap| async move { handlers::list(r, s, a, p, uri, h).await },
            list,
        );

        let mut get = Operation::new(
            format!("get_{one}"),
            tag,
            format!("One {}", spec.label.to_lowercase()),
        )
        .auth(self.read_auth())
        .params([schema::header_param(
            "If-None-Match",
            "An ETag from an earlier answer: 304 when it is still current.",
        )])
        .response(200, schema::ok(read_ref.clone(), true))
        .response(
            304,
            json!({"description": "Not modified: the ETag in If-None-Match is current."}),
        );
        if gone {
            get = get.response(410, schema::problem_ref(410));
        }
        api.route(
            Method::GET,
            &item,
            move |State(s): State<AppState>, a: MaybeActor, p: RawPathParams, h: HeaderMap| async move {
                handlers::retrieve(r, s, a, p, h).await
            },
            get,
        );
        if self.read_only() {
            return;
        }

        let input = |suffix: &str, partial: bool| {
            let schema_name = format!("{name}{suffix}");
            api_schema_ref(&schema_name, schema::input_schema(spec, partial, &fixed))
        };
        let (create_input, create_body) = input("Input", false);
        let (patch_input, patch_body) = input("Patch", true);
        api.schema(&create_input.0, create_input.1.clone());
        api.schema(&patch_input.0, patch_input.1.clone());
        let conflict = schema::problem_ref(409);

        let mut create = Operation::new(
            format!("create_{one}"),
            tag,
            format!("Create a {}", spec.label.to_lowercase()),
        )
        .auth(Auth::Required)
        .body(create_body.clone())
        .response(201, schema::created(read_ref.clone()))
        .response(409, conflict.clone());
        if self.parent.is_some() {
            create = create.response(404, schema::problem_ref(404));
            if gone {
                create = create.response(410, schema::problem_ref(410));
            }
        }
        api.route(
            Method::POST,
            &coll,
            move |State(s): State<AppState>,
                  a: Actor,
                  p: RawPathParams,
                  m: Meta,
                  h: HeaderMap,
                  ApiJson(body): ApiJson<Record>| {
                async move { handlers::create(r, s, a, p, m, h, body).await }
            },
            create,
        );

        for (method, partial, verb, body) in [
            (Method::PUT, false, "replace", create_body.clone()),
            (Method::PATCH, true, "update", patch_body.clone()),
        ] {
            let mut op = Operation::new(
                format!("{verb}_{one}"),
                tag,
                format!(
                    "{} a {}",
                    if partial {
                        "Change fields of"
                    } else {
                        "Replace"
                    },
                    spec.label.to_lowercase()
                ),
            )
            .auth(Auth::Required)
            .params([schema::header_param(
                "If-Match",
                "The ETag you read: 412 when the record changed since.",
            )])
            .body(body)
            .response(200, schema::ok(read_ref.clone(), true))
            .response(409, conflict.clone())
            .response(412, schema::problem_ref(412));
            if gone {
                op = op.response(410, schema::problem_ref(410));
            }
            api.route(
                method,
                &item,
                move |State(s): State<AppState>,
                      a: Actor,
                      p: RawPathParams,
                      m: Meta,
                      h: HeaderMap,
                      ApiJson(body): ApiJson<Record>| {
                    async move { handlers::update(r, partial, s, a, p, m, h, body).await }
                },
                op,
            );
        }

        let mut delete = Operation::new(
            format!("delete_{one}"),
            tag,
            format!("Delete a {}", spec.label.to_lowercase()),
        )
        .auth(Auth::Required)
        .describe(if spec.soft_delete {
            "Soft delete: the record stays in the database and answers 410 Gone from then on."
        } else {
            "Refused with 409 while other records still refer to it."
        })
        .params([schema::header_param(
            "If-Match",
            "The ETag you read: 412 when the record changed since.",
        )])
        .response(
            204,
            json!({"description": "Deleted.", "headers": schema::rate_headers()}),
        )
        .response(409, conflict)
        .response(412, schema::problem_ref(412));
        if gone {
            delete = delete.response(410, schema::problem_ref(410));
        }
        api.route(
            Method::DELETE,
            &item,
            move |State(s): State<AppState>,
                  a: Actor,
                  p: RawPathParams,
                  m: Meta,
                  h: HeaderMap| {
                async move { handlers::destroy(r, s, a, p, m, h).await }
            },
            delete,
        );
    }
}

/// A named component schema and a `$ref` to it.
fn api_schema_ref(name: &str, schema: Value) -> ((String, Value), Value) {
    let reference = json!({"$ref": format!("#/components/schemas/{name}")});
    ((name.to_string(), schema), reference)
}
